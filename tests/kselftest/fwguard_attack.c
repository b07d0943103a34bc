// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard against a root attacker, one test per write path, in a guest of
 * its own (tests/host/fwguard_attack.sh) with an NVMe, a virtio-scsi and
 * an SD disk beside the virtio scratch disk, each with fw_a/fw_b slots.
 * The set-up protects fw_a/fw_b of the scratch disk and fw_b of the three
 * others, fills those fw_b slots with a known pattern first, and then
 * raises lockdown to integrity, so every attack runs under the threat
 * model of DESIGN.md §1. Each attack reads the protected bytes back with
 * O_DIRECT and asserts they are unchanged; the allowed reads and an
 * authorised session per driver show that the gate is not a wall.
 * Outside its own boot (FWGUARD_ATTACK unset) every test skips.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <linux/bsg.h>
#include <linux/mmc/ioctl.h>
#include <linux/nvme_ioctl.h>
#include <scsi/sg.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"
#include "fwguard_nvme.h"

#define PROBE	4096		/* protected bytes compared by each attack */

struct disk {
	const char *disk;	/* "nvme0n1" */
	struct fwg_part fw_b;
	uint8_t pattern;
};

static struct disk nvme = { .disk = "nvme0n1", .pattern = 0xa1 };
static struct disk scsi = { .disk = "sda", .pattern = 0xb2 };
static struct disk mmc = { .disk = "mmcblk0", .pattern = 0xc3 };
static struct fwg_part vda_a, vda_b;
static int setup_err = -EAGAIN;

static int prepare_disk(struct disk *d, int ctl)
{
	int err, tries;

	for (tries = 0; tries < 50; tries++) {
		if (!fwg_find_disk_part(d->disk, "fw_b", &d->fw_b))
			break;
		usleep(100000);
	}
	err = fwg_find_disk_part(d->disk, "fw_b", &d->fw_b);
	if (err)
		return err;
	err = fwg_write_direct(d->fw_b.disk, d->fw_b.start * 512, d->pattern, PROBE);
	return err ?: fwg_protect(ctl, &d->fw_b, 0);
}

#define READY	"/run/fwguard-attack.ready"

/* Every test runs in a child of its own: the first one sets up the boot. */
static int attack_setup(void)
{
	int ctl;

	if (setup_err != -EAGAIN)
		return setup_err;
	setup_err = -ENODEV;
	if (!getenv("FWGUARD_ATTACK"))
		return setup_err;
	if (!access(READY, F_OK))
		return setup_err = fwg_find_disk_part(nvme.disk, "fw_b", &nvme.fw_b) ?:
			fwg_find_disk_part(scsi.disk, "fw_b", &scsi.fw_b) ?:
			fwg_find_disk_part(mmc.disk, "fw_b", &mmc.fw_b) ?:
			fwg_find_part("fw_a", &vda_a) ?: fwg_find_part("fw_b", &vda_b);
	if (fwg_sh("for m in nvme virtio_scsi sd_mod sg sdhci_pci mmc_block dm_multipath; do "
	       "modprobe $m || exit 1; done; sleep 1"))
		return setup_err;
	setup_err = fwg_setup(&vda_a, &vda_b);
	if (setup_err)
		return setup_err;
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return setup_err = -errno;
	setup_err = prepare_disk(&nvme, ctl) ?: prepare_disk(&scsi, ctl) ?:
		    prepare_disk(&mmc, ctl);
	close(ctl);
	if (!setup_err)
		setup_err = fwg_write_file("/sys/kernel/security/lockdown", "integrity");
	if (!setup_err)
		setup_err = fwg_sh("touch " READY) ? -EIO : 0;
	return setup_err;
}

#define SETUP() do {							\
	if (!getenv("FWGUARD_ATTACK"))					\
		SKIP(return, "runs in its own boot (tests/host/fwguard_attack.sh)"); \
	ASSERT_EQ(0, attack_setup());					\
} while (0)

/* The first PROBE bytes of @p, through the whole disk, with O_DIRECT. */
static int probe(const struct fwg_part *p, uint8_t *buf)
{
	return fwg_read_direct(p->disk, p->start * 512, buf, PROBE);
}

