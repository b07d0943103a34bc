#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# boot_component must name a component of the policy when a bootloader is
# set (userspace/lib/bootctl.c): one that names none (a typo, or an edit of
# updatectl.conf) left every event's write of the bootloader's record out,
# so install rewrote the slot GRUB still boots and boot-verify never asked
# GRUB which slot it booted. boot-verify, mark-good and adopt refuse it as
# a usage error before the TPM is opened; nothing changes.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
test_workdir bootcomp
export FWGUARD_LOCK=$work/lock

tap_plan 5

grub-editenv "$work/grubenv" create
printf 'component bootfw a=PARTLABEL=fwg-a b=PARTLABEL=fwg-b\n' >"$work/policy"
# An unreachable TPM: a command that got as far as opening it fails as "tpm".
conf() {
	printf 'bootloader = grub\ngrubenv = %s\nboot_component = %s\npolicy = %s\n' \
		"$work/grubenv" "$1" "$work/policy"
	printf 'state_dir = %s\ntcti = swtpm:host=127.0.0.1,port=1\n' "$work/state"
}
conf bootfx >"$work/typo.conf"
run() { "$uc" "$@" --config "$work/typo.conf" 2>>"$work/err" >/dev/null; }

expect_exit "boot-verify: boot_component naming no component: usage" usage run boot-verify
tap_check "... and the message names it" grep -q "boot_component = bootfx" "$work/err"
expect_exit "mark-good: the same" usage run mark-good
expect_exit "adopt: the same" usage run adopt bootfw a --version 1
tap_check "nothing written: no state directory, grubenv unchanged" \
	sh -c "[ ! -e '$work/state/slots' ] && ! grep -q fwg_ '$work/grubenv'"
tap_done
