#!/bin/bash
# Self-test of the VM harness (tests/vm/run): the guest command's exit
# status comes back, the swtpm state survives a reboot (NV contents kept,
# PCRs fresh), and a hung guest is killed with a clear message.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
run=$top/tests/vm/run
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
work=$(mktemp -d "${BUILD:-$top/build}/vm-harness.XXXXXX")
trap 'rm -rf "$work"' EXIT
nv=0x01500017
ones=$(printf '%064d' 1)

tap_plan 5

# Boot 1: write an NV index and extend PCR 8, then exit with status 3.
"$run" --kernel "$kver" --out "$work/boot1" --tpm-state "$work/tpm" -- sh -c "
	export TPM2TOOLS_TCTI=device:/dev/tpmrm0
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

# Boot 2: same TPM state: the NV index is still there, PCR 8 starts at zero.
"$run" --kernel "$kver" --out "$work/boot2" --tpm-state "$work/tpm" -- sh -c "
	export TPM2TOOLS_TCTI=device:/dev/tpmrm0
	tpm2_nvread $nv -C o -s 9 >$work/boot2/nv
	tpm2_pcrread sha256:8 >$work/boot2/pcr" >"$work/boot2.log" 2>&1
tap_check "tpm NV contents survive a reboot" grep -qx persisted "$work/boot2/nv"
tap_check "tpm PCRs are fresh after a reboot" grep -qi "8 : 0x0\{64\}$" "$work/boot2/pcr"

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
tap_done
