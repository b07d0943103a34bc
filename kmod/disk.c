// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard's protected disks and the disks that come back. A disk holding
 * ranges is known by its GPT disk GUID, not by its name, index or parent:
 * unbinding and rebinding a driver (or a bus rescan, or rebinding two
 * devices in the other order) deletes the gendisk and adds a new one under
 * any name. The device_add_disk() hook calls fwguard_policy_claim_disk()
 * before the new disk's partitions exist; it reads the new disk's GPT with
 * bios on its queue and, when the disk GUID is a protected one, the disk
 * carries that disk's ranges from then on, so there is no moment in which it
 * can be written.
 *
 * Two questions get two answers:
 *  - Which gendisks are protected? Every one whose verified GPT carries the
 *    disk GUID, and every one at the protected disk's place (below), with
 *    no limit on how many. A GUID is sixteen bytes root can copy onto any
 *    disk it makes (scsi_debug, loop, a RAM disk), so matching is
 *    ambiguous by nature; a fixed number of alias slots let copies crowd
 *    out the real disk, which then came back unprotected. Refusing writes
 *    to every candidate fails closed, and a copy root made loses nothing
 *    it needs. An alias is a list node that is reused once its gendisk was
 *    deleted and no range still names it, so the list is as long as the
 *    most gendisks that carried the identity at one time, and rebinding
 *    does not grow it. A candidate that cannot be protected (no memory
 *    for its node, its queue cannot be gated) is not added at all:
 *    device_add_disk() fails, with an audit record.
 *  - Which gendisk do sessions write? The disk at the protected disk's
 *    place: the same capacity and the same parent device path (rank 2), or
 *    the same PCI function above it (rank 1: the virtio index or NVMe
 *    controller instance changed). A copy elsewhere never becomes the
 *    target, even while the real disk is away; the ranges move to the
 *    better-placed disk when it (re)appears, so back to the real disk when
 *    it returns after a copy. A disk at the protected disk's place is also
 *    claimed when its GPT cannot be read (failing closed).
 *
 * Handles on deleted disks are released when their node is reused, so
 * rebinding does not accumulate open devices.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/blkdev.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "fwguard.h"

static struct fwguard_disk fwguard_disks[FWGUARD_MAX_DISKS];
static unsigned int fwguard_nr_disks;	/* under fwguard_policy_lock */

static void fwguard_place_get(struct fwguard_place *p, struct device *parent,
			      struct gendisk *disk)
{
	struct device *d;

	p->capacity = get_capacity(disk);
	p->parent_path = parent ? kobject_get_path(&parent->kobj, GFP_KERNEL) : NULL;
	p->hw_path = NULL;
	for (d = parent; d; d = d->parent)
		if (dev_is_pci(d)) {
			p->hw_path = kobject_get_path(&d->kobj, GFP_KERNEL);
			break;
		}
}

static void fwguard_place_put(struct fwguard_place *p)
{
	kfree(p->parent_path);
	kfree(p->hw_path);
}

static bool fwguard_path_eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* 2: at the protected disk's parent; 1: under its PCI function; 0: elsewhere. */
static u8 fwguard_place_rank(const struct fwguard_disk *pd, const struct fwguard_place *p)
{
	if (p->capacity != pd->home.capacity)
		return 0;
	if (fwguard_path_eq(p->parent_path, pd->home.parent_path))
		return 2;
	return fwguard_path_eq(p->hw_path, pd->home.hw_path);
}

/* Audit record and log line for a disk that carries an identity but is not added. */
static void fwguard_disk_refuse(struct gendisk *disk, const char *why, int err)
{
	struct audit_buffer *ab;

	pr_err("%s carries (or may carry) a protected disk's identity but %s (%d): not adding it\n",
	       disk->disk_name, why, err);
	ab = audit_log_start(audit_context(), GFP_KERNEL, AUDIT_KERNEL_OTHER);
	if (!ab)
		return;
	audit_log_format(ab, "op=fwguard_refuse reason=unprotectable-disk disk=%s err=%d",
			 disk->disk_name, err);
	audit_log_task_info(ab);
	audit_log_end(ab);
}

