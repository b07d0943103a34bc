#!/bin/bash
# fwguard on a shared NVMe namespace whose second controller joins the
# subsystem after the range was protected
# (tests/kselftest/fwguard_nvme_multipath.c, FWGUARD_MULTIPATH_LATE):
# a guest of its own.
export FWGUARD_NVME_PATHS=2 FWGUARD_NVME_SPARE=1
exec "$(dirname "$0")/../lib/nvme-guest" FWGUARD_MULTIPATH=1 FWGUARD_MULTIPATH_LATE=1 FWGUARD_NVME_SPARE=1 \
	fwguard_nvme_multipath
