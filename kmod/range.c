// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard protected ranges: the table the hooks consult on every write,
 * adding a partition to it (FWGUARD_IOC_PROTECT and the protect= parameter,
 * which names partitions by GPT name), and its part of the status file.
 * Ranges are published into a fixed array with a release store of the count
 * and are immutable afterwards (except for the one-way active flag and the
 * disk a re-appeared disk hands them, see disk.c), which lets the bio hook
 * read them on every write without a lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "fwguard.h"

static struct fwguard_range fwguard_ranges[FWGUARD_MAX_RANGES];
static unsigned int fwguard_nr_ranges;	/* release/acquire published */

/**
 * fwguard_range_count() - number of published protected ranges
 *
 * Return: the count; ranges [0, count) may be read without a lock.
 */
notrace unsigned int fwguard_range_count(void)
{
	return smp_load_acquire(&fwguard_nr_ranges);
}

/**
 * fwguard_range_get() - a published range by index
 * @i: index below fwguard_range_count()
 *
 * Return: the range, or NULL when @i is out of bounds.
 */
struct fwguard_range *fwguard_range_get(unsigned int i)
{
	return i < fwguard_range_count() ? &fwguard_ranges[i] : NULL;
}

/**
 * fwguard_range_overlapping() - find a protected range a disk region touches
 * @disk: whole disk
 * @start: first sector, absolute on @disk
 * @nr: number of sectors; 0 never overlaps
 *
 * Called from the bio hook with preemption disabled: no locks, no sleeping.
 *
 * Return: the first overlapping range, or NULL.
 */
notrace struct fwguard_range *fwguard_range_overlapping(const struct gendisk *disk,
						sector_t start, sector_t nr)
{
	unsigned int i, n = fwguard_range_count();

	for (i = 0; i < n; i++) {
		struct fwguard_range *r = &fwguard_ranges[i];

		if (READ_ONCE(r->disk) == disk && start < r->start + r->nr_sectors &&
		    r->start < start + nr)
			return r;
	}
	return NULL;
}

/**
 * fwguard_range_by_dev() - the range recorded for a partition device number
 * @dev: partition device number as given to FWGUARD_IOC_PROTECT
 *
 * Return: the range, or NULL when @dev is not protected.
 */
struct fwguard_range *fwguard_range_by_dev(dev_t dev)
{
	unsigned int i, n = fwguard_range_count();

	for (i = 0; i < n; i++)
		if (fwguard_ranges[i].part_dev == dev)
			return &fwguard_ranges[i];
	return NULL;
}

static int fwguard_range_merge(struct fwguard_range *r, sector_t start,
			       sector_t nr, const struct fwguard_protect *p)
{
	bool active = p->flags & FWGUARD_PROTECT_ACTIVE;

	if (r->start != start || r->nr_sectors != nr ||
	    strcmp(r->component, p->component))
		return -EEXIST;
	if (r->active && !active)
		return -EPERM;
	WRITE_ONCE(r->active, active);
	return 0;
}

static int fwguard_range_publish(struct fwguard_bdev *part,
				  const struct fwguard_protect *p, dev_t dev)
{
	struct block_device *bdev = part->bdev;
	sector_t start = bdev->bd_start_sect, nr = bdev_nr_sectors(bdev);
	unsigned int n = fwguard_nr_ranges;
	struct fwguard_range *r;

	r = fwguard_range_overlapping(bdev->bd_disk, start, nr);
	if (r)
		return fwguard_range_merge(r, start, nr, p) ?: 1;
	if (n == FWGUARD_MAX_RANGES)
		return -ENOSPC;

	r = &fwguard_ranges[n];
	r->disk = bdev->bd_disk;
	r->start = start;
	r->nr_sectors = nr;
	r->part_dev = dev;
	r->part = *part;
	r->active = p->flags & FWGUARD_PROTECT_ACTIVE;
	r->session = NULL;
	r->capacity = get_capacity(bdev->bd_disk);
	if (disk_to_dev(bdev->bd_disk)->parent)
		r->parent_path = kobject_get_path(&disk_to_dev(bdev->bd_disk)->parent->kobj,
						  GFP_KERNEL);
	strscpy(r->component, p->component, sizeof(r->component));
	snprintf(r->name, sizeof(r->name), "%pg", bdev);
	smp_store_release(&fwguard_nr_ranges, n + 1);
	fwguard_policy_lock_in();
	pr_info("protecting %s (%s sectors %llu+%llu) component %s%s\n",
		r->name, r->disk->disk_name, (u64)start, (u64)nr, r->component,
		r->active ? " [active]" : "");
	return 0;
}

/**
 * fwguard_policy_protect() - add a protected partition (FWGUARD_IOC_PROTECT)
 * @p: request, already copied from userspace
 *
 * Return: 0 on success (also for an identical, already protected range);
 * -EINVAL for unknown flags, a bad component name or a device that is not a
 * partition; -ENXIO when the device does not exist; -EEXIST when it overlaps
 * a protected range differently; -EPERM when it would clear the active flag;
 * -ENOSPC when the table is full.
 */
