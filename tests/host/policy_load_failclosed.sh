#!/bin/bash
# updatectl policy load with a missing or impostor floor, a corrupt slot
# state, a trial or pending update, a slot state that disagrees with the
# TPM's journal, a fallback after the load, duplicated slot names and a
# lower --floor: a guest of its own with a fresh module and TPM, a scratch disk
# with more partitions than tests/vm/mkdisk makes and an NVMe disk
# (tests/guest/own/).
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
img=$(mktemp /tmp/fwguard-pl-nvme.XXXXXX)
vda=$(mktemp /tmp/fwguard-pl-vda.XXXXXX)
trap 'rm -f "$img" "$vda"' EXIT
"$top/tests/vm/mkdisk" "$img" 4 6 0 1
"$top/tests/vm/mkdisk" "$vda" 8 8
# vda4..vda13: two slots each for a trial, a pending update, duplicates,
# an unconfirmed install in the journal, and a confirmed one that falls back.
truncate -s +24M "$vda"
sgdisk -e "$vda" >/dev/null
n=4
for name in trial_a trial_b pend_a pend_b dup_a dup_b jrnl_a jrnl_b fb_a fb_b; do
	sgdisk -n "$n:0:+2M" -c "$n:$name" -t "$n:8300" "$vda" >/dev/null
	n=$((n + 1))
done
sgdisk -u 9:6f776761-0000-4000-8000-0000000000d0 "$vda" >/dev/null
# On the NVMe disk: a copy of dup_a's PARTLABEL (p4) and of dup_b's PARTUUID (p5).
truncate -s +8M "$img"
sgdisk -e "$img" >/dev/null
sgdisk -n 4:0:+2M -c 4:dup_a -t 4:8300 \
	-n 5:0:+2M -c 5:copy -t 5:8300 -u 5:6f776761-0000-4000-8000-0000000000d0 "$img" >/dev/null
exec "$top/tests/vm/run" --kernel "$kver" --disk "$vda" --nvme "$img" -- \
	"$top/tests/guest/own/policy_load_failclosed.sh"
