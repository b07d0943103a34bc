// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bundle I/O: bounded-memory streaming of images through SHA-256 (optionally
 * copying them at the same time, so the bytes written are exactly the bytes
 * hashed), exact positional reads and writes, and the temporary-file,
 * fsync, rename, fsync-directory sequence that keeps a half-written bundle
 * from ever carrying the final name. Each failure is logged here, once,
 * with the system's reason.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "userspace/common/log.h"
#include "userspace/lib/bundle_io.h"
#include "userspace/lib/ssl_error.h"

int bundle_pread_exact(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fwg_log_error("read failed: %s", strerror(errno));
			return -EIO;
		}
		if (n == 0) {
			fwg_log_error("file is shorter than expected");
			return -ENODATA;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int bundle_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fwg_log_error("write failed: %s",
				n < 0 ? strerror(errno) : "no progress");
			return -EIO;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int stream_chunks(EVP_MD_CTX *md, uint8_t *buf, int in_fd, uint64_t in_off,
			 uint64_t len, int out_fd, uint64_t out_off)
{
	uint64_t done = 0;
	size_t n;
	int err;

	while (done < len) {
		n = len - done < BUNDLE_IO_CHUNK ? (size_t)(len - done) : BUNDLE_IO_CHUNK;
		err = bundle_pread_exact(in_fd, buf, n, in_off + done);
		if (err)
			return err;
		/*
		 * Start reading the next chunk while this one is hashed: a
		 * chunk is larger than the readahead window, so without this
		 * every read from a cold partition waits, and reading and
		 * hashing take turns instead of overlapping.
		 */
		if (done + n < len)
			posix_fadvise(in_fd, (off_t)(in_off + done + n), BUNDLE_IO_CHUNK,
				      POSIX_FADV_WILLNEED);
		if (!EVP_DigestUpdate(md, buf, n)) {
			ssl_log_error("SHA-256 failed");
			return -EIO;
		}
		if (out_fd >= 0) {
			err = bundle_pwrite_all(out_fd, buf, n, out_off + done);
			if (err)
				return err;
		}
		done += n;
	}
	return 0;
}

/**
 * bundle_stream() - hash @len bytes of @in_fd from @in_off, copying them to
 * @out_fd at @out_off unless @out_fd is negative
 * Return: 0 and @digest set, -ENOMEM, -EIO, -ENODATA (input ended early).
 */
int bundle_stream(int in_fd, uint64_t in_off, uint64_t len, int out_fd, uint64_t out_off,
		  uint8_t digest[FWGUARD_SHA256_LEN])
{
	uint8_t md_out[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *buf = malloc(BUNDLE_IO_CHUNK);
	unsigned int md_len = 0;
	int err = -ENOMEM;

	if (!md || !buf)
		goto out;
	/* The kernel's readahead does better when it knows we go straight through. */
	posix_fadvise(in_fd, (off_t)in_off, (off_t)len, POSIX_FADV_SEQUENTIAL);
	if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		ssl_log_error("SHA-256 unavailable");
		err = -EIO;
		goto out;
	}
	err = stream_chunks(md, buf, in_fd, in_off, len, out_fd, out_off);
	if (!err && (!EVP_DigestFinal_ex(md, md_out, &md_len) || md_len != FWGUARD_SHA256_LEN)) {
		ssl_log_error("SHA-256 failed");
		err = -EIO;
	}
	if (!err)
		memcpy(digest, md_out, FWGUARD_SHA256_LEN);
out:
	free(buf);
	EVP_MD_CTX_free(md);
	return err;
}

/**
 * bundle_out_open() - create "DIR/.NAME.XXXXXX" next to @final_path
 * Return: 0, -ENOMEM, or -EIO (logged).
 */
int bundle_out_open(const char *final_path, struct bundle_out *out)
{
	char *dir_copy = strdup(final_path), *base_copy = strdup(final_path);
	char *tmp = NULL;
	int fd = -1, err = -ENOMEM;

	if (!dir_copy || !base_copy ||
	    asprintf(&tmp, "%s/.%s.XXXXXX", dirname(dir_copy), basename(base_copy)) < 0) {
		tmp = NULL;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		fwg_log_error("cannot create %s: %s", tmp, strerror(errno));
		err = -EIO;
		goto out;
	}
	out->fd = fd;
	out->tmp_path = tmp;
	out->final_path = final_path;
	tmp = NULL;
	err = 0;
out:
	free(tmp);
	free(dir_copy);
	free(base_copy);
	return err;
}

void bundle_out_abort(struct bundle_out *out)
{
	if (!out || !out->tmp_path)
		return;
	if (out->fd >= 0)
		close(out->fd);
	unlink(out->tmp_path);
	free(out->tmp_path);
	out->tmp_path = NULL;
	out->fd = -1;
}

/* Makes the rename itself durable, not only the file's contents. */
static int fsync_parent(const char *path)
{
	char *copy = strdup(path);
	int fd, err = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd)) {
		fwg_log_error("cannot sync directory of %s: %s", path,
			strerror(errno));
		err = -EIO;
	}
	if (fd >= 0)
		close(fd);
	free(copy);
	return err;
}

/**
 * bundle_out_commit() - make the file durable and give it its final name
 * Return: 0 or -EIO; on failure the temporary file is removed.
 */
int bundle_out_commit(struct bundle_out *out)
{
	int err;

	if (fchmod(out->fd, 0644) || fsync(out->fd)) {
		fwg_log_error("cannot write %s: %s", out->tmp_path, strerror(errno));
		bundle_out_abort(out);
		return -EIO;
	}
	if (close(out->fd)) {
		out->fd = -1;
		fwg_log_error("cannot write %s: %s", out->tmp_path, strerror(errno));
		bundle_out_abort(out);
		return -EIO;
	}
	out->fd = -1;
	if (rename(out->tmp_path, out->final_path)) {
		fwg_log_error("cannot rename to %s: %s", out->final_path,
			strerror(errno));
		bundle_out_abort(out);
		return -EIO;
	}
	free(out->tmp_path);
	out->tmp_path = NULL;
	err = fsync_parent(out->final_path);
	return err;
}
