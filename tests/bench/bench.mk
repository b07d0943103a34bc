# SPDX-License-Identifier: GPL-2.0-only
# Benchmarks of the bundle tools (not tests: they print figures, they do not
# pass or fail on speed). `make bench-bundle` runs under nice because the
# build machine is shared.
.PHONY: bench-bundle
bench-bundle: $(BUILD)/bin/updatectl $(BUILD)/pki/.stamp
	nice -n 10 $(CURDIR)/tests/bench/bench-bundle $(BUILD)

bench: bench-bundle
