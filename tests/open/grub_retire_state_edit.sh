#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Open finding: whether a superseded slot is retired is decided from the
# root-writable slot state S (userspace/lib/retire.c retire_superseded():
# nothing is asked of the kernel unless S says the other slot is valid and
# below the floor). Root marks the superseded slot invalid in S
# (`slot0.valid=0`) during b's trial boot, before mark-good: mark-good
# raises the floor to 3, confirms b, reports success and never asks
# fwguard.ko to retire a; the next policy load reads the same S. a keeps
# its image, and root's `fwg_order=a b fwg_a_ok=1` makes GRUB boot the
# release below the floor. Three GRUB boots on one disk and one swtpm:
#
#   boot 1 (factory)  a adopted at version 2; v3 installed into b (trial)
#   boot 2            b on trial, verified; root edits S: slot a invalid;
#                     mark-good: floor 3, a should be retired; root edits
#                     the environment back to a first, a ok
#   boot 3            GRUB must not load a (version 2, below the floor)
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

boot2_edit_state_confirm_then_edit_env() {
	e2e_bootenv_up || return 1
	step boot-verify updatectl boot-verify
	security_up
	# Root: the superseded slot (a, slot0) "invalid" in the slot state.
	step edit-state sed -i 's/^slot0.valid=1$/slot0.valid=0/' /var/lib/fwguard/slots/bootfw
	cp /var/lib/fwguard/slots/bootfw "$out/state-edited"
	step mark-good updatectl mark-good
	step status updatectl status --json
	dmesg | grep 'fwguard: .*retir' >"$out/retire.log"
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
	e2e_host retire-state

	tap_plan 10
	e2e_grub_device 3

	e2e_grub_boot 1 boot1_factory; boot_ran 1 $?
	expect 1 install-v3 ok "factory: a adopted at version 2, v3 installed into fw_b" "into slot fw_b"

	e2e_grub_boot 2 boot2_edit_state_confirm_then_edit_env; boot_ran 2 $?
	expect 2 edit-state 0 "root marks a invalid in the slot state"
	expect 2 mark-good ok "b confirmed at version 3"
	json_is 2 status "the floor is 3, above a's version 2" "j['floor'] == 3"
	expect 2 edit-env 0 "root edits the GRUB environment: a first and ok"

	if grep -q "slot vda1 (component bootfw) retired" "$work/boots/2/retire.log"; then
		tap_ok "the kernel retired a when the floor passed it"
	else
		tap_fail "the kernel retired a when the floor passed it" \
			"$(grep -h 'not retired' "$work/boots/2/mark-good.out" | head -n 1)"
	fi

	e2e_grub_boot 3 boot3_verify; boot_ran 3 $?
	if grep -qw "fwguard.slot=a" "$work/boots/3/cmdline" 2>/dev/null; then
		tap_fail "GRUB never boots slot a, below the floor" \
			"GRUB booted a (version 2, floor 3): $(grep -ao 'fwguard: [a-z ]*slot a[^\r]*' "$work/boots/3/console.log" | head -n 1)"
	else
		tap_ok "GRUB never boots slot a, below the floor"
	fi
	console 3 "fwguard: slot a: cannot load its kernel" "GRUB finds no loadable image in slot a"
	booted 3 b "... and falls through to b"
	expect 3 boot-verify ok "b, at the floor, verifies"
	tap_done
}

[ -n "${E2E_DEVICE:-}" ] || main "$@"
