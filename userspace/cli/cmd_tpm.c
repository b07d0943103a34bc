// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl tpm: the admin and individual TPM steps over tpm/. Every
 * sub-command runs in fixed phases: options, inputs checked without
 * touching the TPM or the state directory (tpm_options.c), one tpm/ call,
 * output. This file holds the group and provision, measure and floor; the
 * sealing steps are in cmd_tpm_seal.c, status and replay in
 * cmd_tpm_status.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "userspace/cli/tpm_commands.h"
#include "userspace/cli/updatectl.h"
#include "userspace/common/fileio.h"
#include "userspace/common/log.h"

/* What provision did, for its report. */
struct provision_result {
	bool created;		/* the SRK was made persistent now */
	bool platform;		/* the floor index is in the platform hierarchy */
	uint64_t floor;
	struct fwg_tpm_srk_pin pin;
	char ak_path[4096];
	uint8_t ak_name[FWG_TPM_NAME_SIZE];
};

static void provision_report(const struct uc_args *a, const struct provision_result *r)
{
	char name[2 * FWG_TPM_NAME_MAX + 1], ak_hex[2 * FWG_TPM_NAME_SIZE + 1];
	bool persist = a->opt[TPM_OPT_PERSIST_SRK];
	struct json_writer w;

	fwg_hex_encode(r->pin.name, r->pin.name_size, name);
	fwg_hex_encode(r->ak_name, sizeof(r->ak_name), ak_hex);
	if (a->json) {
		json_doc_begin(&w, stdout);
		if (persist)
			json_kv_string(&w, "srk", r->created ? "created" : "already present");
		json_kv_u64(&w, "floor_index", FWG_TPM_FLOOR_NV_INDEX);
		json_kv_u64(&w, "floor", r->floor);
		json_kv_string(&w, "floor_hierarchy", r->platform ? "platform" : "owner");
		json_kv_string(&w, "srk_pin", name);
		json_kv_string(&w, "ak_public", r->ak_path);
		json_kv_string(&w, "ak_name", ak_hex);
		json_doc_end(&w);
		return;
	}
	if (persist)
		printf("SRK at 0x%08x: %s\n", FWG_TPM_SRK_HANDLE,
		       r->created ? "created" : "already present");
	printf("version floor NV index 0x%08x: %" PRIu64 " (%s)\n", FWG_TPM_FLOOR_NV_INDEX,
	       r->floor, r->platform ? "platform hierarchy: root cannot undefine it" :
				       "owner hierarchy: root can undefine it");
	printf("SRK pinned (%s): %s\n", r->pin.handle ? "0x81000001" : "transient primary", name);
	printf("attestation key %s: %s\n", ak_hex, r->ak_path);
}

static int provision_run(const struct uc_args *a, struct uc_step *step)
{
	struct provision_result r = { 0 };
	struct fwg_tpm *tpm = NULL;
	int err;

	err = uc_tpm_context_open(a, &tpm, step);
	if (!err && a->opt[TPM_OPT_PERSIST_SRK]) {
		uc_step_enter(step, UC_SRC_TPM, "persist-srk");
		err = fwg_tpm_srk_persist(tpm, &r.created);
	}
	if (!err) {
		uc_step_enter(step, UC_SRC_TPM, "provision-floor");
		err = fwg_tpm_floor_provision_report(tpm, &r.platform);
	}
	if (!err)
		err = fwg_tpm_floor_read(tpm, &r.floor);
	if (!err) {
		uc_step_enter(step, UC_SRC_TPM, "pin-srk");
		err = fwg_tpm_srk_pin_record(tpm, &r.pin);
	}
	if (!err) {
		/* The attestation key the vendor enrols (TPM.md "Attestation"). */
		uc_step_enter(step, UC_SRC_FILE, "export-ak");
		snprintf(r.ak_path, sizeof(r.ak_path), "%s/ak.pub", fwg_tpm_state_dir(tpm));
		err = fwg_mkdir_p(fwg_tpm_state_dir(tpm), 0700);
		if (!err)
			err = uc_tpm_ak_export(tpm, r.ak_path, r.ak_name);
	}
	fwg_tpm_close(tpm);
	if (err)
		return err;
	provision_report(a, &r);
	return UC_EXIT_OK;
}

