#!/bin/bash
# updatectl policy load decides which slots are active from three sources,
# and trusts none alone (userspace/lib/STATE.md "policy load"): the slot
# state, the TPM's journal, and the bootloader's fwguard.slot= on the
# kernel command line. A guest of its own (tests/guest/own/) with a fresh
# module and TPM, fwguard.slot=a on its command line as GRUB or U-Boot put
# it there, and a scratch disk with two slots per case.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
vda=$(mktemp /tmp/fwguard-pls-vda.XXXXXX)
trap 'rm -f "$vda"' EXIT
"$top/tests/vm/mkdisk" "$vda" 8 8
# vda4..vda9: the bootloader and the state disagree (cl), agree (ca); a
# confirmation root appended to the journal (fg).
truncate -s +16M "$vda"
sgdisk -e "$vda" >/dev/null
n=4
for name in cl_a cl_b ca_a ca_b fg_a fg_b; do
	sgdisk -n "$n:0:+2M" -c "$n:$name" -t "$n:8300" "$vda" >/dev/null
	n=$((n + 1))
done
exec "$top/tests/vm/run" --kernel "$kver" --disk "$vda" --append fwguard.slot=a -- \
	"$top/tests/guest/own/policy_load_sources.sh"
