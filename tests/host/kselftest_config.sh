#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/kselftest/config, the kernel options fwguard.ko and the guest tests
# need, against the configuration of the Debian kernel the guests boot
# (build/kernel/KVER/boot/config-KVER): every option it lists is set there,
# built in where it says y, built in or a module where it says m.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
fragment=$top/tests/kselftest/config
config=$build/kernel/$kver/boot/config-$kver

tap_plan 2
tap_check "tests/kselftest/config lists kernel options" \
	grep -q '^CONFIG_[A-Z0-9_]*=[ym]$' "$fragment"
missing=
while IFS='=' read -r key want; do
	got=$(sed -n "s/^$key=//p" "$config" 2>/dev/null)
	case $want:$got in
	y:y | m:m | m:y) ;;
	*) missing+=" $key=$want (${got:-unset})" ;;
	esac
done < <(grep '^CONFIG_' "$fragment")
if [ -r "$fragment" ] && [ -r "$config" ] && [ -z "$missing" ]; then
	tap_ok "the $kver kernel has every option of tests/kselftest/config"
else
	tap_fail "the $kver kernel has every option of tests/kselftest/config" \
		"${missing:-cannot read $fragment or $config}"
fi
tap_done
