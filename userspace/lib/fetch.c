// SPDX-License-Identifier: GPL-2.0-only
/*
 * HTTPS download with mutual TLS, a pinned CA, Range resume and a hard
 * bound on the bytes accepted. The bound comes from the caller once enough
 * of the file has arrived to verify it (see fetch.h); until then the
 * caller's limit function is asked after every chunk. The partial file
 * lives next to the destination under a ".part" suffix and is renamed into
 * place only when it has exactly the allowed length, so a partial download
 * is never taken for a complete one.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userspace/common/log.h"
#include "userspace/lib/fetch.h"
#include "userspace/common/fileio.h"
#include "userspace/lib/progress.h"

struct transfer {
	int fd;
	uint64_t received;
	int64_t allowed;	/* 0 until the limit function knows */
	int err;		/* negative errno that stopped the transfer */
	bool refused;		/* the content itself was refused: do not resume */
	fetch_limit_fn limit;
	void *ctx;
	bool progress;
	struct progress bar;
};

void fetch_opts_default(struct fetch_opts *opts)
{
	opts->connect_timeout_s = 20;
	opts->stall_timeout_s = 30;
	opts->attempts = 4;
	opts->progress = isatty(STDERR_FILENO);
}

/* Ask the caller how long the file may be, once, as bytes arrive. */
static int transfer_update_limit(struct transfer *t)
{
	int64_t allowed;

	if (t->allowed > 0 || !t->limit)
		return 0;
	allowed = t->limit(t->fd, t->received, t->ctx);
	if (allowed < 0)
		return (int)allowed;
	t->allowed = allowed;
	if (allowed > 0 && t->received > (uint64_t)allowed)
		return -EFBIG;
	return 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * nmemb;
	int err;

	if (t->allowed > 0 && t->received + len > (uint64_t)t->allowed) {
		t->err = -EFBIG;
		t->refused = true;
		return 0;	/* libcurl stops with CURLE_WRITE_ERROR */
	}
	err = write_all(t->fd, ptr, len);
	if (err) {
		t->err = err;
		return 0;
	}
	t->received += len;
	err = transfer_update_limit(t);
	if (err) {
		t->err = err;
		t->refused = true;
		return 0;
	}
	return len;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct transfer *t = userdata;

	(void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
	if (t->progress && t->allowed > 0)
		progress_draw(&t->bar, t->received, (uint64_t)t->allowed);
	return 0;
}

/* Map a libcurl failure to an errno, and say whether a retry may help. */
static int curl_errno(CURLcode rc, long http, bool *transient)
{
	*transient = false;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		*transient = true;
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		*transient = true;
		return -ETIMEDOUT;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		*transient = true;
		return -EIO;
	case CURLE_HTTP_RETURNED_ERROR:
		if (http == 404)
			return -ENOENT;
		*transient = http >= 500;
		return -EPROTO;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return -EINVAL;
	default:
		return -EPROTO;	/* TLS handshake, peer verification, ... */
	}
}

static CURL *transfer_handle(const char *url, const struct fetch_tls *tls,
			     const struct fetch_opts *opts, struct transfer *t,
			     char *errbuf)
{
	CURL *curl = curl_easy_init();

	if (!curl)
		return NULL;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	/* Trust exactly the pinned CA, never the system store. */
	curl_easy_setopt(curl, CURLOPT_CAINFO, tls->ca_file);
	curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(curl, CURLOPT_SSLCERT, tls->client_cert);
	curl_easy_setopt(curl, CURLOPT_SSLKEY, tls->client_key);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, opts->connect_timeout_s);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, opts->stall_timeout_s);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, opts->progress ? 0L : 1L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, t);
	curl_easy_setopt(curl, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)t->received);
	return curl;
}

