// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard on a shared NVMe namespace: native multipath, one namespace
 * behind two controllers of one subsystem (tests/vm/run with
 * FWGUARD_NVME_PATHS=2, tests/host/fwguard_nvme_multipath.sh).
 *
 * Property: no passthrough command that changes media reaches the
 * namespace through any path, and no write but a session's, when fw_b of
 * the shared namespace is protected.
 *
 * With multipath the protected disk (nvme<S>n1) is a bio-based head over
 * hidden path disks (nvme<S>c<C>n1), one per controller. Bios to
 * the head are resubmitted to a path, but passthrough commands are built
 * as requests on a path's queue directly: the generic node /dev/ng<S>n1
 * (ioctl and io_uring URING_CMD) picks a path, and each controller node
 * /dev/nvmeN sends I/O commands on its own path and admin commands on its
 * admin queue. None of those queues belongs to the protected disk itself.
 *
 * With FWGUARD_MULTIPATH_LATE=1 (tests/host/fwguard_nvme_multipath_late.sh)
 * the second controller joins the subsystem only after the range was
 * protected: its PCI function is removed before PROTECT and rescanned
 * after lockdown, so every test below runs with a controller fwguard only
 * met when its path disk was added. Its driver must be locked in all the
 * same (controller_driver_locked_in).
 *
 * A controller rebound to its driver is a new controller whose admin
 * queue takes commands before its path disk exists; it is gated from the
 * start (rebound_controller_format_refused_before_its_path_is_claimed).
 * With FWGUARD_NVME_SPARE=1 (tests/host/fwguard_nvme_multipath.sh) a
 * third controller of the subsystem has no path at all: Sanitize on it
 * acts on the subsystem all the same
 * (unattached_controller_media_changes_refused).
 *
 * Every test reads the protected bytes back through the head with
 * O_DIRECT; the reads and the authorised session show the paths still
 * work. Outside its own boot (FWGUARD_MULTIPATH unset) every test skips.
 */
#define _GNU_SOURCE
#include <glob.h>
#include <stdarg.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"
#include "fwguard_nvme.h"

#define PROBE	4096
#define PATTERN	0xa5
#define READY	"/run/fwguard-multipath.ready"

static struct fwg_part nb, vda_a, vda_b;
static int setup_err = -EAGAIN;
/* Named by instance numbers nvme_core picks as the controllers probe. */
static char head[32], ng[40], ctrl[2][40];
/* With FWGUARD_NVME_SPARE=1: the controller the namespace is not attached to. */
static char spare[40];

/* Does controller @name (nvme2) have a path disk of the namespace? */
static bool has_path(const char *name)
{
	char pat[96];
	glob_t g;
	bool found;

	snprintf(pat, sizeof(pat), "/sys/class/nvme/%s/nvme*c*n[0-9]*", name);
	found = !glob(pat, 0, NULL, &g) && g.gl_pathc;
	globfree(&g);
	return found;
}

/* The head, its generic node and its controller nodes, from sysfs. */
static int find_nodes(void)
{
	unsigned int i, n = 0;
	glob_t g;

	if (glob("/sys/class/nvme-subsystem/nvme-subsys*/nvme*n[0-9]*", 0, NULL, &g) ||
	    g.gl_pathc != 1) {
		globfree(&g);
		return -ENOENT;
	}
	snprintf(head, sizeof(head), "%s", strrchr(g.gl_pathv[0], '/') + 1);
	globfree(&g);
	snprintf(ng, sizeof(ng), "/dev/ng%s", head + 4);
	if (glob("/sys/class/nvme-subsystem/nvme-subsys*/nvme[0-9]", 0, NULL, &g))
		return -ENOENT;
	spare[0] = 0;
	for (i = 0; i < g.gl_pathc; i++) {
		const char *name = strrchr(g.gl_pathv[i], '/') + 1;

		if (!has_path(name))
			snprintf(spare, sizeof(spare), "/dev/%s", name);
		else if (n < 2)
			snprintf(ctrl[n++], sizeof(ctrl[0]), "/dev/%s", name);
	}
	globfree(&g);
	if (n != 2 || (getenv("FWGUARD_NVME_SPARE") && !spare[0]))
		return -ENOENT;
	/* Two hidden path disks under the head. */
	if (glob("/sys/block/nvme*c*n[0-9]*", 0, NULL, &g) || g.gl_pathc != 2) {
		globfree(&g);
		return -ENODEV;
	}
	globfree(&g);
	return fwg_find_disk_part(head, "fw_b", &nb);
}

