#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The uboot backend of updatectl (userspace/lib/bootctl_uboot.c, through
# libubootenv) against the real fw_printenv/fw_setenv, on an environment
# partition image with a redundant copy (two lines of one fw_env.config):
# the counters each side writes, the other reads; a torn write of the
# newer copy leaves the older, whole copy in use by both; no valid copy or
# a bad value is refused with nothing changed.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
test_workdir ubootenv
export FWGUARD_LOCK=$work/lock

tap_plan 14

if ! command -v fw_setenv >/dev/null; then
	for i in $(seq 14); do tap_fail "fw_setenv missing (libubootenv-tool, tests/deps)"; done
	exit 1
fi

# Two copies of 8 KiB in one 16 KiB partition image.
img=$work/ubootenv.img
head -c 16384 /dev/zero >"$img"
printf '%s 0x0000 0x2000\n%s 0x2000 0x2000\n' "$img" "$img" >"$work/fw_env.config"
fwc=(-c "$work/fw_env.config")
: >"$work/empty-defaults"
printf 'BOOT_ORDER=A B\nBOOT_A_LEFT=3\nBOOT_B_LEFT=0\nbootcmd=run fwg_boot\n' >"$work/factory"
fw_setenv "${fwc[@]}" -f "$work/empty-defaults" -s "$work/factory" 2>/dev/null
printf 'bootloader = uboot\nboot_component = bootfw\nuboot_env_config = %s\nstate_dir = %s\n' \
	"$work/fw_env.config" "$work/state" >"$work/uc.conf"
printf 'boot_tries = 5\n' | cat "$work/uc.conf" - >"$work/uc5.conf"
bl() { "$uc" bootloader "$@" --config "$work/uc.conf"; }
# env_is VAR=VALUE...: fw_printenv shows exactly these values for these variables
env_is() {
	local kv
	for kv in "$@"; do
		[ "$(fw_printenv "${fwc[@]}" "${kv%%=*}" 2>/dev/null)" = "$kv" ] || return 1
	done
}
status_is() {
	"$uc" bootloader status --json --config "$work/${2:-uc}.conf" 2>/dev/null \
		>"$work/status.json" &&
		python3 -c "import json,sys; s=json.load(open(sys.argv[1])); a,b=s['slots']
sys.exit(not ($1))" "$work/status.json"
}
# newer: the offset of the copy with the higher flag (the one in use)
newer() {
	python3 - "$img" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
fa, fb = d[4], d[0x2000 + 4]
print(0x2000 if (fb > fa or (fa == 255 and fb == 0)) and not (fb == 255 and fa == 0) else 0)
PY
}
refused() {
	local name=$1 code=$2 msg=$3
	shift 3
	cp "$img" "$work/before"
	bl "$@" >/dev/null 2>"$work/err"
	local rc=$?
	if [ "$rc" -eq "$(uc_exit "$code")" ] && grep -q -- "$msg" "$work/err" &&
		cmp -s "$img" "$work/before"; then
		tap_ok "$name"
	else
		tap_fail "$name" "exit $rc: $(cat "$work/err")"
	fi
}

tap_check "factory environment: updatectl reads A first, A 3 tries, B none" \
	status_is "s['slots'][0]['order'] == 0 and a['left'] == 3 and not b['ok'] and b['left'] == 0"
bl set-trial b --tries 2
tap_check "set-trial b: fw_printenv shows BOOT_ORDER=B A, BOOT_B_LEFT=2, A kept" \
	env_is "BOOT_ORDER=B A" BOOT_B_LEFT=2 BOOT_A_LEFT=3 "bootcmd=run fwg_boot"
fw_setenv "${fwc[@]}" BOOT_B_LEFT 1 2>/dev/null		# U-Boot's decrement
tap_check "updatectl reads U-Boot's decrement (fw_setenv BOOT_B_LEFT 1)" \
	status_is "b['left'] == 1 and b['ok'] and b['order'] == 0"
"$uc" bootloader mark-good b --config "$work/uc5.conf"
tap_check "mark-good b: BOOT_B_LEFT back to boot_tries (5), B first" \
	env_is "BOOT_ORDER=B A" BOOT_B_LEFT=5 BOOT_A_LEFT=3
bl mark-bad a
tap_check "mark-bad a: BOOT_A_LEFT=0, A last" env_is "BOOT_ORDER=B A" BOOT_A_LEFT=0 BOOT_B_LEFT=5
before=$(md5sum <"$img")
bl mark-bad a
tap_check "a transition that changes nothing writes no copy" test "$before" = "$(md5sum <"$img")"
off=$(newer)
bl set-trial a --tries 3
tap_check "each write goes to the other copy (redundant environment)" test "$(newer)" != "$off"
tap_check "... fw_printenv reads the new copy" env_is "BOOT_ORDER=A B" BOOT_A_LEFT=3 BOOT_B_LEFT=5

# A torn write: the copy just written loses its tail (power cut mid-write).
off=$(newer)
head -c 4096 /dev/zero | dd of="$img" bs=1 seek=$((off + 8)) conv=notrunc status=none
tap_check "torn newer copy: fw_printenv falls back to the older copy" \
	env_is "BOOT_ORDER=B A" BOOT_A_LEFT=0 BOOT_B_LEFT=5
tap_check "torn newer copy: updatectl reads the same older copy" \
	status_is "b['order'] == 0 and not a['ok'] and b['left'] == 5"
bl set-trial a --tries 2
tap_check "... and its next write is whole again: fw_printenv reads it" \
	env_is "BOOT_ORDER=A B" BOOT_A_LEFT=2 BOOT_B_LEFT=5

fw_setenv "${fwc[@]}" BOOT_ORDER "A C" 2>/dev/null
refused "BOOT_ORDER=A C is refused, nothing written" verify "BOOT_ORDER=A C" mark-good b
fw_setenv "${fwc[@]}" BOOT_ORDER "A B" 2>/dev/null
fw_setenv "${fwc[@]}" BOOT_B_LEFT lots 2>/dev/null
refused "BOOT_B_LEFT that is no try count is refused, nothing written" verify "not a try count" \
	set-trial b
head -c 16384 /dev/zero >"$img"
refused "no valid copy (both erased) is refused, nothing written" verify "no valid copy" \
	set-trial b
tap_done
