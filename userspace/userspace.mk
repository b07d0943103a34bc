# updatectl and the library objects shared with the tests.
# Every userspace/*.c, tpm/*.c and policy/*.c is part of the library;
# userspace/updatectl.c holds main() and is linked into the tool only.

LIB_SRCS  := $(filter-out userspace/updatectl.c,$(sort $(wildcard userspace/*.c tpm/*.c policy/*.c)))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB_LIBS  := -lcrypto -lssl -lcurl -lkeyutils -lkmod \
             -ltss2-esys -ltss2-mu -ltss2-rc -ltss2-tctildr

BINS += $(BUILD)/bin/updatectl

$(BUILD)/bin/updatectl: $(BUILD)/obj/userspace/updatectl.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIB_LIBS)
