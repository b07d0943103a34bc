#!/bin/bash
# fwguard on a shared NVMe namespace behind two controllers (native
# multipath, tests/kselftest/fwguard_nvme_multipath.c): a guest of its own.
export FWGUARD_NVME_PATHS=2
exec "$(dirname "$0")/../lib/nvme-guest" FWGUARD_MULTIPATH=1 fwguard_nvme_multipath
