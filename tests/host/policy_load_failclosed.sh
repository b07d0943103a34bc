#!/bin/bash
# updatectl policy load with a missing or impostor floor, a corrupt slot
# state, a duplicate PARTLABEL and a lower --floor: a guest of its own with
# a fresh module and TPM and an NVMe disk (tests/guest/own/).
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
img=$(mktemp /tmp/fwguard-pl-nvme.XXXXXX)
trap 'rm -f "$img"' EXIT
"$top/tests/vm/mkdisk" "$img" 4 6 0 1
exec "$top/tests/vm/run" --kernel "$kver" --nvme "$img" -- \
	"$top/tests/guest/own/policy_load_failclosed.sh"
