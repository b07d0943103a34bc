#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Open finding (aborted_session_body_boots.sh, through GRUB): GRUB with an
# iso9660 driver (Debian's signed grubx64.efi and any grub-mkstandalone
# image carry it; here tests/vm/mkbootdisk's core.img with iso9660 added)
# boots a kernel and initramfs that root streamed into fw_b through a
# session it never committed. Two GRUB boots on one disk:
#
#   boot 1  GRUB boots a; policy locked (fw_a active, fw_b protected);
#           root BEGINs on fw_b with a signed ticket of the component,
#           streams an ISO 9660 image holding a kernel and initramfs of
#           its choosing, closes without COMMIT; fw_b's head is zero
#   (host)  root's environment: fwg_order=b a (both ok, as mkbootdisk left)
#   boot 2  GRUB must not boot fw_b: no ticket committed anything there
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-$top/build}

if [ "${1:-}" = guest1 ]; then
	out=$2
	cat /proc/cmdline >"$out/cmdline1"
	insmod "$build/kmod/$(uname -r)/fwguard.ko" keyring_mode=provision production=0 \
		device_class=fwguard-test protect=firmware:vda:fw_a:active,firmware:vda:fw_b
	keyctl padd asymmetric "" %:.fwguard <"$build/pki/signer.der" >/dev/null
	keyctl restrict_keyring %:.fwguard
	grep -E '^(locked|range)' /sys/class/misc/fwguard/policy >"$out/policy"
	/usr/bin/python3 - "$out" <<'PY' >"$out/session.log" 2>&1
import ctypes, fcntl, os, struct, sys
out = sys.argv[1]
b = open(out + '/bundle.fwb', 'rb').read()
cms_len, image_len = struct.unpack_from('<I', b, 8)[0], struct.unpack_from('<Q', b, 16)[0]
buf = ctypes.create_string_buffer(b[48:48 + cms_len])
st = os.stat('/dev/vda2')
arg = struct.pack('<IIIIQII', 32, 0, os.major(st.st_rdev), os.minor(st.st_rdev),
                  ctypes.addressof(buf), cms_len, 0)
ctl = os.open('/dev/fwguard', os.O_RDWR)
fd = fcntl.ioctl(ctl, 0x4020F903, bytearray(arg), True)
iso = open(out + '/root.iso', 'rb').read()
body = iso + b'\0' * (image_len - len(iso))
n = 0
while n < len(body):
    n += os.write(fd, body[n:n + (1 << 20)])
print('begin ok, streamed', n, 'of', image_len, 'bytes, closing without commit')
os.close(fd)
PY
	if cmp -s -n 4096 /dev/vda2 /dev/zero; then echo zero; else echo nonzero; fi >"$out/head"
	dmesg | grep -E 'fwguard: session' >"$out/dmesg"
	exit 0
fi
if [ "${1:-}" = guest2 ]; then
	cat /proc/cmdline >"$2/cmdline2"
	exit 0
fi

. "$top/tests/lib/tap.sh"
. "$top/tests/lib/gpt.sh"
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
work=$(mktemp -d "$build/aborted-iso.XXXXXX")
trap '[ -n "${E2E_KEEP:-}" ] || rm -rf "$work"' EXIT
tap_plan 4
# tests/vm/mkbootdisk, with iso9660 among core.img's modules.
sed -e 's|^here=.*|here='"$top"'/tests/vm|' -e 's/echo halt probe$/echo halt probe iso9660/' \
	"$top/tests/vm/mkbootdisk" >"$work/mkbootdisk"
bash "$work/mkbootdisk" --kernel "$kver" "$work/disk.img" >"$work/setup.log" 2>&1 ||
	{ sed 's/^/# /' "$work/setup.log"; tap_fail "boot disk is built"; tap_done; exit; }
# Root's kernel and initramfs (here the harness's own, so the guest runs).
gpt_part "$work/disk.img" fw_a
for f in vmlinuz initrd.img; do
	debugfs -R "dump /$f $work/$f" "$work/disk.img?offset=$((gpt_start * 512))" 2>/dev/null
done
python3 "$here/mkiso.py" "$work/root.iso" vmlinuz="$work/vmlinuz" initrd.img="$work/initrd.img"
# A release the vendor signed for the component, longer than the ISO.
len=$(( ($(stat -c %s "$work/root.iso") >> 20) + 3 ))
head -c $((len << 20)) /dev/urandom >"$work/release.img"
"$build/bin/updatectl" bundle create --image "$work/release.img" --component firmware \
	--device-class fwguard-test --security-version 1 --key "$build/pki/signer.key" \
	--cert "$build/pki/signer.crt" --output "$work/bundle.fwb" >/dev/null
"$top/tests/vm/run" --kernel "$kver" --boot grub --disk "$work/disk.img" --out "$work" \
	--timeout 900 -- "$here/aborted_session_iso_boots_grub.sh" guest1 "$work" >"$work/boot1.log" 2>&1
sed 's/^/# /' "$work/policy" "$work/session.log" "$work/dmesg" 2>/dev/null
tap_check "boot 1 through GRUB ran slot a with the policy locked" \
	sh -c "grep -qw fwguard.slot=a '$work/cmdline1' && grep -qx 'locked 1' '$work/policy'"
tap_check "the uncommitted session left fw_b's head zero" grep -qx zero "$work/head"
"$top/tests/vm/grubenv" "$work/disk.img" set "fwg_order=b a"
"$top/tests/vm/run" --kernel "$kver" --boot grub --disk "$work/disk.img" --out "$work" \
	--timeout 900 -- "$here/aborted_session_iso_boots_grub.sh" guest2 "$work" >"$work/boot2.log" 2>&1
echo "# boot 2: harness exit $?; $(grep -ao 'fwguard: [a-z ]*slot b[^\r]*' "$work/boot2.log" | head -n 2 | tr '\n' ';')"
echo "# boot 2 cmdline: $(cat "$work/cmdline2" 2>/dev/null)"
tap_check "boot 2 came up" test -s "$work/cmdline2"
if grep -qw fwguard.slot=b "$work/cmdline2" 2>/dev/null; then
	tap_fail "GRUB never boots fw_b, where no ticket committed an image" \
		"GRUB booted fw_b: root's ISO 9660 behind a zero head"
else
	tap_ok "GRUB never boots fw_b, where no ticket committed an image"
fi
tap_done
