// SPDX-License-Identifier: GPL-2.0-only
/*
 * usbfs against a protected USB mass-storage disk, in the guest. Property:
 * while a range is protected, no driver other than the one recorded may
 * bind to a device that the protected disk's I/O passes through, and so no
 * byte of a protected range changes through usbfs.
 *
 * usbfs binds an interface without a probe (usb_driver_claim_interface()
 * calls device_bind_driver()); holding the storage interface, root could
 * speak Bulk-Only Transport to the medium: a CBW carrying SCSI WRITE(10),
 * the data, the CSW, past every block-layer check. The tests first show
 * that this BOT code really reads the disk while it holds no range, then
 * protect fw_a/fw_b and try the claim through USBDEVFS_DISCONNECT_CLAIM,
 * USBDEVFS_DISCONNECT with USBDEVFS_CLAIMINTERFACE, and a bulk URB on the
 * unbound interface (which claims it on the fly), with a WRITE(10) of a
 * protected LBA. usb-storage unbinds and binds back as before.
 *
 * The tests run in declaration order and unbind the USB disk, so they only
 * run with FWGUARD_DESTRUCTIVE=1, in a boot of their own with a USB disk
 * (tests/host/fwguard_usbfs.sh); elsewhere they skip.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <linux/usbdevice_fs.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

#define USB_DRV		"/sys/bus/usb/drivers/usb-storage"
#define BOT_LEN		4096	/* bytes per BOT command: 8 sectors */

struct usb_disk {
	char disk[32];		/* "sda" */
	char intf[64];		/* "2-1:1.0" */
	char node[64];		/* usbfs node of its device */
	unsigned int ifnum;
	unsigned char ep_in, ep_out;
	struct fwg_part a, b;
};

/* Is /sys/block/@name a disk on USB? Fills the interface's name. */
static int usb_intf_of(const char *name, char *intf, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX], *p;

	snprintf(path, sizeof(path), "/sys/block/%s/device", name);
	if (!realpath(path, real) || !strstr(real, "/usb"))
		return -ENOENT;
	while ((p = strrchr(real, '/'))) {
		if (strchr(p, ':') && strchr(p, '-') && strchr(p, '.')) {
			snprintf(intf, len, "%s", p + 1);
			return 0;
		}
		*p = 0;
	}
	return -ENOENT;
}

static int read_attr(const char *dir, const char *attr, unsigned int *v, int base)
{
	char path[PATH_MAX], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	*v = strtoul(buf, NULL, base);
	return 0;
}

/* The bulk endpoints of interface @dir (its ep_XX directories). */
static int usb_endpoints(const char *dir, struct usb_disk *u)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	unsigned int ep;

	if (!d)
		return -errno;
	u->ep_in = u->ep_out = 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "ep_", 3))
			continue;
		ep = strtoul(de->d_name + 3, NULL, 16);
		if (ep & 0x80)
			u->ep_in = ep;
		else
			u->ep_out = ep;
	}
	closedir(d);
	return u->ep_in && u->ep_out ? 0 : -ENOENT;
}

/* The usbfs node of the interface's device, made when devtmpfs has none. */
static int usb_node(const char *intf, char *node, size_t len)
{
	char dev[PATH_MAX];
	unsigned int bus, num;

	snprintf(dev, sizeof(dev), "/sys/bus/usb/devices/%.*s", (int)strcspn(intf, ":"), intf);
	if (read_attr(dev, "busnum", &bus, 10) || read_attr(dev, "devnum", &num, 10))
		return -ENOENT;
	snprintf(node, len, "/dev/bus/usb/%03u/%03u", bus, num);
	if (!access(node, F_OK))
		return 0;
	snprintf(node, len, "/tmp/usbfs-%03u-%03u", bus, num);
	unlink(node);
	return mknod(node, S_IFCHR | 0600, makedev(189, (bus - 1) * 128 + num - 1)) ? -errno : 0;
}

