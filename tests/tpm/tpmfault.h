/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fault-injecting proxy between a TCTI and swtpm (tests/tpm/swtpm.h),
 * run as a thread of the test: it listens on its own port pair on
 * 127.0.0.1, relays the control channel byte for byte and the command
 * channel one TPM command at a time, counting the commands and their
 * codes. At the command numbered @at it can stop swtpm (SIGKILL, before
 * the command reaches it), hold the command and never answer (a TPM that
 * stopped responding; the connection stays open until the client closes
 * it), or answer in swtpm's place with a response code
 * (TPM_RC_OBJECT_MEMORY, TPM_RC_NV_RATE, TPM_RC_LOCKOUT...) that the
 * command then never executed: a mock of what a real TPM answers when
 * its object slots are full, its NV wear limiter holds writes back, or
 * dictionary-attack lockout is on, which swtpm cannot be made to answer
 * on demand. Header-only, like swtpm.h.
 */
#ifndef FWGUARD_TESTS_TPMFAULT_H
#define FWGUARD_TESTS_TPMFAULT_H

#include <poll.h>
#include <pthread.h>
#include <stdint.h>

#include "tests/tpm/swtpm.h"

#define TF_MAX_CMDS	512
#define TF_RC_OBJECT_MEMORY	0x902u
#define TF_RC_NV_RATE		0x920u
#define TF_RC_LOCKOUT		0x921u

enum tf_kind { TF_NONE, TF_STOP, TF_HANG, TF_RC };

struct tpmfault {
	struct swtpm *up;	/* the swtpm behind the proxy */
	struct swtpm own;	/* only its port pair and lock are used */
	char tcti[64];		/* the proxy's TCTI configuration */
	int lfd[2];		/* listening: command, control */
	int wake[2];		/* a pipe that stops the accept thread */
	pthread_t thread;
	pthread_mutex_t lock;
	/* the fault: at command @at (0-based), @count commands (0: all after) */
	enum tf_kind kind;
	unsigned int at, count;
	uint32_t rc;
	/* what was seen since tf_arm() */
	unsigned int commands, faulted;
	uint32_t cc[TF_MAX_CMDS];
};

