/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Crash images from a write log in the dm-log-writes format (written by
 * QEMU's blklogwrites driver or the kernel's dm-log-writes target): the
 * log is indexed once, a list of crash points is derived from its
 * flushes, and any point is applied to a copy of the disk as it was when
 * logging began. Functions return 0 or -errno.
 */
#ifndef FWGUARD_TESTS_LOGREPLAY_H
#define FWGUARD_TESTS_LOGREPLAY_H

#include <stdint.h>
#include <stdio.h>

/* Entry flags of the format. */
#define LW_FLUSH	(1u << 0)
#define LW_FUA		(1u << 1)
#define LW_DISCARD	(1u << 2)
#define LW_MARK		(1u << 3)
#define LW_METADATA	(1u << 4)

struct lw_entry {
	uint64_t sector;	/* in units of the log's sector size */
	uint64_t nr_sectors;
	uint64_t flags;
	uint64_t data_off;	/* byte offset of the data in the log file */
};

struct lw_log {
	int fd;
	uint32_t sectorsize;
	uint64_t nr;		/* entries indexed */
	uint64_t extra_bytes;	/* bytes after the last entry (not indexed) */
	struct lw_entry *e;
};

/* A data entry changes the disk: a write (or write-zeroes) or a discard. */
static inline int lw_is_data(const struct lw_entry *e)
{
	return e->nr_sectors > 0 && !(e->flags & LW_MARK);
}

enum lw_kind {
	LW_POINT_FLUSH,	/* every entry before upto reached the disk */
	LW_POINT_DROP,	/* after the flush at base, some unflushed writes lost */
	LW_POINT_TORN,	/* everything before upto - 1; that write half done */
};

/*
 * A crash point: entries [0, base) reached the disk; of [base, upto) a
 * subset did, chosen by kind and seed. FUA writes and the last entry of a
 * DROP point always did (the point is "this write landed").
 */
struct lw_point {
	enum lw_kind kind;
	uint64_t base;
	uint64_t upto;
	uint32_t seed;
};

struct lw_sample {
	uint64_t from, to;	/* entry range the points lie in */
	unsigned int drops;	/* DROP points per flush interval */
	int torn;		/* one TORN point per interval with a multi-sector write */
	uint32_t seed;
};

int lw_open(const char *path, struct lw_log *log);
void lw_close(struct lw_log *log);

/* Points in order; *out is malloc'd. */
int lw_points(const struct lw_log *log, const struct lw_sample *s,
	      struct lw_point **out, size_t *count);

/* Does the point's crash state keep entry i? */
int lw_point_keeps(const struct lw_log *log, const struct lw_point *p, uint64_t i);

/* Apply the point to the image open read-write as fd (the disk as it was
 * when the log began). */
int lw_apply(const struct lw_log *log, const struct lw_point *p, int fd);

const char *lw_kind_name(enum lw_kind kind);
int lw_kind_parse(const char *name, enum lw_kind *kind);

#endif
