#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fixed finding, kept here as the long (GRUB) reproducer; the fast test is
# tests/host/policy_load_failclosed.sh. While a trial slot ran, the last
# good slot (the one the bootloader falls back to) was not protected as
# active, so root opened a kernel session on it with any ticket of the
# component at or above the floor (the trial's own ticket, replayed: the
# kernel forgets consumed ids at reboot) and closed it without COMMIT.
# BEGIN has zeroed the slot's
# head, the session wrote root's bytes into its body, and the abort keeps
# them. updatectl refuses such an install (STATE.md: install never writes
# the last good slot), but the kernel does not, and root calls the ioctl
# itself. Three GRUB boots on one disk and one swtpm:
#
#   boot 1 (factory)  a adopted at version 2; v3 installed into b (trial)
#   boot 2            GRUB boots b on trial; boot-verify, policy load (only
#                     b is marked active); root replays v3's ticket in
#                     FWGUARD_IOC_BEGIN on fw_a, writes 1 MiB and closes;
#                     then marks b bad in the GRUB environment, as root may
#   boot 3            GRUB skips b and falls back to a, which cannot load
#
# The checks failed until policy load protected both slots as active while
# an update is pending or on trial (the kernel refuses BEGIN on an active
# slot).
scenario=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

# ---- guest side -------------------------------------------------------------
# begin_abort BUNDLE PART: BEGIN with the bundle's ticket on PART, write
# the head and 1 MiB of 0x41 (one staging buffer, which the kernel then
# writes to the slot's body) into the session, close without COMMIT.
begin_abort() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import fcntl, os, struct, sys, ctypes
bundle, part = sys.argv[1], sys.argv[2]
with open(bundle, "rb") as f:
    hdr = f.read(48)
    cms = f.read(struct.unpack_from("<I", hdr, 8)[0])
st = os.stat(part)
buf = ctypes.create_string_buffer(cms, len(cms))
arg = struct.pack("<IIIIQII", 32, 0, os.major(st.st_rdev), os.minor(st.st_rdev),
                  ctypes.addressof(buf), len(cms), 0)
IOC_BEGIN = (1 << 30) | (32 << 16) | (0xF9 << 8) | 3
ctl = os.open("/dev/fwguard", os.O_RDWR)
try:
    fd = fcntl.ioctl(ctl, IOC_BEGIN, bytearray(arg))
except OSError as e:
    print("BEGIN on %s refused: %s" % (part, e)); sys.exit(1)
print("BEGIN on %s: session fd %d" % (part, fd))
print("wrote %d bytes" % os.write(fd, b"A" * (4096 + 1048576)))
os.close(fd)
print("closed without COMMIT")
PY
}

boot1_factory() {
	e2e_bootenv_up || return 1
	step tpm-provision updatectl tpm provision
	step boot-verify updatectl boot-verify
	security_up
	step adopt updatectl adopt bootfw fw_a --version 2
	step install-v3 updatectl install "$work/srv/v3.fwb"
	umount /run/bootenv
}

boot2_trial_attack() {
	e2e_bootenv_up || return 1
	step boot-verify updatectl boot-verify --json
	security_up
	step status updatectl status --json
	step attack begin_abort "$work/srv/v3.fwb" /dev/vda1
	sync
	step mark-b-bad grub-editenv /run/bootenv/grubenv set fwg_b_ok=0
	umount /run/bootenv
}

boot3_fallback() {
	e2e_bootenv_up || return 1
	step boot-verify updatectl boot-verify
	umount /run/bootenv
}

# ---- host side --------------------------------------------------------------
# part_bytes PARTNUM: the first 4 MiB of partition PARTNUM of the disk image.
part_bytes() {
	local start
	start=$(sgdisk -i "$1" "$work/disk.img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
	dd if="$work/disk.img" bs=512 skip="$start" count=8192 status=none
}

main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/e2e/lib.sh"
	e2e_host trial-fallback

	tap_plan 7
	e2e_grub_device 3
	part_bytes 1 >"$work/fw_a.before"

	e2e_grub_boot 1 boot1_factory; boot_ran 1 $?
	expect 1 install-v3 ok "factory: a adopted, v3 installed into fw_b" "into slot fw_b"

	e2e_grub_boot 2 boot2_trial_attack; boot_ran 2 $?
	booted 2 b "GRUB boots b on trial"
	json_is 2 status "fw_a is the last good (active) slot, fw_b on trial" \
		"j['components'][0]['slots'][0]['role'] == 'active'"
	expect 2 attack 1 "a session on the last good slot fw_a during b's trial is refused" \
		"refused"
	if part_bytes 1 | cmp -s - "$work/fw_a.before"; then
		tap_ok "fw_a still holds the last good image"
	else
		tap_fail "fw_a still holds the last good image" \
			"$(part_bytes 1 | head -c 4096 | tr -d '\0' | wc -c) non-zero bytes left in its first 4096; $(part_bytes 1 | tail -c +4097 | head -c 1048576 | tr -cd A | wc -c) of the next 1048576 are root's 0x41"
	fi

	e2e_grub_boot 3 boot3_fallback; rc=$?
	if [ "$rc" -eq 123 ]; then
		tap_fail "boot 3 after b was marked bad: GRUB boots the last good slot a" \
			"no bootable slot: GRUB halted (harness exit 123)"
	else
		boot_ran 3 $rc
		booted 3 a "boot 3 after b was marked bad: GRUB boots the last good slot a"
	fi
	expect 3 boot-verify fallback "... and a verifies (exit 8: the abandoned trial is reported)" "fw_a verified"
	tap_done
}

[ -n "${E2E_DEVICE:-}" ] || main "$@"
