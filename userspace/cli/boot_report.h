/* SPDX-License-Identifier: GPL-2.0-only */
/* Output of boot-verify and mark-good, which report the same per-component record. */
#ifndef FWGUARD_CLI_BOOT_REPORT_H
#define FWGUARD_CLI_BOOT_REPORT_H

#include "userspace/cli/command.h"
#include "userspace/lib/boot.h"

/*
 * Print @r (JSON with --json) and return the exit code of a run that
 * returned @err with @step: a failure's code, else FALLBACK when any
 * component fell back, else OK.
 */
int uc_boot_report(const struct uc_args *a, const struct uc_boot_report *r, int err,
		   const struct uc_step *step);

#endif /* FWGUARD_CLI_BOOT_REPORT_H */
