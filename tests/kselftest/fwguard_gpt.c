// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard and the GPT, in the guest. Properties:
 *  - once a disk holds a protected range, neither GPT copy (protective MBR,
 *    headers, entry arrays) can be written by any path, so root cannot
 *    rename or move entries for the next boot's protect=; the bytes read
 *    back with O_DIRECT are unchanged;
 *  - PROTECT binds a partition to the GPT the kernel verified itself and
 *    refuses what would make the identity ambiguous or unverifiable: a name
 *    two entries carry (ENOTUNIQ), a corrupt or inconsistent GPT (EUCLEAN),
 *    a partition no GPT entry describes exactly (ENOENT), a component no
 *    ticket could name (EINVAL);
 *  - the status names each range's disk GUID and PARTUUID.
 * Refused PROTECTs on loop devices leave nothing locked.
 */
#define _GNU_SOURCE
#include <linux/blkpg.h>
#include <linux/loop.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

#define BLK 4096
#define GPT_BYTES (34 * 512)	/* MBR, header, 128 entries of 128 bytes */

static int run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Sectors of the scratch disk, and the backup GPT area the status reports. */
static int backup_area(const char *disk_name, uint64_t *start, uint64_t *sectors)
{
	char line[256], want[64];
	FILE *f = fopen(FWG_SYSFS "/policy", "r");
	int found = 0;

	if (!f)
		return -errno;
	snprintf(want, sizeof(want), "gpt %s:gpt-backup disk %s start", disk_name, disk_name);
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			found = sscanf(line + strlen(want), "%" SCNu64 " sectors %" SCNu64,
				       start, sectors) == 2;
	fclose(f);
	return found ? 0 : -ENOENT;
}

FIXTURE(gpt)
{
	struct fwg_part a, b;
	uint8_t primary[5 * BLK];
	uint8_t backup[10 * BLK];
	uint64_t backup_off, disk_sectors;
	char loop[32], img[64];
};

FIXTURE_SETUP(gpt)
{
	ASSERT_EQ(0, fwg_setup(&self->a, &self->b));
	/* mkdisk's GPT: 128 entries, backup in the disk's last 33 sectors. */
	ASSERT_EQ(0, fwg_read_u64("/sys/block/vda/size", &self->disk_sectors));
	self->backup_off = (self->disk_sectors * 512 - sizeof(self->backup));
	ASSERT_EQ(0, fwg_read_direct(self->b.disk, 0, self->primary, sizeof(self->primary)));
	ASSERT_EQ(0, fwg_read_direct(self->b.disk, self->backup_off, self->backup,
				     sizeof(self->backup)));
	self->loop[0] = 0;
}

static int gpt_unchanged(FIXTURE_DATA(gpt) *self);

/* O_DIRECT write of @len bytes of @buf at @off of @node. */
static int write_back(const char *node, uint64_t off, const void *buf, size_t len)
{
	void *aligned;
	ssize_t n = -1;
	int fd;

	if (posix_memalign(&aligned, BLK, len))
		return -ENOMEM;
	memcpy(aligned, buf, len);
	fd = open(node, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd >= 0) {
		n = pwrite(fd, aligned, len, (off_t)off);
		close(fd);
	}
	free(aligned);
	return n == (ssize_t)len ? 0 : -EIO;
}

static void drop_loop(FIXTURE_DATA(gpt) *self)
{
	char cmd[160];

	if (self->loop[0]) {
		snprintf(cmd, sizeof(cmd), "losetup -d %s", self->loop);
		run(cmd);
		unlink(self->img);
		self->loop[0] = 0;
	}
}

FIXTURE_TEARDOWN(gpt)
{
	/* A test that got through leaves the GPT as it found it for the next. */
	if (!gpt_unchanged(self)) {
		write_back(self->b.disk, 0, self->primary, sizeof(self->primary));
		write_back(self->b.disk, self->backup_off, self->backup, sizeof(self->backup));
	}
	drop_loop(self);
}

/* Both GPT copies read back byte for byte as in set-up. */
static int gpt_unchanged(FIXTURE_DATA(gpt) *self)
{
	uint8_t now[sizeof(self->backup)];

	if (fwg_read_direct(self->b.disk, 0, now, sizeof(self->primary)) ||
	    memcmp(now, self->primary, sizeof(self->primary)))
		return 0;
	if (fwg_read_direct(self->b.disk, self->backup_off, now, sizeof(self->backup)))
		return 0;
	return !memcmp(now, self->backup, sizeof(self->backup));
}

