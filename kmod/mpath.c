// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard and NVMe native multipath: the paths of a shared namespace.
 *
 * When a namespace is shared by several controllers of one subsystem
 * (CMIC) and nvme_core runs with multipath=Y, the disk userspace sees,
 * nvme<S>n<N>, is a bio-based head over one hidden disk per controller,
 * nvme<S>c<C>n<N>, each with its own request queue. Bios to the head are
 * resubmitted to a path, but passthrough commands are built as requests on
 * a path's queue directly (the head's generic node ng<S>n<N>, its
 * io_uring URING_CMD, and every controller node /dev/nvme<C>), and each
 * controller has its own admin queue. None of those queues belongs to the
 * head, and the head, having no queue_rq, gives the request gate nothing
 * to hook. So a protected head carries its path disks (disk.c): the paths
 * are gated, their controllers' drivers are locked in (bind.c), and the
 * head's ranges are on them, for the write rule of the gate.
 *
 * Only a path on a controller of nvme-pci, whose device parent is a PCI
 * function, is a path of a protected head (fwguard_nvme_ctrl_allowed()).
 * nvme_core puts a controller of any transport into the subsystem that
 * has its NQN, and root names subsystems: an nvmet target over loopback
 * TCP (or rdma, fc, loop) with the protected subsystem's NQN adds a path
 * whose medium is root's file, and the head sends a share of every
 * session's bios there. Such a path is refused as an unprotectable disk
 * is (disk.c), a head with one cannot be protected, and BEGIN, COMMIT and
 * RETIRE refuse a head on which one is found (fwguard_nvme_paths_allowed()).
 *
 * Everything here is public: the head is recognised by its block device
 * operations (nvme_ns_head_ops), a path by being a hidden disk of the
 * block class whose parent, a controller device, is linked under the
 * head's parent, the subsystem device (the nvme-subsystem class links its
 * controllers there by name), and by the disk names nvme_core gives both.
 * Process context only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/kallsyms.h>
#include <linux/kernfs.h>
#include <linux/pci.h>
#include <linux/string.h>

#include "fwguard.h"

/**
 * fwguard_nvme_head() - is @disk the head of an NVMe multipath namespace?
 * @disk: a disk
 *
 * Return: true for a disk whose operations are nvme_core's head operations.
 */
bool fwguard_nvme_head(const struct gendisk *disk)
{
	char name[KSYM_NAME_LEN];

	if (!disk->fops || disk->queue->mq_ops)
		return false;
	/* "%ps" names a module's symbol as "name [module]". */
	snprintf(name, sizeof(name), "%ps", disk->fops);
	name[strcspn(name, " ")] = 0;
	return !strcmp(name, "nvme_ns_head_ops");
}

/* Is @ctrl a controller linked under the subsystem device @subsys? */
static bool fwguard_nvme_in_subsys(struct device *subsys, struct device *ctrl)
{
	struct kernfs_node *kn;
	bool in;

	if (!subsys || !ctrl || !subsys->kobj.sd || !ctrl->kobj.sd)
		return false;
	kn = kernfs_find_and_get(subsys->kobj.sd, dev_name(ctrl));
	if (!kn)
		return false;
	in = kernfs_type(kn) == KERNFS_LINK && kn->symlink.target_kn == ctrl->kobj.sd;
	kernfs_put(kn);
	return in;
}

/* nvme<S>c<C>n<N> is a path of nvme<S>n<N>: same subsystem and head instance. */
static bool fwguard_nvme_names_match(const char *head, const char *path)
{
	unsigned int s, n, ps, pc, pn;
	int hlen = 0, plen = 0;

	if (sscanf(head, "nvme%un%u%n", &s, &n, &hlen) != 2 || head[hlen] ||
	    sscanf(path, "nvme%uc%un%u%n", &ps, &pc, &pn, &plen) != 3 || path[plen])
		return false;
	return s == ps && n == pn;
}

