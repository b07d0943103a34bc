// SPDX-License-Identifier: GPL-2.0-only
/*
 * Building a bundle (see bundle_create.h). The framing is bundle_format.c's,
 * the streaming and atomic writes bundle_io.c's, the signature cms_sign.c's,
 * the payload the shared ticket parser's.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "ticket.h"
#include "tpm/tpm.h"
#include "userspace/common/cleanup.h"
#include "userspace/common/fileio.h"
#include "userspace/common/log.h"
#include "userspace/lib/bundle_create.h"
#include "userspace/lib/bundle_format.h"
#include "userspace/lib/bundle_io.h"
#include "userspace/lib/cms_sign.h"
#include "userspace/lib/ssl_error.h"

static int copy_field(const char *opt, char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size) {
		fwg_log_error("%s: longer than %zu bytes", opt, size - 1);
		return -EINVAL;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

/* Everything but the digest, which the single streaming pass fills in. */
static int build_ticket(const struct bundle_create_request *req, uint64_t image_len,
			struct fwguard_ticket *t, struct uc_step *step)
{
	memset(t, 0, sizeof(*t));
	uc_step_enter(step, UC_SRC_USAGE, "build-ticket");
	if (copy_field("--device-class", t->device_class, sizeof(t->device_class),
		       req->device_class) ||
	    copy_field("--component", t->component, sizeof(t->component), req->component) ||
	    (req->serial && copy_field("--serial", t->serial, sizeof(t->serial), req->serial)))
		return -EINVAL;
	uc_step_enter(step, UC_SRC_FILE, "ticket-id");
	if (RAND_bytes(t->id, sizeof(t->id)) != 1) {
		ssl_log_error("no random ticket id");
		return -EIO;
	}
	t->image_len = image_len;
	t->security_version = req->security_version;
	t->not_before = req->not_before;
	t->not_after = req->not_after;
	t->flags = req->flags;
	return 0;
}

static int sign_ticket(const struct cms_signer *signer, const struct fwguard_ticket *t,
		       uint8_t **cms, size_t *cms_len)
{
	uint8_t payload[FWGUARD_TICKET_MAX_LEN];
	size_t payload_len;
	int err;

	err = fwguard_ticket_encode(t, payload, sizeof(payload), &payload_len);
	if (err) {
		fwg_log_error("cannot encode ticket: %s", fwguard_ticket_strerror(err));
		return -EINVAL;
	}
	return cms_sign_ticket(signer, payload, payload_len, cms, cms_len);
}

static int open_image(const char *path, int *fd_out, uint64_t *len_out)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int err;

	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		fwg_log_error("%s: %s", path, strerror(-err));
		return err;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		fwg_log_error("%s: not a non-empty regular file", path);
		return -EINVAL;
	}
	*fd_out = fd;
	fd = -1;
	*len_out = (uint64_t)st.st_size;
	return 0;
}

/* The real signature has the dry run's length, so the image did not move. */
static int sign_final(const struct cms_signer *signer, const struct fwguard_ticket *t,
		      size_t dry_len, uint8_t **cms, size_t *cms_len)
{
	int err = sign_ticket(signer, t, cms, cms_len);

	if (!err && *cms_len != dry_len) {
		fwg_log_error("ticket size changed while signing (%zu, then %zu)", dry_len,
			      *cms_len);
		err = -EAGAIN;
	}
	return err;
}

/*
 * Image at its final offset first (hashed while copied), then the ticket
 * that names its digest, then the header: all into the temporary file.
 */
static int write_bundle(const struct cms_signer *signer, struct fwguard_ticket *t,
			int image_fd, struct bundle_out *out, struct uc_step *step)
{
	uint8_t hdr[BUNDLE_HEADER_LEN], *cms = NULL;
	size_t cms_len, dry_len;
	int err;

	uc_step_enter(step, UC_SRC_INPUT, "sign-ticket");
	err = sign_ticket(signer, t, &cms, &dry_len);
	if (err)
		return err;
	OPENSSL_free(cms);
	cms = NULL;
	uc_step_enter(step, UC_SRC_FILE, "write-image");
	err = bundle_stream(image_fd, 0, t->image_len, out->fd, BUNDLE_HEADER_LEN + dry_len,
			    t->image_sha256);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_INPUT, "sign-ticket");
	err = sign_final(signer, t, dry_len, &cms, &cms_len);
	uc_step_enter(step, UC_SRC_FILE, "write-bundle");
	if (!err)
		err = bundle_header_encode((uint32_t)cms_len, t->image_len, hdr) ? -EINVAL : 0;
	if (!err)
		err = bundle_pwrite_all(out->fd, hdr, sizeof(hdr), 0);
	if (!err)
		err = bundle_pwrite_all(out->fd, cms, cms_len, BUNDLE_HEADER_LEN);
	OPENSSL_free(cms);
	return err;
}

static void signer_freep(struct cms_signer **signer)
{
	cms_signer_free(*signer);
}

/* The image's approval, signed now that its digest is known. */
static int approve(const struct bundle_create_request *req, const struct fwguard_ticket *t,
		   struct fwg_tpm_approval *a, struct uc_step *step)
{
	struct fwg_tpm_subject release;

	memset(&release, 0, sizeof(release));
	snprintf(release.component, sizeof(release.component), "%s", t->component);
	release.version = t->security_version;
	memcpy(release.digest, t->image_sha256, FWG_DIGEST_SIZE);
	uc_step_enter(step, UC_SRC_INPUT, "sign-approval");
	return fwg_approval_sign(req->policy_key, req->pcr, &release, a);
}

static int write_approval(const struct bundle_create_request *req,
			  const struct fwg_tpm_approval *a, struct uc_step *step)
{
	uint8_t buf[FWG_APPROVAL_FILE_SIZE];
	char path[PATH_MAX];
	int err;

	uc_step_enter(step, UC_SRC_FILE, "write-approval");
	if ((size_t)snprintf(path, sizeof(path), "%s.approval", req->output) >= sizeof(path))
		return -ENAMETOOLONG;
	fwg_approval_encode(a, buf);
	err = fwg_write_file_atomic(path, buf, sizeof(buf));
	if (err)
		fwg_log_error("cannot write %s: %s", path, strerror(-err));
	return err;
}

int bundle_create(const struct bundle_create_request *req, struct uc_step *step)
{
	struct fwg_tpm_approval approval;
	struct fwg_vendor_key policy_key;
	_cleanup_(signer_freep) struct cms_signer *signer = NULL;
	struct bundle_out out = { .fd = -1 };
	_cleanup_close_ int image_fd = -1;
	struct fwguard_ticket t;
	uint64_t image_len = 0;
	int err;

	uc_step_enter(step, UC_SRC_INPUT, "load-signer");
	err = cms_signer_load(req->key, req->cert, &signer);
	if (!err && req->policy_key)	/* refuse a wrong key before any work */
		err = fwg_vendor_key_read(req->policy_key, &policy_key);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_INPUT, "open-image");
	err = open_image(req->image, &image_fd, &image_len);
	if (!err)
		err = build_ticket(req, image_len, &t, step);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_FILE, "create-output");
	err = bundle_out_open(req->output, &out);
	if (!err)
		err = write_bundle(signer, &t, image_fd, &out, step);
	if (!err && req->policy_key)
		err = approve(req, &t, &approval, step);
	if (!err) {
		uc_step_enter(step, UC_SRC_FILE, "commit-output");
		err = bundle_out_commit(&out);
	} else {
		bundle_out_abort(&out);
	}
	if (!err && req->policy_key)
		err = write_approval(req, &approval, step);
	return err;
}
