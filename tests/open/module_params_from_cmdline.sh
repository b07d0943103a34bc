#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Open finding: the kernel command line sets fwguard's parameters, over the
# device's own /etc/modprobe.d options. On a GRUB device the command line
# is fwg_args from the root-writable environment block
# (tests/host/grub_slot_spoof.sh shows it reaching the kernel verbatim),
# so root chooses for the next boot keyring_mode=provision (root's own keys
# sign tickets), production=0 (test-only tickets accepted) and floor=0,
# even when the module and its options come from a protected slot's
# initramfs: libkmod reads fwguard.*= from /proc/cmdline and passes those
# last. One guest boot (QEMU -kernel with the words appended, the same line
# GRUB builds from fwg_args). The three checks fail until the module, or
# the boot chain, keeps the command line from weakening them.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
build=${BUILD:-$top/build}
log=$(mktemp "$build/module-params.XXXXXX")
trap 'rm -f "$log"' EXIT

tap_plan 3
kdir=$build/kernel/$kver
install -D -m 0644 "$build/kmod/$kver/fwguard.ko" "$kdir/lib/modules/$kver/updates/fwguard.ko"
depmod -b "$kdir" "$kver"
"$top/tests/vm/run" --kernel "$kver" --timeout 600 \
	--append "fwguard.keyring_mode=provision fwguard.production=0 fwguard.floor=0" -- \
	sh -c 'mkdir -p /etc/modprobe.d &&
		echo "options fwguard keyring_mode=trusted production=1 floor=7" \
			>/etc/modprobe.d/fwguard.conf && modprobe fwguard &&
		for p in keyring_mode production floor; do
			echo "param $p=$(cat /sys/module/fwguard/parameters/$p)"; done' >"$log" 2>&1
param() { sed -n "s/^param $1=\([^[:space:]]*\).*/\1/p" "$log" | tail -n 1; }
check() { # NAME WANT
	local got
	got=$(param "$1")
	if [ "$got" = "$2" ]; then tap_ok "$1 stays $2 (modprobe.d)"; else
		tap_fail "$1 stays $2 (modprobe.d)" "the command line made it '${got:-?}'"; fi
}
check keyring_mode trusted
check production Y
check floor 7
tap_done