/* The PCI function of controller node @node (/dev/nvmeN), e.g. 0000:00:04.0. */
static int ctrl_bdf(const char *node, char *bdf, size_t len)
{
	char link[256], target[256];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/class/nvme/%s/device", strrchr(node, '/') + 1);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	snprintf(bdf, len, "%s", strrchr(target, '/') + 1);
	return 0;
}

static int path_disks(void)
{
	glob_t g;
	int n;

	if (glob("/sys/block/nvme*c*n[0-9]*", 0, NULL, &g))
		return 0;
	n = (int)g.gl_pathc;
	globfree(&g);
	return n;
}

/* The second controller: removed before PROTECT in the late variant. */
static char late_bdf[32];

static int wait_nodes(void)
{
	int tries;

	for (tries = 0; tries < 1200 && find_nodes(); tries++)
		usleep(100000);
	return find_nodes();
}

/*
 * QEMU attaches a shared namespace to every controller of its subsystem,
 * so with FWGUARD_NVME_SPARE=1 it is made detached and attached here to
 * the controllers with cntlid 0 and 1 (Namespace Attachment, before the
 * range is protected); the third stays without it.
 */
static int attach_two(void)
{
	uint16_t list[2048] __attribute__((aligned(4096))) = { 2, 0, 1 };
	int tries, err = -ENOENT;

	for (tries = 0; tries < 1200 && err; tries++) {
		err = fwg_nvme_passthru("/dev/nvme0", NVME_IOCTL_ADMIN_CMD, 0x15, 1, list,
					sizeof(list), 0, 0, 0);
		if (err)
			usleep(100000);
	}
	if (err)
		return err;
	/* Namespace Attribute Changed reaches the driver as an event; do not wait for it. */
	fwg_sh("for c in /sys/class/nvme/nvme*/rescan_controller; do echo 1 >$c; done");
	return 0;
}

static int multipath_setup(void)
{
	bool late = getenv("FWGUARD_MULTIPATH_LATE");
	int ctl, tries;

	if (setup_err != -EAGAIN)
		return setup_err;
	if (!access(READY, F_OK)) {
		setup_err = find_nodes();
		return setup_err ?: ctrl_bdf(ctrl[1], late_bdf, sizeof(late_bdf));
	}
	if (fwg_sh("modprobe nvme"))
		return setup_err = -ENODEV;
	setup_err = getenv("FWGUARD_NVME_SPARE") ? attach_two() : 0;
	if (!setup_err)
		setup_err = wait_nodes();
	if (setup_err)
		fwg_sh("ls /sys/block /dev /sys/class/nvme-subsystem/*/ | grep -E 'nvme|ng'");
	if (!setup_err)
		setup_err = ctrl_bdf(ctrl[1], late_bdf, sizeof(late_bdf));
	if (!setup_err)
		setup_err = fwg_write_direct(nb.disk, nb.start * 512, PATTERN, PROBE);
	if (!setup_err)
		setup_err = fwg_setup(&vda_a, &vda_b);
	if (!setup_err && late) {
		char path[96];

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", late_bdf);
		setup_err = fwg_write_file(path, "1");
		for (tries = 0; !setup_err && tries < 600 && path_disks() != 1; tries++)
			usleep(100000);
		if (!setup_err && path_disks() != 1)
			setup_err = -EBUSY;
	}
	if (setup_err)
		return setup_err;
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return setup_err = -errno;
	setup_err = fwg_protect(ctl, &nb, 0);
	close(ctl);
	if (!setup_err)
		setup_err = fwg_write_file("/sys/kernel/security/lockdown", "integrity");
	if (!setup_err && late) {
		/* The controller joins now, at the place it had. */
		setup_err = fwg_write_file("/sys/bus/pci/rescan", "1") ?: wait_nodes();
		if (!setup_err)
			fwg_sh("dmesg | grep -E 'fwguard.*(path|recorded)' | tail -4");
	}
	if (!setup_err)
		setup_err = fwg_sh("touch " READY) ? -EIO : 0;
	return setup_err;
}

