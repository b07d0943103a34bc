/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A throw-away swtpm for one test (or one benchmark run): a fresh state
 * directory, a free port pair on 127.0.0.1, `swtpm socket` started with
 * not-need-init,startup-clear, and helpers to kill it or restart it on the
 * same state (a reboot: PCRs reset, NV kept). Header-only so that the tests
 * and the benchmark share it without it joining the library.
 */
#ifndef FWGUARD_TESTS_SWTPM_H
#define FWGUARD_TESTS_SWTPM_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct swtpm {
	char dir[256];		/* per-test root, removed at teardown */
	char tpmstate[300];	/* swtpm's NV */
	char statedir[300];	/* fwguard's --state-dir */
	char tcti[64];
	int port;
	int portlock;		/* fd + 1 of the port pair's lock file; 0: none */
	pid_t pid;
};

static inline bool swtpm_port_free(int port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * A port pair is free only when nothing is bound to it and no other test
 * holds its lock file. The lock is kept until teardown: a test that
 * restarts its swtpm (a reboot) leaves the pair unbound for a moment, and
 * another test's swtpm must not take it then and answer in its place.
 */
static inline int swtpm_lock_port(int port)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/fwguard-swtpm-%d.lock", port);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int swtpm_pick_port(struct swtpm *t)
{
	int tries, port, fd;

	static unsigned int seed;

	if (!seed)
		seed = (unsigned int)(getpid() ^ time(NULL));
	for (tries = 0; tries < 200; tries++) {
		port = 20000 + 2 * (int)(rand_r(&seed) % 15000);
		fd = swtpm_lock_port(port);
		if (fd < 0)
			continue;
		if (swtpm_port_free(port) && swtpm_port_free(port + 1)) {
			t->portlock = fd + 1;
			return port;
		}
		close(fd);
	}
	return -1;
}

static inline void swtpm_unlock_port(struct swtpm *t)
{
	if (t->portlock > 0)
		close(t->portlock - 1);
	t->portlock = 0;
}

static inline bool swtpm_listening(int port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static inline int swtpm_run_quiet(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Start swtpm on the existing state; wait until it accepts connections. */
static inline int swtpm_start(struct swtpm *t)
{
	char server[64], ctrl[64], state[320];
	int i;

	snprintf(server, sizeof(server), "type=tcp,port=%d,bindaddr=127.0.0.1", t->port);
	snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d,bindaddr=127.0.0.1", t->port + 1);
	snprintf(state, sizeof(state), "dir=%s", t->tpmstate);
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (t->pid == 0) {
		char *argv[] = { "swtpm", "socket", "--tpm2", "--server", server,
				 "--ctrl", ctrl, "--tpmstate", state, "--flags",
				 "not-need-init,startup-clear", NULL };
		int null = open("/dev/null", O_WRONLY);

		/* Never outlive the test, even one the harness kills. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		struct timespec pause = { 0, 10 * 1000 * 1000 };

		if (swtpm_listening(t->port))
			return 0;
		if (waitpid(t->pid, NULL, WNOHANG) == t->pid) {
			t->pid = 0;
			return -ECHILD;
		}
		nanosleep(&pause, NULL);
	}
	return -ETIMEDOUT;
}

static inline void swtpm_kill(struct swtpm *t)
{
	if (t->pid <= 0)
		return;
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	t->pid = 0;
}

/* A reboot as the TPM sees it: volatile state (PCRs) gone, NV kept. */
static inline int swtpm_reboot(struct swtpm *t)
{
	swtpm_kill(t);
	return swtpm_start(t);
}

/* sha1_only: manufacture the state with only the SHA-1 bank allocated. */
static inline int swtpm_setup_fresh(struct swtpm *t, bool sha1_only)
{
	int err, tries;

	t->portlock = 0;
	snprintf(t->dir, sizeof(t->dir), "/tmp/fwguard-tpm-test.XXXXXX");
	if (!mkdtemp(t->dir))
		return -errno;
	snprintf(t->tpmstate, sizeof(t->tpmstate), "%s/tpm", t->dir);
	snprintf(t->statedir, sizeof(t->statedir), "%s/state", t->dir);
	if (mkdir(t->tpmstate, 0700) < 0)
		return -errno;
	if (sha1_only) {
		char *argv[] = { "swtpm_setup", "--tpm2", "--tpmstate", t->tpmstate,
				 "--pcr-banks", "sha1", "--overwrite", NULL };

		err = swtpm_run_quiet(argv);
		if (err)
			return err;
	}
	/* Another test may grab the port between our probe and swtpm's bind:
	 * then swtpm exits and we try another pair. */
	for (tries = 0; tries < 5; tries++) {
		swtpm_unlock_port(t);
		t->port = swtpm_pick_port(t);
		if (t->port < 0)
			return -EADDRINUSE;
		snprintf(t->tcti, sizeof(t->tcti), "swtpm:host=127.0.0.1,port=%d",
			 t->port);
		err = swtpm_start(t);
		if (err != -ECHILD)
			return err;
	}
	return -EADDRINUSE;
}

static inline void swtpm_teardown(struct swtpm *t)
{
	char *argv[] = { "rm", "-rf", t->dir, NULL };

	swtpm_kill(t);
	swtpm_unlock_port(t);
	if (t->dir[0])
		swtpm_run_quiet(argv);
}

/*
 * In a kselftest_harness test: every path, success or refusal, must leave
 * no object or session loaded in the TPM @tpm talks to. The context's own
 * salted session (and transient SRK) go first.
 */
#define ASSERT_NOTHING_LOADED(tpm)						\
	do {									\
		uint32_t objects_ = 99, sessions_ = 99;				\
										\
		fwg_tpm_end_session(tpm);					\
		ASSERT_EQ(0, fwg_tpm_loaded_handles(tpm, &objects_, &sessions_)); \
		EXPECT_EQ(0u, objects_);					\
		EXPECT_EQ(0u, sessions_);					\
	} while (0)

#endif /* FWGUARD_TESTS_SWTPM_H */
