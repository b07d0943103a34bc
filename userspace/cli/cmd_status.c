// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl status: slots, versions and digests per component, the
 * version floor, the module's state (lib/status.c). A corrupt slot state
 * is shown as such; an unreachable TPM is reported and sets the exit code
 * every command gives for it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "userspace/cli/updatectl.h"
#include "userspace/common/hex.h"
#include "userspace/lib/json.h"
#include "userspace/lib/status.h"

static void slot_json(struct json_writer *w, const struct uc_status_component *c, int i)
{
	const struct slot_record *r = &c->state.slot[i];

	json_object_begin(w);
	json_kv_string(w, "name", c->comp->slot[i].name);
	json_kv_string(w, "role", uc_slot_role(&c->state, i));
	json_kv_bool(w, "valid", r->valid);
	json_kv_bool(w, "good", r->good);
	json_kv_u64(w, "version", r->version);
	json_kv_u64(w, "length", r->length);
	if (r->valid)
		json_kv_hex(w, "digest", r->digest, sizeof(r->digest));
	else
		json_kv_string(w, "digest", "");
	json_object_end(w);
}

static void component_json(struct json_writer *w, const struct uc_status_component *c)
{
	int i;

	json_object_begin(w);
	json_kv_string(w, "name", c->comp->name);
	if (c->state_err) {
		json_kv_string(w, "state", "corrupt");
		json_kv_string(w, "error", strerror(-c->state_err));
	} else {
		json_key(w, "slots");
		json_array_begin(w);
		for (i = 0; i < 2; i++)
			slot_json(w, c, i);
		json_array_end(w);
	}
	json_object_end(w);
}

static void status_json(const struct uc_status *st)
{
	struct json_writer w;
	unsigned int i;

	json_doc_begin(&w, stdout);
	json_key(&w, "components");
	json_array_begin(&w);
	for (i = 0; i < st->pc.count; i++)
		component_json(&w, &st->component[i]);
	json_array_end(&w);
	if (st->floor_err)
		json_kv_null(&w, "floor");
	else
		json_kv_u64(&w, "floor", st->floor);
	json_key(&w, "module");
	json_object_begin(&w);
	json_kv_bool(&w, "loaded", st->module_loaded);
	json_kv_bool(&w, "locked", st->policy_locked);
	json_kv_string(&w, "keyring", st->keyring);
	json_object_end(&w);
	json_doc_end(&w);
}

static void slot_human(const struct uc_status_component *c, int i)
{
	const struct slot_record *r = &c->state.slot[i];
	char hex[FWG_DIGEST_HEX_LEN + 1];

	fwg_hex_encode(r->digest, sizeof(r->digest), hex);
	if (r->valid)
		printf("  %-8s %-8s version %" PRIu64 "%s, %" PRIu64 " bytes, sha256 %.16s...\n",
		       c->comp->slot[i].name, uc_slot_role(&c->state, i), r->version,
		       r->good ? " (good)" : "", r->length, hex);
	else
		printf("  %-8s %-8s no valid image\n", c->comp->slot[i].name,
		       uc_slot_role(&c->state, i));
}

static void status_human(const struct uc_status *st)
{
	unsigned int i;

	for (i = 0; i < st->pc.count; i++) {
		const struct uc_status_component *c = &st->component[i];

		printf("component %s\n", c->comp->name);
		if (c->state_err) {
			printf("  slot state unreadable: %s\n", strerror(-c->state_err));
			continue;
		}
		slot_human(c, 0);
		slot_human(c, 1);
	}
	if (st->floor_err)
		printf("version floor: unavailable (%s)\n", strerror(-st->floor_err));
	else
		printf("version floor: %" PRIu64 "\n", st->floor);
	if (st->module_loaded)
		printf("fwguard.ko: loaded, policy %s, keyring %s\n",
		       st->policy_locked ? "locked" : "not loaded", st->keyring);
	else
		printf("fwguard.ko: not loaded\n");
}

static int run(const struct uc_args *a, struct uc_step *step)
{
	static struct uc_status st;
	int err;

	err = uc_status_read(&a->cfg, &st, step);
	if (err && step->source != UC_SRC_TPM)
		return err;
	/* Without a TPM the rest of the report still helps; the exit code says it. */
	if (a->json)
		status_json(&st);
	else
		status_human(&st);
	/* Reported already: the exit code alone, no error object after the report. */
	return err ? uc_exit_code(step->source, err) : UC_EXIT_OK;
}

const struct uc_command UC_COMMAND(uc_cmd_status, "status", "", 0, 0,
	UC_CMD_CONFIG | UC_CMD_TPM | UC_CMD_JSON, NULL, run,
	"show slots, versions, floor and module state");
