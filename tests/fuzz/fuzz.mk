# SPDX-License-Identifier: GPL-2.0-only
#
# Fuzz targets, their seed corpora and the corpus replay run by `make check`.
# Conventions (any target following them is picked up without editing here):
#   tests/fuzz/fuzz_<name>.c     libFuzzer target (LLVMFuzzerTestOneInput)
#   tests/fuzz/corpus/<name>/    its committed seed corpus (small files only)
#   tests/fuzz/seeds_<name>.c    optional program regenerating those seeds
#   FUZZ_SRCS_<name>             sources the target links (fuzzer and replay);
#                                default: the whole userspace library
#   FUZZ_LIBS_<name>             libraries for those; default: the library's
#
#   make fuzz-<name>    build with clang -fsanitize=fuzzer,address,undefined and
#                       run for FUZZ_TIME seconds (default 600) under nice;
#                       new inputs go to build/fuzz/work/<name>, findings to
#                       build/fuzz/artifacts/<name>/, the log to
#                       build/fuzz/fuzz_<name>.log
#   make fuzz           every target in turn
#   make fuzz-seeds     rerun every seeds_<name> program into its corpus
#   make fuzz-cov-<name> source coverage of the seeds + working corpus (clang)
#   make check          runs build/tests/fuzz/replay_<name>: each corpus file
#                       through the same entry point, one TAP result per file
#
# A fragment read after this one may set FUZZ_SRCS_<name>, so the rules below
# expand it in prerequisites through .SECONDEXPANSION; no other rule in the
# tree has a '$' left after the first expansion, so it changes nothing else.

FUZZ_TIME   ?= 600
FUZZ_CC     ?= clang
FUZZ_ARGS   ?=
FUZZ_CFLAGS ?= -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=undefined
FUZZ_INCS   := -I$(CURDIR) -I$(CURDIR)/policy -I$(CURDIR)/kmod/include/uapi

FUZZ_NAMES      := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_SEED_NAMES := $(patsubst tests/fuzz/seeds_%.c,%,$(sort $(wildcard tests/fuzz/seeds_*.c)))
FUZZ_BINS       := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
REPLAY_BINS     := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/replay_%)

# The ticket parser needs nothing but itself.
FUZZ_SRCS_ticket := policy/ticket.c

fuzz_srcs = $(if $(FUZZ_SRCS_$1),$(FUZZ_SRCS_$1),$(LIB_SRCS))
fuzz_libs = $(if $(FUZZ_SRCS_$1),$(FUZZ_LIBS_$1),$(LIB_LIBS))
fuzz_objs = $(patsubst %.c,$(BUILD)/obj/%.o,$(call fuzz_srcs,$1))

HOST_TESTS += $(REPLAY_BINS)

.PHONY: fuzz fuzz-seeds $(FUZZ_NAMES:%=fuzz-%) $(FUZZ_NAMES:%=fuzz-cov-%)
.SECONDEXPANSION:

# ---- replay (gcc, ordinary host test) ----
$(FUZZ_NAMES:%=$(BUILD)/obj/tests/fuzz/replay_%.o): $(BUILD)/obj/tests/fuzz/replay_%.o: \
		tests/fuzz/replay.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_CFLAGS_tests) \
		-DFUZZ_CORPUS_DIR=\"$(CURDIR)/tests/fuzz/corpus/$*\" -c -o $@ $<

$(REPLAY_BINS): $(BUILD)/tests/fuzz/replay_%: $(BUILD)/obj/tests/fuzz/replay_%.o \
		$(BUILD)/obj/tests/fuzz/fuzz_%.o $$(call fuzz_objs,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call fuzz_libs,$*)

# ---- libFuzzer (clang) ----
$(FUZZ_BINS): $(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h \
		$$(call fuzz_srcs,$$*) $$(wildcard policy/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_INCS) -o $@ $< $(call fuzz_srcs,$*) \
		$(call fuzz_libs,$*)

$(FUZZ_NAMES:%=fuzz-%): fuzz-%: $(BUILD)/fuzz/fuzz_%
	@mkdir -p $(BUILD)/fuzz/work/$* $(BUILD)/fuzz/artifacts/$*
	{ nice -n 10 $< -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/artifacts/$*/ $(FUZZ_ARGS) \
		$(BUILD)/fuzz/work/$* $(CURDIR)/tests/fuzz/corpus/$* 2>&1; \
		echo $$? >$(BUILD)/fuzz/fuzz_$*.status; } | tee $(BUILD)/fuzz/fuzz_$*.log
	@exit $$(cat $(BUILD)/fuzz/fuzz_$*.status)

fuzz: $(FUZZ_NAMES:%=fuzz-%)

# Source coverage of a corpus: the committed seeds plus, when present, the
# fuzzer's working corpus, replayed by a clang coverage build of the target.
$(FUZZ_NAMES:%=fuzz-cov-%): fuzz-cov-%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c
	@rm -rf $(BUILD)/fuzz/cov/$* && mkdir -p $(BUILD)/fuzz/cov/$*
	$(FUZZ_CC) -O0 -g -fprofile-instr-generate -fcoverage-mapping $(FUZZ_INCS) \
		-DFUZZ_CORPUS_DIR=\"$(CURDIR)/tests/fuzz/corpus/$*\" \
		-o $(BUILD)/fuzz/cov/$*/replay tests/fuzz/replay.c $< \
		$(call fuzz_srcs,$*) $(call fuzz_libs,$*)
	@for dir in $(CURDIR)/tests/fuzz/corpus/$* $(wildcard $(BUILD)/fuzz/work/$*); do \
		LLVM_PROFILE_FILE=$(BUILD)/fuzz/cov/$*/%p.profraw \
			$(BUILD)/fuzz/cov/$*/replay $$dir | tail -n +3 | grep -v '^ok' || true; \
	done
	llvm-profdata merge -sparse -o $(BUILD)/fuzz/cov/$*/all.profdata \
		$(BUILD)/fuzz/cov/$*/*.profraw
	llvm-cov report -instr-profile=$(BUILD)/fuzz/cov/$*/all.profdata \
		$(BUILD)/fuzz/cov/$*/replay $(call fuzz_srcs,$*)

# ---- seed corpora ----
$(FUZZ_SEED_NAMES:%=$(BUILD)/fuzz/seeds_%): $(BUILD)/fuzz/seeds_%: tests/fuzz/seeds_%.c \
		$$(call fuzz_srcs,$$*) $$(wildcard policy/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) $(FUZZ_INCS) -o $@ $< $(call fuzz_srcs,$*) \
		$(call fuzz_libs,$*)

fuzz-seeds: $(FUZZ_SEED_NAMES:%=$(BUILD)/fuzz/seeds_%)
	@set -e; for name in $(FUZZ_SEED_NAMES); do \
		mkdir -p tests/fuzz/corpus/$$name; \
		$(BUILD)/fuzz/seeds_$$name tests/fuzz/corpus/$$name; \
		echo "fuzz-seeds: $$name: $$(ls tests/fuzz/corpus/$$name | wc -l) files"; \
	done

# Mutation check of the ticket parser tests: every refusal check disabled in
# turn must make some case fail, and every malformed case must fail against
# some broken parser. Not part of `make check` (it rebuilds the test ~30 times).
.PHONY: mutants-ticket
mutants-ticket: | deps
	BUILD=$(BUILD) nice -n 5 $(CURDIR)/tests/unit/ticket_mutants.py