#define IMG_BYTES (8 << 20)
#define GPT_TEST_GUID "6f776761-0000-4000-8000-0000000000ff"

/*
 * A fresh image whose GPT sgdisk builds from @layout, with the bytes at
 * @corrupt and @corrupt2 (when not negative) changed afterwards.
 */
static int make_image(FIXTURE_DATA(gpt) *self, const char *layout, long corrupt,
		      long corrupt2)
{
	char cmd[512];
	int fd;

	snprintf(self->img, sizeof(self->img), "/tmp/fwg-gpt-%d.img", getpid());
	snprintf(cmd, sizeof(cmd), "rm -f %s && truncate -s 8M %s && sgdisk -o %s %s >/dev/null",
		 self->img, self->img, layout, self->img);
	if (run(cmd))
		return -EIO;
	if (corrupt < 0)
		return 0;
	fd = open(self->img, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pwrite(fd, "x", 1, corrupt) != 1 ||
	    (corrupt2 >= 0 && pwrite(fd, "x", 1, corrupt2) != 1)) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

/* A loop device over the image; its partitions appear as @self->loop "pN". */
static int attach_loop(FIXTURE_DATA(gpt) *self)
{
	char cmd[160];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "modprobe loop 2>/dev/null; losetup -P -f --show %s",
		 self->img);
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	if (!fgets(self->loop, sizeof(self->loop), p))
		self->loop[0] = 0;
	pclose(p);
	self->loop[strcspn(self->loop, "\n")] = 0;
	if (!self->loop[0])
		return -ENODEV;
	usleep(200000);
	return 0;
}

static int make_loop2(FIXTURE_DATA(gpt) *self, const char *layout, long corrupt,
		      long corrupt2)
{
	return make_image(self, layout, corrupt, corrupt2) ?: attach_loop(self);
}

static int make_loop(FIXTURE_DATA(gpt) *self, const char *layout, long corrupt)
{
	return make_loop2(self, layout, corrupt, -1);
}

/* PROTECT partition @pno of the loop device with @component; 0 or -errno. */
static int protect_loop(FIXTURE_DATA(gpt) *self, int pno, const char *component)
{
	struct fwguard_protect req = { .size = sizeof(req) };
	char node[48];
	struct stat st;
	int ctl, err;

	snprintf(node, sizeof(node), "%sp%d", self->loop, pno);
	if (stat(node, &st))
		return -ENODEV;
	req.dev_major = major(st.st_rdev);
	req.dev_minor = minor(st.st_rdev);
	snprintf(req.component, sizeof(req.component), "%s", component);
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	err = ioctl(ctl, FWGUARD_IOC_PROTECT, &req) ? -errno : 0;
	close(ctl);
	return err;
}

TEST_F(gpt, primary_gpt_writes_refused)
{
	/* Protective MBR + header, entries, the entry array's last sectors. */
	EXPECT_EQ(-EPERM, fwg_write_direct(self->b.disk, 0, 0x5a, BLK));
	EXPECT_EQ(-EPERM, fwg_write_direct(self->b.disk, 2 * BLK, 0x5a, BLK));
	EXPECT_EQ(-EPERM, fwg_write_direct(self->b.disk, 4 * BLK, 0x5a, BLK));
	EXPECT_TRUE(gpt_unchanged(self));
	/* The gap after the entry array is no GPT: it stays writable. */
	EXPECT_EQ(0, fwg_write_direct(self->b.disk, 5 * BLK, 0, BLK));
}

TEST_F(gpt, backup_gpt_writes_refused)
{
	uint64_t end = self->disk_sectors * 512;

	/* The backup header (last sector), and the start of the backup entries. */
	EXPECT_EQ(-EPERM, fwg_write_direct(self->b.disk, end - BLK, 0x5a, BLK));
	EXPECT_EQ(-EPERM, fwg_write_direct(self->b.disk, (end - 33 * 512) & ~(uint64_t)(BLK - 1),
					   0x5a, BLK));
	EXPECT_TRUE(gpt_unchanged(self));
}

