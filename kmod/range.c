// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard protected ranges: the table the hooks consult on every write,
 * adding a partition to it (FWGUARD_IOC_PROTECT and the protect= parameter,
 * which names partitions by GPT name), and its part of the status file.
 * A partition is bound to its GPT entry (PARTUUID and exact extent) and its
 * disk's GPT identity when it is added; the first partition of a disk also
 * protects that disk's two GPT areas, so the entries cannot be renamed or
 * moved for the next boot. Ranges are published into a fixed array with a
 * release store of the count and are immutable afterwards (except for the
 * one-way active flag and the gendisk a re-appeared disk hands them, see
 * disk.c), which lets the bio hook read them on every write without a lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "fwguard.h"

static struct fwguard_range fwguard_ranges[FWGUARD_RANGE_SLOTS];
static unsigned int fwguard_nr_ranges;	/* release/acquire published */
static unsigned int fwguard_nr_parts;	/* partitions among them, under the lock */

/* A GPT area's component: outside the ticket charset, so no ticket names it. */
#define FWGUARD_GPT_COMPONENT "(gpt)"

/* What PROTECT resolved before taking the lock. */
struct fwguard_protect_ctx {
	struct fwguard_bdev part;
	struct fwguard_bdev whole;
	struct fwguard_gpt gpt;
	struct fwguard_gpt_part entry;
	dev_t dev;
};

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
 * A range is on every gendisk its protected disk carries (disk.c).
 *
 * Return: the first overlapping range, or NULL.
 */
notrace struct fwguard_range *fwguard_range_overlapping(const struct gendisk *disk,
						sector_t start, sector_t nr)
{
	unsigned int i, n = fwguard_range_count();

	for (i = 0; i < n; i++) {
		struct fwguard_range *r = &fwguard_ranges[i];

		if (start < r->start + r->nr_sectors && r->start < start + nr &&
		    fwguard_disk_carries(r->pd, disk))
			return r;
	}
	return NULL;
}

/**
 * fwguard_disk_holds_ranges() - does a gendisk carry protected ranges?
 * @disk: whole disk
 *
 * For checks that judge a whole disk (passthrough commands). Lockless.
 *
 * Return: true when a protected disk carries @disk.
 */
notrace bool fwguard_disk_holds_ranges(const struct gendisk *disk)
{
	unsigned int i, n = fwguard_range_count();

	for (i = 0; i < n; i++)
		if (fwguard_disk_carries(fwguard_ranges[i].pd, disk))
			return true;
	return false;
}

/**
 * fwguard_range_by_dev() - the range recorded for a partition device number
 * @dev: partition device number as given to FWGUARD_IOC_PROTECT
 *
 * Return: the range, or NULL when @dev is not a protected partition.
 */
struct fwguard_range *fwguard_range_by_dev(dev_t dev)
{
	unsigned int i, n = fwguard_range_count();

	if (!dev)
		return NULL;
	for (i = 0; i < n; i++)
		if (!fwguard_ranges[i].gpt_area &&
		    READ_ONCE(fwguard_ranges[i].part_dev) == dev)
			return &fwguard_ranges[i];
	return NULL;
}

/* Same partition, same identity: only the active flag may be added. */
static int fwguard_range_merge(struct fwguard_range *r,
			       const struct fwguard_protect_ctx *c,
			       const struct fwguard_protect *p)
{
	bool active = p->flags & FWGUARD_PROTECT_ACTIVE;

	if (r->gpt_area || r->start != c->entry.start ||
	    r->nr_sectors != c->entry.nr_sectors ||
	    !guid_equal(&r->part_guid, &c->entry.guid) ||
	    strcmp(r->component, p->component))
		return -EEXIST;
	if (r->active && !active)
		return -EPERM;
	if (active && !r->active && r->session)
		return -EBUSY;	/* the slot is being written: not bootable */
	WRITE_ONCE(r->active, active);
	return 0;
}

/* Publish one range; the caller checked that a slot is free. */
static struct fwguard_range *fwguard_range_add(struct fwguard_disk *pd,
					       struct gendisk *disk,
					       sector_t start, sector_t nr)
{
	unsigned int n = fwguard_nr_ranges;
	struct fwguard_range *r = &fwguard_ranges[n];

	memset(r, 0, sizeof(*r));
	r->disk = disk;
	r->pd = pd;
	r->start = start;
	r->nr_sectors = nr;
	return r;
}

static void fwguard_range_commit(struct fwguard_range *r)
{
	smp_store_release(&fwguard_nr_ranges, fwguard_nr_ranges + 1);
	fwguard_policy_lock_in();
	pr_info("protecting %s (%s sectors %llu+%llu) component %s%s\n",
		r->name, r->disk->disk_name, (u64)r->start, (u64)r->nr_sectors,
		r->component, r->active ? " [active]" : "");
}

