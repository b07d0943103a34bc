// SPDX-License-Identifier: GPL-2.0-only
/* The consumed-ticket log (see ticket_log.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "userspace/common/cleanup.h"
#include "userspace/common/hex.h"
#include "userspace/common/log.h"
#include "userspace/lib/ticket_log.h"

static int ticket_log_path(const char *state_dir, char *buf, size_t size)
{
	return (size_t)snprintf(buf, size, "%s/tickets", state_dir) >= size ? -ENAMETOOLONG : 0;
}

static void ticket_refused(const uint8_t id[16])
{
	char hex[33];

	fwg_hex_encode(id, 16, hex);
	fwg_log_error("ticket %s was already installed on this device (replay refused)", hex);
}

/* The file alone: the lines before and after the journal's genesis alike. */
int ticket_log_check(const char *state_dir, const uint8_t id[16])
{
	char path[PATH_MAX], hex[33], line[128];
	_cleanup_fclose_ FILE *f = NULL;

	if (ticket_log_path(state_dir, path, sizeof(path)))
		return -ENAMETOOLONG;
	fwg_hex_encode(id, 16, hex);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, hex, 32) && line[32] == '\n') {
			ticket_refused(id);
			return -EALREADY;
		}
	}
	return 0;
}

int ticket_log_has(struct fwg_tpm *tpm, const uint8_t id[16])
{
	char hex[33];

	fwg_hex_encode(id, 16, hex);
	return fwg_tpm_journal_find(tpm, hex, NULL, 0);
}

int ticket_log_refuse(struct fwg_tpm *tpm, const uint8_t id[16])
{
	int err = ticket_log_has(tpm, id);

	if (err == FWG_TPM_E_NOT_PROVISIONED)
		fwg_log_error("the TPM has no journal of consumed tickets; run 'updatectl tpm "
			      "provision'");
	if (err == 1)
		ticket_refused(id);
	return err == 1 ? -EALREADY : err;
}

int ticket_log_add(struct fwg_tpm *tpm, const uint8_t id[16])
{
	char hex[33];

	fwg_hex_encode(id, 16, hex);
	return fwg_tpm_journal_add(tpm, hex);
}