/**
 * fwguard_disk_carries() - is a gendisk one of a protected disk's?
 * @pd: protected disk
 * @disk: gendisk
 *
 * Lockless, for the hooks: nodes are published with a release store and
 * never freed while the module is loaded.
 *
 * Return: true when @disk is in one of @pd's aliases.
 */
notrace bool fwguard_disk_carries(const struct fwguard_disk *pd,
				  const struct gendisk *disk)
{
	const struct fwguard_alias *a;
	const struct fwguard_path *p;

	for (a = smp_load_acquire(&pd->aliases); a; a = smp_load_acquire(&a->next))
		if (READ_ONCE(a->gd) == disk)
			return true;
	for (p = smp_load_acquire(&pd->paths); p; p = smp_load_acquire(&p->next))
		if (READ_ONCE(p->gd) == disk)
			return true;
	return false;
}

/*
 * @path, a path disk of an NVMe multipath head @pd carries, carries @pd's
 * ranges: its queue is gated first, then it is published. A node whose
 * disk was deleted is reused. Under fwguard_policy_lock.
 */
static int fwguard_disk_add_path(struct gendisk *path, void *data)
{
	struct fwguard_disk *pd = data;
	struct fwguard_path *p, *free = NULL;
	int err;

	for (p = pd->paths; p; p = p->next) {
		if (p->gd == path)
			return 0;
		if (!free && fwguard_disk_gone(p->gd))
			free = p;
	}
	err = fwguard_gate_watch_disk(path, disk_to_dev(path)->parent);
	if (err)
		return err;
	if (!free) {
		free = kzalloc(sizeof(*free), GFP_KERNEL);
		if (!free)
			return -ENOMEM;
		free->next = pd->paths;
		get_device(disk_to_dev(path));
		free->gd = path;
		smp_store_release(&pd->paths, free);
	} else {
		struct gendisk *old = free->gd;

		get_device(disk_to_dev(path));
		WRITE_ONCE(free->gd, path);
		/* The hooks compare the old pointer without a lock. */
		synchronize_rcu();
		put_device(disk_to_dev(old));
	}
	pr_info("%s: path %s of the protected namespace is protected too\n",
		disk_to_dev(path)->parent ? dev_name(disk_to_dev(path)->parent) : "?",
		path->disk_name);
	return 0;
}

/*
 * A path present at PROTECT: on a fabrics controller it may have root's
 * medium behind it, and the head cannot be protected.
 */
static int fwguard_disk_add_present_path(struct gendisk *path, void *data)
{
	if (!fwguard_nvme_ctrl_allowed(disk_to_dev(path)->parent))
		return -EXDEV;
	return fwguard_disk_add_path(path, data);
}

/* Release @pd's path nodes (module unload, a protect that failed). */
static void fwguard_disk_drop_paths(struct fwguard_disk *pd)
{
	struct fwguard_path *p, *next;

	for (p = pd->paths; p; p = next) {
		next = p->next;
		put_device(disk_to_dev(p->gd));
		kfree(p);
	}
	pd->paths = NULL;
}

/* A path of a head on an allowed controller, held; the walk stops there. */
static int fwguard_disk_pcie_path(struct gendisk *path, void *data)
{
	struct gendisk **found = data;

	if (!fwguard_nvme_ctrl_allowed(disk_to_dev(path)->parent) ||
	    !fwguard_gate_guards(path))
		return 0;
	get_device(disk_to_dev(path));
	*found = path;
	return 1;
}

static int fwguard_disk_gate_ctrl(struct device *ctrl, void *like)
{
	return fwguard_gate_watch_ctrl(ctrl, like);
}

/*
 * Gate the queues of every PCIe controller of the subsystem of @head, a
 * head @pd carries (added, under @subsys), like those of its gated path:
 * also those to which the namespace is not attached, whose admin queue
 * takes Sanitize and Format NVM for all namespaces all the same.
 */
