// SPDX-License-Identifier: GPL-2.0-only
/*
 * HTTPS download with mutual TLS, a pinned CA, validated Range resume and a
 * hard bound on the bytes accepted. The bound comes from the caller once
 * enough of the file has arrived to verify it (see fetch.h); until then the
 * caller's limit function is asked after every chunk. The partial file
 * lives next to the destination under a ".part" suffix and is renamed into
 * place only when it has exactly the allowed length and the digest the
 * caller named, so neither a partial download nor one spliced from two
 * versions of the file is ever taken for a complete one. A file streamed
 * into a caller's sink goes through the same transfer loop; only where its
 * bytes go, and what a response that cannot continue them means, differ
 * (struct transfer_sink).
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "userspace/common/log.h"
#include "userspace/lib/fetch.h"
#include "userspace/common/fileio.h"
#include "userspace/lib/progress.h"
#include "userspace/lib/ssl_error.h"
#include "userspace/lib/tls_key.h"

#define VALIDATOR_MAX 256

struct transfer;

/*
 * Where a transfer's body goes: a partial file (fetch_to_file) or the
 * caller's sink (fetch_to_sink). The loop of requests, the headers, the
 * checks of a response, the progress bar and what libcurl's failures mean
 * are the transfer's; these are the points where the two differ.
 */
struct transfer_sink {
	const char *retry_note;	/* said of a failure another request may mend */
	const char *held;	/* what the bytes received are, when giving up */
	long buffer_size;	/* libcurl's receive buffer, 0 for its default */
	bool keeps;		/* the bytes stay: complete ones need no request */
	/* Bytes are held, but no validator to resume them under. */
	int (*unresumable)(struct transfer *t);
	/* The headers of a 200 or 206 are complete: may its body follow? */
	int (*accept)(struct transfer *t);
	/* @len bytes of the body at t->received: take them, advance t->received. */
	int (*take)(struct transfer *t, const char *buf, size_t len);
	/* HTTP 416: the server has nothing from t->received on. */
	int (*unsatisfiable)(struct transfer *t, bool *transient);
	/* A complete response ended before t->allowed. */
	int (*incomplete)(struct transfer *t, bool *transient);
};

struct transfer {
	const struct transfer_sink *sink;
	const char *url;
	uint64_t received;
	int64_t allowed;	/* 0 until the limit function or the sink knows */
	int err;		/* negative errno that stopped the transfer */
	bool sink_err;		/* ... returned (and logged) by the caller's sink */
	bool refused;		/* the content itself was refused: do not resume */
	bool progress;
	struct progress bar;
	char validator[VALIDATOR_MAX];	/* of the bytes held, or "" */
	void *ctx;
	/* To a file (fetch_to_file). */
	int fd;
	bool resumed;		/* the file holds bytes of more than one response */
	fetch_limit_fn limit;
	struct fetch_digest digest;
	EVP_MD_CTX *md;		/* hash of [digest.offset, hashed) once set */
	uint64_t hashed;
	const char *vpath;	/* where the validator is kept */
	/* Into the caller's sink (fetch_to_sink). */
	fetch_sink_fn stream;
	/* The response being received. */
	long status;
	char etag[VALIDATOR_MAX];
	char last_modified[VALIDATOR_MAX];
	char location[512];
	long long range_start;	/* from Content-Range, -1 when absent */
};

void fetch_opts_default(struct fetch_opts *opts)
{
	opts->connect_timeout_s = 20;
	opts->stall_timeout_s = 30;
	opts->total_timeout_s = 3600;
	opts->attempts = 4;
	opts->progress = isatty(STDERR_FILENO);
	opts->conn = NULL;
}

/* Hash the file's bytes from t->hashed up to @end. */
static int hash_file(struct transfer *t, uint64_t end)
{
	char buf[65536];
	ssize_t n;

	while (t->hashed < end) {
		size_t want = end - t->hashed < sizeof(buf) ? end - t->hashed : sizeof(buf);

		n = pread(t->fd, buf, want, (off_t)t->hashed);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		if (!EVP_DigestUpdate(t->md, buf, (size_t)n))
			return -ENOMEM;
		t->hashed += (uint64_t)n;
	}
	return 0;
}