/* The primary and backup GPT areas of a disk that just got its first range. */
static void fwguard_range_add_gpt(struct fwguard_disk *pd, struct gendisk *disk,
				  const struct fwguard_gpt *g)
{
	struct fwguard_range *r;

	r = fwguard_range_add(pd, disk, 0, g->primary_sectors);
	r->gpt_area = true;
	strscpy(r->component, FWGUARD_GPT_COMPONENT, sizeof(r->component));
	snprintf(r->name, sizeof(r->name), "%.20s:gpt", disk->disk_name);
	fwguard_range_commit(r);

	r = fwguard_range_add(pd, disk, g->backup_start, g->backup_sectors);
	r->gpt_area = true;
	strscpy(r->component, FWGUARD_GPT_COMPONENT, sizeof(r->component));
	snprintf(r->name, sizeof(r->name), "%.20s:gpt-backup", disk->disk_name);
	fwguard_range_commit(r);
}

/* A PARTUUID already bound to another range makes the identity ambiguous. */
static bool fwguard_part_guid_taken(const guid_t *guid)
{
	unsigned int i;

	for (i = 0; i < fwguard_nr_ranges; i++)
		if (!fwguard_ranges[i].gpt_area &&
		    guid_equal(&fwguard_ranges[i].part_guid, guid))
			return true;
	return false;
}

static int fwguard_range_publish(struct fwguard_protect_ctx *c,
				 const struct fwguard_protect *p)
{
	struct block_device *bdev = c->part.bdev;
	struct fwguard_range *r;
	struct fwguard_disk *pd;
	bool created = false;

	r = fwguard_range_overlapping(bdev->bd_disk, c->entry.start,
				      c->entry.nr_sectors);
	if (r)
		return fwguard_range_merge(r, c, p) ?: 1;
	if (fwguard_nr_parts == FWGUARD_MAX_RANGES)
		return -ENOSPC;
	if (fwguard_part_guid_taken(&c->entry.guid))
		return -ENOTUNIQ;
	pd = fwguard_disk_bind(bdev->bd_disk, &c->gpt.disk_guid, &c->whole, &created);
	if (IS_ERR(pd))
		return PTR_ERR(pd);
	if (created)
		fwguard_range_add_gpt(pd, bdev->bd_disk, &c->gpt);

	r = fwguard_range_add(pd, bdev->bd_disk, c->entry.start, c->entry.nr_sectors);
	r->part_dev = c->dev;
	r->part = c->part;
	r->part_guid = c->entry.guid;
	r->active = p->flags & FWGUARD_PROTECT_ACTIVE;
	strscpy(r->component, p->component, sizeof(r->component));
	snprintf(r->name, sizeof(r->name), "%pg", bdev);
	fwguard_nr_parts++;
	fwguard_range_commit(r);
	return 0;
}

/* A component name a ticket can carry, and nothing after its NUL. */
static bool fwguard_component_valid(const char *s, size_t size)
{
	size_t len = strnlen(s, size);

	return len < size && !fwguard_ticket_check_component(s, size) &&
	       !memchr_inv(s + len, 0, size - len);
}

/* Open the partition and its disk, and find its entry in the verified GPT. */
static int fwguard_protect_resolve(struct fwguard_protect_ctx *c)
{
	struct block_device *bdev;
	int err;

	err = fwguard_bdev_open(&c->part, c->dev, false, NULL);
	if (err)
		return err == -ENODEV ? -ENXIO : err;
	bdev = c->part.bdev;
	if (!bdev_is_partition(bdev))
		return -EINVAL;
	err = fwguard_bdev_open(&c->whole, disk_devt(bdev->bd_disk), false, NULL);
	if (err)
		return err;
	err = fwguard_gpt_read(bdev->bd_disk, &c->gpt);
	if (err) {
		pr_err("%pg: no consistent GPT (%d): not protecting it\n", bdev, err);
		return err;
	}
	err = fwguard_gpt_entry_at(&c->gpt, bdev->bd_start_sect,
				   bdev_nr_sectors(bdev), &c->entry);
	if (err) {
		pr_err("%pg: no GPT entry with exactly its sectors: not protecting it\n",
		       bdev);
		return err;
	}
	err = fwguard_gpt_entry_unique(&c->gpt, &c->entry);
	if (err) {
		pr_err("%pg: GPT name '%s' or PARTUUID %pUl appears twice on the disk: not protecting it\n",
		       bdev, c->entry.name, &c->entry.guid);
		return err;
	}
	/* Requests of every origin meet the gate before the range is live. */
	return fwguard_gate_watch_disk(bdev->bd_disk, disk_to_dev(bdev->bd_disk)->parent);
}