static int fwguard_disk_gate_subsys(struct gendisk *head, struct device *subsys)
{
	struct gendisk *like = NULL;
	int err;

	fwguard_nvme_for_each_path_in(head, subsys, fwguard_disk_pcie_path, &like);
	if (!like)
		return 0;	/* no gated path, so no queue of this subsystem either */
	err = fwguard_nvme_for_each_ctrl(subsys, fwguard_disk_gate_ctrl, like);
	put_device(disk_to_dev(like));
	return err;
}

struct fwguard_ctrl_find {
	const void *data;
	struct device *ctrl;
};

/* Does controller @ctrl (its device, or its PCI function) hold the driver data? */
static int fwguard_disk_ctrl_holds(struct device *ctrl, void *arg)
{
	struct fwguard_ctrl_find *f = arg;

	if (dev_get_drvdata(ctrl) != f->data &&
	    (!ctrl->parent || dev_get_drvdata(ctrl->parent) != f->data))
		return 0;
	f->ctrl = get_device(ctrl);
	return 1;
}

/* The live head alias of @pd whose subsystem has the controller of @f->data. */
static struct fwguard_alias *fwguard_disk_subsys_of(struct fwguard_disk *pd,
						    struct fwguard_ctrl_find *f)
{
	struct fwguard_alias *a;

	for (a = pd->aliases; a; a = a->next)
		if (a->gd && !a->pending && !fwguard_disk_gone(a->gd) &&
		    fwguard_nvme_head(a->gd) &&
		    fwguard_nvme_for_each_ctrl(disk_to_dev(a->gd)->parent,
					       fwguard_disk_ctrl_holds, f))
			return a;
	return NULL;
}

/**
 * fwguard_disk_subsys_owner() - the PCI function of a controller that joined a protected subsystem
 * @data: the driver data of a tag set being allocated
 *
 * nvme_core links a controller under its subsystem device once it has
 * identified it: before the controller's I/O tag set is allocated and
 * before it goes live, with a namespace attached to it or not. A
 * controller that joins the subsystem of a head a protected disk carries
 * from a PCI function the bind guard has not recorded (hot-plugged,
 * rescanned at another place) is found here, and its chain recorded when
 * the head is at the protected disk's place; the caller gates its queues.
 * Process context.
 *
 * Return: the PCI function with a reference held, or NULL.
 */
struct device *fwguard_disk_subsys_owner(const void *data)
{
	struct fwguard_ctrl_find f = { .data = data };
	struct fwguard_alias *a = NULL;
	struct device *owner = NULL;
	unsigned int i;

	if (!data || !fwguard_range_count())
		return NULL;
	mutex_lock(&fwguard_policy_lock);
	for (i = 0; i < fwguard_nr_disks && !a; i++)
		a = fwguard_disk_subsys_of(&fwguard_disks[i], &f);
	if (a) {
		if (a->rank && fwguard_bind_add_chain(i - 1, f.ctrl))
			pr_err("%s: cannot record the drivers of a controller of the protected subsystem\n",
			       dev_name(f.ctrl));
		owner = get_device(f.ctrl->parent);
		put_device(f.ctrl);
	}
	mutex_unlock(&fwguard_policy_lock);
	return owner;
}

/*
 * A path disk being added for a head that @pd carries (a controller of the
 * subsystem came back, or a namespace was rescanned): false when @disk is
 * no path of it.
 */
static bool fwguard_disk_path_added(struct fwguard_disk *pd, struct device *parent,
				    struct gendisk *disk, int *err)
{
	struct fwguard_alias *a;

	for (a = pd->aliases; a; a = a->next) {
		if (!a->gd || fwguard_disk_gone(a->gd) || !fwguard_nvme_head(a->gd) ||
		    !fwguard_nvme_path_of(a->gd, disk, parent))
			continue;
		/*
		 * @parent, not the disk's device parent: that is set only
		 * once device_add_disk() is past this hook.
		 */
		if (!fwguard_nvme_ctrl_allowed(parent)) {
			*err = -EXDEV;
			fwguard_disk_refuse(disk, "its controller's transport is not PCIe", *err);
			return true;
		}
		*err = fwguard_disk_add_path(disk, pd);
		if (*err) {
			fwguard_disk_refuse(disk, "its queue cannot be gated", *err);
			return true;
		}
		/*
		 * Its controller may have joined the subsystem after the
		 * range was protected: lock its drivers in before the path
		 * takes requests, or do not add the path.
		 */
		*err = fwguard_bind_add_chain(pd - fwguard_disks, parent);
		if (*err)
			fwguard_disk_refuse(disk, "its controller's drivers cannot be recorded",
					    *err);
		return true;
	}
	return false;
}

