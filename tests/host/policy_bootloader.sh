#!/bin/bash
# updatectl policy load protects the boot loader: with bootloader = grub,
# policy.conf's bootloader line (GRUB's core.img in the BIOS boot
# partition) is protected active, and a policy.conf without one fails the
# load and locks the module. A guest of its own (tests/guest/own/): a
# fresh module, a scratch disk laid out like tests/vm/mkbootdisk's (a
# bios_boot partition at sectors 34-2047 before the slots).
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
vda=$(mktemp /tmp/fwguard-plb-vda.XXXXXX)
trap 'rm -f "$vda"' EXIT
"$top/tests/vm/mkdisk" "$vda" 8 8
sgdisk -a 1 -n 4:34:2047 -c 4:bios_boot -t 4:ef02 -a 2048 "$vda" >/dev/null
# fwguard.slot=a as GRUB puts it first on the command line: with
# bootloader = grub, policy load takes the booted slot from there.
exec "$top/tests/vm/run" --kernel "$kver" --disk "$vda" --append fwguard.slot=a -- \
	"$top/tests/guest/own/policy_bootloader.sh"