static int all_bytes(const uint8_t *buf, uint8_t v)
{
	size_t i;

	for (i = 0; i < PROBE; i++)
		if (buf[i] != v)
			return 0;
	return 1;
}

#define ASSERT_UNCHANGED(d) do {					\
	uint8_t __b[PROBE];						\
	ASSERT_EQ(0, probe(&(d)->fw_b, __b));				\
	EXPECT_TRUE(all_bytes(__b, (d)->pattern));			\
} while (0)

/* ---- SCSI ---- */

struct sg_result {
	int ret;		/* ioctl: 0 or -errno */
	uint8_t status;		/* SCSI status */
	uint8_t sense_key, asc;
};

static struct sg_result sg_cmd(const char *node, const uint8_t *cdb, unsigned int cdb_len,
			       void *buf, unsigned int len, int dir)
{
	uint8_t sense[32] = { 0 };
	struct sg_io_hdr io = {
		.interface_id = 'S', .dxfer_direction = dir, .cmd_len = cdb_len,
		.mx_sb_len = sizeof(sense), .dxfer_len = len, .dxferp = buf,
		.cmdp = (uint8_t *)cdb, .sbp = sense, .timeout = 10000,
	};
	struct sg_result r = { 0 };
	int fd = open(node, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		r.ret = -errno;
		return r;
	}
	if (ioctl(fd, SG_IO, &io))
		r.ret = -errno;
	r.status = io.status;
	if (io.sb_len_wr >= 14) {
		r.sense_key = sense[2] & 0xf;
		r.asc = sense[12];
	}
	close(fd);
	return r;
}

static void cdb_write10(uint8_t *cdb, uint8_t op, uint32_t lba)
{
	memset(cdb, 0, 10);
	cdb[0] = op;
	cdb[2] = lba >> 24;
	cdb[3] = lba >> 16;
	cdb[4] = lba >> 8;
	cdb[5] = lba;
	cdb[8] = 1;
}

static struct sg_result sg_write10(const char *node, uint32_t lba)
{
	uint8_t cdb[10], buf[512];

	cdb_write10(cdb, 0x2a, lba);
	memset(buf, 0x66, sizeof(buf));
	return sg_cmd(node, cdb, 10, buf, sizeof(buf), SG_DXFER_TO_DEV);
}

/* The refusal the gate gives a SCSI caller: CHECK CONDITION, DATA PROTECT. */
#define EXPECT_DATA_PROTECT(r) do {					\
	EXPECT_EQ(0, (r).ret);						\
	EXPECT_EQ(2, (r).status);					\
	EXPECT_EQ(7, (r).sense_key);					\
	EXPECT_EQ(0x27, (r).asc);					\
} while (0)

/* /sys/class/block/sda/device/{scsi_generic,bsg}/NAME -> /dev/... */
static int scsi_node(const char *class, char *node, size_t len)
{
	char path[128];
	struct dirent *de;
	DIR *dir;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/sys/class/block/%s/device/%s", scsi.disk, class);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.') {
			snprintf(node, len, "%s%.40s", strcmp(class, "bsg") ? "/dev/" : "/dev/bsg/",
				 de->d_name);
			err = 0;
		}
	closedir(dir);
	return err;
}

TEST(scsi_sg_io_write10_refused)
{
	SETUP();
	struct sg_result r = sg_write10(scsi.fw_b.disk, (uint32_t)scsi.fw_b.start);

	EXPECT_EQ(-EPERM, r.ret);
	ASSERT_UNCHANGED(&scsi);
}

TEST(scsi_sg_io_write_same_refused)
{
	SETUP();
	uint8_t cdb[10], buf[512];
	struct sg_result r;

	cdb_write10(cdb, 0x41, (uint32_t)scsi.fw_b.start);
	memset(buf, 0x67, sizeof(buf));
	r = sg_cmd(scsi.fw_b.disk, cdb, 10, buf, sizeof(buf), SG_DXFER_TO_DEV);
	EXPECT_EQ(-EPERM, r.ret);
	ASSERT_UNCHANGED(&scsi);
}