/* A chunk written at @pos: hash what of it lies in the digested range. */
static int hash_chunk(struct transfer *t, const char *chunk, uint64_t pos, size_t len)
{
	uint64_t skip;
	int err;

	if (!t->md)
		return 0;
	if (t->hashed < pos) {
		err = hash_file(t, pos);
		if (err)
			return err;
	}
	if (t->hashed >= pos + len)
		return 0;
	skip = t->hashed - pos;
	if (!EVP_DigestUpdate(t->md, chunk + skip, len - skip))
		return -ENOMEM;
	t->hashed = pos + len;
	return 0;
}

static void hash_reset(struct transfer *t)
{
	EVP_MD_CTX_free(t->md);
	t->md = NULL;
	t->hashed = 0;
	memset(&t->digest, 0, sizeof(t->digest));
}

static int hash_start(struct transfer *t)
{
	if (!t->digest.set || t->md)
		return 0;
	t->md = EVP_MD_CTX_new();
	if (!t->md || !EVP_DigestInit_ex(t->md, EVP_sha256(), NULL))
		return -ENOMEM;
	t->hashed = t->digest.offset;
	return hash_file(t, t->received);
}

/* Ask the caller how long the file may be, once, as bytes arrive. */
static int transfer_update_limit(struct transfer *t)
{
	int64_t allowed;

	if (t->allowed > 0 || !t->limit)
		return 0;
	allowed = t->limit(t->fd, t->received, &t->digest, t->ctx);
	if (allowed < 0)
		return (int)allowed;
	t->allowed = allowed;
	if (allowed > 0 && t->received > (uint64_t)allowed)
		return -EFBIG;
	return allowed > 0 ? hash_start(t) : 0;
}

/* 0 when the file hashes to the digest its limit named (or none was). */
static int transfer_check_digest(struct transfer *t)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int err;

	if (!t->digest.set)
		return 0;
	if (!t->md && hash_start(t))
		return -ENOMEM;
	err = hash_file(t, t->received);
	if (err)
		return err;
	if (!EVP_DigestFinal_ex(t->md, md, &len))
		return -ENOMEM;
	EVP_MD_CTX_free(t->md);
	t->md = NULL;
	if (len == sizeof(t->digest.sha256) && !memcmp(md, t->digest.sha256, len))
		return 0;
	return -EBADMSG;
}

static int partial_restart(struct transfer *t)
{
	if (ftruncate(t->fd, 0) < 0)
		return -errno;
	t->received = 0;
	t->allowed = 0;
	t->resumed = false;
	t->validator[0] = '\0';
	hash_reset(t);
	unlink(t->vpath);
	return 0;
}

/* A header value may go back into a request header only if it is one line. */
static bool validator_ok(const char *v)
{
	size_t i;

	for (i = 0; v[i]; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return false;
	return i > 0;
}

static void validator_load(struct transfer *t)
{
	int fd = open(t->vpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = -1;

	t->validator[0] = '\0';
	if (fd >= 0) {
		n = read(fd, t->validator, sizeof(t->validator) - 1);
		close(fd);
	}
	if (n <= 0)
		return;
	t->validator[n] = '\0';
	t->validator[strcspn(t->validator, "\n")] = '\0';
	if (!validator_ok(t->validator))
		t->validator[0] = '\0';
}

/* Keep the validator of the response now being written (or none). */
static void validator_save(struct transfer *t, const char *v)
{
	int fd;

	snprintf(t->validator, sizeof(t->validator), "%s", v);
	unlink(t->vpath);
	if (!v[0])
		return;
	fd = open(t->vpath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;	/* without it, the next run starts from zero */
	if (write_all(fd, v, strlen(v)) || write_all(fd, "\n", 1))
		unlink(t->vpath);
	close(fd);
}

/* Copy the value of "Name: value\r\n" into @out if @line has that name. */
static bool header_value(const char *line, size_t len, const char *name, char *out,
			 size_t size)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) || line[n] != ':')
		return false;
	line += n + 1;
	len -= n + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	if (len >= size)
		len = 0;	/* too long to be of use: as if absent */
	memcpy(out, line, len);
	out[len] = '\0';
	return true;
}

