/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one way updatectl, its library and tpm/ report a failure: a line
 * "<program>: <message>" on stderr, written once where the failure is
 * understood. The last message is kept so that a command that reports in
 * JSON can repeat it in its error object.
 */
#ifndef FWGUARD_COMMON_LOG_H
#define FWGUARD_COMMON_LOG_H

void fwg_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last message fwg_log_error() wrote, or "" when there was none. */
const char *fwg_log_last(void);

#endif /* FWGUARD_COMMON_LOG_H */
