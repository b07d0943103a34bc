/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ownership at the declaration: a variable declared _cleanup_(fn) is
 * released by fn(&var) when it goes out of scope, on every return path.
 * Release functions accept an unset value (-1, NULL).
 */
#ifndef FWGUARD_COMMON_CLEANUP_H
#define FWGUARD_COMMON_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(fn) __attribute__((cleanup(fn)))

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)

#endif /* FWGUARD_COMMON_CLEANUP_H */
