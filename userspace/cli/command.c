// SPDX-License-Identifier: GPL-2.0-only
/*
 * The command skeleton (see command.h): dispatch into groups, the one
 * option parser, usage texts generated from the declarations, and the
 * steps every command shares before it runs (configuration, lock).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "userspace/cli/command.h"
#include "userspace/common/log.h"
#include "userspace/common/number.h"
#include "userspace/lib/runtime.h"

enum { OPT_HELP = 1, OPT_CONFIG, OPT_TCTI, OPT_JSON, OPT_QUIET, OPT_OWN = 256 };

int uc_parse_u64(const char *what, const char *text, uint64_t *out)
{
	int err = fwg_parse_u64(text, out);

	if (err)
		fwg_log_error("%s: not a number: '%s'", what, text ? text : "");
	return err;
}

static void usage_options(FILE *out, const struct uc_command *cmd)
{
	const struct uc_option *o;

	if (cmd->flags & (UC_CMD_CONFIG | UC_CMD_TPM))
		fprintf(out, "  --%-22s %s\n", "config FILE", "configuration (default "
			FWG_DEFAULT_CONFIG ")");
	if (cmd->flags & UC_CMD_TPM)
		fprintf(out, "  --%-22s %s\n", "tcti CONF", "TPM connection (default: tcti from "
			"the configuration, else $" FWG_TCTI_ENV ", else " FWG_DEFAULT_TCTI ")");
	if (cmd->flags & UC_CMD_JSON)
		fprintf(out, "  --%-22s %s\n", "json", "report in JSON, failures included");
	if (cmd->flags & UC_CMD_QUIET)
		fprintf(out, "  --%-22s %s\n", "quiet", "print nothing on success");
	for (o = cmd->options; o && o->name; o++) {
		char spec[64];

		snprintf(spec, sizeof(spec), "%s%s%s", o->name, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		fprintf(out, "  --%-22s %s\n", spec, o->help);
	}
}

static void usage(FILE *out, const struct uc_command *cmd, const char *path)
{
	const struct uc_command *const *sub;

	if (cmd->subcommands && !cmd->run) {
		fprintf(out, "usage: %s COMMAND [OPTIONS]\n\ncommands:\n", path);
		for (sub = cmd->subcommands; *sub; sub++)
			fprintf(out, "  %-14s %s\n", (*sub)->name, (*sub)->summary);
		fprintf(out, "\nSee '%s COMMAND --help' for the options of each.\n", path);
		return;
	}
	fprintf(out, "usage: %s [OPTIONS]%s%s\n  %s\n", path, cmd->operands[0] ? " " : "",
		cmd->operands, cmd->summary);
	if (cmd->options || cmd->flags & (UC_CMD_CONFIG | UC_CMD_TPM | UC_CMD_JSON | UC_CMD_QUIET)) {
		fprintf(out, "\noptions:\n");
		usage_options(out, cmd);
	}
	for (sub = cmd->subcommands; sub && *sub; sub++)
		fprintf(out, "%s  %s %-14s %s\n", sub == cmd->subcommands ? "\ncommands:\n" : "",
			path, (*sub)->name, (*sub)->summary);
}

/* getopt_long's table for @cmd: the shared options it declares, then its own. */
static void build_longopts(const struct uc_command *cmd, struct option *lo)
{
	const struct uc_option *o;
	int n = 0, i;

	lo[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	if (cmd->flags & (UC_CMD_CONFIG | UC_CMD_TPM))
		lo[n++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	if (cmd->flags & UC_CMD_TPM)
		lo[n++] = (struct option){ "tcti", required_argument, NULL, OPT_TCTI };
	if (cmd->flags & UC_CMD_JSON)
		lo[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
	if (cmd->flags & UC_CMD_QUIET)
		lo[n++] = (struct option){ "quiet", no_argument, NULL, OPT_QUIET };
	for (o = cmd->options, i = 0; o && o->name; o++, i++)
		lo[n++] = (struct option){ o->name, o->metavar ? required_argument : no_argument,
					   NULL, OPT_OWN + i };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
}

/*
 * "updatectl tpm seal" is "tpm seal: " in messages, which name the program
 * already; the program itself adds nothing. Used as MSG_PREFIX "...".
 */
static const char *message_name(const char *path)
{
	const char *space = strchr(path, ' ');

	return space ? space + 1 : "";
}

static const char *message_sep(const char *path)
{
	return strchr(path, ' ') ? ": " : "";
}

#define MSG_PREFIX		"%s%s"
#define MSG_ARGS(path)		message_name(path), message_sep(path)

static int take_option(struct uc_args *a, int opt, const char *value)
{
	const struct uc_option *o;

	switch (opt) {
	case OPT_CONFIG: a->config = value; return 0;
	case OPT_TCTI: a->tcti = value; return 0;
	case OPT_JSON: a->json = true; return 0;
	case OPT_QUIET: a->quiet = true; return 0;
	}
	if (opt < OPT_OWN || opt - OPT_OWN >= UC_OPT_MAX)
		return -EINVAL;
	o = &a->cmd->options[opt - OPT_OWN];
	if (o->repeatable) {
		if (a->n_list == UC_LIST_MAX) {
			fwg_log_error(MSG_PREFIX "at most %d --%s", MSG_ARGS(a->path), UC_LIST_MAX,
				      o->name);
			return -EINVAL;
		}
		a->list[a->n_list++] = value;
	}
	a->opt[opt - OPT_OWN] = value ? value : "";
	return 0;
}

/* Returns 0, 1 for --help (usage printed), or -EINVAL (logged). */
static int parse(struct uc_args *a, int argc, char **argv)
{
	struct option lo[UC_OPT_MAX + 8];
	int opt, err;

	build_longopts(a->cmd, lo);
	optind = 0;	/* glibc: a full restart of the scan for this argv */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
		if (opt == OPT_HELP) {
			usage(stdout, a->cmd, a->path);
			return 1;
		}
		if (opt == '?' || opt == ':') {
			fwg_log_error(MSG_PREFIX "%s '%s' (see '%s --help')", MSG_ARGS(a->path),
				      opt == ':' ? "missing value for" : "unknown option",
				      argv[optind - 1], a->path);
			return -EINVAL;
		}
		err = take_option(a, opt, optarg);
		if (err)
			return err;
	}
	a->operands = argv + optind;
	a->n_operands = argc - optind;
	if (a->n_operands < a->cmd->min_operands || a->n_operands > a->cmd->max_operands) {
		fwg_log_error(MSG_PREFIX "expected %s (see '%s --help')", MSG_ARGS(a->path),
			      a->cmd->operands[0] ? a->cmd->operands : "no operands", a->path);
		return -EINVAL;
	}
	return 0;
}

static int read_config(struct uc_args *a)
{
	int err = uc_config_read(&a->cfg, a->config);

	if (err)
		return err;
	if (a->tcti && (size_t)snprintf(a->cfg.tcti, sizeof(a->cfg.tcti), "%s", a->tcti) >=
	    sizeof(a->cfg.tcti)) {
		fwg_log_error("--tcti: longer than %zu bytes", sizeof(a->cfg.tcti) - 1);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int run_leaf(const struct uc_command *cmd, const char *path, int argc, char **argv)
{
	struct uc_args a = { .cmd = cmd, .path = path, .config = FWG_DEFAULT_CONFIG };
	struct uc_step step;
	int err, lock = -1, rc;

	uc_step_enter(&step, UC_SRC_USAGE, "parse-options");
	err = parse(&a, argc, argv);
	if (err > 0)
		return UC_EXIT_OK;
	if (!err && cmd->flags & (UC_CMD_CONFIG | UC_CMD_TPM)) {
		uc_step_enter(&step, UC_SRC_USAGE, "read-config");
		err = read_config(&a);
	}
	if (!err && cmd->flags & UC_CMD_LOCK) {
		uc_step_enter(&step, UC_SRC_LOCK, "lock");
		lock = uc_lock();
		err = lock < 0 ? lock : 0;
	}
	if (err)
		return uc_fail(&a, &step, err);
	rc = cmd->run(&a, &step);
	if (lock >= 0)
		close(lock);
	return rc < 0 ? uc_fail(&a, &step, rc) : rc;
}

int uc_command_run(const struct uc_command *cmd, const char *path, int argc, char **argv)
{
	const struct uc_command *const *sub;
	char subpath[128];

	/* A group that is also a command (attest) runs itself unless a
	 * sub-command is named. */
	if (!cmd->subcommands || (cmd->run && (argc < 2 || argv[1][0] == '-')))
		return run_leaf(cmd, path, argc, argv);
	if (argc < 2) {
		usage(stderr, cmd, path);
		return UC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout, cmd, path);
		return UC_EXIT_OK;
	}
	for (sub = cmd->subcommands; *sub; sub++) {
		if (strcmp(argv[1], (*sub)->name))
			continue;
		snprintf(subpath, sizeof(subpath), "%s %s", path, (*sub)->name);
		return uc_command_run(*sub, subpath, argc - 1, argv + 1);
	}
	fwg_log_error(MSG_PREFIX "unknown command '%s' (see '%s --help')", MSG_ARGS(path), argv[1],
		      path);
	return UC_EXIT_USAGE;
}
