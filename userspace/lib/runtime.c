// SPDX-License-Identifier: GPL-2.0-only
/*
 * Single-instance lock and module loading for updatectl (see runtime.h).
 * The lock is an flock() on a file under /run, so it disappears with the
 * process and with a reboot; the file records the holder's pid for the
 * message a second instance prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libkmod.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fwguard.h>

#include "userspace/common/log.h"
#include "userspace/lib/runtime.h"

static int holder_pid(int fd)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	return n > 0 ? atoi(buf) : 0;
}

int uc_lock(void)
{
	const char *path = getenv("FWGUARD_LOCK") ? getenv("FWGUARD_LOCK") : UC_LOCK_DEFAULT;
	char dir[PATH_MAX], pid[32];
	int fd, err;

	snprintf(dir, sizeof(dir), "%s", path);
	mkdir(dirname(dir), 0700);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		fwg_log_error("cannot open lock %s: %s", path, strerror(errno));
		return err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (err == -EBUSY)
			fwg_log_error("another updatectl (pid %d) is running",
				holder_pid(fd));
		else
			fwg_log_error("cannot lock %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	/* The pid is informative only: failing to record it is not fatal. */
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, pid, strlen(pid), 0);
	return fd;
}

int uc_module_ensure(void)
{
	struct kmod_module *mod = NULL;
	struct kmod_list *list = NULL;
	struct kmod_ctx *ctx;
	int err;

	if (access(FWGUARD_DEVICE, F_OK) == 0)
		return 0;
	ctx = kmod_new(NULL, NULL);
	if (!ctx) {
		fwg_log_error("cannot initialise libkmod");
		return -ENOMEM;
	}
	err = kmod_module_new_from_lookup(ctx, "fwguard", &list);
	if (err < 0 || !list) {
		fwg_log_error("fwguard kernel module is not installed for this kernel");
		err = -ENOENT;
		goto out;
	}
	mod = kmod_module_get_module(list);
	/* Applies the options and install commands of /etc/modprobe.d. */
	err = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
	if (err < 0)
		fwg_log_error("cannot load fwguard: %s", strerror(-err));
	else if (access(FWGUARD_DEVICE, F_OK) < 0)
		err = -ENODEV;
	if (err == -ENODEV)
		fwg_log_error("fwguard loaded but %s is missing", FWGUARD_DEVICE);
out:
	kmod_module_unref(mod);
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	return err < 0 ? err : 0;
}
