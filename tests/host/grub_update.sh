#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The whole update path through real GRUB boots (tests/vm/run --boot grub):
# one tests/vm/mkbootdisk disk and one swtpm state across every boot,
# updatectl configured with `bootloader = grub` on the environment block
# GRUB itself reads (bootenv, /dev/vda4, mounted at /run/bootenv). Each
# boot's steps run in the guest (tests/e2e/device runs the function); the
# host then checks what updatectl said and exited with, what GRUB put on
# /proc/cmdline and what the environment block on the disk holds.
#
#   boot 1 (factory)  GRUB boots a; TPM provisioned, a adopted (b given up
#                     in the env), raw write refused, a signed slot image
#                     installed into b through the kernel gate: env trial b
#   boot 2            GRUB counts b's trial down and boots it; boot-verify
#                     verifies b from fwguard.slot=b; mark-good confirms it
#   boot 3            b boots confirmed, uncounted, and verifies
#   (host)            one byte of b changed on the disk image
#   boot 4            GRUB boots b; boot-verify fails, marks b bad in the env
#   boot 5            GRUB skips b, boots a, which verifies; a new update
#                     into b, a trial of one try (boot 2 counted two down)
#   boot 6            b's trial boots on its last try, verifies, never
#                     reaches mark-good
#   boot 7            b has no tries left: GRUB boots a; boot-verify says the
#                     trial was abandoned (exit 8) and verifies a
scenario=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

# ---- guest side -------------------------------------------------------------
bootenv_down() {
	step bootloader-status updatectl bootloader status
	umount /run/bootenv
}

boot1_factory() {
	e2e_bootenv_up || return 1
	step tpm-provision updatectl tpm provision
	step boot-verify updatectl boot-verify
	security_up
	step adopt-other updatectl adopt bootfw fw_b --version 2
	step adopt updatectl adopt bootfw fw_a --version 2
	step bootloader-adopted updatectl bootloader status
	step dd-partition dd if=/dev/zero of=/dev/vda2 bs=4096 count=1 oflag=direct conv=notrunc
	step install-v2 updatectl install "$work/srv/v2.fwb"
	bootenv_down
}

# boot-verify, policy load, the health check (none here), mark-good.
boot_verify_confirm() {
	e2e_bootenv_up || return 1
	step boot-verify updatectl boot-verify --json
	security_up
	step mark-good updatectl mark-good --json
	bootenv_down
}

boot_verify_only() {
	e2e_bootenv_up || return 1
	step boot-verify updatectl boot-verify
	bootenv_down
}

boot5_verify_install() {
	e2e_bootenv_up || return 1
	step boot-verify updatectl boot-verify
	security_up
	step mark-good updatectl mark-good
	step install-v3 updatectl install --config "$work/etc/one-try.conf" "$work/srv/v3.fwb"
	bootenv_down
}

# The trial is never confirmed: boot-verify runs, mark-good never does.
boot_trial_no_confirm() {
	e2e_bootenv_up || return 1
	step boot-verify updatectl boot-verify --json
	bootenv_down
}

boot7_abandoned() {
	e2e_bootenv_up || return 1
	step boot-verify updatectl boot-verify
	step boot-verify-again updatectl boot-verify
	step status updatectl status --json
	bootenv_down
}

# ---- host side --------------------------------------------------------------
# Two updates, each a bootable slot image (mkslot: the guest kernel and the
# harness's initramfs), signed with the test PKI's signer. The factory image
# is adopted at version 2 and the first update is version 2 too: confirming
# it leaves the floor at 2, so slot a stays a legitimate fallback.
vendor_bundles() {
	local v
	for v in 2 3; do
		e2e_slot_bundle "$v" || return 1
	done
}

