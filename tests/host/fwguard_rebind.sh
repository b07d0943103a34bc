#!/bin/bash
# fwguard keeps protecting a disk whose driver is unbound and bound again,
# also when its virtio device comes back under another index (a virtio-rng
# device to swap with). The guest test renames the scratch disk, so it gets
# a boot of its own.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
run=$top/tests/vm/run
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
exec "$run" --kernel "$kver" --virtio-rng -- /usr/bin/env FWGUARD_DESTRUCTIVE=1 \
	"${BUILD:-$top/build}/tests/kselftest/fwguard_rebind"
