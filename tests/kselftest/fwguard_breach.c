// SPDX-License-Identifier: GPL-2.0-only
/*
 * Attacks on fwguard's disk identity that tried to change protected bytes
 * or redirect a session, each asserting the property it tried to break.
 * They load scsi_debug and rebind the scratch disk, so each runs only when
 * FWGUARD_DESTRUCTIVE names it, in a boot of its own
 * (tests/host/fwguard_breach.sh); elsewhere they skip.
 *
 * Copies of the protected disk's GPT are made on scsi_debug disks: all
 * hosts of scsi_debug share one store, so every host added after the GPT
 * was copied into the store is a new gendisk that, when added, carries the
 * protected disk GUID.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <time.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

#define DISK_MIB	162	/* tests/vm/mkdisk: 2 * 64 + 32 + 2 */

/* Each test changes the boot for good: FWGUARD_DESTRUCTIVE names the one to run. */
static int selected(const char *name)
{
	const char *v = getenv("FWGUARD_DESTRUCTIVE");

	return v && !strcmp(v, name);
}

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The disk (/dev/NAME) of the virtio device @vdev, or -ENOENT. */
static int disk_of(const char *vdev, char *disk, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/block", vdev);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && strlen(de->d_name) + 6 < len) {
			snprintf(disk, len, "/dev/%s", de->d_name);
			err = 0;
		}
	closedir(d);
	return err;
}

static int vda_vdev(char *vdev, size_t len)
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
static int gpt_store(const char *src)
{
	unsigned long long sz = DISK_MIB * 2048ULL;

	if (sh("modprobe sd_mod && modprobe scsi_debug dev_size_mb=%d max_luns=1 num_tgts=1 add_host=1", DISK_MIB))
		return -1;
	sh("udevadm settle 2>/dev/null; sleep 1");
	return sh("set -e; for i in 1 2 3 4 5 6 7 8 9 10; do d=$(ls -d /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/* 2>/dev/null | head -1); [ -n \"$d\" ] && break; sleep 0.5; done;"
		  "d=/dev/$(basename $d); test $(blockdev --getsz $d) = %llu;"
		  "dd if=%s of=$d bs=512 count=34 oflag=direct status=none;"
		  "dd if=%s of=$d bs=512 skip=%llu seek=%llu count=33 oflag=direct status=none",
		  sz, src, src, sz - 33, sz - 33);
}

static int add_copy(void)
{
	int err = fwg_write_file("/sys/bus/pseudo/drivers/scsi_debug/add_host", "1");

	usleep(700000);
	return err;
}

/*
 * Property: a protected disk that is unbound and bound again carries its
 * ranges, however many other gendisks carry a copy of its GPT, and so does
 * every copy.
 * Attack: three copies beside the real disk filled the (then four) alias
 * slots; the real disk is unbound; a fourth copy took its (deleted) slot;
 * the real disk, bound again, found no slot: "it is NOT protected".
 */
static int last_copy(char *disk, size_t len);

