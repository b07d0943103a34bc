#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# fwguard.*= words on the kernel command line cannot undo the device's
# /etc/modprobe.d options. modprobe appends them to the options it passes
# to init_module(), and with GRUB they come from fwg_args in the
# root-writable environment block; a parameter given twice with different
# values fails the load (EINVAL, one log line naming both values) instead
# of the last word winning. One guest boot whose command line carries
# root's words (the line GRUB builds from fwg_args), and one modprobe per
# case with its own /etc/modprobe.d/fwguard.conf:
#
#   keyring_mode=trusted / production=1 / floor=7, each alone and together:
#       refused, not loaded, the log names the parameter and both values
#   production=0 floor=0 device_class=... serial=... (as test guests load
#       the module; the command line agrees on production and floor):
#       loaded, every value as modprobe.d gave it
#
# Values that weaken the gate (keyring_mode=provision, production=0) are
# refused under lockdown whatever gives them (kmod/README.md); lockdown
# refuses this unsigned test module itself, so no guest here can show it.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
words="fwguard.keyring_mode=provision fwguard.production=0 fwguard.floor=0"

# ---- guest side -------------------------------------------------------------
# attempt NAME OPTIONS: modprobe with OPTIONS in modprobe.d; print what the
# load did, the values it left and the module's log lines, each line
# prefixed with NAME.
attempt() {
	local err rc p
	printf 'options fwguard %s\n' "$2" >/etc/modprobe.d/fwguard.conf
	echo "$1 insmod $(modprobe --show-depends fwguard | tail -n 1)"
	dmesg -C
	err=$(modprobe fwguard 2>&1)
	rc=$?
	echo "$1 rc $rc"
	echo "$1 err $err"
	if [ -d /sys/module/fwguard ]; then
		for p in keyring_mode production floor device_class serial; do
			echo "$1 param $p $(cat "/sys/module/fwguard/parameters/$p")"
		done
		rmmod fwguard
	fi
	dmesg | sed -n "s/^.*fwguard: /$1 log /p"
}

if [ "${1:-}" = --guest ]; then
	mkdir -p /etc/modprobe.d || exit 1
	attempt keyring "keyring_mode=trusted"
	attempt production "production=1"
	attempt floor "floor=7"
	attempt all "keyring_mode=trusted production=1 floor=7"
	attempt agree "production=0 floor=0 device_class=infusion-pump-v2 serial=SN-0001"
	exit 0
fi

# ---- host side --------------------------------------------------------------
. "$top/tests/lib/tap.sh"
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
build=${BUILD:-$top/build}
log=$(mktemp "$build/fwguard-params.XXXXXX")
trap 'rm -f "$log"' EXIT

tap_plan 5
kdir=$build/kernel/$kver
install -D -m 0644 "$build/kmod/$kver/fwguard.ko" "$kdir/lib/modules/$kver/updates/fwguard.ko"
depmod -b "$kdir" "$kver"
"$top/tests/vm/run" --kernel "$kver" --timeout 600 --append "$words" -- \
	"$top/tests/host/fwguard_params.sh" --guest >"$log" 2>&1

has() { grep -qF -- "$1" "$log"; }	# LINE-PART
# refused NAME PARAM FIRST THEN: the load failed with EINVAL, the module is
# not there, and the log says why (with FIRST empty: why is not checked).
refused() {
	local param=${2:-} first=${3:-} then=${4:-} why=
	if ! has "$1 rc 0" && has "$1 err modprobe: ERROR: could not insert 'fwguard': Invalid argument" &&
		! has "$1 param "; then
		[ -z "$first" ] ||
			has "$1 log $param given twice with different values ('$first', then '$then')" ||
			why="no log line naming $param and both values"
	else
		why="loaded: $(sed -n "s/^$1 param //p" "$log" | tr '\n' ' ')"
	fi
	if [ -z "$why" ]; then tap_ok "$1: modprobe.d and the command line disagree: refused"; else
		tap_fail "$1: modprobe.d and the command line disagree: refused" "$why"; fi
}
refused keyring keyring_mode trusted provision
refused production production Y N
refused floor floor 7 0
refused all
if has "agree rc 0" && has "agree param production N" && has "agree param floor 0" &&
	has "agree param device_class infusion-pump-v2" && has "agree param serial SN-0001"; then
	tap_ok "modprobe.d options the command line does not contradict are taken"
else
	tap_fail "modprobe.d options the command line does not contradict are taken" \
		"$(grep '^agree ' "$log" | tr '\n' ' ')"
fi
[ "$tap_failed" -eq 0 ] || cat "$log" >&2
tap_done
