#!/bin/bash
# fwguard on a shared NVMe namespace behind two controllers (native
# multipath, tests/kselftest/fwguard_nvme_multipath.c), and a third
# controller of the subsystem to which the namespace is not attached: a
# guest of its own.
export FWGUARD_NVME_PATHS=2 FWGUARD_NVME_SPARE=1
exec "$(dirname "$0")/../lib/nvme-guest" FWGUARD_MULTIPATH=1 FWGUARD_NVME_SPARE=1 \
	fwguard_nvme_multipath
