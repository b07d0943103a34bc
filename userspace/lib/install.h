/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Installing a bundle, and checking one as install would (updatectl
 * install, verify). Install streams the image through the kernel gate
 * into the inactive slot of its component, measures the digest the kernel
 * reports into the TPM, seals it for the next boot, and marks the slot to
 * be tried. The active slot, its state and its sealed record are never
 * touched; the target slot is marked invalid before its first byte is
 * written and valid only after everything succeeded, so a failure or power
 * cut at any step leaves a slot that will not be booted.
 */
#ifndef FWGUARD_LIB_INSTALL_H
#define FWGUARD_LIB_INSTALL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "ticket.h"
#include "userspace/lib/config.h"
#include "userspace/lib/policy_conf.h"
#include "userspace/lib/step.h"

struct uc_install_result {
	char path[PATH_MAX];			/* the bundle installed */
	char component[PC_NAME_MAX + 1];
	char slot[PC_NAME_MAX + 1];
	char devnode[64];
	uint64_t version;
	uint64_t length;			/* bytes the kernel wrote */
	uint8_t digest[FWGUARD_SHA256_LEN];	/* as the kernel measured them */
};

struct uc_verify_result {
	char path[PATH_MAX];
	struct fwguard_ticket ticket;
};

/*
 * Install @source, a bundle file or an https:// URL, streamed: its ticket
 * goes through the checks of a file first, then the image straight into
 * the kernel session, nothing of it on disk; a dropped connection is
 * resumed only into the same file (fetch_to_sink()). @progress: draw
 * progress bars on stderr. Returns 0 and fills @res, or -errno with the
 * failing step in @step (logged there).
 */
int uc_install(const struct uc_config *cfg, const char *source, bool progress,
	       struct uc_install_result *res, struct uc_step *step);

/*
 * Everything install checks before the kernel is involved (signature,
 * signer, device policy, TPM floor, replay), plus the image digest, hashed
 * here since nothing will be written. Changes nothing. 0 or -errno.
 */
int uc_verify(const struct uc_config *cfg, const char *path, struct uc_verify_result *res,
	      struct uc_step *step);

#endif /* FWGUARD_LIB_INSTALL_H */
