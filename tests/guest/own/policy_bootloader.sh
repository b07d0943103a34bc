#!/bin/bash
# The boot loader's partition in updatectl policy load, in a guest of its
# own (tests/host/policy_bootloader.sh): /dev/vda holds fw_a (vda1), fw_b
# (vda2), data (vda3) and GRUB's BIOS boot partition bios_boot (vda4,
# sectors 34-2047). Order matters: a failed load locks the policy, and a
# protected range stays protected until reboot.
. "$(dirname "$0")/lib.sh" plb

tap_plan 14

insmod "$build/kmod/$(uname -r)/fwguard.ko" keyring_mode=provision
mkdir -p "$work/state/slots"
cat >"$work/updatectl.conf" <<CONF
device_class = fwguard-test
state_dir = $work/state
policy = $work/policy.conf
bootloader = grub
boot_component = firmware
grubenv = $work/grubenv
CONF
slots="component firmware fw_a=PARTLABEL=fw_a fw_b=PARTLABEL=fw_b"
load() {
	"$u" policy load --config "$work/updatectl.conf" "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	sed "s/^/# /" "$work/err"
	return $rc
}
range() { grep -q "^range $1 .*component $2${3:+ $3}\$" "$pol"; }
# write DEVICE SEEK: one sector of zeros at sector SEEK; its dd error on stderr.
write() { dd if=/dev/zero of="$1" bs=512 seek="$2" count=1 oflag=direct,sync status=none 2>&1; }

# 1. bootloader = grub, and policy.conf leaves the boot loader out.
echo "$slots" >"$work/policy.conf"
load
status=$?
tap_check "grub without a bootloader line: policy load fails (usage)" \
	test "$status" -eq "$(uc_exit usage)"
tap_check "... with one line saying so" \
	sh -c "test \$(grep -c 'bootloader = grub' '$work/err') -eq 1 && grep -q 'names no boot loader partition' '$work/err'"
tap_check "... the slots are still protected (fail closed)" \
	sh -c "grep -q '^range vda1 .*component firmware' $pol && grep -q '^range vda2 .*component firmware' $pol"
tap_check "... and the policy is locked" grep -qx "locked 1" "$pol"

# 2. Malformed bootloader lines and a component of that name: refused.
for conf in "bootloader" "bootloader core=LABEL=bios_boot" \
	"bootloader a=PARTLABEL=x b=PARTLABEL=y c=PARTLABEL=z" \
	"component bootloader a=PARTLABEL=fw_a b=PARTLABEL=fw_b"; do
	printf '%s\n%s\n' "$slots" "$conf" >"$work/policy.conf"
	load
	tap_check "refused: '$conf'" test $? -eq "$(uc_exit usage)"
done
printf '%s\n%s\n%s\n' "$slots" "bootloader core=PARTLABEL=bios_boot" \
	"bootloader core=PARTLABEL=bios_boot" >"$work/policy.conf"
load
tap_check "refused: two bootloader lines" test $? -eq "$(uc_exit usage)"

# 3. The boot loader named: protected active, no write reaches it.
printf '%s\n%s\n' "$slots" "bootloader core=PARTLABEL=bios_boot" >"$work/policy.conf"
load
status=$?
tap_check "grub with its bootloader line: policy load succeeds" test "$status" -eq "$(uc_exit ok)"
tap_check "... bios_boot (vda4) is protected active as the bootloader" range vda4 bootloader active
tap_check "... and load says so" grep -q "^protected bootloader slot core /dev/vda4 (active)" "$work/out"
err=$(write /dev/vda4 0)
tap_check "dd into the BIOS boot partition is refused (EPERM)" \
	sh -c "echo '$err' | grep -q 'Operation not permitted'"
err=$(write /dev/vda 40)
tap_check "dd into its sectors through the whole disk is refused (EPERM)" \
	sh -c "echo '$err' | grep -q 'Operation not permitted'"
tap_done