static const struct uc_command UC_COMMAND(tpm_provision, "provision", "", 0, 0,
	UC_CMD_TPM | UC_CMD_JSON, uc_tpm_options, provision_run,
	"define the version-floor NV counter, pin the SRK, export the AK [--persist-srk]");

static int measure_run(const struct uc_args *a, struct uc_step *step)
{
	char hex[FWG_DIGEST_HEX_LEN + 1];
	struct fwg_tpm_subject subject;
	struct fwg_tpm *tpm = NULL;
	struct json_writer w;
	unsigned int pcr = 0;
	int err;

	err = uc_tpm_subject_open(a, true, &subject, &tpm, step);
	if (!err) {
		uc_step_enter(step, UC_SRC_TPM, "measure");
		err = fwg_tpm_measure(tpm, &subject);
	}
	if (!err)
		pcr = fwg_tpm_pcr_index(tpm);
	fwg_tpm_close(tpm);
	if (err)
		return err;
	fwg_hex_encode(subject.digest, FWG_DIGEST_SIZE, hex);
	if (!a->json) {
		printf("extended PCR %u with %s slot %s version %" PRIu64 ": %s\n", pcr,
		       subject.component, subject.slot, subject.version, hex);
		return UC_EXIT_OK;
	}
	json_doc_begin(&w, stdout);
	json_kv_u64(&w, "pcr", pcr);
	uc_tpm_json_subject(&w, &subject);
	json_kv_string(&w, "digest", hex);
	json_doc_end(&w);
	return UC_EXIT_OK;
}

static const struct uc_command UC_COMMAND(tpm_measure, "measure", "", 0, 0,
	UC_CMD_TPM | UC_CMD_JSON, uc_tpm_options, measure_run,
	"--component C --slot S --version V (--digest HEX | --file PATH)");

static int floor_run(const struct uc_args *a, struct uc_step *step)
{
	const char *approval_path = a->opt[TPM_OPT_APPROVAL];
	uint64_t version = 0, floor = 0;
	struct fwg_tpm_approval approval;
	struct fwg_tpm *tpm = NULL;
	struct json_writer w;
	int err = 0;

	uc_step_enter(step, UC_SRC_USAGE, "parse-options");
	if (a->opt[TPM_OPT_RAISE])
		err = uc_parse_u64("--raise", a->opt[TPM_OPT_RAISE], &version);
	if (!err && approval_path && !a->opt[TPM_OPT_RAISE]) {
		fwg_log_error("--approval goes with --raise V");
		err = -EINVAL;
	}
	/* The vendor's approval of release version V, whose floor part allows
	 * raising the floor to V (tpm/TPM.md "Raising the floor only with the
	 * vendor's signature"). */
	if (!err)
		err = uc_tpm_approval_open(a, &approval, &tpm, step);
	if (!err) {
		uc_step_enter(step, UC_SRC_TPM, a->opt[TPM_OPT_RAISE] ? "raise-floor" :
			      "read-floor");
		err = a->opt[TPM_OPT_RAISE] ?
		      fwg_tpm_floor_raise_approved(tpm, version, approval_path ? &approval : NULL,
						   version, &floor) :
		      fwg_tpm_floor_read(tpm, &floor);
	}
	fwg_tpm_close(tpm);
	if (err)
		return err;
	if (!a->json) {
		printf("%" PRIu64 "\n", floor);
		return UC_EXIT_OK;
	}
	json_doc_begin(&w, stdout);
	json_kv_u64(&w, "floor", floor);
	json_doc_end(&w);
	return UC_EXIT_OK;
}

static const struct uc_command UC_COMMAND(tpm_floor, "floor", "", 0, 0,
	UC_CMD_TPM | UC_CMD_JSON, uc_tpm_options, floor_run,
	"show the version floor, or --raise V [--approval FILE] (vendor mode: the approval of release V)");

const struct uc_command UC_GROUP(uc_cmd_tpm, "tpm",
	"TPM provisioning, measurement, sealing and status",
	&tpm_provision, &uc_cmd_tpm_status, &tpm_measure, &uc_cmd_tpm_seal,
	&uc_cmd_tpm_unseal_verify, &tpm_floor, &uc_cmd_tpm_replay, &uc_cmd_tpm_ak_public,
	&uc_cmd_tpm_approve, &uc_cmd_tpm_tls_key);
