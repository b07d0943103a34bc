#!/bin/bash
# Attacks that load scsi_debug and rebind the scratch disk: a boot of
# their own (tests/kselftest/fwguard_breach.c).
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
run=$top/tests/vm/run
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
exec "$run" --kernel "$kver" -- /usr/bin/env FWGUARD_DESTRUCTIVE=1 \
	"${BUILD:-$top/build}/tests/kselftest/fwguard_breach"
