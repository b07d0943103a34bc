// SPDX-License-Identifier: GPL-2.0-only
/* updatectl verify: check a bundle as install would, writing nothing (lib/install.c). */
#include <inttypes.h>
#include <stdio.h>

#include "userspace/cli/updatectl.h"
#include "userspace/lib/install.h"
#include "userspace/lib/json.h"

static void report(const struct uc_args *a, const struct uc_verify_result *r)
{
	struct json_writer w;

	if (a->json) {
		json_doc_begin(&w, stdout);
		json_kv_string(&w, "bundle", r->path);
		json_kv_string(&w, "component", r->ticket.component);
		json_kv_u64(&w, "version", r->ticket.security_version);
		json_kv_bool(&w, "verified", true);
		json_doc_end(&w);
	} else if (!a->quiet) {
		printf("%s: verified: %s version %" PRIu64 " for %s\n", r->path,
		       r->ticket.component, r->ticket.security_version, r->ticket.device_class);
	}
}

static int run(const struct uc_args *a, struct uc_step *step)
{
	struct uc_verify_result r;
	int err;

	err = uc_verify(&a->cfg, a->operands[0], &r, step);
	if (err)
		return err;
	report(a, &r);
	return UC_EXIT_OK;
}

const struct uc_command UC_COMMAND(uc_cmd_verify, "verify", "BUNDLE", 1, 1,
	UC_CMD_CONFIG | UC_CMD_TPM | UC_CMD_JSON | UC_CMD_QUIET, NULL, run,
	"check a bundle as install would, without writing anything");
