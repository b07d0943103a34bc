// SPDX-License-Identifier: GPL-2.0-only
/*
 * A protected NVMe disk keeps working through a controller reset: the
 * request gate judges passthrough on a controller that holds ranges, and
 * the driver's own admin commands at reset (Set Features, Create I/O
 * queues, Identify) must still reach the device. And through a rebind of
 * its controller: the new controller's admin queue takes commands as soon
 * as it is live, before its namespace disk is added, and is gated from the
 * start. Runs in a guest of its own with an NVMe disk
 * (tests/host/fwguard_nvme_reset.sh).
 */
#define _GNU_SOURCE
#include <glob.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"
#include "fwguard_nvme.h"

#define PROBE	4096
#define PATTERN	0xa5
#define READY	"/run/fwguard-nvme-reset.ready"

static int ctrl_state(char *buf, size_t len)
{
	FILE *f = fopen("/sys/class/nvme/nvme0/state", "r");

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/*
 * fw_b of the NVMe disk, whatever it is called now (a rebound controller's
 * namespace may come back as nvme0n2): the one whole disk nvme<C>n<N>
 * (not a hidden path nvme<S>c<C>n<N>) that has an fw_b.
 */
static int find_fw_b(struct fwg_part *nb)
{
	unsigned int c, n;
	int err = -ENOENT, len;
	const char *name;
	glob_t g;
	size_t i;

	if (glob("/sys/block/nvme*", 0, NULL, &g))
		return -ENOENT;
	for (i = 0; i < g.gl_pathc && err; i++) {
		name = strrchr(g.gl_pathv[i], '/') + 1;
		len = 0;
		if (sscanf(name, "nvme%un%u%n", &c, &n, &len) == 2 && !name[len])
			err = fwg_find_disk_part(name, "fw_b", nb);
	}
	globfree(&g);
	return err;
}

/* Once per boot: the pattern into fw_b, then fw_b protected. */
static int protect_once(struct fwg_part *nb)
{
	struct fwg_part a, b;
	int ctl, err, i;

	if (!access(READY, F_OK))
		return find_fw_b(nb);
	if (fwg_sh("modprobe nvme"))
		return -ENODEV;
	for (i = 0; i < 50 && find_fw_b(nb); i++)
		usleep(100000);
	err = find_fw_b(nb);
	if (!err)
		err = fwg_write_direct(nb->disk, nb->start * 512, PATTERN, PROBE);
	if (!err)
		err = fwg_setup(&a, &b);
	if (err)
		return err;
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	err = fwg_protect(ctl, nb, 0);
	close(ctl);
	if (!err)
		err = fwg_sh("touch " READY) ? -EIO : 0;
	return err;
}

static int unchanged(const struct fwg_part *nb)
{
	uint8_t buf[PROBE];
	size_t i;

	if (fwg_read_direct(nb->disk, nb->start * 512, buf, PROBE))
		return 0;
	for (i = 0; i < PROBE; i++)
		if (buf[i] != PATTERN)
			return 0;
	return 1;
}

FIXTURE(nvme) {};
FIXTURE_SETUP(nvme) {}
FIXTURE_TEARDOWN(nvme) {}

TEST_F_TIMEOUT(nvme, reset_of_protected_controller_keeps_it_live, 300)
{
	struct fwg_part nb;
	char state[32] = "";
	int i;

	if (!getenv("FWGUARD_DESTRUCTIVE"))
		SKIP(return, "needs an NVMe disk; run by tests/host/fwguard_nvme_reset.sh");
	ASSERT_EQ(0, protect_once(&nb));
	ASSERT_EQ(0, fwg_write_file("/sys/class/nvme/nvme0/reset_controller", "1"));
	for (i = 0; i < 100; i++) {
		if (!ctrl_state(state, sizeof(state)) && !strcmp(state, "live"))
			break;
		usleep(100000);
	}
	EXPECT_STREQ("live", state);
	/* Still protected after the reset. */
	EXPECT_EQ(-EPERM, fwg_write_direct(nb.node, 0, 0x11, 4096));
	EXPECT_TRUE(unchanged(&nb));
}

/*
 * Unbind the controller from nvme and bind it again: Format NVM sent the
 * moment the new /dev/nvmeN opens, before the scan adds the namespace
 * disk, is refused, and the disk comes back protected.
 */
TEST_F_TIMEOUT(nvme, rebound_controller_format_refused_before_its_disk_is_claimed, 300)
{
	uint8_t id[4096] __attribute__((aligned(4096)));
	struct fwg_part nb;
	char bdf[32], node[40];
	int i;

	if (!getenv("FWGUARD_DESTRUCTIVE"))
		SKIP(return, "needs an NVMe disk; run by tests/host/fwguard_nvme_reset.sh");
	ASSERT_EQ(0, protect_once(&nb));
	ASSERT_EQ(0, fwg_nvme_bdf("/dev/nvme0", bdf, sizeof(bdf)));
	EXPECT_EQ(-EREMOTEIO, fwg_nvme_rebind_format(bdf));
	for (i = 0; i < 600 && find_fw_b(&nb); i++)
		usleep(100000);
	ASSERT_EQ(0, find_fw_b(&nb));
	EXPECT_TRUE(unchanged(&nb));
	/* The new controller works: Identify passes, Format does not. */
	ASSERT_EQ(0, fwg_nvme_node_of(bdf, node, sizeof(node)));
	EXPECT_EQ(0, fwg_nvme_passthru(node, NVME_IOCTL_ADMIN_CMD, 0x06, 0, id, 4096, 1, 0, 0));
	EXPECT_EQ(-EREMOTEIO, fwg_nvme_passthru(node, NVME_IOCTL_ADMIN_CMD, 0x80, 1, NULL, 0,
						0, 0, 0));
	/* And its disk is protected again. */
	EXPECT_EQ(-EPERM, fwg_write_direct(nb.node, 0, 0x11, 4096));
	EXPECT_TRUE(unchanged(&nb));
}

TEST_HARNESS_MAIN