static void response_reset(struct transfer *t, long status)
{
	t->status = status;
	t->etag[0] = t->last_modified[0] = t->location[0] = '\0';
	t->range_start = -1;
}

/* The validator a response names: its strong ETag, else its date. */
static const char *response_validator(const struct transfer *t)
{
	/* A weak ETag cannot be used with If-Range: fall back to the date. */
	return t->etag[0] && strncmp(t->etag, "W/", 2) ? t->etag : t->last_modified;
}

/* The headers of a 200 or 206 are complete: decide where its body goes. */
static int file_accept(struct transfer *t)
{
	if (t->status == 206) {
		if (t->range_start != (long long)t->received) {
			fwg_log_error("fetch: %s: server sent bytes from %lld, asked from %llu%s",
				      t->url, t->range_start, (unsigned long long)t->received,
				      t->received ? "; starting over" : "");
			if (!t->received)
				return -EPROTO;	/* a range nobody asked for */
			/* The bytes held cannot be continued: drop them, ask again. */
			return partial_restart(t) ?: -EAGAIN;
		}
		t->resumed = true;
	} else if (t->received) {
		/* The file changed (If-Range did not match): the whole of it follows. */
		if (partial_restart(t))
			return -EIO;
	}
	validator_save(t, response_validator(t));
	return 0;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * nmemb;
	char cr[64];
	long status;

	if (len > 5 && !strncmp(line, "HTTP/", 5)) {
		const char *sp = memchr(line, ' ', len);

		status = sp ? strtol(sp + 1, NULL, 10) : 0;
		response_reset(t, status);
		return len;
	}
	header_value(line, len, "ETag", t->etag, sizeof(t->etag));
	header_value(line, len, "Last-Modified", t->last_modified, sizeof(t->last_modified));
	header_value(line, len, "Location", t->location, sizeof(t->location));
	if (header_value(line, len, "Content-Range", cr, sizeof(cr)) &&
	    sscanf(cr, "bytes %lld-", &t->range_start) != 1)
		t->range_start = -1;
	if (len > 2 || (line[0] != '\r' && line[0] != '\n') || t->status < 200)
		return len;	/* not the end of a final response's headers */
	if (t->status >= 300 && t->status < 400) {
		fwg_log_error("fetch: %s: the server redirects (HTTP %ld to %s); redirects are not followed",
			      t->url, t->status,
			      t->location[0] ? t->location : "an unnamed location");
		t->err = -EPROTO;
		return 0;
	}
	if (t->status == 200 || t->status == 206) {
		t->err = t->sink->accept(t);
		return t->err ? 0 : len;
	}
	return len;	/* an error status: FAILONERROR ends the transfer */
}

/* The file's bytes at t->received: written, hashed, and the limit asked. */
static int file_take(struct transfer *t, const char *buf, size_t len)
{
	uint64_t pos = t->received;
	int err;

	err = write_all(t->fd, buf, len);
	if (err)
		return err;
	t->received += len;
	err = hash_chunk(t, buf, pos, len) ?: transfer_update_limit(t);
	if (err)
		t->refused = true;
	return err;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * nmemb;

	if (t->status != 200 && t->status != 206) {
		t->err = -EPROTO;
		return 0;
	}
	if (t->allowed > 0 && t->received + len > (uint64_t)t->allowed) {
		t->err = -EFBIG;
		t->refused = true;
		return 0;	/* libcurl stops with CURLE_WRITE_ERROR */
	}
	t->err = t->sink->take(t, ptr, len);
	return t->err ? 0 : len;
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

/*
 * A TPM-held client key: libcurl 7.88 takes a key only as a file (or an
 * engine), so the certificate and the provider's key go into the SSL_CTX
 * of each connection before its handshake starts.
 */
static CURLcode install_tpm_key(CURL *curl, void *sslctx, void *arg)
{
	const struct fetch_tls *tls = arg;
	SSL_CTX *ctx = sslctx;

	(void)curl;
	if (SSL_CTX_use_certificate_chain_file(ctx, tls->client_cert) != 1) {
		ssl_log_error("fetch: cannot use client_cert %s", tls->client_cert);
		return CURLE_SSL_CERTPROBLEM;
	}
	if (SSL_CTX_use_PrivateKey(ctx, tls->tpm_key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		ssl_log_error("fetch: the TPM key %s does not go with client_cert %s",
			      tls->client_key, tls->client_cert);
		return CURLE_SSL_CERTPROBLEM;
	}
	return CURLE_OK;
}

static void transfer_tls(CURL *curl, const struct fetch_tls *tls)
{
	/* Trust exactly the pinned CA, never the system store. */
	curl_easy_setopt(curl, CURLOPT_CAINFO, tls->ca_file);
	curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (tls->tpm_key) {
		curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, install_tpm_key);
		curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, (void *)tls);
		return;
	}
	curl_easy_setopt(curl, CURLOPT_SSLCERT, tls->client_cert);
	curl_easy_setopt(curl, CURLOPT_SSLKEY, tls->client_key);
}

