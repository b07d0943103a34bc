#!/bin/bash
# Disk identity under attack (tests/kselftest/fwguard_breach_copies.c and
# fwguard_breach_target.c): copies of
# the protected disk's GPT on scsi_debug disks while the real disk is
# unbound and bound again. Each test loads scsi_debug and rebinds the
# scratch disk, so each gets a boot of its own.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
run=$top/tests/vm/run
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
bin=${BUILD:-$top/build}/tests/kselftest/fwguard_breach
rc=0
for t in copies target; do
	"$run" --kernel "$kver" -- /usr/bin/env FWGUARD_DESTRUCTIVE=1 "${bin}_$t" || rc=1
done
exit $rc
