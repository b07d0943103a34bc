/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * NVMe passthrough from userspace, by hand: the ioctls of the namespace,
 * generic and controller nodes, and one io_uring URING_CMD (no liburing).
 * For the kernel tests that attack NVMe disks.
 */
#ifndef FWGUARD_TEST_NVME_H
#define FWGUARD_TEST_NVME_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <linux/nvme_ioctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* One command through @req (NVME_IOCTL_IO_CMD, _ADMIN_CMD) on @node. */
static inline int fwg_nvme_passthru(const char *node, unsigned long req, uint8_t op,
				    uint32_t nsid, void *buf, uint32_t len, uint32_t cdw10,
				    uint32_t cdw11, uint32_t cdw12)
{
	struct nvme_passthru_cmd c = {
		.opcode = op, .nsid = nsid, .addr = (uintptr_t)buf, .data_len = len,
		.cdw10 = cdw10, .cdw11 = cdw11, .cdw12 = cdw12, .timeout_ms = 10000,
	};
	int fd = open(node, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, req, &c);
	if (ret < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* NVMe Write of one 512-byte block of 0x77 at @lba. */
static inline int fwg_nvme_write(const char *node, unsigned long req, uint32_t nsid,
				 uint64_t lba)
{
	void *buf;
	int ret;

	if (posix_memalign(&buf, 4096, 4096))
		return -ENOMEM;
	memset(buf, 0x77, 4096);
	ret = fwg_nvme_passthru(node, req, 0x01, nsid, buf, 512, (uint32_t)lba,
				(uint32_t)(lba >> 32), 0);
	free(buf);
	return ret;
}

/* The result of one submitted SQE128 ring entry (CQE32), or -errno. */
static inline int fwg_uring_cmd_result(int ring, const struct io_uring_params *p, void *sq,
				       void *cq)
{
	uint32_t *sq_tail = sq + p->sq_off.tail, *sq_array = sq + p->sq_off.array;
	uint32_t *cq_head = cq + p->cq_off.head, *cq_tail = cq + p->cq_off.tail;
	struct io_uring_cqe *cqe;

	sq_array[0] = 0;
	__atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	if (__atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) == *cq_head)
		return -EIO;
	cqe = cq + p->cq_off.cqes + (*cq_head & (p->cq_entries - 1)) * 32;
	return cqe->res;
}

/* One IORING_OP_URING_CMD NVMe Write of 512 bytes of 0x78 at @lba on @node. */
static inline int fwg_nvme_uring_write(const char *node, uint64_t lba)
{
	struct io_uring_params p = { .flags = IORING_SETUP_SQE128 | IORING_SETUP_CQE32 };
	struct io_uring_sqe *sqe;
	struct nvme_uring_cmd *cmd;
	void *sq, *cq, *sqes, *buf = NULL;
	int ring, fd, ret = -EIO;

	ring = syscall(SYS_io_uring_setup, 4, &p);
	if (ring < 0)
		return -errno;
	fd = open(node, O_RDWR | O_CLOEXEC);
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * 4, PROT_READ | PROT_WRITE,
		  MAP_SHARED, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * 32, PROT_READ | PROT_WRITE,
		  MAP_SHARED, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * 128, PROT_READ | PROT_WRITE, MAP_SHARED, ring,
		    IORING_OFF_SQES);
	if (fd < 0 || sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED ||
	    posix_memalign(&buf, 4096, 4096))
		goto out;
	memset(buf, 0x78, 4096);
	sqe = sqes;
	memset(sqe, 0, 128);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = fd;
	sqe->cmd_op = NVME_URING_CMD_IO;
	cmd = (void *)sqe->cmd;
	cmd->opcode = 0x01;
	cmd->nsid = 1;
	cmd->addr = (uintptr_t)buf;
	cmd->data_len = 512;
	cmd->cdw10 = (uint32_t)lba;
	cmd->cdw11 = (uint32_t)(lba >> 32);
	ret = fwg_uring_cmd_result(ring, &p, sq, cq);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	close(ring);
	return ret;
}

