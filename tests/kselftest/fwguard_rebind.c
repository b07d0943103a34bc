// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard across a driver unbind/bind of the protected disk, in the guest.
 * Rebinding deletes the gendisk and creates a new one under a new name
 * (vdb, vdc, ...) with the same sectors; protection must follow it. The
 * test renames the scratch disk for the rest of the boot, so it only runs
 * with FWGUARD_DESTRUCTIVE=1, in a boot of its own
 * (tests/host/fwguard_rebind.sh); elsewhere it skips.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

/* The disk holding partition number @partno of the virtio device @vdev. */
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

TEST(protection_follows_rebound_disk)
{
	char link[PATH_MAX], vdev[64], disk[64], node[80];
	struct fwg_part a, b;
	ssize_t n;

	if (!getenv("FWGUARD_DESTRUCTIVE"))
		SKIP(return, "renames the scratch disk; run by tests/host/fwguard_rebind.sh");
	ASSERT_EQ(0, fwg_setup(&a, &b));
	n = readlink("/sys/block/vda/device", link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = 0;
	snprintf(vdev, sizeof(vdev), "%s", basename(link));

	ASSERT_EQ(0, fwg_write_file("/sys/bus/virtio/drivers/virtio_blk/unbind", vdev));
	ASSERT_EQ(0, fwg_write_file("/sys/bus/virtio/drivers/virtio_blk/bind", vdev));
	usleep(500000);
	ASSERT_EQ(0, disk_of(vdev, disk, sizeof(disk)));
	EXPECT_STRNE("/dev/vda", disk);

	/* The slot under its new name, through its node and the whole disk. */
	snprintf(node, sizeof(node), "%.40s%.8s", disk, b.name + 3);
	EXPECT_EQ(-1, open(node, O_WRONLY | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-EPERM, fwg_write_direct(disk, b.start * 512, 0x13, 4096));
	/* The data partition after the slots stays writable. */
	EXPECT_EQ(0, fwg_write_direct(disk, (b.start + b.sectors) * 512, 0x13, 4096));

	/* And once more: the adopted disk can be rebound too. */
	ASSERT_EQ(0, fwg_write_file("/sys/bus/virtio/drivers/virtio_blk/unbind", vdev));
	ASSERT_EQ(0, fwg_write_file("/sys/bus/virtio/drivers/virtio_blk/bind", vdev));
	usleep(500000);
	ASSERT_EQ(0, disk_of(vdev, disk, sizeof(disk)));
	snprintf(node, sizeof(node), "%.40s%.8s", disk, a.name + 3);
	EXPECT_EQ(-1, open(node, O_WRONLY | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);
}

TEST_HARNESS_MAIN