/**
 * fwguard_policy_protect() - add a protected partition (FWGUARD_IOC_PROTECT)
 * @p: request, already copied from userspace
 *
 * The partition is bound to its disk's GPT as the module reads it from the
 * medium: the disk GUID, the entry's PARTUUID and its exact extent.
 *
 * Return: 0 on success (also for an identical, already protected range);
 * -EINVAL for unknown flags, a component name a ticket could not carry or a
 * device that is not a partition; -ENXIO when the device does not exist;
 * -EUCLEAN when the disk has no GPT, or its two copies are corrupt or
 * differ; -ENOENT when no GPT entry has exactly the partition's sectors;
 * -ENOTUNIQ when its GPT name or PARTUUID is carried by another entry, its
 * PARTUUID by a protected range elsewhere, or its disk GUID by another
 * protected disk; -EEXIST when it overlaps a protected range differently;
 * -EPERM when it would clear the active flag; -EBUSY when it would mark
 * a slot active while a session writes it; -ENOSPC when the table (or
 * the request gate's) is full; -EBUSY or another ftrace errno when the
 * disk's driver cannot be gated; -EIO, -ENOMEM.
 */
int fwguard_policy_protect(const struct fwguard_protect *p)
{
	struct fwguard_protect_ctx c = { .dev = MKDEV(p->dev_major, p->dev_minor) };
	int err;

	if (p->flags & ~FWGUARD_PROTECT_ACTIVE ||
	    !fwguard_component_valid(p->component, sizeof(p->component)) ||
	    p->dev_major != MAJOR(c.dev) || p->dev_minor != MINOR(c.dev))
		return -EINVAL;

	err = fwguard_protect_resolve(&c);
	if (!err) {
		mutex_lock(&fwguard_policy_lock);
		err = fwguard_range_publish(&c, p);
		mutex_unlock(&fwguard_policy_lock);
		if (!err)
			c.part.bdev = NULL;	/* the range keeps the partition open */
		if (err > 0)
			err = 0;	/* merged into an existing range */
	}
	fwguard_gpt_free(&c.gpt);
	fwguard_bdev_close(&c.whole);	/* empty when a new disk entry took it */
	fwguard_bdev_close(&c.part);
	return err;
}

/* The partition of @disk that covers exactly @e's sectors. */
static int fwguard_partition_at(struct gendisk *disk,
				const struct fwguard_gpt_part *e, dev_t *out)
{
	struct block_device *part;
	unsigned long idx;
	int err = -ENOENT;

	rcu_read_lock();
	xa_for_each(&disk->part_tbl, idx, part) {
		if (bdev_is_partition(part) && part->bd_start_sect == e->start &&
		    bdev_nr_sectors(part) == e->nr_sectors) {
			*out = part->bd_dev;
			err = 0;
			break;
		}
	}
	rcu_read_unlock();
	return err;
}

typedef __typeof__(((struct device *)NULL)->class) fwguard_class_t;

/*
 * The block class, which is not exported: the class of the first device
 * of the block class in devices_kset (the kset every registered device is
 * in; platform_bus is one of them). Class names are unique (each is a
 * directory of /sys/class), so a class named "block" is the block class,
 * which is static and never freed.
 */
static fwguard_class_t fwguard_block_class(void)
{
	struct kset *devices = platform_bus.kobj.kset;
	fwguard_class_t cls = NULL;
	struct kobject *k;

	if (!devices)
		return NULL;
	spin_lock(&devices->list_lock);
	list_for_each_entry(k, &devices->list, entry) {
		struct device *dev = kobj_to_dev(k);

		if (dev->class && !strcmp(dev->class->name, "block")) {
			cls = dev->class;
			break;
		}
	}
	spin_unlock(&devices->list_lock);
	return cls;
}

static int fwguard_match_disk_name(struct device *dev, const void *name)
{
	return !strcmp(dev_name(dev), name) && dev->type &&
	       !strcmp(dev->type->name, "disk") &&
	       !(dev_to_disk(dev)->flags & GENHD_FL_HIDDEN);
}

/*
 * The device number of the disk the kernel calls @name (a whole disk of
 * the block class, not hidden). Never a path: a path is looked up in the
 * caller's mount namespace, whose /dev may hold another node at that name.
 */
static int fwguard_disk_by_name(const char *name, dev_t *out)
{
	fwguard_class_t cls = fwguard_block_class();
	struct device *dev;

	if (!cls)
		return -ENOENT;
	dev = class_find_device(cls, NULL, name, fwguard_match_disk_name);
	if (!dev)
		return -ENOENT;
	*out = disk_devt(dev_to_disk(dev));
	put_device(dev);
	return 0;
}