/* The PCI function ("0000:00:05.0") of the controller node @node (/dev/nvmeN). */
static inline int fwg_nvme_bdf(const char *node, char *bdf, size_t len)
{
	char path[128], link[256], *slash;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/class/nvme/%s/device", strrchr(node, '/') + 1);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	slash = strrchr(link, '/');
	slash = slash ? slash + 1 : link;
	if (strlen(slash) >= len)
		return -ENAMETOOLONG;
	memcpy(bdf, slash, strlen(slash) + 1);
	return 0;
}

static inline int fwg_nvme_driver_file(const char *file, const char *bdf)
{
	char path[64];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/nvme/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, bdf, strlen(bdf)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

struct fwg_nvme_rebind {
	const char *bdf;
	int err;
};

static inline void *fwg_nvme_bind_later(void *arg)
{
	struct fwg_nvme_rebind *r = arg;

	usleep(100000);
	r->err = fwg_nvme_driver_file("bind", r->bdf);
	return NULL;
}

/* The PCI address of controller nvme@i, or -ENOENT when there is none. */
static inline int fwg_nvme_address(unsigned int i, char *addr, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/nvme/nvme%u/address", i);
	f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	if (!fgets(addr, (int)len, f))
		addr[0] = 0;
	fclose(f);
	addr[strcspn(addr, "\n")] = 0;
	return 0;
}

/* The controller node (/dev/nvmeN) of the PCI function @bdf, if any. */
static inline int fwg_nvme_node_of(const char *bdf, char *node, size_t len)
{
	char addr[64];
	unsigned int i;

	for (i = 0; i < 32; i++)
		if (!fwg_nvme_address(i, addr, sizeof(addr)) && !strcmp(addr, bdf)) {
			snprintf(node, len, "/dev/nvme%u", i);
			return 0;
		}
	return -ENOENT;
}

/*
 * Format NVM (nsid 1) on the first controller node that opens, other than
 * those in @others (a bit per instance): opened and sent at once, without
 * a look at sysfs first, so that it reaches a controller that just went
 * live before anything else happens on it.
 */
static inline int fwg_nvme_format_first_open(unsigned long others)
{
	struct nvme_admin_cmd c = { .opcode = 0x80, .nsid = 1, .timeout_ms = 60000 };
	time_t t0 = time(NULL);
	char node[40];
	unsigned int i;
	int fd, ret;

	while (time(NULL) - t0 < 120) {
		for (i = 0; i < 16; i++) {
			if (others & (1UL << i))
				continue;
			snprintf(node, sizeof(node), "/dev/nvme%u", i);
			fd = open(node, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				continue;	/* not there, or not live yet */
			ret = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &c) < 0 ? -errno : 0;
			close(fd);
			return ret;
		}
	}
	return -ETIMEDOUT;
}

/*
 * Unbind the PCI function @bdf from nvme and bind it again, spinning on
 * the new controller's node meanwhile: Format NVM (nsid 1) is sent the
 * moment the node opens, when the controller just went live and its
 * namespace is not scanned yet. Return: the ioctl's result (0: accepted,
 * a positive NVMe status, -EREMOTEIO: refused by the request gate),
 * -ETIMEDOUT when no new controller node opened in 120 s (the bind's errno when
 * the bind failed), or the unbind's errno.
 */
static inline int fwg_nvme_rebind_format(const char *bdf)
{
	struct fwg_nvme_rebind r = { .bdf = bdf };
	unsigned long others = 0;
	char addr[64];
	unsigned int i;
	pthread_t th;
	int ret;

	/* The other controllers stay; the new one is none of them. */
	for (i = 0; i < 16; i++)
		if (!fwg_nvme_address(i, addr, sizeof(addr)) && strcmp(addr, bdf))
			others |= 1UL << i;
	ret = fwg_nvme_driver_file("unbind", bdf);
	if (ret)
		return ret;
	if (pthread_create(&th, NULL, fwg_nvme_bind_later, &r))
		return -EAGAIN;
	ret = fwg_nvme_format_first_open(others);
	pthread_join(th, NULL);
	return ret == -ETIMEDOUT && r.err ? r.err : ret;
}

#endif
