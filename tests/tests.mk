# Test programs. Conventions:
#   tests/unit/test_*.c       host tests (kselftest harness, TAP)
#   tests/tpm/test_*.c        host tests against swtpm
#   tests/kselftest/*.c       guest tests, run inside the QEMU guest
#   tests/host/*.sh           host test scripts printing TAP
#   tests/guest/*.sh          guest test scripts printing TAP
# C tests link the userspace library objects and see the kselftest headers
# extracted by `make deps`.

UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c tests/tpm/test_*.c))
# module_load runs first: it needs a module it can load and unload again,
# and the tests after it lock a policy, which pins the module until reboot.
KSFT_SRCS  := tests/kselftest/module_load.c \
              $(filter-out tests/kselftest/module_load.c,$(sort $(wildcard tests/kselftest/*.c)))

UNIT_BINS  := $(UNIT_SRCS:%.c=$(BUILD)/%)
KSFT_BINS  := $(KSFT_SRCS:%.c=$(BUILD)/%)

HOST_TESTS  += $(UNIT_BINS) $(sort $(wildcard $(CURDIR)/tests/host/*.sh))
GUEST_TESTS += $(KSFT_BINS) $(sort $(wildcard $(CURDIR)/tests/guest/*.sh))

# The kselftest harness predates some of our warnings.
EXTRA_CFLAGS_tests := -I$(KSFT) -Wno-missing-prototypes -Wno-shadow \
                      -DFWGUARD_BUILD=\"$(BUILD)\" -DFWGUARD_SRCDIR=\"$(CURDIR)\"

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIB_LIBS) -lpthread
