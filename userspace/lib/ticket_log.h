/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ids of the tickets this device consumed, one hex id per line of
 * <state_dir>/tickets, the journal that tpm/journal.c anchors in a TPM NV
 * extend index (the file also holds the adoptions, abstate.c). The kernel
 * refuses a replay within a boot; this log refuses it across reboots,
 * before anything is touched. Root can edit the file but not the index: a
 * truncated or edited log fails every anchored call (FWG_TPM_E_JOURNAL).
 */
#ifndef FWGUARD_LIB_TICKET_LOG_H
#define FWGUARD_LIB_TICKET_LOG_H

#include <stdint.h>

#include "tpm/tpm.h"

/*
 * The file alone, no TPM (an early refusal; ticket_log_refuse() decides):
 * 0 if @id is not in it, -EALREADY (logged) if it is, or -errno.
 */
int ticket_log_check(const char *state_dir, const uint8_t id[16]);

/* Anchored: 0 if @id was never consumed, -EALREADY (logged) if it was, or -errno. */
int ticket_log_refuse(struct fwg_tpm *tpm, const uint8_t id[16]);

/* Anchored: 1 if @id was consumed, 0 if not, or -errno; logs only a broken journal. */
int ticket_log_has(struct fwg_tpm *tpm, const uint8_t id[16]);

/* Append @id durably and extend it into the journal's index. 0 or -errno. */
int ticket_log_add(struct fwg_tpm *tpm, const uint8_t id[16]);

#endif /* FWGUARD_LIB_TICKET_LOG_H */
