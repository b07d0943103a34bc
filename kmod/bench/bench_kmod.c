// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard benchmark, run inside a fresh guest (not a timed test: it prints
 * ratios measured in one boot):
 *  1. 4 KiB random O_DIRECT write IOPS on an unprotected null_blk device,
 *     in alternating rounds without fwguard.ko and with it loaded (hooks
 *     attached, no policy yet, so it can be unloaded again), ROUNDS of
 *     each, then ROUNDS more with the policy locked (which pins the
 *     module until reboot, so these come last); printed as the median
 *     ratio to the rounds without the module and the spread (min..max).
 *     The ratio shows what the hooks cost every write in the system.
 *     null_blk disks have no partitions, so its queue is never gated:
 *     the gate's cost on a protected driver's other queues is not in
 *     this figure (a few compares per non-read request);
 *  2. session write throughput for a 256 MiB image (hash + own bios +
 *     commit) as a ratio to O_DIRECT 1 MiB writes (dd oflag=direct) into
 *     the unprotected data partition of the same disk.
 * Needs a scratch disk whose fw_b and data partitions hold 256 MiB
 * (tests/vm/mkdisk IMG 300 300) and a boot in which fwguard is not loaded.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <time.h>

#include "tests/kselftest/fwguard_util.h"

#define IOPS_SECONDS	3
#define ROUNDS		5
#define IOPS_THREADS	2
#define IMAGE_BYTES	(256u << 20)
#define CHUNK		(1u << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct iops_worker {
	const char *node;
	uint64_t dev_bytes;
	double until;
	unsigned long ops;
	int err;
};

static void *iops_run(void *arg)
{
	struct iops_worker *w = arg;
	uint64_t blocks = w->dev_bytes / 4096, x = (uint64_t)(uintptr_t)w | 1;
	void *buf;
	int fd;

	if (posix_memalign(&buf, 4096, 4096)) {
		w->err = ENOMEM;
		return NULL;
	}
	memset(buf, 0x5a, 4096);
	fd = open(w->node, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		w->err = errno;
		free(buf);
		return NULL;
	}
	while (!w->err) {
		unsigned int i;

		for (i = 0; i < 256; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (pwrite(fd, buf, 4096, (off_t)((x % blocks) * 4096)) != 4096) {
				w->err = errno ? errno : EIO;
				break;
			}
			w->ops++;
		}
		if (now_s() >= w->until)
			break;
	}
	close(fd);
	free(buf);
	return NULL;
}

static double measure_iops(const char *node, uint64_t bytes)
{
	struct iops_worker w[IOPS_THREADS];
	pthread_t th[IOPS_THREADS];
	double start = now_s(), total = 0;
	int i;

	for (i = 0; i < IOPS_THREADS; i++) {
		w[i] = (struct iops_worker){ .node = node, .dev_bytes = bytes,
					     .until = start + IOPS_SECONDS };
		pthread_create(&th[i], NULL, iops_run, &w[i]);
	}
	for (i = 0; i < IOPS_THREADS; i++) {
		pthread_join(th[i], NULL);
		if (w[i].err) {
			fprintf(stderr, "bench: write to %s: %s\n", node, strerror(w[i].err));
			return -1;
		}
		total += w[i].ops;
	}
	return total / (now_s() - start);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double sorted[ROUNDS];

	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/*
 * ROUNDS alternating rounds without and with the module (loaded without a
 * policy, then unloaded). @ratios gets with/without per pair.
 */
static int alternate_rounds(const char *node, uint64_t bytes, double *off, double *ratios)
{
	double on;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		off[i] = measure_iops(node, bytes);
		if (off[i] <= 0 || fwg_module_load("keyring_mode=provision"))
			return -1;
		on = measure_iops(node, bytes);
		if (syscall(SYS_delete_module, "fwguard", O_NONBLOCK)) {
			fprintf(stderr, "bench-kmod: cannot unload fwguard: %s\n", strerror(errno));
			return -1;
		}
		if (on <= 0)
			return -1;
		ratios[i] = on / off[i];
	}
	return 0;
}

static void print_ratios(const char *what, const double *ratios)
{
	double lo = ratios[0], hi = ratios[0];
	int i;

	for (i = 1; i < ROUNDS; i++) {
		lo = ratios[i] < lo ? ratios[i] : lo;
		hi = ratios[i] > hi ? ratios[i] : hi;
	}
	printf("null_blk 4k randwrite IOPS, %s: median ratio %.3f, spread %.3f..%.3f over %d rounds (target median >= 0.98)\n",
	       what, median(ratios, ROUNDS), lo, hi, ROUNDS);
}

