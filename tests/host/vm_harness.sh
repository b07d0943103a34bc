#!/bin/bash
# Self-test of the VM harness (tests/vm/run): the guest command's exit
# status comes back, the swtpm state survives a reboot (NV contents kept,
# PCRs fresh), a hung guest is killed with a clear message, and a guest
# that dies before its init reaches userspace is booted exactly once more,
# over the TPM state it started with, while one that dies later is not.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
run=$top/tests/vm/run
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
work=$(mktemp -d "${BUILD:-$top/build}/vm-harness.XXXXXX")
trap 'rm -rf "$work"' EXIT
nv=0x01500017
ones=$(printf '%064d' 1)

tap_plan 12

# Boot 1: read the clock, write an NV index and extend PCR 8, then exit
# with status 3.
"$run" --kernel "$kver" --out "$work/boot1" --tpm-state "$work/tpm" -- sh -c "
	export TPM2TOOLS_TCTI=device:/dev/tpmrm0
	tpm2_readclock >$work/boot1/clock &&
	tpm2_nvdefine $nv -C o -s 9 -a 'ownerread|ownerwrite' >/dev/null &&
	printf persisted | tpm2_nvwrite $nv -C o -i - &&
	tpm2_pcrextend 8:sha256=$ones && exit 3" >"$work/boot1.log" 2>&1
status=$?
if [ "$status" -eq 3 ]; then
	tap_ok "guest exit status is returned"
else
	tap_fail "guest exit status is returned" "got $status"
	sed 's/^/# /' "$work/boot1.log"
fi

# reset_count FILE: the TPM's reset count in a tpm2_readclock output (one
# TPM Reset for each boot, persistent in the TPM's state).
reset_count() { sed -n 's/^ *reset_count: *\([0-9]*\).*/\1/p' "$1"; }
retried() { grep -c "died before its init reached userspace" "$1"; }

# Boot 2: same TPM state: the NV index is still there, PCR 8 starts at
# zero. Its first boot dies in the kernel, before the initramfs's init
# (rdinit names no file: the kernel panics, panic=-1 ends QEMU); the
# harness boots once more, over the TPM state of before the first boot.
VM_FIRST_BOOT_APPEND=rdinit=/nonexistent "$run" --kernel "$kver" --out "$work/boot2" \
	--tpm-state "$work/tpm" -- sh -c "
	export TPM2TOOLS_TCTI=device:/dev/tpmrm0
	tpm2_nvread $nv -C o -s 9 >$work/boot2/nv
	tpm2_pcrread sha256:8 >$work/boot2/pcr
	tpm2_readclock >$work/boot2/clock && exit 5" >"$work/boot2.log" 2>&1
status=$?
tap_check "tpm NV contents survive a reboot" grep -qx persisted "$work/boot2/nv"
tap_check "tpm PCRs are fresh after a reboot" grep -qi "8 : 0x0\{64\}$" "$work/boot2/pcr"
tap_check "a guest dead before userspace is booted once more" \
	test "$(retried "$work/boot2.log")" = 1 -a "$status" = 5
tap_check "... the first boot's console is kept" \
	grep -q "Kernel panic" "$work/boot2/console.1.log"
r1=$(reset_count "$work/boot1/clock") r2=$(reset_count "$work/boot2/clock")
if [ -n "$r1" ] && [ "$r2" = $((r1 + 1)) ]; then
	tap_ok "... over the TPM state the first boot started with"
else
	tap_fail "... over the TPM state the first boot started with" \
		"reset count ${r1:-?} before, ${r2:-?} after (one boot between)"
fi

# Boot 3: a guest that hangs is killed after the timeout, with a message.
"$run" --kernel "$kver" --out "$work/boot3" --timeout 20 -- sleep 600 >"$work/boot3.log" 2>&1
status=$?
if [ "$status" -eq 124 ]; then
	tap_ok "hung guest is killed with status 124"
else
	tap_fail "hung guest is killed with status 124" "got $status"
fi
tap_check "timeout message names the command" \
	grep -q "timed out after 20s running: sleep 600" "$work/boot3.log"

# Boot 4: every boot dies before userspace: one retry, then the failure.
"$run" --kernel "$kver" --out "$work/boot4" --append rdinit=/nonexistent -- true \
	>"$work/boot4.log" 2>&1
status=$?
tap_check "a guest that never reaches userspace is retried exactly once" \
	test "$(retried "$work/boot4.log")" = 1
tap_check "... and fails with status 125" test "$status" = 125

# Boot 5: a kernel crash after init reached userspace is the test's
# failure, not the harness's: no retry.
"$run" --kernel "$kver" --out "$work/boot5" -- sh -c 'echo c >/proc/sysrq-trigger' \
	>"$work/boot5.log" 2>&1
status=$?
tap_check "a guest that dies after reaching userspace is not retried" \
	test "$(retried "$work/boot5.log")" = 0 -a "$status" = 125
tap_check "... its console shows the marker" grep -q "vm-init: userspace reached" "$work/boot5/console.log"
tap_done
