// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard enforcement at the entry points: ftrace hooks that refuse early
 * with a clear errno, and the refusal report. The request gate (gate.c)
 * is the check below them all.
 *
 * Every bio passes submit_bio_noacct(), whoever built it (page cache
 * writeback, O_DIRECT, loop, device-mapper, md, BLKDISCARD). The bio hook
 * looks at write-direction bios only and, when one overlaps a protected
 * range on its whole disk and is not one of our own session bios, redirects
 * the call to fwguard_refuse_bio(), which completes the bio with an error
 * instead of letting it reach the driver. Allowed bios run the original
 * function untouched; the module never calls submit_bio_noacct() on their
 * behalf, so the bio hook cannot recurse.
 *
 * The open hook makes a plain write open of a protected partition fail with
 * EPERM before any data is buffered (a refused writeback would otherwise be
 * reported only at fsync, if at all). On 6.1 every block device open goes
 * through blkdev_get_by_dev(), which only knows the device number, so the
 * hook redirects to a wrapper that calls the original and inspects the
 * result. On 6.9+ bdev_open() receives the block device itself, so the
 * decision is taken in the ftrace callback. Whole-disk write opens stay
 * allowed (other partitions share the disk); the bio hook guards them.
 *
 * The write hook gives the whole-disk node the same courtesy: a write(2),
 * pwritev, aio or io_uring write whose byte range overlaps a protected range
 * fails with EPERM in blkdev_write_iter() instead of "succeeding" into the
 * page cache and failing at writeback. mmap writes and fallocate still
 * reach only the bio hook.
 *
 * The ioctl hooks (blkdev_ioctl, compat_blkdev_ioctl) give the block
 * nodes of a disk that holds a range an early EPERM for raw device
 * commands that are not on the allowlist (passthru.c), read from the
 * caller's memory. The caller can rewrite the command after that look, so
 * the answer is only early: the request gate (gate.c) judges the kernel's
 * own copy where it reaches the driver, and is the only check for the
 * char devices (/dev/sgN, /dev/bsg/..., /dev/nvmeN, ngXnY, io_uring).
 *
 * The disk hook wraps device_add_disk() so that a protected disk which is
 * deleted and added again (driver unbind/bind, bus rescan) is protected
 * again, and its queue gated, before its partitions exist
 * (fwguard_policy_claim_disk()); a disk that carries a protected identity
 * but cannot be protected is not added. A controller comes back before
 * its disks do, and takes commands before them (the NVMe admin queue, as
 * soon as /dev/nvmeN opens): the tag set hook wraps
 * blk_mq_alloc_tag_set() so that a controller at a protected disk's PCI
 * function is gated before any queue of it exists
 * (fwguard_gate_watch_set()).
 *
 * Two hooks live in bind.c, the driver-bind guard: really_probe(), which
 * every probe of a driver passes, and device_bind_driver(), by which a
 * driver is bound without a probe (usbfs claiming a USB interface). They
 * refuse a driver other than the one recorded for a device under a
 * protected disk.
 *
 * All hooks only act once a range is protected. Ranges pin the module, so
 * no task can be inside a redirected function while the module goes away.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/cdrom.h>
#include <linux/compat.h>
#include <linux/hdreg.h>
#include <linux/major.h>
#include <linux/mmc/ioctl.h>
#include <linux/nvme.h>
#include <linux/nvme_ioctl.h>
#include <linux/bio.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/cred.h>
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/uio.h>
#include <scsi/scsi_ioctl.h>
#include <scsi/sg.h>

#include "fwguard.h"

struct fwguard_stats fwguard_stats;

/*
 * Exclusive-open holder of session writers; the open hook lets writes by
 * this holder through. Only kernel code can pass a holder.
 */
static char fwguard_holder_cookie;
void *const fwguard_session_holder = &fwguard_holder_cookie;

static const char *const fwguard_refusal_reason[] = {
	[FWGUARD_REFUSE_BIO] = "write-bio",
	[FWGUARD_REFUSE_OPEN] = "open-for-write",
	[FWGUARD_REFUSE_WRITE] = "write-syscall",
};

/*
 * One audit record and one rate-limited log line per refusal. May run in
 * atomic context (bio submission from a completion path), hence GFP_ATOMIC.
 * For writeback bios the task is the flusher thread, not the writer; the
 * open-time refusal names the writer.
 */
