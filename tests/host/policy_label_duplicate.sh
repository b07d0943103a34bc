#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Root cannot take a slot out of the next boot's protection by giving a
# partition on another disk the slot's PARTLABEL (or PARTUUID: root can
# copy either). The protected disk's GPT is guarded; the other disk's is
# not (a second disk of the device, a USB stick, an SD card). A spec that
# matches several partitions has every match protected read-only, and
# policy load fails naming them; a load that fails for any reason leaves
# the production module locked. Four boots on one device disk and one
# NVMe disk:
#
#   boot 1  policy load protects fw_a and fw_b; root writes a GPT with one
#           partition named fw_b on the NVMe disk (allowed: not protected)
#   boot 2  policy load: PARTLABEL=fw_b matches two partitions; both are
#           protected, the load fails naming them, root's dd into
#           /dev/vda2 is refused
#   boot 3  root names NVMe partitions fw_a and fw_b: all four protected,
#           the policy locked, rmmod refused
#   boot 4  a policy.conf that does not parse: the load fails, and the
#           module it finds loaded is locked all the same
scenario=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

# ---- guest side -------------------------------------------------------------
nvme_up() {
	local i
	modprobe nvme || return 1
	for i in $(seq 100); do [ -b /dev/nvme0n1 ] && return 0; sleep 0.2; done
	return 1
}

boot1_label() {
	nvme_up || return 1
	step policy-load updatectl policy load
	cat /sys/class/misc/fwguard/policy >"$out/policy.out"
	step label sgdisk -o -n 1:2048:+1M -c 1:fw_b /dev/nvme0n1
}

boot2_attack() {
	nvme_up || return 1
	step policy-load updatectl policy load
	cat /sys/class/misc/fwguard/policy >"$out/policy.out"
	step dd-fw_b dd if=/dev/zero of=/dev/vda2 bs=4096 count=16 oflag=direct conv=notrunc
}

boot3_both() {
	nvme_up || return 1
	step label-both sgdisk -o -n 1:2048:+1M -c 1:fw_a -n 2:0:+1M -c 2:fw_b /dev/nvme0n1
	step policy-load updatectl policy load
	cat /sys/class/misc/fwguard/policy >"$out/policy.out"
	step rmmod rmmod fwguard
}

boot4_bad_conf() {
	echo "component bootfw only_one_slot=PARTLABEL=fw_a" >/etc/fwguard/policy.conf
	modprobe fwguard || return 1
	step policy-load updatectl policy load
	cat /sys/class/misc/fwguard/policy >"$out/policy.out"
	step rmmod rmmod fwguard
}

# ---- host side --------------------------------------------------------------
# policy_has BOOT PART DESCRIPTION: the kernel's policy lists a range on PART.
policy_has() {
	if grep -qw "$2" "$work/boots/$1/policy.out" 2>/dev/null; then tap_ok "$3"; else
		tap_fail "$3" "kernel policy: $(grep -v '^bind' "$work/boots/$1/policy.out" 2>/dev/null | tr '\n' ';' | head -c 400)"
	fi
}

fw_b_bytes() {
	dd if="$work/disk.img" bs=1M skip=$((1 + 64)) count=1 status=none | sha256sum
}

boot() { # NUMBER FUNCTION
	e2e_boot "$1" "$scenario" "$2" -- --nvme "$work/nvme.img" --timeout 600
}

main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/e2e/lib.sh"
	e2e_host label-dup

	tap_plan 15
	"$top/tests/vm/mkdisk" "$work/disk.img"
	truncate -s 16M "$work/nvme.img"
	# Something to lose in fw_b (sector 2048 + 64 MiB: the second slot).
	head -c 1M /dev/urandom | dd of="$work/disk.img" bs=1M seek=$((1 + 64)) conv=notrunc status=none
	cat >"$work/etc/updatectl.conf" <<CONF
trust = $pki/root-ca.crt
device_class = infusion-pump
state_dir = /var/lib/fwguard
policy = /etc/fwguard/policy.conf
CONF
	e2e_policy_conf "$work/etc/policy.conf"
	e2e_install_module
	before=$(fw_b_bytes)

	boot 1 boot1_label; boot_ran 1 $?
	policy_has 1 vda2 "boot 1: policy load protects fw_b (vda2)"
	expect 1 label 0 "boot 1: root writes a GPT naming a partition fw_b on the NVMe disk"

	boot 2 boot2_attack; boot_ran 2 $?
	policy_has 2 vda2 "boot 2: policy load still protects fw_b (vda2)"
	policy_has 2 nvme0n1p1 "boot 2: ... and the copy of its name on the NVMe disk"
	expect 2 policy-load io "boot 2: policy load fails, naming the slot and both partitions" \
		"bootfw slot fw_b: PARTLABEL=fw_b matches 2 partitions .*(/dev/vda2.*/dev/nvme0n1p1|/dev/nvme0n1p1.*/dev/vda2)"
	expect 2 dd-fw_b 1 "boot 2: root's dd into fw_b is refused" "Operation not permitted"
	if [ "$(fw_b_bytes)" = "$before" ]; then tap_ok "fw_b's bytes are unchanged"; else
		tap_fail "fw_b's bytes are unchanged" "root's dd zeroed its first 64 KiB"; fi

	boot 3 boot3_both; boot_ran 3 $?
	expect 3 label-both 0 "boot 3: root names NVMe partitions fw_a and fw_b"
	policy_has 3 vda1 "boot 3: both slots duplicated: fw_a (vda1) protected"
	policy_has 3 vda2 "boot 3: ... fw_b (vda2) protected"
	policy_has 3 "locked 1" "boot 3: ... the policy locked"
	expect 3 rmmod 1 "boot 3: ... rmmod refused"

	boot 4 boot4_bad_conf; boot_ran 4 $?
	expect 4 policy-load usage "boot 4: a policy.conf that does not parse: policy load fails (usage)"
	policy_has 4 "locked 1" "boot 4: ... the loaded production module is locked all the same"
	expect 4 rmmod 1 "boot 4: ... rmmod refused"
	tap_done
}

[ -n "${E2E_DEVICE:-}" ] || main "$@"