TEST(rebind_after_gpt_copies_keeps_protection)
{
	char vdev[64], disk[64], node[80], copy[64];
	struct fwg_part a, b;
	uint8_t before[4096], after[4096];
	int i;

	if (!selected("rebind_after_gpt_copies_keeps_protection"))
		SKIP(return, "rebinds the scratch disk; run by tests/host/fwguard_breach.sh");
	ASSERT_EQ(0, fwg_setup(&a, &b));
	ASSERT_EQ(0, vda_vdev(vdev, sizeof(vdev)));
	ASSERT_EQ(0, fwg_read_direct("/dev/vda", b.start * 512, before, sizeof(before)));
	ASSERT_EQ(0, gpt_store("/dev/vda"));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, add_copy());
	ASSERT_EQ(0, fwg_write_file("/sys/bus/virtio/drivers/virtio_blk/unbind", vdev));
	usleep(300000);
	ASSERT_EQ(0, add_copy());
	ASSERT_EQ(0, fwg_write_file("/sys/bus/virtio/drivers/virtio_blk/bind", vdev));
	usleep(700000);
	ASSERT_EQ(0, disk_of(vdev, disk, sizeof(disk)));

	snprintf(node, sizeof(node), "%.40s%.8s", disk, b.name + 3);
	EXPECT_EQ(-EPERM, fwg_write_direct(disk, b.start * 512, 0x5a, 4096));
	ASSERT_EQ(0, fwg_read_direct(disk, b.start * 512, after, sizeof(after)));
	EXPECT_EQ(0, memcmp(before, after, sizeof(after)));
	/* Every copy is protected too (they share one store: check the last). */
	ASSERT_EQ(0, last_copy(copy, sizeof(copy)));
	EXPECT_EQ(-EPERM, fwg_write_direct(copy, b.start * 512, 0x5b, 4096));
	ASSERT_EQ(0, fwg_read_direct(disk, b.start * 512, after, sizeof(after)));
	EXPECT_EQ(0, memcmp(before, after, sizeof(after)));
	/* Four copies and the real disk: five gendisks, one alias each. */
	EXPECT_LE(5, fwg_status_value("aliases"));
}

/* Partition @partno of /dev/@disk as a struct fwg_part (numbers only). */
static int part_of(const char *disk, unsigned int partno, struct fwg_part *p)
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
static int last_copy(char *disk, size_t len)
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
 * Property: sessions write to the protected disk, never to another disk
 * that merely carries a copy of its GPT; the copy is protected all the same.
 * Attack: the protected disk is unbound; while it is gone a scsi_debug disk
 * with a copy of its GPT appears and took the ranges and the slot's device
 * number (ranges moved off deleted disks onto whatever disk was added
 * next); the real disk came back and was protected, but BEGIN on its fw_b
 * was ENOENT, and a BEGIN on the copy's partition opened a session that
 * wrote the image into root's RAM disk.
 */
TEST(session_targets_the_disk_not_a_gpt_copy)
{
	char vdev[64], disk[64], copy[64];
	struct fwg_part a, b, real_b, copy_b;
	struct fwguard_ticket t;
	uint8_t *image = fwg_pattern(65536, 7);
	int fd;

	if (!selected("session_targets_the_disk_not_a_gpt_copy"))
		SKIP(return, "rebinds the scratch disk; run by tests/host/fwguard_breach.sh");
	ASSERT_EQ(0, fwg_setup(&a, &b));
	ASSERT_EQ(0, vda_vdev(vdev, sizeof(vdev)));
	ASSERT_EQ(0, gpt_store("/dev/vda"));
	ASSERT_EQ(0, fwg_write_file("/sys/bus/virtio/drivers/virtio_blk/unbind", vdev));
	usleep(300000);
	ASSERT_EQ(0, add_copy());
	ASSERT_EQ(0, last_copy(copy, sizeof(copy)));
	ASSERT_EQ(0, fwg_write_file("/sys/bus/virtio/drivers/virtio_blk/bind", vdev));
	usleep(700000);
	ASSERT_EQ(0, disk_of(vdev, disk, sizeof(disk)));
	ASSERT_EQ(0, part_of(disk, 2, &real_b));
	ASSERT_EQ(0, part_of(copy, 2, &copy_b));
	/* The real disk is protected again, and so is the copy ... */
	EXPECT_EQ(-EPERM, fwg_write_direct(disk, b.start * 512, 0x5a, 4096));
	EXPECT_EQ(-EPERM, fwg_write_direct(copy, b.start * 512, 0x5a, 4096));

	fwg_ticket_init(&t, image, 65536, fwg_current_floor() + 1);
	/* ... and its inactive slot can still be updated ... */
	fd = fwg_begin(&real_b, &t, "signer");
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	/* ... while a disk root made is not a target. */
	fd = fwg_begin(&copy_b, &t, "signer");
	EXPECT_EQ(-ENOENT, fd);
	if (fd >= 0)
		close(fd);
	free(image);
}

TEST_HARNESS_MAIN