/* Is @disk, under controller @parent, a path of @head in subsystem @subsys? */
static bool fwguard_nvme_path_in(const struct gendisk *head, struct device *subsys,
				 const struct gendisk *disk, struct device *parent)
{
	return (disk->flags & GENHD_FL_HIDDEN) && disk->queue && disk->queue->mq_ops &&
	       fwguard_nvme_names_match(head->disk_name, disk->disk_name) &&
	       fwguard_nvme_in_subsys(subsys, parent);
}

/**
 * fwguard_nvme_path_of() - is @disk, added under @parent, a path of @head?
 * @head: an NVMe multipath head (fwguard_nvme_head())
 * @disk: a disk, added or being added
 * @parent: its parent device (its controller)
 *
 * Return: true when @disk is a hidden disk named as a path of @head, under
 * a controller of @head's subsystem.
 */
bool fwguard_nvme_path_of(const struct gendisk *head, const struct gendisk *disk,
			  struct device *parent)
{
	return fwguard_nvme_path_in(head, disk_to_dev(head)->parent, disk, parent);
}

/**
 * fwguard_nvme_ctrl_allowed() - may a path on controller @ctrl carry a protected head?
 * @ctrl: the controller device a path disk is added under, or NULL
 *
 * An allowlist of transports root cannot back with a medium of its own:
 * PCIe only, a controller whose parent is a PCI function (nvme-pci). The
 * fabrics transports (tcp, rdma, fc, loop) put their controllers under
 * the virtual nvme-fabrics device, and are refused.
 *
 * Return: true for a controller of nvme-pci.
 */
bool fwguard_nvme_ctrl_allowed(struct device *ctrl)
{
	return ctrl && ctrl->parent && dev_is_pci(ctrl->parent);
}

static int fwguard_nvme_path_allowed(struct gendisk *path, void *arg)
{
	return fwguard_nvme_ctrl_allowed(disk_to_dev(path)->parent) ? 0 : -EXDEV;
}

struct fwguard_nvme_walk {
	struct gendisk *head;
	struct device *subsys;
	int (*fn)(struct gendisk *path, void *arg);
	void *arg;
};

static int fwguard_nvme_walk_one(struct device *dev, void *data)
{
	struct fwguard_nvme_walk *w = data;
	struct gendisk *disk;

	if (!dev->type || strcmp(dev->type->name, "disk"))
		return 0;
	disk = dev_to_disk(dev);
	if (disk == w->head || !fwguard_nvme_path_in(w->head, w->subsys, disk, dev->parent))
		return 0;
	return w->fn(disk, w->arg);
}

/**
 * fwguard_nvme_for_each_path_in() - call @fn for each path disk of @head in @subsys
 * @head: an NVMe multipath head, added or inside device_add_disk()
 * @subsys: its subsystem device, the parent it is (being) added under
 * @fn: called with a reference on the path's device held; non-zero stops
 * @arg: passed to @fn
 *
 * Return: 0 or the first non-zero return of @fn.
 */
int fwguard_nvme_for_each_path_in(struct gendisk *head, struct device *subsys,
				  int (*fn)(struct gendisk *path, void *arg), void *arg)
{
	struct fwguard_nvme_walk w = { .head = head, .subsys = subsys, .fn = fn, .arg = arg };

	/* The head is a disk of the block class, like every path. */
	return class_for_each_device(disk_to_dev(head)->class, NULL, &w,
				     fwguard_nvme_walk_one);
}

/**
 * fwguard_nvme_for_each_path() - call @fn for each path disk of @head
 * @head: an NVMe multipath head, added
 * @fn: called with a reference on the path's device held; non-zero stops
 * @arg: passed to @fn
 *
 * Return: 0 or the first non-zero return of @fn.
 */
