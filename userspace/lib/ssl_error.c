// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decoding of OpenSSL's error queue into the one line a failing updatectl
 * operation prints. OpenSSL queues several errors per failure, innermost
 * first; the first one is the cause an operator can act on.
 */
#include <stdio.h>

#include <openssl/err.h>

#include "userspace/common/log.h"
#include "userspace/common/log.h"
#include "userspace/lib/ssl_error.h"

void ssl_log_clear(void)
{
	ERR_clear_error();
}

void ssl_log_error(const char *fmt, ...)
{
	unsigned long code = ERR_peek_error();
	const char *reason = code ? ERR_reason_error_string(code) : NULL;
	char message[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (reason)
		fwg_log_error("%s: %s", message, reason);
	else
		fwg_log_error("%s", message);
	ERR_clear_error();
}
