/* SPDX-License-Identifier: GPL-2.0-only */
/* Lower-case hex encoding of digests and ids, and decoding of SHA-256 digests. */
#ifndef FWGUARD_COMMON_HEX_H
#define FWGUARD_COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

#define FWG_DIGEST_SIZE		32
#define FWG_DIGEST_HEX_LEN	(2 * FWG_DIGEST_SIZE)

/* Write 2 * @len hex digits and a NUL to @out. */
void fwg_hex_encode(const uint8_t *buf, size_t len, char *out);

/* Exactly 64 hex digits (either case) into @digest. 0 or -EINVAL. */
int fwg_hex_decode_digest(const char *hex, uint8_t digest[FWG_DIGEST_SIZE]);

/* Exactly 2 * @len hex digits into @buf. 0 or -EINVAL. */
int fwg_hex_decode(const char *hex, uint8_t *buf, size_t len);

#endif /* FWGUARD_COMMON_HEX_H */
