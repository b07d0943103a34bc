/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The options every `updatectl tpm` sub-command accepts, and the inputs
 * they share: the TPM context options (configuration, then --state-dir,
 * --pcr over it) and the subject of a measurement or sealed record. Inputs
 * are checked before the TPM is opened, so bad input changes nothing.
 */
#ifndef FWGUARD_CLI_TPM_OPTIONS_H
#define FWGUARD_CLI_TPM_OPTIONS_H

#include "tpm/tpm.h"
#include "userspace/cli/command.h"
#include "userspace/lib/json.h"

enum {
	TPM_OPT_STATE_DIR, TPM_OPT_PCR, TPM_OPT_TEST_PCR, TPM_OPT_COMPONENT, TPM_OPT_SLOT,
	TPM_OPT_VERSION, TPM_OPT_DIGEST, TPM_OPT_FILE, TPM_OPT_RAISE, TPM_OPT_AFTER,
	TPM_OPT_PERSIST_SRK, TPM_OPT_NONCE, TPM_OPT_OUT, TPM_OPT_APPROVAL, TPM_OPT_KEY,
};

extern const struct uc_option uc_tpm_options[];

/* The context options from the configuration and the command line; 0 or -EINVAL. */
int uc_tpm_context_options(const struct uc_args *a, struct fwg_tpm_options *opts);

/* Open the TPM for @a; the failing step in @step. */
int uc_tpm_context_open(const struct uc_args *a, struct fwg_tpm **tpm, struct uc_step *step);

/* uc_tpm_subject(), then uc_tpm_context_open(). */
int uc_tpm_subject_open(const struct uc_args *a, bool need_version,
			struct fwg_tpm_subject *subject, struct fwg_tpm **tpm, struct uc_step *step);

/*
 * The vendor's approval of a release, from --approval FILE when given
 * (read before the TPM is opened), then uc_tpm_context_open().
 */
int uc_tpm_approval_open(const struct uc_args *a, struct fwg_tpm_approval *approval,
			 struct fwg_tpm **tpm, struct uc_step *step);

/* Component, slot and digest always; the version where one is recorded. */
int uc_tpm_subject(const struct uc_args *a, bool need_version, struct fwg_tpm_subject *subject,
		   struct uc_step *step);

/* Component, version and digest: a release, on no slot yet (approve). */
int uc_tpm_release(const struct uc_args *a, struct fwg_tpm_subject *subject,
		   struct uc_step *step);

/* "component", "slot" and "version" members of a JSON report. */
void uc_tpm_json_subject(struct json_writer *w, const struct fwg_tpm_subject *s);

#endif /* FWGUARD_CLI_TPM_OPTIONS_H */
