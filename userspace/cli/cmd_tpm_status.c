// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl tpm status|replay: what the TPM and the state directory hold.
 * Status reports every section it can; only an unreachable TPM fails it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "userspace/cli/tpm_commands.h"
#include "userspace/common/log.h"

struct status {
	uint8_t pcr_value[FWG_DIGEST_SIZE], replayed[FWG_DIGEST_SIZE];
	int pcr_err, floor_err, replay_err;
	uint64_t floor;
	bool floor_platform;
	uint32_t lockout;
	unsigned int pcr, events;
	bool srk, pinned;
	struct fwg_tpm_srk_pin pin;
	const char *state_dir, *tcti;
};

static int status_collect(struct fwg_tpm *tpm, struct status *st)
{
	int err;

	st->pcr = fwg_tpm_pcr_index(tpm);
	st->state_dir = fwg_tpm_state_dir(tpm);
	st->tcti = fwg_tpm_tcti(tpm);
	st->pinned = fwg_tpm_srk_pinned(tpm, &st->pin);
	st->pcr_err = fwg_tpm_pcr_read(tpm, st->pcr_value);
	/* Nothing a fake TPM says is worth showing. */
	if (st->pcr_err == FWG_TPM_E_UNAVAILABLE || st->pcr_err == FWG_TPM_E_UNTRUSTED)
		return st->pcr_err;
	st->floor_err = fwg_tpm_floor_read_report(tpm, &st->floor, &st->floor_platform);
	err = fwg_tpm_srk_present(tpm, &st->srk);
	if (!err)
		err = fwg_tpm_lockout_counter(tpm, &st->lockout);
	st->replay_err = fwg_eventlog_replay(st->state_dir, st->pcr, st->replayed, &st->events);
	return err;
}

static bool log_matches(const struct status *st)
{
	return !st->replay_err && !st->pcr_err &&
	       !memcmp(st->replayed, st->pcr_value, FWG_DIGEST_SIZE);
}

static const char *floor_state(int err)
{
	if (!err)
		return "ok";
	return err == FWG_TPM_E_NOT_PROVISIONED ? "not-provisioned" : "error";
}

static void sealed_json(void *ctx, const char *component, const char *slot, int err,
			const struct fwg_tpm_sealed_info *info)
{
	struct json_writer *w = ctx;

	json_object_begin(w);
	json_kv_string(w, "component", component);
	json_kv_string(w, "slot", slot);
	json_kv_string(w, "state", err ? "corrupt" : "ok");
	if (!err) {
		json_kv_u64(w, "version", info->subject.version);
		json_kv_u64(w, "pcr", info->pcr);
		json_kv_u64(w, "sealed_at", info->sealed_at);
		json_kv_hex(w, "digest", info->subject.digest, FWG_DIGEST_SIZE);
		json_kv_hex(w, "predicted_pcr", info->predicted_pcr, FWG_DIGEST_SIZE);
		/* Format 2: PolicyAuthorize against the vendor key, PolicyNV floor. */
		json_kv_bool(w, "vendor_approved", info->authorized);
	}
	json_object_end(w);
}

static void status_json(const struct status *st)
{
	char index[16];
	struct json_writer w;

	snprintf(index, sizeof(index), "0x%08x", FWG_TPM_FLOOR_NV_INDEX);
	json_doc_begin(&w, stdout);
	json_kv_u64(&w, "pcr", st->pcr);
	json_kv_string(&w, "bank", "sha256");
	if (st->pcr_err)
		json_kv_null(&w, "pcr_value");
	else
		json_kv_hex(&w, "pcr_value", st->pcr_value, FWG_DIGEST_SIZE);
	json_kv_string(&w, "floor_index", index);
	json_kv_string(&w, "floor_state", floor_state(st->floor_err));
	if (st->floor_err) {
		json_kv_null(&w, "floor");
		json_kv_null(&w, "floor_hierarchy");
	} else {
		json_kv_u64(&w, "floor", st->floor);
		json_kv_string(&w, "floor_hierarchy", st->floor_platform ? "platform" : "owner");
	}
	json_kv_bool(&w, "srk_persistent", st->srk);
	json_kv_string(&w, "tcti", st->tcti);
	json_kv_bool(&w, "tcti_foreign", fwg_tpm_tcti_is_foreign(st->tcti));
	if (st->pinned) {
		json_key(&w, "srk_pin");
		json_object_begin(&w);
		json_kv_string(&w, "handle", st->pin.handle ? "0x81000001" : "transient");
		json_kv_hex(&w, "name", st->pin.name, st->pin.name_size);
		json_object_end(&w);
	} else {
		json_kv_null(&w, "srk_pin");
	}
	json_kv_u64(&w, "lockout_counter", st->lockout);
	json_key(&w, "eventlog");
	json_object_begin(&w);
	json_kv_u64(&w, "events", st->events);
	json_kv_bool(&w, "matches_pcr", log_matches(st));
	json_object_end(&w);
	json_key(&w, "sealed");
	json_array_begin(&w);
	fwg_sealed_list(st->state_dir, sealed_json, &w);
	json_array_end(&w);
	json_doc_end(&w);
}

