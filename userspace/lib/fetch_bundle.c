// SPDX-License-Identifier: GPL-2.0-only
/*
 * One bundle from the update server, verified on arrival (see
 * fetch_bundle.h), and on a device with a vendor policy key its approval,
 * fetched first over the same connection and checked against the ticket
 * before the image is downloaded.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tpm/tpm.h"
#include "userspace/common/fileio.h"
#include "userspace/common/log.h"
#include "userspace/lib/bundle_verify.h"
#include "userspace/lib/fetch.h"
#include "userspace/lib/fetch_bundle.h"
#include "userspace/lib/tls_key.h"

struct fetch_check {
	const char *url;
	const struct cms_trust *trust;
	struct ticket_policy policy;
	struct bundle_ticket bt;
	struct uc_step *step;
	bool verified;
	/* Vendor mode: the release's approval, checked once the ticket is. */
	const struct fwg_vendor_key *vendor_key;
	struct fwg_tpm_approval approval;
	const char *approval_url;
};

/*
 * The approval must be the vendor's for the ticket's component, version
 * and image: refused here, the image is never downloaded, and install
 * would refuse it anyway.
 */
static int fetch_approval_check(const struct fetch_check *check)
{
	const struct fwguard_ticket *t = &check->bt.ticket;
	struct fwg_tpm_subject release;
	int err;

	memset(&release, 0, sizeof(release));
	snprintf(release.component, sizeof(release.component), "%s", t->component);
	release.version = t->security_version;
	memcpy(release.digest, t->image_sha256, FWG_DIGEST_SIZE);
	err = fwg_approval_check(check->vendor_key, &check->approval, &release);
	if (err)
		fwg_log_error("%s: %s is %s", check->url, check->approval_url, err == -ENOKEY ?
			      "signed by another key than the vendor policy key" :
			      "not the vendor's approval of this release");
	return err == -ENOKEY ? -ENOKEY : err ? -EKEYREJECTED : 0;
}

/* fetch_limit_fn: verify the ticket once its bytes are in. */
static int64_t fetch_bundle_limit(int fd, uint64_t received, struct fetch_digest *digest,
				  void *ctx)
{
	struct fetch_check *check = ctx;
	int err;

	if (check->verified) {
		/* The download started over: the ticket is read again. */
		bundle_ticket_release(&check->bt);
		check->verified = false;
	}
	err = bundle_ticket_read(fd, received, check->url, check->trust, &check->policy,
				 &check->bt);
	if (err == -EAGAIN)
		return 0;
	if (err) {
		uc_step_enter(check->step, UC_SRC_VERIFY, "verify-ticket");
		return err;
	}
	check->verified = true;
	if (check->vendor_key) {
		err = fetch_approval_check(check);
		if (err) {
			uc_step_enter(check->step, UC_SRC_VERIFY, "check-approval");
			return err;
		}
	}
	/* The image is hashed as it arrives and checked before the rename. */
	digest->set = true;
	digest->offset = bundle_image_offset(&check->bt.header);
	memcpy(digest->sha256, check->bt.ticket.image_sha256, sizeof(digest->sha256));
	return (int64_t)check->bt.total_len;
}

