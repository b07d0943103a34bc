// SPDX-License-Identifier: GPL-2.0-only
/*
 * Property: however many queues the request gate has seen come and go, a
 * protected disk that comes back is gated, and no entry left by a freed
 * queue judges another driver's queue.
 *
 * Attacks: (1) with a fixed table of 32 queues, rebinds filled it; a
 * protected NVMe namespace that came back was claimed but not gated, and
 * the ->queue_rqs() batch hook skipped it, so a batch of NVMe passthrough
 * writes (io_uring uring_cmd, plugged when several are submitted at once)
 * went to nvme_queue_rqs() unjudged and wrote a protected slot. (2) With a
 * table that grows, an entry of a freed virtio-blk queue matched, by its
 * address, the rebound controller's admin queue, whose start-up commands
 * were then judged as virtio-blk passthrough and refused: the controller
 * was removed ("could not set timestamp (-121)").
 *
 * The scratch disk's rebinds fill the table: a new loop device takes each
 * freed request_queue, so every rebound vda gets a fresh address and slot.
 * User-key payloads then take the memory the unbound NVMe controller
 * freed, so that the rebound controller matches no stale entry by its
 * controller or parent pointer. FWGUARD_REBINDS=0 is the control: the
 * same batch on a rebound namespace whose queue is gated fails with
 * EREMOTEIO and leaves the slot alone.
 *
 * Destructive (rebinds the scratch disk and the NVMe controller dozens of
 * times): runs only when FWGUARD_DESTRUCTIVE names it, in a boot of its
 * own with --devices (tests/host/fwguard_breach_gate_full.sh).
 */
#define _GNU_SOURCE
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <linux/loop.h>
#include <linux/nvme_ioctl.h>
#include <sys/mman.h>

#include "fwguard_util.h"

#define PROBE	4096
#define NSQE	8
#define REBINDS	60

static int selected(const char *name)
{
	const char *v = getenv("FWGUARD_DESTRUCTIVE");

	return v && !strcmp(v, name);
}

/* The first node matching @pat, e.g. "/dev/ng*n1". */
static int first_match(const char *pat, char *out, size_t len)
{
	glob_t g;
	int err = -ENOENT;

	if (!glob(pat, 0, NULL, &g) && g.gl_pathc) {
		snprintf(out, len, "%s", g.gl_pathv[0]);
		err = 0;
	}
	globfree(&g);
	return err;
}

/* The NVMe namespace disk ("nvme0n1"; "nvme0n2" once rebound) with fw_b. */
static int nvme_fw_b(char *disk, size_t len, struct fwg_part *p)
{
	int i;

	for (i = 0; i < 100; i++) {
		char path[PATH_MAX];

		if (!first_match("/sys/block/nvme*n[0-9]", path, sizeof(path))) {
			snprintf(disk, len, "%s", basename(path));
			if (!fwg_find_disk_part(disk, "fw_b", p) && !access(p->node, F_OK))
				return 0;
		}
		usleep(100000);
	}
	return -ENOENT;
}

/*
 * Keys whose payloads take the kmalloc slots the unbound controller freed,
 * so that the rebound one lands elsewhere and matches no stale gate entry
 * by its controller or parent device.
 */
static void spray(void)
{
	static char payload[16384];
	static const size_t sizes[] = { 1500, 3000, 6000, 12000 };
	char desc[32];
	unsigned int i, j;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (j = 0; j < 48; j++) {
			snprintf(desc, sizeof(desc), "fwg-spray-%u-%u", i, j);
			add_key("user", desc, payload, sizes[i], KEY_SPEC_PROCESS_KEYRING);
		}
}

/* Unbind and bind the device behind /sys/block/@disk (bus driver @drv). */
static int rebind(const char *disk, const char *drv, int hold)
{
	char path[PATH_MAX], link[PATH_MAX], dev[128], f[PATH_MAX];
	ssize_t n;
	int ctl;

	snprintf(path, sizeof(path), "/sys/block/%s/device%s", disk,
		 strncmp(disk, "nvme", 4) ? "" : "/device");
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -errno;
	link[n] = 0;
	snprintf(dev, sizeof(dev), "%s", basename(link));
	snprintf(f, sizeof(f), "%s/unbind", drv);
	if (fwg_write_file(f, dev))
		return -EIO;
	/* New loop devices take the freed request_queues' memory. */
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl >= 0) {
		ioctl(ctl, LOOP_CTL_ADD, 100 + 2 * hold);
		ioctl(ctl, LOOP_CTL_ADD, 101 + 2 * hold);
		close(ctl);
	}
	if (!strncmp(disk, "nvme", 4))
		spray();
	snprintf(f, sizeof(f), "%s/bind", drv);
	return fwg_write_file(f, dev) ? -EIO : 0;
}

static int wait_vd(char *disk, size_t len)
{
	int i;

	for (i = 0; i < 100; i++) {
		char path[PATH_MAX];
		struct fwg_part p;

		if (!first_match("/sys/block/vd*", path, sizeof(path))) {
			snprintf(disk, len, "%s", basename(path));
			if (!fwg_find_disk_part(disk, "fw_a", &p))
				return 0;
		}
		usleep(100000);
	}
	return -ENOENT;
}

