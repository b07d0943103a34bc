// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl fetch: download a bundle from the update server over mutual
 * TLS. The ticket at the front of the bundle is verified as soon as it has
 * arrived; from then on the download is bounded by the length the ticket
 * names, so a hostile server can neither fill the disk nor slip a longer
 * image in. The bundle appears under its final name only when complete.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "userspace/common/fileio.h"
#include "userspace/common/hex.h"
#include "userspace/cli/args.h"
#include "userspace/lib/bundle_verify.h"
#include "userspace/lib/config.h"
#include "userspace/lib/fetch.h"
#include "userspace/lib/runtime.h"
#include "userspace/cli/updatectl.h"

struct fetch_check {
	const char *url;
	const struct cms_trust *trust;
	struct ticket_policy policy;
	struct bundle_ticket bt;
	bool verified;
};

static void fetch_usage(FILE *out)
{
	fprintf(out,
		"usage: updatectl fetch [--config FILE] [--output FILE] [--json] [--quiet] URL|NAME\n"
		"  Download a bundle over HTTPS with mutual TLS. NAME is resolved against\n"
		"  server_url from the configuration. The ticket is verified before the\n"
		"  image is downloaded; the bundle is written to download_dir unless\n"
		"  --output is given.\n");
}

/* fetch_limit_fn: verify the ticket once its bytes are in. */
static int64_t fetch_bundle_limit(int fd, uint64_t received, void *ctx)
{
	struct fetch_check *check = ctx;
	int err;

	err = bundle_ticket_read(fd, received, check->url, check->trust, &check->policy,
				 &check->bt);
	if (err == -EAGAIN)
		return 0;
	if (err)
		return err == -EFBIG ? -EBADMSG : err;
	check->verified = true;
	return (int64_t)check->bt.total_len;
}

static int resolve_url(const struct uc_config *cfg, const char *source, char *url, size_t size)
{
	if (strstr(source, "://")) {
		snprintf(url, size, "%s", source);
		return 0;
	}
	if (!cfg->server_url[0]) {
		fprintf(stderr, "updatectl: '%s' is not a URL and server_url is not configured\n",
			source);
		return -EINVAL;
	}
	if ((size_t)snprintf(url, size, "%s/%s", cfg->server_url, source) >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int resolve_output(const struct uc_config *cfg, const struct uc_args *a,
			  const char *url, char *out, size_t size)
{
	char copy[1024];
	const char *base;

	if (a->output) {
		snprintf(out, size, "%s", a->output);
		return 0;
	}
	snprintf(copy, sizeof(copy), "%s", url);
	base = basename(copy);
	if (!*base || !strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, "..")) {
		fprintf(stderr, "updatectl: cannot name a file after %s; use --output\n", url);
		return -EINVAL;
	}
	if (fwg_mkdir_p(cfg->download_dir, 0700))
		return -EIO;
	if ((size_t)snprintf(out, size, "%s/%s", cfg->download_dir, base) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int fetch_exit_code(int err)
{
	switch (err) {
	case 0:
		return UC_EXIT_OK;
	case -EINVAL:
	case -ENAMETOOLONG:
		return UC_EXIT_USAGE;
	case -EBUSY:
		return UC_EXIT_BUSY;
	case -EPROTO:
	case -ECONNREFUSED:
	case -ETIMEDOUT:
	case -EIO:
	case -ENOENT:
	case -ENOSPC:
		return UC_EXIT_IO;
	default:
		return UC_EXIT_VERIFY;	/* ticket, signature or policy refused */
	}
}

static void print_result(const struct uc_args *a, const char *path,
			 const struct fwguard_ticket *t)
{
	if (a->json)
		printf("{\"path\":\"%s\",\"component\":\"%s\",\"security_version\":%" PRIu64
		       ",\"image_length\":%" PRIu64 "}\n",
		       path, t->component, t->security_version, t->image_len);
	else if (!a->quiet)
		printf("fetched %s: %s version %" PRIu64 ", %" PRIu64 " bytes\n", path,
		       t->component, t->security_version, t->image_len);
}

int uc_fetch_bundle(const struct uc_config *cfg, const char *source, const char *output,
		    bool quiet, char *path, unsigned long path_size, struct fwguard_ticket *ticket)
{
	struct fetch_check check = { 0 };
	struct fetch_tls tls = { cfg->server_ca, cfg->client_cert, cfg->client_key };
	struct uc_args a = { .output = output };
	struct cms_trust *trust = NULL;
	struct fetch_opts opts;
	char url[1024];
	int err;

	err = resolve_url(cfg, source, url, sizeof(url));
	if (!err)
		err = resolve_output(cfg, &a, url, path, path_size);
	if (!err)
		err = cms_trust_load(cfg->trust, &trust);
	if (err)
		return err;
	check.url = url;
	check.trust = trust;
	check.policy.device_class = cfg->device_class;
	check.policy.serial = cfg->serial[0] ? cfg->serial : NULL;
	check.policy.now = (uint64_t)time(NULL);
	fetch_opts_default(&opts);
	opts.connect_timeout_s = cfg->connect_timeout_s;
	opts.stall_timeout_s = cfg->stall_timeout_s;
	opts.attempts = cfg->attempts;
	opts.progress = opts.progress && !quiet;

	err = fetch_to_file(url, path, &tls, &opts, fetch_bundle_limit, &check);
	if (!err && !check.verified)
		err = -EBADMSG;
	if (!err && ticket)
		*ticket = check.bt.ticket;
	bundle_ticket_release(&check.bt);
	cms_trust_free(trust);
	return err;
}

static int do_fetch(const struct uc_config *cfg, const struct uc_args *a)
{
	struct fwguard_ticket t;
	char dest[PATH_MAX];
	int err;

	err = uc_fetch_bundle(cfg, a->source, a->output, a->quiet || a->json, dest,
			      sizeof(dest), &t);
	if (!err)
		print_result(a, dest, &t);
	return err;
}

int cmd_fetch(int argc, char **argv)
{
	struct uc_args args = { 0 };
	struct uc_config cfg;
	int err, lock;

	if (uc_parse_args(argc, argv, true, fetch_usage, &args))
		return UC_EXIT_USAGE;
	err = uc_config_read(&cfg, args.config);
	if (err)
		return UC_EXIT_USAGE;
	if (!cfg.device_class[0]) {
		fprintf(stderr, "updatectl: device_class is not configured in %s\n", args.config);
		return UC_EXIT_USAGE;
	}
	lock = uc_lock();
	if (lock < 0)
		return uc_lock_exit_code(lock);
	err = do_fetch(&cfg, &args);
	close(lock);
	return fetch_exit_code(err);
}
