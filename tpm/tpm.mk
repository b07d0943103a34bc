# TPM layer: the library sources (tpm/*.c) join LIB_OBJS (see the top-level
# Makefile); this fragment adds the TPM benchmark.
#
#   make bench-tpm   start a throw-away swtpm, run one install-side sequence
#                    (extend + seal + NV increment) and one boot-side sequence
#                    (extend + unseal), and print TPM command counts and the
#                    time spent waiting for swtpm, with and without a
#                    persistent SRK.

BENCH_TPM := $(BUILD)/bench/bench-tpm
BENCHES   += $(BENCH_TPM)

$(BENCH_TPM): $(BUILD)/obj/tpm/bench/bench_tpm.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIB_LIBS)

.PHONY: bench-tpm
bench-tpm: $(BENCH_TPM)
	$(BENCH_TPM)

bench: bench-tpm

# The command-line tests in tests/tpm/test_tpm.c run the built updatectl.
$(BUILD)/tests/tpm/test_tpm: | $(BUILD)/bin/updatectl
$(BUILD)/tests/tpm/test_tpm_trust: | $(BUILD)/bin/updatectl
$(BUILD)/tests/tpm/test_floor_nv: | $(BUILD)/bin/updatectl
