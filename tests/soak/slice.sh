#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A slice of the soak (tests/soak/soak.sh), `make soak-slice`: a few
# update cycles from a fixed seed, with power cuts and faults in most
# boots, and nothing lost. `make soak` runs the long one.
here=$(cd "$(dirname "$0")" && pwd)
SOAK_CUTS=${SOAK_CUTS:-40} SOAK_FAULTS=${SOAK_FAULTS:-40} \
	exec "$here/soak.sh" "${SOAK_CYCLES:-2}" "${SOAK_SEED:-20261204}"