static void sealed_text(void *ctx, const char *component, const char *slot, int err,
			const struct fwg_tpm_sealed_info *info)
{
	char digest[FWG_DIGEST_HEX_LEN + 1], predicted[FWG_DIGEST_HEX_LEN + 1];
	bool *any = ctx;

	*any = true;
	if (err) {
		printf("sealed %s slot %s: corrupt\n", component, slot);
		return;
	}
	fwg_hex_encode(info->subject.digest, FWG_DIGEST_SIZE, digest);
	fwg_hex_encode(info->predicted_pcr, FWG_DIGEST_SIZE, predicted);
	printf("sealed %s slot %s: version %" PRIu64 " digest %s PCR %u predicted %s\n",
	       component, slot, info->subject.version, digest, info->pcr, predicted);
}

static void status_text(const struct status *st)
{
	char hex[FWG_DIGEST_HEX_LEN + 1];
	bool any = false;

	fwg_hex_encode(st->pcr_value, FWG_DIGEST_SIZE, hex);
	printf("PCR %u (sha256): %s\n", st->pcr,
	       st->pcr_err ? "unavailable (bank not allocated?)" : hex);
	printf("version floor (NV 0x%08x): ", FWG_TPM_FLOOR_NV_INDEX);
	if (st->floor_err)
		printf("%s\n", floor_state(st->floor_err));
	else
		printf("%" PRIu64 " (%s hierarchy)\n", st->floor,
		       st->floor_platform ? "platform" : "owner");
	printf("persistent SRK 0x%08x: %s\n", FWG_TPM_SRK_HANDLE,
	       st->srk ? "present" : "absent (transient ECC primary used)");
	printf("TPM: %s%s\n", st->tcti, fwg_tpm_tcti_is_foreign(st->tcti) ?
	       " (not the kernel's TPM device)" : "");
	if (st->pinned) {
		char name[2 * FWG_TPM_NAME_MAX + 1];

		fwg_hex_encode(st->pin.name, st->pin.name_size, name);
		printf("SRK pin: %s name %s (this TPM proved it)\n",
		       st->pin.handle ? "0x81000001" : "transient primary", name);
	} else {
		printf("SRK pin: none (run 'updatectl tpm provision')\n");
	}
	printf("lockout counter: %" PRIu32 "\n", st->lockout);
	printf("event log: %u events this boot, %s\n", st->events,
	       log_matches(st) ? "replays to the PCR" : "does NOT replay to the PCR");
	fwg_sealed_list(st->state_dir, sealed_text, &any);
	if (!any)
		printf("sealed: none\n");
}

static int status_run(const struct uc_args *a, struct uc_step *step)
{
	struct fwg_tpm *tpm = NULL;
	struct status st = { 0 };
	int err;

	err = uc_tpm_context_open(a, &tpm, step);
	if (!err) {
		uc_step_enter(step, UC_SRC_TPM, "read-status");
		err = status_collect(tpm, &st);
	}
	if (!err && a->json)
		status_json(&st);
	else if (!err)
		status_text(&st);
	fwg_tpm_close(tpm);
	return err;
}

const struct uc_command UC_COMMAND(uc_cmd_tpm_status, "status", "", 0, 0,
	UC_CMD_TPM | UC_CMD_JSON, uc_tpm_options, status_run,
	"PCR, version floor, SRK, lockout counter, event log, sealed records");

static void replay_report(const struct uc_args *a, unsigned int pcr, unsigned int events,
			  const uint8_t replayed[FWG_DIGEST_SIZE],
			  const uint8_t actual[FWG_DIGEST_SIZE])
{
	char r[FWG_DIGEST_HEX_LEN + 1], v[FWG_DIGEST_HEX_LEN + 1];
	bool match = !memcmp(replayed, actual, FWG_DIGEST_SIZE);
	struct json_writer w;

	fwg_hex_encode(replayed, FWG_DIGEST_SIZE, r);
	fwg_hex_encode(actual, FWG_DIGEST_SIZE, v);
	if (!a->json) {
		printf("%u events replay to %s; PCR %u holds %s: %s\n", events, r, pcr, v,
		       match ? "match" : "MISMATCH");
		return;
	}
	json_doc_begin(&w, stdout);
	json_kv_u64(&w, "pcr", pcr);
	json_kv_u64(&w, "events", events);
	json_kv_string(&w, "replayed", r);
	json_kv_string(&w, "pcr_value", v);
	json_kv_bool(&w, "match", match);
	json_doc_end(&w);
}

static int replay_run(const struct uc_args *a, struct uc_step *step)
{
	uint8_t replayed[FWG_DIGEST_SIZE], actual[FWG_DIGEST_SIZE];
	struct fwg_tpm *tpm = NULL;
	unsigned int events = 0, pcr = 0;
	int err;

	err = uc_tpm_context_open(a, &tpm, step);
	if (!err) {
		uc_step_enter(step, UC_SRC_TPM, "replay");
		pcr = fwg_tpm_pcr_index(tpm);
		err = fwg_eventlog_replay(fwg_tpm_state_dir(tpm), pcr, replayed, &events);
	}
	if (!err)
		err = fwg_tpm_pcr_read(tpm, actual);
	fwg_tpm_close(tpm);
	if (err)
		return err;
	replay_report(a, pcr, events, replayed, actual);
	if (memcmp(replayed, actual, sizeof(actual))) {
		fwg_log_error("tpm: event log does not replay to the PCR value");
		return uc_exit_code(UC_SRC_TPM, FWG_TPM_E_PCR_MISMATCH);
	}
	return UC_EXIT_OK;
}

const struct uc_command UC_COMMAND(uc_cmd_tpm_replay, "replay", "", 0, 0,
	UC_CMD_TPM | UC_CMD_JSON, uc_tpm_options, replay_run,
	"replay the event log and compare it with the PCR");
