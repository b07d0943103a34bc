/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command line shared by updatectl's bundle-handling commands (fetch,
 * verify, install): [--config FILE] [--json] [--quiet] [--output FILE] and
 * one operand, so that every command spells its options the same way.
 */
#ifndef FWGUARD_ARGS_H
#define FWGUARD_ARGS_H

#include <stdbool.h>
#include <stdio.h>

struct uc_args {
	const char *config;
	const char *output;	/* only where allow_output */
	const char *source;	/* the operand */
	bool json;
	bool quiet;
};

/*
 * Parse @argv (argv[0] is the subcommand). --help prints @usage to stdout
 * and exits 0. Returns 0, or -EINVAL after printing @usage to stderr.
 */
int uc_parse_args(int argc, char **argv, bool allow_output, void (*usage)(FILE *),
		  struct uc_args *out);

#endif /* FWGUARD_ARGS_H */
