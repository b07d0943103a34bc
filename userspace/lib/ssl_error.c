// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decoding of OpenSSL's error queue into the one line a failing updatectl
 * operation prints. OpenSSL queues several errors per failure, innermost
 * first; the first one is the cause an operator can act on.
 */
#include <stdio.h>

#include <openssl/err.h>

#include "userspace/lib/ssl_error.h"

void ssl_log_clear(void)
{
	ERR_clear_error();
}

void ssl_log_error(const char *fmt, ...)
{
	unsigned long code = ERR_peek_error();
	const char *reason = NULL;
	va_list ap;

	if (code)
		reason = ERR_reason_error_string(code);
	fputs("updatectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (reason)
		fprintf(stderr, ": %s", reason);
	fputc('\n', stderr);
	ERR_clear_error();
}
