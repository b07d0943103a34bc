// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl attest [verify] and updatectl tpm ak-public: remote
 * attestation. `attest` quotes fwguard's PCR on the device with the
 * verifier's nonce (tpm/attest.c) and writes the quote file; `attest
 * verify` checks one on the vendor side, without a TPM
 * (lib/attest_verify.c); `tpm ak-public` exports the attestation key the
 * vendor enrols. Formats and checks: tpm/TPM.md "Attestation".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userspace/cli/tpm_commands.h"
#include "userspace/cli/updatectl.h"
#include "userspace/common/fileio.h"
#include "userspace/common/log.h"
#include "userspace/lib/attest_verify.h"

static int parse_nonce(const char *hex, uint8_t *nonce, size_t *len)
{
	size_t n = hex ? strlen(hex) : 0;

	if (n % 2 || n < 2 * FWG_NONCE_MIN || n > 2 * FWG_NONCE_MAX ||
	    fwg_hex_decode(hex, nonce, n / 2)) {
		fwg_log_error("--nonce must be %d-%d bytes in hex (%d-%d hex digits)",
			      FWG_NONCE_MIN, FWG_NONCE_MAX, 2 * FWG_NONCE_MIN,
			      2 * FWG_NONCE_MAX);
		return -EINVAL;
	}
	*len = n / 2;
	return 0;
}

int uc_tpm_ak_export(struct fwg_tpm *tpm, const char *path, uint8_t name[FWG_TPM_NAME_SIZE])
{
	uint8_t pub[FWG_QUOTE_PART_MAX];
	uint16_t len = 0;
	int err;

	err = fwg_tpm_ak_public(tpm, pub, &len);
	if (!err)
		err = fwg_tpm_public_name(pub, len, name);
	if (!err && path)
		err = fwg_write_file_atomic(path, pub, len);
	return err;
}

static int ak_public_run(const struct uc_args *a, struct uc_step *step)
{
	const char *out = a->opt[TPM_OPT_OUT];
	uint8_t name[FWG_TPM_NAME_SIZE];
	struct fwg_tpm *tpm = NULL;
	struct json_writer w;
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "parse-options");
	if (!out) {
		fwg_log_error("tpm ak-public: --out FILE is required");
		return -EINVAL;
	}
	err = uc_tpm_context_open(a, &tpm, step);
	if (!err) {
		uc_step_enter(step, UC_SRC_TPM, "export-ak");
		err = uc_tpm_ak_export(tpm, out, name);
	}
	fwg_tpm_close(tpm);
	if (err)
		return err;
	if (!a->json) {
		char hex[2 * FWG_TPM_NAME_SIZE + 1];

		fwg_hex_encode(name, sizeof(name), hex);
		printf("attestation key %s: %s\n", hex, out);
		return UC_EXIT_OK;
	}
	json_doc_begin(&w, stdout);
	json_kv_string(&w, "ak_public", out);
	json_kv_hex(&w, "ak_name", name, sizeof(name));
	json_doc_end(&w);
	return UC_EXIT_OK;
}

const struct uc_command UC_COMMAND(uc_cmd_tpm_ak_public, "ak-public", "", 0, 0,
	UC_CMD_TPM | UC_CMD_JSON, uc_tpm_options, ak_public_run,
	"write the attestation key's TPM2B_PUBLIC for enrolment: --out FILE");

static void quote_report(const struct uc_args *a, const struct fwg_quote *q,
			 const uint8_t *file, size_t file_len)
{
	uint8_t name[FWG_TPM_NAME_SIZE] = { 0 };
	struct json_writer w;

	fwg_tpm_public_name(q->ak_public, q->ak_public_len, name);
	if (!a->json) {
		printf("quoted PCR %u: %zu bytes written to %s\n", q->pcr, file_len,
		       a->opt[TPM_OPT_OUT]);
		return;
	}
	json_doc_begin(&w, stdout);
	json_kv_u64(&w, "pcr", q->pcr);
	json_kv_hex(&w, "ak_name", name, sizeof(name));
	json_kv_string(&w, "out", a->opt[TPM_OPT_OUT]);
	json_kv_hex(&w, "quote", file, file_len);	/* the file, for JSON transports */
	json_doc_end(&w);
}

static int attest_run(const struct uc_args *a, struct uc_step *step)
{
	uint8_t nonce[FWG_NONCE_MAX], *file = NULL;
	size_t nonce_len = 0, file_len = 0;
	struct fwg_quote q = { 0 };
	struct fwg_tpm *tpm = NULL;
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "parse-options");
	err = parse_nonce(a->opt[TPM_OPT_NONCE], nonce, &nonce_len);
	if (!err && !a->opt[TPM_OPT_OUT] && !a->json) {
		fwg_log_error("attest: give --out FILE, --json, or both");
		err = -EINVAL;
	}
	if (!err)
		err = uc_tpm_context_open(a, &tpm, step);
	if (!err) {
		uc_step_enter(step, UC_SRC_TPM, "quote");
		err = fwg_tpm_quote(tpm, nonce, nonce_len, &q);
	}
	fwg_tpm_close(tpm);
	if (!err)
		err = fwg_quote_encode(&q, &file, &file_len);
	if (!err && a->opt[TPM_OPT_OUT]) {
		uc_step_enter(step, UC_SRC_FILE, "write-quote");
		err = fwg_write_file_atomic(a->opt[TPM_OPT_OUT], file, file_len);
	}
	if (!err)
		quote_report(a, &q, file, file_len);
	fwg_quote_release(&q);
	free(file);
	return err;
}

enum { VOPT_AK, VOPT_NONCE, VOPT_RELEASES, VOPT_TRUST, VOPT_PCR };

static const struct uc_option verify_options[] = {
	[VOPT_AK] = { "ak", "AK.pub", "the enrolled attestation key (required)" },
	[VOPT_NONCE] = { "nonce", "HEX", "the nonce this quote must answer (required)" },
	[VOPT_RELEASES] = { "releases", "DIR|FILE", "vendor-signed bundles or tickets (required)" },
	[VOPT_TRUST] = { "trust", "CA", "ticket signers' CA (default: the configuration's)" },
	[VOPT_PCR] = { "pcr", "N", "the PCR quoted (default: the configuration's)" },
	{ NULL },
};

static int verify_request(const struct uc_args *a, struct attest_verify_request *req)
{
	uint64_t pcr = a->cfg.pcr;

	if (!a->opt[VOPT_AK] || !a->opt[VOPT_RELEASES] || !a->opt[VOPT_NONCE]) {
		fwg_log_error("attest verify: --ak, --nonce and --releases are required");
		return -EINVAL;
	}
	*req = (struct attest_verify_request){
		.ak_path = a->opt[VOPT_AK], .quote_path = a->operands[0],
		.releases_path = a->opt[VOPT_RELEASES],
		.trust_path = a->opt[VOPT_TRUST] ? a->opt[VOPT_TRUST] : a->cfg.trust,
	};
	if (a->opt[VOPT_PCR] && (uc_parse_u64("--pcr", a->opt[VOPT_PCR], &pcr) || pcr > 23)) {
		fwg_log_error("--pcr must be a PCR index 0..23");
		return -EINVAL;
	}
	req->pcr = (unsigned int)pcr;
	return parse_nonce(a->opt[VOPT_NONCE], req->nonce, &req->nonce_len);
}

static void verify_event_json(struct json_writer *w, const struct attest_event *e)
{
	json_object_begin(w);
	json_kv_u64(w, "line", e->ev.line);
	json_kv_string(w, "component", e->ev.subject.component);
	json_kv_string(w, "slot", e->ev.subject.slot);
	json_kv_u64(w, "version", e->ev.subject.version);
	json_kv_hex(w, "digest", e->ev.subject.digest, FWG_DIGEST_SIZE);
	json_kv_string(w, "release", e->release->file);
	json_object_end(w);
}

static void verify_report(const struct uc_args *a, const struct attest_report *r)
{
	struct json_writer w;
	size_t i;

	if (!a->json) {
		printf("quote verified: PCR %u, %zu measurements this boot (TPM boot %" PRIu32
		       "), all vendor releases\n", r->pcr, r->n_events, r->reset_count);
		for (i = 0; i < r->n_events; i++)
			printf("  %s slot %s version %" PRIu64 ": %s\n",
			       r->events[i].ev.subject.component, r->events[i].ev.subject.slot,
			       r->events[i].ev.subject.version, r->events[i].release->file);
		return;
	}
	json_doc_begin(&w, stdout);
	json_kv_bool(&w, "verified", true);
	json_kv_u64(&w, "pcr", r->pcr);
	json_kv_hex(&w, "ak_name", r->ak_name, sizeof(r->ak_name));
	json_kv_hex(&w, "pcr_digest", r->pcr_digest, sizeof(r->pcr_digest));
	json_kv_u64(&w, "reset_count", r->reset_count);
	json_kv_u64(&w, "restart_count", r->restart_count);
	json_kv_u64(&w, "clock_ms", r->clock);
	json_key(&w, "events");
	json_array_begin(&w);
	for (i = 0; i < r->n_events; i++)
		verify_event_json(&w, &r->events[i]);
	json_array_end(&w);
	json_doc_end(&w);
}

static int verify_run(const struct uc_args *a, struct uc_step *step)
{
	struct attest_verify_request req;
	struct attest_report r;
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "parse-options");
	err = verify_request(a, &req);
	if (!err)
		err = attest_verify(&req, &r, step);
	if (err)
		return err;
	verify_report(a, &r);
	attest_report_free(&r);
	return UC_EXIT_OK;
}

static const struct uc_command UC_COMMAND(attest_verify_cmd, "verify", "QUOTE", 1, 1,
	UC_CMD_CONFIG | UC_CMD_JSON, verify_options, verify_run,
	"vendor side: check a quote against the AK, nonce, event log and releases");

const struct uc_command uc_cmd_attest = {
	.name = "attest", .operands = "", .min_operands = 0, .max_operands = 0,
	.flags = UC_CMD_TPM | UC_CMD_JSON, .options = uc_tpm_options, .run = attest_run,
	.summary = "quote fwguard's PCR for a verifier: --nonce HEX [--out FILE]",
	.subcommands = (const struct uc_command *const[]){ &attest_verify_cmd, NULL },
};
