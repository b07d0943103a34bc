// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl: the fwguard admin tool. This file only lists the commands;
 * each one lives in its own cmd_*.c, the skeleton that runs them in
 * command.c, the mapping of failures to exit codes in exit.c.
 */
#include <stddef.h>

#include "userspace/cli/updatectl.h"

static const struct uc_command *const commands[] = {
	&uc_cmd_fetch, &uc_cmd_verify, &uc_cmd_install, &uc_cmd_boot_verify,
	&uc_cmd_mark_good, &uc_cmd_adopt, &uc_cmd_status, &uc_cmd_bundle, &uc_cmd_policy,
	&uc_cmd_keys, &uc_cmd_tpm, &uc_cmd_attest, &uc_cmd_bootloader, NULL,
};

static const struct uc_command updatectl = {
	.name = "updatectl",
	.summary = "install measured firmware updates through the fwguard kernel gate",
	.subcommands = commands,
};

int main(int argc, char **argv)
{
	return uc_command_run(&updatectl, "updatectl", argc, argv);
}
