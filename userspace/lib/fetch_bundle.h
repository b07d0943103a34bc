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

/*
 * The connection to the update server the configuration names: its CA, the
 * device's certificate and key, the timeouts and attempts; a progress bar
 * only when @progress and stderr is a terminal. Fetch and a streamed
 * install use the same.
 */
void uc_fetch_options(const struct uc_config *cfg, bool progress, struct fetch_tls *tls,
		      struct fetch_opts *opts);

#endif /* FWGUARD_LIB_FETCH_BUNDLE_H */