/* A "tpm:" key that tls_key_load() did not load: refused, nothing sent. */
static int tls_ready(const char *url, const struct fetch_tls *tls)
{
	if (tls->tpm_key || !tls->client_key ||
	    strncmp(tls->client_key, TLS_KEY_TPM_PREFIX, strlen(TLS_KEY_TPM_PREFIX)))
		return 0;
	fwg_log_error("fetch: %s: client_key %s is not loaded from the TPM", url,
		      tls->client_key);
	return -EINVAL;
}

/* Resume only under the validator of the bytes we hold. */
static int transfer_range(CURL *curl, struct transfer *t, struct curl_slist **hdrs,
			  char *range, size_t size)
{
	char line[VALIDATOR_MAX + 16];

	if (!t->received)
		return 0;
	snprintf(range, size, "%llu-", (unsigned long long)t->received);
	snprintf(line, sizeof(line), "If-Range: %s", t->validator);
	*hdrs = curl_slist_append(NULL, line);
	if (!*hdrs)
		return -ENOMEM;
	curl_easy_setopt(curl, CURLOPT_RANGE, range);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, *hdrs);
	return 0;
}

struct fetch_conn {
	CURLSH *share;
};

int fetch_conn_new(struct fetch_conn **ret)
{
	struct fetch_conn *conn = calloc(1, sizeof(*conn));

	if (!conn)
		return -ENOMEM;
	conn->share = curl_share_init();
	/* One thread: the share needs no lock callbacks. */
	if (!conn->share ||
	    curl_share_setopt(conn->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
	    curl_share_setopt(conn->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
		fetch_conn_free(conn);
		return -ENOMEM;
	}
	*ret = conn;
	return 0;
}

void fetch_conn_free(struct fetch_conn *conn)
{
	if (!conn)
		return;
	if (conn->share)
		curl_share_cleanup(conn->share);
	free(conn);
}

/* Only https:// URLs are fetched at all. */
static int https_only(const char *url)
{
	if (strncmp(url, "https://", 8)) {
		fwg_log_error("fetch: %s: only https:// URLs are accepted", url);
		return -EINVAL;
	}
	return 0;
}

/* What every request sets: https only, no redirects, the pinned TLS, the bounds. */
static CURL *request_handle(const char *url, const struct fetch_tls *tls,
			    const struct fetch_opts *opts, long timeout_s, char *errbuf)
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
	transfer_tls(curl, tls);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, opts->connect_timeout_s);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, opts->stall_timeout_s);
	if (opts->conn)
		curl_easy_setopt(curl, CURLOPT_SHARE, opts->conn->share);
	return curl;
}

static CURL *transfer_handle(const struct fetch_tls *tls, const struct fetch_opts *opts,
			     long timeout_s, struct transfer *t, char *errbuf)
{
	CURL *curl = request_handle(t->url, tls, opts, timeout_s, errbuf);

	if (!curl)
		return NULL;
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, opts->progress ? 0L : 1L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, t);
	if (t->sink->buffer_size)
		curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, t->sink->buffer_size);
	return curl;
}

