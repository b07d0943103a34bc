#!/bin/bash
# fwguard against a root attacker: every write path to a protected disk, in
# a guest of its own with NVMe, virtio-scsi and SD disks (the suite raises
# lockdown, which would change the shared guest for the tests after it).
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
run=$top/tests/vm/run
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
exec "$run" --kernel "$kver" --devices -- /usr/bin/env FWGUARD_ATTACK=1 \
	"${BUILD:-$top/build}/tests/kselftest/fwguard_attack"
