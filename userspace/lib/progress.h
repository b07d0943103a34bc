/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one progress bar updatectl draws on a terminal (fetch, install):
 * redrawn at most once a second, and finished with a newline.
 */
#ifndef FWGUARD_PROGRESS_H
#define FWGUARD_PROGRESS_H

#include <stdint.h>
#include <time.h>

struct progress {
	const char *label;
	time_t drawn;		/* 0 until the first draw */
	int finished;		/* the 100% line was drawn and ended */
};

/* Draw @done of @total bytes on stderr; a @total of 0 draws nothing. */
void progress_draw(struct progress *p, uint64_t done, uint64_t total);

#endif /* FWGUARD_PROGRESS_H */
