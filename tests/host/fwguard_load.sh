#!/bin/bash
# fwguard module parameters and keyring modes, which need a guest in which
# the module was never loaded (a locked policy pins it until reboot).
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
exec "$top/tests/vm/run" --kernel "$kver" -- "${BUILD:-$top/build}/tests/kselftest/fwguard_load"
