// SPDX-License-Identifier: GPL-2.0-only
/* updatectl boot-verify: measure the booted slots against their sealed records at boot (lib/boot.c). */
#include "userspace/cli/boot_report.h"
#include "userspace/cli/updatectl.h"

static int run(const struct uc_args *a)
{
	struct uc_boot_report r;
	struct uc_step step;
	int err;

	err = uc_boot_verify(&a->cfg, &r, &step);
	return uc_boot_report(a, &r, err, &step);
}

const struct uc_command uc_cmd_boot_verify = {
	.name = "boot-verify",
	.summary = "measure and verify the booted slot; fall back on mismatch",
	.operands = "",
	.flags = UC_CMD_CONFIG | UC_CMD_TPM | UC_CMD_JSON | UC_CMD_QUIET | UC_CMD_LOCK,
	.run = run,
};
