/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Vendor side: building a signed bundle from an image (updatectl bundle
 * create). The image is written first, hashed chunk by chunk as it is
 * copied, so the bytes in the bundle are exactly the bytes that were
 * hashed even if the source changes meanwhile; one pass suffices because
 * the CMS length does not depend on the digest value (a dry-run signature
 * gives it). The bundle appears under its name only complete and on disk;
 * a failure leaves nothing, and an existing file keeps its content.
 */
#ifndef FWGUARD_LIB_BUNDLE_CREATE_H
#define FWGUARD_LIB_BUNDLE_CREATE_H

#include <stdint.h>

#include "userspace/lib/step.h"

struct bundle_create_request {
	const char *image, *key, *cert, *output;
	const char *component, *device_class, *serial;	/* serial: NULL for any */
	uint64_t security_version, not_before, not_after;
	uint32_t flags;					/* FWGUARD_TICKET_F_* */
	/*
	 * The vendor's ECC P-256 policy key, or NULL: with it, the approval
	 * of the predicted PCR state is written to <output>.approval
	 * (tpm/TPM.md "Vendor-authorised sealing"), for @pcr.
	 */
	const char *policy_key;
	unsigned int pcr;
};

/* 0, or -errno with the failing step in @step (logged). */
int bundle_create(const struct bundle_create_request *req, struct uc_step *step);

#endif /* FWGUARD_LIB_BUNDLE_CREATE_H */