/* A new, empty alias of @pd, published at the head of the list. */
static struct fwguard_alias *fwguard_alias_new(struct fwguard_disk *pd)
{
	struct fwguard_alias *a = kzalloc(sizeof(*a), GFP_KERNEL);

	if (!a)
		return NULL;
	a->next = pd->aliases;
	smp_store_release(&pd->aliases, a);
	pd->nr_aliases++;
	return a;
}

static struct fwguard_alias *fwguard_alias_of(const struct fwguard_disk *pd,
					      const struct gendisk *disk)
{
	struct fwguard_alias *a;

	for (a = pd->aliases; a; a = a->next)
		if (a->gd == disk)
			return a;
	return NULL;
}

static struct fwguard_disk *fwguard_disk_new(struct gendisk *disk,
					     const guid_t *guid,
					     struct fwguard_bdev *whole)
{
	struct fwguard_disk *pd;
	struct fwguard_alias *a;
	int err;

	if (fwguard_nr_disks == FWGUARD_MAX_DISKS)
		return ERR_PTR(-ENOSPC);
	/*
	 * The drivers under the disk are locked in before its first range is
	 * published; a slot left recorded by a failure here is replaced when
	 * the next disk takes it.
	 */
	err = fwguard_bind_record(fwguard_nr_disks, disk);
	if (err)
		return ERR_PTR(err);
	pd = &fwguard_disks[fwguard_nr_disks];
	memset(pd, 0, sizeof(*pd));
	a = fwguard_alias_new(pd);
	if (!a)
		return ERR_PTR(-ENOMEM);
	pd->guid = *guid;
	fwguard_place_get(&pd->home, disk_to_dev(disk)->parent, disk);
	a->rank = 2;
	a->held = *whole;
	whole->bdev = NULL;
	WRITE_ONCE(a->gd, disk);
	/* Not counted yet, so no hook looks at @pd: undone on failure. */
	err = fwguard_nvme_head(disk) ?
	      fwguard_nvme_for_each_path(disk, fwguard_disk_add_present_path, pd) ?:
	      fwguard_disk_gate_subsys(disk, disk_to_dev(disk)->parent) : 0;
	if (err) {
		pr_err("%s: cannot protect the paths of the namespace: %d\n",
		       disk->disk_name, err);
		fwguard_disk_drop_paths(pd);
		*whole = a->held;
		pd->aliases = NULL;
		kfree(a);
		fwguard_place_put(&pd->home);
		return ERR_PTR(err);
	}
	fwguard_nr_disks++;
	return pd;
}

/**
 * fwguard_disk_bind() - the protected disk a range on a gendisk belongs to
 * @disk: the gendisk the range is on
 * @guid: its GPT disk GUID, as just read from the medium
 * @whole: @disk held open for reading; taken over when a new entry is made
 * @created: set when a new protected disk was made
 *
 * Called with fwguard_policy_lock held.
 *
 * Return: the protected disk; ERR_PTR(-EUCLEAN) when @disk is protected
 * under another GUID; ERR_PTR(-ENOTUNIQ) when another gendisk already
 * carries @guid (two disks, one identity); ERR_PTR(-ENOSPC) when
 * FWGUARD_MAX_DISKS disks are protected; ERR_PTR(-ENOMEM).
 */
struct fwguard_disk *fwguard_disk_bind(struct gendisk *disk, const guid_t *guid,
				       struct fwguard_bdev *whole, bool *created)
{
	unsigned int i;

