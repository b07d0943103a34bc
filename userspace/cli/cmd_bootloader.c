// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl bootloader status|set-trial|mark-good|mark-bad: the configured
 * bootloader backend (lib/bootctl.c) for the administrator and the tests.
 * boot-verify, mark-good and install drive the same calls as events of the
 * A/B state machine; these commands touch only the bootloader's record,
 * never the slot state.
 */
#include <errno.h>
#include <stdio.h>

#include "userspace/cli/updatectl.h"
#include "userspace/lib/bootctl.h"
#include "userspace/lib/json.h"

static void left_text(const struct bootctl_state *st, int s, char *buf, size_t size)
{
	if (!st->ok[s])
		snprintf(buf, size, "bad");
	else if (st->left[s] == BOOTCTL_CONFIRMED)
		snprintf(buf, size, "confirmed");
	else
		snprintf(buf, size, "trial, %d tries left", st->left[s]);
}

static void status_human(const struct bootctl *bc, int booted, const struct bootctl_state *st)
{
	char text[48];
	int s;

	printf("bootloader: %s%s%s\n", bootctl_kind_name(bc->kind), *bc->path ? " " : "",
	       bc->path);
	if (booted >= 0)
		printf("booted: %c\n", bootctl_slot_name(booted));
	else
		printf("booted: unknown\n");
	if (!st)
		return;
	printf("order: %c %c\n", bootctl_slot_name(st->order[0]), bootctl_slot_name(st->order[1]));
	for (s = 0; s < 2; s++) {
		left_text(st, s, text, sizeof(text));
		printf("slot %c: %s\n", bootctl_slot_name(s), text);
	}
}

static void status_json(const struct bootctl *bc, int booted, const struct bootctl_state *st)
{
	char name[2][2] = { "a", "b" };
	struct json_writer w;
	int s;

	json_doc_begin(&w, stdout);
	json_kv_string(&w, "bootloader", bootctl_kind_name(bc->kind));
	json_kv_string(&w, "path", *bc->path ? bc->path : NULL);
	json_kv_string(&w, "component", *bc->component ? bc->component : NULL);
	json_kv_string(&w, "booted", booted >= 0 ? name[booted] : NULL);
	json_key(&w, "slots");
	if (!st) {
		json_null(&w);
		json_doc_end(&w);
		return;
	}
	json_array_begin(&w);
	for (s = 0; s < 2; s++) {
		json_object_begin(&w);
		json_kv_string(&w, "name", name[s]);
		json_kv_int(&w, "order", st->order[0] == s ? 0 : 1);
		json_kv_bool(&w, "ok", st->ok[s]);
		json_kv_bool(&w, "confirmed", st->ok[s] && st->left[s] == BOOTCTL_CONFIRMED);
		json_key(&w, "left");
		if (st->left[s] == BOOTCTL_CONFIRMED)
			json_null(&w);
		else
			json_int(&w, st->left[s]);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_doc_end(&w);
}

static int open_backend(const struct uc_args *a, struct bootctl *bc, struct uc_step *step)
{
	uc_step_enter(step, UC_SRC_BOOT, "bootloader-config");
	return bootctl_from_config(bc, &a->cfg);	/* logs */
}

static int status_run(const struct uc_args *a, struct uc_step *step)
{
	struct bootctl_state st;
	struct bootctl bc;
	int err, booted = -1;

	err = open_backend(a, &bc, step);
	if (err)
		return err;
	if (bc.kind != BOOTCTL_NONE && bootctl_booted(&bc, &booted))
		booted = -1;	/* logged; status still shows the record */
	uc_step_enter(step, UC_SRC_BOOT, "read-bootloader");
	err = bootctl_read(&bc, &st);
	if (err && err != -ENOENT && err != -EOPNOTSUPP)
		return err;
	if (a->json)
		status_json(&bc, booted, err ? NULL : &st);
	else
		status_human(&bc, booted, err ? NULL : &st);
	return UC_EXIT_OK;
}

static const struct uc_command UC_COMMAND(bootloader_status, "status", "", 0, 0,
	UC_CMD_CONFIG | UC_CMD_JSON | UC_CMD_LOCK, NULL, status_run,
	"the booted slot and the bootloader's order and try counters");

static const struct uc_option trial_options[] = {
	{ "tries", "N", "boots before the bootloader abandons it (default: boot_tries)", false },
	{ NULL },
};

/* set-trial, mark-good, mark-bad SLOT: one call of the backend. */
static int change_run(const struct uc_args *a, struct uc_step *step)
{
	const char *verb = a->cmd->name;
	struct bootctl bc;
	uint64_t tries;
	int err, slot;

	err = open_backend(a, &bc, step);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_USAGE, "parse-options");
	if (bootctl_parse_slot(a->operands[0], &slot)) {
		fprintf(stderr, "updatectl bootloader %s: slot '%s': a or b\n", verb,
			a->operands[0]);
		return -EINVAL;
	}
	tries = bc.tries;
	if (a->cmd->options && a->opt[0] && uc_parse_u64("--tries", a->opt[0], &tries))
		return -EINVAL;
	uc_step_enter(step, UC_SRC_BOOT, "write-bootloader");
	if (verb[0] == 's')
		err = bootctl_set_trial(&bc, slot, tries > BOOTCTL_TRIES_MAX ? 0 : (unsigned)tries);
	else if (verb[5] == 'g')
		err = bootctl_mark_good(&bc, slot);
	else
		err = bootctl_mark_bad(&bc, slot);
	return err ? err : UC_EXIT_OK;
}

#define CHANGE_FLAGS (UC_CMD_CONFIG | UC_CMD_LOCK)

static const struct uc_command UC_COMMAND(bootloader_set_trial, "set-trial", "SLOT", 1, 1,
	CHANGE_FLAGS, trial_options, change_run, "boot SLOT next, as a trial with try count");
static const struct uc_command UC_COMMAND(bootloader_mark_good, "mark-good", "SLOT", 1, 1,
	CHANGE_FLAGS, NULL, change_run, "SLOT boots first, without counting");
static const struct uc_command UC_COMMAND(bootloader_mark_bad, "mark-bad", "SLOT", 1, 1,
	CHANGE_FLAGS, NULL, change_run, "the bootloader never boots SLOT again");

const struct uc_command UC_GROUP(uc_cmd_bootloader, "bootloader",
	"the bootloader's record of the A/B slots (bootloader = in updatectl.conf)",
	&bootloader_status, &bootloader_set_trial, &bootloader_mark_good, &bootloader_mark_bad);
