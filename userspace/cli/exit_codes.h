/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * updatectl's exit codes, documented as a table in updatectl(8). Which
 * failure leads to which code is decided in one place, cli/exit.c.
 */
#ifndef FWGUARD_CLI_EXIT_CODES_H
#define FWGUARD_CLI_EXIT_CODES_H

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
	UC_EXIT_UNTRUSTED = 9,	/* not the provisioned TPM (SRK pin, session HMAC) */
};

#endif /* FWGUARD_CLI_EXIT_CODES_H */
