// SPDX-License-Identifier: GPL-2.0-only
/*
 * Failure messages (see log.h). The program name comes from the process,
 * so the same library code says "updatectl: ..." in the tool and names
 * the test binary in a test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "userspace/common/log.h"

static char first_message[512];

void fwg_log_verror(const char *prefix, const char *fmt, va_list ap)
{
	char message[512];
	int n;

	n = snprintf(message, sizeof(message), "%s", prefix);
	vsnprintf(message + n, sizeof(message) - n, fmt, ap);
	if (!first_message[0])
		memcpy(first_message, message, sizeof(message));
	fprintf(stderr, "%s: %s\n", program_invocation_short_name, message);
}

void fwg_log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fwg_log_verror("", fmt, ap);
	va_end(ap);
}

const char *fwg_log_first(void)
{
	return first_message;
}