#define SETUP() do {							\
	if (!getenv("FWGUARD_MULTIPATH"))				\
		SKIP(return, "runs in its own boot (tests/host/fwguard_nvme_multipath.sh)"); \
	ASSERT_EQ(0, multipath_setup());				\
} while (0)

static int unchanged(void)
{
	uint8_t buf[PROBE];
	size_t i;

	if (fwg_read_direct(nb.disk, nb.start * 512, buf, PROBE))
		return 0;
	for (i = 0; i < PROBE; i++)
		if (buf[i] != PATTERN)
			return 0;
	return 1;
}

/* Spread the generic node's commands over both paths. */
static void round_robin(void)
{
	fwg_sh("for f in /sys/class/nvme-subsystem/*/iopolicy; do echo round-robin >$f; done");
}

/* The first test sets the boot up: modprobe, the paths, the protection. */
FIXTURE(mp) {};
FIXTURE_SETUP(mp) {}
FIXTURE_TEARDOWN(mp) {}

TEST_F_TIMEOUT(mp, head_block_write_refused, 300)
{
	SETUP();
	EXPECT_EQ(-EPERM, fwg_write_direct(nb.disk, nb.start * 512, 0x5a, PROBE));
	EXPECT_TRUE(unchanged());
}

TEST_F_TIMEOUT(mp, generic_node_write_refused_on_every_path, 300)
{
	int i;

	SETUP();
	round_robin();
	for (i = 0; i < 4; i++)
		EXPECT_EQ(-EREMOTEIO, fwg_nvme_write(ng, NVME_IOCTL_IO_CMD, 1,
						     nb.start));
	EXPECT_TRUE(unchanged());
}

TEST_F_TIMEOUT(mp, generic_node_uring_cmd_write_refused, 300)
{
	int i;

	SETUP();
	round_robin();
	for (i = 0; i < 4; i++)
		EXPECT_EQ(-EREMOTEIO, fwg_nvme_uring_write(ng, nb.start));
	EXPECT_TRUE(unchanged());
}

TEST_F_TIMEOUT(mp, controller_nodes_write_refused, 300)
{
	SETUP();
	EXPECT_EQ(-EREMOTEIO, fwg_nvme_write(ctrl[0], NVME_IOCTL_IO_CMD, 1, nb.start));
	EXPECT_EQ(-EREMOTEIO, fwg_nvme_write(ctrl[1], NVME_IOCTL_IO_CMD, 1, nb.start));
	EXPECT_TRUE(unchanged());
}

TEST_F_TIMEOUT(mp, admin_media_changes_refused_on_both_controllers, 300)
{
	unsigned int i;

	SETUP();
	for (i = 0; i < 2; i++) {
		/* Format NVM, Sanitize (block erase), Namespace Attachment (detach). */
		EXPECT_EQ(-EREMOTEIO, fwg_nvme_passthru(ctrl[i], NVME_IOCTL_ADMIN_CMD, 0x80, 1,
							NULL, 0, 0, 0, 0));
		EXPECT_EQ(-EREMOTEIO, fwg_nvme_passthru(ctrl[i], NVME_IOCTL_ADMIN_CMD, 0x84, 0,
							NULL, 0, 2, 0, 0));
		EXPECT_EQ(-EREMOTEIO, fwg_nvme_passthru(ctrl[i], NVME_IOCTL_ADMIN_CMD, 0x15, 1,
							NULL, 0, 1, 0, 0));
	}
	EXPECT_TRUE(unchanged());
	EXPECT_EQ(0, access(nb.disk, F_OK));
}

