// SPDX-License-Identifier: GPL-2.0-only
/* Terminal progress bar shared by fetch and install (see progress.h). */
#include <stdio.h>

#include "userspace/common/log.h"
#include "userspace/lib/progress.h"

#define PROGRESS_WIDTH 40

void progress_draw(struct progress *p, uint64_t done, uint64_t total)
{
	time_t now = time(NULL);

	if (!total || p->finished || (now == p->drawn && done != total))
		return;
	p->drawn = now;
	fwg_log_error("\r%s [%-*.*s] %3d%% %llu/%llu KiB", p->label, PROGRESS_WIDTH,
		(int)(done * PROGRESS_WIDTH / total),
		"========================================", (int)(done * 100 / total),
		(unsigned long long)(done >> 10), (unsigned long long)(total >> 10));
	if (done == total) {
		fputc('\n', stderr);
		p->finished = 1;
	}
}
