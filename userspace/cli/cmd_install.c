// SPDX-License-Identifier: GPL-2.0-only
/* updatectl install: a bundle through the kernel gate (lib/install.c). */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "userspace/cli/updatectl.h"
#include "userspace/common/hex.h"
#include "userspace/lib/install.h"
#include "userspace/lib/json.h"

static void report(const struct uc_args *a, const struct uc_install_result *r)
{
	char hex[FWG_DIGEST_HEX_LEN + 1];
	struct json_writer w;

	fwg_hex_encode(r->digest, sizeof(r->digest), hex);
	if (a->json) {
		json_doc_begin(&w, stdout);
		json_kv_string(&w, "component", r->component);
		json_kv_string(&w, "slot", r->slot);
		json_kv_u64(&w, "version", r->version);
		json_kv_u64(&w, "length", r->length);
		json_kv_string(&w, "digest", hex);
		json_kv_bool(&w, "pending", true);
		json_doc_end(&w);
	} else if (!a->quiet) {
		printf("installed %s version %" PRIu64 " into slot %s (%s)\n"
		       "measured sha256 %s\nreboot to try it; run 'updatectl mark-good' once it "
		       "verified\n", r->component, r->version, r->slot, r->devnode, hex);
	}
}

static int run(const struct uc_args *a, struct uc_step *step)
{
	struct uc_install_result r;
	int err;

	err = uc_install(&a->cfg, a->operands[0], !a->quiet && !a->json && isatty(STDERR_FILENO),
			 &r, step);
	if (err)
		return err;
	report(a, &r);
	return UC_EXIT_OK;
}

const struct uc_command UC_COMMAND(uc_cmd_install, "install", "BUNDLE|URL", 1, 1,
	UC_CMD_CONFIG | UC_CMD_TPM | UC_CMD_JSON | UC_CMD_QUIET | UC_CMD_LOCK, NULL, run,
	"verify a bundle and write it through fwguard into the inactive slot");
