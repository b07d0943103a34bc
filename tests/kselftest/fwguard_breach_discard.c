// SPDX-License-Identifier: GPL-2.0-only
/*
 * Multi-range discard through request-based dm-multipath on NVMe.
 *
 * Property: no request that reaches the driver of a protected disk changes
 * a protected sector unless every bio in it is a session bio.
 *
 * NVMe takes discard requests of up to 256 ranges (max_discard_segments),
 * and blk-mq merges discard bios that are not contiguous into one request
 * (ELEVATOR_DISCARD_MERGE, bio_attempt_discard_merge()). blk_rq_pos() and
 * blk_rq_sectors() of such a request are its first bio's sector and the sum
 * of all bio sizes; nvme_setup_discard() sends every bio's own range. A
 * dm-linear with an unprotected region first and a protected one second,
 * over a request-based multipath of the NVMe disk, turns one BLKDISCARD
 * into two discard bios on the multipath queue (the bio hook sees neither:
 * the multipath disk holds no range), plug-merged into one request whose
 * computed extent lies inside the unprotected region.
 *
 * Runs with FWGUARD_BREACH=1 in a boot of its own whose NVMe drive honours
 * discards like real hardware does (tests/host/fwguard_breach_discard.sh).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <linux/fs.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

#define PROBE	(1024 * 1024)
/* Every test runs in a child of its own: the first one sets up the boot. */
#define READY	"/run/fwguard-breach-discard.ready"

static int all_bytes(const uint8_t *buf, size_t len, uint8_t v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != v)
			return 0;
	return 1;
}

FIXTURE(nvme) {
	struct fwg_part a, b, na, nb, data;
};

FIXTURE_SETUP(nvme)
{
	int ctl, tries;

	if (!getenv("FWGUARD_BREACH"))
		SKIP(return, "needs an NVMe drive that unmaps (tests/host/fwguard_breach_discard.sh)");
	ASSERT_EQ(0, fwg_sh("modprobe nvme && modprobe dm_multipath"));
	for (tries = 0; tries < 50 && fwg_find_disk_part("nvme0n1", "data", &self->data); tries++)
		usleep(100000);
	ASSERT_EQ(0, fwg_find_disk_part("nvme0n1", "fw_a", &self->na));
	ASSERT_EQ(0, fwg_find_disk_part("nvme0n1", "fw_b", &self->nb));
	ASSERT_EQ(0, fwg_find_disk_part("nvme0n1", "data", &self->data));
	if (!access(READY, F_OK))
		return;
	/* Known, non-zero bytes in both NVMe slots before they are protected. */
	ASSERT_EQ(0, fwg_write_direct("/dev/nvme0n1", self->na.start * 512, 0xa1, PROBE));
	ASSERT_EQ(0, fwg_write_direct("/dev/nvme0n1", self->nb.start * 512, 0xb2, PROBE));
	ASSERT_EQ(0, fwg_setup(&self->a, &self->b));
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, fwg_protect(ctl, &self->na, FWGUARD_PROTECT_ACTIVE));
	ASSERT_EQ(0, fwg_protect(ctl, &self->nb, 0));
	close(ctl);
	ASSERT_EQ(0, fwg_write_file("/sys/kernel/security/lockdown", "integrity"));
	ASSERT_EQ(0, fwg_sh("dmsetup create fwg-mpd --table \"0 $(blockdev --getsz /dev/nvme0n1) "
			"multipath 2 queue_mode mq 0 1 1 round-robin 0 1 1 /dev/nvme0n1 1\" "
			"&& dmsetup mknodes fwg-mpd"));
	ASSERT_EQ(0, fwg_sh("touch " READY));
}

FIXTURE_TEARDOWN(nvme)
{
}

/*
 * One BLKDISCARD on a dm-linear whose first 8 sectors are the NVMe data
 * partition and whose next PROBE bytes are slot @p: one request
 * [data.start, +8+PROBE/512) on the NVMe queue, two DSM ranges.
 */
static int discard_through_split(const struct fwg_part *data, const struct fwg_part *p)
{
	uint64_t range[2] = { 0, (8 + PROBE / 512) * 512ULL };
	int fd, err;

	if (fwg_sh("dmsetup remove fwg-split 2>/dev/null; dmsetup create fwg-split --table "
	       "\"0 8 linear /dev/mapper/fwg-mpd %llu\n8 %u linear /dev/mapper/fwg-mpd %llu\" "
	       "&& dmsetup mknodes fwg-split",
	       (unsigned long long)data->start, PROBE / 512, (unsigned long long)p->start))
		return -ENODEV;
	fd = open("/dev/mapper/fwg-split", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = ioctl(fd, BLKDISCARD, range) ? -errno : 0;
	close(fd);
	return err;
}

/* The inactive slot: the discard must not reach it. */
TEST_F(nvme, merged_discard_spares_inactive_slot)
{
	uint8_t *buf = malloc(PROBE);

	ASSERT_NE(NULL, buf);
	discard_through_split(&self->data, &self->nb);
	ASSERT_EQ(0, fwg_read_direct("/dev/nvme0n1", self->nb.start * 512, buf, PROBE));
	EXPECT_TRUE(all_bytes(buf, PROBE, 0xb2));
	ASSERT_EQ(0, fwg_read_direct("/dev/nvme0n1", self->na.start * 512, buf, PROBE));
	EXPECT_TRUE(all_bytes(buf, PROBE, 0xa1));
	free(buf);
}

/* The active slot, the one the device boots. */
TEST_F(nvme, merged_discard_spares_active_slot)
{
	uint8_t *buf = malloc(PROBE);

	ASSERT_NE(NULL, buf);
	discard_through_split(&self->data, &self->na);
	ASSERT_EQ(0, fwg_read_direct("/dev/nvme0n1", self->na.start * 512, buf, PROBE));
	EXPECT_TRUE(all_bytes(buf, PROBE, 0xa1));
	free(buf);
}

/*
 * The disk's primary GPT (protective MBR, header, entries): a zeroed header
 * makes the next boot's protect= refuse the disk (EUCLEAN).
 */
TEST_F(nvme, merged_discard_spares_primary_gpt)
{
	struct fwg_part gpt = { .start = 0 };
	uint8_t before[4096], after[4096];

	ASSERT_EQ(0, fwg_read_direct("/dev/nvme0n1", 0, before, sizeof(before)));
	discard_through_split(&self->data, &gpt);
	ASSERT_EQ(0, fwg_read_direct("/dev/nvme0n1", 0, after, sizeof(after)));
	EXPECT_EQ(0, memcmp(before, after, sizeof(after)));
}

TEST_HARNESS_MAIN
