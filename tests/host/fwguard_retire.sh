#!/bin/bash
# Retiring a superseded slot (FWGUARD_IOC_RETIRE): the module loaded with
# boot_part naming fw_b, a trial boot with both slots active, so it gets a
# boot of its own (tests/kselftest/fwguard_retire.c).
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
exec "$top/tests/vm/run" --kernel "$kver" -- "${BUILD:-$top/build}/tests/kselftest/fwguard_retire"
