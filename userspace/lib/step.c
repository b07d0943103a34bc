// SPDX-License-Identifier: GPL-2.0-only
/*
 * The step trace (see step.h): with FWGUARD_TIMING set in the environment,
 * every step a command enters goes to stderr with a monotonic timestamp,
 * so that a benchmark can tell where a command spends its time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "userspace/lib/step.h"

void uc_step_trace(const char *name)
{
	static int on = -1;
	struct timespec ts;

	if (on < 0)
		on = getenv("FWGUARD_TIMING") != NULL;
	if (!on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(stderr, "updatectl: timing: %lld.%06ld step %s\n", (long long)ts.tv_sec,
		ts.tv_nsec / 1000, name);
}
