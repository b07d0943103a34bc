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

#include "userspace/common/log.h"

static char last_message[512];

void fwg_log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_message, sizeof(last_message), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", program_invocation_short_name, last_message);
}

const char *fwg_log_last(void)
{
	return last_message;
}
