// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard's driver-bind guard, in the guest. Property: while a range is
 * protected, no driver other than the one recorded may bind to a device
 * that the protected disk's I/O passes through.
 *
 * With fw_a/fw_b of the virtio disk protected, its PCI function is unbound
 * from virtio-pci and offered to vfio-pci, uio_pci_generic and pci-stub,
 * the drivers that let root drive a controller from userspace, through
 * every way of binding: the driver's bind file after driver_override,
 * driver_override with drivers_probe, new_id, and loading the driver's
 * module. Each probe is refused before the driver runs (EPERM where the
 * driver core passes the error on), counted in refused_binds, audited and
 * logged; the function then binds back to virtio-pci and the disk is
 * protected again. The same drivers bind to the unprotected virtio-rng
 * function, and to an NVMe controller until a range on it is protected.
 *
 * The tests unbind the scratch disk, so they only run with
 * FWGUARD_DESTRUCTIVE=1, in a boot of their own with a virtio-rng device,
 * an NVMe drive and an emulated IOMMU for vfio-pci
 * (tests/host/fwguard_bindguard.sh); elsewhere they skip.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

#define PCI	"/sys/bus/pci"

/* The PCI function ("0000:00:04.0") a block disk ("vda") sits under. */
static int disk_pci(const char *disk, char *bdf, size_t len)
{
	char path[PATH_MAX], real[PATH_MAX], *p;

	snprintf(path, sizeof(path), "/sys/block/%s/device", disk);
	if (!realpath(path, real))
		return -errno;
	while ((p = strrchr(real, '/'))) {
		if (strlen(p + 1) == 12 && p[5] == ':' && p[8] == ':' && p[11] == '.') {
			snprintf(bdf, len, "%s", p + 1);
			return 0;
		}
		*p = 0;
	}
	return -ENOENT;
}

/* The PCI function with device id @id ("0x1005"), or -ENOENT. */
static int pci_by_id(const char *id, char *bdf, size_t len)
{
	char path[PATH_MAX], val[16];
	struct dirent *de;
	int err = -ENOENT;
	DIR *d = opendir(PCI "/devices");

	if (!d)
		return -errno;
	while (err && (de = readdir(d))) {
		FILE *f;

		snprintf(path, sizeof(path), PCI "/devices/%s/device", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(val, sizeof(val), f) && !strncmp(val, id, strlen(id)) &&
		    strlen(de->d_name) < len) {
			snprintf(bdf, len, "%s", de->d_name);
			err = 0;
		}
		fclose(f);
	}
	closedir(d);
	return err;
}

/* Name of the driver bound to @bdf, "" when none. */
static void pci_driver(const char *bdf, char *drv, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PCI "/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	snprintf(drv, len, "%s", n > 0 ? basename(link) : "");
}

static int pci_write(const char *bdf, const char *attr, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI "/devices/%s/%s", bdf, attr);
	return fwg_write_file(path, val);
}

static int drv_write(const char *drv, const char *attr, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI "/drivers/%s/%s", drv, attr);
	return fwg_write_file(path, val);
}

/* "VVVV DDDD" of @bdf, for new_id. */
static int pci_ids(const char *bdf, char *ids, size_t len)
{
	char path[PATH_MAX];
	uint64_t v = 0, d = 0;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), PCI "/devices/%s/vendor", bdf);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fscanf(f, "%" SCNx64, &v) == 1;
	fclose(f);
	snprintf(path, sizeof(path), PCI "/devices/%s/device", bdf);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok &= fscanf(f, "%" SCNx64, &d) == 1;
	fclose(f);
	snprintf(ids, len, "%04" PRIx64 " %04" PRIx64, v, d);
	return ok ? 0 : -EINVAL;
}

enum bind_path { BY_BIND_FILE, BY_DRIVERS_PROBE, BY_NEW_ID, BY_MODULE_LOAD };

static const char *const path_name[] = {
	[BY_BIND_FILE] = "driver_override + bind",
	[BY_DRIVERS_PROBE] = "driver_override + drivers_probe",
	[BY_NEW_ID] = "new_id",
	[BY_MODULE_LOAD] = "driver_override + module load",
};

