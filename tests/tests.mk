# Test programs. Conventions:
#   tests/unit/test_*.c       host tests (kselftest harness, TAP)
#   tests/tpm/test_*.c        host tests against swtpm
#   tests/kselftest/*.c       guest tests, run inside the QEMU guest
#   tests/host/*.sh           host test scripts printing TAP
#   tests/guest/*.sh          guest test scripts printing TAP
# C tests link the userspace library objects and see the kselftest headers
# extracted by `make deps`.

UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c tests/tpm/test_*.c))
# Open findings of the A/B state machine: built, run by make check-open only.
OPEN_SRCS  :=
UNIT_SRCS  := $(filter-out $(OPEN_SRCS),$(UNIT_SRCS))
# module_load runs first: it needs a module it can load and unload again,
# and the tests after it lock a policy, which pins the module until reboot.
KSFT_SRCS  := tests/kselftest/module_load.c \
              $(filter-out tests/kselftest/module_load.c,$(sort $(wildcard tests/kselftest/*.c)))

UNIT_BINS  := $(UNIT_SRCS:%.c=$(BUILD)/%)
OPEN_BINS  := $(OPEN_SRCS:%.c=$(BUILD)/%)
KSFT_BINS  := $(KSFT_SRCS:%.c=$(BUILD)/%)

# Kernel tests that need a guest of their own (a module never loaded, a disk
# renamed) are built here but run by their tests/host/*.sh wrappers.
KSFT_OWN_BOOT := $(BUILD)/tests/kselftest/fwguard_load $(BUILD)/tests/kselftest/fwguard_rebind \
                 $(BUILD)/tests/kselftest/fwguard_attack \
                 $(BUILD)/tests/kselftest/fwguard_session_life \
                 $(BUILD)/tests/kselftest/fwguard_retire \
                 $(BUILD)/tests/kselftest/fwguard_tpm_floor \
                 $(BUILD)/tests/kselftest/fwguard_breach_copies \
                 $(BUILD)/tests/kselftest/fwguard_breach_target \
                 $(BUILD)/tests/kselftest/fwguard_breach_discard \
                 $(BUILD)/tests/kselftest/fwguard_breach_nvme \
                 $(BUILD)/tests/kselftest/fwguard_nvme_reset \
                 $(BUILD)/tests/kselftest/fwguard_nvme_multipath \
                 $(BUILD)/tests/kselftest/fwguard_breach_gate_full \
                 $(BUILD)/tests/kselftest/fwguard_bindguard \
                 $(BUILD)/tests/kselftest/fwguard_usbfs \
                 $(BUILD)/tests/kselftest/abmodel_guest

# make check runs host tests side by side (tap-run -j), the programs that
# take longest first, longest first (HOST_ORDER, by name, from any
# fragment), so that the short ones fill the gaps and the lanes end
# together soon after the longest test.
HOST_LONG   := grub_update e2e_update grub_powercut slice abmodel_guest grub_boot \
               policy_label_duplicate grub_slot_spoof io_faults
# Recursive: the fragments included after this one still add to HOST_TESTS.
HOST_FIRST   = $(foreach t,$(HOST_LONG),$(filter %/$(t).sh,$(HOST_TESTS)))
HOST_ORDER   = $(HOST_FIRST) $(filter-out $(HOST_FIRST),$(HOST_TESTS))
HOST_TESTS  += $(sort $(wildcard $(CURDIR)/tests/host/*.sh)) $(UNIT_BINS)
# In the shared guest: the module load test first (it must unload the
# module again), then the updatectl keys/policy script while the keyring is
# still open, then the kernel tests, which lock the policy for the boot.
GUEST_TESTS += $(firstword $(KSFT_BINS)) $(sort $(wildcard $(CURDIR)/tests/guest/*.sh)) \
               $(filter-out $(KSFT_OWN_BOOT),$(wordlist 2,999,$(KSFT_BINS)))
userspace: $(filter $(KSFT_OWN_BOOT),$(KSFT_BINS)) $(OPEN_BINS)

# The kselftest harness predates some of our warnings.
EXTRA_CFLAGS_tests := -I$(KSFT) -Wno-missing-prototypes -Wno-shadow \
                      -DFWGUARD_BUILD=\"$(BUILD)\" -DFWGUARD_SRCDIR=\"$(CURDIR)\"

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIB_LIBS) -lpthread

# Reproducers of open findings: they fail on today's module and are kept
# out of `make check` until it is fixed.
.PHONY: check-open
check-open: all $(OPEN_BINS)
	@KVER=$(KVER) $(CURDIR)/tests/lib/tap-run $(sort $(wildcard $(CURDIR)/tests/open/*.sh))

# The model-based test of the A/B state machine, long: make model-long SEED=.. N=.. STEPS=..
.PHONY: model-long
model-long: $(BUILD)/tests/tpm/test_abmodel
	$(BUILD)/tests/tpm/test_abmodel $(or $(SEED),$(shell date +%s)) $(or $(N),200) $(or $(STEPS),80)

# The same model on a device (guests with fwguard.ko, one disk and one swtpm
# across boots), long: make model-guest SEED=.. N=.. STEPS=..
.PHONY: model-guest
model-guest: all
	KVER=$(KVER) $(CURDIR)/tests/host/abmodel_guest.sh $(or $(SEED),$(shell date +%s)) \
		$(or $(N),10) $(or $(STEPS),40)
