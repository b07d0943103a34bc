// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard and disks that come back: unbinding and rebinding a disk's driver
 * (or a bus rescan) deletes the gendisk the protected ranges point to and
 * adds a new one, under a new name, with the same sectors. The
 * device_add_disk() hook calls in here before the new disk's partitions
 * exist (fwguard_policy_claim_disk()) and after it was added
 * (fwguard_policy_settle_disk()), so that the ranges move to the new disk
 * with no moment in which it can be written.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/slab.h>

#include "fwguard.h"

static bool fwguard_range_is_lost_copy(const struct fwguard_range *r,
				       struct gendisk *disk, const char *path)
{
	return r->parent_path && !strcmp(r->parent_path, path) &&
	       r->capacity == get_capacity(disk) && r->disk != disk &&
	       !r->lost && fwguard_disk_gone(r->disk);
}

/**
 * fwguard_policy_claim_disk() - point lost ranges at a disk being added
 * @parent: the parent device the disk is being added under, or NULL
 * @disk: the disk, before device_add_disk() creates its partitions
 *
 * Unbinding and rebinding the disk's driver (or a bus rescan) deletes the
 * gendisk the ranges point to and creates a new one, under a new name, with
 * the same sectors: without this, the new disk would be unprotected. A new
 * disk on the same parent device with the same capacity takes the place of
 * a deleted protected one, before its partitions exist, so there is no
 * moment in which it can be written. Its ranges keep their sectors (the
 * on-disk partition table may have been edited meanwhile). Sessions cannot
 * target the new disk until reboot. fwguard_policy_settle_disk() must
 * follow once device_add_disk() returned.
 */
void fwguard_policy_claim_disk(struct device *parent, struct gendisk *disk)
{
	unsigned int i, n;
	char *path;

	if (!parent || !fwguard_range_count())
		return;
	path = kobject_get_path(&parent->kobj, GFP_KERNEL);
	if (!path)
		return;
	mutex_lock(&fwguard_policy_lock);
	n = fwguard_range_count();
	for (i = 0; i < n; i++) {
		struct fwguard_range *r = fwguard_range_get(i);

		if (!fwguard_range_is_lost_copy(r, disk, path))
			continue;
		r->lost = r->disk;
		WRITE_ONCE(r->disk, disk);
	}
	mutex_unlock(&fwguard_policy_lock);
	kfree(path);
}

/**
 * fwguard_policy_settle_disk() - finish or undo fwguard_policy_claim_disk()
 * @disk: the disk
 * @added: whether device_add_disk() succeeded
 *
 * On success the new disk is held open for reading so that the gendisk the
 * ranges point to stays valid; the deleted one stays referenced too, the
 * hooks may still be looking at it. If the new disk cannot be held, the
 * failure is logged and the ranges go back to the deleted disk, which
 * leaves the new one unprotected.
 */
void fwguard_policy_settle_disk(struct gendisk *disk, bool added)
{
	struct fwguard_bdev held = {};
	unsigned int i, n;
	int err = added ? 0 : -ENODEV;

	mutex_lock(&fwguard_policy_lock);
	n = fwguard_range_count();
	for (i = 0; i < n; i++) {
		struct fwguard_range *r = fwguard_range_get(i);

		if (r->disk != disk || !r->lost)
			continue;
		if (!err && !held.bdev) {
			err = fwguard_bdev_open(&held, disk_devt(disk), false, NULL);
			if (err)
				pr_err("cannot hold re-appeared disk %s: %d; it is NOT protected\n",
				       disk->disk_name, err);
		}
		if (err) {
			WRITE_ONCE(r->disk, r->lost);
		} else {
			r->adopted = held;
			pr_warn("protected disk re-appeared as %s: %s sectors %llu+%llu protected again\n",
				disk->disk_name, r->name, (u64)r->start, (u64)r->nr_sectors);
		}
		r->lost = NULL;
	}
	mutex_unlock(&fwguard_policy_lock);
}