int fwguard_nvme_for_each_path(struct gendisk *head,
			       int (*fn)(struct gendisk *path, void *arg), void *arg)
{
	return fwguard_nvme_for_each_path_in(head, disk_to_dev(head)->parent, fn, arg);
}

/* Read the GPT through @path when its controller is on an allowed transport. */
static int fwguard_nvme_path_gpt(struct gendisk *path, void *arg)
{
	if (!fwguard_nvme_ctrl_allowed(disk_to_dev(path)->parent))
		return 0;
	return !fwguard_gpt_read(path, arg);
}

/**
 * fwguard_nvme_head_gpt() - read the GPT of a head being added, through a path
 * @head: an NVMe multipath head inside device_add_disk(), not added yet
 * @subsys: the subsystem device it is being added under
 * @g: the table read
 *
 * A bio-based disk takes no bio before device_add_disk() has marked it as
 * one (6.4 on: BD_HAS_SUBMIT_BIO; blk-mq would take the bio and crash),
 * and nvme_core adds the head when its first path goes live, after the
 * path disk itself was added. So the head is read where its bios would go:
 * through a path disk, on a controller of an allowed transport (a fabrics
 * path may have root's medium behind it, and is not asked).
 *
 * Return: 0 with @g filled (fwguard_gpt_free() it), or -ENODEV when no
 * path of an allowed controller has a GPT fwguard_gpt_read() accepts.
 */
int fwguard_nvme_head_gpt(struct gendisk *head, struct device *subsys,
			  struct fwguard_gpt *g)
{
	memset(g, 0, sizeof(*g));
	return fwguard_nvme_for_each_path_in(head, subsys, fwguard_nvme_path_gpt, g) > 0 ?
	       0 : -ENODEV;
}

struct fwguard_nvme_ctrl_walk {
	struct device *subsys;
	int (*fn)(struct device *ctrl, void *arg);
	void *arg;
};

static int fwguard_nvme_ctrl_one(struct device *dev, void *data)
{
	struct fwguard_nvme_ctrl_walk *w = data;

	return fwguard_nvme_in_subsys(w->subsys, dev) ? w->fn(dev, w->arg) : 0;
}

static int fwguard_nvme_ctrl_pci(struct device *dev, void *data)
{
	return device_for_each_child(dev, data, fwguard_nvme_ctrl_one);
}

/**
 * fwguard_nvme_for_each_ctrl() - call @fn for each PCIe controller of a subsystem
 * @subsys: an NVMe subsystem device (the parent of a head)
 * @fn: called for each controller device linked under @subsys whose parent
 *	is a PCI function, whether or not a namespace is attached to it; a
 *	reference is held; non-zero stops
 * @arg: passed to @fn
 *
 * A controller to which no namespace of ours is attached has no path disk,
 * yet its admin queue takes Format NVM for all namespaces and Sanitize,
 * which act on the whole subsystem. Process context.
 *
 * Return: 0 or the first non-zero return of @fn.
 */
int fwguard_nvme_for_each_ctrl(struct device *subsys,
			       int (*fn)(struct device *ctrl, void *arg), void *arg)
{
	struct fwguard_nvme_ctrl_walk w = { .subsys = subsys, .fn = fn, .arg = arg };

	if (!subsys)
		return 0;
	return bus_for_each_dev(&pci_bus_type, NULL, &w, fwguard_nvme_ctrl_pci);
}

/**
 * fwguard_nvme_paths_allowed() - are all paths of @disk on allowed controllers?
 * @disk: a disk a session or RETIRE reads or writes, held open by the caller
 *
 * Return: 0 for a disk that is no multipath head, or whose every path is
 * on a controller fwguard_nvme_ctrl_allowed() accepts; -EXDEV otherwise.
 */
int fwguard_nvme_paths_allowed(struct gendisk *disk)
{
	if (!disk || !fwguard_nvme_head(disk))
		return 0;
	return fwguard_nvme_for_each_path(disk, fwguard_nvme_path_allowed, NULL);
}
