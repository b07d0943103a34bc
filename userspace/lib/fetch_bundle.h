/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Downloading one bundle from the update server (updatectl fetch, and
 * install of a URL): the URL and the file it lands in follow from the
 * configuration; the ticket at the front is verified as soon as it has
 * arrived, and from then on the download is bounded by the length the
 * ticket names, so a hostile server can neither fill the disk nor slip a
 * longer image in. The bundle appears under its final name only complete.
 */
#ifndef FWGUARD_LIB_FETCH_BUNDLE_H
#define FWGUARD_LIB_FETCH_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#include "ticket.h"
#include "userspace/lib/config.h"
#include "userspace/lib/fetch.h"
#include "userspace/lib/step.h"

/*
 * Download @source (a URL, or a name under server_url) to @output, or into
 * download_dir when @output is NULL. Returns 0 with the bundle's path in
 * @path and, when @ticket is not NULL, its verified ticket; or -errno with
 * the failing step in @step (logged).
 */
int uc_fetch_bundle(const struct uc_config *cfg, const char *source, const char *output,
		    bool progress, char *path, size_t path_size, struct fwguard_ticket *ticket,
		    struct uc_step *step);

struct tls_key;

/*
 * Open the connection to the update server the configuration names: its
 * CA, the device's certificate and key (a TPM-held key loaded here), the
 * timeouts and attempts; a progress bar only when @progress and stderr is
 * a terminal. Fetch and a streamed install use the same. On success
 * uc_fetch_close() releases what it took: 0, or the errno of loading the
 * key or of making the connection (nothing is left to release then).
 */
int uc_fetch_open(const struct uc_config *cfg, bool progress, struct fetch_tls *tls,
		  struct fetch_opts *opts, struct tls_key **key, struct uc_step *step);
void uc_fetch_close(struct fetch_opts *opts, struct tls_key *key);

#endif /* FWGUARD_LIB_FETCH_BUNDLE_H */
