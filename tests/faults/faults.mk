# SPDX-License-Identifier: GPL-2.0-only
# Injected faults (issue 14): TPM faults on the host (tests/tpm/test_faults_tpm.c,
# a fixed slice of which runs in make check), network faults against nginx
# (tests/faults/net_faults.sh) and disk I/O errors in a guest
# (tests/faults/io_faults.sh). `make faults` runs the full set; `make torture`
# includes it.
$(BUILD)/tests/tpm/test_faults_tpm: $(BUILD)/obj/userspace/cli/exit.o

# The slices (the TPM one is a tests/tpm test): short enough for make check.
HOST_TESTS += $(CURDIR)/tests/faults/net_faults.sh $(CURDIR)/tests/faults/io_faults.sh

.PHONY: faults
faults: all
	@FAULTS=all KVER=$(KVER) $(CURDIR)/tests/lib/tap-run $(BUILD)/tests/tpm/test_faults_tpm \
		$(CURDIR)/tests/faults/net_faults.sh $(CURDIR)/tests/faults/io_faults.sh
torture: faults
