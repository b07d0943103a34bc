// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark helper (not a test): boot-verify on the host, where the CPU is
 * real, against sha256sum and `openssl dgst -sha256` of the same slot.
 *
 * Usage: bench-verify-host [MIB] [ROUNDS]
 * A simulated device (tests/tpm/abdev.h: a fresh swtpm on loopback, a
 * state directory, files as slots) gets a MIB (default 64) MiB image
 * installed into a slot, the whole slot file; then each of ROUNDS (default
 * 5) boots times sha256sum, openssl and boot-verify of that file, in that order,
 * boot-verify hashing the file with the function `updatectl boot-verify`
 * hashes a partition with (bundle_stream()) and running the library's
 * boot-verify (abstate.c) with its TPM commands, whose wait for the TPM
 * is taken from the TPM context. Each boot ends with mark-good, so the
 * next one verifies the same slot. The file is read from the page cache
 * by all three (the host's cache cannot be dropped here).
 * Prints "host_NAME ROUND SECONDS" lines for tests/bench/bench-report.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Its slot names are bounded by construction; GCC cannot see it here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "tests/tpm/abdev.h"
#pragma GCC diagnostic pop
#include "userspace/lib/bundle_io.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The slot file hashed as boot.c's hash_slot() hashes a partition. */
static int file_hash(void *arg, const struct pc_component *c, int idx, uint64_t len,
		     uint8_t digest[FWG_DIGEST_SIZE])
{
	const char *path;
	int fd, err;

	if (abdev_path(arg, c, idx, &path))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = bundle_stream(fd, 0, len, -1, 0, digest);
	close(fd);
	return err;
}

/* Install a @bytes image into the inactive slot, as install.c does; @target set. */
static int install_big(struct abdev *d, uint64_t bytes, int *target)
{
	const struct pc_component *c = &d->pc.component[0];
	uint8_t ticket[16], digest[FWG_DIGEST_SIZE];
	struct ab_install in;
	char cmd[600];
	int err;

	abdev_ticket(d, ticket);
	err = ab_install_plan(&d->m, c, 1, ticket, false, &in);
	if (!err)
		err = ab_install_start(&d->m, &in);
	if (err)
		return err;
	*target = in.target;
	snprintf(cmd, sizeof(cmd), "head -c %llu /dev/urandom >%s",
		 (unsigned long long)bytes, d->img[0][in.target]);
	if (system(cmd))
		return -EIO;
	err = file_hash(d, c, in.target, bytes, digest);
	return err ? err : ab_install_commit(&d->m, &in, bytes, digest);
}

/* Time "PROGRAM PATH" (the whole slot file), its output discarded. */
static int timed_cmd(const char *name, int round, const char *program, const char *path)
{
	char cmd[700];
	double t0;

	snprintf(cmd, sizeof(cmd), "%s %s >/dev/null", program, path);
	t0 = now_s();
	if (system(cmd))
		return -1;
	printf("host_%s %d %.6f\n", name, round, now_s() - t0);
	return 0;
}

static int one_boot(struct abdev *d, int round, const char *path)
{
	struct uc_boot_component out[PC_MAX_COMPONENTS];
	uint64_t ns0, ns1;
	double t0, t1;
	int err;

	if (abdev_reboot(d))
		return -1;
	if (timed_cmd("sha256sum", round, "sha256sum", path) ||
	    timed_cmd("openssl", round, "openssl dgst -sha256", path))
		return -1;
	fwg_tpm_stats(d->tpm, NULL, &ns0);
	t0 = now_s();
	err = abdev_verify(d, out);
	t1 = now_s();
	fwg_tpm_stats(d->tpm, NULL, &ns1);
	if (err || out[0].err) {
		fprintf(stderr, "bench-verify-host: boot-verify: %d\n", err ? err : out[0].err);
		return -1;
	}
	printf("host_boot_verify %d %.6f\nhost_tpm %d %.6f\n", round, t1 - t0, round,
	       (double)(ns1 - ns0) / 1e9);
	abdev_mark_good(d, out);
	return 0;
}

static struct abdev d;

static int setup(uint64_t bytes, int *slot)
{
	int err = abdev_setup(&d, 1);

	if (err)
		return err;
	d.ops.hash = file_hash;
	return install_big(&d, bytes, slot);
}

int main(int argc, char **argv)
{
	uint64_t bytes = (uint64_t)(argc > 1 ? atoi(argv[1]) : 64) << 20;
	int rounds = argc > 2 ? atoi(argv[2]) : 5, r, err, slot = 1;

	if (!bytes || rounds <= 0) {
		fprintf(stderr, "usage: bench-verify-host [MIB] [ROUNDS]\n");
		return 2;
	}
	err = setup(bytes, &slot);
	if (err) {
		fprintf(stderr, "bench-verify-host: setup: %d\n", err);
		abdev_teardown(&d);
		return 1;
	}
	/* Warm the page cache and load both programs. */
	if (system("openssl version >/dev/null"))
		fprintf(stderr, "bench-verify-host: no openssl\n");
	timed_cmd("warm", 0, "sha256sum", d.img[0][slot]);
	for (r = 1; r <= rounds && !err; r++)
		err = one_boot(&d, r, d.img[0][slot]);
	abdev_teardown(&d);
	return err ? 1 : 0;
}
