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
 * can be written. A disk whose GPT cannot be read is claimed the old way,
 * when a protected disk is gone and the new one has its parent device and
 * capacity (failing closed). A protected disk can be carried by a few
 * gendisks at once (FWGUARD_DISK_ALIASES), so a second disk with a copied
 * GUID cannot take the ranges away from the real one. A slot whose gendisk
 * was deleted is reused, and the handle on the deleted disk is released,
 * so rebinding does not accumulate open devices.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "fwguard.h"

static struct fwguard_disk fwguard_disks[FWGUARD_MAX_DISKS];
static unsigned int fwguard_nr_disks;	/* under fwguard_policy_lock */

/*
 * The one place a gendisk starts to carry protected ranges: when the first
 * range of a disk is protected, and when a re-appearing disk is claimed.
 * Checks that need to know a disk in advance attach here; the bio, open and
 * write hooks look ranges up on every call and need nothing.
 */
static void fwguard_disk_watch(struct gendisk *disk)
{
	int err = fwguard_gate_watch_disk(disk);

	/* The bio hook still refuses its bios; requests go unjudged. */
	if (err)
		pr_err("%s carries protected ranges but its queue cannot be gated: %d\n",
		       disk->disk_name, err);
}

/**
 * fwguard_disk_carries() - is a gendisk one of a protected disk's?
 * @pd: protected disk
 * @disk: gendisk
 *
 * Lockless, for the hooks.
 *
 * Return: true when @disk is in one of @pd's slots.
 */
notrace bool fwguard_disk_carries(const struct fwguard_disk *pd,
				  const struct gendisk *disk)
{
	unsigned int i;

	for (i = 0; i < FWGUARD_DISK_ALIASES; i++)
		if (READ_ONCE(pd->gd[i]) == disk)
			return true;
	return false;
}

static struct fwguard_disk *fwguard_disk_new(struct gendisk *disk,
					     const guid_t *guid,
					     struct fwguard_bdev *whole)
{
	struct device *parent = disk_to_dev(disk)->parent;
	struct fwguard_disk *pd;