int fwguard_policy_protect(const struct fwguard_protect *p)
{
	dev_t dev = MKDEV(p->dev_major, p->dev_minor);
	struct fwguard_bdev part = {};
	int err;

	if (p->flags & ~FWGUARD_PROTECT_ACTIVE ||
	    !fwguard_name_valid(p->component, sizeof(p->component), false) ||
	    p->dev_major != MAJOR(dev) || p->dev_minor != MINOR(dev))
		return -EINVAL;

	err = fwguard_bdev_open(&part, dev, false, NULL);
	if (err)
		return err == -ENODEV ? -ENXIO : err;
	if (!bdev_is_partition(part.bdev)) {
		err = -EINVAL;
		goto out_close;
	}

	mutex_lock(&fwguard_policy_lock);
	err = fwguard_range_publish(&part, p, dev);
	mutex_unlock(&fwguard_policy_lock);
	if (!err)
		return 0;	/* the range keeps the partition open */
	if (err > 0)
		err = 0;	/* merged into an existing range */
out_close:
	fwguard_bdev_close(&part);
	return err;
}

/* Find the partition called @partname (GPT name, PARTNAME) on /dev/@disk. */
static int fwguard_find_partition(const char *disk, const char *partname,
				  dev_t *out)
{
	struct fwguard_bdev whole = {};
	struct block_device *part;
	char path[BDEVNAME_SIZE + 8];
	unsigned long idx;
	dev_t dev;
	int err;

	snprintf(path, sizeof(path), "/dev/%s", disk);
	err = lookup_bdev(path, &dev);
	if (err)
		return err;
	err = fwguard_bdev_open(&whole, dev, false, NULL);
	if (err)
		return err;
	err = -ENOENT;
	rcu_read_lock();
	xa_for_each(&whole.bdev->bd_disk->part_tbl, idx, part) {
		if (!bdev_is_partition(part) || !part->bd_meta_info)
			continue;
		if (!strcmp(part->bd_meta_info->volname, partname)) {
			*out = part->bd_dev;
			err = 0;
			break;
		}
	}
	rcu_read_unlock();
	fwguard_bdev_close(&whole);
	return err;
}

/* One "COMPONENT:DISK:PARTNAME[:active]" entry of the protect= parameter. */
static int fwguard_protect_param_entry(char *entry)
{
	struct fwguard_protect p = { .size = sizeof(p) };
	char *component, *disk, *partname, *flag;
	dev_t dev;
	int err;

	component = strsep(&entry, ":");
	disk = strsep(&entry, ":");
	partname = strsep(&entry, ":");
	flag = strsep(&entry, ":");
	if (!component || !disk || !partname || entry ||
	    (flag && strcmp(flag, "active")) ||
	    strlen(component) >= sizeof(p.component) ||
	    strlen(disk) >= BDEVNAME_SIZE) {
		pr_err("protect=: bad entry, want COMPONENT:DISK:PARTNAME[:active]\n");
		return -EINVAL;
	}
	err = fwguard_find_partition(disk, partname, &dev);
	if (err) {
		pr_err("protect=: no partition named '%s' on %s: %d\n",
		       partname, disk, err);
		return err;
	}
	strscpy(p.component, component, sizeof(p.component));
	p.flags = flag ? FWGUARD_PROTECT_ACTIVE : 0;
	p.dev_major = MAJOR(dev);
	p.dev_minor = MINOR(dev);
	err = fwguard_policy_protect(&p);
	if (err)
		pr_err("protect=: cannot protect %s on %s: %d\n",
		       partname, disk, err);
	return err;
}

/**
 * fwguard_range_protect_param() - protect the partitions of protect=
 * @protect: "COMPONENT:DISK:PARTNAME[:active],..."
 *
 * Entries already applied stay applied when a later one fails: protection
 * never loosens, and the caller fails the load anyway.
 *
 * Return: 0, -ENOMEM, or the errno of the first entry that could not be
 * applied.
 */
int fwguard_range_protect_param(const char *protect)
{
	char *list, *cursor, *entry;
	int err = 0;

	list = kstrdup(protect, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	cursor = list;
	while (!err && (entry = strsep(&cursor, ",")))
		if (*entry)
			err = fwguard_protect_param_entry(entry);
	kfree(list);
	return err;
}

/**
 * fwguard_ranges_show() - the ranges' lines of the status file
 * @buf: output buffer
 * @size: its size
 *
 * Called with fwguard_policy_lock held.
 *
 * Return: bytes written.
 */
ssize_t fwguard_ranges_show(char *buf, size_t size)
{
	unsigned int i, n = fwguard_range_count();
	ssize_t len = 0;

	for (i = 0; i < n; i++) {
		struct fwguard_range *r = &fwguard_ranges[i];

		len += scnprintf(buf + len, size - len,
				 "range %s disk %s start %llu sectors %llu component %s%s%s\n",
				 r->name, r->disk->disk_name, (u64)r->start,
				 (u64)r->nr_sectors, r->component,
				 READ_ONCE(r->active) ? " active" : "",
				 r->session ? " session" : "");
	}
	return len;
}

/**
 * fwguard_ranges_exit() - release what the ranges hold at module unload
 *
 * Only reachable when no range was published or a protect= load failed
 * half-way (the module is pinned otherwise).
 */
void fwguard_ranges_exit(void)
{
	unsigned int i;

	for (i = 0; i < fwguard_nr_ranges; i++) {
		fwguard_bdev_close(&fwguard_ranges[i].part);
		kfree(fwguard_ranges[i].parent_path);
	}
}
