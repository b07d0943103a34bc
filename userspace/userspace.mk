# updatectl: main() in updatectl.c over the library (LIB_OBJS, see Makefile).

BINS += $(BUILD)/bin/updatectl

$(BUILD)/bin/updatectl: $(BUILD)/obj/userspace/updatectl.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIB_LIBS)
