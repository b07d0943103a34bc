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

struct fetch_tls {
	const char *ca_file;		/* pinned CA of the update server */
	const char *client_cert;	/* device certificate (PEM) */
	const char *client_key;		/* its private key (PEM) */
};

struct fetch_opts {
	long connect_timeout_s;		/* TCP + TLS handshake */
	long stall_timeout_s;		/* abort below 1 byte/s for this long */
	unsigned int attempts;		/* tries in all, each resuming */
	bool progress;			/* draw a progress bar on stderr */
};

/*
 * Called after every chunk has been appended to the partial file.
 * @fd: the partial file, open for reading at any offset.
 * @received: bytes in the partial file.
 * Returns the total number of bytes the file may have (> 0) once known,
 * 0 while more bytes are needed to tell, or a negative errno to abort
 * (for example when the ticket does not verify).
 */
typedef int64_t (*fetch_limit_fn)(int fd, uint64_t received, void *ctx);

void fetch_opts_default(struct fetch_opts *opts);

/*
 * Download @url to @dest. Bytes go to "@dest.part" first, which a later call
 * resumes with an HTTP Range request; @dest appears (renamed, fsync'd) only
 * once the file has exactly the length @limit allowed.
 * Returns 0, or -EINVAL (not an https URL), -EFBIG (server sent more than
 * allowed), -EPROTO (TLS or HTTP failure), -ETIMEDOUT, -EIO, -ECONNREFUSED,
 * or the negative errno returned by @limit.
 */
int fetch_to_file(const char *url, const char *dest, const struct fetch_tls *tls,
		  const struct fetch_opts *opts, fetch_limit_fn limit, void *ctx);

#endif /* FWGUARD_FETCH_H */
