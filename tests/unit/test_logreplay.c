// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests for the write-log replayer (tests/crash/logreplay.c) on logs
 * written by QEMU's own blklogwrites driver (qemu-io, one session per
 * group of writes, appending to one log): each flushed state is rebuilt
 * byte for byte, write-zeroes and discards included, at 512 and 4096-byte
 * log sectors; a DROP point keeps everything flushed and its own write; a
 * TORN point writes exactly the first half of the sectors; the crash
 * points of a known log are exactly the expected list; corrupt logs and
 * writes past the image's end are refused.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tests/crash/logreplay.h"

#define DISK_SIZE (1024 * 1024)

FIXTURE(lw) {
	char dir[64], disk[96], log[96], img[96];
};

FIXTURE_SETUP(lw)
{
	strcpy(self->dir, "/tmp/fwguard-logreplay.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->disk, sizeof(self->disk), "%s/disk", self->dir);
	snprintf(self->log, sizeof(self->log), "%s/log", self->dir);
	snprintf(self->img, sizeof(self->img), "%s/img", self->dir);
}

FIXTURE_TEARDOWN(lw)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

static int make_file(const char *path, off_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, size)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* One qemu-io session on disk through blklogwrites; the first one starts
 * the log (at SECTOR-byte log sectors), later ones append. */
static int qio(const char *disk, const char *log, int sector, const char *cmds)
{
	char line[1024];
	struct stat st;

	if (stat(log, &st)) {
		if (make_file(log, 0))
			return -1;
		st.st_size = 0;
	}
	snprintf(line, sizeof(line),
		 "qemu-io --image-opts driver=blklogwrites,file.driver=file,"
		 "file.filename=%s,log.driver=file,log.filename=%s,%s %s >/dev/null",
		 disk, log, st.st_size ? "log-append=on" : (sector == 4096 ?
		 "log-sector-size=4096" : "log-sector-size=512"), cmds);
	return system(line);
}

static int copy_file(const char *from, const char *to)
{
	char line[256];

	snprintf(line, sizeof(line), "cp %s %s", from, to);
	return system(line);
}

static int files_equal(const char *a, const char *b)
{
	char line[256];

	snprintf(line, sizeof(line), "cmp -s %s %s", a, b);
	return system(line) == 0;
}

/* Apply point p to a fresh zero image (the disk before the log began). */
static int apply_fresh(const char *img, const struct lw_log *log, const struct lw_point *p)
{
	int fd, err;

	if (make_file(img, DISK_SIZE))
		return -EIO;
	fd = open(img, O_RDWR);
	if (fd < 0)
		return -errno;
	err = lw_apply(log, p, fd);
	close(fd);
	return err;
}

static int read_at(const char *img, void *buf, size_t len, off_t off)
{
	int fd = open(img, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static const char *const sessions[] = {
	"-c 'write -P 0x11 0 8k' -c 'write -P 0x22 64k 4k'",
	"-c 'write -P 0x33 4k 8k' -c 'write -z 64k 4k' -c 'write -P 0x44 512k 64k'",
	"-c 'discard 512k 32k' -c 'write -P 0x55 0 4k' -c 'write -P 0x66 1020k 4k'",
};

/* Every session's end state is a flush point of the log. */
static void flushed_states(struct __test_metadata *_metadata, FIXTURE_DATA(lw) *self,
			   int sector)
{
	uint64_t ends[3];
	char snap[3][128];
	struct lw_log log;
	int k;

	ASSERT_EQ(0, make_file(self->disk, DISK_SIZE));
	for (k = 0; k < 3; k++) {
		ASSERT_EQ(0, qio(self->disk, self->log, sector, sessions[k]));
		snprintf(snap[k], sizeof(snap[k]), "%s/snap%d", self->dir, k);
		ASSERT_EQ(0, copy_file(self->disk, snap[k]));
		ASSERT_EQ(0, lw_open(self->log, &log));
		EXPECT_EQ((uint32_t)sector, log.sectorsize);
		EXPECT_EQ(0ULL, (unsigned long long)log.extra_bytes);
		ends[k] = log.nr;
		lw_close(&log);
	}
	ASSERT_EQ(0, lw_open(self->log, &log));
	for (k = 0; k < 3; k++) {
		struct lw_point p = { LW_POINT_FLUSH, ends[k], ends[k], 0 };

		ASSERT_TRUE(!!(log.e[ends[k] - 1].flags & LW_FLUSH));
		ASSERT_EQ(0, apply_fresh(self->img, &log, &p));
		EXPECT_TRUE(files_equal(self->img, snap[k])) TH_LOG("session %d", k);
	}
	lw_close(&log);
}

TEST_F(lw, flush_points_rebuild_each_flushed_state_512)
{
	flushed_states(_metadata, self, 512);
}

TEST_F(lw, flush_points_rebuild_each_flushed_state_4096)
{
	flushed_states(_metadata, self, 4096);
}

/* An entry of a hand-made log: its data is nr_sectors sectors of byte. */
struct raw_entry {
	uint64_t sector, nr_sectors, flags;
	unsigned char byte;
};

/* Write a log in the format, 512-byte sectors, by hand (not by QEMU, whose
 * flush placement is its own business). */
static int write_log(const char *path, const struct raw_entry *e, size_t n)
{
	unsigned char sector[512];
	uint64_t le[4];
	uint32_t ss = htole32(512);
	FILE *f = fopen(path, "w");
	size_t i, k;
	int bad = !f;

	memset(sector, 0, sizeof(sector));
	le[0] = htole64(0x6a736677736872ULL);
	le[1] = htole64(1);
	le[2] = htole64(n);
	memcpy(sector, le, 24);
	memcpy(sector + 24, &ss, 4);
	bad = bad || fwrite(sector, 512, 1, f) != 1;
	for (i = 0; !bad && i < n; i++) {
		memset(sector, 0, sizeof(sector));
		le[0] = htole64(e[i].sector);
		le[1] = htole64(e[i].nr_sectors);
		le[2] = htole64(e[i].flags);
		le[3] = 0;
		memcpy(sector, le, 32);
		bad = fwrite(sector, 512, 1, f) != 1;
		memset(sector, e[i].byte, sizeof(sector));
		for (k = 0; !bad && !(e[i].flags & LW_DISCARD) && k < e[i].nr_sectors; k++)
			bad = fwrite(sector, 512, 1, f) != 1;
	}
	if (f && fclose(f))
		bad = 1;
	return bad ? -1 : 0;
}

/* 0 A (8 sectors at 0), 1 flush, 2 B (at 8), 3 C (at 16, 4 sectors),
 * 4 D (at 24), never flushed; 5 E discards A's second half, 6 flush. */
static const struct raw_entry five[] = {
	{ 0, 8, 0, 0xaa }, { 0, 0, LW_FLUSH, 0 }, { 8, 8, 0, 0xbb },
	{ 16, 4, 0, 0xcc }, { 24, 8, 0, 0xdd }, { 4, 4, LW_DISCARD, 0 },
	{ 0, 0, LW_FLUSH, 0 },
};

static void four_writes(struct __test_metadata *_metadata, FIXTURE_DATA(lw) *self,
			struct lw_log *log)
{
	ASSERT_EQ(0, write_log(self->log, five, sizeof(five) / sizeof(five[0])));
	ASSERT_EQ(0, lw_open(self->log, log));
}

static int region_is(const char *img, off_t off, size_t len, unsigned char byte)
{
	unsigned char buf[4096];
	size_t i;

	if (len > sizeof(buf) || read_at(img, buf, len, off))
		return 0;
	for (i = 0; i < len; i++)
		if (buf[i] != byte)
			return 0;
	return 1;
}

TEST_F(lw, drop_point_keeps_the_flushed_and_its_own_write)
{
	int kept[5] = { 0 }, dropped[5] = { 0 };
	struct lw_log log;
	uint32_t seed;
	int j;

	four_writes(_metadata, self, &log);
	ASSERT_EQ(7ULL, (unsigned long long)log.nr);
	for (seed = 0; seed < 32; seed++) {
		struct lw_point p = { LW_POINT_DROP, 1, 6, seed };

		ASSERT_EQ(0, apply_fresh(self->img, &log, &p));
		/* A, flushed, is there but for E's discard when E is kept. */
		EXPECT_TRUE(region_is(self->img, 0, 2048, 0xaa));
		EXPECT_TRUE(region_is(self->img, 2048, 2048, 0));
		for (j = 2; j < 5; j++) {
			const struct raw_entry *e = &five[j];
			int keeps = lw_point_keeps(&log, &p, j);

			EXPECT_TRUE(region_is(self->img, e->sector * 512, e->nr_sectors * 512,
					      keeps ? e->byte : 0)) TH_LOG("entry %d seed %u", j, seed);
			keeps ? kept[j]++ : dropped[j]++;
		}
	}
	/* The unflushed writes are kept by some seeds and lost by others. */
	for (j = 2; j < 5; j++) {
		EXPECT_GT(kept[j], 0);
		EXPECT_GT(dropped[j], 0);
	}
	lw_close(&log);
}

TEST_F(lw, drop_point_never_loses_a_fua_write_or_its_own)
{
	struct raw_entry fua[sizeof(five) / sizeof(five[0])];
	struct lw_log log;
	uint32_t seed;

	memcpy(fua, five, sizeof(fua));
	fua[2].flags = LW_FUA;
	ASSERT_EQ(0, write_log(self->log, fua, sizeof(fua) / sizeof(fua[0])));
	ASSERT_EQ(0, lw_open(self->log, &log));
	for (seed = 0; seed < 32; seed++) {
		struct lw_point p = { LW_POINT_DROP, 1, 5, seed };

		ASSERT_EQ(0, apply_fresh(self->img, &log, &p));
		EXPECT_TRUE(region_is(self->img, 4096, 4096, 0xbb));
		EXPECT_TRUE(region_is(self->img, 24 * 512, 4096, 0xdd));
		EXPECT_TRUE(region_is(self->img, 0, 4096, 0xaa));	/* E not in the point */
	}
	lw_close(&log);
}

TEST_F(lw, torn_point_writes_the_first_half_of_the_sectors)
{
	struct lw_point p = { LW_POINT_TORN, 2, 3, 0 };
	struct lw_log log;

	four_writes(_metadata, self, &log);
	ASSERT_EQ(0, apply_fresh(self->img, &log, &p));
	EXPECT_TRUE(region_is(self->img, 0, 4096, 0xaa));
	/* B is 8 sectors at sector 8: 8-11 written, 12-15 not. */
	EXPECT_TRUE(region_is(self->img, 4096, 2048, 0xbb));
	EXPECT_TRUE(region_is(self->img, 6144, 2048, 0));
	EXPECT_TRUE(region_is(self->img, 8192, 4096, 0));
	lw_close(&log);
}

TEST_F(lw, points_of_a_known_log)
{
	static const struct lw_point want[] = {
		{ LW_POINT_FLUSH, 0, 0, 0 },	/* the start */
		{ LW_POINT_DROP, 0, 1, 7 },	/* A alone in its interval */
		{ LW_POINT_TORN, 0, 1, 7 },
		{ LW_POINT_FLUSH, 1, 1, 0 },
		{ LW_POINT_DROP, 1, 3, 7 ^ 2 },	/* 1 of 3 parts of B C D E: B */
		{ LW_POINT_DROP, 1, 4, 7 ^ 3 },	/* 2 of 3 parts: C */
		{ LW_POINT_TORN, 2, 3, 7 },	/* the first of the largest writes */
		{ LW_POINT_FLUSH, 6, 6, 0 },
	};
	struct lw_sample s = { .from = 0, .to = 7, .drops = 2, .torn = 1, .seed = 7 };
	struct lw_point *p;
	struct lw_log log;
	size_t count, i;

	four_writes(_metadata, self, &log);
	ASSERT_EQ(0, lw_points(&log, &s, &p, &count));
	ASSERT_EQ(sizeof(want) / sizeof(want[0]), count);
	for (i = 0; i < count; i++) {
		EXPECT_EQ((int)want[i].kind, (int)p[i].kind) TH_LOG("point %zu", i);
		EXPECT_EQ(want[i].base, p[i].base) TH_LOG("point %zu", i);
		EXPECT_EQ(want[i].upto, p[i].upto) TH_LOG("point %zu", i);
		EXPECT_EQ(want[i].seed, p[i].seed) TH_LOG("point %zu", i);
	}
	free(p);
	/* A range inside the log: from B to before the last flush. */
	s.from = 2;
	s.to = 6;
	ASSERT_EQ(0, lw_points(&log, &s, &p, &count));
	ASSERT_LE((size_t)2, count);
	EXPECT_EQ((int)LW_POINT_FLUSH, (int)p[0].kind);
	EXPECT_EQ(2ULL, (unsigned long long)p[0].upto);
	EXPECT_EQ((int)LW_POINT_FLUSH, (int)p[count - 1].kind);
	EXPECT_EQ(6ULL, (unsigned long long)p[count - 1].upto);
	free(p);
	s.from = 8;
	EXPECT_EQ(-EINVAL, lw_points(&log, &s, &p, &count));
	lw_close(&log);
}

/* Overwrite LEN bytes of the log at OFF with BYTES. */
static int poke(const char *path, off_t off, const void *bytes, size_t len)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pwrite(fd, bytes, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

TEST_F(lw, corrupt_logs_are_refused)
{
	static const struct { off_t off; unsigned char byte; const char *what; } edits[] = {
		{ 0, 0x73, "magic" },
		{ 8, 2, "version" },
		{ 16, 0xff, "entry count beyond the file" },
		{ 24, 0x01, "sector size not a power of two" },
		{ 512 + 16, 0x40, "unknown entry flag" },
		{ 512 + 8, 0x80, "data beyond the end of the log" },
	};
	char orig[128];
	struct lw_log log;
	size_t i;

	four_writes(_metadata, self, &log);
	lw_close(&log);
	snprintf(orig, sizeof(orig), "%s/orig", self->dir);
	ASSERT_EQ(0, copy_file(self->log, orig));
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		ASSERT_EQ(0, copy_file(orig, self->log));
		ASSERT_EQ(0, poke(self->log, edits[i].off, &edits[i].byte, 1));
		EXPECT_EQ(-EBADMSG, lw_open(self->log, &log)) TH_LOG("%s", edits[i].what);
	}
	ASSERT_EQ(0, copy_file(orig, self->log));
	ASSERT_EQ(0, truncate(self->log, 512 * 5));
	EXPECT_EQ(-EBADMSG, lw_open(self->log, &log)) TH_LOG("truncated log");
}

TEST_F(lw, write_past_the_image_end_is_refused)
{
	struct lw_point p = { LW_POINT_FLUSH, 7, 7, 0 };
	struct lw_log log;
	int fd;

	four_writes(_metadata, self, &log);
	ASSERT_EQ(0, make_file(self->img, 8192));
	fd = open(self->img, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ERANGE, lw_apply(&log, &p, fd));
	close(fd);
	p.upto = 8;
	EXPECT_EQ(-EINVAL, apply_fresh(self->img, &log, &p));
	lw_close(&log);
}

TEST_HARNESS_MAIN
