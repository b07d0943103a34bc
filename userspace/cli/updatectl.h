/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * updatectl: subcommand entry points and the exit codes shared by all of
 * them. Each subcommand lives in its own cmd_*.c file and is dispatched from
 * the table in updatectl.c.
 */
#ifndef UPDATECTL_H
#define UPDATECTL_H

#include "userspace/cli/exit_codes.h"

struct updatectl_cmd {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] is the subcommand */
	const char *summary;
};

int cmd_bundle(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_boot_verify(int argc, char **argv);
int cmd_mark_good(int argc, char **argv);
int cmd_status(int argc, char **argv);


/* Map a fetch/verify error to an exit code. */
int fetch_exit_code(int err);

struct uc_config;
struct fwguard_ticket;
/*
 * Download the bundle @source (URL, or name under server_url) to @output or
 * into download_dir; the ticket is verified before the image is accepted.
 * Returns 0 with the bundle's path in @path and its ticket in @ticket.
 */
int uc_fetch_bundle(const struct uc_config *cfg, const char *source, const char *output,
		    _Bool quiet, char *path, unsigned long path_size, struct fwguard_ticket *ticket);
int cmd_tpm(int argc, char **argv);

#endif /* UPDATECTL_H */
