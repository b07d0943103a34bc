/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * updatectl: subcommand entry points and the exit codes shared by all of
 * them. Each subcommand lives in its own cmd_*.c file and is dispatched from
 * the table in updatectl.c.
 */
#ifndef UPDATECTL_H
#define UPDATECTL_H

/* Exit codes, documented in updatectl(8). */
enum updatectl_exit {
	UC_EXIT_OK = 0,
	UC_EXIT_FAILURE = 1,	/* unexpected failure, see message */
	UC_EXIT_USAGE = 2,	/* bad command line or configuration */
	UC_EXIT_VERIFY = 3,	/* signature, digest or policy check refused */
	UC_EXIT_TPM = 4,	/* TPM unavailable or TPM operation failed */
	UC_EXIT_KERNEL = 5,	/* fwguard module missing or refused */
	UC_EXIT_IO = 6,		/* file, disk or network I/O failed */
	UC_EXIT_BUSY = 7,	/* another updatectl holds the lock */
	UC_EXIT_FALLBACK = 8,	/* boot-verify mismatch: fell back to other slot */
};

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
