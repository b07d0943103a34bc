#!/bin/bash
# The sources of updatectl policy load, in a guest of its own
# (tests/host/policy_load_sources.sh): fwguard.ko freshly loaded, a fresh
# TPM, fwguard.slot=a on the kernel command line. Each case protects
# ranges no earlier one did: a protected range stays protected until reboot.
. "$(dirname "$0")/lib.sh" pls

tap_plan 11

insmod "$build/kmod/$(uname -r)/fwguard.ko" keyring_mode=provision
mkdir -p "$work/state/slots"
conf() { # [COMPONENT]: updatectl.conf, with U-Boot booting COMPONENT if named
	printf 'device_class = fwguard-test\nstate_dir = %s\npolicy = %s\n' "$work/state" \
		"$work/policy.conf" >"$work/updatectl.conf"
	[ -z "${1:-}" ] ||
		printf 'bootloader = uboot\nboot_component = %s\nuboot_env_config = %s\n' "$1" \
			"$work/fw_env.config" >>"$work/updatectl.conf"
}
state_of() { # COMPONENT ACTIVE: steady, both slots valid at version 5
	printf 'active=%d\npending=-1\ntrying=-1\nverified_boot=\n' "$2" >"$work/state/slots/$1"
	for i in 0 1; do
		printf 'slot%d.valid=1\nslot%d.good=%d\nslot%d.version=5\nslot%d.length=4096\nslot%d.digest=%064d\n' \
			$i $i $((i == $2)) $i $i $i 0 >>"$work/state/slots/$1"
	done
}
load() {
	"$u" policy load --config "$work/updatectl.conf" "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	sed "s/^/# /" "$work/err"
	return $rc
}
range() { grep -q "^range $1 .*component $2${3:+ $3}\$" "$pol"; }
conf
"$u" tpm provision --config "$work/updatectl.conf" >/dev/null 2>&1
tap_check "TPM provisioned; this guest's command line names slot a" \
	sh -c "\"$u\" tpm floor --config '$work/updatectl.conf' >/dev/null && grep -qw fwguard.slot=a /proc/cmdline"

# 1. U-Boot boots cl and says cl_a booted, while the slot state, which root
# can edit, says cl_b runs: the state is not trusted, both slots are
# active, and the disagreement is the one line reported.
echo "component cl cl_a=PARTLABEL=cl_a cl_b=PARTLABEL=cl_b" >"$work/policy.conf"
state_of cl 1
conf cl
load
status=$?
tap_check "bootloader booted cl_a, state says cl_b runs: policy load fails (verify)" \
	test "$status" -eq "$(uc_exit verify)"
tap_check "... in one line that says so" \
	sh -c "test \$(wc -l <'$work/err') -eq 1 && grep -q 'the bootloader booted slot cl_a, but the slot state says slot cl_b runs' '$work/err'"
tap_check "... cl_a, which the bootloader booted, is protected active" range vda4 cl active
tap_check "... cl_b, which the state names, is protected active" range vda5 cl active

# 2. The same with a state that agrees: only the booted slot is active.
echo "component ca ca_a=PARTLABEL=ca_a ca_b=PARTLABEL=ca_b" >"$work/policy.conf"
state_of ca 0
conf ca
load
tap_check "bootloader and state agree on ca_a: policy load succeeds" test $? -eq "$(uc_exit ok)"
tap_check "... only ca_a is active" \
	sh -c "grep -q '^range vda6 .*component ca active\$' $pol && grep -q '^range vda7 .*component ca\$' $pol"

# 3. A confirmation root appended: the journal records fg_a's install and a
# `good` entry for it, as mark-good writes one, but no quote of a boot
# that measured fg_a backs it: not counted, the install is unconfirmed,
# both slots are active (as while fg_a is on trial).
journal_add() { # ENTRY: appended as updatectl does (the file, then the NV extend)
	printf '%s\n' "$1" >>"$work/state/tickets"
	printf '%s' "$1" >"$work/entry"
	tpm2_nvextend -C 0x01004658 -i "$work/entry" 0x01004658
}
ticket=0123456789abcdef0123456789abcd03
echo "component fg fg_a=PARTLABEL=fg_a fg_b=PARTLABEL=fg_b" >"$work/policy.conf"
state_of fg 0
conf
forge() {
	journal_add "install fg fg_a 5 4096 $(printf '%064d' 0) $ticket" &&
		journal_add "good fg fg_a 5 $ticket"
}
tap_check "journal: fg_a's install and a forged confirmation appended" forge
load
status=$?
tap_check "forged confirmation: policy load fails (verify)" test "$status" -eq "$(uc_exit verify)"
tap_check "... saying the confirmation has no quote and the install is unconfirmed" \
	sh -c "grep -q 'confirmation has no quote of the boot that verified the slot' '$work/err' && grep -q 'journal records its install unconfirmed' '$work/err'"
tap_check "... fg_a and fg_b are both protected active" \
	sh -c "grep -q '^range vda8 .*component fg active\$' $pol && grep -q '^range vda9 .*component fg active\$' $pol"
tap_done
