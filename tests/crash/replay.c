// SPDX-License-Identifier: GPL-2.0-only
/*
 * replay: crash images from a dm-log-writes log (tests/crash/logreplay.c).
 *
 *   replay info LOG                  sector size, entries, flushes, writes
 *   replay dump LOG                  one line per entry
 *   replay find LOG SECTOR           indexes of the writes covering SECTOR
 *   replay points LOG [--from N] [--to N] [--drops N] [--torn] [--seed N]
 *                                    crash points of entries [from, to),
 *                                    one "KIND BASE UPTO SEED" line each
 *   replay apply LOG IMAGE KIND BASE UPTO SEED
 *                                    turn IMAGE (a copy of the disk as it
 *                                    was when logging began) into the
 *                                    crash state of that point
 * Exit 0 on success, 1 on a bad log or image, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/crash/logreplay.h"

static int usage(void)
{
	fprintf(stderr, "usage: replay info|dump LOG | find LOG SECTOR |\n"
		"       points LOG [--from N] [--to N] [--drops N] [--torn] [--seed N] |\n"
		"       apply LOG IMAGE KIND BASE UPTO SEED\n");
	return 2;
}

static int number(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return (errno || end == s || *end || *s == '-') ? -EINVAL : 0;
}

static int cmd_info(const struct lw_log *log)
{
	uint64_t i, flushes = 0, writes = 0, discards = 0, fua = 0;

	for (i = 0; i < log->nr; i++) {
		flushes += !!(log->e[i].flags & LW_FLUSH);
		fua += !!(log->e[i].flags & LW_FUA);
		if (lw_is_data(&log->e[i]))
			(log->e[i].flags & LW_DISCARD) ? discards++ : writes++;
	}
	printf("sectorsize %" PRIu32 "\nentries %" PRIu64 "\nflushes %" PRIu64
	       "\nwrites %" PRIu64 "\ndiscards %" PRIu64 "\nfua %" PRIu64
	       "\nunindexed_bytes %" PRIu64 "\n", log->sectorsize, log->nr, flushes,
	       writes, discards, fua, log->extra_bytes);
	return 0;
}

static int cmd_dump(const struct lw_log *log)
{
	uint64_t i;

	for (i = 0; i < log->nr; i++)
		printf("%" PRIu64 " sector %" PRIu64 " count %" PRIu64 " flags 0x%" PRIx64 "\n",
		       i, log->e[i].sector, log->e[i].nr_sectors, log->e[i].flags);
	return 0;
}

static int cmd_find(const struct lw_log *log, const char *arg)
{
	uint64_t sector, i;

	if (number(arg, &sector))
		return usage();
	for (i = 0; i < log->nr; i++) {
		const struct lw_entry *e = &log->e[i];

		if (lw_is_data(e) && e->sector <= sector && sector - e->sector < e->nr_sectors)
			printf("%" PRIu64 "\n", i);
	}
	return 0;
}

static int cmd_points(const struct lw_log *log, int argc, char **argv)
{
	struct lw_sample s = { .to = log->nr, .drops = 2 };
	struct lw_point *p;
	size_t count, i;
	uint64_t v;
	int a;

	for (a = 0; a < argc; a++) {
		if (!strcmp(argv[a], "--torn")) {
			s.torn = 1;
			continue;
		}
		if (a + 1 == argc || number(argv[a + 1], &v))
			return usage();
		if (!strcmp(argv[a], "--from"))
			s.from = v;
		else if (!strcmp(argv[a], "--to"))
			s.to = v;
		else if (!strcmp(argv[a], "--drops") && v < 64)
			s.drops = (unsigned int)v;
		else if (!strcmp(argv[a], "--seed") && v <= UINT32_MAX)
			s.seed = (uint32_t)v;
		else
			return usage();
		a++;
	}
	if (lw_points(log, &s, &p, &count)) {
		fprintf(stderr, "replay: bad range %" PRIu64 "..%" PRIu64 "\n", s.from, s.to);
		return 1;
	}
	for (i = 0; i < count; i++)
		printf("%s %" PRIu64 " %" PRIu64 " %" PRIu32 "\n", lw_kind_name(p[i].kind),
		       p[i].base, p[i].upto, p[i].seed);
	free(p);
	return 0;
}

static int cmd_apply(const struct lw_log *log, char **argv)
{
	struct lw_point p;
	uint64_t seed;
	int fd, err;

	if (lw_kind_parse(argv[1], &p.kind) || number(argv[2], &p.base) ||
	    number(argv[3], &p.upto) || number(argv[4], &seed) || seed > UINT32_MAX)
		return usage();
	p.seed = (uint32_t)seed;
	fd = open(argv[0], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "replay: %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	err = lw_apply(log, &p, fd);
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	if (err)
		fprintf(stderr, "replay: applying %s %s %s: %s\n", argv[1], argv[2], argv[3],
			strerror(-err));
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct lw_log log;
	int err, rc;

	if (argc < 3)
		return usage();
	err = lw_open(argv[2], &log);
	if (err) {
		fprintf(stderr, "replay: %s: %s\n", argv[2],
			err == -EBADMSG ? "not a valid write log" : strerror(-err));
		return 1;
	}
	if (!strcmp(argv[1], "info") && argc == 3)
		rc = cmd_info(&log);
	else if (!strcmp(argv[1], "dump") && argc == 3)
		rc = cmd_dump(&log);
	else if (!strcmp(argv[1], "find") && argc == 4)
		rc = cmd_find(&log, argv[3]);
	else if (!strcmp(argv[1], "points"))
		rc = cmd_points(&log, argc - 3, argv + 3);
	else if (!strcmp(argv[1], "apply") && argc == 8)
		rc = cmd_apply(&log, argv + 3);
	else
		rc = usage();
	lw_close(&log);
	return rc;
}