/* Find the partition called @partname (GPT name, PARTNAME) on disk @disk. */
static int fwguard_find_partition(const char *disk, const char *partname,
				  dev_t *out)
{
	struct fwguard_bdev whole = {};
	struct fwguard_gpt_part e;
	struct fwguard_gpt g;
	dev_t dev;
	int err;

	err = fwguard_disk_by_name(disk, &dev);
	if (err)
		return err;
	err = fwguard_bdev_open(&whole, dev, false, NULL);
	if (err)
		return err;
	err = fwguard_gpt_read(whole.bdev->bd_disk, &g);
	if (!err) {
		err = fwguard_gpt_entry_named(&g, partname, &e) ?:
		      fwguard_partition_at(whole.bdev->bd_disk, &e, out);
		fwguard_gpt_free(&g);
	}
	fwguard_bdev_close(&whole);
	return err;
}

/* One "COMPONENT:DISK:PARTNAME[:active]" entry of the protect= parameter. */
static int fwguard_protect_param_entry(char *entry, dev_t *dev)
{
	struct fwguard_protect p = { .size = sizeof(p) };
	char *component, *disk, *partname, *flag;
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
	err = fwguard_find_partition(disk, partname, dev);
	if (err) {
		pr_err("protect=: %s partition named '%s' on %s: %d\n",
		       err == -ENOTUNIQ ? "more than one" : "no", partname, disk, err);
		return err;
	}
	strscpy(p.component, component, sizeof(p.component));
	p.flags = flag ? FWGUARD_PROTECT_ACTIVE : 0;
	p.dev_major = MAJOR(*dev);
	p.dev_minor = MINOR(*dev);
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
 * never loosens, and the caller fails the load anyway. Naming one partition
 * twice is refused: the policy would say two things about one slot.
 *
 * Return: 0; -EEXIST when two entries name the same partition; -ENOSPC for
 * more entries than FWGUARD_MAX_RANGES; -ENOMEM; or the errno of the first
 * entry that could not be applied (see fwguard_policy_protect(), and
 * -ENOTUNIQ for a PARTNAME that two entries of the disk carry).
 */
int fwguard_range_protect_param(const char *protect)
{
	dev_t seen[FWGUARD_MAX_RANGES];
	char *list, *cursor, *entry;
	unsigned int n = 0, i;
	int err = 0;

	list = kstrdup(protect, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	cursor = list;
	while (!err && (entry = strsep(&cursor, ","))) {
		if (!*entry)
			continue;
		if (n == ARRAY_SIZE(seen)) {
			err = -ENOSPC;
			break;
		}
		err = fwguard_protect_param_entry(entry, &seen[n]);
		for (i = 0; !err && i < n; i++)
			if (seen[i] == seen[n])
				err = -EEXIST;
		if (err == -EEXIST)
			pr_err("protect=: a partition is named twice\n");
		n++;
	}
	kfree(list);
	return err;
}

/**
 * fwguard_ranges_show() - the ranges' lines of the status file
 * @buf: output buffer
 * @size: its size
 *
 * Called with fwguard_policy_lock held. One "range" line per partition (its
 * GPT identity on an "identity" line after it), one "gpt" line per GPT area,
 * the number of block device handles the module holds and the number of
 * gendisks recorded as carrying a protected disk (deleted ones included).
 *
 * Return: bytes written.
 */
ssize_t fwguard_ranges_show(char *buf, size_t size)
{
	unsigned int i, n = fwguard_range_count();
	ssize_t len = 0;

	for (i = 0; i < n; i++) {
		struct fwguard_range *r = &fwguard_ranges[i];

		if (r->gpt_area) {
			len += scnprintf(buf + len, size - len,
					 "gpt %s disk %s start %llu sectors %llu disk_guid %pUl\n",
					 r->name, r->disk->disk_name, (u64)r->start,
					 (u64)r->nr_sectors, &r->pd->guid);
			continue;
		}
		len += scnprintf(buf + len, size - len,
				 "range %s disk %s start %llu sectors %llu component %s%s%s\n"
				 "identity %s disk_guid %pUl partuuid %pUl\n",
				 r->name, r->disk->disk_name, (u64)r->start,
				 (u64)r->nr_sectors, r->component,
				 READ_ONCE(r->active) ? " active" : "",
				 r->session ? " session" : "",
				 r->name, &r->pd->guid, &r->part_guid);
	}
	len += scnprintf(buf + len, size - len, "handles %u\naliases %u\n",
			 fwguard_disk_handles(), fwguard_disk_aliases());
	return len;
}

/**
 * fwguard_range_handles() - partitions the ranges hold open
 *
 * Called with fwguard_policy_lock held.
 *
 * Return: the count.
 */
unsigned int fwguard_range_handles(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < fwguard_nr_ranges; i++)
		n += !!fwguard_ranges[i].part.bdev;
	return n;
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

	for (i = 0; i < fwguard_nr_ranges; i++)
		fwguard_bdev_close(&fwguard_ranges[i].part);
	fwguard_disks_exit();
}
