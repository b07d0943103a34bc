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
 *
 * Each call has BOOTCTL_EXEC_TIMEOUT_S seconds: then the executable's
 * process group is killed and the call fails with -ETIMEDOUT (a hung tool
 * must not hold the updatectl lock for ever). Its output is what it wrote
 * before it exited: a child it left behind holding standard output is not
 * waited for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "userspace/common/log.h"
#include "userspace/lib/bootctl.h"

#define BOOTED_MAX	16
#define BOOTCTL_EXEC_TIMEOUT_S	10
#define POLL_MS		50

static void child(const char *exe, char *const argv[], int out)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (setpgid(0, 0) || null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    (out >= 0 && dup2(out, STDOUT_FILENO) < 0))
		_exit(127);
	execv(exe, argv);
	_exit(127);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read what is ready on @fd into @buf (at most @size bytes in all); -1: done with it. */
static int read_ready(int fd, char *buf, size_t size, size_t *used, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, wait_ms) <= 0)
		return fd;	/* nothing yet (or EINTR): ask again */
	n = read(fd, buf + *used, size - *used);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? fd : -1;
	*used += (size_t)n;
	return n == 0 || *used == size ? -1 : fd;	/* EOF, or all we take */
}

/*
 * Wait for @pid, reading its output from @fd (-1: none) meanwhile; after it
 * exited, only what it wrote is read. Killed (its group) after the timeout.
 */
static int wait_child(const char *what, pid_t pid, int fd, char *out, size_t size,
		      size_t *used, int *status)
{
	long deadline = now_ms() + BOOTCTL_EXEC_TIMEOUT_S * 1000L;
	bool exited = false;
	pid_t r;

	for (;;) {
		r = exited ? pid : waitpid(pid, status, WNOHANG);	/* reaped once */
		if (r < 0 && errno != EINTR)
			return -errno;
		exited = r == pid;
		if (exited && fd < 0)
			return 0;
		if (fd >= 0) {
			size_t before = *used;

			fd = read_ready(fd, out, size, used, exited ? 0 : POLL_MS);
			if (exited && fd >= 0 && *used == before)
				return 0;	/* all it wrote is read */
		} else {
			poll(NULL, 0, POLL_MS);
		}
		if (!exited && now_ms() > deadline)
			break;
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	fwg_log_error("bootctl_exec %s: no answer within %d s; killed", what,
		      BOOTCTL_EXEC_TIMEOUT_S);
	return -ETIMEDOUT;
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
	int pipefd[2] = { -1, -1 }, status = 0, err;
	size_t used = 0;
	pid_t pid;

	if (out && pipe2(pipefd, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		fwg_log_error("bootctl_exec %s: cannot fork: %s", what, strerror(-err));
		if (out) {
			close(pipefd[0]);
			close(pipefd[1]);
		}
		return err;
	}
	if (!pid)
		child(argv[0], argv, pipefd[1]);
	if (out)
		close(pipefd[1]);
	err = wait_child(what, pid, pipefd[0], out, size, &used, &status);
	if (out) {
		close(pipefd[0]);
		*got = (ssize_t)used;
	}
	return err ? err : status_err(what, status);
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
