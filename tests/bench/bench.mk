# SPDX-License-Identifier: GPL-2.0-only
# Benchmarks of the bundle tools (not tests: they print figures, they do not
# pass or fail on speed). `make bench-bundle` runs under nice because the
# build machine is shared.
.PHONY: bench-bundle
bench-bundle: $(BUILD)/bin/updatectl $(BUILD)/pki/.stamp
	nice -n 10 $(CURDIR)/tests/bench/bench-bundle $(BUILD)

bench: bench-bundle

# In-kernel SHA-256 throughput through AF_ALG, run in the guest by
# tests/e2e/bench next to the session it bounds.
AFALG_HASH := $(BUILD)/bench/afalg-hash
BENCHES    += $(AFALG_HASH)

$(AFALG_HASH): $(BUILD)/obj/tests/bench/afalg_hash.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

# boot-verify on the host against sha256sum and openssl, on a simulated
# device with swtpm (tests/tpm/abdev.h); run by tests/e2e/bench.
VERIFY_HOST := $(BUILD)/bench/bench-verify-host
BENCHES     += $(VERIFY_HOST)

$(VERIFY_HOST): $(BUILD)/obj/tests/bench/verify_host.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIB_LIBS)