/* @n IORING_OP_URING_CMD NVMe writes of @fill at @lba, submitted at once. */
static int uring_batch_write(const char *node, uint64_t lba, int fill, int *res)
{
	struct io_uring_params p = { .flags = IORING_SETUP_SQE128 | IORING_SETUP_CQE32 };
	uint32_t *sq_tail, *sq_array, *cq_head, *cq_tail;
	void *sq, *cq, *sqes, *buf;
	int ring, fd, i, got = 0;

	ring = syscall(SYS_io_uring_setup, NSQE, &p);
	if (ring < 0)
		return -errno;
	fd = open(node, O_RDWR | O_CLOEXEC);
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * 4, PROT_READ | PROT_WRITE,
		  MAP_SHARED, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * 32, PROT_READ | PROT_WRITE,
		  MAP_SHARED, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * 128, PROT_READ | PROT_WRITE, MAP_SHARED, ring,
		    IORING_OFF_SQES);
	if (fd < 0)
		return -errno;
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED ||
	    posix_memalign(&buf, 4096, 4096))
		return -ENOMEM;
	memset(buf, fill, 4096);
	sq_tail = sq + p.sq_off.tail;
	sq_array = sq + p.sq_off.array;
	for (i = 0; i < NSQE; i++) {
		struct io_uring_sqe *sqe = (void *)((char *)sqes + 128 * i);
		struct nvme_uring_cmd *cmd = (void *)sqe->cmd;

		memset(sqe, 0, 128);
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = fd;
		sqe->cmd_op = NVME_URING_CMD_IO;
		cmd->opcode = 0x01;
		cmd->nsid = 1;
		cmd->addr = (uintptr_t)buf;
		cmd->data_len = 512;
		cmd->cdw10 = (uint32_t)(lba + i);
		cmd->cdw11 = (uint32_t)((lba + i) >> 32);
		sq_array[i] = i;
	}
	__atomic_store_n(sq_tail, *sq_tail + NSQE, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, ring, NSQE, NSQE, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	cq_head = cq + p.cq_off.head;
	cq_tail = cq + p.cq_off.tail;
	while (*cq_head != __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) && got < NSQE) {
		struct io_uring_cqe *cqe = cq + p.cq_off.cqes +
					   (*cq_head & (p.cq_entries - 1)) * 32;

		res[got++] = cqe->res;
		(*cq_head)++;
	}
	close(fd);
	close(ring);
	return got;
}

/*
 * Plain main (the harness's 30 s timeout is too short for the rebinds):
 * exit 0 when the slot kept its bytes, 1 when it changed, 4 to skip.
 */
int main(void)
{
	uint8_t before[PROBE], after[PROBE];
	char vd[32] = "vda", nv[32], ng[64];
	struct fwg_part a, b, nb;
	const char *env = getenv("FWGUARD_REBINDS");
	int i, n, res[NSQE], ctl, changed, rebinds = env ? atoi(env) : REBINDS;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("TAP version 13\n1..1\n");
	if (!selected("gate_full_keeps_nvme_batch_gated")) {
		printf("ok 1 # SKIP rebinds dozens of times; run by tests/host/fwguard_breach_gate_full.sh\n");
		return 4;
	}
	if (fwg_sh("modprobe nvme && modprobe loop") || nvme_fw_b(nv, sizeof(nv), &nb) ||
	    fwg_setup(&a, &b))
		return 2;
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0 || fwg_write_direct(nb.disk, nb.start * 512, 0x3c, PROBE) ||
	    fwg_protect(ctl, &nb, 0))
		return 2;
	close(ctl);
	fwg_write_file("/sys/kernel/security/lockdown", "integrity");

	/* Fill the gate's queue table with the rebound scratch disk's queues. */
	/* FWGUARD_REBINDS=0: the control, the same batch with room in the table. */
	for (i = 0; i < rebinds; i++)
		if (rebind(vd, "/sys/bus/virtio/drivers/virtio_blk", i) || wait_vd(vd, sizeof(vd)))
			return 2;
	/* The NVMe namespace comes back, is claimed, but its queue is not gated. */
	if (rebind(nv, "/sys/bus/pci/drivers/nvme", REBINDS) || nvme_fw_b(nv, sizeof(nv), &nb))
		return 2;
	fwg_sh("dmesg | grep -E 'cannot gate|request gate on nvme' | tail -2;");
	/* Still protected: a write open of the slot is refused. */
	if (open(nb.node, O_WRONLY | O_CLOEXEC) >= 0 || errno != EPERM)
		printf("# %s: write open not refused\n", nb.node);
	/* The generic node follows the controller ("ng1n2" for nvme0n2). */
	if (first_match("/dev/ng*n*", ng, sizeof(ng)))
		return 2;
	if (fwg_read_direct(nb.disk, nb.start * 512, before, PROBE))
		return 2;
	n = uring_batch_write(ng, nb.start, 0x5e, res);
	printf("# %d completions of %d uring_cmd writes on %s\n", n, NSQE, ng);
	for (i = 0; i < n; i++)
		printf("# uring_cmd write %d on %s: %d\n", i, ng, res[i]);
	if (fwg_read_direct(nb.disk, nb.start * 512, after, PROBE))
		return 2;
	changed = memcmp(before, after, PROBE) != 0;
	printf("%s 1 gate_full_keeps_nvme_batch_gated%s\n", changed ? "not ok" : "ok",
	       changed ? ": protected NVMe fw_b changed" : "");
	return changed;
}
