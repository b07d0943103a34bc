/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one way updatectl, its library and tpm/ report a failure: a line
 * "<program>: <message>" on stderr, written once where the failure is
 * understood. The first message is kept so that a command that reports in
 * JSON can repeat it in its error object.
 */
#ifndef FWGUARD_COMMON_LOG_H
#define FWGUARD_COMMON_LOG_H

#include <stdarg.h>

void fwg_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fwg_log_error() with a va_list, the message led by @prefix (short). */
void fwg_log_verror(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * The first message fwg_log_error() wrote, or "" when there was none: the
 * cause, since a failure is logged where it is understood and callers
 * only add context after it.
 */
const char *fwg_log_first(void);

#endif /* FWGUARD_COMMON_LOG_H */
