# SPDX-License-Identifier: GPL-2.0-only
# fwguard.ko itself is built by kbuild through the top-level Kbuild file
# (make module); this fragment adds its benchmark.
#
#   make bench-kmod   boot a fresh guest with a scratch disk whose slots hold
#                     256 MiB and print the hooks' IOPS ratio on null_blk
#                     (median and spread of alternating rounds without and
#                     with the module) and the session write throughput
#                     ratio to O_DIRECT.

BENCH_KMOD := $(BUILD)/bench/bench-kmod
BENCHES    += $(BENCH_KMOD)

EXTRA_CFLAGS_kmod := -DFWGUARD_BUILD=\"$(BUILD)\"

$(BENCH_KMOD): $(BUILD)/obj/kmod/bench/bench_kmod.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIB_LIBS) -lpthread

.PHONY: bench-kmod
# The guest reads the module, the benchmark and the test PKI (the signer
# certificate it links into .fwguard and the key it signs tickets with);
# the PKI rule comes from tests/pki/pki.mk, included after this fragment.
bench-kmod: module $(BENCH_KMOD) $(BUILD)/pki/.stamp
	@mkdir -p $(BUILD)/vm
	$(CURDIR)/tests/vm/mkdisk $(BUILD)/vm/bench-kmod.img 300 300
	$(CURDIR)/tests/vm/run --kernel $(KVER) --disk $(BUILD)/vm/bench-kmod.img -- $(BENCH_KMOD)

bench: bench-kmod