static int resolve_url(const struct uc_config *cfg, const char *source, char *url, size_t size)
{
	if (strstr(source, "://")) {
		snprintf(url, size, "%s", source);
		return 0;
	}
	if (!cfg->server_url[0]) {
		fwg_log_error("'%s' is not a URL and server_url is not configured", source);
		return -EINVAL;
	}
	if ((size_t)snprintf(url, size, "%s/%s", cfg->server_url, source) >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int resolve_output(const struct uc_config *cfg, const char *output, const char *url,
			  char *out, size_t size)
{
	char copy[1024];
	const char *base;
	int err;

	if (output) {
		snprintf(out, size, "%s", output);
		return 0;
	}
	snprintf(copy, sizeof(copy), "%s", url);
	base = basename(copy);
	if (!*base || !strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, "..")) {
		fwg_log_error("cannot name a file after %s; use --output", url);
		return -EINVAL;
	}
	err = fwg_mkdir_p(cfg->download_dir, 0700);
	if (err) {
		fwg_log_error("cannot create %s: %s", cfg->download_dir, strerror(-err));
		return err;
	}
	if ((size_t)snprintf(out, size, "%s/%s", cfg->download_dir, base) >= size)
		return -ENAMETOOLONG;
	return 0;
}

static void fetch_options(const struct uc_config *cfg, bool progress, struct fetch_tls *tls,
			  struct fetch_opts *opts)
{
	*tls = (struct fetch_tls){ cfg->server_ca, cfg->client_cert, cfg->client_key, NULL };
	fetch_opts_default(opts);
	opts->connect_timeout_s = cfg->connect_timeout_s;
	opts->stall_timeout_s = cfg->stall_timeout_s;
	opts->total_timeout_s = cfg->fetch_timeout_s;
	opts->attempts = cfg->attempts;
	opts->progress = opts->progress && progress;
}

int uc_fetch_open(const struct uc_config *cfg, bool progress, struct fetch_tls *tls,
		  struct fetch_opts *opts, struct tls_key **key, struct uc_step *step)
{
	int err;

	*key = NULL;
	fetch_options(cfg, progress, tls, opts);
	err = tls_key_load(cfg, tls, key, step);	/* a TPM-held client key */
	if (err)
		return err;
	err = fetch_conn_new(&opts->conn);
	if (err) {
		tls_key_free(*key);
		*key = NULL;
	}
	return err;
}

void uc_fetch_close(struct fetch_opts *opts, struct tls_key *key)
{
	fetch_conn_free(opts->conn);
	opts->conn = NULL;
	/* The provider's TPM connection closes here. */
	tls_key_free(key);
}

/*
 * Vendor mode: URL.approval, fetched before the bundle so that a release
 * the vendor never approved costs no image download and changes nothing.
 */
static int fetch_approval(const struct uc_config *cfg, const struct fetch_tls *tls,
			  const struct fetch_opts *opts, struct fetch_check *check,
			  uint8_t buf[FWG_APPROVAL_FILE_SIZE], struct uc_step *step)
{
	size_t len = 0;
	int err;

	uc_step_enter(step, UC_SRC_NETWORK, "fetch-approval");
	err = fetch_to_memory(check->approval_url, tls, opts, buf, FWG_APPROVAL_FILE_SIZE, &len);
	if (err == -ENOENT) {
		uc_step_enter(step, UC_SRC_VERIFY, "check-approval");
		fwg_log_error("%s: this device installs only vendor-approved releases, and "
			      "the server has no approval for it (%s: HTTP 404)", check->url,
			      check->approval_url);
		return -ENOKEY;
	}
	if (err && err != -EFBIG)
		return err;
	uc_step_enter(step, UC_SRC_VERIFY, "check-approval");
	if (err)
		return -ENOKEY;	/* logged: longer than an approval file */
	if (fwg_approval_decode(buf, len, &check->approval)) {
		fwg_log_error("%s: %s is not an approval file", check->url, check->approval_url);
		return -ENOKEY;
	}
	if (check->approval.pcr != cfg->pcr) {
		fwg_log_error("%s: %s approves PCR %u, this device measures into PCR %u",
			      check->url, check->approval_url, check->approval.pcr, cfg->pcr);
		return -EKEYREJECTED;
	}
	return 0;
}

/* Beside the bundle, as `bundle create --policy-key` wrote it; the pair or nothing. */
static int write_approval(const char *path, const struct fwg_tpm_approval *a,
			  struct uc_step *step)
{
	uint8_t buf[FWG_APPROVAL_FILE_SIZE];
	size_t len = fwg_approval_encode(a, buf);	/* as fetched: format 1 or 2 */
	char approval[PATH_MAX];
	int err;

	uc_step_enter(step, UC_SRC_FILE, "write-approval");
	if ((size_t)snprintf(approval, sizeof(approval), "%s.approval", path) >= sizeof(approval))
		err = -ENAMETOOLONG;
	else
		err = fwg_write_file_atomic(approval, buf, len);
	if (err)
		unlink(path);	/* a bundle without its approval would only be refused */
	return err;
}

static int fetch_download(const struct uc_config *cfg, const char *path, bool progress,
			  struct fetch_check *check, struct uc_step *step)
{
	uint8_t approval[FWG_APPROVAL_FILE_SIZE];
	struct tls_key *key;
	char approval_url[1024 + 16];
	struct fetch_opts opts;
	struct fetch_tls tls;
	int err;

	err = uc_fetch_open(cfg, progress, &tls, &opts, &key, step);
	if (err)
		return err;
	if (check->vendor_key) {
		snprintf(approval_url, sizeof(approval_url), "%s.approval", check->url);
		check->approval_url = approval_url;
		err = fetch_approval(cfg, &tls, &opts, check, approval, step);
	}
	if (!err) {
		uc_step_enter(step, UC_SRC_NETWORK, "download");
		err = fetch_to_file(check->url, path, &tls, &opts, fetch_bundle_limit, check);
	}
	if (err == -EBADMSG && check->verified)
		uc_step_enter(step, UC_SRC_VERIFY, "verify-image");	/* digest mismatch */
	if (!err && !check->verified) {
		uc_step_enter(step, UC_SRC_VERIFY, "verify-ticket");
		fwg_log_error("%s: the download ended before its ticket", check->url);
		err = -EBADMSG;
	}
	if (!err && check->vendor_key)
		err = write_approval(path, &check->approval, step);
	uc_fetch_close(&opts, key);
	return err;
}

int uc_fetch_bundle(const struct uc_config *cfg, const char *source, const char *output,
		    bool progress, char *path, size_t path_size, struct fwguard_ticket *ticket,
		    struct uc_step *step)
{
	struct fetch_check check = { .step = step };
	struct cms_trust *trust = NULL;
	struct fwg_vendor_key vendor_key;
	char url[1024];
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "resolve-url");
	err = resolve_url(cfg, source, url, sizeof(url));
	if (err)
		return err;
	if (cfg->policy_key[0]) {
		uc_step_enter(step, UC_SRC_USAGE, "read-policy-key");
		err = fwg_vendor_key_read(cfg->policy_key, &vendor_key);	/* logs */
		if (err)
			return err;
		check.vendor_key = &vendor_key;
	}
	uc_step_enter(step, UC_SRC_FILE, "download-dir");
	err = resolve_output(cfg, output, url, path, path_size);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_VERIFY, "load-trust");
	err = cms_trust_load(cfg->trust, &trust);
	if (err)
		return err;
	check.url = url;
	check.trust = trust;
	check.policy.device_class = cfg->device_class;
	check.policy.serial = cfg->serial[0] ? cfg->serial : NULL;
	check.policy.now = (uint64_t)time(NULL);
	err = fetch_download(cfg, path, progress, &check, step);
	if (!err && ticket)
		*ticket = check.bt.ticket;
	bundle_ticket_release(&check.bt);
	cms_trust_free(trust);
	return err;
}
