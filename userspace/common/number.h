/* SPDX-License-Identifier: GPL-2.0-only */
/* The one decimal number parser of updatectl, its files and tpm/. */
#ifndef FWGUARD_COMMON_NUMBER_H
#define FWGUARD_COMMON_NUMBER_H

#include <stdint.h>

/*
 * @text is a decimal number: digits only (no sign, no space, no suffix)
 * that fit 64 bits. Returns 0 and sets @out, or -EINVAL.
 */
int fwg_parse_u64(const char *text, uint64_t *out);

#endif /* FWGUARD_COMMON_NUMBER_H */
