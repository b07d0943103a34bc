// SPDX-License-Identifier: GPL-2.0-only
/* A session writes the protected disk, never a copy of its GPT (see fwguard_breach.h). */
#include "fwguard_breach.h"

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
BREACH_TEST(session_targets_the_disk_not_a_gpt_copy)
{
	char vdev[64], disk[64], copy[64];
	struct fwg_part a, b, real_b, copy_b;
	struct fwguard_ticket t;
	uint8_t *image = fwg_pattern(65536, 7);
	int fd;

	BREACH_REQUIRE_OWN_BOOT();
	ASSERT_EQ(0, fwg_setup(&a, &b));
	ASSERT_EQ(0, vda_vdev(vdev, sizeof(vdev)));
	ASSERT_EQ(0, gpt_store("/dev/vda"));
	ASSERT_EQ(0, fwg_write_file("/sys/bus/virtio/drivers/virtio_blk/unbind", vdev));
	usleep(300000);
	ASSERT_EQ(0, add_copy());
	ASSERT_EQ(0, last_copy(copy, sizeof(copy)));
	ASSERT_EQ(0, fwg_write_file("/sys/bus/virtio/drivers/virtio_blk/bind", vdev));
	usleep(700000);
	ASSERT_EQ(0, fwg_virtio_disk(vdev, disk, sizeof(disk)));
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
