#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fixed finding, kept here as the long (GRUB) reproducer; the fast test is
# tests/host/policy_bootloader.sh (policy.conf's bootloader line, which
# e2e_policy_conf writes for GRUB scenarios). The boot loader was not
# protected. On the GRUB disk of
# tests/vm/mkbootdisk (the README's working example of a device), GRUB's
# core.img, with the grub.cfg that chooses the slot built into it, lives in
# the BIOS boot partition (gpt5, sectors 34-2047), which no policy covered:
# only the slots and the GPT areas (sectors 0-33 and the backup) were
# protected. Root writes a core.img of its own while the policy is locked;
# from the next boot on GRUB obeys root's grub.cfg, not the device's: here
# it boots slot a's kernel (version 2, below the floor 3) and tells it
# fwguard.slot=b, so boot-verify measures b and reports a verified slot at
# the floor while the superseded release runs. Any kernel argument is
# root's the same way (the README forbids taking them from the
# environment block, but the grub.cfg itself is root's to replace).
#
#   boot 1 (factory)  a adopted at version 2; v3 installed into b (trial)
#   boot 2            b on trial, verified, mark-good: floor 3; root
#                     writes its core.img into gpt5
#   boot 3            root's GRUB boots fw_a's kernel as "b"
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

boot2_confirm_then_write_loader() {
	e2e_bootenv_up || return 1
	step boot-verify updatectl boot-verify
	security_up
	step mark-good updatectl mark-good
	step status updatectl status --json
	step policy cat /sys/class/misc/fwguard/policy
	step write-loader dd if="$work/root-core.img" of=/dev/vda5 bs=512 oflag=direct,sync status=none
	umount /run/bootenv
}

boot3_verify() {
	e2e_bootenv_up || return 1
	step boot-verify updatectl boot-verify
	step status updatectl status --json
	umount /run/bootenv
}

# ---- host side --------------------------------------------------------------
boot() { # NUMBER FUNCTION
	e2e_boot "$1" "$scenario" "$2" -- --boot grub --timeout 600
}

# Root's core.img: as tests/vm/mkbootdisk builds it, with root's grub.cfg.
root_core() {
	local tmp=$work/root-loader grubdir=/usr/lib/grub/i386-pc
	mkdir -p "$tmp/md"
	cat >"$tmp/md/grub.cfg" <<'CFG'
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
load_env -f (hd0,gpt4)/grubenv fwg_args
echo "fwguard-root-loader: fw_a as b"
linux (hd0,gpt1)/vmlinuz fwguard.slot=b $fwg_args
initrd (hd0,gpt1)/initrd.img
boot
CFG
	tar -C "$tmp/md" -cf "$tmp/memdisk.tar" grub.cfg &&
	grub-mkimage -O i386-pc -d "$grubdir" -o "$work/root-core.img" -m "$tmp/memdisk.tar" \
		-p '(memdisk)' biosdisk part_gpt ext2 memdisk tar linux normal loadenv test \
		serial terminal echo &&
	# diskboot's blocklist: the rest of core.img from sector 35 on.
	printf '\x23\x00\x00\x00\x00\x00\x00\x00' |
		dd of="$work/root-core.img" bs=1 seek=$((0x1f4)) conv=notrunc status=none
}

main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/e2e/lib.sh"
	e2e_host loader-writable

	tap_plan 7
	if ! e2e_slot_bundle 3 >"$work/setup.log" 2>&1 ||
		! "$top/tests/vm/mkbootdisk" --kernel "$kver" "$work/disk.img" >>"$work/setup.log" 2>&1 ||
		! root_core >>"$work/setup.log" 2>&1; then
		sed 's/^/# /' "$work/setup.log"
		tap_fail "boot disk, signed slot image and root's core.img are built"
		tap_done; exit
	fi
	e2e_grub_conf >"$work/etc/updatectl.conf"
	e2e_policy_conf "$work/etc/policy.conf"
	e2e_install_module

	boot 1 boot1_factory; boot_ran 1 $?
	expect 1 install-v3 ok "factory: a adopted at version 2, v3 installed into fw_b" "into slot fw_b"

	boot 2 boot2_confirm_then_write_loader; boot_ran 2 $?
	expect 2 mark-good ok "b confirmed at version 3"
	json_is 2 status "the floor is 3, above a's version 2" "j['floor'] == 3"
	if [ "$(cat "$work/boots/2/write-loader.rc" 2>/dev/null)" = 0 ]; then
		tap_fail "root cannot replace the boot loader while the policy is locked" \
			"dd into gpt5 (bios_boot, core.img and its grub.cfg) succeeded"
		sed 's/^/#   /' "$work/boots/2/policy.out" | grep -E '^#   (range|gpt) '
	else
		tap_ok "root cannot replace the boot loader while the policy is locked"
	fi

	boot 3 boot3_verify; boot_ran 3 $?
	if grep -aq "fwguard-root-loader" "$work/boots/3/console.log" 2>/dev/null; then
		tap_fail "GRUB runs the device's grub.cfg, not root's" \
			"$(grep -ao 'fwguard-root-loader[^\r]*' "$work/boots/3/console.log" | head -n 1)"
	else
		tap_ok "GRUB runs the device's grub.cfg, not root's"
	fi
	if grep -aq "fwguard-root-loader" "$work/boots/3/console.log" 2>/dev/null &&
		[ "$(cat "$work/boots/3/boot-verify.rc" 2>/dev/null)" = "$(uc_exit ok)" ]; then
		tap_fail "boot-verify reports no verified slot while fw_a (below the floor) runs" \
			"boot-verify exited ok: $(head -c 200 "$work/boots/3/boot-verify.out" | tr '\n' ' ')"
	else
		tap_ok "boot-verify reports no verified slot while fw_a (below the floor) runs"
	fi
	# fw_b active and good is the truth only when fw_b's own kernel runs
	# (GRUB names the kernel it loaded in BOOT_IMAGE).
	b_good="any(s['name'] == 'fw_b' and s['role'] == 'active' and s['good'] for c in j['components'] for s in c['slots'])"
	if grep -q 'BOOT_IMAGE=(hd0,gpt2)/' "$work/boots/3/cmdline" 2>/dev/null &&
		! grep -aq "fwguard-root-loader" "$work/boots/3/console.log" 2>/dev/null; then
		json_is 3 status "... and status reports fw_b active and good, fw_b's kernel running" "$b_good"
	else
		json_is 3 status "... and status does not report fw_b active and good while fw_a runs" \
			"not $b_good"
	fi
	tap_done
}

[ -n "${E2E_DEVICE:-}" ] || main "$@"