static int usb_disk_fill(const char *name, struct usb_disk *u)
{
	char dir[PATH_MAX];

	if (usb_intf_of(name, u->intf, sizeof(u->intf)) ||
	    fwg_find_disk_part(name, "fw_a", &u->a) || fwg_find_disk_part(name, "fw_b", &u->b))
		return -ENOENT;
	snprintf(u->disk, sizeof(u->disk), "%s", name);
	snprintf(dir, sizeof(dir), "/sys/bus/usb/devices/%s", u->intf);
	if (read_attr(dir, "bInterfaceNumber", &u->ifnum, 16) || usb_endpoints(dir, u))
		return -ENOENT;
	return usb_node(u->intf, u->node, sizeof(u->node));
}

/* The USB disk with its partitions, under whatever name it has now. */
static int usb_disk_wait(struct usb_disk *u)
{
	struct dirent *de;
	int i, err = -ETIMEDOUT;

	for (i = 0; i < 200 && err; i++) {
		DIR *d = opendir("/sys/block");

		while (d && err && (de = readdir(d)))
			if (!strncmp(de->d_name, "sd", 2))
				err = usb_disk_fill(de->d_name, u);
		if (d)
			closedir(d);
		if (err)
			usleep(100000);
	}
	return err;
}

/* Name of the driver bound to the interface, "" when none. */
static void intf_driver(const struct usb_disk *u, char *drv, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/driver", u->intf);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	snprintf(drv, len, "%s", n > 0 ? basename(link) : "");
}

/* usb-storage bound to the interface again, and its disk back. */
static int storage_rebind(struct usb_disk *u)
{
	char drv[64];

	intf_driver(u, drv, sizeof(drv));
	if (!*drv && fwg_write_file(USB_DRV "/bind", u->intf))
		return -EIO;
	return usb_disk_wait(u);
}

static int bulk(int fd, unsigned char ep, void *buf, unsigned int len)
{
	struct usbdevfs_bulktransfer t = {
		.ep = ep, .len = len, .timeout = 10000, .data = buf,
	};
	int n = ioctl(fd, USBDEVFS_BULK, &t);

	return n < 0 ? -errno : n;
}

/*
 * One Bulk-Only Transport command: CBW, @len bytes of data in or out,
 * CSW. 0 when the device reports success, 1 when it reports a failure,
 * -errno when a transfer fails.
 */
static int bot(int fd, const struct usb_disk *u, const uint8_t *cdb, void *data,
	       unsigned int len, int in)
{
	uint8_t cbw[31] = { 'U', 'S', 'B', 'C', 0x2a, 0x5a, 0, 0 }, csw[13];
	int n;

	memcpy(cbw + 8, &len, 4);		/* dCBWDataTransferLength, LE */
	cbw[12] = in ? 0x80 : 0;
	cbw[14] = 10;				/* bCBWCBLength */
	memcpy(cbw + 15, cdb, 10);
	n = bulk(fd, u->ep_out, cbw, sizeof(cbw));
	if (n < 0)
		return n;
	n = bulk(fd, in ? u->ep_in : u->ep_out, data, len);
	if (n < 0)
		return n;
	n = bulk(fd, u->ep_in, csw, sizeof(csw));
	if (n < 0)
		return n;
	if (n != sizeof(csw) || memcmp(csw, "USBS", 4))
		return -EPROTO;
	return csw[12] ? 1 : 0;
}

/* READ(10) or WRITE(10) of BOT_LEN bytes at 512-byte LBA @lba. */
static int bot_rw(int fd, const struct usb_disk *u, uint64_t lba, void *data, int write)
{
	uint8_t cdb[10] = { write ? 0x2a : 0x28, 0,
			    lba >> 24, lba >> 16, lba >> 8, lba, 0, 0, BOT_LEN / 512, 0 };

	return bot(fd, u, cdb, data, BOT_LEN, !write);
}

/* SHA-256 of fw_a and fw_b, read through the whole disk with O_DIRECT. */
static int slots_sha(const struct usb_disk *u, uint8_t md[SHA256_DIGEST_LENGTH])
{
	size_t la = u->a.sectors * 512, lb = u->b.sectors * 512;
	uint8_t *buf = malloc(la + lb);
	char node[64];
	int err;

	if (!buf)
		return -ENOMEM;
	snprintf(node, sizeof(node), "/dev/%s", u->disk);
	err = fwg_read_direct(node, u->a.start * 512, buf, la);
	if (!err)
		err = fwg_read_direct(node, u->b.start * 512, buf + la, lb);
	if (!err)
		SHA256(buf, la + lb, md);
	free(buf);
	return err;
}

