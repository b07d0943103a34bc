#!/bin/bash
# NVMe passthrough after a rebind with a GPT copy
# (tests/kselftest/fwguard_breach_nvme.c): a guest of its own.
exec "$(dirname "$0")/../lib/nvme-guest" FWGUARD_BREACH=1 fwguard_breach_nvme
