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

void fwg_log_error(const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (!first_message[0])
		memcpy(first_message, message, sizeof(message));
	fprintf(stderr, "%s: %s\n", program_invocation_short_name, message);
}

const char *fwg_log_first(void)
{
	return first_message;
}
