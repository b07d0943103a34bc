# SPDX-License-Identifier: GPL-2.0-only
# updatectl with the test-only power-cut hook (FWGUARD_TEST_CUT in
# userspace/lib/abstate.c): the objects of build/bin/updatectl, but
# abstate.c compiled again with the hook. Only the power-cut scenarios run
# it (tests/host/grub_powercut.sh, and tests/host/e2e_update.sh's install
# killed after the kernel's commit); build/bin/updatectl, the one installed,
# is built without the macro and carries no trace of the hook.
CUT_ABSTATE := $(BUILD)/obj-cut/userspace/lib/abstate.o
CUT_UPDATECTL := $(BUILD)/tests/e2e/updatectl-cut

$(CUT_ABSTATE): userspace/lib/abstate.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DFWGUARD_TEST_CUT -c -o $@ $<

$(CUT_UPDATECTL): $(CLI_OBJS) $(filter-out $(BUILD)/obj/userspace/lib/abstate.o,$(LIB_OBJS)) \
		  $(CUT_ABSTATE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIB_LIBS)

userspace: $(CUT_UPDATECTL)

# Every boot-protocol step cut in turn (longer than make check allows).
.PHONY: powercut-grub
powercut-grub: all
	@KVER=$(KVER) GRUB_POWERCUT=all $(CURDIR)/tests/lib/tap-run \
		$(CURDIR)/tests/host/grub_powercut.sh

# A device in vendor mode across three boots (tests/e2e/vendor; a few
# minutes under TCG, longer than make check allows).
.PHONY: e2e-vendor
e2e-vendor: all
	@KVER=$(KVER) $(CURDIR)/tests/lib/tap-run $(CURDIR)/tests/e2e/vendor

# A slot the floor passed is retired and GRUB cannot boot it, whatever the
# environment says, also when root holds the slot open (tests/e2e/grub_retire
# and grub_retire_held_open; three GRUB boots each, so not in make check,
# whose GRUB boots are counted).
.PHONY: check-grub-retire
check-grub-retire: all
	@KVER=$(KVER) $(CURDIR)/tests/lib/tap-run $(CURDIR)/tests/e2e/grub_retire \
		$(CURDIR)/tests/e2e/grub_retire_held_open
