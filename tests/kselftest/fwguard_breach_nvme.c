// SPDX-License-Identifier: GPL-2.0-only
/*
 * NVMe passthrough after the protected NVMe disk was rebound while a disk
 * with a copy of its GPT appeared.
 *
 * Property: passthrough commands that change media are refused on every
 * controller whose namespace carries a protected range.
 *
 * fwguard_gate_sync() gates the queue of each range's r->disk only. When
 * the NVMe controller is unbound and, while it is gone, a scsi_debug disk
 * with a copy of its GPT is added, the ranges move onto the copy
 * (r->disk); the real controller, bound again, is claimed by GPT identity
 * (its disk carries the ranges, so the bio hook protects it) but its
 * queues never enter the gate's table. The gate recognises passthrough by
 * queue, tag-set owner or parent device; all three are new, so an NVMe Write
 * through the generic node /dev/ngXn1 - which has no entry hook - is not
 * judged.
 *
 * Runs with FWGUARD_BREACH=1 in a boot of its own
 * (tests/host/fwguard_breach_nvme.sh).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/nvme_ioctl.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

#define NVME_MIB	16	/* tests/vm/mkdisk IMG 4 6 */

static int __attribute__((unused)) all_bytes(const uint8_t *buf, size_t len, uint8_t v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != v)
			return 0;
	return 1;
}


static int first_glob(const char *pattern, char *out, size_t len)
{
	glob_t g;
	int err = -ENOENT;

	if (!glob(pattern, 0, NULL, &g) && g.gl_pathc) {
		snprintf(out, len, "%s", g.gl_pathv[g.gl_pathc - 1]);
		err = 0;
	}
	globfree(&g);
	return err;
}

/* NVMe Write of 4096 bytes of @byte at LBA @lba (512-byte LBAs). */
static int nvme_write(const char *node, uint64_t lba, int byte)
{
	struct nvme_passthru_cmd c = {
		.opcode = 0x01, .nsid = 1, .data_len = 4096,
		.cdw10 = (uint32_t)lba, .cdw11 = (uint32_t)(lba >> 32), .cdw12 = 7,
		.timeout_ms = 10000,
	};
	void *buf;
	int fd, ret;

	if (posix_memalign(&buf, 4096, 4096))
		return -ENOMEM;
	memset(buf, byte, 4096);
	c.addr = (uintptr_t)buf;
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	ret = ioctl(fd, NVME_IOCTL_IO_CMD, &c);
	if (ret < 0)
		ret = -errno;
	close(fd);
	free(buf);
	return ret;
}

FIXTURE(rebind) {};
FIXTURE_SETUP(rebind) {}
FIXTURE_TEARDOWN(rebind) {}

TEST_F_TIMEOUT(rebind, nvme_passthrough_refused_after_rebind_with_gpt_copy, 240)
{
	char link[PATH_MAX], bdf[64], path[PATH_MAX], ng[64], disk[64];
	struct fwg_part a, b, nb;
	uint8_t before[4096], after[4096];
	unsigned long long sz = NVME_MIB * 2048ULL;
	int ctl, tries;
	ssize_t n;

	if (!getenv("FWGUARD_BREACH"))
		SKIP(return, "rebinds the NVMe controller (tests/host/fwguard_breach_nvme.sh)");
	ASSERT_EQ(0, fwg_sh("modprobe nvme && modprobe sd_mod"));
	for (tries = 0; tries < 50 && fwg_find_disk_part("nvme0n1", "fw_b", &nb); tries++)
		usleep(100000);
	ASSERT_EQ(0, fwg_find_disk_part("nvme0n1", "fw_b", &nb));
	ASSERT_EQ(0, fwg_write_direct("/dev/nvme0n1", nb.start * 512, 0xb2, 4096));
	ASSERT_EQ(0, fwg_setup(&a, &b));
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, fwg_protect(ctl, &nb, 0));
	close(ctl);
	ASSERT_EQ(0, fwg_write_file("/sys/kernel/security/lockdown", "integrity"));
	ASSERT_EQ(0, fwg_read_direct("/dev/nvme0n1", nb.start * 512, before, sizeof(before)));

	/* One scsi_debug disk whose store holds the NVMe disk's GPT areas. */
	ASSERT_EQ(0, fwg_sh("modprobe scsi_debug dev_size_mb=%d max_luns=1 num_tgts=1 add_host=1", NVME_MIB));
	ASSERT_EQ(0, fwg_sh("set -e; for i in 1 2 3 4 5 6 7 8 9 10; do d=$(ls -d /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/* 2>/dev/null | head -1); [ -n \"$d\" ] && break; sleep 0.5; done;"
			"d=/dev/$(basename $d); test $(blockdev --getsz $d) = %llu;"
			"dd if=/dev/nvme0n1 of=$d bs=512 count=34 oflag=direct status=none;"
			"dd if=/dev/nvme0n1 of=$d bs=512 skip=%llu seek=%llu count=33 oflag=direct status=none",
			sz, sz - 33, sz - 33));

	n = readlink("/sys/class/nvme/nvme0/device", link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = 0;
	snprintf(bdf, sizeof(bdf), "%s", basename(link));
	ASSERT_EQ(0, fwg_write_file("/sys/bus/pci/drivers/nvme/unbind", bdf));
	usleep(500000);
	/* The copy appears while the NVMe disk is gone: it takes the ranges. */
	ASSERT_EQ(0, fwg_write_file("/sys/bus/pseudo/drivers/scsi_debug/add_host", "1"));
	usleep(700000);
	ASSERT_EQ(0, fwg_write_file("/sys/bus/pci/drivers/nvme/bind", bdf));
	/*
	 * The deleted namespace disk is still held (the ranges name it until
	 * the real disk is back), so the new one may get another namespace
	 * instance: nvme0n2, ng1n2.
	 */
	for (tries = 0; tries < 300 && first_glob("/dev/ng*n*", ng, sizeof(ng)); tries++)
		usleep(100000);
	if (first_glob("/dev/ng*n*", ng, sizeof(ng)))
		fwg_sh("ls /dev | grep -E 'nvme|ng'; ls /sys/class/nvme*; dmesg | tail -25");
	ASSERT_EQ(0, first_glob("/dev/ng*n*", ng, sizeof(ng)));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/nvme/nvme*/nvme*n*", bdf);
	for (tries = 0; tries < 50 && first_glob(path, disk, sizeof(disk)); tries++)
		usleep(100000);
	ASSERT_EQ(0, first_glob(path, disk, sizeof(disk)));
	snprintf(disk, sizeof(disk), "/dev/%s", basename(strdupa(disk)));
	usleep(500000);

	/* The re-appeared disk carries the range: the bio hook refuses. */
	EXPECT_EQ(-EPERM, fwg_write_direct(disk, nb.start * 512, 0x5a, 4096));
	/* So must the gate, for a Write through the generic node. */
	EXPECT_NE(0, nvme_write(ng, nb.start, 0x77));
	ASSERT_EQ(0, fwg_read_direct(disk, nb.start * 512, after, sizeof(after)));
	EXPECT_EQ(0, memcmp(before, after, sizeof(after)));
}

TEST_HARNESS_MAIN
