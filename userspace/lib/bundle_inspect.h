/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading a bundle back (updatectl bundle inspect): the header, the ticket
 * (verified against a trust store when one is given, else only decoded
 * for display) and, when verified, the image digest.
 */
#ifndef FWGUARD_LIB_BUNDLE_INSPECT_H
#define FWGUARD_LIB_BUNDLE_INSPECT_H

#include <stdbool.h>

#include "ticket.h"
#include "userspace/lib/bundle_format.h"
#include "userspace/lib/step.h"

struct bundle_inspect_result {
	struct bundle_header hdr;
	struct fwguard_ticket ticket;
	bool verified;		/* signature and image digest checked */
};

/* @trust: CA file or directory, or NULL. 0 or -errno with @step (logged). */
int bundle_inspect(const char *path, const char *trust, struct bundle_inspect_result *r,
		   struct uc_step *step);

#endif /* FWGUARD_LIB_BUNDLE_INSPECT_H */
