// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl boot-verify and mark-good: the boot half of the A/B state
 * machine (lib/boot.c), which report the same per-component record.
 * boot-verify measures the booted slots against their sealed records at
 * boot and falls back on a mismatch; mark-good confirms a slot on trial
 * that verified in this boot.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "userspace/cli/updatectl.h"
#include "userspace/lib/boot.h"
#include "userspace/lib/json.h"

static void report_json(const struct uc_boot_report *r, bool fell_back)
{
	struct json_writer w;
	unsigned int i;

	json_doc_begin(&w, stdout);
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
		json_kv_bool(&w, "factory", c->factory);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_kv_bool(&w, "fell_back", fell_back);
	json_doc_end(&w);
}

static void report_human(const struct uc_boot_report *r)
{
	unsigned int i;

	for (i = 0; i < r->count; i++) {
		const struct uc_boot_component *c = &r->component[i];

		if (c->factory && c->slot[0])
			printf("%s: this boot runs the factory image; slot %s (version %" PRIu64
			       ") is tried at the next boot\n", c->name, c->slot, c->version);
		else if (c->factory)
			printf("%s: factory state (nothing installed or adopted); the factory "
			       "image is not measured: see 'updatectl adopt'\n", c->name);
		else if (c->verified)
			printf("%s: slot %s verified (version %" PRIu64 ")%s\n", c->name, c->slot,
			       c->version, c->trial ?
			       "; on trial: confirm with 'updatectl mark-good'" : "");
		else if (c->marked_good)
			printf("%s: slot %s (version %" PRIu64 ") is now the good slot\n", c->name,
			       c->slot, c->version);
	}
}

/* @err, else FALLBACK when any component fell back, else OK; the report unless @err. */
static int boot_report(const struct uc_args *a, const struct uc_boot_report *r, int err)
{
	bool fell_back = false;
	unsigned int i;

	if (err)
		return err;
	for (i = 0; i < r->count; i++)
		fell_back |= r->component[i].fell_back;
	if (a->json)
		report_json(r, fell_back);
	else if (!a->quiet)
		report_human(r);
	return fell_back ? UC_EXIT_FALLBACK : UC_EXIT_OK;
}

/* Both commands: boot-verify's or mark-good's half of lib/boot.c, then the report. */
static int run(const struct uc_args *a, struct uc_step *step)
{
	struct uc_boot_report r;
	int err;

	if (a->cmd == &uc_cmd_mark_good)
		err = uc_mark_good(&a->cfg, &r, step);
	else
		err = uc_boot_verify(&a->cfg, &r, step);
	return boot_report(a, &r, err);
}

#define BOOT_FLAGS (UC_CMD_CONFIG | UC_CMD_TPM | UC_CMD_JSON | UC_CMD_QUIET | UC_CMD_LOCK)

const struct uc_command UC_COMMAND(uc_cmd_boot_verify, "boot-verify", "", 0, 0, BOOT_FLAGS, NULL,
	run, "measure and verify the booted slot; fall back on mismatch");
const struct uc_command UC_COMMAND(uc_cmd_mark_good, "mark-good", "", 0, 0, BOOT_FLAGS, NULL,
	run, "confirm a verified trial slot and raise the version floor");

static const struct uc_option adopt_options[] = {
	{ "version", "N", "security version of the factory image (required)", false },
	{ "length", "BYTES", "bytes of the image to measure (default: the whole partition)", false },
	{ "approval", "FILE", "the vendor's approval of the image (a device with policy_key)",
	  false },
	{ NULL },
};

/* updatectl adopt COMPONENT SLOT --version N [--length BYTES] [--approval FILE] */
static int run_adopt(const struct uc_args *a, struct uc_step *step)
{
	uint64_t version, length = 0;
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "parse-options");
	if (!a->opt[0]) {
		fprintf(stderr, "updatectl adopt: --version N is required\n");
		return -EINVAL;
	}
	err = uc_parse_u64("--version", a->opt[0], &version);
	if (!err && a->opt[1])
		err = uc_parse_u64("--length", a->opt[1], &length);
	if (err)
		return err;
	err = uc_adopt(&a->cfg, a->operands[0], a->operands[1], version, length, a->opt[2],
		       step);
	if (err)
		return err;
	if (!a->quiet)
		printf("%s: slot %s adopted as the good slot (version %" PRIu64 ")\n",
		       a->operands[0], a->operands[1], version);
	return UC_EXIT_OK;
}

const struct uc_command UC_COMMAND(uc_cmd_adopt, "adopt", "COMPONENT SLOT", 2, 2,
	UC_CMD_CONFIG | UC_CMD_TPM | UC_CMD_QUIET | UC_CMD_LOCK, adopt_options, run_adopt,
	"measure and record the factory image of a slot (factory state only)");
