// SPDX-License-Identifier: GPL-2.0-only
/*
 * Crash-safe file helpers (see fsutil.h). A file that updatectl publishes
 * either has its old content or its complete new content after a power
 * cut, never a torn mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "userspace/fsutil.h"

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
		fprintf(stderr, "cannot sync %s: %s\n", tmp, strerror(errno));
		return err;
	}
	if (rename(tmp, final) < 0) {
		err = -errno;
		fprintf(stderr, "cannot rename %s to %s: %s\n", tmp, final, strerror(errno));
		return err;
	}
	return fsync_parent_dir(final);
}
