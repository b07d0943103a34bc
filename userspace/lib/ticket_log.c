// SPDX-License-Identifier: GPL-2.0-only
/* The consumed-ticket log (see ticket_log.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "userspace/common/cleanup.h"
#include "userspace/common/fileio.h"
#include "userspace/common/hex.h"
#include "userspace/common/log.h"
#include "userspace/lib/ticket_log.h"

static int ticket_log_path(const char *state_dir, char *buf, size_t size)
{
	return (size_t)snprintf(buf, size, "%s/tickets", state_dir) >= size ? -ENAMETOOLONG : 0;
}

int ticket_log_check(const char *state_dir, const uint8_t id[16])
{
	int err = ticket_log_has(state_dir, id);

	if (err == 1) {
		char hex[33];

		fwg_hex_encode(id, 16, hex);
		fwg_log_error("ticket %s was already installed on this device "
			      "(replay refused)", hex);
		return -EALREADY;
	}
	return err;
}

int ticket_log_has(const char *state_dir, const uint8_t id[16])
{
	char path[PATH_MAX], hex[33], line[64];
	_cleanup_fclose_ FILE *f = NULL;

	if (ticket_log_path(state_dir, path, sizeof(path)))
		return -ENAMETOOLONG;
	fwg_hex_encode(id, 16, hex);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, hex, 32) && line[32] == '\n')
			return 1;
	}
	return 0;
}

int ticket_log_add(const char *state_dir, const uint8_t id[16])
{
	char path[PATH_MAX], hex[34];
	_cleanup_close_ int fd = -1;
	int err;

	if (ticket_log_path(state_dir, path, sizeof(path)))
		return -ENAMETOOLONG;
	fwg_hex_encode(id, 16, hex);
	hex[32] = '\n';
	hex[33] = '\0';
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_all(fd, hex, 33);
	if (!err && fsync(fd) < 0)
		err = -errno;
	return err;
}
