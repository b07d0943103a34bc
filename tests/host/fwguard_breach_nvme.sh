#!/bin/bash
# NVMe passthrough after a rebind with a GPT copy
# (tests/kselftest/fwguard_breach_nvme.c): a guest of its own.
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
	/usr/bin/env FWGUARD_BREACH=1 "${BUILD:-$top/build}/tests/kselftest/fwguard_breach_nvme"