TEST_F(gpt, gpt_write_through_stacked_device_eio)
{
	char cmd[256];

	/* A dm-linear over the whole disk builds its own bios: the bio check refuses. */
	snprintf(cmd, sizeof(cmd),
		 "dmsetup create --noudevsync fwg-gptdm --table '0 %" PRIu64 " linear %s 0'",
		 self->disk_sectors, self->b.disk);
	ASSERT_EQ(0, run("modprobe dm_mod"));
	ASSERT_EQ(0, run(cmd));
	run("dmsetup mknodes fwg-gptdm");
	EXPECT_EQ(-EIO, fwg_write_direct("/dev/mapper/fwg-gptdm", 0, 0x5a, BLK));
	EXPECT_EQ(-EIO, fwg_write_direct("/dev/mapper/fwg-gptdm",
					 self->disk_sectors * 512 - BLK, 0x5a, BLK));
	EXPECT_EQ(0, run("dmsetup remove --noudevsync fwg-gptdm"));
	EXPECT_TRUE(gpt_unchanged(self));
}

TEST_F(gpt, renaming_entries_refused)
{
	/*
	 * The attack on the next boot: rename fw_b away and call the data
	 * partition fw_b, so that protect= protects the wrong sectors.
	 */
	EXPECT_NE(0, run("sgdisk -c 2:moved /dev/vda >/dev/null 2>&1"));
	EXPECT_NE(0, run("sgdisk -c 3:fw_b /dev/vda >/dev/null 2>&1"));
	EXPECT_TRUE(gpt_unchanged(self));
	EXPECT_EQ(0, run("sgdisk -i 2 /dev/vda | grep -q \"Partition name: 'fw_b'\""));
}

TEST_F(gpt, protect_duplicate_partlabel_enotuniq)
{
	ASSERT_EQ(0, make_loop(self, "-n 1:2048:+1M -c 1:dup -n 2:0:+1M -c 2:dup "
				     "-n 3:0:+1M -c 3:uniq", -1));
	EXPECT_EQ(-ENOTUNIQ, protect_loop(self, 1, "gpttest"));
	EXPECT_EQ(-ENOTUNIQ, protect_loop(self, 2, "gpttest"));
}

TEST_F(gpt, protect_corrupt_gpt_euclean)
{
	/* One byte of the backup header's disk GUID: its CRC no longer matches. */
	ASSERT_EQ(0, make_loop(self, "-n 1:2048:+1M -c 1:solo", IMG_BYTES - 512 + 60));
	EXPECT_EQ(-EUCLEAN, protect_loop(self, 1, "gpttest"));
}

