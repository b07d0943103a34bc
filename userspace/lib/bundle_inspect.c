// SPDX-License-Identifier: GPL-2.0-only
/* Reading a bundle back (see bundle_inspect.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userspace/common/cleanup.h"
#include "userspace/common/log.h"
#include "userspace/lib/bundle_inspect.h"
#include "userspace/lib/bundle_io.h"
#include "userspace/lib/bundle_verify.h"
#include "userspace/lib/cms_verify.h"

static int bundle_refused(const char *path, int bundle_err)
{
	fwg_log_error("%s: %s", path, bundle_strerror(bundle_err));
	return -EBADMSG;
}

static int read_header(int fd, const char *path, struct bundle_header *hdr)
{
	uint8_t buf[BUNDLE_HEADER_LEN];
	struct stat st;
	size_t n;
	int err;

	if (fstat(fd, &st)) {
		err = -errno;
		fwg_log_error("%s: %s", path, strerror(-err));
		return err;
	}
	n = (uint64_t)st.st_size < sizeof(buf) ? (size_t)st.st_size : sizeof(buf);
	err = bundle_pread_exact(fd, buf, n, 0);
	if (err)
		return err;
	err = bundle_header_parse(buf, n, hdr);
	if (!err)
		err = bundle_check_file_size(hdr, (uint64_t)st.st_size);
	return err ? bundle_refused(path, err) : 0;
}

/* Verified content when a trust store is given, raw content for display otherwise. */
static int read_ticket(int fd, const char *path, const char *trust_path,
		       const struct bundle_header *hdr, struct fwguard_ticket *t)
{
	uint8_t payload[FWGUARD_TICKET_MAX_LEN];
	_cleanup_free_ uint8_t *cms = malloc(hdr->cms_len);
	struct cms_trust *trust = NULL;
	size_t payload_len = 0;
	int err;

	if (!cms)
		return -ENOMEM;
	err = bundle_pread_exact(fd, cms, hdr->cms_len, hdr->header_len);
	if (err)
		return err;
	if (!trust_path) {
		err = cms_ticket_content_unverified(cms, hdr->cms_len, payload, sizeof(payload),
						    &payload_len);
		return err ? err : ticket_payload_parse(payload, payload_len, path, t);
	}
	err = cms_trust_load(trust_path, &trust);
	if (!err)
		err = ticket_verify_cms(trust, cms, hdr->cms_len, path, t, NULL);
	cms_trust_free(trust);
	return err;
}

static int check_image(int fd, const char *path, const struct bundle_header *hdr,
		       const struct fwguard_ticket *t)
{
	uint8_t digest[FWGUARD_SHA256_LEN];
	int err = bundle_check_ticket(hdr, t);

	if (err)
		return bundle_refused(path, err);
	err = bundle_stream(fd, bundle_image_offset(hdr), hdr->image_len, -1, 0, digest);
	if (err)
		return err;
	if (memcmp(digest, t->image_sha256, sizeof(digest))) {
		fwg_log_error("%s: image SHA-256 does not match the ticket", path);
		return -EBADMSG;
	}
	return 0;
}

int bundle_inspect(const char *path, const char *trust, struct bundle_inspect_result *r,
		   struct uc_step *step)
{
	_cleanup_close_ int fd = -1;
	int err;

	uc_step_enter(step, UC_SRC_INPUT, "open-bundle");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fwg_log_error("%s: %s", path, strerror(-err));
		return err;
	}
	uc_step_enter(step, UC_SRC_VERIFY, "read-header");
	err = read_header(fd, path, &r->hdr);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_VERIFY, "verify-ticket");
	err = read_ticket(fd, path, trust, &r->hdr, &r->ticket);
	if (!err && trust) {
		uc_step_enter(step, UC_SRC_VERIFY, "hash-image");
		err = check_image(fd, path, &r->hdr, &r->ticket);
	}
	r->verified = !err && trust;
	return err;
}