static inline int tf_read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static inline int tf_write_full(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static inline uint32_t tf_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline int tf_connect(int port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* One TPM message (header, then the size it names) from @fd into @buf. */
static inline int tf_read_msg(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	uint32_t size;

	if (tf_read_full(fd, buf, 10))
		return -1;
	size = tf_be32(buf + 2);
	if (size < 10 || size > cap)
		return -1;
	*len = size;
	return tf_read_full(fd, buf + 10, size - 10);
}

/* The fault for the command just counted as number @n, decided under the lock. */
static inline enum tf_kind tf_decide(struct tpmfault *f, unsigned int n, uint32_t cc)
{
	enum tf_kind k = TF_NONE;

	pthread_mutex_lock(&f->lock);
	if (n < TF_MAX_CMDS)
		f->cc[n] = cc;
	f->commands = n + 1;
	if (f->kind != TF_NONE && n >= f->at && (!f->count || n < f->at + f->count)) {
		k = f->kind;
		f->faulted++;
	}
	pthread_mutex_unlock(&f->lock);
	return k;
}

static inline unsigned int tf_next(struct tpmfault *f)
{
	unsigned int n;

	pthread_mutex_lock(&f->lock);
	n = f->commands;
	pthread_mutex_unlock(&f->lock);
	return n;
}

static inline void *tf_command_conn(void *arg)
{
	static __thread uint8_t buf[8192];
	struct tpmfault *f = ((void **)arg)[0];
	int cfd = (int)(intptr_t)((void **)arg)[1], ufd = -1;
	size_t len;

	free(arg);
	while (!tf_read_msg(cfd, buf, sizeof(buf), &len)) {
		enum tf_kind k = tf_decide(f, tf_next(f), tf_be32(buf + 6));

		if (k == TF_STOP) {
			swtpm_kill(f->up);
			break;
		}
		if (k == TF_HANG) {
			while (read(cfd, buf, sizeof(buf)) > 0)
				;
			break;
		}
		if (k == TF_RC) {
			uint8_t rsp[10] = { 0x80, 0x01, 0, 0, 0, 10 };

			rsp[6] = (uint8_t)(f->rc >> 24);
			rsp[7] = (uint8_t)(f->rc >> 16);
			rsp[8] = (uint8_t)(f->rc >> 8);
			rsp[9] = (uint8_t)f->rc;
			if (tf_write_full(cfd, rsp, sizeof(rsp)))
				break;
			continue;
		}
		if (ufd < 0)
			ufd = tf_connect(f->up->port);
		if (ufd < 0 || tf_write_full(ufd, buf, len) ||
		    tf_read_msg(ufd, buf, sizeof(buf), &len) || tf_write_full(cfd, buf, len))
			break;
	}
	if (ufd >= 0)
		close(ufd);
	close(cfd);
	return NULL;
}

/* The control channel, relayed as it is. */
static inline void *tf_control_conn(void *arg)
{
	struct tpmfault *f = ((void **)arg)[0];
	int cfd = (int)(intptr_t)((void **)arg)[1];
	int ufd = tf_connect(f->up->port + 1);
	uint8_t buf[4096];

	free(arg);
	while (ufd >= 0) {
		struct pollfd p[2] = { { .fd = cfd, .events = POLLIN },
				       { .fd = ufd, .events = POLLIN } };
		ssize_t n;
		int i;

		if (poll(p, 2, -1) < 0)
			break;
		for (i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0 || tf_write_full(p[1 - i].fd, buf, (size_t)n))
				goto out;
		}
	}
out:
	if (ufd >= 0)
		close(ufd);
	close(cfd);
	return NULL;
}

static inline void *tf_accept(void *arg)
{
	struct tpmfault *f = arg;

	for (;;) {
		struct pollfd p[3] = { { .fd = f->lfd[0], .events = POLLIN },
				       { .fd = f->lfd[1], .events = POLLIN },
				       { .fd = f->wake[0], .events = POLLIN } };
		pthread_t t;
		int i;

		if (poll(p, 3, -1) < 0 || p[2].revents)
			return NULL;
		for (i = 0; i < 2; i++) {
			void **a;
			int fd;

			if (!(p[i].revents & POLLIN))
				continue;
			fd = accept4(f->lfd[i], NULL, NULL, SOCK_CLOEXEC);
			a = fd >= 0 ? malloc(2 * sizeof(void *)) : NULL;
			if (!a) {
				if (fd >= 0)
					close(fd);
				continue;
			}
			a[0] = f;
			a[1] = (void *)(intptr_t)fd;
			if (pthread_create(&t, NULL, i ? tf_control_conn : tf_command_conn, a)) {
				close(fd);
				free(a);
				continue;
			}
			pthread_detach(t);
		}
	}
}

static inline int tf_listen(int port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 8)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Start the proxy in front of @up. 0 or -errno. */
static inline int tf_start(struct tpmfault *f, struct swtpm *up)
{
	memset(f, 0, sizeof(*f));
	f->up = up;
	pthread_mutex_init(&f->lock, NULL);
	f->own.port = swtpm_pick_port(&f->own);
	if (f->own.port < 0)
		return -EADDRINUSE;
	f->lfd[0] = tf_listen(f->own.port);
	f->lfd[1] = tf_listen(f->own.port + 1);
	if (f->lfd[0] < 0 || f->lfd[1] < 0 || pipe2(f->wake, O_CLOEXEC))
		return -EADDRINUSE;
	snprintf(f->tcti, sizeof(f->tcti), "swtpm:host=127.0.0.1,port=%d", f->own.port);
	return pthread_create(&f->thread, NULL, tf_accept, f) ? -EAGAIN : 0;
}

/* Count from zero again, with this fault (TF_NONE: only count). */
static inline void tf_arm(struct tpmfault *f, enum tf_kind kind, unsigned int at,
			  unsigned int count, uint32_t rc)
{
	pthread_mutex_lock(&f->lock);
	f->kind = kind;
	f->at = at;
	f->count = count;
	f->rc = rc;
	f->commands = 0;
	f->faulted = 0;
	pthread_mutex_unlock(&f->lock);
}

static inline void tf_stop(struct tpmfault *f)
{
	if (write(f->wake[1], "x", 1) == 1)
		pthread_join(f->thread, NULL);
	close(f->lfd[0]);
	close(f->lfd[1]);
	close(f->wake[0]);
	close(f->wake[1]);
	swtpm_unlock_port(&f->own);
}

#endif /* FWGUARD_TESTS_TPMFAULT_H */
