// SPDX-License-Identifier: GPL-2.0-only
/*
 * Crash images from a dm-log-writes log. The on-disk format: sector 0
 * holds the superblock (le64 magic, le64 version 1, le64 number of
 * entries, le32 sector size); entries follow from sector 1, each one
 * sector holding (le64 sector, le64 number of sectors, le64 flags, le64
 * data length) and then, unless it is a discard, its data, sector by
 * sector. Sectors and counts are in units of the log's sector size.
 *
 * The order of the log is the order in which writes completed, and a
 * flush is logged when it completed, so every write the guest saw
 * complete before it issued a flush comes before that flush in the log.
 * A crash state at point p therefore holds every write before the last
 * flush before p, and any subset of the writes after it (a disk with a
 * volatile cache may have written them in any order, or not at all). A
 * write issued after a flush was issued but completed before it is
 * logged before the flush too; treating it as flushed loses some states
 * (never invents one).
 */
#include "tests/crash/logreplay.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LW_MAGIC	0x6a736677736872ULL
#define LW_VERSION	1
#define LW_FLAG_MASK	(LW_FLUSH | LW_FUA | LW_DISCARD | LW_MARK | LW_METADATA)
#define LW_MAX_SECTOR	(1u << 20)
#define LW_CHUNK	(1u << 20)

