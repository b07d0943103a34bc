// SPDX-License-Identifier: GPL-2.0-only
/* updatectl mark-good: confirm a slot on trial that verified in this boot (lib/boot.c). */
#include "userspace/cli/boot_report.h"
#include "userspace/cli/updatectl.h"

static int run(const struct uc_args *a)
{
	struct uc_boot_report r;
	struct uc_step step;
	int err;

	err = uc_mark_good(&a->cfg, &r, &step);
	return uc_boot_report(a, &r, err, &step);
}

const struct uc_command uc_cmd_mark_good = {
	.name = "mark-good",
	.summary = "confirm a verified trial slot and raise the version floor",
	.operands = "",
	.flags = UC_CMD_CONFIG | UC_CMD_TPM | UC_CMD_JSON | UC_CMD_QUIET | UC_CMD_LOCK,
	.run = run,
};