	*created = false;
	for (i = 0; i < fwguard_nr_disks; i++) {
		struct fwguard_disk *pd = &fwguard_disks[i];

		if (fwguard_disk_carries(pd, disk))
			return guid_equal(&pd->guid, guid) ? pd : ERR_PTR(-EUCLEAN);
		if (guid_equal(&pd->guid, guid))
			return ERR_PTR(-ENOTUNIQ);
	}
	*created = true;
	return fwguard_disk_new(disk, guid, whole);
}

/*
 * Does @r move to a disk of @rank being added? Only to a disk at the
 * protected disk's place, and only from a deleted disk or a worse-placed
 * one; never while another disk is being added for it.
 */
static bool fwguard_range_moves(const struct fwguard_range *r, struct gendisk *disk,
				u8 rank)
{
	const struct fwguard_alias *cur;

	if (!rank || r->lost || r->disk == disk)
		return false;
	if (fwguard_disk_gone(r->disk))
		return true;
	cur = fwguard_alias_of(r->pd, r->disk);
	return !cur || rank > cur->rank;
}

/* Some range names @gd and stays on it (or is being moved off it right now). */
static bool fwguard_disk_pinned(const struct fwguard_disk *pd, const struct gendisk *gd,
				struct gendisk *disk, u8 rank)
{
	unsigned int i, n = fwguard_range_count();

	for (i = 0; i < n; i++) {
		const struct fwguard_range *r = fwguard_range_get(i);

		if (r->pd != pd)
			continue;
		if (r->lost == gd ||
		    (r->disk == gd && !fwguard_range_moves(r, disk, rank)))
			return true;
	}
	return false;
}

/*
 * An alias for a disk being added: one whose gendisk was deleted and that
 * no range keeps, else a new one (NULL: no memory).
 */
static struct fwguard_alias *fwguard_disk_free_alias(struct fwguard_disk *pd,
						     struct gendisk *disk, u8 rank)
{
	struct fwguard_alias *a;

	for (a = pd->aliases; a; a = a->next) {
		if (a->pending)
			continue;
		if (!a->gd || (fwguard_disk_gone(a->gd) &&
			       !fwguard_disk_pinned(pd, a->gd, disk, rank)))
			return a;
	}
	return fwguard_alias_new(pd);
}

/* The ranges of @pd are where the new disk's GPT says; a difference is only logged. */
static void fwguard_disk_check_entries(const struct fwguard_disk *pd,
				       struct gendisk *disk,
				       const struct fwguard_gpt *g)
{
	unsigned int i, n = fwguard_range_count();
	struct fwguard_gpt_part e;

	if (!g || !guid_equal(&g->disk_guid, &pd->guid)) {
		pr_warn("%s: re-appeared with another or no readable GPT; protecting the recorded sectors anyway\n",
			disk->disk_name);
		return;
	}
	for (i = 0; i < n; i++) {
		struct fwguard_range *r = fwguard_range_get(i);

		if (r->pd != pd || r->gpt_area)
			continue;
		if (fwguard_gpt_entry_at(g, r->start, r->nr_sectors, &e) ||
		    !guid_equal(&e.guid, &r->part_guid))
			pr_warn("%s: GPT entry of %s differs; protecting the recorded sectors\n",
				disk->disk_name, r->name);
	}
}

/*
 * Put @disk into an alias of @pd, gate its queue, and move the ranges onto
 * it when it is at the protected disk's place.
 */
static int fwguard_disk_take(struct fwguard_disk *pd, struct device *parent,
			     struct gendisk *disk, const struct fwguard_gpt *g, u8 rank)
{
	unsigned int i, n = fwguard_range_count();
	struct fwguard_alias *a = fwguard_disk_free_alias(pd, disk, rank);
	int err;