/* What nginx and others answer when mutual TLS fails, named as such. */
static bool client_cert_refused(const char *url, CURLcode rc, long http)
{
	if (rc != CURLE_HTTP_RETURNED_ERROR || (http != 400 && http != 495 && http != 496))
		return false;
	fwg_log_error("fetch: %s: server refused the device's client certificate (HTTP %ld)",
		      url, http);
	return true;
}

/* What a finished request means; *transient when another request may help. */
static int transfer_result(struct transfer *t, CURLcode rc, long http, const char *errbuf,
			   bool *transient)
{
	int err;

	if (rc == CURLE_WRITE_ERROR && t->err) {
		if (t->err == -EAGAIN && !t->sink_err)
			*transient = true;	/* restart from zero, at once */
		if (t->err == -EFBIG && !t->sink_err)
			fwg_log_error("fetch: %s: server sent more than the %lld bytes the ticket allows",
				      t->url, (long long)t->allowed);
		return t->err;	/* the limit function, the sink or on_header logged the reason */
	}
	if (rc == CURLE_HTTP_RETURNED_ERROR && http == 416)
		return t->sink->unsatisfiable(t, transient);
	if (client_cert_refused(t->url, rc, http))
		return -EPROTO;
	if (rc != CURLE_OK) {
		err = curl_errno(rc, http, transient);
		fwg_log_error("fetch: %s: %s%s", t->url, errbuf[0] ? errbuf : curl_easy_strerror(rc),
			      *transient ? t->sink->retry_note : "");
		return err;
	}
	if (t->allowed <= 0 || t->received < (uint64_t)t->allowed)
		return t->sink->incomplete(t, transient);
	return 0;
}

/* One HTTP request, resuming at t->received, for at most @timeout_s. */
static int transfer_once(const struct fetch_tls *tls, const struct fetch_opts *opts,
			 long timeout_s, struct transfer *t, bool *transient)
{
	char errbuf[CURL_ERROR_SIZE] = "", range[32];
	struct curl_slist *hdrs = NULL;
	long http = 0;
	CURLcode rc;
	CURL *curl;
	int err;

	*transient = false;
	if (t->received && !t->validator[0]) {
		err = t->sink->unresumable(t);
		if (err)
			return err;
	}
	curl = transfer_handle(tls, opts, timeout_s, t, errbuf);
	if (!curl)
		return -ENOMEM;
	err = transfer_range(curl, t, &hdrs, range, sizeof(range));
	t->err = 0;
	t->sink_err = false;
	response_reset(t, 0);
	rc = err ? CURLE_OUT_OF_MEMORY : curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_cleanup(curl);
	curl_slist_free_all(hdrs);
	if (t->bar.drawn && (t->allowed <= 0 || t->received < (uint64_t)t->allowed))
		fputc('\n', stderr);	/* an unfinished bar: end its line */
	if (err)
		return err;
	return transfer_result(t, rc, http, errbuf, transient);
}

/* No validator for the bytes held: they cannot be trusted to match. */
static int file_unresumable(struct transfer *t)
{
	return partial_restart(t) ? -EIO : 0;
}

/* Nothing to resume from where we are: start over, at once. */
static int file_unsatisfiable(struct transfer *t, bool *transient)
{
	*transient = true;
	return partial_restart(t) ?: -EAGAIN;
}

static int file_incomplete(struct transfer *t, bool *transient)
{
	*transient = true;
	fwg_log_error("fetch: %s: transfer ended after %llu bytes, incomplete (will retry)",
		      t->url, (unsigned long long)t->received);
	return -EIO;
}

static const struct transfer_sink file_sink = {
	.retry_note = " (will retry)",
	.held = "kept to resume",
	.keeps = true,
	.unresumable = file_unresumable,
	.accept = file_accept,
	.take = file_take,
	.unsatisfiable = file_unsatisfiable,
	.incomplete = file_incomplete,
};