TEST_F_TIMEOUT(mp, reads_allowed_on_every_path, 300)
{
	uint8_t *buf;
	int i;

	SETUP();
	round_robin();
	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, 4096));
	for (i = 0; i < 4; i++) {
		memset(buf, 0, 4096);
		EXPECT_EQ(0, fwg_nvme_passthru(ng, NVME_IOCTL_IO_CMD, 0x02, 1, buf, 512,
					       (uint32_t)nb.start, 0, 0));
		EXPECT_EQ(PATTERN, buf[0]);
		EXPECT_EQ(PATTERN, buf[511]);
	}
	/* Identify Controller on the second controller. */
	EXPECT_EQ(0, fwg_nvme_passthru(ctrl[1], NVME_IOCTL_ADMIN_CMD, 0x06, 0, buf, 4096,
				       1, 0, 0));
	free(buf);
}

/*
 * The second controller (in the late variant the one that joined after
 * PROTECT) cannot be handed from nvme to another driver: unbound, it is
 * refused to pci-stub, and binds back to nvme.
 */
TEST_F_TIMEOUT(mp, controller_driver_locked_in, 300)
{
	char path[128];

	SETUP();
	ASSERT_EQ(0, fwg_sh("modprobe pci-stub"));
	ASSERT_EQ(0, fwg_write_file("/sys/bus/pci/drivers/nvme/unbind", late_bdf));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", late_bdf);
	ASSERT_EQ(0, fwg_write_file(path, "pci-stub"));
	EXPECT_EQ(-EPERM, fwg_write_file("/sys/bus/pci/drivers/pci-stub/bind", late_bdf));
	/* If it was taken, give it back so that the tests after this run. */
	fwg_write_file("/sys/bus/pci/drivers/pci-stub/unbind", late_bdf);
	EXPECT_EQ(0, fwg_write_file(path, "\n"));
	EXPECT_EQ(0, fwg_write_file("/sys/bus/pci/drivers/nvme/bind", late_bdf));
	ASSERT_EQ(0, wait_nodes());
	EXPECT_TRUE(unchanged());
}

/*
 * A controller of the subsystem to which the namespace is not attached
 * (FWGUARD_NVME_SPARE=1) has no path disk, but Sanitize and Format NVM
 * for all namespaces (nsid 0xffffffff) act on the whole subsystem: its
 * admin queue is judged like the paths' controllers', and its driver is
 * locked in, so that it cannot take them from userspace either. Rebound
 * to nvme it is gated again before it is live.
 */
TEST_F_TIMEOUT(mp, unattached_controller_media_changes_refused, 300)
{
	uint8_t id[4096] __attribute__((aligned(4096)));
	char bdf[32], path[128];
	int i;

	SETUP();
	if (!getenv("FWGUARD_NVME_SPARE"))
		SKIP(return, "no controller without the namespace in this boot");
	ASSERT_EQ(0, ctrl_bdf(spare, bdf, sizeof(bdf)));
	for (i = 0; i < 2; i++) {
		/* Format NVM and Sanitize (block erase) for every namespace. */
		EXPECT_EQ(-EREMOTEIO, fwg_nvme_passthru(spare, NVME_IOCTL_ADMIN_CMD, 0x80,
							0xffffffff, NULL, 0, 0, 0, 0));
		EXPECT_EQ(-EREMOTEIO, fwg_nvme_passthru(spare, NVME_IOCTL_ADMIN_CMD, 0x84, 0,
							NULL, 0, 2, 0, 0));
		/* Namespace Attachment: attach namespace 1 to it. */
		memset(id, 0, sizeof(id));
		EXPECT_EQ(-EREMOTEIO, fwg_nvme_passthru(spare, NVME_IOCTL_ADMIN_CMD, 0x15, 1,
							id, 4096, 0, 0, 0));
		EXPECT_EQ(0, fwg_nvme_passthru(spare, NVME_IOCTL_ADMIN_CMD, 0x06, 0, id, 4096,
					       1, 0, 0));
		EXPECT_TRUE(unchanged());
		if (i)
			break;
		/* Not to pci-stub; back to nvme, a new controller. */
		ASSERT_EQ(0, fwg_sh("modprobe pci-stub"));
		ASSERT_EQ(0, fwg_write_file("/sys/bus/pci/drivers/nvme/unbind", bdf));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
		ASSERT_EQ(0, fwg_write_file(path, "pci-stub"));
		EXPECT_EQ(-EPERM, fwg_write_file("/sys/bus/pci/drivers/pci-stub/bind", bdf));
		fwg_write_file("/sys/bus/pci/drivers/pci-stub/unbind", bdf);
		EXPECT_EQ(0, fwg_write_file(path, "\n"));
		EXPECT_EQ(0, fwg_write_file("/sys/bus/pci/drivers/nvme/bind", bdf));
		ASSERT_EQ(0, wait_nodes());
		ASSERT_NE(0, spare[0]);
	}
}