/*
 * Offer the unbound function @bdf to @drv (module @mod) through @how;
 * 0 or the -errno of the write that triggers the probe.
 */
static int offer(const char *bdf, const char *drv, const char *mod, enum bind_path how)
{
	char ids[32];
	int err;

	switch (how) {
	case BY_BIND_FILE:
		err = pci_write(bdf, "driver_override", drv);
		return err ?: drv_write(drv, "bind", bdf);
	case BY_DRIVERS_PROBE:
		err = pci_write(bdf, "driver_override", drv);
		return err ?: fwg_write_file(PCI "/drivers_probe", bdf);
	case BY_NEW_ID:
		err = pci_ids(bdf, ids, sizeof(ids));
		if (!err)
			err = drv_write(drv, "new_id", ids);
		/* Keep other probes of the id away from @drv afterwards. */
		drv_write(drv, "remove_id", ids);
		return err;
	case BY_MODULE_LOAD:
		err = pci_write(bdf, "driver_override", drv);
		if (!err && fwg_sh("modprobe -r %s", mod))
			return -EBUSY;
		return err ?: (fwg_sh("modprobe %s", mod) ? -EIO : 0);
	}
	return -EINVAL;
}

/* Back to @drv with no override left, e.g. the original driver. */
static int rebind(const char *bdf, const char *drv)
{
	char now[64];

	pci_write(bdf, "driver_override", "\n");
	pci_driver(bdf, now, sizeof(now));
	if (*now && strcmp(now, drv))
		drv_write(now, "unbind", bdf);
	if (!*now || strcmp(now, drv))
		return drv_write(drv, "bind", bdf);
	return 0;
}

static int load_drivers(void)
{
	/*
	 * With no audit daemon the kernel prints audit records, rate-limited
	 * by kernel.printk_ratelimit; the tests read them from the log.
	 */
	fwg_write_file("/proc/sys/kernel/printk_ratelimit", "0");
	/* Debian's kernels have no noiommu mode; the guest has an IOMMU. */
	fwg_sh("modprobe vfio enable_unsafe_noiommu_mode=1 2>/dev/null");
	return fwg_sh("modprobe vfio-pci && modprobe uio_pci_generic && modprobe pci-stub");
}

/* The virtio-blk disk with its partitions, after virtio-pci bound again. */
static int wait_virtio_disk(char *disk, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	int i;

	for (i = 0; i < 100; i++) {
		DIR *d = opendir("/sys/block");

		while (d && (de = readdir(d))) {
			if (strncmp(de->d_name, "vd", 2) || strlen(de->d_name) >= len)
				continue;
			snprintf(path, sizeof(path), "/sys/block/%s/%s2", de->d_name, de->d_name);
			if (!access(path, F_OK)) {
				snprintf(disk, len, "%s", de->d_name);
				closedir(d);
				return 0;
			}
		}
		if (d)
			closedir(d);
		usleep(100000);
	}
	return -ETIMEDOUT;
}

static void expect_refused(struct __test_metadata *_metadata, const char *bdf,
			   const char *drv, const char *mod, enum bind_path how,
			   const char *recorded)
{
	long long before;
	char now[64], needle[160];
	int err;

	/*
	 * The log line below is rate-limited (10 lines in 5 s, the window
	 * counted from its first line): earlier refusals may have used the
	 * window up. Five seconds with no refusal open a new one.
	 */
	if (how == BY_BIND_FILE)
		usleep(5100000);
	before = fwg_counter("refused_binds");
	err = offer(bdf, drv, mod, how);
	/* Only the bind file passes a probe's error on; the others try on. */
	EXPECT_EQ(how == BY_BIND_FILE ? -EPERM : 0, err)
		TH_LOG("%s via %s", drv, path_name[how]);
	pci_driver(bdf, now, sizeof(now));
	EXPECT_STREQ("", now) TH_LOG("%s bound %s via %s", bdf, drv, path_name[how]);
	EXPECT_LT(before, fwg_counter("refused_binds")) TH_LOG("%s via %s", drv, path_name[how]);
	snprintf(needle, sizeof(needle), "reason=driver-bind bus=pci dev=%s driver=%s recorded=%s",
		 bdf, drv, recorded);
	EXPECT_EQ(1, fwg_dmesg_wait(needle)) TH_LOG("no audit record '%s'", needle);
	/* The log line: looked for once per driver, after the pause above. */
	snprintf(needle, sizeof(needle), "refused binding pci %s to driver %s", bdf, drv);
	if (how == BY_BIND_FILE)
		EXPECT_EQ(1, fwg_dmesg_wait(needle)) TH_LOG("no log line '%s'", needle);
	pci_write(bdf, "driver_override", "\n");
}

