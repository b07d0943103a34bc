/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the attacks on fwguard's disk identity
 * (fwguard_breach_copies.c, fwguard_breach_target.c).
 *
 * Attacks on fwguard's disk identity that tried to change protected bytes
 * or redirect a session, each asserting the property it tried to break.
 * They load scsi_debug and rebind the scratch disk, so each program runs
 * in a boot of its own (tests/host/fwguard_breach.sh), and only with
 * FWGUARD_DESTRUCTIVE set; elsewhere it skips.
 *
 * Copies of the protected disk's GPT are made on scsi_debug disks: all
 * hosts of scsi_debug share one store, so every host added after the GPT
 * was copied into the store is a new gendisk that, when added, carries the
 * protected disk GUID.
 */
#ifndef FWGUARD_TEST_BREACH_H
#define FWGUARD_TEST_BREACH_H

#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <time.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

#define DISK_MIB	162	/* tests/vm/mkdisk: 2 * 64 + 32 + 2 */

/* Each program changes the boot for good: only where the caller said so. */
#define BREACH_REQUIRE_OWN_BOOT()						\
	do {								\
		if (!getenv("FWGUARD_DESTRUCTIVE"))			\
			SKIP(return, "rebinds the scratch disk; run by tests/host/fwguard_breach.sh"); \
	} while (0)

static inline int vda_vdev(char *vdev, size_t len)
{
	char link[PATH_MAX];
	ssize_t n = readlink("/sys/block/vda/device", link, sizeof(link) - 1);

	if (n <= 0)
		return -errno;
	link[n] = 0;
	snprintf(vdev, len, "%s", basename(link));
	return 0;
}

/*
 * scsi_debug with one host whose store holds the GPT areas of @src (the
 * first 34 and last 33 sectors; the capacities are equal). Disks added
 * from now on carry @src's disk GUID.
 */
static inline int gpt_store(const char *src)
{
	unsigned long long sz = DISK_MIB * 2048ULL;

	if (fwg_sh("modprobe sd_mod && modprobe scsi_debug dev_size_mb=%d max_luns=1 num_tgts=1 add_host=1", DISK_MIB))
		return -1;
	fwg_sh("udevadm settle 2>/dev/null; sleep 1");
	return fwg_sh("set -e; for i in 1 2 3 4 5 6 7 8 9 10; do d=$(ls -d /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/* 2>/dev/null | head -1); [ -n \"$d\" ] && break; sleep 0.5; done;"
		  "d=/dev/$(basename $d); test $(blockdev --getsz $d) = %llu;"
		  "dd if=%s of=$d bs=512 count=34 oflag=direct status=none;"
		  "dd if=%s of=$d bs=512 skip=%llu seek=%llu count=33 oflag=direct status=none",
		  sz, src, src, sz - 33, sz - 33);
}

static inline int add_copy(void)
{
	int err = fwg_write_file("/sys/bus/pseudo/drivers/scsi_debug/add_host", "1");

	usleep(700000);
	return err;
}

/* Partition @partno of /dev/@disk as a struct fwg_part (numbers only). */
static inline int part_of(const char *disk, unsigned int partno, struct fwg_part *p)
{
	char path[PATH_MAX], line[128];
	FILE *f;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%.24s%u", disk + 5, partno);
	snprintf(path, sizeof(path), "/sys/class/block/%s/uevent", p->name);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "MAJOR=%u", &p->major);
		sscanf(line, "MINOR=%u", &p->minor);
	}
	fclose(f);
	return p->major ? 0 : -ENOENT;
}

/* The scsi_debug disk of the highest host: the copy added last. */
static inline int last_copy(char *disk, size_t len)
{
	FILE *f = popen("ls -d /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/* "
			"| sort -V | tail -1 | xargs basename", "r");
	char name[64] = "";

	if (!f)
		return -errno;
	if (!fgets(name, sizeof(name), f))
		name[0] = 0;
	pclose(f);
	name[strcspn(name, "\n")] = 0;
	if (!name[0])
		return -ENOENT;
	snprintf(disk, len, "/dev/%s", name);
	return 0;
}

/*
 * Each attack loads scsi_debug and rebinds disks; in a TCG guest on a busy
 * host that takes longer than the harness's default 30 s.
 */
FIXTURE(breach) {
	int unused;
};
FIXTURE_SETUP(breach) {}
FIXTURE_TEARDOWN(breach) {}
#define BREACH_TEST(name) TEST_F_TIMEOUT(breach, name, 180)

#endif /* FWGUARD_TEST_BREACH_H */
