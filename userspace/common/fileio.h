/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * File helpers that keep fwguard's on-disk state crash-safe, shared by
 * updatectl and tpm/: full writes, publishing a finished temporary file
 * under its final name (fsync, rename, fsync of the directory), bounded
 * reads, the line reader of the configuration files and mkdir -p. All
 * return 0 or -errno.
 */
#ifndef FWGUARD_COMMON_FILEIO_H
#define FWGUARD_COMMON_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Write all @len bytes, retrying short writes and EINTR. */
int write_all(int fd, const void *buf, size_t len);

/*
 * Make the finished file open at @fd durable and give it the name @final
 * (it was written under @tmp in the same directory).
 */
int commit_file(int fd, const char *tmp, const char *final);

/* fsync the directory holding @path. */
int fsync_parent_dir(const char *path);

/*
 * Replace @path with @len bytes of @buf so that after a power cut either
 * the old or the new content exists, never a torn mix. Logged on failure.
 */
int fwg_write_file_atomic(const char *path, const void *buf, size_t len);

/* Read at most @max bytes of @path into a malloc()ed *@buf; -EFBIG if longer. */
int fwg_read_file(const char *path, size_t max, uint8_t **buf, size_t *len);

/*
 * Call @fn on each line of the text file @path (NUL-terminated, with its
 * newline) and its number from 1, until @fn returns non-zero, which is
 * returned. A line of @max bytes or more is refused (-EINVAL). A file that
 * cannot be opened is -errno, logged; when @optional, a missing one is 0.
 */
int fwg_read_lines(const char *path, bool optional, size_t max,
		   int (*fn)(void *ctx, char *line, const char *path, unsigned int lineno),
		   void *ctx);

/* mkdir -p with @mode for every directory created. */
int fwg_mkdir_p(const char *path, unsigned int mode);

#endif /* FWGUARD_COMMON_FILEIO_H */