/*
 * A controller rebound to nvme (unbind, bind: a new nvme_ctrl, a new
 * admin queue and tag set) takes admin commands as soon as it is live,
 * before the scan adds its path disk. Its PCI function is recorded by the
 * bind guard, so its queues are gated from their tag set's allocation:
 * Format NVM sent the moment /dev/nvmeN opens is refused, and the path
 * comes back protected. Renames the controller nodes: after the tests
 * that use them.
 */
TEST_F_TIMEOUT(mp, rebound_controller_format_refused_before_its_path_is_claimed, 300)
{
	uint8_t id[4096] __attribute__((aligned(4096)));
	char bdf[32], node[40];
	int i;

	SETUP();
	ASSERT_EQ(0, fwg_nvme_bdf(ctrl[1], bdf, sizeof(bdf)));
	EXPECT_EQ(-EREMOTEIO, fwg_nvme_rebind_format(bdf));
	for (i = 0; i < 600 && path_disks() != 2; i++)
		usleep(100000);
	ASSERT_EQ(2, path_disks());
	EXPECT_TRUE(unchanged());
	/* The rebound controller works: Identify passes, Format does not. */
	ASSERT_EQ(0, fwg_nvme_node_of(bdf, node, sizeof(node)));
	EXPECT_EQ(0, fwg_nvme_passthru(node, NVME_IOCTL_ADMIN_CMD, 0x06, 0, id, 4096, 1, 0, 0));
	EXPECT_EQ(-EREMOTEIO, fwg_nvme_passthru(node, NVME_IOCTL_ADMIN_CMD, 0x80, 1, NULL, 0,
						0, 0, 0));
	EXPECT_TRUE(unchanged());
}

/* Last: it replaces the pattern the tests above compare with. */
TEST_F_TIMEOUT(mp, zz_session_writes_through_the_paths, 300)
{
	size_t len = 1 << 20;
	uint8_t *img = fwg_pattern(len, 7), *back = malloc(len);
	struct fwguard_ticket t;
	struct fwguard_commit c;
	int fd;

	SETUP();
	round_robin();
	ASSERT_NE(NULL, img);
	ASSERT_NE(NULL, back);
	fwg_ticket_init(&t, img, len, 2);
	fd = fwg_begin(&nb, &t, "signer");
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fwg_stream(fd, img, len, 256 << 10));
	EXPECT_EQ(0, fwg_commit(fd, &c));
	close(fd);
	ASSERT_EQ(0, fwg_read_direct(nb.node, 0, back, len));
	EXPECT_EQ(0, memcmp(img, back, len));
	free(img);
	free(back);
}

/*
 * nvmet exporting a loop device of root's as namespace 1 of a subsystem
 * named with the protected subsystem's NQN, its identifiers zeroed as
 * QEMU's are, and nvme-tcp connecting to it over 127.0.0.1: nvme_core
 * puts the controller into the protected subsystem and offers its
 * namespace to the head as one more path.
 */