static int read_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EBADMSG;
		done += (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
				   (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	return 0;
}

static int read_super(int fd, uint64_t size, uint64_t *nr, uint32_t *sectorsize)
{
	unsigned char sb[28];
	uint64_t magic, version;
	uint32_t ss;
	int err;

	if (size < sizeof(sb))
		return -EBADMSG;
	err = read_full(fd, sb, sizeof(sb), 0);
	if (err)
		return err;
	memcpy(&magic, sb, 8);
	memcpy(&version, sb + 8, 8);
	memcpy(nr, sb + 16, 8);
	memcpy(&ss, sb + 24, 4);
	*nr = le64toh(*nr);
	ss = le32toh(ss);
	if (le64toh(magic) != LW_MAGIC || le64toh(version) != LW_VERSION)
		return -EBADMSG;
	if (ss < 512 || ss > LW_MAX_SECTOR || (ss & (ss - 1)))
		return -EBADMSG;
	/* Every entry takes at least one sector after the superblock. */
	if (*nr > size / ss)
		return -EBADMSG;
	*sectorsize = ss;
	return 0;
}

/* Index entry i at sector *cur; advance *cur past it and its data. */
static int index_entry(struct lw_log *log, uint64_t size, uint64_t *cur, uint64_t i)
{
	uint64_t total = size / log->sectorsize, raw[4];
	struct lw_entry *e = &log->e[i];
	int err;

	if (*cur >= total)
		return -EBADMSG;
	err = read_full(log->fd, raw, sizeof(raw), *cur * log->sectorsize);
	if (err)
		return err;
	e->sector = le64toh(raw[0]);
	e->nr_sectors = le64toh(raw[1]);
	e->flags = le64toh(raw[2]);
	if (e->flags & ~(uint64_t)LW_FLAG_MASK)
		return -EBADMSG;
	*cur += 1;
	e->data_off = *cur * log->sectorsize;
	if (!(e->flags & LW_DISCARD) && !(e->flags & LW_MARK)) {
		if (e->nr_sectors > total - *cur)
			return -EBADMSG;
		*cur += e->nr_sectors;
	}
	return 0;
}

int lw_open(const char *path, struct lw_log *log)
{
	struct lw_log l = { .fd = -1 };
	uint64_t cur = 1, i;
	struct stat st;
	int err;

	l.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (l.fd < 0)
		return -errno;
	err = fstat(l.fd, &st) ? -errno : 0;
	if (!err)
		err = read_super(l.fd, (uint64_t)st.st_size, &l.nr, &l.sectorsize);
	if (!err) {
		l.e = calloc(l.nr ? l.nr : 1, sizeof(*l.e));
		err = l.e ? 0 : -ENOMEM;
	}
	for (i = 0; !err && i < l.nr; i++)
		err = index_entry(&l, (uint64_t)st.st_size, &cur, i);
	if (err) {
		lw_close(&l);
		return err;
	}
	l.extra_bytes = (uint64_t)st.st_size - cur * l.sectorsize;
	*log = l;
	return 0;
}

void lw_close(struct lw_log *log)
{
	if (log->fd >= 0)
		close(log->fd);
	free(log->e);
	log->fd = -1;
	log->e = NULL;
	log->nr = 0;
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

int lw_point_keeps(const struct lw_log *log, const struct lw_point *p, uint64_t i)
{
	if (i >= p->upto)
		return 0;
	if (i < p->base || i == p->upto - 1)
		return 1;
	if (p->kind != LW_POINT_DROP)
		return 1;
	if (log->e[i].flags & LW_FUA)
		return 1;
	return (int)(mix64(((uint64_t)p->seed << 32) ^ i) >> 63);
}

/* Apply the first bytes of entry e: its data, or zeroes for a discard. */
static int apply_entry(const struct lw_log *log, const struct lw_entry *e,
		       uint64_t bytes, int fd, uint64_t image_size, char *buf)
{
	uint64_t off = e->sector * log->sectorsize, done = 0;
	int err = 0;

	if (e->sector > image_size / log->sectorsize || bytes > image_size - off)
		return -ERANGE;
	if (e->flags & LW_DISCARD)
		memset(buf, 0, LW_CHUNK);
	while (!err && done < bytes) {
		size_t n = bytes - done > LW_CHUNK ? LW_CHUNK : (size_t)(bytes - done);

		if (!(e->flags & LW_DISCARD))
			err = read_full(log->fd, buf, n, e->data_off + done);
		if (!err)
			err = write_full(fd, buf, n, off + done);
		done += n;
	}
	return err;
}

int lw_apply(const struct lw_log *log, const struct lw_point *p, int fd)
{
	struct stat st;
	uint64_t i;
	char *buf;
	int err = 0;

	if (p->upto > log->nr || p->base > p->upto)
		return -EINVAL;
	if (fstat(fd, &st))
		return -errno;
	buf = malloc(LW_CHUNK);
	if (!buf)
		return -ENOMEM;
	for (i = 0; !err && i < p->upto; i++) {
		const struct lw_entry *e = &log->e[i];
		uint64_t bytes = e->nr_sectors * log->sectorsize;

		if (!lw_is_data(e) || !lw_point_keeps(log, p, i))
			continue;
		if (p->kind == LW_POINT_TORN && i == p->upto - 1)
			bytes = e->nr_sectors / 2 * log->sectorsize;
		err = apply_entry(log, e, bytes, fd, (uint64_t)st.st_size, buf);
	}
	free(buf);
	return err;
}

const char *lw_kind_name(enum lw_kind kind)
{
	switch (kind) {
	case LW_POINT_FLUSH:
		return "flush";
	case LW_POINT_DROP:
		return "drop";
	case LW_POINT_TORN:
		return "torn";
	}
	return "?";
}

int lw_kind_parse(const char *name, enum lw_kind *kind)
{
	enum lw_kind k;

	for (k = LW_POINT_FLUSH; k <= LW_POINT_TORN; k++) {
		if (!strcmp(name, lw_kind_name(k))) {
			*kind = k;
			return 0;
		}
	}
	return -EINVAL;
}

struct point_list {
	struct lw_point *p;
	size_t count, cap;
};

static int add_point(struct point_list *l, enum lw_kind kind, uint64_t base,
		     uint64_t upto, uint32_t seed)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct lw_point *p = realloc(l->p, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->p = p;
		l->cap = cap;
	}
	l->p[l->count++] = (struct lw_point){ kind, base, upto, seed };
	return 0;
}

/*
 * The points between the flush at base (or the start of the range) and
 * the next one at end: DROP points at evenly spaced writes, and a TORN
 * point at the largest multi-sector write.
 */
static int interval_points(const struct lw_log *log, const struct lw_sample *s,
			   uint64_t base, uint64_t end, struct point_list *l)
{
	uint64_t i, writes = 0, seen = 0, torn = UINT64_MAX;
	unsigned int m = 0;
	int err = 0;

	for (i = base; i < end; i++) {
		const struct lw_entry *e = &log->e[i];

		if (!lw_is_data(e))
			continue;
		writes++;
		if (!(e->flags & LW_DISCARD) && e->nr_sectors >= 2 &&
		    (torn == UINT64_MAX || e->nr_sectors > log->e[torn].nr_sectors))
			torn = i;
	}
	for (i = base; !err && i < end && m < s->drops; i++) {
		uint64_t at;

		if (!lw_is_data(&log->e[i]))
			continue;
		seen++;
		/* The (m+1)-th of drops+1 equal parts of the interval's writes. */
		at = (m + 1) * writes / (s->drops + 1);
		if (at == 0)
			at = 1;
		if (seen < at)
			continue;
		m++;
		err = add_point(l, LW_POINT_DROP, base, i + 1, s->seed ^ (uint32_t)i);
	}
	if (!err && s->torn && torn != UINT64_MAX)
		err = add_point(l, LW_POINT_TORN, torn, torn + 1, s->seed);
	return err;
}

static int has_data(const struct lw_log *log, uint64_t from, uint64_t to)
{
	for (; from < to; from++)
		if (lw_is_data(&log->e[from]))
			return 1;
	return 0;
}

int lw_points(const struct lw_log *log, const struct lw_sample *s,
	      struct lw_point **out, size_t *count)
{
	uint64_t to = s->to > log->nr ? log->nr : s->to, i, base = s->from;
	struct point_list l = { 0 };
	int err;

	if (s->from > to)
		return -EINVAL;
	err = add_point(&l, LW_POINT_FLUSH, s->from, s->from, 0);
	for (i = s->from; !err && i <= to; i++) {
		if (i < to && !(log->e[i].flags & LW_FLUSH))
			continue;
		err = interval_points(log, s, base, i, &l);
		if (!err && has_data(log, base, i))
			err = add_point(&l, LW_POINT_FLUSH, i, i, 0);
		base = i;
	}
	if (err) {
		free(l.p);
		return err;
	}
	*out = l.p;
	*count = l.count;
	return 0;
}