FIXTURE(virtio_disk) {
	char bdf[32];
};

FIXTURE_VARIANT(virtio_disk) {
	const char *driver;
	const char *module;
};

FIXTURE_VARIANT_ADD(virtio_disk, vfio_pci) { .driver = "vfio-pci", .module = "vfio-pci" };
FIXTURE_VARIANT_ADD(virtio_disk, uio_pci_generic) {
	.driver = "uio_pci_generic", .module = "uio_pci_generic" };
FIXTURE_VARIANT_ADD(virtio_disk, pci_stub) { .driver = "pci-stub", .module = "pci-stub" };

FIXTURE_SETUP(virtio_disk)
{
	struct fwg_part a, b;
	uint64_t locked = 0;
	char disk[32];

	if (!getenv("FWGUARD_DESTRUCTIVE"))
		SKIP(return, "unbinds the scratch disk; run by tests/host/fwguard_bindguard.sh");
	fwg_read_u64(FWG_SYSFS "/locked", &locked);
	if (!locked)
		ASSERT_EQ(0, fwg_setup(&a, &b));
	ASSERT_EQ(0, load_drivers());
	ASSERT_EQ(0, wait_virtio_disk(disk, sizeof(disk)));
	ASSERT_EQ(0, disk_pci(disk, self->bdf, sizeof(self->bdf)));
}

FIXTURE_TEARDOWN(virtio_disk)
{
}

/* fw_b of the virtio disk: refused at open, under whatever name it came back. */
static void expect_disk_protected(struct __test_metadata *_metadata, const char *bdf)
{
	char disk[32], node[64], pci[32];

	ASSERT_EQ(0, wait_virtio_disk(disk, sizeof(disk)));
	ASSERT_EQ(0, disk_pci(disk, pci, sizeof(pci)));
	EXPECT_STREQ(bdf, pci);
	snprintf(node, sizeof(node), "/dev/%s2", disk);
	EXPECT_EQ(-1, open(node, O_WRONLY | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);
}

TEST_F_TIMEOUT(virtio_disk, other_driver_refused_on_every_bind_path, 240)
{
	const char *drv = variant->driver;
	enum bind_path how;
	char now[64];

	for (how = BY_BIND_FILE; how <= BY_MODULE_LOAD; how++) {
		/* vfio-pci is held by vfio's modules; the others can reload. */
		if (how == BY_MODULE_LOAD && !strcmp(drv, "vfio-pci"))
			continue;
		ASSERT_EQ(0, drv_write("virtio-pci", "unbind", self->bdf));
		expect_refused(_metadata, self->bdf, drv, variant->module, how, "virtio-pci");
		/* Unbinding and binding back to the recorded driver still work. */
		ASSERT_EQ(0, rebind(self->bdf, "virtio-pci"));
		pci_driver(self->bdf, now, sizeof(now));
		EXPECT_STREQ("virtio-pci", now);
		expect_disk_protected(_metadata, self->bdf);
	}
}

/* Tests with no set-up of their own, but longer than the default timeout. */
FIXTURE(guest) {
};

FIXTURE_SETUP(guest)
{
}

FIXTURE_TEARDOWN(guest)
{
}

/* No over-blocking: a device no protected disk's I/O passes through. */
TEST_F_TIMEOUT(guest, unprotected_rng_binds_to_any_driver, 120)
{
	static const char *const drivers[] = { "vfio-pci", "uio_pci_generic", "pci-stub" };
	char rng[32], now[64];
	long long before;
	unsigned int i;

	if (!getenv("FWGUARD_DESTRUCTIVE"))
		SKIP(return, "needs the guest of tests/host/fwguard_bindguard.sh");
	ASSERT_EQ(0, load_drivers());
	ASSERT_EQ(0, pci_by_id("0x1005", rng, sizeof(rng)))
		TH_LOG("no virtio-rng device (tests/vm/run --virtio-rng)");
	before = fwg_counter("refused_binds");
	ASSERT_LE(0, before);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, drv_write("virtio-pci", "unbind", rng));
		EXPECT_EQ(0, offer(rng, drivers[i], NULL, BY_BIND_FILE)) TH_LOG("%s", drivers[i]);
		pci_driver(rng, now, sizeof(now));
		EXPECT_STREQ(drivers[i], now);
		ASSERT_EQ(0, rebind(rng, "virtio-pci"));
	}
	EXPECT_EQ(before, fwg_counter("refused_binds"));
}

