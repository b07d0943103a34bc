# updatectl: the command layer (userspace/cli, CLI_OBJS) over the library
# (LIB_OBJS, see Makefile). Nothing else links the command layer.

BINS += $(BUILD)/bin/updatectl

$(BUILD)/bin/updatectl: $(CLI_OBJS) $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIB_LIBS)
