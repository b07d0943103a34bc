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

int fwg_hex_decode(const char *hex, uint8_t *buf, size_t len)
{
	size_t i;

	if (strlen(hex) != 2 * len)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (hex_nibble(hex[2 * i]) < 0 || hex_nibble(hex[2 * i + 1]) < 0)
			return -EINVAL;
	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(hex_nibble(hex[2 * i]) << 4 | hex_nibble(hex[2 * i + 1]));
	return 0;
}

int fwg_hex_decode_digest(const char *hex, uint8_t digest[FWG_DIGEST_SIZE])
{
	return fwg_hex_decode(hex, digest, FWG_DIGEST_SIZE);
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