/* Add partition @pno over bytes [@start, @start + @len) of the loop device. */
static int blkpg_add(FIXTURE_DATA(gpt) *self, int pno, long long start, long long len)
{
	struct blkpg_partition part = { .start = start, .length = len, .pno = pno };
	struct blkpg_ioctl_arg arg = {
		.op = BLKPG_ADD_PARTITION, .datalen = sizeof(part), .data = &part,
	};
	int fd, err;

	fd = open(self->loop, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = ioctl(fd, BLKPG, &arg) ? -errno : 0;
	close(fd);
	usleep(100000);
	return err;
}

TEST_F(gpt, protect_corrupt_primary_entries_euclean)
{
	/*
	 * One byte of entry 1's name in the primary array: the array CRC
	 * fails, the kernel's scan finds no partition, and one added by hand
	 * over entry 1's sectors is still refused.
	 */
	ASSERT_EQ(0, make_loop(self, "-n 1:2048:+1M -c 1:solo", 1024 + 56 + 2));
	ASSERT_EQ(0, blkpg_add(self, 1, 2048 * 512, 1 << 20));
	EXPECT_EQ(-EUCLEAN, protect_loop(self, 1, "gpttest"));
}

TEST_F(gpt, protect_gpt_with_bad_crcs_euclean)
{
	/*
	 * The same byte changed in both copies: they still agree with each
	 * other, only the CRCs tell. First entry 1's name in both entry
	 * arrays, then the reserved field of both headers.
	 */
	ASSERT_EQ(0, make_loop2(self, "-n 1:2048:+1M -c 1:solo", 1024 + 56 + 2,
				IMG_BYTES - 33 * 512 + 56 + 2));
	ASSERT_EQ(0, blkpg_add(self, 1, 2048 * 512, 1 << 20));
	EXPECT_EQ(-EUCLEAN, protect_loop(self, 1, "gpttest"));
	drop_loop(self);
	ASSERT_EQ(0, make_loop2(self, "-n 1:2048:+1M -c 1:solo", 512 + 20,
				IMG_BYTES - 512 + 20));
	ASSERT_EQ(0, blkpg_add(self, 1, 2048 * 512, 1 << 20));
	EXPECT_EQ(-EUCLEAN, protect_loop(self, 1, "gpttest"));
}

TEST_F(gpt, protect_gpt_copies_disagree_euclean)
{
	char cmd[512];

	/*
	 * Two valid copies that describe different tables: the backup of an
	 * image with the same disk GUID whose entry is named differently.
	 * The kernel's own scan takes the primary; fwguard refuses to guess.
	 */
	ASSERT_EQ(0, run("rm -f /tmp/fwg-other.img && truncate -s 8M /tmp/fwg-other.img && "
			 "sgdisk -o -U " GPT_TEST_GUID " -n 1:2048:+1M -c 1:other "
			 "/tmp/fwg-other.img >/dev/null"));
	ASSERT_EQ(0, make_image(self, "-U " GPT_TEST_GUID " -n 1:2048:+1M -c 1:solo", -1, -1));
	snprintf(cmd, sizeof(cmd),
		 "dd if=/tmp/fwg-other.img of=%s bs=512 skip=%d seek=%d count=33 conv=notrunc status=none",
		 self->img, IMG_BYTES / 512 - 33, IMG_BYTES / 512 - 33);
	ASSERT_EQ(0, run(cmd));
	unlink("/tmp/fwg-other.img");
	ASSERT_EQ(0, attach_loop(self));
	EXPECT_EQ(-EUCLEAN, protect_loop(self, 1, "gpttest"));
}

TEST_F(gpt, protect_partition_outside_gpt_enoent)
{
	ASSERT_EQ(0, make_loop(self, "-n 1:2048:+1M -c 1:solo", -1));
	ASSERT_EQ(0, blkpg_add(self, 5, 4 << 20, 1 << 20));
	EXPECT_EQ(-ENOENT, protect_loop(self, 5, "gpttest"));
}

TEST_F(gpt, protect_component_charset_einval)
{
	static const char *const bad[] = { "fw:b", "fw+b", "fw b", ".fw", "-fw", "_fw", "fw/b" };
	struct fwguard_protect req = {
		.size = sizeof(req), .dev_major = self->b.major, .dev_minor = self->b.minor,
	};
	unsigned int i;
	int ctl;

	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(req.component, 0, sizeof(req.component));
		snprintf(req.component, sizeof(req.component), "%s", bad[i]);
		EXPECT_EQ(-1, ioctl(ctl, FWGUARD_IOC_PROTECT, &req));
		EXPECT_EQ(EINVAL, errno) TH_LOG("component '%s'", bad[i]);
	}
	/* A name a ticket can carry passes the charset and meets the range's own. */
	memset(req.component, 0, sizeof(req.component));
	snprintf(req.component, sizeof(req.component), "Fw_b-1.x");
	EXPECT_EQ(-1, ioctl(ctl, FWGUARD_IOC_PROTECT, &req));
	EXPECT_EQ(EEXIST, errno);
	close(ctl);
}

TEST_F(gpt, status_shows_disk_guid_and_partuuid)
{
	char text[8192] = "", want[160];
	const uint8_t *g = self->primary + 512 + 56;	/* header's disk GUID */
	uint64_t start, sectors;
	size_t n;
	FILE *f;

	ASSERT_EQ(0, backup_area("vda", &start, &sectors));
	EXPECT_EQ(self->disk_sectors - 33, start);
	EXPECT_EQ(33, (int)sectors);

	f = fopen(FWG_SYSFS "/policy", "r");
	ASSERT_NE(NULL, f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = 0;
	fclose(f);
	snprintf(want, sizeof(want),
		 "identity %s disk_guid %02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x partuuid 6f776761-0000-4000-8000-00000000000b\n",
		 self->b.name, g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9],
		 g[10], g[11], g[12], g[13], g[14], g[15]);
	EXPECT_NE(NULL, strstr(text, want)) TH_LOG("want %s in:\n%s", want, text);
	EXPECT_NE(NULL, strstr(text, "gpt vda:gpt disk vda start 0 sectors 34 "));
}

TEST_HARNESS_MAIN
