/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The libFuzzer entry points, declared once for the fuzz targets in
 * tests/fuzz/fuzz_*.c and for the corpus replay driver (tests/fuzz/replay.c)
 * that runs the same targets as ordinary host tests without libFuzzer.
 */
#ifndef FWGUARD_TESTS_FUZZ_H
#define FWGUARD_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional one-time set-up; a target may leave it undefined. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#endif /* FWGUARD_TESTS_FUZZ_H */
