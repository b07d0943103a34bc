// SPDX-License-Identifier: GPL-2.0-only
/*
 * Crash-safe file helpers (see fileio.h). A file that updatectl or tpm/
 * publishes either has its old content or its complete new content after
 * a power cut, never a torn mix.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userspace/common/cleanup.h"
#include "userspace/common/fileio.h"
#include "userspace/common/log.h"

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fsync_parent_dir(const char *path)
{
	char copy[PATH_MAX];
	int dirfd, err = 0;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;
	dirfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	if (fsync(dirfd) < 0)
		err = -errno;
	close(dirfd);
	return err;
}

int commit_file(int fd, const char *tmp, const char *final)
{
	int err;

	if (fsync(fd) < 0) {
		err = -errno;
		fwg_log_error("cannot sync %s: %s", tmp, strerror(errno));
		return err;
	}
	if (rename(tmp, final) < 0) {
		err = -errno;
		fwg_log_error("cannot rename %s to %s: %s", tmp, final, strerror(errno));
		return err;
	}
	return fsync_parent_dir(final);
}

int fwg_write_file_atomic(const char *path, const void *buf, size_t len)
{
	char tmp[PATH_MAX];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fwg_log_error("cannot create temporary file for %s: %s", path, strerror(-err));
		return err;
	}
	err = write_all(fd, buf, len);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		fwg_log_error("cannot write %s: %s", path, strerror(-err));
		return err;
	}
	err = fsync_parent_dir(path);
	if (err)
		fwg_log_error("cannot sync directory of %s: %s", path, strerror(-err));
	return err;
}

static int read_bounded(int fd, uint8_t *data, size_t max, size_t *used)
{
	for (;;) {
		ssize_t n = read(fd, data + *used, max + 1 - *used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		*used += (size_t)n;
		if (*used > max)
			return -EFBIG;
	}
}

int fwg_read_lines(const char *path, bool optional, size_t max,
		   int (*fn)(void *ctx, char *line, const char *path, unsigned int lineno),
		   void *ctx)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	unsigned int lineno = 0;
	int err = 0;

	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		if (err == -ENOENT && optional)
			return 0;
		fwg_log_error("cannot read %s: %s", path, strerror(-err));
		return err;
	}
	line = malloc(max);
	if (!line)
		return -ENOMEM;
	while (!err && fgets(line, (int)max, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fwg_log_error("%s:%u: line too long", path, lineno);
			return -EINVAL;
		}
		err = fn(ctx, line, path, lineno);
	}
	return err;
}

int fwg_read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	uint8_t *data;
	size_t used = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* One byte more than allowed tells "too big" from "exactly max". */
	data = malloc(max + 1);
	if (!data) {
		close(fd);
		return -ENOMEM;
	}
	err = read_bounded(fd, data, max, &used);
	close(fd);
	if (err) {
		free(data);
		return err;
	}
	*buf = data;
	*len = used;
	return 0;
}

int fwg_mkdir_p(const char *path, unsigned int mode)
{
	char buf[PATH_MAX];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}
