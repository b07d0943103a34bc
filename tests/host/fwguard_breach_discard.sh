#!/bin/bash
# Multi-range discard through dm-multipath on NVMe
# (tests/kselftest/fwguard_breach_discard.c): a guest of its own with an
# NVMe drive whose discards deallocate, as on real hardware.
FWGUARD_NVME_DISCARD=unmap exec "$(dirname "$0")/../lib/nvme-guest" \
	FWGUARD_BREACH=1 fwguard_breach_discard