	if (!a) {
		fwguard_disk_refuse(disk, "no memory to record it", -ENOMEM);
		return -ENOMEM;
	}
	fwguard_disk_check_entries(pd, disk, g);
	a->retired = a->held;
	a->held.bdev = NULL;
	a->prev = a->gd;
	a->prev_rank = a->rank;
	a->rank = rank;
	a->pending = true;
	WRITE_ONCE(a->gd, disk);
	for (i = 0; i < n; i++) {
		struct fwguard_range *r = fwguard_range_get(i);

		if (r->pd != pd || !fwguard_range_moves(r, disk, rank))
			continue;
		r->lost = r->disk;
		WRITE_ONCE(r->disk, disk);
	}
	/* Requests of every origin meet the gate before the disk takes one. */
	err = fwguard_gate_watch_disk(disk, parent);
	if (err) {
		fwguard_disk_refuse(disk, "its queue cannot be gated", err);
		return err;
	}
	/*
	 * A head added again carries the paths it has: they were added
	 * before it, when no head of @pd was there to take them.
	 */
	if (fwguard_nvme_head(disk)) {
		err = fwguard_nvme_for_each_path_in(disk, parent,
						    fwguard_disk_add_present_path, pd);
		if (err)
			fwguard_disk_refuse(disk, "a path of it cannot be protected", err);
	}
	return err;
}

/*
 * The GPT of a disk inside device_add_disk(), before it is added: a blk-mq
 * disk is read through its own queue, an NVMe multipath head through a
 * path (mpath.c), another bio-based disk only where the kernel passes its
 * bios to the driver before the disk is added (compat.h); elsewhere it is
 * followed by its place only.
 */
static int fwguard_claim_gpt(struct device *parent, struct gendisk *disk,
			     struct fwguard_gpt *g)
{
	if (!get_capacity(disk))
		return -ENODATA;
	if (disk->queue->mq_ops)
		return fwguard_gpt_read(disk, g);
	if (fwguard_nvme_head(disk))
		return fwguard_nvme_head_gpt(disk, parent, g);
#ifdef FWGUARD_BIO_DISK_READ_BEFORE_ADD
	return fwguard_gpt_read(disk, g);
#else
	return -EOPNOTSUPP;
#endif
}

/**
 * fwguard_policy_claim_disk() - give a disk being added the ranges it carries
 * @parent: the parent device the disk is being added under, or NULL
 * @disk: the disk, before device_add_disk() creates its partitions
 *
 * A disk whose verified GPT has the disk GUID of a protected disk carries
 * that disk's ranges, whatever its name, index or parent; so does a disk
 * with the capacity of a protected disk under its parent device or PCI
 * function, whatever its GPT says. Ranges keep their recorded sectors (a
 * GPT entry that differs is logged). fwguard_policy_settle_disk() must
 * follow, also when this fails.
 *
 * Return: 0; or, when @disk carries an identity but cannot be protected,
 * -ENOMEM or the errno of fwguard_gate_watch_disk(): the caller must not
 * add the disk.
 */
int fwguard_policy_claim_disk(struct device *parent, struct gendisk *disk)
{
	struct fwguard_place place;
	struct fwguard_gpt g;
	bool have_gpt, guid;
	unsigned int i;
	int err = 0;
	u8 rank;

	if (!fwguard_range_count())
		return 0;
	fwguard_place_get(&place, parent, disk);
	if (parent && !place.parent_path) {
		/* Cannot tell where it sits: it might be the protected disk. */
		fwguard_disk_refuse(disk, "its place cannot be recorded", -ENOMEM);
		return -ENOMEM;
	}
	/* Outside the lock: this is I/O, and a disk may be slow to answer. */
	have_gpt = !fwguard_claim_gpt(parent, disk, &g);
	mutex_lock(&fwguard_policy_lock);
	for (i = 0; i < fwguard_nr_disks && !err; i++) {
		struct fwguard_disk *pd = &fwguard_disks[i];

		if (fwguard_disk_path_added(pd, parent, disk, &err))
			break;
		rank = fwguard_place_rank(pd, &place);
		guid = have_gpt && guid_equal(&g.disk_guid, &pd->guid);
		if (!rank && !guid)
			continue;
		/*
		 * A head's place is its subsystem device, which any head of
		 * the subsystem shares: it becomes the session target only
		 * with the identity on its paths' medium, else it is a copy.
		 */
		if (fwguard_nvme_head(disk) && !guid)
			rank = 0;
		err = fwguard_disk_take(pd, parent, disk, have_gpt ? &g : NULL, rank);
	}
	mutex_unlock(&fwguard_policy_lock);
	if (have_gpt)
		fwguard_gpt_free(&g);
	fwguard_place_put(&place);
	return err;
}