static void fwguard_report(enum fwguard_refusal why, struct block_device *bdev,
			   sector_t sector, sector_t nr,
			   const struct fwguard_range *r, unsigned int op)
{
	struct audit_buffer *ab;

	pr_notice_ratelimited("refused %s op %u on %pg sectors %llu+%llu (protected %s, component %s) pid %d comm %s uid %u\n",
			      fwguard_refusal_reason[why], op, bdev, (u64)sector,
			      (u64)nr, r->name, r->component,
			      task_pid_nr(current), current->comm,
			      from_kuid(&init_user_ns, current_uid()));

	ab = audit_log_start(audit_context(), GFP_ATOMIC, AUDIT_KERNEL_OTHER);
	if (!ab)
		return;
	audit_log_format(ab, "op=fwguard_refuse reason=%s dev=%pg disk=%s sector=%llu nr_sectors=%llu protected=%s component=%s bio_op=%u",
			 fwguard_refusal_reason[why], bdev, r->disk->disk_name,
			 (u64)sector, (u64)nr, r->name, r->component, op);
	/* In interrupt context "current" is whoever was interrupted. */
	if (in_task())
		audit_log_task_info(ab);
	audit_log_end(ab);
}

static void fwguard_audit_ioctl(struct block_device *bdev, unsigned int cmd)
{
	struct audit_buffer *ab;

	ab = audit_log_start(audit_context(), GFP_KERNEL, AUDIT_KERNEL_OTHER);
	if (!ab)
		return;
	audit_log_format(ab, "op=fwguard_refuse reason=passthrough-ioctl dev=%pg disk=%s ioctl=0x%x",
			 bdev, bdev->bd_disk->disk_name, cmd);
	audit_log_task_info(ab);
	audit_log_end(ab);
}

/*
 * Where a bio lands on its whole disk. A bio that already went through
 * partition remapping (BIO_REMAPPED, e.g. the remainder of a split that is
 * resubmitted) carries an absolute sector already. Zone management ops
 * carry no size but can reset a whole zone or disk: treat them as touching
 * the whole disk.
 */
static void notrace fwguard_bio_extent(struct bio *bio, sector_t *start,
				       sector_t *nr)
{
	struct block_device *bdev = bio->bi_bdev;

	*start = bio->bi_iter.bi_sector;
	if (!bio_flagged(bio, BIO_REMAPPED))
		*start += bdev->bd_start_sect;
	*nr = bio_sectors(bio);
	if (!*nr && bio_op(bio) != REQ_OP_WRITE) {
		*start = 0;
		*nr = get_capacity(bdev->bd_disk);
	}
}

static struct fwguard_range *notrace fwguard_bio_blocked(struct bio *bio)
{
	sector_t start, nr;

	if (!op_is_write(bio_op(bio)) || !fwguard_range_count())
		return NULL;
	/*
	 * Session bios: split remainders keep the original bi_end_io, a
	 * split submitted again (multipath) points at its parent.
	 */
	if (fwguard_session_bio(bio))
		return NULL;
	fwguard_bio_extent(bio, &start, &nr);
	return fwguard_range_overlapping(bio->bi_bdev->bd_disk, start, nr);
}

/* Runs instead of submit_bio_noacct() for a refused bio. */
static void fwguard_refuse_bio(struct bio *bio)
{
	struct fwguard_range *r = fwguard_bio_blocked(bio);
	sector_t start, nr;

	atomic64_inc(&fwguard_stats.refused_bios);
	fwguard_bio_extent(bio, &start, &nr);
	if (r)
		fwguard_report(FWGUARD_REFUSE_BIO, bio->bi_bdev, start, nr, r,
			       bio_op(bio));
	bio->bi_status = BLK_STS_IOERR;
	bio_endio(bio);
}

static void notrace fwguard_bio_hook(unsigned long ip, unsigned long parent_ip,
				     struct ftrace_ops *ops,
				     struct ftrace_regs *fregs)
{
	if (fwguard_bio_blocked((struct bio *)fwguard_hook_arg(fregs, 0)))
		fwguard_hook_redirect(fregs, fwguard_refuse_bio);
}

static struct fwguard_range *fwguard_open_blocked(struct block_device *bdev,
						  fwguard_open_mode_t mode,
						  void *holder)
{
	if (!(mode & FWGUARD_MODE_WRITE) || holder == fwguard_session_holder ||
	    !bdev_is_partition(bdev))
		return NULL;
	return fwguard_range_overlapping(bdev->bd_disk, bdev->bd_start_sect,
					 bdev_nr_sectors(bdev));
}

