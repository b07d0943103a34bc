#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Open finding: a session that is never committed leaves every byte it
# streamed past the first 4096 in the slot; only the head is zero
# (session.c fwguard_session_invalidate(), fwguard_session_release()).
# "No reader takes the slot for an image" holds only for a filesystem
# whose superblock lies in the first 4096 bytes (ext2's at 1024). GRUB's
# iso9660 driver reads its volume descriptors at 32 KiB, btrfs at 64 KiB,
# udf and jfs further in, and Debian's signed grubx64.efi carries them
# all. Root takes any ticket of the component at or above the floor (the
# kept one in <state_dir>/slot-tickets serves), BEGINs on the inactive
# slot, streams an ISO 9660 image of its own with a /vmlinuz and
# /initrd.img of its choosing, and closes the fd: no COMMIT, the ticket
# is not even consumed, and the slot now holds a filesystem GRUB reads
# (checked here with grub-fstest, which runs GRUB's own iso9660 driver).
# RETIRE has the same blind spot: it zeroes 4096 bytes and calls a slot
# with a zero head "no image". One -kernel guest, then grub-fstest on
# the host.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-$top/build}

if [ "${1:-}" = guest ]; then
	out=$2
	insmod "$build/kmod/$(uname -r)/fwguard.ko" keyring_mode=provision production=0 \
		device_class=fwguard-test protect=firmware:vda:fw_a:active,firmware:vda:fw_b
	keyctl padd asymmetric "" %:.fwguard <"$build/pki/signer.der" >/dev/null
	keyctl restrict_keyring %:.fwguard
	grep -E '^(locked|range)' /sys/class/misc/fwguard/policy >"$out/policy"
	dd if=/dev/vda2 bs=1M count=3 status=none | sha256sum >"$out/before"
	/usr/bin/python3 - "$out" <<'PY' >"$out/session.log" 2>&1
import fcntl, os, struct, sys
out = sys.argv[1]
b = open(out + '/bundle.fwb', 'rb').read()
cms_len, image_len = struct.unpack_from('<I', b, 8)[0], struct.unpack_from('<Q', b, 16)[0]
cms = b[48:48 + cms_len]
st = os.stat('/dev/vda2')
import ctypes
buf = ctypes.create_string_buffer(cms)
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
	echo "python exit $?" >>"$out/session.log"
	if cmp -s -n 4096 /dev/vda2 /dev/zero; then echo zero; else echo nonzero; fi >"$out/head"
	dd if=/dev/vda2 bs=1M count=3 status=none | sha256sum >"$out/after"
	dmesg | grep -E 'fwguard: session' >"$out/dmesg"
	exit 0
fi

. "$top/tests/lib/tap.sh"
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
work=$(mktemp -d "$build/aborted-body.XXXXXX")
trap 'rm -rf "$work"' EXIT
tap_plan 5
"$top/tests/vm/mkdisk" "$work/vda" 8 8
# A release the vendor signed: 3 MiB, version 1 (the floor).
head -c $((3 << 20)) /dev/urandom >"$work/release.img"
"$build/bin/updatectl" bundle create --image "$work/release.img" --component firmware \
	--device-class fwguard-test --security-version 1 --key "$build/pki/signer.key" \
	--cert "$build/pki/signer.crt" --output "$work/bundle.fwb" >/dev/null
# Root's own filesystem: /vmlinuz and /initrd.img of its choosing.
echo "root's kernel" >"$work/k"
echo "root's initramfs" >"$work/i"
python3 "$here/mkiso.py" "$work/root.iso" vmlinuz="$work/k" initrd.img="$work/i"
"$top/tests/vm/run" --kernel "$kver" --disk "$work/vda" --out "$work" -- \
	"$here/aborted_session_body_boots.sh" guest "$work" >"$work/vm.log" 2>&1
tap_check "guest ran; fw_a and fw_b protected, policy locked" \
	sh -c "grep -qx 'locked 1' '$work/policy' && grep -q '^range vda2' '$work/policy'"
sed 's/^/# /' "$work/session.log" "$work/dmesg" 2>/dev/null
tap_check "the uncommitted session leaves the head of fw_b zero" \
	grep -qx zero "$work/head"
if cmp -s "$work/before" "$work/after"; then
	tap_ok "fw_b's bytes are unchanged without a committed ticket"
else
	tap_fail "fw_b's bytes are unchanged without a committed ticket" \
		"root's stream stays in fw_b after the session was closed uncommitted"
fi
# What GRUB reads in the slot (its own iso9660 driver).
start=$(sgdisk -i 2 "$work/vda" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
dd if="$work/vda" of="$work/fw_b" bs=512 skip="$start" count=$((8 << 11)) status=none
ls=$(grub-fstest "$work/fw_b" ls / 2>&1)
echo "# grub-fstest ls / on fw_b: $ls"
if echo "$ls" | grep -qw vmlinuz; then
	tap_fail "GRUB finds no filesystem in a slot whose head is zero" \
		"GRUB's iso9660 lists: $ls"
else
	tap_ok "GRUB finds no filesystem in a slot whose head is zero"
fi
k=$(grub-fstest "$work/fw_b" cat /vmlinuz 2>/dev/null)
if [ "$k" = "root's kernel" ]; then
	tap_fail "GRUB cannot load a kernel of root's from fw_b" "(fw_b)/vmlinuz: $k"
else
	tap_ok "GRUB cannot load a kernel of root's from fw_b"
fi
tap_done
