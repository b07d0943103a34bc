// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl policy load|status: this boot's partition policy into
 * fwguard.ko, or what the kernel holds (lib/policy_load.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "userspace/cli/updatectl.h"
#include "userspace/lib/json.h"
#include "userspace/lib/policy_load.h"

enum { OPT_FLOOR };

static const struct uc_option load_options[] = {
	[OPT_FLOOR] = { "floor", "N",
			"state the floor: at least the TPM's, or any in factory state" },
	{ NULL },
};

static void load_report_text(const struct uc_policy_plan *p)
{
	unsigned int i, n = 0;

	for (i = 0; i < p->count; i++) {
		if (!p->slot[i].protected)
			continue;
		n++;
		printf("protected %s slot %s %s%s\n", p->slot[i].comp->name,
		       p->slot[i].comp->slot[p->slot[i].index].name, p->slot[i].part.devnode,
		       p->slot[i].active ? " (active)" : "");
	}
	if (n)
		printf("version floor %" PRIu64 "; policy locked until reboot\n", p->floor);
}

static void load_report(const struct uc_args *a, const struct uc_policy_plan *p)
{
	struct json_writer w;
	unsigned int i;

	if (!a->json) {
		load_report_text(p);
		return;
	}
	json_doc_begin(&w, stdout);
	json_kv_u64(&w, "floor", p->floor);
	json_key(&w, "slots");
	json_array_begin(&w);
	for (i = 0; i < p->count; i++) {
		json_object_begin(&w);
		json_kv_string(&w, "component", p->slot[i].comp->name);
		json_kv_string(&w, "slot", p->slot[i].comp->slot[p->slot[i].index].name);
		json_kv_string(&w, "device", p->slot[i].part.devnode);
		json_kv_bool(&w, "active", p->slot[i].active);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_doc_end(&w);
}

static int load_run(const struct uc_args *a, struct uc_step *step)
{
	static struct uc_policy_plan plan;
	uint64_t floor;
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "parse-options");
	if (a->opt[OPT_FLOOR] && uc_parse_u64("--floor", a->opt[OPT_FLOOR], &floor))
		return -EINVAL;
	err = uc_policy_load(&a->cfg, a->opt[OPT_FLOOR] ? &floor : NULL, &plan, step);
	/* What is protected is said even when something else failed. */
	if (!err || !a->json)
		load_report(a, &plan);
	return err ? err : UC_EXIT_OK;
}

static const struct uc_command UC_COMMAND(policy_load, "load", "", 0, 0,
	UC_CMD_CONFIG | UC_CMD_TPM | UC_CMD_JSON, load_options, load_run,
	"protect every slot of policy.conf until reboot, the booted one active");

static int status_run(const struct uc_args *a, struct uc_step *step)
{
	char text[8192];
	int err;

	err = uc_policy_read(text, sizeof(text), step);
	if (err)
		return err;
	fputs(text, stdout);
	return UC_EXIT_OK;
}

static const struct uc_command UC_COMMAND(policy_status, "status", "", 0, 0,
	0, NULL, status_run, "show the partition policy fwguard.ko holds");

const struct uc_command UC_GROUP(uc_cmd_policy, "policy",
	"load this boot's partition policy into fwguard.ko, or show it",
	&policy_load, &policy_status);
