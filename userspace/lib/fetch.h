/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bounded, resumable HTTPS download of one file from the update server with
 * mutual TLS. The caller decides, from the bytes received so far, how many
 * bytes the file may have in all (for a bundle: header, ticket, and the
 * image length the verified ticket names); nothing beyond that is accepted.
 */
#ifndef FWGUARD_FETCH_H
#define FWGUARD_FETCH_H

#include <stdbool.h>
#include <stdint.h>

struct evp_pkey_st;

struct fetch_tls {
	const char *ca_file;		/* pinned CA of the update server */
	const char *client_cert;	/* device certificate (PEM) */
	const char *client_key;		/* its private key (PEM), or "tpm:HANDLE" */
	/*
	 * For "tpm:HANDLE": the key in the TPM, loaded by tls_key_load(); it
	 * and client_cert go into every connection's SSL_CTX. A "tpm:" key
	 * that is not loaded is refused before any request.
	 */
	struct evp_pkey_st *tpm_key;
};

/*
 * One connection to the update server kept open across downloads (libcurl's
 * shared connection cache and TLS sessions): a bundle and the files that go
 * with it come over the same mutually authenticated TLS connection while
 * the server keeps it alive.
 */
struct fetch_conn;

struct fetch_opts {
	long connect_timeout_s;		/* TCP + TLS handshake */
	long stall_timeout_s;		/* abort below 1 byte/s for this long */
	long total_timeout_s;		/* whole fetch, every try included; 0: none */
	unsigned int attempts;		/* tries in all, each resuming */
	bool progress;			/* draw a progress bar on stderr */
	struct fetch_conn *conn;	/* reuse this connection; NULL: one per request */
};

/*
 * What the file's tail must hash to: SHA-256 of bytes [@offset, end), for a
 * bundle its image as the verified ticket names it.
 */
struct fetch_digest {
	bool set;
	uint64_t offset;
	uint8_t sha256[32];
};

/*
 * Called after every chunk has been appended to the partial file.
 * @fd: the partial file, open for reading at any offset.
 * @received: bytes in the partial file.
 * @digest: set it, when the limit becomes known, to have the rest of the
 *	file hashed as it arrives and checked before the file is renamed.
 * Returns the total number of bytes the file may have (> 0) once known,
 * 0 while more bytes are needed to tell, or a negative errno to abort
 * (for example when the ticket does not verify).
 */
typedef int64_t (*fetch_limit_fn)(int fd, uint64_t received, struct fetch_digest *digest,
				  void *ctx);

void fetch_opts_default(struct fetch_opts *opts);

/* A connection cache for fetch_opts.conn; -ENOMEM. fetch_conn_free(NULL) is a no-op. */
int fetch_conn_new(struct fetch_conn **ret);
void fetch_conn_free(struct fetch_conn *conn);

/*
 * Download @url to @dest. Bytes go to "@dest.part" first (opened without
 * following a symbolic link; anything there that is not a plain file of
 * ours with one link is replaced, never written through). The server's
 * validator of the file (its strong ETag, else Last-Modified) is kept in
 * "@dest.part.validator"; a later call resumes with a Range request only
 * under "If-Range: <validator>", and starts from zero when there is none or
 * the server answers with the whole file. HTTP 416 starts over too. When
 * @limit set a digest, @dest appears (renamed, fsync'd) only once the file
 * has exactly the allowed length and its tail hashes to the digest; after a
 * resume, a mismatch (the file changed on the server) starts over once.
 * Redirects are refused, not followed.
 * Returns 0, or -EINVAL (not an https URL), -EFBIG (server sent more than
 * allowed), -EPROTO (TLS or HTTP failure, a redirect), -ETIMEDOUT (stall,
 * or opts->total_timeout_s passed), -EIO, -ECONNREFUSED, -EBADMSG (digest
 * mismatch), or the negative errno returned by @limit.
 */
int fetch_to_file(const char *url, const char *dest, const struct fetch_tls *tls,
		  const struct fetch_opts *opts, fetch_limit_fn limit, void *ctx);

/*
 * Download @url whole into @buf (at most @max bytes): a small file that
 * goes with a bundle, such as its approval. The TLS rules and retries of
 * fetch_to_file(); no resume, no file. Returns 0 with the length in *@len,
 * or the errnos of fetch_to_file(); -EFBIG above @max; -ENOENT (HTTP 404)
 * is not logged, the caller says what a missing file means.
 */
int fetch_to_memory(const char *url, const struct fetch_tls *tls,
		    const struct fetch_opts *opts, uint8_t *buf, size_t max, size_t *len);

/*
 * Receives a streamed file's bytes in order, each byte once: @buf holds
 * the bytes at [@off, @off + @len). Returns the total number of bytes the
 * file may have (> 0) once known, 0 while more bytes are needed to tell,
 * or a negative errno to abort the stream.
 */
typedef int64_t (*fetch_sink_fn)(const uint8_t *buf, size_t len, uint64_t off, void *ctx);

/*
 * Stream @url into @sink, keeping nothing on disk. A dropped connection is
 * resumed with a Range request under "If-Range: <validator>", the strong
 * ETag (else Last-Modified) of the first response, so that the sink goes
 * on from where it was and never sees a byte twice. Resuming is
 * impossible when the first response had no validator, when the server
 * answers with the whole file (it changed: the validator no longer
 * matches), with another ETag or another range, or with HTTP 416: then
 * the stream stops with -ESTALE, logged once. The TLS rules, bounds,
 * attempts and timeouts of fetch_to_file(). Returns 0 once the length the
 * sink named has arrived, -EBADMSG when the server's file ends before it
 * (logged), the errnos of fetch_to_file(), or the sink's negative errno.
 */
int fetch_to_sink(const char *url, const struct fetch_tls *tls, const struct fetch_opts *opts,
		  fetch_sink_fn sink, void *ctx);

#endif /* FWGUARD_FETCH_H */
