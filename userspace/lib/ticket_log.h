/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ids of the tickets this device consumed, in <state_dir>/tickets, one
 * hex id per line. The kernel refuses a replay within a boot; this log
 * refuses it across reboots, before anything is touched.
 */
#ifndef FWGUARD_LIB_TICKET_LOG_H
#define FWGUARD_LIB_TICKET_LOG_H

#include <stdint.h>

/* 0 if @id was never consumed, -EALREADY (logged) if it was, or -errno. */
int ticket_log_check(const char *state_dir, const uint8_t id[16]);

/* 1 if @id was consumed, 0 if not, or -errno; logs nothing. */
int ticket_log_has(const char *state_dir, const uint8_t id[16]);

/* Append @id durably (fsync before returning). 0 or -errno. */
int ticket_log_add(const char *state_dir, const uint8_t id[16]);

#endif /* FWGUARD_LIB_TICKET_LOG_H */