static double direct_write_mbps(const char *node, const uint8_t *image)
{
	double start;
	uint64_t off;
	int fd;

	fd = open(node, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return -1;
	start = now_s();
	for (off = 0; off < IMAGE_BYTES; off += CHUNK)
		if (pwrite(fd, image + off, CHUNK, (off_t)off) != CHUNK) {
			fprintf(stderr, "bench: O_DIRECT write to %s: %s\n", node, strerror(errno));
			close(fd);
			return -1;
		}
	fsync(fd);
	close(fd);
	return IMAGE_BYTES / (now_s() - start) / 1e6;
}

static double session_mbps(const struct fwg_part *b, const uint8_t *image)
{
	struct fwguard_commit c;
	struct fwguard_ticket t;
	double start, secs;
	uint8_t *der;
	size_t len;
	int fd, err;

	fwg_ticket_init(&t, image, IMAGE_BYTES, 1);
	if (fwg_ticket_sign(&t, "signer", &der, &len))
		return -1;
	start = now_s();
	fd = fwg_begin_der(b, der, len);
	free(der);
	if (fd < 0) {
		fprintf(stderr, "bench: BEGIN: %s\n", strerror(-fd));
		return -1;
	}
	err = fwg_stream(fd, image, IMAGE_BYTES, CHUNK);
	if (!err)
		err = fwg_commit(fd, &c);
	close(fd);
	secs = now_s() - start;
	if (err) {
		fprintf(stderr, "bench: session: %s\n", strerror(-err));
		return -1;
	}
	return IMAGE_BYTES / secs / 1e6;
}

/* null_blk, the slots and an aligned image; NULL (reported) when missing. */
static uint8_t *bench_prepare(struct fwg_part *b, struct fwg_part *data)
{
	uint8_t *image;
	size_t i;

	/* udev would load the CPU's SHA-256 driver on a real device. */
	if (system("modprobe -q sha256_ssse3"))
		printf("bench-kmod: no accelerated sha256 module, using sha256-generic\n");
	if (system("modprobe null_blk nr_devices=1 gb=1 bs=4096 queue_mode=2 irqmode=0") ||
	    access("/dev/nullb0", F_OK)) {
		fprintf(stderr, "bench-kmod: null_blk unavailable\n");
		return NULL;
	}
	if (fwg_find_part("data", data) || fwg_find_part("fw_b", b) ||
	    data->sectors * 512 < IMAGE_BYTES || b->sectors * 512 < IMAGE_BYTES) {
		fprintf(stderr, "bench-kmod: needs fw_b and data of 256 MiB (tests/vm/mkdisk IMG 300 300)\n");
		return NULL;
	}
	/* O_DIRECT needs an aligned buffer; the session does not care. */
	if (posix_memalign((void **)&image, 4096, IMAGE_BYTES))
		return NULL;
	for (i = 0; i < IMAGE_BYTES; i++)
		image[i] = (uint8_t)(i * 131 + (i >> 9));
	return image;
}

int main(void)
{
	struct fwg_part a, b, data;
	double off[ROUNDS], ratios[ROUNDS], locked[ROUNDS], base, direct, session;
	uint64_t null_bytes = 1ull << 30;
	uint8_t *image;
	int err, i;

	if (!access("/sys/module/fwguard", F_OK)) {
		printf("bench-kmod: fwguard is already loaded; the baseline needs a fresh boot\n");
		return 0;
	}
	image = bench_prepare(&b, &data);
	if (!image)
		return 1;
	if (alternate_rounds("/dev/nullb0", null_bytes, off, ratios)) {
		fprintf(stderr, "bench-kmod: the alternating rounds failed\n");
		return 1;
	}
	direct = direct_write_mbps(data.node, image);
	err = fwg_setup(&a, &b);
	if (err) {
		fprintf(stderr, "bench-kmod: cannot load fwguard with a policy: %s\n", strerror(-err));
		return 1;
	}
	base = median(off, ROUNDS);
	for (i = 0; i < ROUNDS; i++) {
		locked[i] = measure_iops("/dev/nullb0", null_bytes) / base;
		if (locked[i] <= 0)
			return 1;
	}
	session = session_mbps(&b, image);
	free(image);
	if (direct <= 0 || session <= 0) {
		fprintf(stderr, "bench-kmod: a measurement failed (%.1f %.1f)\n", direct, session);
		return 1;
	}

	printf("null_blk 4k randwrite IOPS without fwguard: median %.0f\n", base);
	print_ratios("loaded, no policy (alternating with unloaded)", ratios);
	print_ratios("policy locked (after the alternation, against its median)", locked);
	printf("256 MiB write: O_DIRECT 1 MiB to data partition %.1f MB/s, fwguard session %.1f MB/s, ratio %.3f (target >= 0.85)\n",
	       direct, session, session / direct);
	return 0;
}