/* fw_b of the NVMe disk under @bdf, whatever its namespace node is now. */
static int nvme_fw_b(const char *bdf, struct fwg_part *p)
{
	struct dirent *de;
	char pci[32];
	int i, err = -ENOENT;

	for (i = 0; i < 50 && err; i++) {
		DIR *d = opendir("/sys/block");

		while (d && err && (de = readdir(d)))
			if (!strncmp(de->d_name, "nvme", 4) &&
			    !disk_pci(de->d_name, pci, sizeof(pci)) && !strcmp(pci, bdf))
				err = fwg_find_disk_part(de->d_name, "fw_b", p);
		if (d)
			closedir(d);
		if (err)
			usleep(100000);
	}
	return err;
}

/*
 * NVMe: the controller binds to vfio-pci and uio_pci_generic while it
 * holds no range, and only to nvme once it does.
 */
TEST_F_TIMEOUT(guest, nvme_controller_locked_once_protected, 240)
{
	static const char *const drivers[] = { "vfio-pci", "uio_pci_generic" };
	char link[PATH_MAX], bdf[64], now[64];
	struct fwg_part a, b, nb;
	uint64_t locked = 0;
	unsigned int i;
	int ctl;
	ssize_t n;

	if (!getenv("FWGUARD_DESTRUCTIVE"))
		SKIP(return, "needs the guest of tests/host/fwguard_bindguard.sh");
	ASSERT_EQ(0, load_drivers());
	ASSERT_EQ(0, fwg_sh("modprobe nvme"));
	for (i = 0; i < 50 && access("/sys/class/nvme/nvme0/device", F_OK); i++)
		usleep(100000);
	n = readlink("/sys/class/nvme/nvme0/device", link, sizeof(link) - 1);
	ASSERT_LT(0, n) TH_LOG("no NVMe drive (tests/vm/run --nvme IMG)");
	link[n] = 0;
	snprintf(bdf, sizeof(bdf), "%s", basename(link));
	ASSERT_EQ(0, nvme_fw_b(bdf, &nb));

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, drv_write("nvme", "unbind", bdf));
		EXPECT_EQ(0, offer(bdf, drivers[i], NULL, BY_BIND_FILE)) TH_LOG("%s", drivers[i]);
		pci_driver(bdf, now, sizeof(now));
		EXPECT_STREQ(drivers[i], now);
		ASSERT_EQ(0, rebind(bdf, "nvme"));
	}
	ASSERT_EQ(0, nvme_fw_b(bdf, &nb));

	fwg_read_u64(FWG_SYSFS "/locked", &locked);
	if (!locked)
		ASSERT_EQ(0, fwg_setup(&a, &b));
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, fwg_protect(ctl, &nb, 0));
	close(ctl);

	ASSERT_EQ(0, drv_write("nvme", "unbind", bdf));
	expect_refused(_metadata, bdf, "vfio-pci", NULL, BY_BIND_FILE, "nvme");
	expect_refused(_metadata, bdf, "uio_pci_generic", NULL, BY_DRIVERS_PROBE, "nvme");
	expect_refused(_metadata, bdf, "pci-stub", NULL, BY_NEW_ID, "nvme");
	ASSERT_EQ(0, rebind(bdf, "nvme"));
	ASSERT_EQ(0, nvme_fw_b(bdf, &nb));
	EXPECT_EQ(-1, open(nb.node, O_WRONLY | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);
}

TEST_HARNESS_MAIN
