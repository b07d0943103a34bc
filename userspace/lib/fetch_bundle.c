// SPDX-License-Identifier: GPL-2.0-only
/* One bundle from the update server, verified on arrival (see fetch_bundle.h). */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "userspace/common/fileio.h"
#include "userspace/common/log.h"
#include "userspace/lib/bundle_verify.h"
#include "userspace/lib/fetch.h"
#include "userspace/lib/fetch_bundle.h"

struct fetch_check {
	const char *url;
	const struct cms_trust *trust;
	struct ticket_policy policy;
	struct bundle_ticket bt;
	struct uc_step *step;
	bool verified;
};

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

static void fetch_options(const struct uc_config *cfg, bool progress, struct fetch_opts *opts)
{
	fetch_opts_default(opts);
	opts->connect_timeout_s = cfg->connect_timeout_s;
	opts->stall_timeout_s = cfg->stall_timeout_s;
	opts->total_timeout_s = cfg->fetch_timeout_s;
	opts->attempts = cfg->attempts;
	opts->progress = opts->progress && progress;
}

int uc_fetch_bundle(const struct uc_config *cfg, const char *source, const char *output,
		    bool progress, char *path, size_t path_size, struct fwguard_ticket *ticket,
		    struct uc_step *step)
{
	struct fetch_tls tls = { cfg->server_ca, cfg->client_cert, cfg->client_key };
	struct fetch_check check = { .step = step };
	struct cms_trust *trust = NULL;
	struct fetch_opts opts;
	char url[1024];
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "resolve-url");
	err = resolve_url(cfg, source, url, sizeof(url));
	if (err)
		return err;
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
	fetch_options(cfg, progress, &opts);
	uc_step_enter(step, UC_SRC_NETWORK, "download");
	err = fetch_to_file(url, path, &tls, &opts, fetch_bundle_limit, &check);
	if (err == -EBADMSG && check.verified)
		uc_step_enter(step, UC_SRC_VERIFY, "verify-image");	/* digest mismatch */
	if (!err && !check.verified) {
		uc_step_enter(step, UC_SRC_VERIFY, "verify-ticket");
		fwg_log_error("%s: the download ended before its ticket", url);
		err = -EBADMSG;
	}
	if (!err && ticket)
		*ticket = check.bt.ticket;
	bundle_ticket_release(&check.bt);
	cms_trust_free(trust);
	return err;
}