static void fwguard_report_open(struct block_device *bdev,
				struct fwguard_range *r)
{
	atomic64_inc(&fwguard_stats.refused_opens);
	fwguard_report(FWGUARD_REFUSE_OPEN, bdev, bdev->bd_start_sect,
		       bdev_nr_sectors(bdev), r, REQ_OP_WRITE);
}

/*
 * For a wrapper that decides and then calls the original itself: every
 * call is redirected to it while ranges exist, except the wrapper's own
 * call of the original (and this module's other calls).
 */
static __always_inline void fwguard_redirect_others(unsigned long parent_ip,
						    struct ftrace_regs *fregs,
						    void *wrapper)
{
	if (within_module(parent_ip, THIS_MODULE) || !fwguard_range_count())
		return;
	fwguard_hook_redirect(fregs, wrapper);
}

#ifdef FWGUARD_BDEV_FILE
/* Runs instead of bdev_open() for a refused open; the caller cleans up. */
static int fwguard_refuse_open(struct block_device *bdev, blk_mode_t mode,
			       void *holder, const void *hops, struct file *f)
{
	struct fwguard_range *r = fwguard_open_blocked(bdev, mode, holder);

	if (r)
		fwguard_report_open(bdev, r);
	return -EPERM;
}

static void notrace fwguard_open_hook(unsigned long ip, unsigned long parent_ip,
				      struct ftrace_ops *ops,
				      struct ftrace_regs *fregs)
{
	if (fwguard_range_count() &&
	    fwguard_open_blocked((struct block_device *)fwguard_hook_arg(fregs, 0),
				 (blk_mode_t)fwguard_hook_arg(fregs, 1),
				 (void *)fwguard_hook_arg(fregs, 2)))
		fwguard_hook_redirect(fregs, fwguard_refuse_open);
}
#else
/*
 * Runs instead of blkdev_get_by_dev(). The call of the original below must
 * stay a real call, never a tail jump: the hook recognises the call as ours
 * by its return address inside this module, and with a jump that address
 * would be our caller's and every open would loop back here forever. The
 * work after the call keeps it a call; do not move it.
 */
static noinline struct block_device *
fwguard_blkdev_get_by_dev(dev_t dev, fmode_t mode, void *holder)
{
	struct block_device *bdev = blkdev_get_by_dev(dev, mode, holder);
	struct fwguard_range *r;

	if (IS_ERR(bdev))
		return bdev;
	r = fwguard_open_blocked(bdev, mode, holder);
	if (r) {
		fwguard_report_open(bdev, r);
		blkdev_put(bdev, mode);
		return ERR_PTR(-EPERM);
	}
	return bdev;
}

static void notrace fwguard_open_hook(unsigned long ip, unsigned long parent_ip,
				      struct ftrace_ops *ops,
				      struct ftrace_regs *fregs)
{
	/* Our wrapper and our own opens call the original directly. */
	fwguard_redirect_others(parent_ip, fregs, fwguard_blkdev_get_by_dev);
}
#endif

/* The sectors a write of @iocb/@from would touch on its whole disk. */
static struct fwguard_range *notrace fwguard_write_blocked(struct kiocb *iocb,
							   struct iov_iter *from,
							   struct block_device **bdevp,
							   sector_t *start, sector_t *nr)
{
	struct block_device *bdev;
	size_t count = iov_iter_count(from);
	loff_t pos = iocb->ki_pos;

	if (!count || pos < 0 || !fwguard_range_count())
		return NULL;
	bdev = I_BDEV(iocb->ki_filp->f_mapping->host);
	*bdevp = bdev;
	*start = bdev->bd_start_sect + (pos >> SECTOR_SHIFT);
	*nr = ((pos + count + SECTOR_SIZE - 1) >> SECTOR_SHIFT) - (pos >> SECTOR_SHIFT);
	return fwguard_range_overlapping(bdev->bd_disk, *start, *nr);
}

/* Runs instead of blkdev_write_iter() for a refused write. */
static ssize_t fwguard_refuse_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct block_device *bdev;
	struct fwguard_range *r;
	sector_t start, nr;

	r = fwguard_write_blocked(iocb, from, &bdev, &start, &nr);
	atomic64_inc(&fwguard_stats.refused_writes);
	if (r)
		fwguard_report(FWGUARD_REFUSE_WRITE, bdev, start, nr, r, REQ_OP_WRITE);
	return -EPERM;
}