/* A fresh, empty partial file; whatever held the name is removed, not followed. */
static int partial_create(const char *part, struct transfer *t)
{
	if (unlink(part) && errno != ENOENT)
		return -errno;
	unlink(t->vpath);
	t->fd = open(part, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0600);
	return t->fd < 0 ? -errno : 0;
}

/* Open the partial file only if it is a plain file of ours with one name. */
static int partial_open_existing(const char *part, struct transfer *t)
{
	struct stat st;

	t->fd = open(part, O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0)
		return -errno;
	if (fstat(t->fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid()) {
		close(t->fd);
		t->fd = -1;
		return -ELOOP;
	}
	t->received = (uint64_t)st.st_size;
	return 0;
}

/* Open or resume the partial file; learn the limit from what it holds. */
static int partial_open(const char *part, struct transfer *t)
{
	int err;

	err = partial_open_existing(part, t);
	if (err == -ENOENT || err == -ELOOP || err == -ENXIO)
		err = partial_create(part, t);
	if (err) {
		fwg_log_error("fetch: cannot open %s: %s", part, strerror(-err));
		return err;
	}
	t->allowed = 0;
	t->resumed = t->received > 0;
	validator_load(t);
	/* What is there cannot be the start of a valid file: start over. */
	if (t->received && transfer_update_limit(t) < 0)
		return partial_restart(t);
	return 0;
}

/* Seconds left before the overall limit, LONG_MAX when there is none. */
static long time_left(const struct timespec *deadline)
{
	struct timespec now;

	if (!deadline->tv_sec)
		return LONG_MAX;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return deadline->tv_sec - now.tv_sec;
}

/* The overall limit of a fetch, from now; tv_sec 0 when there is none. */
static void deadline_start(const struct fetch_opts *opts, struct timespec *deadline)
{
	*deadline = (struct timespec){ 0 };
	if (opts->total_timeout_s > 0) {
		clock_gettime(CLOCK_MONOTONIC, deadline);
		deadline->tv_sec += opts->total_timeout_s;
	}
}

/* Up to opts->attempts requests until the file has its allowed length. */
static int transfer_all(const struct fetch_tls *tls, const struct fetch_opts *opts,
			const struct timespec *deadline, struct transfer *t)
{
	bool transient = false;
	unsigned int attempt;
	long left;
	int err = 0;

	for (attempt = 1; attempt <= opts->attempts; attempt++) {
		if (t->sink->keeps && t->allowed > 0 && t->received == (uint64_t)t->allowed)
			return 0;	/* already complete from an earlier run */
		left = time_left(deadline);
		if (left <= 0)
			break;
		err = transfer_once(tls, opts, left == LONG_MAX ? 0 : left, t, &transient);
		if (!err || !transient)
			return err;
		if (attempt < opts->attempts && err != -EAGAIN)
			sleep((unsigned int)(left > (long)attempt ? attempt : 0));
	}
	if (time_left(deadline) <= 0) {
		fwg_log_error("fetch: %s: gave up after the overall limit of %ld s (fetch_timeout_s), %llu bytes %s",
			      t->url, opts->total_timeout_s, (unsigned long long)t->received,
			      t->sink->held);
		return -ETIMEDOUT;
	}
	/* The last failure said "will retry": say that no retry is left. */
	if (err)
		fwg_log_error("fetch: %s: gave up after %u attempts (attempts), %llu bytes %s",
			      t->url, opts->attempts, (unsigned long long)t->received, t->sink->held);
	return err == -EAGAIN ? -EPROTO : err;
}

/* Download, and once more from zero when a resumed file does not hash right. */
static int transfer_verified(const struct fetch_tls *tls, const struct fetch_opts *opts,
			     struct transfer *t)
{
	struct timespec deadline;
	bool resumed;
	int round, err = 0;

	deadline_start(opts, &deadline);
	for (round = 0; round < 2; round++) {
		err = transfer_all(tls, opts, &deadline, t);
		if (err)
			return err;
		resumed = t->resumed;
		err = transfer_check_digest(t);
		if (err != -EBADMSG)
			return err;
		if (!resumed || round) {
			fwg_log_error("fetch: %s: the image does not match the digest its ticket names",
				      t->url);
			t->refused = true;
			return err;
		}
		err = partial_restart(t);	/* spliced from two versions of the file */
		if (err)
			return err;
	}
	return err;
}

int fetch_to_file(const char *url, const char *dest, const struct fetch_tls *tls,
		  const struct fetch_opts *opts, fetch_limit_fn limit, void *ctx)
{
	char part[PATH_MAX], vpath[PATH_MAX];
	struct transfer t = { .sink = &file_sink, .url = url, .fd = -1, .limit = limit,
			      .ctx = ctx, .vpath = vpath, .progress = opts->progress,
			      .bar = { .label = "fetching" } };
	int err;

	if (https_only(url))
		return -EINVAL;
	if (tls_ready(url, tls))
		return -EINVAL;
	if (snprintf(part, sizeof(part), "%s.part", dest) >= (int)sizeof(part) ||
	    snprintf(vpath, sizeof(vpath), "%s.part.validator", dest) >= (int)sizeof(vpath))
		return -ENAMETOOLONG;
	err = partial_open(part, &t);
	if (!err)
		err = transfer_verified(tls, opts, &t);
	if (t.refused) {
		/* Nothing from this server response is worth resuming. */
		unlink(part);
		unlink(vpath);
	} else if (!err) {
		err = commit_file(t.fd, part, dest);
		if (!err)
			unlink(vpath);
	}
	hash_reset(&t);
	if (t.fd >= 0)
		close(t.fd);
	return err;
}

/* A small file fetched whole into memory (fetch_to_memory). */
struct memory_transfer {
	CURL *curl;
	uint8_t *buf;
	size_t max, len;
	bool too_long;
};

static size_t memory_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct memory_transfer *m = userdata;
	size_t len = size * nmemb;
	long status = 0;

	curl_easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return len;	/* the body of a redirect: judged by its status */
	if (len > m->max - m->len) {
		m->too_long = true;
		return 0;
	}
	memcpy(m->buf + m->len, ptr, len);
	m->len += len;
	return len;
}

