#!/bin/bash
# Sixty rebinds of the scratch disk leave the request gate sixty entries of
# freed queues; a protected NVMe controller rebound after them must come
# back live (no stale entry of another driver may judge its start-up
# commands) and gated: a batch of io_uring NVMe writes to its fw_b slot is
# refused (tests/kselftest/fwguard_breach_gate_full.c), in a boot of its
# own. FWGUARD_REBINDS=0 is the control run.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
run=$top/tests/vm/run
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
bin=${BUILD:-$top/build}/tests/kselftest/fwguard_breach_gate_full
exec "$run" --kernel "$kver" --devices -- /usr/bin/env ${FWGUARD_REBINDS:+FWGUARD_REBINDS=$FWGUARD_REBINDS} \
	FWGUARD_DESTRUCTIVE=gate_full_keeps_nvme_batch_gated "$bin"
