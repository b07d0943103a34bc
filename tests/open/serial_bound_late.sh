#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Open finding (kmod/README.md "Identity"; DESIGN.md §4 "optional device
# serial binding"): the identity is "set once", but an empty serial does
# not count as set. On a device whose locked policy names a device class
# and no serial (the e2e devices, any device without a serial in its
# module options), root sets the serial of another device with
# FWGUARD_IOC_POLICY at any time, and the kernel then accepts a ticket the
# vendor bound to that other device: here a signed image for serial
# OTHER-0002 is written into this device's fw_b. The device class has the
# same flaw where the options name none. One guest.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-$top/build}
pki=$build/pki

if [ "${1:-}" = --guest ]; then
	res=$2 bundle=$3
	insmod "$build/kmod/$(uname -r)/fwguard.ko" keyring_mode=provision \
		device_class=fwguard-test protect=firmware:vda:fw_a:active,firmware:vda:fw_b ||
		{ echo "insmod failed" >"$res/error"; exit 0; }
	"$build/bin/updatectl" keys add "$pki/signer.der" >/dev/null &&
		"$build/bin/updatectl" keys seal >/dev/null ||
		{ echo "keys failed" >"$res/error"; exit 0; }
	grep -E '^(locked|serial|device_class) ' /sys/class/misc/fwguard/policy >"$res/policy"
	python3 - "$res" "$(cat /sys/class/block/vda2/dev)" "$bundle" <<'PY'
import ctypes, errno, fcntl, hashlib, os, struct, sys
res, dev = sys.argv[1], sys.argv[2]
major, minor = map(int, dev.split(":"))
b = open(sys.argv[3], "rb").read()
cms_len, image_len = struct.unpack_from("<I", b, 8)[0], struct.unpack_from("<Q", b, 16)[0]
ticket, image = b[48:48 + cms_len], b[48 + cms_len:48 + cms_len + image_len]
def ior(d, nr, size): return (d << 30) | (size << 16) | (0xF9 << 8) | nr
POLICY, BEGIN, COMMIT = ior(1, 2, 144), ior(1, 3, 32), ior(3, 4, 72)
ctl = os.open("/dev/fwguard", os.O_RDWR)
tbuf = ctypes.create_string_buffer(ticket, len(ticket))
def begin():
    # A mutable buffer: then ioctl() returns the call's value, the fd.
    arg = bytearray(struct.pack("<IIIIQII", 32, 0, major, minor, ctypes.addressof(tbuf), len(ticket), 0))
    try:
        return fcntl.ioctl(ctl, BEGIN, arg), 0
    except OSError as e:
        return -1, e.errno
def log(name, val): open(res + "/" + name, "w").write(str(val) + "\n")
fd, err = begin()
log("begin_before", err)
if fd >= 0:
    os.close(fd)
# Root names the other device's serial; floor 0 and no device class
# leave the rest as it is.
pol = struct.pack("<IIQ64s64s", 144, 0, 0, b"", b"OTHER-0002")
try:
    fcntl.ioctl(ctl, POLICY, pol)
    log("set_serial", 0)
except OSError as e:
    log("set_serial", e.errno)
fd, err = begin()
log("begin_after", err)
if fd >= 0:
    os.write(fd, image)
    c = bytearray(struct.pack("<IIQ32sQ16s", 72, 0, 0, b"", 0, b""))
    try:
        fcntl.ioctl(fd, COMMIT, c)
        log("commit", 0)
    except OSError as e:
        log("commit", e.errno)
    os.close(fd)
with open("/dev/vda2", "rb") as f:
    on_disk = f.read(image_len)
log("slot_is_image", int(hashlib.sha256(on_disk).digest() == hashlib.sha256(image).digest()))
PY
	exit 0
fi

. "$top/tests/lib/tap.sh"
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
res=$(mktemp -d "${TMPDIR:-/tmp}/fwguard-serial.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$res"' EXIT
tap_plan 4
head -c 65536 /dev/urandom >"$res/other.img"
if ! "$build/bin/updatectl" bundle create --image "$res/other.img" --component firmware \
	--device-class fwguard-test --serial OTHER-0002 --security-version 5 \
	--key "$pki/signer.key" --cert "$pki/signer.crt" --output "$res/other.fwb" >"$res/bundle.log" 2>&1; then
	sed 's/^/# /' "$res/bundle.log"
	tap_fail "a ticket bound to serial OTHER-0002 is signed"
	tap_done; exit
fi
"$top/tests/vm/run" --kernel "$kver" --out "$res/vm" --timeout 600 -- \
	/usr/bin/env BUILD="$build" "$here/$(basename "$0")" --guest "$res/vm" "$res/other.fwb" >"$res/run.log" 2>&1
status=$?
if [ -s "$res/vm/error" ] || [ ! -e "$res/vm/begin_before" ]; then
	sed 's/^/# /' "$res/run.log" | tail -30
fi
val() { cat "$res/vm/$1" 2>/dev/null || echo missing; }
tap_check "policy locked without a serial; the bound ticket is refused (EACCES) (guest $status)" \
	test "$(val begin_before)" = 13
if [ "$(val set_serial)" = 0 ]; then
	tap_fail "root cannot set the serial once the policy is locked" "FWGUARD_IOC_POLICY set serial OTHER-0002"
else
	tap_ok "root cannot set the serial once the policy is locked"
fi
if [ "$(val begin_after)" = 0 ] && [ "$(val commit)" = 0 ]; then
	tap_fail "a ticket bound to another device's serial never opens a session here" \
		"BEGIN and COMMIT succeeded"
else
	tap_ok "a ticket bound to another device's serial never opens a session here"
fi
if [ "$(val slot_is_image)" = 1 ]; then
	tap_fail "fw_b never holds the image signed for OTHER-0002"
else
	tap_ok "fw_b never holds the image signed for OTHER-0002"
fi
tap_done
