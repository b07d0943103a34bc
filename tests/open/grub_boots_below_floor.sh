#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Open finding: a slot left below the version floor keeps a loadable image,
# and the root-writable GRUB environment decides whether GRUB boots it.
# When mark-good confirms b at version 3 the floor rises to 3 and a (version
# 2) is marked bad in the environment only; its bytes stay a bootable
# release. Root sets fwg_order=a b and fwg_a_ok=1, and the next boot runs
# the superseded release's kernel and initramfs: a downgrade to whatever
# that release got wrong. boot-verify, in the booted image, refuses a
# afterwards (P2 as STATE.md states it holds), but by then the old
# release runs, and it is its own boot-verify that would have to say so.
# Three GRUB boots on one disk and one swtpm:
#
#   boot 1 (factory)  a adopted at version 2; v3 installed into b (trial)
#   boot 2            b on trial, verified, mark-good: floor 3; root edits
#                     the environment back to a first, a ok
#   boot 3            GRUB boots a, below the floor
#
# The check of boot 3 fails until nothing below the floor is bootable
# whatever the environment says (e.g. the kernel invalidates a slot's head
# when the floor passes its version, or the bootloader checks the floor).
scenario=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

# ---- guest side -------------------------------------------------------------
boot1_factory() {
	e2e_bootenv_up || return 1
	step tpm-provision updatectl tpm provision
	step boot-verify updatectl boot-verify
	security_up
	step adopt updatectl adopt bootfw fw_a --version 2
	step install-v3 updatectl install "$work/srv/v3.fwb"
	umount /run/bootenv
}

boot2_confirm_then_edit_env() {
	e2e_bootenv_up || return 1
	step boot-verify updatectl boot-verify
	security_up
	step mark-good updatectl mark-good
	step status updatectl status --json
	step edit-env grub-editenv /run/bootenv/grubenv set "fwg_order=a b" fwg_a_ok=1 fwg_a_left=
	umount /run/bootenv
}

boot3_verify() {
	e2e_bootenv_up || return 1
	step boot-verify updatectl boot-verify
	umount /run/bootenv
}

# ---- host side --------------------------------------------------------------
main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/e2e/lib.sh"
	e2e_host below-floor

	tap_plan 6
	e2e_grub_device 3

	e2e_grub_boot 1 boot1_factory; boot_ran 1 $?
	expect 1 install-v3 ok "factory: a adopted at version 2, v3 installed into fw_b" "into slot fw_b"

	e2e_grub_boot 2 boot2_confirm_then_edit_env; boot_ran 2 $?
	expect 2 mark-good ok "b confirmed at version 3"
	json_is 2 status "the floor is 3, above a's version 2" "j['floor'] == 3"
	expect 2 edit-env 0 "root edits the GRUB environment: a first and ok"

	e2e_grub_boot 3 boot3_verify; boot_ran 3 $?
	if grep -qw "fwguard.slot=a" "$work/boots/3/cmdline" 2>/dev/null; then
		tap_fail "GRUB never boots slot a, below the floor" \
			"GRUB booted a (version 2, floor 3): $(grep -ao 'fwguard: [a-z ]*slot a[^\r]*' "$work/boots/3/console.log" | head -n 1)"
	else
		tap_ok "GRUB never boots slot a, below the floor"
	fi
	expect 3 boot-verify fallback "... and boot-verify in whatever booted refuses a" "below the version floor"
	tap_done
}

[ -n "${E2E_DEVICE:-}" ] || main "$@"
