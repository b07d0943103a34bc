// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vendor's releases for `updatectl attest verify`: the set of image
 * digests a measured device may have booted. Each is a bundle or a bare
 * DER CMS ticket, verified with the same code install uses (signature
 * first, then the payload parser), so a release counts only if the
 * vendor signed it; a file that does not verify fails the whole set
 * rather than being skipped, so a mistake in the set is seen.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userspace/common/cleanup.h"
#include "userspace/common/fileio.h"
#include "userspace/common/log.h"
#include "userspace/lib/attest_verify.h"
#include "userspace/lib/bundle_verify.h"

static int ticket_from_cms(const char *file, const struct cms_trust *trust,
			   struct fwguard_ticket *t)
{
	_cleanup_free_ uint8_t *der = NULL;
	char name[PATH_MAX + sizeof("release ")];
	size_t der_len = 0;
	bool signature_ok;
	int err;

	err = fwg_read_file(file, BUNDLE_CMS_MAX, &der, &der_len);
	if (err) {
		fwg_log_error("release %s: %s", file, strerror(-err));
		return err;
	}
	snprintf(name, sizeof(name), "release %s", file);
	err = ticket_verify_cms(trust, der, der_len, name, t, &signature_ok);
	if (err && !signature_ok)
		fwg_log_error("release %s: not a vendor-signed ticket", file);
	return err;
}

static int ticket_from_bundle(int fd, uint64_t size, const char *file,
			      const struct cms_trust *trust, struct fwguard_ticket *t)
{
	struct bundle_ticket bt;
	int err;

	err = bundle_ticket_read(fd, size, file, trust, NULL, &bt);
	if (err == -EAGAIN) {
		fwg_log_error("release %s: bundle truncated", file);
		return -EBADMSG;
	}
	if (err)
		return err;
	*t = bt.ticket;
	bundle_ticket_release(&bt);
	return 0;
}

static int release_read(const char *file, const struct cms_trust *trust,
			struct fwguard_ticket *t)
{
	char magic[BUNDLE_MAGIC_LEN];
	struct stat st;
	int fd, err;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		fwg_log_error("release %s: %s", file, strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (st.st_size >= BUNDLE_MAGIC_LEN &&
	    pread(fd, magic, sizeof(magic), 0) == sizeof(magic) &&
	    !memcmp(magic, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN))
		err = ticket_from_bundle(fd, (uint64_t)st.st_size, file, trust, t);
	else
		err = ticket_from_cms(file, trust, t);
	close(fd);
	return err;
}

static int release_add(struct attest_releases *r, const char *file,
		       const struct cms_trust *trust)
{
	struct attest_release rel = { 0 }, *grown;
	int err;

	if (r->n == ATTEST_RELEASES_MAX) {
		fwg_log_error("releases: more than %d files", ATTEST_RELEASES_MAX);
		return -E2BIG;
	}
	err = release_read(file, trust, &rel.ticket);
	if (err)
		return err;
	rel.file = strdup(file);
	grown = realloc(r->v, (r->n + 1) * sizeof(*r->v));
	if (!rel.file || !grown) {
		free(rel.file);
		if (grown)
			r->v = grown;
		return -ENOMEM;
	}
	r->v = grown;
	r->v[r->n++] = rel;
	return 0;
}

static int releases_from_dir(const char *dir, const struct cms_trust *trust,
			     struct attest_releases *r)
{
	struct dirent **names = NULL;
	char file[4096];
	int n, i, err = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		err = -errno;
		fwg_log_error("releases %s: %s", dir, strerror(-err));
		return err;
	}
	for (i = 0; i < n; i++) {
		struct stat st;

		if (!err && names[i]->d_name[0] != '.' &&
		    (size_t)snprintf(file, sizeof(file), "%s/%s", dir,
				     names[i]->d_name) < sizeof(file) &&
		    !stat(file, &st) && S_ISREG(st.st_mode))
			err = release_add(r, file, trust);
		free(names[i]);
	}
	free(names);
	if (!err && !r->n) {
		fwg_log_error("releases %s: no release files", dir);
		err = -ENODATA;
	}
	return err;
}

int attest_releases_load(const char *path, const struct cms_trust *trust,
			 struct attest_releases *out)
{
	struct attest_releases r = { 0 };
	struct stat st;
	int err;

	if (stat(path, &st)) {
		err = -errno;
		fwg_log_error("releases %s: %s", path, strerror(-err));
		return err;
	}
	if (S_ISDIR(st.st_mode))
		err = releases_from_dir(path, trust, &r);
	else
		err = release_add(&r, path, trust);
	if (err) {
		attest_releases_free(&r);
		return err;
	}
	*out = r;
	return 0;
}

void attest_releases_free(struct attest_releases *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		free(r->v[i].file);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

const struct attest_release *attest_release_find(const struct attest_releases *r,
						 const uint8_t digest[FWG_DIGEST_SIZE])
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!memcmp(r->v[i].ticket.image_sha256, digest, FWG_DIGEST_SIZE))
			return &r->v[i];
	return NULL;
}