/* One GET of @url into @m; *transient when a retry may help. */
static int memory_once(const char *url, const struct fetch_tls *tls,
		       const struct fetch_opts *opts, struct memory_transfer *m, bool *transient)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	long http = 0;
	CURLcode rc;
	int err;

	*transient = false;
	m->len = 0;
	m->too_long = false;
	m->curl = request_handle(url, tls, opts, opts->total_timeout_s, errbuf);
	if (!m->curl)
		return -ENOMEM;
	curl_easy_setopt(m->curl, CURLOPT_WRITEFUNCTION, memory_body);
	curl_easy_setopt(m->curl, CURLOPT_WRITEDATA, m);
	rc = curl_easy_perform(m->curl);
	curl_easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_cleanup(m->curl);
	m->curl = NULL;
	if (rc == CURLE_WRITE_ERROR && m->too_long) {
		fwg_log_error("fetch: %s: longer than the %zu bytes it may have", url, m->max);
		return -EFBIG;
	}
	if (rc == CURLE_HTTP_RETURNED_ERROR && http == 404)
		return -ENOENT;
	if (client_cert_refused(url, rc, http))
		return -EPROTO;
	if (rc == CURLE_OK && http >= 300 && http < 400) {
		fwg_log_error("fetch: %s: the server redirects (HTTP %ld); redirects are not followed",
			      url, http);
		return -EPROTO;
	}
	if (rc == CURLE_OK)
		return http == 200 ? 0 : -EPROTO;
	err = curl_errno(rc, http, transient);
	fwg_log_error("fetch: %s: %s%s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc),
		      *transient ? " (will retry)" : "");
	return err;
}

int fetch_to_memory(const char *url, const struct fetch_tls *tls,
		    const struct fetch_opts *opts, uint8_t *buf, size_t max, size_t *len)
{
	struct memory_transfer m = { .buf = buf, .max = max };
	unsigned int attempt;
	bool transient = true;
	int err = -EIO;

	if (https_only(url))
		return -EINVAL;
	if (tls_ready(url, tls))
		return -EINVAL;
	for (attempt = 1; attempt <= opts->attempts && transient; attempt++) {
		if (attempt > 1)
			sleep(attempt - 1);
		err = memory_once(url, tls, opts, &m, &transient);
	}
	if (!err)
		*len = m.len;
	return err;
}

