// SPDX-License-Identifier: GPL-2.0-only
/*
 * SHA-256 for tpm/: of an image file (`updatectl tpm --file`), and of two
 * concatenated buffers (PCR extension and prediction).
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "tpm/tpm-internal.h"

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
