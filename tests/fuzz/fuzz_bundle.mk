# SPDX-License-Identifier: GPL-2.0-only
# The bundle header fuzz target (tests/fuzz/fuzz_bundle.c) is picked up by
# the generic rules in tests/fuzz/fuzz.mk; it needs only the header parser.
FUZZ_SRCS_bundle := userspace/lib/bundle_format.c
