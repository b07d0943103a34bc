#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Root cannot make boot-verify believe a slot that did not boot by
# lengthening the kernel command line.
#
# boot-verify takes the booted slot from the one fwguard.slot= word on
# /proc/cmdline. fwg_args is in the root-writable environment block and
# GRUB expands it unquoted, so a word like (hd0,gpt4)/* is globbed over the
# bootenv filesystem (root's files too). With long file names there the
# line outgrows the kernel's limit (2048 bytes on x86) and GRUB drops the
# trailing arguments. When GRUB put its own fwguard.slot=a after fwg_args,
# only root's fwguard.slot=b (earlier in fwg_args) reached the kernel, and
# boot-verify verified fw_b (v3) while fw_a's v2 ran: mark-good confirmed
# it and raised the floor to 3. GRUB now puts its slot word first, so it
# always reaches the kernel and root's word makes two, which is refused.
#
#   boot 1 (factory)  a adopted at version 2, a signed v3 installed into b
#                     (trial b). Root: long file names on bootenv, order
#                     "a b" in the environment.
#   boot 2            root's fwg_args end with "fwguard.slot=b (hd0,gpt4)/*".
#                     GRUB boots slot a (v2); boot-verify must not verify
#                     fw_b, mark-good must not confirm it, the floor stays 2.
scenario=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

# ---- guest side -------------------------------------------------------------
boot1_factory_attack() {
	local i name
	e2e_bootenv_up || return 1
	step tpm-provision updatectl tpm provision
	step boot-verify updatectl boot-verify
	security_up
	step adopt updatectl adopt bootfw fw_a --version 2
	step install-v3 updatectl install "$work/srv/v3.fwb"
	# Root: file names GRUB's glob turns into 2 KiB of kernel arguments
	# (each with a '.', so the kernel does not hand them to init), and the
	# old slot first in the order.
	name=$(printf 'x.%0230d' 0)
	for i in 1 2 3 4 5 6 7 8 9; do
		: >"/run/bootenv/$name$i" || return 1
	done
	step order-a grub-editenv /run/bootenv/grubenv set "fwg_order=a b"
	umount /run/bootenv
}

boot2_spoofed() {
	e2e_bootenv_up || return 1
	step boot-verify updatectl boot-verify --json
	security_up
	step mark-good updatectl mark-good --json
	step floor updatectl tpm floor
	umount /run/bootenv
}

# ---- host side --------------------------------------------------------------
main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/e2e/lib.sh"
	e2e_host grub-slot-spoof

	tap_plan 8
	e2e_grub_device 3

	e2e_grub_boot 1 boot1_factory_attack; boot_ran 1 $?
	expect 1 adopt ok "factory: slot a adopted at version 2"
	expect 1 install-v3 ok "v3 installed into fw_b (trial b)" "into slot fw_b"

	e2e_grub_boot 2 boot2_spoofed --append "fwguard.slot=b (hd0,gpt4)/*"; boot_ran 2 $?
	if grep -aq "fwguard: booting slot a" "$work/boots/2/console.log"; then
		tap_ok "GRUB boots slot a (order a b)"
	else
		tap_fail "GRUB boots slot a (order a b)"
	fi
	read -ra words <"$work/boots/2/cmdline" 2>/dev/null
	if [ "${words[1]:-}" = fwguard.slot=a ] && [ "${#words[@]}" -gt 10 ]; then
		tap_ok "GRUB's fwguard.slot=a is the kernel's first argument, whatever fwg_args holds"
	else
		tap_fail "GRUB's fwguard.slot=a is the kernel's first argument, whatever fwg_args holds" \
			"cmdline: $(cut -c1-300 "$work/boots/2/cmdline" 2>/dev/null || echo none)"
	fi
	# The promises.
	json_is 2 boot-verify "boot-verify does not report fw_b verified while slot a runs" \
		"not any(c['slot'] == 'fw_b' and c['verified'] for c in j.get('components', []))"
	json_is 2 mark-good "mark-good does not confirm fw_b, which did not boot" \
		"not any(c['slot'] == 'fw_b' and c['marked_good'] for c in j.get('components', []))"
	floor=$(tail -n 1 "$work/boots/2/floor.out" 2>/dev/null)
	if [ "$floor" = 2 ]; then
		tap_ok "the floor stays at 2, the version of the image that runs"
	else
		tap_fail "the floor stays at 2, the version of the image that runs" "floor $floor"
	fi
	json_is 2 boot-verify "... whatever boot-verify says names the slot GRUB booted" \
		"all(c['slot'] == 'fw_a' for c in j.get('components', []) if c.get('verified'))"
	tap_done
}

[ -n "${E2E_DEVICE:-}" ] || main "$@"
