#!/bin/bash
# A controller reset of a protected NVMe disk
# (tests/kselftest/fwguard_nvme_reset.c): a guest of its own.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
run=$top/tests/vm/run
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
img=$(mktemp /tmp/fwguard-nvme.XXXXXX)
trap 'rm -f "$img"' EXIT
"$top/tests/vm/mkdisk" "$img" 4 6
# Unique PARTUUIDs: the scratch disk has the fixed ones.
sgdisk -u 1:R -u 2:R -u 3:R "$img" >/dev/null
"$run" --kernel "$kver" --nvme "$img" -- \
	/usr/bin/env FWGUARD_DESTRUCTIVE=1 "${BUILD:-$top/build}/tests/kselftest/fwguard_nvme_reset"
