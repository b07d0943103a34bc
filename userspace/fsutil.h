/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small file helpers that keep updatectl's on-disk state crash-safe: full
 * writes, and publishing a finished temporary file under its final name
 * (fsync, rename, fsync of the directory).
 */
#ifndef FWGUARD_FSUTIL_H
#define FWGUARD_FSUTIL_H

#include <stddef.h>

/* Write all @len bytes, retrying short writes and EINTR. 0 or -errno. */
int write_all(int fd, const void *buf, size_t len);

/*
 * Make the finished file open at @fd durable and give it the name @final
 * (it was written under @tmp in the same directory). 0 or -errno.
 */
int commit_file(int fd, const char *tmp, const char *final);

/* fsync the directory holding @path. 0 or -errno. */
int fsync_parent_dir(const char *path);

#endif /* FWGUARD_FSUTIL_H */
