// SPDX-License-Identifier: GPL-2.0-only
/* Hex encoding shared by updatectl and tpm/ (see hex.h). */
#include <errno.h>
#include <string.h>

#include "userspace/common/hex.h"

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int fwg_hex_decode_digest(const char *hex, uint8_t digest[FWG_DIGEST_SIZE])
{
	uint8_t out[FWG_DIGEST_SIZE];
	size_t i;

	if (strlen(hex) != FWG_DIGEST_HEX_LEN)
		return -EINVAL;
	for (i = 0; i < FWG_DIGEST_SIZE; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(digest, out, sizeof(out));
	return 0;
}

void fwg_hex_encode(const uint8_t *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0xf];
	}
	out[2 * len] = '\0';
}
