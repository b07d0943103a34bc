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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

#endif
