#!/bin/bash
# Disk identity under attack (tests/kselftest/fwguard_breach.c): copies of
# the protected disk's GPT on scsi_debug disks while the real disk is
# unbound and bound again. Each test loads scsi_debug and rebinds the
# scratch disk, so each gets a boot of its own.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
run=$top/tests/vm/run
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
bin=${BUILD:-$top/build}/tests/kselftest/fwguard_breach
rc=0
for t in rebind_after_gpt_copies_keeps_protection session_targets_the_disk_not_a_gpt_copy; do
	"$run" --kernel "$kver" -- /usr/bin/env FWGUARD_DESTRUCTIVE="$t" "$bin" || rc=1
done
exit $rc