#define ROGUE_SCRIPT "/run/fwguard-rogue.sh"
static const char rogue_up[] =
	"set -e\n"
	"cfg=/sys/kernel/config/nvmet; head=$1\n"
	"nqn=$(cat /sys/class/nvme-subsystem/nvme-subsys*/subsysnqn | head -1)\n"
	"ip link set lo up\n"
	"modprobe loop; modprobe nvmet; modprobe nvmet-tcp; modprobe nvme-tcp\n"
	"mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config\n"
	"truncate -s $(($(cat /sys/block/$head/size) * 512)) /run/fwguard-rogue.img\n"
	"dev=$(losetup -f --show /run/fwguard-rogue.img)\n"
	"mkdir $cfg/subsystems/$nqn\n"
	"echo 1 >$cfg/subsystems/$nqn/attr_allow_any_host\n"
	"echo 100 >$cfg/subsystems/$nqn/attr_cntlid_min\n"
	"mkdir $cfg/subsystems/$nqn/namespaces/1\n"
	"echo $dev >$cfg/subsystems/$nqn/namespaces/1/device_path\n"
	"echo 00000000-0000-0000-0000-000000000000 >$cfg/subsystems/$nqn/namespaces/1/device_uuid\n"
	"echo 1 >$cfg/subsystems/$nqn/namespaces/1/enable\n"
	"mkdir $cfg/ports/1\n"
	"echo tcp >$cfg/ports/1/addr_trtype; echo ipv4 >$cfg/ports/1/addr_adrfam\n"
	"echo 127.0.0.1 >$cfg/ports/1/addr_traddr; echo 4420 >$cfg/ports/1/addr_trsvcid\n"
	"ln -s $cfg/subsystems/$nqn $cfg/ports/1/subsystems/\n"
	"echo transport=tcp,traddr=127.0.0.1,trsvcid=4420,nqn=$nqn >/dev/nvme-fabrics\n";

