# SPDX-License-Identifier: GPL-2.0-only
# The soak (issue 14, tests/soak/soak.sh): update cycles on one device
# with power cuts and injected faults from a seed. `make soak CYCLES=100
# SEED=N` (SEED defaults to the time, printed); `make torture` includes
# the 100-cycle run. `make soak-slice` runs a short fixed-seed slice
# (tests/soak/slice.sh); it is not in make check, whose guests must give
# the same result on every run, and a cut at a random moment of a boot
# does not.
.PHONY: soak soak-slice torture
soak: all
	KVER=$(KVER) $(CURDIR)/tests/soak/soak.sh $(or $(CYCLES),100) $(or $(SEED),$(shell date +%s))
soak-slice: all
	KVER=$(KVER) $(CURDIR)/tests/soak/slice.sh
torture: soak
