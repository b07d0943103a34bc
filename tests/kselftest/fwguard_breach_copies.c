// SPDX-License-Identifier: GPL-2.0-only
/* Copies of the GPT do not cost the real disk its protection (see fwguard_breach.h). */
#include "fwguard_breach.h"

/*
 * Property: a protected disk that is unbound and bound again carries its
 * ranges, however many other gendisks carry a copy of its GPT, and so does
 * every copy.
 * Attack: three copies beside the real disk filled the (then four) alias
 * slots; the real disk is unbound; a fourth copy took its (deleted) slot;
 * the real disk, bound again, found no slot: "it is NOT protected".
 */
BREACH_TEST(rebind_after_gpt_copies_keeps_protection)
{
	char vdev[64], disk[64], node[80], copy[64];
	struct fwg_part a, b;
	uint8_t before[4096], after[4096];
	int i;

	BREACH_REQUIRE_OWN_BOOT();
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
	ASSERT_EQ(0, fwg_virtio_disk(vdev, disk, sizeof(disk)));

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

TEST_HARNESS_MAIN