static void notrace fwguard_write_hook(unsigned long ip, unsigned long parent_ip,
				       struct ftrace_ops *ops,
				       struct ftrace_regs *fregs)
{
	struct block_device *bdev;
	sector_t start, nr;

	if (fwguard_write_blocked((struct kiocb *)fwguard_hook_arg(fregs, 0),
				  (struct iov_iter *)fwguard_hook_arg(fregs, 1),
				  &bdev, &start, &nr))
		fwguard_hook_redirect(fregs, fwguard_refuse_write_iter);
}

/*
 * PERMANENT makes "sysctl kernel.ftrace_enabled=0" fail with EBUSY instead
 * of silently detaching every hook (livepatch relies on the same flag).
 */
#define FWGUARD_FTRACE_FLAGS (FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT)

/*
 * Block ioctls that send raw device commands. The request gate judges the
 * command the driver would receive; this entry check only turns the
 * obvious refusals into EPERM before anything is copied or queued.
 */
static bool notrace fwguard_ioctl_is_passthrough(unsigned int cmd)
{
	switch (cmd) {
	case SG_IO:
	case SCSI_IOCTL_SEND_COMMAND:
	case CDROM_SEND_PACKET:
	case HDIO_DRIVE_CMD:
	case HDIO_DRIVE_TASK:
	case HDIO_DRIVE_TASKFILE:
		return true;
	case NVME_IOCTL_ID:
		return false;
	}
	/* NVMe, MMC, and persistent reservations / SED-OPAL ('p'). */
	return _IOC_TYPE(cmd) == 'N' || _IOC_TYPE(cmd) == MMC_BLOCK_MAJOR ||
	       _IOC_TYPE(cmd) == 'p';
}

static bool notrace fwguard_disk_protected(const struct gendisk *disk)
{
	unsigned int i, n = fwguard_range_count();

	for (i = 0; i < n; i++)
		if (fwguard_range_get(i)->disk == disk)
			return true;
	return false;
}

static struct block_device *notrace fwguard_ioctl_blocked(struct file *file,
							  unsigned int cmd)
{
	struct block_device *bdev;

	if (!fwguard_range_count() || !fwguard_ioctl_is_passthrough(cmd))
		return NULL;
	bdev = I_BDEV(file->f_mapping->host);
	return fwguard_disk_protected(bdev->bd_disk) ||
	       fwguard_gate_guards(bdev->bd_disk) ? bdev : NULL;
}

/* Longest CDB the gate decodes (struct scsi_cmnd::cmnd). */
#define FWGUARD_MAX_CDB	32

/* NVME_IOCTL_SUBMIT_IO from a 32-bit process (packed struct, 44 bytes). */
#define FWGUARD_NVME_SUBMIT_IO32	_IOC(_IOC_WRITE, 'N', 0x42, 44)

/* The CDB of an SG_IO header, native or 32-bit; false if unreadable. */
static bool fwguard_sg_io_cdb(unsigned long arg, bool compat, u8 *cdb,
			      unsigned int *len)
{
	void __user *cmdp;

	if (compat) {
		struct compat_sg_io_hdr h;

		if (copy_from_user(&h, compat_ptr(arg), sizeof(h)))
			return false;
		*len = h.cmd_len;
		cmdp = compat_ptr(h.cmdp);
	} else {
		struct sg_io_hdr h;

		if (copy_from_user(&h, (void __user *)arg, sizeof(h)))
			return false;
		*len = h.cmd_len;
		cmdp = h.cmdp;
	}
	*len = min_t(unsigned int, *len, FWGUARD_MAX_CDB);
	return !copy_from_user(cdb, cmdp, *len);
}

/*
 * Whether the command an ioctl carries is on the allowlist, read from the
 * caller's memory. The caller can change it after this look, so this is
 * only the early answer; the gate decides on the kernel's copy.
 */
