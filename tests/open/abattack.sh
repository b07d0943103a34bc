#!/bin/bash
# Open findings of the A/B state machine: tests/tpm/test_abattack.c, against swtpm.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
exec "${FWGUARD_BUILD:-$here/build}/tests/tpm/test_abattack"
