// SPDX-License-Identifier: GPL-2.0-only
/* updatectl fetch: one bundle from the update server (lib/fetch_bundle.c). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "userspace/cli/updatectl.h"
#include "userspace/common/log.h"
#include "userspace/lib/fetch_bundle.h"
#include "userspace/lib/json.h"

enum { OPT_OUTPUT };

static const struct uc_option options[] = {
	[OPT_OUTPUT] = { "output", "FILE", "write the bundle here instead of download_dir" },
	{ NULL },
};

static void report(const struct uc_args *a, const char *path, const struct fwguard_ticket *t)
{
	bool approved = a->cfg.policy_key[0];
	char approval[PATH_MAX + 16];
	struct json_writer w;

	snprintf(approval, sizeof(approval), "%s.approval", path);
	if (a->json) {
		json_doc_begin(&w, stdout);
		json_kv_string(&w, "path", path);
		if (approved)
			json_kv_string(&w, "approval", approval);
		else
			json_kv_null(&w, "approval");
		json_kv_string(&w, "component", t->component);
		json_kv_u64(&w, "security_version", t->security_version);
		json_kv_u64(&w, "image_length", t->image_len);
		json_doc_end(&w);
	} else if (!a->quiet) {
		printf("fetched %s: %s version %" PRIu64 ", %" PRIu64 " bytes\n", path,
		       t->component, t->security_version, t->image_len);
		if (approved)
			printf("fetched %s: the vendor's approval of it\n", approval);
	}
}

static int run(const struct uc_args *a, struct uc_step *step)
{
	struct fwguard_ticket ticket;
	char path[PATH_MAX];
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "read-config");
	if (!a->cfg.device_class[0]) {
		fwg_log_error("device_class is not configured in %s", a->config);
		return -EINVAL;
	}
	err = uc_fetch_bundle(&a->cfg, a->operands[0], a->opt[OPT_OUTPUT],
			      !a->quiet && !a->json, path, sizeof(path), &ticket, step);
	if (err)
		return err;
	report(a, path, &ticket);
	return UC_EXIT_OK;
}

const struct uc_command UC_COMMAND(uc_cmd_fetch, "fetch", "URL|NAME", 1, 1,
	UC_CMD_CONFIG | UC_CMD_JSON | UC_CMD_QUIET | UC_CMD_LOCK, options, run,
	"download a bundle over mutual TLS, verifying its ticket first (and its approval, with policy_key)");