/* One HTTP request, resuming at t->received. */
static int transfer_once(const char *url, const struct fetch_tls *tls,
			 const struct fetch_opts *opts, struct transfer *t,
			 bool *transient)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	long http = 0;
	CURLcode rc;
	CURL *curl;
	int err;

	*transient = false;
	curl = transfer_handle(url, tls, opts, t, errbuf);
	if (!curl)
		return -ENOMEM;
	t->err = 0;
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_cleanup(curl);
	if (t->bar.drawn && (t->allowed <= 0 || t->received < (uint64_t)t->allowed))
		fputc('\n', stderr);	/* an unfinished bar: end its line */
	if (rc == CURLE_WRITE_ERROR && t->err) {
		if (t->err == -EFBIG)
			fwg_log_error("fetch: %s: server sent more than the %lld bytes the ticket allows",
				url, (long long)t->allowed);
		return t->err;	/* the limit function logged its own reason */
	}
	if (rc == CURLE_RANGE_ERROR) {
		/* The server ignored the Range: start over, once more. */
		*transient = true;
		return -EAGAIN;
	}
	if (rc == CURLE_HTTP_RETURNED_ERROR && (http == 400 || http == 495 || http == 496)) {
		/* What nginx and others answer when mutual TLS fails. */
		fwg_log_error("fetch: %s: server refused the device's client certificate (HTTP %ld)",
			url, http);
		return -EPROTO;
	}
	if (rc != CURLE_OK) {
		err = curl_errno(rc, http, transient);
		fwg_log_error("fetch: %s: %s%s", url,
			errbuf[0] ? errbuf : curl_easy_strerror(rc),
			*transient ? " (will retry)" : "");
		return err;
	}
	if (t->allowed <= 0 || t->received < (uint64_t)t->allowed) {
		*transient = true;
		fwg_log_error("fetch: %s: transfer ended after %llu bytes, incomplete (will retry)",
			url, (unsigned long long)t->received);
		return -EIO;
	}
	return 0;
}

static int partial_restart(struct transfer *t)
{
	if (ftruncate(t->fd, 0) < 0)
		return -errno;
	t->received = 0;
	t->allowed = 0;
	return 0;
}

/* Open or resume the partial file; learn the limit from what it holds. */
static int partial_open(const char *part, struct transfer *t)
{
	struct stat st;
	int err;

	t->fd = open(part, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (t->fd < 0) {
		err = -errno;
		fwg_log_error("fetch: cannot open %s: %s", part, strerror(errno));
		return err;
	}
	if (fstat(t->fd, &st) < 0)
		return -errno;
	t->received = (uint64_t)st.st_size;
	t->allowed = 0;
	/* What is there cannot be the start of a valid file: start over. */
	if (t->received && transfer_update_limit(t) < 0)
		return partial_restart(t);
	return 0;
}

int fetch_to_file(const char *url, const char *dest, const struct fetch_tls *tls,
		  const struct fetch_opts *opts, fetch_limit_fn limit, void *ctx)
{
	struct transfer t = { .fd = -1, .limit = limit, .ctx = ctx,
			      .progress = opts->progress, .bar = { .label = "fetching" } };
	char part[PATH_MAX];
	bool transient = false;
	unsigned int attempt;
	int err;

	if (strncmp(url, "https://", 8)) {
		fwg_log_error("fetch: %s: only https:// URLs are accepted", url);
		return -EINVAL;
	}
	if (snprintf(part, sizeof(part), "%s.part", dest) >= (int)sizeof(part))
		return -ENAMETOOLONG;
	err = partial_open(part, &t);
	if (err)
		goto out;

	for (attempt = 1; attempt <= opts->attempts; attempt++) {
		if (t.allowed > 0 && t.received == (uint64_t)t.allowed) {
			err = 0;	/* already complete from an earlier run */
			break;
		}
		err = transfer_once(url, tls, opts, &t, &transient);
		if (!err || !transient)
			break;
		if (err == -EAGAIN && partial_restart(&t))
			break;
		if (attempt < opts->attempts)
			sleep(attempt);
	}
	if (err == -EAGAIN)
		err = -EPROTO;
	if (t.refused) {
		/* Nothing from this server response is worth resuming. */
		unlink(part);
		goto out;
	}
	if (err)
		goto out;
	err = commit_file(t.fd, part, dest);
out:
	if (t.fd >= 0)
		close(t.fd);
	return err;
}
