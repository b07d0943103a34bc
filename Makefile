# SPDX-License-Identifier: GPL-2.0-only
#
# fwguard top-level build.
#
#   make            install build dependencies, build fwguard.ko and userspace
#   make check      ... and run the host unit tests and the guest kselftests
#   make demo       ... and show the main job end to end in a swtpm-backed VM
#   make deps       only install/prepare dependencies (idempotent)
#   make KERNEL=6.12 ...   build and test against Debian's 6.12 kernel
#
# Userspace objects go to $(BUILD); the module is built by kbuild through the
# top-level Kbuild file and copied to $(BUILD)/kmod/$(KVER)/fwguard.ko.
# Each directory contributes a make fragment (<dir>/*.mk) that appends to
# BINS, HOST_TESTS (TAP programs run on the host) and GUEST_TESTS (TAP
# programs run inside the QEMU guest).

BUILD   ?= $(CURDIR)/build
KERNEL  ?= 6.1
# The Debian kernel version. Resolving it asks apt (tests/kver), so it is
# resolved once into $(BUILD)/kver-$(KERNEL) by the first recipe that needs
# it (every such target depends on deps) and read back by the shell when a
# recipe runs: make clean, make -n and targets without a kernel never ask.
# The file is refreshed when apt's package lists change. Recipes hand it to
# scripts as KVER=$(KVER); it is not exported, being a shell expression.
ifeq ($(origin KVER),undefined)
KVER_FILE := $(BUILD)/kver-$(KERNEL)
KVER     = $$(cat $(KVER_FILE))
endif
KDIR    ?= /usr/src/linux-headers-$(KVER)
KMOD    := $(BUILD)/kmod/$(KVER)/fwguard.ko
KSFT    := $(BUILD)/kselftest
V       ?= 0
# Host test programs make check runs at once (1: one after the other), next
# to the shared guest.
CHECK_JOBS ?= 3
# The build uses every core unless make is given -j itself (make -j1: one
# job at a time); the test programs see no jobserver (the check recipe).
MAKEFLAGS += -j$(shell nproc)

CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-unused-parameter
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
ALL_CFLAGS = -std=gnu11 $(WARN) $(HARDEN) $(CFLAGS) -I$(CURDIR)/kmod/include/uapi \
             -I$(CURDIR)/policy -I$(CURDIR) -MMD -MP
LDFLAGS ?=
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS)

export BUILD KERNEL

BINS        :=
HOST_TESTS  :=
GUEST_TESTS :=
BENCHES     :=

.PHONY: all deps module userspace check demo clean distclean bench

# Keep objects built through pattern chains: deleting them at the end of a
# run only forces the next run to rebuild them (and buries check's summary).
.SECONDARY:
all: deps module userspace

# The userspace library: userspace/lib, userspace/common, tpm/ and policy/,
# linked into updatectl and into every C test, fuzzer and benchmark. The
# command layer (userspace/cli) is linked into updatectl only. Defined
# here, before the fragments, because their rules expand it immediately.
LIB_SRCS  := $(sort $(wildcard userspace/lib/*.c userspace/common/*.c tpm/*.c policy/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_SRCS  := $(sort $(wildcard userspace/cli/*.c))
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
LIB_LIBS  := -lcrypto -lssl -lcurl -lkeyutils -lkmod -lubootenv -lz \
             -ltss2-esys -ltss2-mu -ltss2-rc -ltss2-tctildr -pthread

# Fragments are sorted so the build is the same on every machine.
include $(sort $(wildcard */*.mk tests/*/*.mk))

deps: $(KVER_FILE)
	@$(CURDIR)/tests/deps $(BUILD) $(KVER)

ifdef KVER_FILE
$(KVER_FILE): $(wildcard /var/lib/apt/lists)
	@mkdir -p $(dir $@)
	@$(CURDIR)/tests/kver $(KERNEL) >$@.tmp && mv $@.tmp $@
endif

$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_CFLAGS_$(firstword $(subst /, ,$<))) -c -o $@ $<

module: deps
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules
	@mkdir -p $(BUILD)/kmod/$(KVER)
	cp $(CURDIR)/fwguard.ko $(KMOD)

userspace: $(BINS) $(HOST_TESTS) $(GUEST_TESTS) $(BENCHES)

# The shared guest runs its kernel tests while the host programs run; its
# log is shown when both are done.
check: all
	@rm -rf $(BUILD)/results && mkdir -p $(BUILD)/results
	-@unset MAKEFLAGS MFLAGS; $(CURDIR)/tests/vm/run --kernel $(KVER) --out $(BUILD)/results/guest -- \
		$(CURDIR)/tests/lib/tap-run --tally $(BUILD)/results/guest/guest.tally \
		$(GUEST_TESTS) >$(BUILD)/results/guest.log 2>&1 & guest=$$!; \
	KVER=$(KVER) $(CURDIR)/tests/lib/tap-run -j $(CHECK_JOBS) --tally $(BUILD)/results/host.tally \
		$(HOST_ORDER); \
	wait $$guest; echo "# ---- the shared guest (tests/vm/run)"; cat $(BUILD)/results/guest.log
	@$(CURDIR)/tests/lib/summary $(BUILD)/results/host.tally $(BUILD)/results/guest/guest.tally

demo: all
	@KVER=$(KVER) $(CURDIR)/tests/e2e/demo

bench: bench-install
.PHONY: bench-install bench-deps
# The peers the install benchmark compares with, from Debian (idempotent).
bench-deps: $(KVER_FILE)
	@$(CURDIR)/tests/deps --bench $(BUILD) $(KVER)
bench-install: all bench-deps
	@KVER=$(KVER) $(CURDIR)/tests/e2e/bench

# What kbuild leaves in the tree, removed without asking for a kernel.
KBUILD_OUTPUTS := fwguard.ko fwguard.mod fwguard.mod.c fwguard.o Module.symvers \
                  modules.order .*.cmd kmod/*.o kmod/.*.cmd policy/*.o policy/.*.cmd

clean:
	rm -f $(wildcard $(KBUILD_OUTPUTS) fwguard.mod.o)
	rm -rf $(BUILD)/obj $(BUILD)/bin $(BUILD)/tests $(BUILD)/kmod $(BUILD)/results $(BUILD)/vm \
		$(BUILD)/kver-*

distclean: clean
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
