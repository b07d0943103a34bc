# SPDX-License-Identifier: GPL-2.0-only
# Crash points from a write log: the replayer (a host tool the crash-point
# scenario runs) and its unit test's extra object. `make crash-points` boots
# every crash image of the recorded operations (long: not part of check).
REPLAY := $(BUILD)/tests/crash/replay
REPLAY_OBJS := $(BUILD)/obj/tests/crash/replay.o $(BUILD)/obj/tests/crash/logreplay.o

$(REPLAY): $(REPLAY_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

$(BUILD)/tests/unit/test_logreplay: $(BUILD)/obj/tests/crash/logreplay.o

userspace: $(REPLAY)

.PHONY: crash-points torture
crash-points: all
	KVER=$(KVER) $(CURDIR)/tests/crash/crash_points.sh $(CRASH_ARGS)
torture: crash-points
