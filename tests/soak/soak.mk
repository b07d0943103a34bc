# SPDX-License-Identifier: GPL-2.0-only
# The soak (issue 14, tests/soak/soak.sh): update cycles on one device
# with power cuts and injected faults from a seed. `make soak CYCLES=100
# SEED=N` (SEED defaults to the time, printed); `make torture` includes
# the 100-cycle run. make check runs a short fixed-seed slice
# (tests/soak/slice.sh: one cycle, only events whose place the program
# defines, so the same ones on every run); `make soak-slice` runs it alone.
HOST_TESTS += $(CURDIR)/tests/soak/slice.sh

.PHONY: soak soak-slice torture
soak: all
	KVER=$(KVER) $(CURDIR)/tests/soak/soak.sh $(or $(CYCLES),100) $(or $(SEED),$(shell date +%s))
soak-slice: all
	@KVER=$(KVER) $(CURDIR)/tests/lib/tap-run $(CURDIR)/tests/soak/slice.sh
torture: soak
