#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Open finding: FWGUARD_IOC_RETIRE takes "confirmed" from the TPM floor
# alone (session.c fwguard_retire_check(): version <= floor.confirmed),
# and root can raise the floor to the trial's version before anything
# confirmed it: in legacy mode with tpm2_nvincrement, in vendor mode with
# the release's floor approval, which the vendor publishes beside the
# bundle. In the trial boot of b (version 4; a, version 3, is the last
# good slot and the fallback, protected ACTIVE; GRUB named b as booted),
# root raises the floor to 4 and asks RETIRE to zero a's head with b's
# own ticket (kept in <state_dir>/slot-tickets). The kernel does it: the
# fallback is gone while b is unconfirmed, and a trial that fails (its
# boots run out, boot-verify refuses it) leaves no slot to boot (STATE.md
# P1). One -kernel guest.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-$top/build}
idx=0x01004657

retire() { # OUT BUNDLE: RETIRE of fw_a with BUNDLE's ticket; prints 0 or the errno
	/usr/bin/python3 - "$1" <<'PY'
import ctypes, errno, fcntl, os, struct, sys
b = open(sys.argv[1], 'rb').read()
cms_len = struct.unpack_from('<I', b, 8)[0]
buf = ctypes.create_string_buffer(b[48:48 + cms_len])
st = os.stat('/dev/vda1')
arg = struct.pack('<IIIIQII', 32, 0, os.major(st.st_rdev), os.minor(st.st_rdev),
                  ctypes.addressof(buf), cms_len, 0)
ctl = os.open('/dev/fwguard', os.O_RDWR)
try:
    fcntl.ioctl(ctl, 0x4020F905, bytearray(arg), True)
    print(0)
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
PY
}

if [ "${1:-}" = guest ]; then
	out=$2
	export TPM2TOOLS_TCTI=device:/dev/tpmrm0
	# The device as provisioned (legacy floor counter), a confirmed at 3.
	tpm2_nvdefine $idx -C o -s 8 -a "nt=counter|ownerread|ownerwrite|authread|authwrite" >/dev/null
	for _ in 1 2 3; do tpm2_nvincrement $idx -C o; done
	dd if="$out/v3.img" of=/dev/vda1 bs=1M oflag=direct status=none
	dd if="$out/v4.img" of=/dev/vda2 bs=1M oflag=direct status=none
	# b's trial boot: GRUB booted b, policy load made both slots active.
	insmod "$build/kmod/$(uname -r)/fwguard.ko" keyring_mode=provision \
		device_class=fwguard-test boot_part=6f776761-0000-4000-8000-00000000000b \
		protect=firmware:vda:fw_a:active,firmware:vda:fw_b:active
	keyctl padd asymmetric "" %:.fwguard <"$build/pki/signer.der" >/dev/null
	keyctl restrict_keyring %:.fwguard
	grep -E '^(locked|range|tpm_floor )' /sys/class/misc/fwguard/policy >"$out/policy"
	retire "$out/v4.fwb" >"$out/retire-before"
	# Root raises the floor to the trial's version, then asks again.
	tpm2_nvincrement $idx -C o
	tpm2_nvread $idx -C o -s 8 | od -An -tu8 -j0 --endian=big | tr -d ' ' >"$out/floor"
	retire "$out/v4.fwb" >"$out/retire-after"
	if cmp -s -n 4096 /dev/vda1 /dev/zero; then echo zero; else echo image; fi >"$out/head-a"
	dmesg | grep -E 'fwguard: .*(retir|floor)' >"$out/dmesg"
	exit 0
fi

. "$top/tests/lib/tap.sh"
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
work=$(mktemp -d "$build/trial-retire.XXXXXX")
trap 'rm -rf "$work"' EXIT
tap_plan 5
"$top/tests/vm/mkdisk" "$work/vda" 8 8
head -c $((1 << 20)) /dev/urandom >"$work/v3.img"
head -c $((1 << 20)) /dev/urandom >"$work/v4.img"
"$build/bin/updatectl" bundle create --image "$work/v4.img" --component firmware \
	--device-class fwguard-test --security-version 4 --key "$build/pki/signer.key" \
	--cert "$build/pki/signer.crt" --output "$work/v4.fwb" >/dev/null
"$top/tests/vm/run" --kernel "$kver" --disk "$work/vda" --out "$work" -- \
	"$here/trial_fallback_retired_early.sh" guest "$work" >"$work/vm.log" 2>&1
sed 's/^/# /' "$work/policy" "$work/dmesg" 2>/dev/null
tap_check "trial boot of b: both slots protected active, policy locked" \
	sh -c "grep -qx 'locked 1' '$work/policy' && grep -q '^range vda1 .*active' '$work/policy' && grep -q '^range vda2 .*active' '$work/policy'"
tap_check "with the floor at 3, RETIRE of a with b's version-4 ticket is EAGAIN" \
	grep -qx EAGAIN "$work/retire-before"
tap_check "root raised the TPM floor to 4 (the trial's version) before any mark-good" \
	grep -qx 4 "$work/floor"
if grep -qx 0 "$work/retire-after"; then
	tap_fail "the fallback of an unconfirmed trial cannot be retired" \
		"RETIRE of a succeeded after root's floor raise"
else
	tap_ok "the fallback of an unconfirmed trial cannot be retired"
fi
if grep -qx image "$work/head-a"; then
	tap_ok "a, the last good slot, keeps its image during b's trial"
else
	tap_fail "a, the last good slot, keeps its image during b's trial" "a's head is zero"
fi
tap_done
