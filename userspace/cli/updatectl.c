// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl: the fwguard admin tool. This file only dispatches to the
 * subcommands; each one lives in its own cmd_*.c.
 */
#include <stdio.h>
#include <string.h>

#include "userspace/cli/updatectl.h"

static const struct updatectl_cmd commands[] = {
	{ "fetch", cmd_fetch, "download a bundle over mutual TLS, verifying its ticket first" },
	{ "verify", cmd_verify, "check a bundle as install would, without writing anything" },
	{ "install", cmd_install, "verify a bundle and write it through fwguard into the inactive slot" },
	{ "boot-verify", cmd_boot_verify, "measure and verify the booted slot; fall back on mismatch" },
	{ "mark-good", cmd_mark_good, "confirm a verified trial slot and raise the version floor" },
	{ "status", cmd_status, "show slots, versions, floor and module state (--json)" },
	{ "bundle", cmd_bundle, "create or inspect update bundles (vendor side)" },
	{ "policy", cmd_policy, "load this boot's partition policy into fwguard.ko, or show it" },
	{ "keys", cmd_keys, "add, list or seal the kernel's .fwguard ticket-signing keys" },
	{ "tpm", cmd_tpm, "TPM provisioning, measurement, sealing and status" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: updatectl COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return UC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return UC_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "updatectl: unknown command '%s' (see 'updatectl --help')\n", argv[1]);
	return UC_EXIT_USAGE;
}
