// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard enforcement, in the guest: every path that could write a
 * protected slot without a session is refused with the exact errno, the
 * bytes on disk stay unchanged, and unprotected neighbours stay writable.
 */
#define _GNU_SOURCE
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

#define BLK 4096

FIXTURE(enforce)
{
	struct fwg_part a, b, data;
	uint8_t before[BLK];
};

FIXTURE_SETUP(enforce)
{
	ASSERT_EQ(0, fwg_setup(&self->a, &self->b));
	ASSERT_EQ(0, fwg_find_part("data", &self->data));
	ASSERT_EQ(0, fwg_read_direct(self->b.disk, self->b.start * 512,
				     self->before, BLK));
}

FIXTURE_TEARDOWN(enforce)
{
}

/* fw_b's first block, read around every cache, is what it was in set-up. */
static int unchanged(struct __test_metadata *_metadata, FIXTURE_DATA(enforce) *self)
{
	uint8_t now[BLK];

	if (fwg_read_direct(self->b.disk, self->b.start * 512, now, BLK))
		return 0;
	return !memcmp(now, self->before, BLK);
}

TEST_F(enforce, partition_open_for_write_eperm)
{
	int fd;

	EXPECT_EQ(-1, open(self->b.node, O_WRONLY | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, open(self->b.node, O_RDWR | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, open(self->b.node, O_WRONLY | O_DIRECT | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, open(self->a.node, O_WRONLY | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);
	/* Reading stays possible. */
	fd = open(self->b.node, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_TRUE(unchanged(_metadata, self));
}

TEST_F(enforce, whole_disk_direct_write_eperm)
{
	EXPECT_EQ(-EPERM, fwg_write_direct(self->b.disk, self->b.start * 512, 0xa5, BLK));
	EXPECT_EQ(-EPERM, fwg_write_direct(self->b.disk,
					 (self->b.start + self->b.sectors) * 512 - BLK,
					 0xa5, BLK));
	EXPECT_TRUE(unchanged(_metadata, self));
}

TEST_F(enforce, whole_disk_buffered_write_eperm)
{
	uint8_t buf[BLK];
	int fd;

	memset(buf, 0x5a, sizeof(buf));
	fd = open(self->b.disk, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/* Refused before the page cache takes anything. */
	EXPECT_EQ(-1, pwrite(fd, buf, BLK, (off_t)(self->b.start * 512)));
	EXPECT_EQ(EPERM, errno);
	/* One byte into the last sector of fw_b is enough. */
	EXPECT_EQ(-1, pwrite(fd, buf, 1, (off_t)((self->b.start + self->b.sectors) * 512 - 1)));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, fsync(fd));
	close(fd);
	EXPECT_TRUE(unchanged(_metadata, self));
}

TEST_F(enforce, whole_disk_mmap_write_fails_at_writeback)
{
	size_t len = 2 * BLK;
	uint8_t *map;
	int fd;

	fd = open(self->b.disk, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   (off_t)(self->b.start * 512));
	ASSERT_NE(MAP_FAILED, map);
	/* mmap bypasses write(2): only the bio hook stands in the way. */
	memset(map, 0x77, len);
	EXPECT_EQ(-1, msync(map, len, MS_SYNC));
	EXPECT_EQ(EIO, errno);
	munmap(map, len);
	close(fd);
	EXPECT_TRUE(unchanged(_metadata, self));
}

TEST_F(enforce, write_straddling_into_unprotected_is_refused_whole)
{
	uint64_t edge = (self->b.start + self->b.sectors) * 512;
	uint8_t data_before[BLK], data_after[BLK];

	/* fw_b is followed directly by the data partition on the scratch disk. */
	ASSERT_EQ(self->b.start + self->b.sectors, self->data.start);
	ASSERT_EQ(0, fwg_read_direct(self->b.disk, edge, data_before, BLK));
	EXPECT_EQ(-EPERM, fwg_write_direct(self->b.disk, edge - BLK, 0x3c, 2 * BLK));
	ASSERT_EQ(0, fwg_read_direct(self->b.disk, edge, data_after, BLK));
	EXPECT_EQ(0, memcmp(data_before, data_after, BLK));
}

TEST_F(enforce, unprotected_partition_still_writable)
{
	uint8_t back[BLK], want[BLK];
	unsigned int seed = (unsigned int)getpid() & 0xff;

	memset(want, seed, sizeof(want));
	EXPECT_EQ(0, fwg_write_direct(self->data.node, 0, seed, BLK));
	ASSERT_EQ(0, fwg_read_direct(self->data.node, 0, back, BLK));
	EXPECT_EQ(0, memcmp(want, back, BLK));
	/* And through the whole disk, next to the protected range. */
	EXPECT_EQ(0, fwg_write_direct(self->b.disk, self->data.start * 512 + BLK,
				      seed ^ 0xff, BLK));
	/* Before the first slot, after the GPT's entry array: not protected. */
	EXPECT_EQ(0, fwg_write_direct(self->b.disk, 6 * BLK, seed, BLK));
	ASSERT_EQ(0, fwg_read_direct(self->b.disk, 6 * BLK, back, BLK));
	EXPECT_EQ(0, memcmp(want, back, BLK));
}

TEST_F(enforce, discard_and_zeroout_refused)
{
	uint64_t range[2] = { self->b.start * 512, 1 << 20 };
	int fd;

	EXPECT_EQ(-1, open(self->b.node, O_RDWR | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);
	fd = open(self->b.disk, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, BLKDISCARD, range));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, ioctl(fd, BLKZEROOUT, range));
	EXPECT_EQ(EIO, errno);
	close(fd);
	EXPECT_TRUE(unchanged(_metadata, self));
}

static int loop_attach(int backing, uint64_t offset, uint64_t size, uint32_t flags,
		       char *node, size_t node_len)
{
	struct loop_config cfg = { .fd = (uint32_t)backing };
	int ctl, nr, fd, err = 0;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	nr = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (nr < 0)
		return -errno;
	snprintf(node, node_len, "/dev/loop%d", nr);
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	cfg.info.lo_offset = offset;
	cfg.info.lo_sizelimit = size;
	cfg.info.lo_flags = flags;
	if (ioctl(fd, LOOP_CONFIGURE, &cfg))
		err = -errno;
	close(fd);
	return err;
}

static void loop_detach(const char *node)
{
	int fd = open(node, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ioctl(fd, LOOP_CLR_FD, 0);
		close(fd);
	}
}

TEST_F(enforce, loop_over_partition_refused)
{
	char node[32];
	int backing;

	ASSERT_EQ(0, system("modprobe loop"));
	/* A read-write loop over the slot needs a write open: refused. */
	EXPECT_EQ(-1, open(self->b.node, O_RDWR | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);
	/* Over a read-only open the loop device is read-only. */
	backing = open(self->b.node, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, backing);
	ASSERT_EQ(0, loop_attach(backing, 0, 0, LO_FLAGS_DIRECT_IO, node, sizeof(node)));
	close(backing);
	EXPECT_EQ(-EPERM, fwg_write_direct(node, 0, 0x11, BLK));
	loop_detach(node);
	EXPECT_TRUE(unchanged(_metadata, self));
}

TEST_F(enforce, loop_over_disk_at_slot_offset_eio)
{
	char node[32];
	int backing;

	ASSERT_EQ(0, system("modprobe loop"));
	backing = open(self->b.disk, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, backing);
	ASSERT_EQ(0, loop_attach(backing, self->b.start * 512, self->b.sectors * 512,
				 LO_FLAGS_DIRECT_IO, node, sizeof(node)));
	close(backing);
	EXPECT_EQ(-EIO, fwg_write_direct(node, 0, 0x22, BLK));
	loop_detach(node);
	EXPECT_TRUE(unchanged(_metadata, self));
}

TEST_F(enforce, dm_linear_over_partition_refused)
{
	ASSERT_EQ(0, system("modprobe dm_mod"));
	/* dm opens its table devices for writing: refused at table load. */
	EXPECT_NE(0, fwg_sh("dmsetup create --noudevsync fwg-part --table '0 %llu linear %s 0' 2>/dev/null",
			 (unsigned long long)self->b.sectors, self->b.node));
	fwg_sh("dmsetup remove --noudevsync fwg-part 2>/dev/null");
	EXPECT_TRUE(unchanged(_metadata, self));
}

TEST_F(enforce, dm_linear_over_disk_at_slot_offset_eio)
{
	ASSERT_EQ(0, system("modprobe dm_mod"));
	ASSERT_EQ(0, fwg_sh("dmsetup create --noudevsync fwg-disk --table '0 %llu linear %s %llu'",
			 (unsigned long long)self->b.sectors, self->b.disk,
			 (unsigned long long)self->b.start));
	fwg_sh("dmsetup mknodes fwg-disk");
	EXPECT_EQ(-EIO, fwg_write_direct("/dev/mapper/fwg-disk", 0, 0x33, BLK));
	EXPECT_EQ(0, fwg_sh("dmsetup remove --noudevsync fwg-disk"));
	EXPECT_TRUE(unchanged(_metadata, self));
}

TEST_F(enforce, blkpg_cannot_reshape_protected_slot)
{
	struct blkpg_partition part = {
		.start = (long long)(self->b.start * 512 + (1 << 20)),
		.length = 1 << 20,
		.pno = 9,
	};
	struct blkpg_ioctl_arg arg = {
		.op = BLKPG_ADD_PARTITION, .datalen = sizeof(part), .data = &part,
	};
	int fd;

	fd = open(self->b.disk, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/* The block layer refuses overlapping partitions itself... */
	EXPECT_EQ(-1, ioctl(fd, BLKPG, &arg));
	EXPECT_EQ(EBUSY, errno);
	/* ...and the slot cannot be deleted first: the module holds it open. */
	memset(&part, 0, sizeof(part));
	part.pno = atoi(self->b.name + 3);
	arg.op = BLKPG_DEL_PARTITION;
	EXPECT_EQ(-1, ioctl(fd, BLKPG, &arg));
	EXPECT_EQ(EBUSY, errno);
	close(fd);
	EXPECT_TRUE(unchanged(_metadata, self));
}

TEST_F(enforce, ftrace_cannot_be_switched_off)
{
	int err = fwg_write_file("/proc/sys/kernel/ftrace_enabled", "0");

	/* Turning function tracing off would silently drop every hook. */
	if (!err)
		fwg_write_file("/proc/sys/kernel/ftrace_enabled", "1");
	EXPECT_EQ(-EBUSY, err);
	EXPECT_EQ(-EPERM, fwg_write_direct(self->b.disk, self->b.start * 512, 0x66, BLK));
	EXPECT_TRUE(unchanged(_metadata, self));
}

static long long counter(const char *name)
{
	char line[128], key[64];
	long long v, found = -1;
	FILE *f = fopen(FWG_SYSFS "/counters", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", key, &v) == 2 && !strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

TEST_F(enforce, refusals_are_counted)
{
	long long bios = counter("refused_bios"), opens = counter("refused_opens");
	long long writes = counter("refused_writes");
	uint64_t range[2] = { self->b.start * 512, BLK };
	int fd;

	ASSERT_LE(0, bios);
	ASSERT_LE(0, opens);
	ASSERT_LE(0, writes);
	EXPECT_EQ(-EPERM, fwg_write_direct(self->b.disk, self->b.start * 512, 1, BLK));
	EXPECT_EQ(-1, open(self->b.node, O_WRONLY | O_CLOEXEC));
	fd = open(self->b.disk, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, BLKDISCARD, range));
	close(fd);
	EXPECT_EQ(writes + 1, counter("refused_writes"));
	EXPECT_EQ(opens + 1, counter("refused_opens"));
	EXPECT_LT(bios, counter("refused_bios"));
}

TEST_HARNESS_MAIN
