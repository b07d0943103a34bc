/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel API differences between Debian's 6.1 and 6.12 kernels, kept in one
 * place so that the rest of fwguard reads the same on both:
 *  - opening a block device: blkdev_get_by_dev()/blkdev_put() with fmode_t
 *    (6.1) versus bdev_file_open_by_dev()/fput() with blk_mode_t (6.9+);
 *  - the open-time hook point: blkdev_get_by_dev() in 6.1 is where every
 *    open (device node, dm, mount, swap) funnels; from 6.9 on that is
 *    bdev_open(), which receives the struct block_device directly.
 * The hooks' argument access is only wired up for x86-64 here.
 */
#ifndef FWGUARD_COMPAT_H
#define FWGUARD_COMPAT_H

#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/version.h>

#ifndef CONFIG_X86_64
#error "fwguard: the ftrace hooks read arguments from x86-64 pt_regs"
#endif
#ifndef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
#error "fwguard needs ftrace with arguments (CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS)"
#endif

/*
 * The hooks read the traced function's arguments and redirect it through
 * ftrace_regs, without FTRACE_OPS_FL_SAVE_REGS: the full-register
 * trampoline costs every bio noticeably more (livepatch makes the same
 * choice). 6.12 has accessors; 6.1 exposes the pt_regs inside.
 */
#include <linux/ftrace.h>
#ifdef ftrace_regs_get_argument
#define fwguard_hook_arg(fregs, n)	ftrace_regs_get_argument(fregs, n)
#else
#define fwguard_hook_arg(fregs, n)	regs_get_kernel_argument(&(fregs)->regs, n)
#endif
#ifdef ftrace_regs_set_instruction_pointer
#define fwguard_hook_redirect(fregs, fn) \
	ftrace_regs_set_instruction_pointer(fregs, (unsigned long)(fn))
#else
#define fwguard_hook_redirect(fregs, fn) \
	ftrace_instruction_pointer_set(fregs, (unsigned long)(fn))
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#define FWGUARD_BDEV_FILE 1
#define FWGUARD_OPEN_HOOK_SYMBOL "bdev_open"
typedef blk_mode_t fwguard_open_mode_t;
#define FWGUARD_MODE_WRITE BLK_OPEN_WRITE
#else
#define FWGUARD_OPEN_HOOK_SYMBOL "blkdev_get_by_dev"
typedef fmode_t fwguard_open_mode_t;
#define FWGUARD_MODE_WRITE FMODE_WRITE
#endif

/*
 * May a bio-based disk take bios before device_add_disk()? From 6.4 on
 * the block layer routes a bio to ->submit_bio() only once
 * device_add_disk() has set BD_HAS_SUBMIT_BIO (a bool before 6.9); before
 * that, blk-mq takes it, on a queue that has no blk-mq state.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
#define FWGUARD_BIO_DISK_READ_BEFORE_ADD 1
#endif

/*
 * Has del_gendisk() run on @disk? disk_live() is inline on 6.1 and an
 * exported function on 6.12; both say the same.
 */
static inline bool fwguard_disk_gone(struct gendisk *disk)
{
	return !disk_live(disk);
}

/* An open block device, however this kernel represents one. */
struct fwguard_bdev {
	struct block_device *bdev;
#ifdef FWGUARD_BDEV_FILE
	struct file *file;
#else
	fmode_t mode;
#endif
};

/*
 * Open @dev for reading, and for exclusive writing with @holder when @write.
 * Returns 0 or the negative errno of the open.
 */
static inline int fwguard_bdev_open(struct fwguard_bdev *h, dev_t dev,
				    bool write, void *holder)
{
#ifdef FWGUARD_BDEV_FILE
	blk_mode_t mode = BLK_OPEN_READ | (write ? BLK_OPEN_WRITE : 0);
	struct file *file;

	file = bdev_file_open_by_dev(dev, mode, write ? holder : NULL, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);
	h->file = file;
	h->bdev = file_bdev(file);
#else
	fmode_t mode = FMODE_READ | (write ? FMODE_WRITE | FMODE_EXCL : 0);
	struct block_device *bdev;

	bdev = blkdev_get_by_dev(dev, mode, write ? holder : NULL);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	h->mode = mode;
	h->bdev = bdev;
#endif
	return 0;
}

static inline void fwguard_bdev_close(struct fwguard_bdev *h)
{
	if (!h->bdev)
		return;
#ifdef FWGUARD_BDEV_FILE
	fput(h->file);
	h->file = NULL;
#else
	blkdev_put(h->bdev, h->mode);
#endif
	h->bdev = NULL;
}

/*
 * The head of the NVMe driver's per-request data (struct nvme_request in
 * drivers/nvme/host/nvme.h, not a public header), which is the first
 * member of the blk-mq pdu of every NVMe transport the gate decodes (pci,
 * tcp, rdma, loop), identical in 6.1 and 6.12:
 *   struct nvme_command *cmd; union nvme_result result; u8 genctr;
 *   u8 retries; u8 flags; u16 status; ...
 * and NVME_REQ_USERCMD = 1 << 1 marks requests built from userspace
 * (nvme_alloc_user_request()). The gate checks at hook time that the
 * queue's pdu is at least this large, and per request that @cmd points at
 * mapped kernel memory; anything else refuses the command.
 */
#include <linux/nvme.h>
struct fwguard_nvme_request {
	struct nvme_command *cmd;
	union nvme_result result;
	u8 genctr;
	u8 retries;
	u8 flags;
	u16 status;
};
#define FWGUARD_NVME_REQ_USERCMD	(1 << 1)
static_assert(offsetof(struct fwguard_nvme_request, cmd) == 0);
static_assert(offsetof(struct fwguard_nvme_request, flags) == 2 * sizeof(void *) + 2);

#endif /* FWGUARD_COMPAT_H */