# slot_holds PARTNUM IMAGE: the partition starts with IMAGE's bytes.
slot_holds() {
	local start
	start=$(sgdisk -i "$1" "$work/disk.img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
	cmp -s -n "$(stat -c %s "$2")" "$2" <(dd if="$work/disk.img" bs=512 skip="$start" \
		count=$(( ($(stat -c %s "$2") + 511) / 512 )) status=none)
}

boot() { # NUMBER FUNCTION
	e2e_boot "$1" "$scenario" "$2" -- --boot grub --timeout "${E2E_TIMEOUT:-600}"
}

main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/e2e/lib.sh"
	e2e_host grub-update

	tap_plan 36
	if ! vendor_bundles >"$work/setup.log" 2>&1 ||
		! "$top/tests/vm/mkbootdisk" --kernel "$kver" "$work/disk.img" >>"$work/setup.log" 2>&1; then
		sed 's/^/# /' "$work/setup.log"
		tap_fail "boot disk and signed slot images are built"
		tap_done; exit
	fi
	e2e_grub_conf >"$work/etc/updatectl.conf"
	sed 's/^boot_tries = .*/boot_tries = 1/' "$work/etc/updatectl.conf" >"$work/etc/one-try.conf"
	e2e_policy_conf "$work/etc/policy.conf"
	e2e_install_module

	boot 1 boot1_factory; boot_ran 1 $?
	booted 1 a "factory: GRUB boots slot a (fwguard.slot=a)"
	expect 1 boot-verify ok "factory: boot-verify reports the factory state" "factory state"
	expect 1 adopt-other usage "factory: adopting fw_b while GRUB booted a is refused" \
		"adopt the running slot"
	expect 1 adopt ok "factory: slot a adopted as the good slot" "adopted as the good slot"
	expect 1 bootloader-adopted ok "adoption gives slot b up in the env (order a b, b bad)" \
		"order: a b"
	expect 1 bootloader-adopted ok "... slot a confirmed, b bad" "slot b: bad"
	expect 1 dd-partition 1 "raw dd to fw_b is refused (dd exits 1)" "Operation not permitted"
	expect 1 install-v2 ok "signed update installed through the kernel gate into fw_b" \
		"into slot fw_b"
	env_is "install set the GRUB trial: order b a, b ok with 2 tries, a confirmed" \
		"fwg_order=b a" fwg_b_ok=1 fwg_b_left=2 fwg_a_ok=1 fwg_a_left=

	boot 2 boot_verify_confirm; boot_ran 2 $?
	booted 2 b "reboot: GRUB boots the trial slot b (fwguard.slot=b)"
	console 2 "fwguard: slot b: trial boot, 1 left after this one" "... counting the trial down"
	expect 2 boot-verify ok "boot-verify verifies b from the bootloader's word"
	json_is 2 boot-verify "... reported as fw_b, verified, on trial" \
		"j['components'][0]['slot'] == 'fw_b' and j['components'][0]['verified'] and j['components'][0]['trial']"
	expect 2 mark-good ok "mark-good confirms b"
	env_is "mark-good: env order b a, no counter left" "fwg_order=b a" fwg_b_ok=1 \
		fwg_b_left= fwg_a_left=
	tap_check "fw_b holds the update's bytes" slot_holds 2 "$work/v2.img"

	boot 3 boot_verify_only; boot_ran 3 $?
	booted 3 b "reboot: GRUB boots b again"
	if grep -aq "trial boot" "$work/boots/3/console.log"; then
		tap_fail "... confirmed: GRUB counts nothing"; else tap_ok "... confirmed: GRUB counts nothing"; fi
	expect 3 boot-verify ok "boot-verify verifies the confirmed b" "fw_b verified \(version 2\)$"
	env_is "env unchanged: order b a, no counter" "fwg_order=b a" fwg_b_left= fwg_a_left=

	# The attacker with the disk: a byte inside the image that GRUB does not
	# read (the slot filesystem's free last block), so GRUB still boots it.
	e2e_tamper "$work/disk.img" 2 $(( $(stat -c %s "$work/v2.img") - 1 ))
	boot 4 boot_verify_only; boot_ran 4 $?
	booted 4 b "tampered b: GRUB still boots it"
	expect 4 boot-verify fallback "boot-verify catches the tampered b and falls back" \
		"falling back to slot fw_a"
	env_is "b is marked bad in the env, a first and confirmed" "fwg_order=a b" fwg_b_ok=0 \
		fwg_a_ok=1 fwg_a_left=

	boot 5 boot5_verify_install; boot_ran 5 $?
	booted 5 a "next boot: GRUB takes slot a"
	expect 5 boot-verify ok "boot-verify verifies a" "fw_a verified"
	expect 5 install-v3 ok "a second update into fw_b" "into slot fw_b"
	env_is "... trial b with 1 try (boot_tries of its configuration)" "fwg_order=b a" \
		fwg_b_ok=1 fwg_b_left=1

	boot 6 boot_trial_no_confirm; boot_ran 6 $?
	booted 6 b "trial b boots on its last try"
	json_is 6 boot-verify "... verifies on trial; the device never reaches mark-good" \
		"j['components'][0]['slot'] == 'fw_b' and j['components'][0]['trial']"
	json_is 6 boot-verify "... on the last try still on trial, not confirmed" \
		"j['components'][0]['trial'] and not j['components'][0]['fell_back']"
	env_is "b's tries have run out" fwg_b_left=0

	boot 7 boot7_abandoned; boot_ran 7 $?
	booted 7 a "tries exhausted: GRUB falls through to the last good slot a"
	console 7 "fwguard: slot b has no trial boots left" "... saying b has no trial boots left"
	expect 7 boot-verify fallback "boot-verify reports the abandoned trial, back to a" \
		"trial of slot fw_b was never confirmed; back to slot fw_a"
	expect 7 boot-verify-again ok "... and a verifies" "fw_a verified"
	json_is 7 status "a is the active slot" \
		"j['components'][0]['slots'][0]['name'] == 'fw_a' and j['components'][0]['slots'][0]['role'] == 'active'"
	tap_done
}

[ -n "${E2E_DEVICE:-}" ] || main "$@"
