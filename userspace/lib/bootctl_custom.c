// SPDX-License-Identifier: GPL-2.0-only
/*
 * The `custom` backend: the executable named by bootctl_exec, run without
 * a shell, standard input /dev/null, standard error passed through:
 *
 *   EXE booted                 print "a" or "b" (one line): the slot that
 *                              booted
 *   EXE set-trial SLOT TRIES   boot SLOT next, at most TRIES times unless
 *                              it is marked good
 *   EXE mark-good SLOT         SLOT is confirmed: boot it without counting
 *   EXE mark-bad SLOT          never boot SLOT (until a set-trial)
 *
 * SLOT is "a" or "b", TRIES a decimal number from 1 to 99. Exit status 0:
 * done; 1: the bootloader's record could not be read or written (-EIO);
 * 2: bad arguments or an operation it does not know (-EINVAL); anything
 * else, a signal, or for `booted` an output other than "a" or "b": -EIO
 * (-EBADMSG for the output). Every failure is logged with the command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "userspace/common/log.h"
#include "userspace/lib/bootctl.h"

#define BOOTED_MAX	16

static void child(const char *exe, char *const argv[], int out)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || (out >= 0 && dup2(out, STDOUT_FILENO) < 0))
		_exit(127);
	execv(exe, argv);
	_exit(127);
}

/* Read what the child prints, at most @size - 1 bytes (more is refused). */
static ssize_t read_output(int fd, char *buf, size_t size)
{
	size_t used = 0;
	ssize_t n;

	while ((n = read(fd, buf + used, size - used)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && (used += (size_t)n) == size)
			break;
	if (n < 0)
		return -errno;
	return (ssize_t)used;
}

static int status_err(const char *what, int status)
{
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	if (WIFEXITED(status))
		fwg_log_error("bootctl_exec %s: exit status %d", what, WEXITSTATUS(status));
	else
		fwg_log_error("bootctl_exec %s: killed by signal %d", what, WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 2 ? -EINVAL : -EIO;
}

/* Run @argv; its standard output into @out (when not NULL). */
static int run(const char *what, char *const argv[], char *out, size_t size, ssize_t *got)
{
	int pipefd[2] = { -1, -1 }, status;
	pid_t pid;

	if (out && pipe2(pipefd, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		fwg_log_error("bootctl_exec %s: cannot fork: %s", what, strerror(-err));
		if (out) {
			close(pipefd[0]);
			close(pipefd[1]);
		}
		return err;
	}
	if (!pid)
		child(argv[0], argv, pipefd[1]);
	if (out) {
		close(pipefd[1]);
		*got = read_output(pipefd[0], out, size);
		close(pipefd[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return status_err(what, status);
}

int bootctl_custom_booted(const char *exe, int *slot)
{
	char *argv[] = { (char *)exe, "booted", NULL };
	char out[BOOTED_MAX + 1];
	ssize_t got = 0;
	int err;

	err = run("booted", argv, out, BOOTED_MAX, &got);
	if (err)
		return err;
	if (got < 0)
		return (int)got;
	out[got] = '\0';
	if (got && out[got - 1] == '\n')
		out[got - 1] = '\0';
	if (bootctl_parse_slot(out, slot) || (out[0] != 'a' && out[0] != 'b')) {
		fwg_log_error("bootctl_exec booted: printed '%.*s', not a or b", BOOTED_MAX, out);
		return -EBADMSG;
	}
	return 0;
}

int bootctl_custom_call(const char *exe, const char *verb, int slot, unsigned int tries)
{
	char name[2] = { bootctl_slot_name(slot), '\0' }, count[8], what[48];
	char *argv[] = { (char *)exe, (char *)verb, name, count, NULL };

	snprintf(count, sizeof(count), "%u", tries);
	if (strcmp(verb, "set-trial"))
		argv[3] = NULL;
	snprintf(what, sizeof(what), "%s %s%s%s", verb, name, argv[3] ? " " : "",
		 argv[3] ? count : "");
	return run(what, argv, NULL, 0, NULL);
}
