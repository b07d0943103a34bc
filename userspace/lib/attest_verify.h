/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Vendor-side verification of a quote from `updatectl attest` (no TPM
 * needed): the enrolled attestation key, the AK's signature over the
 * TPMS_ATTEST, its magic and type, the verifier's nonce, the PCR selection,
 * the event log's replay against the quoted PCR digest, and that every
 * digest measured this boot is a vendor-signed release (tickets verified
 * exactly as install verifies them, ticket_verify_cms()). tpm/TPM.md
 * "Attestation" lists the checks and why each is there.
 */
#ifndef FWGUARD_LIB_ATTEST_VERIFY_H
#define FWGUARD_LIB_ATTEST_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "ticket.h"
#include "tpm/tpm.h"
#include "userspace/lib/step.h"

/* Most release files one verification reads. */
#define ATTEST_RELEASES_MAX	4096

struct attest_release {
	char *file;			/* where it was read, for reports */
	struct fwguard_ticket ticket;	/* verified and parsed */
};

struct attest_releases {
	struct attest_release *v;
	size_t n;
};

struct cms_trust;

/*
 * Every release in @path (a bundle or a DER CMS ticket, or a directory of
 * them: regular files not starting with '.'), each verified against
 * @trust. One file that is not a vendor-signed release fails the whole
 * set: 0, a cms_verify_ticket() refusal, -EBADMSG, -E2BIG, or I/O errno.
 */
int attest_releases_load(const char *path, const struct cms_trust *trust,
			 struct attest_releases *out);
void attest_releases_free(struct attest_releases *r);
const struct attest_release *attest_release_find(const struct attest_releases *r,
						 const uint8_t digest[FWG_DIGEST_SIZE]);

struct attest_verify_request {
	const char *ak_path;		/* enrolled TPM2B_PUBLIC of the AK */
	/* NULL ak_path: the AK's TPM2B_PUBLIC in memory (the device's own) */
	const uint8_t *ak_public;
	size_t ak_public_len;
	const char *quote_path;
	/* NULL: no release check (the device checks its own quote) */
	const char *releases_path;
	const char *trust_path;		/* CA of the ticket signers */
	uint8_t nonce[FWG_NONCE_MAX];
	size_t nonce_len;
	unsigned int pcr;		/* the PCR the quote must cover, alone */
};

struct attest_event {
	struct fwg_eventlog_event ev;
	const struct attest_release *release;
};

struct attest_report {
	unsigned int pcr;
	uint8_t ak_name[FWG_TPM_NAME_SIZE];
	uint8_t pcr_digest[FWG_DIGEST_SIZE];
	uint64_t clock, firmware_version;
	uint32_t reset_count, restart_count;
	struct attest_event *events;	/* this boot's chain, in order */
	size_t n_events;
	struct attest_releases releases;
};

/*
 * All checks, in the order of TPM.md; out is written only on success.
 * 0, or -errno with the failing check named in @step (logged once):
 * -EKEYREJECTED (signer, signature, replay), -ESTALE (nonce), -EBADMSG
 * (malformed quote or AK), -ENOPKG (AK not a restricted ECDSA P-256
 * signing key), -EPROTO (PCR selection), -EPERM (a digest or its claims
 * not in any vendor release), or a release or I/O error.
 */
int attest_verify(const struct attest_verify_request *req, struct attest_report *out,
		  struct uc_step *step);
void attest_report_free(struct attest_report *r);

#endif /* FWGUARD_LIB_ATTEST_VERIFY_H */