/* The partition of @disk with exactly @r's sectors, or 0. */
static dev_t fwguard_disk_part_of(struct gendisk *disk, const struct fwguard_range *r)
{
	struct block_device *p;
	unsigned long idx;
	dev_t dev = 0;

	rcu_read_lock();
	xa_for_each(&disk->part_tbl, idx, p)
		if (bdev_is_partition(p) && p->bd_start_sect == r->start &&
		    bdev_nr_sectors(p) == r->nr_sectors)
			dev = p->bd_dev;
	rcu_read_unlock();
	return dev;
}

/* The partition of the re-appeared disk with @r's sectors takes @r's place. */
static void fwguard_range_rehome(struct fwguard_range *r, struct gendisk *disk,
				 struct fwguard_bdev *old)
{
	struct fwguard_bdev part = {};
	dev_t dev = fwguard_disk_part_of(disk, r);

	*old = r->part;
	r->part.bdev = NULL;
	if (dev && !fwguard_bdev_open(&part, dev, false, NULL)) {
		r->part = part;
		snprintf(r->name, sizeof(r->name), "%pg", part.bdev);
	} else {
		dev = 0;
	}
	WRITE_ONCE(r->part_dev, dev);
	pr_warn("protected disk re-appeared as %s: %s sectors %llu+%llu protected again\n",
		disk->disk_name, r->name, (u64)r->start, (u64)r->nr_sectors);
}

/*
 * Handles to close once nothing can look at the disks they hold, collected
 * under fwguard_policy_lock: one disk is in at most one alias per protected
 * disk, and each range gives up at most one partition.
 */
static struct fwguard_bdev fwguard_retired[FWGUARD_MAX_DISKS + FWGUARD_RANGE_SLOTS];
static unsigned int fwguard_nr_retired;

static void fwguard_retire(struct fwguard_bdev *h)
{
	if (h->bdev && !WARN_ON_ONCE(fwguard_nr_retired == ARRAY_SIZE(fwguard_retired))) {
		fwguard_retired[fwguard_nr_retired++] = *h;
		h->bdev = NULL;
	}
}

/* Keep @disk in its aliases (added), or give them back to what they held. */
static void fwguard_disk_settle_aliases(struct fwguard_disk *pd, struct gendisk *disk,
					bool added)
{
	struct fwguard_alias *a;
	int err;

	for (a = pd->aliases; a; a = a->next) {
		if (a->gd != disk || !a->pending)
			continue;
		a->pending = false;
		if (!added) {
			a->held = a->retired;
			a->retired.bdev = NULL;
			a->rank = a->prev_rank;
			WRITE_ONCE(a->gd, a->prev);
			a->prev = NULL;
			continue;
		}
		a->prev = NULL;
		fwguard_retire(&a->retired);
		err = fwguard_bdev_open(&a->held, disk_devt(disk), false, NULL);
		if (err)
			pr_err("cannot hold re-appeared disk %s: %d\n", disk->disk_name, err);
		if (fwguard_nvme_head(disk) &&
		    fwguard_disk_gate_subsys(disk, disk_to_dev(disk)->parent))
			pr_err("%s: cannot gate every controller of its subsystem\n",
			       disk->disk_name);
		/* At the protected disk's place: its drivers are the ones now. */
		if (a->rank && fwguard_bind_record(pd - fwguard_disks, disk))
			pr_err("%s: cannot record its drivers; the recorded ones stay\n",
			       disk->disk_name);
	}
}

static void fwguard_settle_range(struct fwguard_range *r, struct gendisk *disk,
				 bool added)
{
	struct fwguard_bdev old = {};

	if (!added)
		WRITE_ONCE(r->disk, r->lost);
	else if (!r->gpt_area)
		fwguard_range_rehome(r, disk, &old);
	else
		snprintf(r->name, sizeof(r->name), "%.20s:%s", disk->disk_name,
			 r->start ? "gpt-backup" : "gpt");
	r->lost = NULL;
	fwguard_retire(&old);
}