TEST(scsi_sg_io_unmap_refused)
{
	SETUP();
	uint8_t cdb[10] = { 0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0 };
	uint8_t param[24] = { 0, 22, 0, 16 };
	uint64_t lba = scsi.fw_b.start;
	struct sg_result r;
	int i;

	for (i = 0; i < 8; i++)
		param[8 + i] = (uint8_t)(lba >> (56 - 8 * i));
	param[19] = 8;
	r = sg_cmd(scsi.fw_b.disk, cdb, 10, param, sizeof(param), SG_DXFER_TO_DEV);
	EXPECT_EQ(-EPERM, r.ret);
	ASSERT_UNCHANGED(&scsi);
}

/* The 32-bit ABI of SG_IO: pointers are 32 bits wide. */
struct compat_sg_io_hdr32 {
	int32_t interface_id, dxfer_direction;
	uint8_t cmd_len, mx_sb_len;
	uint16_t iovec_count;
	uint32_t dxfer_len, dxferp, cmdp, sbp, timeout, flags;
	int32_t pack_id;
	uint32_t usr_ptr;
	uint8_t status, masked_status, msg_status, sb_len_wr;
	uint16_t host_status, driver_status;
	int32_t resid;
	uint32_t duration, info;
};

/* ioctl(2) through the 32-bit system call gate, from this 64-bit process. */
static long ioctl32(int fd, unsigned int cmd, uint32_t arg)
{
	long ret;

	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "a"(54L), "b"((long)fd), "c"((long)cmd), "d"((long)arg)
		     : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

TEST(scsi_sg_io_compat_write10_refused)
{
	SETUP();
	struct compat_sg_io_hdr32 *h;
	uint8_t *low;
	long ret;
	int fd;

	low = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	ASSERT_NE(MAP_FAILED, low);
	h = (void *)low;
	memset(low, 0, 8192);
	cdb_write10(low + 512, 0x2a, (uint32_t)scsi.fw_b.start);
	memset(low + 4096, 0x68, 512);
	h->interface_id = 'S';
	h->dxfer_direction = SG_DXFER_TO_DEV;
	h->cmd_len = 10;
	h->mx_sb_len = 32;
	h->dxfer_len = 512;
	h->dxferp = (uint32_t)(uintptr_t)(low + 4096);
	h->cmdp = (uint32_t)(uintptr_t)(low + 512);
	h->sbp = (uint32_t)(uintptr_t)(low + 1024);
	h->timeout = 10000;
	fd = open(scsi.fw_b.disk, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ret = ioctl32(fd, SG_IO, (uint32_t)(uintptr_t)h);
	close(fd);
	EXPECT_EQ(-EPERM, ret);
	munmap(low, 8192);
	ASSERT_UNCHANGED(&scsi);
}

TEST(scsi_sg_io_through_dm_linear_refused)
{
	SETUP();
	struct sg_result r;

	/* No udev in the guest: dmsetup mknodes makes /dev/mapper/NAME. */
	ASSERT_EQ(0, fwg_sh("dmsetup create fwg-lin --table \"0 $(blockdev --getsz %s) linear %s 0\" "
			"&& dmsetup mknodes fwg-lin", scsi.fw_b.disk, scsi.fw_b.disk));
	r = sg_write10("/dev/mapper/fwg-lin", (uint32_t)scsi.fw_b.start);
	EXPECT_EQ(0, fwg_sh("dmsetup remove fwg-lin"));
	EXPECT_DATA_PROTECT(r);
	ASSERT_UNCHANGED(&scsi);
}

TEST(scsi_sg_node_write_refused)
{
	SETUP();
	char node[64];
	struct sg_result r;

	long long refused = fwg_counter("refused_passthrough");

	ASSERT_EQ(0, scsi_node("scsi_generic", node, sizeof(node)));
	r = sg_write10(node, (uint32_t)scsi.fw_b.start);
	EXPECT_DATA_PROTECT(r);
	/* /dev/sg has no entry hook: the gate refused it, and counted it. */
	EXPECT_LE(0, refused);
	EXPECT_LT(refused, fwg_counter("refused_passthrough"));
	ASSERT_UNCHANGED(&scsi);
}

TEST(scsi_bsg_node_write_refused)
{
	SETUP();
	uint8_t cdb[10], buf[512], sense[32] = { 0 };
	struct sg_io_v4 io = {
		.guard = 'Q', .protocol = BSG_PROTOCOL_SCSI,
		.subprotocol = BSG_SUB_PROTOCOL_SCSI_CMD,
		.request_len = 10, .request = (uintptr_t)cdb,
		.dout_xfer_len = 512, .dout_xferp = (uintptr_t)buf,
		.max_response_len = sizeof(sense), .response = (uintptr_t)sense,
		.timeout = 10000,
	};
	char node[64];
	int fd;

	ASSERT_EQ(0, scsi_node("bsg", node, sizeof(node)));
	cdb_write10(cdb, 0x2a, (uint32_t)scsi.fw_b.start);
	memset(buf, 0x69, sizeof(buf));
	fd = open(node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ioctl(fd, SG_IO, &io));
	close(fd);
	EXPECT_EQ(2u, io.device_status);
	EXPECT_EQ(7, sense[2] & 0xf);
	ASSERT_UNCHANGED(&scsi);
}

TEST(scsi_reads_allowed)
{
	SETUP();
	uint8_t cdb[10] = { 0x12, 0, 0, 0, 96, 0 }, buf[512];
	struct sg_result r;
	char node[64];

	r = sg_cmd(scsi.fw_b.disk, cdb, 6, buf, 96, SG_DXFER_FROM_DEV);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(0, r.status);
	ASSERT_EQ(0, scsi_node("scsi_generic", node, sizeof(node)));
	r = sg_cmd(node, cdb, 6, buf, 96, SG_DXFER_FROM_DEV);
	EXPECT_EQ(0, r.status);
	/* READ(10) of the protected slot returns its bytes. */
	cdb_write10(cdb, 0x28, (uint32_t)scsi.fw_b.start);
	memset(buf, 0, sizeof(buf));
	r = sg_cmd(node, cdb, 10, buf, 512, SG_DXFER_FROM_DEV);
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(scsi.pattern, buf[0]);
	EXPECT_EQ(scsi.pattern, buf[511]);
}

/* ---- NVMe ---- */

/* NVMe Write of one 512-byte block at the start of fw_b. */
static int nvme_write(const char *node, unsigned long req, uint32_t nsid)
{
	return fwg_nvme_write(node, req, nsid, nvme.fw_b.start);
}

TEST(nvme_ns_ioctl_write_refused)
{
	SETUP();
	EXPECT_EQ(-EPERM, nvme_write("/dev/nvme0n1", NVME_IOCTL_IO_CMD, 1));
	ASSERT_UNCHANGED(&nvme);
}

TEST(nvme_ns_submit_io_write_refused)
{
	SETUP();
	void *buf;
	struct nvme_user_io io = { .opcode = 0x01, .nblocks = 0, .slba = 0 };
	int fd;

	ASSERT_EQ(0, posix_memalign(&buf, 4096, 4096));
	io.addr = (uintptr_t)buf;
	io.slba = nvme.fw_b.start;
	fd = open("/dev/nvme0n1", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, NVME_IOCTL_SUBMIT_IO, &io));
	EXPECT_EQ(EPERM, errno);
	close(fd);
	free(buf);
	ASSERT_UNCHANGED(&nvme);
}

TEST(nvme_generic_node_write_refused)
{
	SETUP();
	EXPECT_EQ(-EREMOTEIO, nvme_write("/dev/ng0n1", NVME_IOCTL_IO_CMD, 1));
	ASSERT_UNCHANGED(&nvme);
}

TEST(nvme_controller_node_write_refused)
{
	SETUP();
	/* The controller node sends I/O on its first namespace's queue. A
	 * foreign nsid is refused by the driver itself (it must match that
	 * namespace); the gate would refuse it on any queue of the
	 * controller. */
	EXPECT_EQ(-EREMOTEIO, nvme_write("/dev/nvme0", NVME_IOCTL_IO_CMD, 1));
	EXPECT_EQ(-EINVAL, nvme_write("/dev/nvme0", NVME_IOCTL_IO_CMD, 0xffffffff));
	ASSERT_UNCHANGED(&nvme);
}

TEST(nvme_admin_media_changes_refused)
{
	SETUP();
	void *buf;

	ASSERT_EQ(0, posix_memalign(&buf, 4096, 4096));
	memset(buf, 0, 4096);
	/* Format NVM, Sanitize (block erase), Firmware Download and Commit,
	 * Namespace Management (delete): on the controller node (gate) and
	 * on the namespace node (entry check). */
	EXPECT_EQ(-EREMOTEIO, fwg_nvme_passthru("/dev/nvme0", NVME_IOCTL_ADMIN_CMD, 0x80, 1,
					    NULL, 0, 0, 0, 0));
	EXPECT_EQ(-EREMOTEIO, fwg_nvme_passthru("/dev/nvme0", NVME_IOCTL_ADMIN_CMD, 0x84, 0,
					    NULL, 0, 2, 0, 0));
	EXPECT_EQ(-EREMOTEIO, fwg_nvme_passthru("/dev/nvme0", NVME_IOCTL_ADMIN_CMD, 0x11, 0,
					    buf, 4096, 4096 / 4 - 1, 0, 0));
	EXPECT_EQ(-EREMOTEIO, fwg_nvme_passthru("/dev/nvme0", NVME_IOCTL_ADMIN_CMD, 0x10, 0,
					    NULL, 0, 1 << 3, 0, 0));
	EXPECT_EQ(-EREMOTEIO, fwg_nvme_passthru("/dev/nvme0", NVME_IOCTL_ADMIN_CMD, 0x0d, 1,
					    NULL, 0, 1, 0, 0));
	EXPECT_EQ(-EPERM, fwg_nvme_passthru("/dev/nvme0n1", NVME_IOCTL_ADMIN_CMD, 0x80, 1,
					NULL, 0, 0, 0, 0));
	free(buf);
	ASSERT_UNCHANGED(&nvme);
	/* The namespace is still there and still holds the pattern. */
	EXPECT_EQ(0, access("/dev/nvme0n1", F_OK));
}

TEST(nvme_io_uring_cmd_write_refused)
{
	SETUP();
	EXPECT_EQ(-EREMOTEIO, fwg_nvme_uring_write("/dev/ng0n1", nvme.fw_b.start));
	ASSERT_UNCHANGED(&nvme);
}

TEST(nvme_reads_allowed)
{
	SETUP();
	uint8_t *buf;

	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, 4096));
	/* Identify Controller: the serial number QEMU was given. */
	EXPECT_EQ(0, fwg_nvme_passthru("/dev/nvme0", NVME_IOCTL_ADMIN_CMD, 0x06, 0, buf, 4096,
				   1, 0, 0));
	EXPECT_EQ(0, memcmp(buf + 4, "fwguard-nvme", 12));
	/* Get Log Page, SMART / Health (what "nvme smart-log" sends). */
	EXPECT_EQ(0, fwg_nvme_passthru("/dev/nvme0n1", NVME_IOCTL_ADMIN_CMD, 0x02, 0xffffffff,
				   buf, 512, (127u << 16) | 0x02, 0, 0));
	/* Read of the protected slot through the generic node. */
	memset(buf, 0, 4096);
	EXPECT_EQ(0, fwg_nvme_passthru("/dev/ng0n1", NVME_IOCTL_IO_CMD, 0x02, 1, buf, 512,
				   (uint32_t)nvme.fw_b.start, 0, 0));
	EXPECT_EQ(nvme.pattern, buf[0]);
	EXPECT_EQ(nvme.pattern, buf[511]);
	free(buf);
}