static bool fwguard_ioctl_allowed(unsigned int cmd, unsigned long arg, bool compat)
{
	void __user *uarg = compat ? compat_ptr(arg) : (void __user *)arg;
	struct nvme_command c = {};
	u8 cdb[FWGUARD_MAX_CDB];
	unsigned int len;
	u8 op;

	switch (cmd) {
	case SG_IO:
		return fwguard_sg_io_cdb(arg, compat, cdb, &len) &&
		       fwguard_scsi_cdb_allowed(cdb, len);
	case NVME_IOCTL_ADMIN_CMD:
	case NVME_IOCTL_ADMIN64_CMD:
	case NVME_IOCTL_IO_CMD:
	case NVME_IOCTL_IO64_CMD:
	case NVME_IOCTL_SUBMIT_IO:
	case FWGUARD_NVME_SUBMIT_IO32:
		/* The opcode is the first byte of every one of these structs. */
		if (get_user(op, (u8 __user *)uarg))
			return false;
		c.common.opcode = op;
		return fwguard_nvme_cmd_allowed(&c, cmd == NVME_IOCTL_ADMIN_CMD ||
						cmd == NVME_IOCTL_ADMIN64_CMD, true);
	}
	return false;
}

static void fwguard_report_ioctl(struct block_device *bdev, unsigned int cmd)
{
	atomic64_inc(&fwguard_stats.refused_ioctls);
	pr_notice_ratelimited("refused passthrough ioctl 0x%x on %pg (disk holds protected ranges) pid %d comm %s uid %u\n",
			      cmd, bdev, task_pid_nr(current), current->comm,
			      from_kuid(&init_user_ns, current_uid()));
	fwguard_audit_ioctl(bdev, cmd);
}

/*
 * Run instead of blkdev_ioctl() and compat_blkdev_ioctl() for passthrough
 * ioctls on a protected disk (or a sibling on its controller). Allowed
 * commands go on to the original through the file's own operations; as
 * with the open wrapper, that call must stay a real call (the hook knows
 * it by its return address in this module), which the work after it
 * ensures.
 */
static __always_inline long fwguard_ioctl_pass(struct file *file, unsigned int cmd,
					       unsigned long arg, bool compat)
{
	struct block_device *bdev = I_BDEV(file->f_mapping->host);
	long ret;

	if (!fwguard_ioctl_allowed(cmd, arg, compat)) {
		fwguard_report_ioctl(bdev, cmd);
		return -EPERM;
	}
	ret = compat ? file->f_op->compat_ioctl(file, cmd, arg) :
		       file->f_op->unlocked_ioctl(file, cmd, arg);
	barrier();
	return ret;
}

/*
 * One wrapper per entry point, each a function of its own for the hook to
 * redirect to; the body above is inlined into both, so each keeps its own
 * real call to the original.
 */
static noinline long fwguard_blkdev_ioctl(struct file *file, unsigned int cmd,
					  unsigned long arg)
{
	return fwguard_ioctl_pass(file, cmd, arg, false);
}

static noinline long fwguard_compat_blkdev_ioctl(struct file *file, unsigned int cmd,
						 unsigned long arg)
{
	return fwguard_ioctl_pass(file, cmd, arg, true);
}

/* Both ioctl entry points take (file, cmd, arg) and differ only in the wrapper. */
static __always_inline void fwguard_ioctl_check(unsigned long parent_ip,
						struct ftrace_regs *fregs, void *wrapper)
{
	if (within_module(parent_ip, THIS_MODULE))
		return;
	if (fwguard_ioctl_blocked((struct file *)fwguard_hook_arg(fregs, 0),
				  (unsigned int)fwguard_hook_arg(fregs, 1)))
		fwguard_hook_redirect(fregs, wrapper);
}

static void notrace fwguard_ioctl_hook(unsigned long ip, unsigned long parent_ip,
				       struct ftrace_ops *ops,
				       struct ftrace_regs *fregs)
{
	fwguard_ioctl_check(parent_ip, fregs, fwguard_blkdev_ioctl);
}

static void notrace fwguard_compat_ioctl_hook(unsigned long ip, unsigned long parent_ip,
					      struct ftrace_ops *ops,
					      struct ftrace_regs *fregs)
{
	fwguard_ioctl_check(parent_ip, fregs, fwguard_compat_blkdev_ioctl);
}

/*
 * Runs instead of device_add_disk(). As with the 6.1 open wrapper, the call
 * of the original must stay a real call (the hook recognises it by its
 * return address in this module); the work after it keeps it one.
 */
static noinline int fwguard_device_add_disk(struct device *parent,
					    struct gendisk *disk,
					    const struct attribute_group **groups)
{
	int err;

	/*
	 * The adopted disk's queue is gated before it can take requests; a
	 * disk carrying a protected identity that cannot be protected is not
	 * added at all (its driver's probe fails).
	 */
	err = fwguard_policy_claim_disk(parent, disk);
	if (!err)
		err = device_add_disk(parent, disk, groups);
	fwguard_policy_settle_disk(disk, !err);
	return err;
}

