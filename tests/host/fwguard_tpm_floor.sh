#!/bin/bash
# The version floor the module reads from the TPM counter itself: it gets a
# boot of its own, since it raises the TPM floor to 3 and replaces the
# counter (tests/kselftest/fwguard_tpm_floor.c).
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
exec "$top/tests/vm/run" --kernel "$kver" -- "${BUILD:-$top/build}/tests/kselftest/fwguard_tpm_floor"
