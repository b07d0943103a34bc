// SPDX-License-Identifier: GPL-2.0-only
/*
 * File helpers for the TPM state directory: crash-safe replacement of a
 * file (temp file, fsync, rename, fsync of the directory, so that after a
 * power cut either the old or the new sealed blob exists, never a torn one),
 * bounded reads, SHA-256 of an image file, and hex digests.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "tpm/tpm-internal.h"
#include "userspace/fsutil.h"

int fwg_write_file_atomic(const char *path, const void *buf, size_t len)
{
	char tmp[PATH_MAX];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fwg_tpm_log("cannot create temporary file for %s: %s", path,
			    strerror(-err));
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
		fwg_tpm_log("cannot write %s: %s", path, strerror(-err));
		return err;
	}
	err = fsync_parent_dir(path);
	if (err)
		fwg_tpm_log("cannot sync directory of %s: %s", path, strerror(-err));
	return err;
}

int fwg_read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	uint8_t *data;
	size_t used = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* One byte more than allowed tells "too big" from "exactly max". */
	data = malloc(max + 1);
	if (!data) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, data + used, max + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			err = -EFBIG;
			break;
		}
	}
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

int fwg_sha256_file(const char *path, uint8_t digest[FWG_DIGEST_SIZE])
{
	uint8_t chunk[65536], out[EVP_MAX_MD_SIZE];
	unsigned int outlen = 0;
	EVP_MD_CTX *md;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		if (!EVP_DigestUpdate(md, chunk, (size_t)n)) {
			err = -EIO;
			goto out;
		}
	}
	if (!EVP_DigestFinal_ex(md, out, &outlen) || outlen != FWG_DIGEST_SIZE) {
		err = -EIO;
		goto out;
	}
	memcpy(digest, out, FWG_DIGEST_SIZE);
out:
	EVP_MD_CTX_free(md);
	close(fd);
	return err;
}

/* SHA-256 of a || b; out may alias either input. */
int fwg_sha256(const void *a, size_t alen, const void *b, size_t blen,
	       uint8_t out[FWG_DIGEST_SIZE])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int outlen = 0;
	int err = 0;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, a, alen) ||
	    (blen && !EVP_DigestUpdate(md, b, blen)) ||
	    !EVP_DigestFinal_ex(md, out, &outlen) || outlen != FWG_DIGEST_SIZE) {
		fwg_tpm_log("SHA-256 computation failed (out of memory?)");
		err = -ENOMEM;
	}
	EVP_MD_CTX_free(md);
	return err;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int fwg_hex_decode_digest(const char *hex, uint8_t digest[FWG_DIGEST_SIZE])
{
	uint8_t out[FWG_DIGEST_SIZE];
	size_t i;

	if (strlen(hex) != 2 * FWG_DIGEST_SIZE)
		return -EINVAL;
	for (i = 0; i < FWG_DIGEST_SIZE; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(digest, out, sizeof(out));
	return 0;
}

void fwg_hex_encode(const uint8_t *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0xf];
	}
	out[2 * len] = '\0';
}