/*
 * A file streamed into a sink (fetch_to_sink): every byte goes to the sink
 * once, in order, and nothing is kept on disk. What was handed on cannot
 * be taken back, so a resume must continue exactly the same file under the
 * first response's validator; when it cannot, the stream stops.
 */
static int stream_unresumable(struct transfer *t)
{
	fwg_log_error("fetch: %s: cannot resume after %llu bytes: the server named no validator (ETag or Last-Modified) to resume under",
		      t->url, (unsigned long long)t->received);
	return -ESTALE;
}

/* The headers of a 200 or 206 are complete: does its body continue the stream? */
static int stream_accept(struct transfer *t)
{
	const char *v = response_validator(t);

	if (!t->received) {
		if (t->status == 206) {
			fwg_log_error("fetch: %s: server sent a range nobody asked for", t->url);
			return -EPROTO;
		}
		snprintf(t->validator, sizeof(t->validator), "%s", validator_ok(v) ? v : "");
		return 0;
	}
	if (t->status == 200) {
		fwg_log_error("fetch: %s: the file changed on the server after %llu bytes (%s no longer matches); the stream cannot resume",
			      t->url, (unsigned long long)t->received, t->validator);
		return -ESTALE;
	}
	if (t->range_start != (long long)t->received) {
		fwg_log_error("fetch: %s: server resumed at byte %lld, not %llu; the stream cannot resume",
			      t->url, t->range_start, (unsigned long long)t->received);
		return -ESTALE;
	}
	if (v[0] && strcmp(v, t->validator)) {
		fwg_log_error("fetch: %s: the file changed on the server after %llu bytes (%s, was %s); the stream cannot resume",
			      t->url, (unsigned long long)t->received, v, t->validator);
		return -ESTALE;
	}
	return 0;
}

static int stream_take(struct transfer *t, const char *buf, size_t len)
{
	int64_t allowed = t->stream((const uint8_t *)buf, len, t->received, t->ctx);

	if (allowed < 0) {
		t->sink_err = true;
		return (int)allowed;
	}
	t->received += len;
	if (!t->allowed && allowed > 0)
		t->allowed = allowed;
	return 0;
}

static int stream_unsatisfiable(struct transfer *t, bool *transient)
{
	fwg_log_error("fetch: %s: server cannot resume at byte %llu (HTTP 416); the stream cannot resume",
		      t->url, (unsigned long long)t->received);
	return -ESTALE;
}

/* A complete response: the file itself is short. */
static int stream_incomplete(struct transfer *t, bool *transient)
{
	fwg_log_error("fetch: %s: the file ends after %llu bytes, before %s", t->url,
		      (unsigned long long)t->received,
		      t->allowed > 0 ? "the length its header names" : "its ticket");
	return -EBADMSG;
}

static const struct transfer_sink stream_sink = {
	.retry_note = " (will resume)",
	.held = "streamed",
	/* Larger reads: fewer, larger writes into whatever the sink feeds. */
	.buffer_size = 128L * 1024L,
	.unresumable = stream_unresumable,
	.accept = stream_accept,
	.take = stream_take,
	.unsatisfiable = stream_unsatisfiable,
	.incomplete = stream_incomplete,
};

int fetch_to_sink(const char *url, const struct fetch_tls *tls, const struct fetch_opts *opts,
		  fetch_sink_fn sink, void *ctx)
{
	struct transfer t = { .sink = &stream_sink, .url = url, .fd = -1, .stream = sink,
			      .ctx = ctx, .progress = opts->progress,
			      .bar = { .label = "installing" } };
	struct timespec deadline;

	if (https_only(url))
		return -EINVAL;
	if (tls_ready(url, tls))
		return -EINVAL;
	deadline_start(opts, &deadline);
	return transfer_all(tls, opts, &deadline, &t);
}