static int rogue_ctrls(void)
{
	glob_t g;
	int n = 0;
	size_t i;
	char path[300], t[16];
	FILE *f;

	if (glob("/sys/class/nvme-subsystem/nvme-subsys*/nvme[0-9]*", 0, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc; i++) {
		snprintf(path, sizeof(path), "%s/transport", g.gl_pathv[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(t, sizeof(t), f) && !strncmp(t, "tcp", 3))
			n++;
		fclose(f);
	}
	globfree(&g);
	return n;
}

/*
 * A path of root's own medium is no path of the protected head: the
 * transport allowlist (PCIe only, kmod/mpath.c) refuses its disk, so a
 * session with round-robin over the paths still writes all of the image
 * to the PCI medium. Read back once the tcp controller is gone, so no
 * read can come from root's copy.
 */
TEST_F_TIMEOUT(mp, zz_fabrics_path_is_no_path_of_the_head, 300)
{
	size_t len = 2 << 20;
	uint8_t *img = fwg_pattern(len, 11), *back = malloc(len);
	struct fwguard_ticket t;
	struct fwguard_commit c;
	FILE *f;
	int fd, tries;

	SETUP();
	ASSERT_NE(NULL, img);
	ASSERT_NE(NULL, back);
	if (fwg_sh("modprobe -q nvmet-tcp && modprobe -q nvme-tcp"))
		SKIP(return, "no nvmet-tcp or nvme-tcp in this kernel");
	f = fopen(ROGUE_SCRIPT, "w");
	ASSERT_NE(NULL, f);
	fputs(rogue_up, f);
	fclose(f);
	ASSERT_EQ(0, fwg_sh("sh " ROGUE_SCRIPT " %s", head));
	for (tries = 0; tries < 300 && rogue_ctrls() != 1; tries++)
		usleep(100000);
	ASSERT_EQ(1, rogue_ctrls());
	/* The namespace scan of the new controller is asynchronous. */
	for (tries = 0; tries < 50 && path_disks() == 2; tries++)
		usleep(100000);
	fwg_sh("dmesg | grep -E 'fwguard.*(nvme.*c.*n|transport)' | tail -3");
	EXPECT_EQ(2, path_disks());
	round_robin();
	fwg_ticket_init(&t, img, len, 3);
	fd = fwg_begin(&nb, &t, "signer");
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fwg_stream(fd, img, len, 512 << 10));
	EXPECT_EQ(0, fwg_commit(fd, &c));
	close(fd);
	EXPECT_EQ(0, fwg_sh("for c in /sys/class/nvme/nvme*; do "
			    "grep -q tcp $c/transport && echo 1 >$c/delete_controller; done; true"));
	for (tries = 0; tries < 100 && rogue_ctrls(); tries++)
		usleep(100000);
	ASSERT_EQ(0, rogue_ctrls());
	ASSERT_EQ(0, fwg_read_direct(nb.node, 0, back, len));
	EXPECT_EQ(0, memcmp(img, back, len));
	free(img);
	free(back);
}

static int heads(void)
{
	glob_t g;
	int n;

	if (glob("/sys/class/nvme-subsystem/nvme-subsys*/nvme*n[0-9]*", 0, NULL, &g))
		return 0;
	n = (int)g.gl_pathc;
	globfree(&g);
	return n;
}

/* The one head of the subsystem and its fw_b partition. */
static int find_head(struct fwg_part *p)
{
	char name[32];
	glob_t g;

	if (glob("/sys/class/nvme-subsystem/nvme-subsys*/nvme*n[0-9]*", 0, NULL, &g) ||
	    g.gl_pathc != 1) {
		globfree(&g);
		return -ENOENT;
	}
	snprintf(name, sizeof(name), "%s", strrchr(g.gl_pathv[0], '/') + 1);
	globfree(&g);
	return fwg_find_disk_part(name, "fw_b", p);
}

/*
 * The head goes away with its last path and comes back with the first
 * controller bound again, seeing only that controller's path. Reading its
 * GPT while it is added must not send a bio to it (6.12 crashed in
 * blk_mq_sched_bio_merge(): a bio-based disk takes bios only once it is
 * added): it is read through the path. It is the protected disk again,
 * with the identity on its medium: writes are refused, a session writes
 * it. The other controller, unbound meanwhile, stays locked to nvme.
 * After the session tests: the head comes back under another name.
 */
TEST_F_TIMEOUT(mp, unbound_controller_stays_locked_when_the_head_returns, 300)
{
	size_t len = 1 << 20;
	uint8_t *img = fwg_pattern(len, 13), *back = malloc(len);
	char first[32], path[128];
	struct fwguard_ticket t;
	struct fwguard_commit c;
	struct fwg_part p;
	int tries, fd;

	SETUP();
	ASSERT_NE(NULL, img);
	ASSERT_NE(NULL, back);
	ASSERT_EQ(0, ctrl_bdf(ctrl[0], first, sizeof(first)));
	ASSERT_EQ(0, fwg_sh("modprobe pci-stub"));
	ASSERT_EQ(0, fwg_write_file("/sys/bus/pci/drivers/nvme/unbind", late_bdf));
	ASSERT_EQ(0, fwg_write_file("/sys/bus/pci/drivers/nvme/unbind", first));
	for (tries = 0; tries < 600 && heads(); tries++)
		usleep(100000);
	ASSERT_EQ(0, heads());
	ASSERT_EQ(0, fwg_write_file("/sys/bus/pci/drivers/nvme/bind", first));
	for (tries = 0; tries < 1200 && (heads() != 1 || path_disks() != 1); tries++)
		usleep(100000);
	ASSERT_EQ(1, heads());
	usleep(500000);
	ASSERT_EQ(0, find_head(&p));
	EXPECT_EQ(-EPERM, fwg_write_direct(p.disk, p.start * 512, 0x5a, PROBE));
	fwg_ticket_init(&t, img, len, 4);
	fd = fwg_begin(&p, &t, "signer");
	EXPECT_LE(0, fd);
	if (fd >= 0) {
		EXPECT_EQ(0, fwg_stream(fd, img, len, 256 << 10));
		EXPECT_EQ(0, fwg_commit(fd, &c));
		close(fd);
		ASSERT_EQ(0, fwg_read_direct(p.node, 0, back, len));
		EXPECT_EQ(0, memcmp(img, back, len));
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", late_bdf);
	ASSERT_EQ(0, fwg_write_file(path, "pci-stub"));
	EXPECT_EQ(-EPERM, fwg_write_file("/sys/bus/pci/drivers/pci-stub/bind", late_bdf));
	fwg_write_file("/sys/bus/pci/drivers/pci-stub/unbind", late_bdf);
	EXPECT_EQ(0, fwg_write_file(path, "\n"));
	EXPECT_EQ(0, fwg_write_file("/sys/bus/pci/drivers/nvme/bind", late_bdf));
	ASSERT_EQ(0, wait_nodes());
	free(img);
	free(back);
}

TEST_HARNESS_MAIN
