#!/bin/bash
# A controller reset and a controller rebind of a protected NVMe disk
# (tests/kselftest/fwguard_nvme_reset.c): a guest of its own.
exec "$(dirname "$0")/../lib/nvme-guest" FWGUARD_DESTRUCTIVE=1 fwguard_nvme_reset
