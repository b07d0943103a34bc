// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard and raw device commands, in the guest: SG_IO and
 * SCSI_IOCTL_SEND_COMMAND build no bios, so the bio hook never sees them.
 * On a scsi_debug disk the test shows that SG_IO really writes before the
 * disk holds a protected range, and that once it does, commands that can
 * change media fail with EPERM at the ioctl while the allowlisted reads
 * still work (the request gate judges both again below the ioctl; see
 * fwguard_attack for the paths that have no ioctl entry).
 */
#define _GNU_SOURCE
#include <linux/fs.h>
#include <scsi/sg.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

#define PT_PARTNAME	"fwpt"
#define PT_COMPONENT	"pt-test"

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The scsi_debug disk's name ("sda"), loading the module when needed. */
static int scsi_debug_disk(char *name, size_t len)
{
	char path[300], model[64];
	struct dirent *de;
	int found = 0, tries;
	DIR *d;

	for (tries = 0; tries < 2 && !found; tries++) {
		if (tries && run("modprobe sd_mod && modprobe scsi_debug dev_size_mb=16 && sleep 1"))
			return -ENODEV;
		d = opendir("/sys/class/block");
		if (!d)
			return -errno;
		while (!found && (de = readdir(d))) {
			FILE *f;

			snprintf(path, sizeof(path), "/sys/class/block/%s/device/model", de->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			if (fgets(model, sizeof(model), f) && strstr(model, "scsi_debug") &&
			    strlen(de->d_name) < len) {
				memcpy(name, de->d_name, strlen(de->d_name) + 1);
				found = 1;
			}
			fclose(f);
		}
		closedir(d);
	}
	return found ? 0 : -ENODEV;
}

/* SG_IO with a 10-byte CDB; returns 0, the ioctl's -errno, or -EIO. */
static int sg_cmd(const char *node, const uint8_t *cdb, void *buf, unsigned int len,
		  int dir)
{
	uint8_t sense[32];
	struct sg_io_hdr io = {
		.interface_id = 'S', .dxfer_direction = dir, .cmd_len = 10,
		.mx_sb_len = sizeof(sense), .dxfer_len = len, .dxferp = buf,
		.cmdp = (uint8_t *)cdb, .sbp = sense, .timeout = 10000,
	};
	int fd, err = 0;

	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SG_IO, &io))
		err = -errno;
	else if (io.status || io.host_status || io.driver_status)
		err = -EIO;
	close(fd);
	return err;
}

static int sg_write10(const char *node, uint32_t lba, uint8_t fill)
{
	uint8_t cdb[10] = { 0x2a, 0, lba >> 24, lba >> 16, lba >> 8, lba, 0, 0, 1, 0 };
	uint8_t buf[512];

	memset(buf, fill, sizeof(buf));
	return sg_cmd(node, cdb, buf, sizeof(buf), SG_DXFER_TO_DEV);
}

static int sg_inquiry(const char *node)
{
	uint8_t cdb[10] = { 0x12, 0, 0, 0, 96, 0 };
	uint8_t buf[96];

	/* INQUIRY is a 6-byte command; the 4 extra bytes are ignored padding. */
	return sg_cmd(node, cdb, buf, sizeof(buf), SG_DXFER_FROM_DEV);
}

static int protected_already(const char *part)
{
	char text[4096] = "", want[64];
	FILE *f = fopen(FWG_SYSFS "/policy", "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = 0;
	fclose(f);
	snprintf(want, sizeof(want), "range %s ", part);
	return strstr(text, want) != NULL;
}

FIXTURE(pt)
{
	struct fwg_part a, b, p;
	char disk[32], node[48];
};

FIXTURE_SETUP(pt)
{
	char cmd[256];

	ASSERT_EQ(0, fwg_setup(&self->a, &self->b));
	ASSERT_EQ(0, scsi_debug_disk(self->disk, sizeof(self->disk)))
		TH_LOG("scsi_debug not available");
	snprintf(self->node, sizeof(self->node), "/dev/%s", self->disk);
	/* Once protected, the disk's GPT cannot be rewritten: make it only once. */
	if (fwg_find_disk_part(self->disk, PT_PARTNAME, &self->p)) {
		snprintf(cmd, sizeof(cmd), "sgdisk -o -n 1:2048:+4M -c 1:" PT_PARTNAME
			 " %s >/dev/null && sleep 1", self->node);
		ASSERT_EQ(0, run(cmd));
	}
}

FIXTURE_TEARDOWN(pt)
{
}

TEST_F(pt, sg_io_refused_on_disks_with_protected_ranges)
{
	struct fwguard_protect req = { .size = sizeof(req), .component = PT_COMPONENT };
	uint8_t before[4096], after[4096];
	int ctl;

	ASSERT_EQ(0, fwg_find_disk_part(self->disk, PT_PARTNAME, &self->p));
	if (!protected_already(self->p.name)) {
		/* Without protection SG_IO works and really writes. */
		EXPECT_EQ(0, sg_inquiry(self->node));
		EXPECT_EQ(0, sg_write10(self->node, (uint32_t)self->p.start, 0x42));
		ASSERT_EQ(0, fwg_read_direct(self->node, self->p.start * 512, before, 4096));
		EXPECT_EQ(0x42, before[0]);
		EXPECT_EQ(0x42, before[511]);

		ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, ctl);
		req.dev_major = self->p.major;
		req.dev_minor = self->p.minor;
		ASSERT_EQ(0, ioctl(ctl, FWGUARD_IOC_PROTECT, &req));
		close(ctl);
	}
	ASSERT_EQ(0, fwg_read_direct(self->node, self->p.start * 512, before, 4096));

	EXPECT_EQ(-EPERM, sg_write10(self->node, (uint32_t)self->p.start, 0x99));
	/* INQUIRY is on the allowlist: sg_inq and smartctl keep working. */
	EXPECT_EQ(0, sg_inquiry(self->node));
	/* The partition node is refused at open already. */
	EXPECT_EQ(-1, open(self->p.node, O_RDWR | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);

	ASSERT_EQ(0, fwg_read_direct(self->node, self->p.start * 512, after, 4096));
	EXPECT_EQ(0, memcmp(before, after, sizeof(before)));
}

TEST_F(pt, passthrough_ioctls_refused_on_virtio_disk)
{
	unsigned int scsi_cmd[64] = { 0, 0 };
	uint64_t size = 0;
	int fd;

	/* virtio-blk has no SCSI passthrough: an allowed command reaches the
	 * driver, which does not know SG_IO; a write never gets that far. */
	EXPECT_EQ(-ENOTTY, sg_inquiry(self->b.disk));
	EXPECT_EQ(-EPERM, sg_write10(self->b.disk, (uint32_t)self->b.start, 0x99));
	fd = open(self->b.disk, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, 1 /* SCSI_IOCTL_SEND_COMMAND */, scsi_cmd));
	EXPECT_EQ(EPERM, errno);
	/* Ordinary block ioctls still work. */
	EXPECT_EQ(0, ioctl(fd, BLKGETSIZE64, &size));
	EXPECT_TRUE(size > 0);
	close(fd);
}

TEST_HARNESS_MAIN
