// SPDX-License-Identifier: GPL-2.0-only
/* Options and inputs shared by the `updatectl tpm` sub-commands (see tpm_options.h). */
#include <errno.h>
#include <string.h>

#include "userspace/cli/tpm_options.h"
#include "userspace/common/log.h"

const struct uc_option uc_tpm_options[] = {
	[TPM_OPT_STATE_DIR] = { "state-dir", "DIR", "state directory (default: the configuration's)" },
	[TPM_OPT_PCR] = { "pcr", "N", "PCR index (default: the configuration's)" },
	[TPM_OPT_TEST_PCR] = { "test-allow-resettable-pcr", NULL, "tests only: permit PCR 16 and 23" },
	[TPM_OPT_COMPONENT] = { "component", "C", "component name" },
	[TPM_OPT_SLOT] = { "slot", "S", "slot name" },
	[TPM_OPT_VERSION] = { "version", "V", "security version" },
	[TPM_OPT_DIGEST] = { "digest", "HEX", "SHA-256 of the image" },
	[TPM_OPT_FILE] = { "file", "PATH", "hash this file for the digest" },
	[TPM_OPT_RAISE] = { "raise", "V", "floor: raise it to V" },
	[TPM_OPT_AFTER] = { "after", "HEX", "seal: a digest measured before it at boot",
			    .repeatable = true },
	[TPM_OPT_PERSIST_SRK] = { "persist-srk", NULL, "provision: make the SRK persistent" },
	[TPM_OPT_NONCE] = { "nonce", "HEX", "attest: the verifier's nonce, 16-32 bytes" },
	[TPM_OPT_OUT] = { "out", "FILE", "attest, ak-public, approve: write the result to FILE" },
	[TPM_OPT_APPROVAL] = { "approval", "FILE", "seal, floor --raise: the vendor's approval of the release" },
	[TPM_OPT_KEY] = { "key", "FILE", "approve: the vendor's ECC P-256 policy signing key" },
	{ NULL },
};

int uc_tpm_context_options(const struct uc_args *a, struct fwg_tpm_options *opts)
{
	uint64_t pcr = a->cfg.pcr;

	if (a->opt[TPM_OPT_PCR] && (uc_parse_u64("--pcr", a->opt[TPM_OPT_PCR], &pcr) || pcr > 23)) {
		fwg_log_error("--pcr must be a PCR index 0..23");
		return -EINVAL;
	}
	*opts = (struct fwg_tpm_options){
		.tcti = a->cfg.tcti,
		.state_dir = a->opt[TPM_OPT_STATE_DIR] ? a->opt[TPM_OPT_STATE_DIR] : a->cfg.state_dir,
		.pcr = (int)pcr,
		.allow_resettable_pcr = a->opt[TPM_OPT_TEST_PCR] != NULL,
		.timeout_s = a->cfg.tpm_timeout_s,
	};
	return fwg_tpm_check_pcr_index(opts->pcr, opts->allow_resettable_pcr);
}

int uc_tpm_context_open(const struct uc_args *a, struct fwg_tpm **tpm, struct uc_step *step)
{
	struct fwg_tpm_options opts;
	struct fwg_vendor_key key;
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "parse-options");
	err = uc_tpm_context_options(a, &opts);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_FILE, "read-policy-key");
	err = uc_config_vendor_key(&a->cfg, &key, &opts);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_TPM, "tpm-open");
	return fwg_tpm_open(&opts, tpm);
}

static int subject_name(const char *what, const char *value, size_t max, char *out)
{
	if (!value || !fwg_tpm_subject_name_valid(value, max)) {
		fwg_log_error("--%s must be 1-%zu characters of [A-Za-z0-9._-]", what, max);
		return -EINVAL;
	}
	strcpy(out, value);
	return 0;
}

static int subject_digest(const struct uc_args *a, struct fwg_tpm_subject *s,
			  struct uc_step *step)
{
	const char *digest = a->opt[TPM_OPT_DIGEST], *file = a->opt[TPM_OPT_FILE];
	int err;

	if (!!digest == !!file) {
		fwg_log_error("give exactly one of --digest HEX and --file PATH");
		return -EINVAL;
	}
	if (digest && fwg_hex_decode_digest(digest, s->digest)) {
		fwg_log_error("--digest must be 64 hex digits (SHA-256)");
		return -EINVAL;
	}
	if (!file)
		return 0;
	uc_step_enter(step, UC_SRC_INPUT, "hash-file");
	err = fwg_sha256_file(file, s->digest);
	if (err)
		fwg_log_error("cannot hash %s: %s", file, strerror(-err));
	return err;
}

static int subject_parse(const struct uc_args *a, bool need_slot, bool need_version,
			 struct fwg_tpm_subject *subject, struct uc_step *step)
{
	struct fwg_tpm_subject s;
	int err;

	memset(&s, 0, sizeof(s));
	uc_step_enter(step, UC_SRC_USAGE, "parse-options");
	err = subject_name("component", a->opt[TPM_OPT_COMPONENT], FWG_COMPONENT_MAX, s.component);
	if (!err && need_slot)
		err = subject_name("slot", a->opt[TPM_OPT_SLOT], FWG_SLOT_MAX, s.slot);
	if (!err && need_version && !a->opt[TPM_OPT_VERSION]) {
		fwg_log_error("--version must be a decimal security version");
		err = -EINVAL;
	}
	if (!err && need_version)
		err = uc_parse_u64("--version", a->opt[TPM_OPT_VERSION], &s.version);
	if (!err)
		err = subject_digest(a, &s, step);
	if (!err)
		*subject = s;
	return err;
}

int uc_tpm_subject(const struct uc_args *a, bool need_version, struct fwg_tpm_subject *subject,
		   struct uc_step *step)
{
	return subject_parse(a, true, need_version, subject, step);
}

int uc_tpm_release(const struct uc_args *a, struct fwg_tpm_subject *subject,
		   struct uc_step *step)
{
	return subject_parse(a, false, true, subject, step);
}

int uc_tpm_subject_open(const struct uc_args *a, bool need_version,
			struct fwg_tpm_subject *subject, struct fwg_tpm **tpm, struct uc_step *step)
{
	int err = uc_tpm_subject(a, need_version, subject, step);

	return err ? err : uc_tpm_context_open(a, tpm, step);
}

int uc_tpm_approval_open(const struct uc_args *a, struct fwg_tpm_approval *approval,
			 struct fwg_tpm **tpm, struct uc_step *step)
{
	const char *path = a->opt[TPM_OPT_APPROVAL];
	int err;

	if (path) {
		uc_step_enter(step, UC_SRC_INPUT, "read-approval");
		err = fwg_approval_read(path, approval);
		if (err) {
			fwg_log_error("%s: not a readable approval file (%s)", path, strerror(-err));
			return err;
		}
	}
	return uc_tpm_context_open(a, tpm, step);
}

void uc_tpm_json_subject(struct json_writer *w, const struct fwg_tpm_subject *s)
{
	json_kv_string(w, "component", s->component);
	json_kv_string(w, "slot", s->slot);
	json_kv_u64(w, "version", s->version);
}