/* Does the bind guard hold an interface to usb-storage? */
static int usb_protected(void)
{
	char line[512];
	int found = 0;
	FILE *f = fopen(FWG_SYSFS "/policy", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		found |= !strncmp(line, "bind ", 5) && strstr(line, " usb usb-storage\n");
	fclose(f);
	return found;
}

/* fw_a and fw_b of the USB disk protected (once). */
static int protect_usb(const struct usb_disk *u)
{
	int ctl, err;

	if (usb_protected())
		return 0;
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	err = fwg_protect(ctl, &u->a, 0) ?: fwg_protect(ctl, &u->b, 0);
	close(ctl);
	return err ?: (usb_protected() ? 0 : -ENOENT);
}

FIXTURE(usb) {
	struct usb_disk u;
};

FIXTURE_SETUP(usb)
{
	struct fwg_part a, b;
	uint64_t locked = 0;

	if (!getenv("FWGUARD_DESTRUCTIVE"))
		SKIP(return, "unbinds the USB disk; run by tests/host/fwguard_usbfs.sh");
	fwg_write_file("/proc/sys/kernel/printk_ratelimit", "0");
	ASSERT_EQ(0, fwg_sh("modprobe xhci_pci && modprobe usb_storage && modprobe sd_mod"));
	/* A test that failed may have left the storage interface unbound. */
	fwg_sh("for i in /sys/bus/usb/devices/*:*; do [ -e $i/driver ] ||"
	       " [ \"$(cat $i/bInterfaceClass)\" != 08 ] || echo ${i##*/} >" USB_DRV "/bind;"
	       " done 2>/dev/null");
	fwg_read_u64(FWG_SYSFS "/locked", &locked);
	if (!locked)
		ASSERT_EQ(0, fwg_setup(&a, &b));
	ASSERT_EQ(0, usb_disk_wait(&self->u)) TH_LOG("no USB disk (tests/vm/run --usb IMG)");
}

FIXTURE_TEARDOWN(usb)
{
}

/*
 * No over-blocking, and proof that bot() is real: with ranges protected on
 * another disk, usbfs claims this one's interface and READ(10) returns the
 * bytes the block layer reads.
 */
TEST_F_TIMEOUT(usb, unprotected_usb_disk_claimed_and_read, 180)
{
	static uint8_t want[BOT_LEN], got[BOT_LEN];
	struct usbdevfs_disconnect_claim dc = { .interface = self->u.ifnum };
	long long before = fwg_counter("refused_binds");
	char node[64], drv[64];
	int fd;

	ASSERT_EQ(0, usb_protected()) TH_LOG("USB disk protected already: run this test first");
	snprintf(node, sizeof(node), "/dev/%s", self->u.disk);
	ASSERT_EQ(0, fwg_read_direct(node, self->u.b.start * 512, want, sizeof(want)));
	fd = open(self->u.node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, USBDEVFS_DISCONNECT_CLAIM, &dc)) TH_LOG("%s", strerror(errno));
	intf_driver(&self->u, drv, sizeof(drv));
	EXPECT_STREQ("usbfs", drv);
	EXPECT_EQ(0, bot_rw(fd, &self->u, self->u.b.start, got, 0));
	EXPECT_EQ(0, memcmp(want, got, sizeof(got)));
	close(fd);
	EXPECT_EQ(before, fwg_counter("refused_binds"));
	ASSERT_EQ(0, storage_rebind(&self->u));
}