	if (fwguard_nr_disks == FWGUARD_MAX_DISKS)
		return ERR_PTR(-ENOSPC);
	pd = &fwguard_disks[fwguard_nr_disks];
	memset(pd, 0, sizeof(*pd));
	pd->guid = *guid;
	pd->capacity = get_capacity(disk);
	if (parent)
		pd->parent_path = kobject_get_path(&parent->kobj, GFP_KERNEL);
	pd->held[0] = *whole;
	whole->bdev = NULL;
	WRITE_ONCE(pd->gd[0], disk);
	fwguard_nr_disks++;
	fwguard_disk_watch(disk);
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
 * FWGUARD_MAX_DISKS disks are protected.
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

/* Every gendisk of @pd was deleted (or is still being added). */
static bool fwguard_disk_all_gone(const struct fwguard_disk *pd)
{
	unsigned int i;

	for (i = 0; i < FWGUARD_DISK_ALIASES; i++)
		if (pd->gd[i] && (pd->pending[i] || !fwguard_disk_gone(pd->gd[i])))
			return false;
	return true;
}

/* A slot for a new gendisk: one whose disk was deleted first, else a free one. */
static int fwguard_disk_free_slot(const struct fwguard_disk *pd)
{
	int i, free = -ENOSPC;

	for (i = 0; i < FWGUARD_DISK_ALIASES; i++) {
		if (pd->pending[i])
			continue;
		if (pd->gd[i] && fwguard_disk_gone(pd->gd[i]))
			return i;
		if (!pd->gd[i] && free < 0)
			free = i;
	}
	return free;
}

/* Is the disk being added @pd? By GPT identity, else by where and how big it is. */
static bool fwguard_disk_is_lost_copy(const struct fwguard_disk *pd,
				      struct gendisk *disk, const char *path,
				      const struct fwguard_gpt *g)
{
	if (g && guid_equal(&g->disk_guid, &pd->guid))
		return true;
	return fwguard_disk_all_gone(pd) && path && pd->parent_path &&
	       !strcmp(pd->parent_path, path) && pd->capacity == get_capacity(disk);
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

/* Put @disk into a slot of @pd and move ranges off deleted disks onto it. */
static void fwguard_disk_take(struct fwguard_disk *pd, struct gendisk *disk,
			      const struct fwguard_gpt *g)
{
	unsigned int i, n = fwguard_range_count();
	int slot = fwguard_disk_free_slot(pd);

	if (slot < 0) {
		pr_err("%s carries the identity of a protected disk, which has %d gendisks already: it is NOT protected\n",
		       disk->disk_name, FWGUARD_DISK_ALIASES);
		return;
	}
	fwguard_disk_check_entries(pd, disk, g);
	pd->retired[slot] = pd->held[slot];
	pd->held[slot].bdev = NULL;
	pd->pending[slot] = true;
	WRITE_ONCE(pd->gd[slot], disk);
	for (i = 0; i < n; i++) {
		struct fwguard_range *r = fwguard_range_get(i);

		if (r->pd != pd || r->lost || !fwguard_disk_gone(r->disk) ||
		    r->disk == disk)
			continue;
		r->lost = r->disk;
		WRITE_ONCE(r->disk, disk);
	}
	fwguard_disk_watch(disk);
}

/**
 * fwguard_policy_claim_disk() - give a disk being added the ranges it carries
 * @parent: the parent device the disk is being added under, or NULL
 * @disk: the disk, before device_add_disk() creates its partitions
 *
 * A disk whose verified GPT has the disk GUID of a protected disk carries
 * that disk's ranges, whatever its name, index or parent; so does a disk
 * with the parent device and capacity of a protected disk none of whose
 * gendisks is left. Ranges keep their recorded sectors (a GPT entry that
 * differs is logged). fwguard_policy_settle_disk() must follow once
 * device_add_disk() returned.
 */
void fwguard_policy_claim_disk(struct device *parent, struct gendisk *disk)
{
	struct fwguard_gpt g;
	bool have_gpt;
	unsigned int i;
	char *path = NULL;

	if (!fwguard_range_count())
		return;
	if (parent)
		path = kobject_get_path(&parent->kobj, GFP_KERNEL);
	/* Outside the lock: this is I/O, and a disk may be slow to answer. */
	have_gpt = get_capacity(disk) && !fwguard_gpt_read(disk, &g);
	mutex_lock(&fwguard_policy_lock);
	for (i = 0; i < fwguard_nr_disks; i++)
		if (fwguard_disk_is_lost_copy(&fwguard_disks[i], disk, path,
					      have_gpt ? &g : NULL))
			fwguard_disk_take(&fwguard_disks[i], disk, have_gpt ? &g : NULL);
	mutex_unlock(&fwguard_policy_lock);
	if (have_gpt)
		fwguard_gpt_free(&g);
	kfree(path);
}

/* The partition of the re-appeared disk with @r's sectors takes @r's place. */
static void fwguard_range_rehome(struct fwguard_range *r, struct gendisk *disk,
				 struct fwguard_bdev *old)
{
	struct fwguard_bdev part = {};
	struct block_device *p;
	unsigned long idx;
	dev_t dev = 0;

	*old = r->part;
	r->part.bdev = NULL;
	rcu_read_lock();
	xa_for_each(&disk->part_tbl, idx, p)
		if (bdev_is_partition(p) && p->bd_start_sect == r->start &&
		    bdev_nr_sectors(p) == r->nr_sectors)
			dev = p->bd_dev;
	rcu_read_unlock();
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
 * under fwguard_policy_lock: at most one per slot and one per range.
 */
static struct fwguard_bdev fwguard_retired[FWGUARD_DISK_ALIASES * FWGUARD_MAX_DISKS +
					   FWGUARD_RANGE_SLOTS];
static unsigned int fwguard_nr_retired;

static void fwguard_retire(struct fwguard_bdev *h)
{
	if (h->bdev && !WARN_ON_ONCE(fwguard_nr_retired == ARRAY_SIZE(fwguard_retired))) {
		fwguard_retired[fwguard_nr_retired++] = *h;
		h->bdev = NULL;
	}
}

static void fwguard_disk_settle_slots(struct fwguard_disk *pd, struct gendisk *disk,
				      bool added)
{
	unsigned int i;
	int err;

	for (i = 0; i < FWGUARD_DISK_ALIASES; i++) {
		if (pd->gd[i] != disk || !pd->pending[i])
			continue;
		pd->pending[i] = false;
		fwguard_retire(&pd->retired[i]);
		err = added ? fwguard_bdev_open(&pd->held[i], disk_devt(disk), false, NULL)
			    : -ENODEV;
		if (err && added)
			pr_err("cannot hold re-appeared disk %s: %d\n", disk->disk_name, err);
		if (!added)
			WRITE_ONCE(pd->gd[i], NULL);
	}
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
 * On failure the ranges go back to the deleted disk.
 */
void fwguard_policy_settle_disk(struct gendisk *disk, bool added)
{
	unsigned int i, n;

	mutex_lock(&fwguard_policy_lock);
	for (i = 0; i < fwguard_nr_disks; i++)
		fwguard_disk_settle_slots(&fwguard_disks[i], disk, added);
	n = fwguard_range_count();
	for (i = 0; i < n; i++) {
		struct fwguard_range *r = fwguard_range_get(i);
		struct fwguard_bdev old = {};

		if (r->disk != disk || !r->lost)
			continue;
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
 * fwguard_disk_handles() - block devices the module holds open for ranges
 *
 * Called with fwguard_policy_lock held. Constant across any number of
 * rebinds of a protected disk.
 *
 * Return: the count.
 */
unsigned int fwguard_disk_handles(void)
{
	unsigned int i, j, n = fwguard_range_handles();

	for (i = 0; i < fwguard_nr_disks; i++)
		for (j = 0; j < FWGUARD_DISK_ALIASES; j++)
			n += !!fwguard_disks[i].held[j].bdev +
			     !!fwguard_disks[i].retired[j].bdev;
	return n;
}

/**
 * fwguard_disks_exit() - release the protected disks at module unload
 *
 * Only reachable when no range was published or a protect= load failed
 * half-way (the module is pinned otherwise).
 */
void fwguard_disks_exit(void)
{
	unsigned int i, j;

	for (i = 0; i < fwguard_nr_disks; i++) {
		for (j = 0; j < FWGUARD_DISK_ALIASES; j++)
			fwguard_bdev_close(&fwguard_disks[i].held[j]);
		kfree(fwguard_disks[i].parent_path);
	}
}
