# SPDX-License-Identifier: GPL-2.0-only
# The soak (issue 14, tests/soak/soak.sh): update cycles on one device
# with power cuts and injected faults from a seed. `make soak CYCLES=100
# SEED=N` (SEED defaults to the time, printed); `make torture` includes
# the 100-cycle run; make check runs a short fixed-seed slice
# (tests/host/soak_slice.sh).
.PHONY: soak torture
soak: all
	KVER=$(KVER) $(CURDIR)/tests/soak/soak.sh $(or $(CYCLES),100) $(or $(SEED),$(shell date +%s))
torture: soak
