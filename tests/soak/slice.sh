#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The slice of the soak (tests/soak/soak.sh) that make check runs: one
# update cycle from a fixed seed with fixed events only (SOAK_FIXED),
# each at a place the program defines, not the wall clock: a kill as an
# operation answers, a write-log cut at the Nth flush of an operation,
# I/O errors on a given sector of a slot, a network fault at a given
# byte. The same seed meets the same events on every run. Seed 72344, in
# five boots after the factory's: a log cut of boot-verify, a kill as
# install answers, a kill as mark-good answers, a reset fetch that
# resumes, I/O errors on a sector of fw_b (not read by that boot). The
# kill after install finds a sealed blob lost when the atomic file write
# does not fsync. Two cycles (SOAK_CYCLES=2) take eleven boots. `make soak` runs the long
# one, with cuts and TPM stops at random moments too.
here=$(cd "$(dirname "$0")" && pwd)
SOAK_FIXED=1 SOAK_CUTS=${SOAK_CUTS:-40} SOAK_FAULTS=${SOAK_FAULTS:-40} \
	exec "$here/soak.sh" "${SOAK_CYCLES:-1}" "${SOAK_SEED:-72344}"