/* ---- MMC ---- */

/* SDHC/SDXC cards (CSD version 2) take block addresses, SDSC bytes. */
static uint32_t mmc_address(uint64_t sector)
{
	char csd[64] = "";
	FILE *f = fopen("/sys/class/block/mmcblk0/device/csd", "r");

	if (f) {
		if (!fgets(csd, sizeof(csd), f))
			csd[0] = 0;
		fclose(f);
	}
	return csd[0] == '4' ? (uint32_t)sector : (uint32_t)(sector * 512);
}

static int mmc_write(int multi, int compat)
{
	struct mmc_ioc_cmd *ic;
	uint8_t *low;
	int fd;
	long ret;

	low = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return -ENOMEM;
	memset(low, 0x79, 8192);
	ic = (void *)low;
	memset(ic, 0, sizeof(*ic));
	ic->write_flag = 1;
	ic->opcode = multi ? 25 : 24;	/* WRITE_MULTIPLE_BLOCK / WRITE_BLOCK */
	ic->arg = mmc_address(mmc.fw_b.start);
	ic->flags = 0x15 | (1 << 5);	/* R1, MMC_CMD_ADTC */
	ic->blksz = 512;
	ic->blocks = multi ? 2 : 1;
	mmc_ioc_cmd_set_data((*ic), low + 4096);
	fd = open(mmc.fw_b.disk, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (compat)
		ret = ioctl32(fd, MMC_IOC_CMD, (uint32_t)(uintptr_t)ic);
	else
		ret = ioctl(fd, MMC_IOC_CMD, ic) ? -errno : 0;
	close(fd);
	munmap(low, 8192);
	return (int)ret;
}

TEST(mmc_ioctl_write_refused)
{
	SETUP();
	EXPECT_EQ(-EPERM, mmc_write(0, 0));
	EXPECT_EQ(-EPERM, mmc_write(1, 0));
	EXPECT_EQ(-EPERM, mmc_write(0, 1));
	ASSERT_UNCHANGED(&mmc);
}

/* ---- request-based device-mapper ---- */

static void dm_multipath_attack(struct __test_metadata *_metadata, const char *mode,
				int fill, int want)
{
	uint8_t before[PROBE], after[PROBE];
	long long refused = fwg_counter("refused_requests");
	char node[64];

	ASSERT_EQ(0, fwg_read_direct(vda_a.disk, vda_a.start * 512, before, PROBE));
	ASSERT_EQ(0, fwg_sh("dmsetup create fwg-mp-%s --table \"0 $(blockdev --getsz /dev/vda) "
			"multipath 2 queue_mode %s 0 1 1 round-robin 0 1 1 /dev/vda 1\" "
			"&& dmsetup mknodes fwg-mp-%s", mode, mode, mode));
	snprintf(node, sizeof(node), "/dev/mapper/fwg-mp-%s", mode);
	EXPECT_EQ(want, fwg_write_direct(node, vda_a.start * 512, fill, PROBE));
	/* A cloned request is refused by the gate, and counted there. */
	if (want == -EREMOTEIO) {
		EXPECT_LE(0, refused);
		EXPECT_LT(refused, fwg_counter("refused_requests"));
	}
	EXPECT_EQ(0, fwg_sh("dmsetup remove fwg-mp-%s", mode));
	ASSERT_EQ(0, fwg_read_direct(vda_a.disk, vda_a.start * 512, after, PROBE));
	EXPECT_EQ(0, memcmp(before, after, PROBE));
}

TEST(dm_multipath_bio_write_refused)
{
	SETUP();
	/* Bio clones meet the bio hook; the failed path fails the write. */
	dm_multipath_attack(_metadata, "bio", 0x5a, -EIO);
}

TEST(dm_multipath_rq_write_refused)
{
	SETUP();
	dm_multipath_attack(_metadata, "rq", 0x5b, -EREMOTEIO);
}

TEST(dm_multipath_mq_write_refused)
{
	SETUP();
	dm_multipath_attack(_metadata, "mq", 0x5c, -EREMOTEIO);
}

/* ---- authorised sessions, one per driver ---- */

static void session_writes(struct __test_metadata *_metadata, struct disk *d)
{
	size_t len = 1 << 20;
	uint8_t *img = fwg_pattern(len, d->pattern), *back = malloc(len);
	struct fwguard_ticket t;
	struct fwguard_commit c;
	int fd;

	ASSERT_NE(NULL, img);
	ASSERT_NE(NULL, back);
	fwg_ticket_init(&t, img, len, 2);
	fd = fwg_begin(&d->fw_b, &t, "signer");
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fwg_stream(fd, img, len, 256 << 10));
	EXPECT_EQ(0, fwg_commit(fd, &c));
	close(fd);
	ASSERT_EQ(0, fwg_read_direct(d->fw_b.node, 0, back, len));
	EXPECT_EQ(0, memcmp(img, back, len));
	free(img);
	free(back);
}

TEST(session_writes_nvme)
{
	SETUP();
	session_writes(_metadata, &nvme);
}

TEST(session_writes_scsi)
{
	SETUP();
	session_writes(_metadata, &scsi);
}

TEST(session_writes_mmc)
{
	SETUP();
	session_writes(_metadata, &mmc);
}

TEST_HARNESS_MAIN
