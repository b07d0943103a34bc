// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark helper (not a test): in-kernel SHA-256 throughput through an
 * AF_ALG hash socket, the kernel crypto API an update session hashes with.
 *
 * Usage: afalg-hash [ALG] [MIB]
 *   ALG  a crypto API name: "sha256" (the highest-priority driver, what
 *        crypto_alloc_shash("sha256") gives the module) or a driver name
 *        such as "sha256-generic" or "sha256-avx2" (default: sha256)
 *   MIB  how much to hash, fed in 1 MiB writes as the session is fed
 *        (default: 256)
 * Prints one line: "afalg ALG MIB MiB SECONDS s RATE MiB/s DIGEST".
 * The data is a pattern in memory: no file system or disk is involved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/if_alg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	(1u << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* An operation socket for @alg, or -1 (reported). */
static int afalg_open(const char *alg)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "hash" };
	int tfm, op;

	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", alg);
	tfm = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (tfm < 0 || bind(tfm, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "afalg-hash: %s: %s\n", alg, strerror(errno));
		if (tfm >= 0)
			close(tfm);
		return -1;
	}
	op = accept4(tfm, NULL, NULL, SOCK_CLOEXEC);
	if (op < 0)
		fprintf(stderr, "afalg-hash: accept: %s\n", strerror(errno));
	close(tfm);
	return op;
}

/* Feed @len bytes of @buf, all but the last write with MSG_MORE. */
static int afalg_feed(int op, const uint8_t *buf, size_t len, int more)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(op, buf + done, len - done, more ? MSG_MORE : 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "afalg-hash: send: %s\n", strerror(errno));
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *alg = argc > 1 ? argv[1] : "sha256";
	long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 256;
	uint8_t *buf, digest[32];
	double start, secs;
	long i;
	int op;

	if (mib <= 0) {
		fprintf(stderr, "usage: afalg-hash [ALG] [MIB]\n");
		return 2;
	}
	buf = malloc(CHUNK);
	if (!buf)
		return 1;
	for (i = 0; i < CHUNK; i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 9));
	op = afalg_open(alg);
	if (op < 0)
		return 1;
	start = now_s();
	for (i = 0; i < mib; i++)
		if (afalg_feed(op, buf, CHUNK, i + 1 < mib))
			return 1;
	if (read(op, digest, sizeof(digest)) != (ssize_t)sizeof(digest)) {
		fprintf(stderr, "afalg-hash: read digest: %s\n", strerror(errno));
		return 1;
	}
	secs = now_s() - start;
	printf("afalg %s %ld MiB %.3f s %.1f MiB/s ", alg, mib, secs, mib / secs);
	for (i = 0; i < 32; i++)
		printf("%02x", digest[i]);
	printf("\n");
	close(op);
	free(buf);
	return 0;
}