TEST_F_TIMEOUT(usb, disconnect_claim_refused, 180)
{
	struct usbdevfs_disconnect_claim dc = { .interface = self->u.ifnum };
	struct usbdevfs_ioctl disc = { .ifno = self->u.ifnum, .ioctl_code = USBDEVFS_DISCONNECT };
	unsigned int ifnum = self->u.ifnum;
	char drv[64], needle[160];
	long long before;
	int fd;

	ASSERT_EQ(0, protect_usb(&self->u));
	/* Five seconds with no refusal open a new window of the log's rate limit. */
	usleep(5100000);
	before = fwg_counter("refused_binds");
	fd = open(self->u.node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, USBDEVFS_DISCONNECT_CLAIM, &dc));
	EXPECT_EQ(EPERM, errno);
	intf_driver(&self->u, drv, sizeof(drv));
	EXPECT_STRNE("usbfs", drv);
	EXPECT_LT(before, fwg_counter("refused_binds"));
	snprintf(needle, sizeof(needle), "reason=driver-bind bus=usb dev=%s driver=usbfs recorded=usb-storage",
		 self->u.intf);
	EXPECT_EQ(1, fwg_dmesg_wait(needle)) TH_LOG("no audit record '%s'", needle);
	snprintf(needle, sizeof(needle), "refused binding usb %s to driver usbfs", self->u.intf);
	EXPECT_EQ(1, fwg_dmesg_wait(needle)) TH_LOG("no log line '%s'", needle);

	/* The same through USBDEVFS_DISCONNECT, then USBDEVFS_CLAIMINTERFACE. */
	ASSERT_EQ(0, storage_rebind(&self->u));
	before = fwg_counter("refused_binds");
	ioctl(fd, USBDEVFS_IOCTL, &disc);
	EXPECT_EQ(-1, ioctl(fd, USBDEVFS_CLAIMINTERFACE, &ifnum));
	EXPECT_EQ(EPERM, errno);
	intf_driver(&self->u, drv, sizeof(drv));
	EXPECT_STRNE("usbfs", drv);
	EXPECT_LT(before, fwg_counter("refused_binds"));
	close(fd);
	ASSERT_EQ(0, storage_rebind(&self->u));
}

/* A bulk URB on the unbound interface claims it on the fly: refused too. */
TEST_F_TIMEOUT(usb, urb_autoclaim_refused_and_slots_unchanged, 240)
{
	static uint8_t data[BOT_LEN];
	uint8_t md_before[SHA256_DIGEST_LENGTH], md_after[SHA256_DIGEST_LENGTH];
	const uint64_t lba[2] = { self->u.a.start, self->u.b.start + 8 };
	long long before;
	char drv[64];
	int fd, i;

	ASSERT_EQ(0, protect_usb(&self->u));
	ASSERT_EQ(0, slots_sha(&self->u, md_before));
	memset(data, 0x5a, sizeof(data));
	before = fwg_counter("refused_binds");
	ASSERT_EQ(0, fwg_write_file(USB_DRV "/unbind", self->u.intf));
	fd = open(self->u.node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (i = 0; i < 2; i++) {
		uint64_t at = lba[i];

		EXPECT_EQ(-EPERM, bot_rw(fd, &self->u, at, data, 1)) TH_LOG("LBA %" PRIu64, at);
	}
	intf_driver(&self->u, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
	EXPECT_LT(before, fwg_counter("refused_binds"));
	close(fd);
	ASSERT_EQ(0, storage_rebind(&self->u));
	ASSERT_EQ(0, slots_sha(&self->u, md_after));
	EXPECT_EQ(0, memcmp(md_before, md_after, sizeof(md_after)))
		TH_LOG("protected bytes changed through usbfs");
}

TEST_F_TIMEOUT(usb, storage_unbind_bind_still_protected, 180)
{
	char drv[64], node[64];

	ASSERT_EQ(0, protect_usb(&self->u));
	ASSERT_EQ(0, fwg_write_file(USB_DRV "/unbind", self->u.intf));
	ASSERT_EQ(0, fwg_write_file(USB_DRV "/bind", self->u.intf));
	ASSERT_EQ(0, usb_disk_wait(&self->u));
	intf_driver(&self->u, drv, sizeof(drv));
	EXPECT_STREQ("usb-storage", drv);
	EXPECT_EQ(1, usb_protected());
	EXPECT_EQ(-1, open(self->u.b.node, O_WRONLY | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);
	snprintf(node, sizeof(node), "/dev/%s", self->u.disk);
	EXPECT_EQ(-EPERM, fwg_write_direct(node, self->u.b.start * 512, 0x77, 4096));
}

TEST_HARNESS_MAIN
