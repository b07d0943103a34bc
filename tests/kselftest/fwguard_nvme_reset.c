// SPDX-License-Identifier: GPL-2.0-only
/*
 * A protected NVMe disk keeps working through a controller reset: the
 * request gate judges passthrough on a controller that holds ranges, and
 * the driver's own admin commands at reset (Set Features, Create I/O
 * queues, Identify) must still reach the device. Runs in a guest of its
 * own with an NVMe disk (tests/host/fwguard_nvme_reset.sh).
 */
#include "kselftest_harness.h"
#include "fwguard_util.h"

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

TEST(reset_of_protected_controller_keeps_it_live)
{
	struct fwg_part a, b, nb;
	char state[32] = "";
	int ctl, i;

	if (!getenv("FWGUARD_DESTRUCTIVE"))
		SKIP(return, "needs an NVMe disk; run by tests/host/fwguard_nvme_reset.sh");
	ASSERT_EQ(0, fwg_sh("modprobe nvme"));
	for (i = 0; i < 50 && fwg_find_disk_part("nvme0n1", "fw_b", &nb); i++)
		usleep(100000);
	ASSERT_EQ(0, fwg_find_disk_part("nvme0n1", "fw_b", &nb));
	ASSERT_EQ(0, fwg_setup(&a, &b));
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, fwg_protect(ctl, &nb, 0));
	close(ctl);
	ASSERT_EQ(0, fwg_write_file("/sys/class/nvme/nvme0/reset_controller", "1"));
	for (i = 0; i < 100; i++) {
		if (!ctrl_state(state, sizeof(state)) && !strcmp(state, "live"))
			break;
		usleep(100000);
	}
	EXPECT_STREQ("live", state);
	/* Still protected after the reset. */
	EXPECT_EQ(-EPERM, fwg_write_direct(nb.node, 0, 0x11, 4096));
}

TEST_HARNESS_MAIN
