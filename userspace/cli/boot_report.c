// SPDX-License-Identifier: GPL-2.0-only
/* The per-component report of boot-verify and mark-good (see boot_report.h). */
#include <inttypes.h>
#include <stdio.h>

#include "userspace/cli/boot_report.h"
#include "userspace/lib/json.h"

static void report_json(const struct uc_boot_report *r, bool fell_back)
{
	struct json_writer w;
	unsigned int i;

	json_begin(&w, stdout);
	json_object_begin(&w);
	json_key(&w, "components");
	json_array_begin(&w);
	for (i = 0; i < r->count; i++) {
		const struct uc_boot_component *c = &r->component[i];

		json_object_begin(&w);
		json_kv_string(&w, "name", c->name);
		json_kv_string(&w, "slot", c->slot[0] ? c->slot : NULL);
		json_kv_u64(&w, "version", c->version);
		json_kv_bool(&w, "verified", c->verified);
		json_kv_bool(&w, "trial", c->trial);
		json_kv_bool(&w, "fell_back", c->fell_back);
		json_kv_bool(&w, "marked_good", c->marked_good);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_kv_bool(&w, "fell_back", fell_back);
	json_object_end(&w);
	json_end(&w);
}

static void report_human(const struct uc_boot_report *r)
{
	unsigned int i;

	for (i = 0; i < r->count; i++) {
		const struct uc_boot_component *c = &r->component[i];

		if (c->verified)
			printf("%s: slot %s verified (version %" PRIu64 ")%s\n", c->name, c->slot,
			       c->version, c->trial ?
			       "; on trial: confirm with 'updatectl mark-good'" : "");
		else if (c->marked_good)
			printf("%s: slot %s (version %" PRIu64 ") is now the good slot\n", c->name,
			       c->slot, c->version);
	}
}

int uc_boot_report(const struct uc_args *a, const struct uc_boot_report *r, int err,
		   const struct uc_step *step)
{
	bool fell_back = false;
	unsigned int i;

	if (err)
		return uc_fail(a, step, err);
	for (i = 0; i < r->count; i++)
		fell_back |= r->component[i].fell_back;
	if (a->json)
		report_json(r, fell_back);
	else if (!a->quiet)
		report_human(r);
	return fell_back ? UC_EXIT_FALLBACK : UC_EXIT_OK;
}