static void notrace fwguard_disk_hook(unsigned long ip, unsigned long parent_ip,
				      struct ftrace_ops *ops,
				      struct ftrace_regs *fregs)
{
	fwguard_redirect_others(parent_ip, fregs, fwguard_device_add_disk);
}

/*
 * Runs instead of blk_mq_alloc_tag_set(). The tag set of a controller at a
 * protected disk's PCI function is gated before any queue is made from it
 * (gate.c fwguard_gate_watch_set()); one that cannot be gated is freed
 * again, and the driver's probe or reset fails. The call of the original
 * stays a real call, as above.
 */
static noinline int fwguard_blk_mq_alloc_tag_set(struct blk_mq_tag_set *set)
{
	int err;

	err = blk_mq_alloc_tag_set(set);
	if (!err) {
		err = fwguard_gate_watch_set(set);
		if (err)
			blk_mq_free_tag_set(set);
	}
	return err;
}

static void notrace fwguard_tag_set_hook(unsigned long ip, unsigned long parent_ip,
					 struct ftrace_ops *ops,
					 struct ftrace_regs *fregs)
{
	fwguard_redirect_others(parent_ip, fregs, fwguard_blk_mq_alloc_tag_set);
}

#define FWGUARD_HOOK(sym, fn) \
	{ .symbol = (sym), .ops = { .func = (fn), .flags = FWGUARD_FTRACE_FLAGS } }

/* Attached in this order, detached in reverse. */
static struct fwguard_hook {
	const char *symbol;
	struct ftrace_ops ops;
} fwguard_hooks[] = {
	FWGUARD_HOOK("submit_bio_noacct", fwguard_bio_hook),
	FWGUARD_HOOK(FWGUARD_OPEN_HOOK_SYMBOL, fwguard_open_hook),
	FWGUARD_HOOK("blkdev_write_iter", fwguard_write_hook),
	FWGUARD_HOOK("blkdev_ioctl", fwguard_ioctl_hook),
	FWGUARD_HOOK("compat_blkdev_ioctl", fwguard_compat_ioctl_hook),
	FWGUARD_HOOK("device_add_disk", fwguard_disk_hook),
	/* A controller's queues, before any exists (the NVMe admin queue). */
	FWGUARD_HOOK("blk_mq_alloc_tag_set", fwguard_tag_set_hook),
	/* Every driver bind, with a probe or without; bind.c says why these. */
	FWGUARD_HOOK("really_probe", fwguard_probe_hook),
	FWGUARD_HOOK("device_bind_driver", fwguard_bind_driver_hook),
};

static int fwguard_hook_attach(struct ftrace_ops *ops, const char *symbol)
{
	int err;

	err = ftrace_set_filter(ops, (unsigned char *)symbol, strlen(symbol), 1);
	if (err) {
		pr_err("cannot trace %s: %d\n", symbol, err);
		return err;
	}
	err = register_ftrace_function(ops);
	if (err) {
		pr_err("cannot hook %s: %d (another IPMODIFY user, e.g. a livepatch?)\n",
		       symbol, err);
		ftrace_free_filter(ops);
	}
	return err;
}

static void fwguard_hook_detach(struct ftrace_ops *ops)
{
	unregister_ftrace_function(ops);
	ftrace_free_filter(ops);
}

/* Detach hooks [0, @n) in reverse order of attachment. */
static void fwguard_hooks_detach(size_t n)
{
	while (n--)
		fwguard_hook_detach(&fwguard_hooks[n].ops);
}

/**
 * fwguard_hooks_init() - attach every entry hook, all or none
 *
 * Return: 0, or the errno from ftrace (-EINVAL when a symbol is not
 * traceable on this kernel, -EBUSY when another IPMODIFY user holds it).
 */
int fwguard_hooks_init(void)
{
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(fwguard_hooks); i++) {
		err = fwguard_hook_attach(&fwguard_hooks[i].ops, fwguard_hooks[i].symbol);
		if (err) {
			fwguard_hooks_detach(i);
			return err;
		}
	}
	return 0;
}

/**
 * fwguard_hooks_exit() - detach all hooks
 */
void fwguard_hooks_exit(void)
{
	fwguard_hooks_detach(ARRAY_SIZE(fwguard_hooks));
}
