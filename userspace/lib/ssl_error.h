/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One-line error reports for OpenSSL failures: the caller's message followed
 * by the decoded reason of the deepest queued OpenSSL error, then the queue
 * is cleared so a later report cannot pick up a stale reason.
 */
#ifndef FWGUARD_SSL_ERROR_H
#define FWGUARD_SSL_ERROR_H

#include <stdarg.h>

void ssl_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ssl_log_clear(void);

#endif /* FWGUARD_SSL_ERROR_H */
