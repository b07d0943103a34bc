/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command skeleton every updatectl command and sub-command group is
 * declared with: name, summary, options, run. One parser reads every
 * command line, so an option is spelled and behaves the same everywhere:
 * --config FILE, --tcti CONF, --json and --quiet are declared by flags and
 * handled here; a command's own options are a table it declares. Before
 * run() is called the configuration is read (commands with UC_CMD_CONFIG;
 * --tcti applied over it) and the single-instance lock is taken
 * (UC_CMD_LOCK), so run() is: inputs, one library call, output.
 */
#ifndef FWGUARD_CLI_COMMAND_H
#define FWGUARD_CLI_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userspace/cli/exit_codes.h"
#include "userspace/lib/config.h"
#include "userspace/lib/step.h"

#define UC_OPT_MAX	16
#define UC_LIST_MAX	8

struct uc_option {
	const char *name;	/* long name, without "--" */
	const char *metavar;	/* NULL: a flag */
	const char *help;
	bool repeatable;	/* values collected in uc_args.list */
};

enum {
	UC_CMD_CONFIG = 1 << 0,	/* --config FILE; the configuration is read */
	UC_CMD_TPM = 1 << 1,	/* --tcti CONF too: the command talks to the TPM */
	UC_CMD_JSON = 1 << 2,	/* --json */
	UC_CMD_QUIET = 1 << 3,	/* --quiet */
	UC_CMD_LOCK = 1 << 4,	/* runs under the single-instance lock */
};

struct uc_command;

struct uc_args {
	const struct uc_command *cmd;
	const char *path;		/* "tpm seal", for messages */
	const char *config;		/* --config, or the default */
	const char *tcti;		/* --tcti, or NULL */
	bool json, quiet;
	const char *opt[UC_OPT_MAX];	/* by index into cmd->options; "" for a flag given */
	const char *list[UC_LIST_MAX];	/* values of the repeatable option */
	size_t n_list;
	char **operands;
	int n_operands;
	struct uc_config cfg;		/* read before run() for UC_CMD_CONFIG */
};

struct uc_command {
	const char *name;
	const char *summary;
	const char *operands;		/* synopsis of the operands, "" for none */
	unsigned int flags;
	const struct uc_option *options;	/* { NULL }-terminated, or NULL */
	int min_operands, max_operands;
	/*
	 * Inputs, one library call, output. Returns 0, a -errno with the
	 * failing step in @step (the skeleton maps it to the exit code and,
	 * with --json, prints the error object), or an exit code of its own
	 * (boot-verify's FALLBACK, status's report of an unreachable TPM).
	 */
	int (*run)(const struct uc_args *args, struct uc_step *step);
	const struct uc_command *const *subcommands;	/* a group; NULL-terminated */
};

/*
 * Declarations, so that a command's identity reads as one statement:
 *
 *	const struct uc_command UC_COMMAND(uc_cmd_verify, "verify", "BUNDLE", 1, 1,
 *		UC_CMD_CONFIG | UC_CMD_TPM, NULL, run, "check a bundle as install would");
 *
 * (variable, name, operands synopsis, least and most operands, flags,
 * options table, run, summary) and a group of sub-commands:
 *
 *	const struct uc_command UC_GROUP(uc_cmd_keys, "keys", "summary", &add, &list);
 */
#define UC_COMMAND(var, name_, operands_, min_, max_, flags_, options_, run_, summary_) \
	var = { .name = name_, .operands = operands_, .min_operands = min_,		\
		.max_operands = max_, .flags = flags_, .options = options_, .run = run_,	\
		.summary = summary_ }
#define UC_GROUP(var, name_, summary_, ...)						\
	var = { .name = name_, .summary = summary_,					\
		.subcommands = (const struct uc_command *const[]){ __VA_ARGS__, NULL } }

/*
 * Run @cmd with @argv (argv[0] is its name; @path names it in messages).
 * A group picks its sub-command from argv[1]. Returns the exit code.
 */
int uc_command_run(const struct uc_command *cmd, const char *path, int argc, char **argv);

/* The one number parser: decimal, no sign, fits 64 bits. 0 or -EINVAL (logged). */
int uc_parse_u64(const char *what, const char *text, uint64_t *out);

/*
 * The exit code for a failure of @step with @err (cli/exit.c). With
 * --json, a JSON error object {"error":{code,name,step,message}} goes to
 * stdout as well; the message is the first one logged on stderr.
 */
int uc_fail(const struct uc_args *args, const struct uc_step *step, int err);

/* Exit code and its name in updatectl(8) ("verify", "tpm", ...). */
int uc_exit_code(enum uc_source source, int err);
const char *uc_exit_name(int code);

#endif /* FWGUARD_CLI_COMMAND_H */
