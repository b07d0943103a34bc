// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl tpm seal|unseal-verify: the sealing steps install and
 * boot-verify use, one at a time (tpm/seal.c); and tpm approve, the
 * vendor's signature of a release's predicted PCR state (tpm/approval.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userspace/cli/tpm_commands.h"
#include "userspace/common/fileio.h"
#include "userspace/common/log.h"

static int earlier_digests(const struct uc_args *a, uint8_t earlier[][FWG_DIGEST_SIZE])
{
	size_t i;

	for (i = 0; i < a->n_list; i++) {
		if (fwg_hex_decode_digest(a->list[i], earlier[i])) {
			fwg_log_error("--after must be 64 hex digits (SHA-256)");
			return -EINVAL;
		}
	}
	return 0;
}

static void seal_report(const struct uc_args *a, const struct fwg_tpm_subject *s,
			unsigned int pcr, const uint8_t predicted[FWG_DIGEST_SIZE])
{
	char hex[FWG_DIGEST_HEX_LEN + 1];
	struct json_writer w;

	fwg_hex_encode(predicted, FWG_DIGEST_SIZE, hex);
	if (!a->json) {
		printf("sealed %s slot %s version %" PRIu64 " to PCR %u = %s\n", s->component,
		       s->slot, s->version, pcr, hex);
		return;
	}
	json_doc_begin(&w, stdout);
	uc_tpm_json_subject(&w, s);
	json_kv_u64(&w, "pcr", pcr);
	json_kv_string(&w, "predicted_pcr", hex);
	json_doc_end(&w);
}

static int seal_run(const struct uc_args *a, struct uc_step *step)
{
	uint8_t predicted[FWG_DIGEST_SIZE], earlier[UC_LIST_MAX][FWG_DIGEST_SIZE];
	const char *approval_path = a->opt[TPM_OPT_APPROVAL];
	struct fwg_tpm_approval approval;
	struct fwg_tpm_subject subject;
	struct fwg_tpm *tpm = NULL;
	unsigned int pcr = 0;
	int err;

	err = uc_tpm_subject(a, true, &subject, step);
	if (!err)
		err = earlier_digests(a, earlier);
	if (!err && approval_path && a->n_list) {
		fwg_log_error("--approval covers a component measured first; not with --after");
		err = -EINVAL;
	}
	if (!err)
		err = uc_tpm_approval_open(a, &approval, &tpm, step);
	if (!err) {
		uc_step_enter(step, UC_SRC_TPM, "seal");
		err = approval_path ? fwg_tpm_seal_approved(tpm, &subject, &approval) :
				      fwg_tpm_seal_after(tpm, &subject, earlier, a->n_list);
	}
	if (!err)
		err = fwg_tpm_predict_boot_pcr_after(earlier, a->n_list, subject.digest, predicted);
	if (!err)
		pcr = fwg_tpm_pcr_index(tpm);
	fwg_tpm_close(tpm);
	if (err)
		return err;
	seal_report(a, &subject, pcr, predicted);
	return UC_EXIT_OK;
}

const struct uc_command UC_COMMAND(uc_cmd_tpm_seal, "seal", "", 0, 0,
	UC_CMD_TPM | UC_CMD_JSON, uc_tpm_options, seal_run,
	"--component C --slot S --version V (--digest HEX | --file PATH) "
	"[--approval FILE | --after HEX...]");

/* Build host: no TPM, no state; the vendor's key signs one release. */
static int approve_run(const struct uc_args *a, struct uc_step *step)
{
	const char *key = a->opt[TPM_OPT_KEY], *out = a->opt[TPM_OPT_OUT];
	uint8_t buf[FWG_APPROVAL_FILE_SIZE], predicted[FWG_DIGEST_SIZE];
	struct fwg_tpm_options opts;
	struct fwg_tpm_approval approval;
	struct fwg_tpm_subject release;
	char hex[FWG_DIGEST_HEX_LEN + 1];
	int err;

	err = uc_tpm_release(a, &release, step);
	if (!err)
		err = uc_tpm_context_options(a, &opts);
	if (!err && (!key || !out)) {
		fwg_log_error("approve needs --key FILE and --out FILE");
		err = -EINVAL;
	}
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_INPUT, "sign-approval");
	err = fwg_approval_sign(key, (unsigned int)opts.pcr, &release, &approval);
	if (!err)
		err = fwg_tpm_predict_boot_pcr(release.digest, predicted);
	if (err)
		return err;
	fwg_approval_encode(&approval, buf);
	uc_step_enter(step, UC_SRC_FILE, "write-approval");
	err = fwg_write_file_atomic(out, buf, sizeof(buf));
	if (err) {
		fwg_log_error("cannot write %s: %s", out, strerror(-err));
		return err;
	}
	fwg_hex_encode(predicted, FWG_DIGEST_SIZE, hex);
	printf("approved %s version %" PRIu64 " for PCR %d = %s: %s\n", release.component,
	       release.version, opts.pcr, hex, out);
	return UC_EXIT_OK;
}

const struct uc_command UC_COMMAND(uc_cmd_tpm_approve, "approve", "", 0, 0,
	UC_CMD_CONFIG, uc_tpm_options, approve_run,
	"--key VENDOR.key --component C --version V (--digest HEX | --file PATH) "
	"[--pcr N] --out FILE");

static int unseal_verify_run(const struct uc_args *a, struct uc_step *step)
{
	struct fwg_tpm_subject measured, sealed;
	struct fwg_tpm *tpm = NULL;
	struct json_writer w;
	int err;

	err = uc_tpm_subject_open(a, false, &measured, &tpm, step);
	if (!err) {
		uc_step_enter(step, UC_SRC_TPM, "unseal");
		err = fwg_tpm_unseal_verify(tpm, measured.component, measured.slot,
					    measured.digest, &sealed);
	}
	fwg_tpm_close(tpm);
	if (err)
		return err;
	if (!a->json) {
		printf("verified %s slot %s version %" PRIu64 "\n", sealed.component, sealed.slot,
		       sealed.version);
		return UC_EXIT_OK;
	}
	json_doc_begin(&w, stdout);
	uc_tpm_json_subject(&w, &sealed);
	json_kv_bool(&w, "verified", true);
	json_doc_end(&w);
	return UC_EXIT_OK;
}

const struct uc_command UC_COMMAND(uc_cmd_tpm_unseal_verify, "unseal-verify", "", 0, 0,
	UC_CMD_TPM | UC_CMD_JSON, uc_tpm_options, unseal_verify_run,
	"--component C --slot S (--digest HEX | --file PATH)");