/**
 * fwguard_policy_settle_disk() - finish or undo fwguard_policy_claim_disk()
 * @disk: the disk
 * @added: whether device_add_disk() succeeded
 *
 * On success the new disk is held open for reading so that its gendisk
 * stays valid, each range moved onto it holds the partition with its
 * sectors (sessions target that one now), and the handles on the deleted
 * disks it replaced are closed once no hook can still be looking at them.
 * On failure the aliases and ranges go back to the disks they had.
 */
void fwguard_policy_settle_disk(struct gendisk *disk, bool added)
{
	unsigned int i, n;

	mutex_lock(&fwguard_policy_lock);
	for (i = 0; i < fwguard_nr_disks; i++)
		fwguard_disk_settle_aliases(&fwguard_disks[i], disk, added);
	n = fwguard_range_count();
	for (i = 0; i < n; i++) {
		struct fwguard_range *r = fwguard_range_get(i);

		if (r->disk == disk && r->lost)
			fwguard_settle_range(r, disk, added);
	}
	if (fwguard_nr_retired) {
		/* The hooks compare and print gendisk pointers without a lock. */
		synchronize_rcu();
		for (i = 0; i < fwguard_nr_retired; i++)
			fwguard_bdev_close(&fwguard_retired[i]);
		fwguard_nr_retired = 0;
	}
	mutex_unlock(&fwguard_policy_lock);
}

/**
 * fwguard_policy_rehome_late() - give ranges the partitions scanned after their disk was added
 *
 * nvme_core scans a multipath head's partitions from a work item once
 * device_add_disk() has returned, so a head that came back has none when
 * fwguard_policy_settle_disk() looks: its ranges stay without a partition
 * (no session target) until they find it here. Called before a slot is
 * looked up by its device number. Process context.
 */
void fwguard_policy_rehome_late(void)
{
	unsigned int i, n;

	mutex_lock(&fwguard_policy_lock);
	n = fwguard_range_count();
	for (i = 0; i < n; i++) {
		struct fwguard_range *r = fwguard_range_get(i);
		struct fwguard_bdev old = {};

		if (r->gpt_area || r->part_dev || r->lost || fwguard_disk_gone(r->disk) ||
		    !fwguard_disk_part_of(r->disk, r))
			continue;
		fwguard_range_rehome(r, r->disk, &old);
		/* Without a partition the range held none. */
		WARN_ON_ONCE(old.bdev);
	}
	mutex_unlock(&fwguard_policy_lock);
}

/**
 * fwguard_disk_handles() - block devices the module holds open for ranges
 *
 * Called with fwguard_policy_lock held. Constant across any number of
 * rebinds of a protected disk.
 *
 * Return: the count.
 */
unsigned int fwguard_disk_handles(void)
{
	unsigned int i, n = fwguard_range_handles();
	const struct fwguard_alias *a;

	for (i = 0; i < fwguard_nr_disks; i++)
		for (a = fwguard_disks[i].aliases; a; a = a->next)
			n += !!a->held.bdev + !!a->retired.bdev;
	return n;
}

/**
 * fwguard_disk_aliases() - gendisks recorded for protected disks
 *
 * Called with fwguard_policy_lock held.
 *
 * Return: the number of alias nodes, deleted gendisks' included.
 */
unsigned int fwguard_disk_aliases(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < fwguard_nr_disks; i++)
		n += fwguard_disks[i].nr_aliases;
	return n;
}

/**
 * fwguard_disks_exit() - release the protected disks at module unload
 *
 * Only reachable when no range was published or a protect= load failed
 * half-way (the module is pinned otherwise), so no hook looks at a node.
 */
void fwguard_disks_exit(void)
{
	struct fwguard_alias *a, *next;
	unsigned int i;

	for (i = 0; i < fwguard_nr_disks; i++) {
		for (a = fwguard_disks[i].aliases; a; a = next) {
			next = a->next;
			fwguard_bdev_close(&a->held);
			kfree(a);
		}
		fwguard_disk_drop_paths(&fwguard_disks[i]);
		fwguard_place_put(&fwguard_disks[i].home);
	}
	fwguard_bind_exit();
}
