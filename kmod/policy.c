// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard policy: the protected ranges, the device identity, the security
 * version floor and the set of consumed tickets. The policy only ever gets
 * stricter within a boot: ranges are added, never removed; a slot can become
 * active, never inactive again; the floor only rises; the identity is set
 * once. The first protected range locks the policy and pins the module, so
 * nothing short of a reboot undoes it.
 *
 * Ranges are published into a fixed array with a release store of the count
 * and are immutable afterwards (except for the one-way active flag), which
 * lets the bio hook read them on every write without a lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/ctype.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "fwguard.h"

DEFINE_MUTEX(fwguard_policy_lock);

static struct fwguard_range fwguard_ranges[FWGUARD_MAX_RANGES];
static unsigned int fwguard_nr_ranges;	/* release/acquire published */

/* Everything below is under fwguard_policy_lock. */
static bool fwguard_locked;
static u64 fwguard_floor;
static u64 fwguard_committed_version;
static char fwguard_device_class[FWGUARD_IDENTITY_LEN];
static char fwguard_serial[FWGUARD_IDENTITY_LEN];
static LIST_HEAD(fwguard_consumed);

struct fwguard_consumed_id {
	struct list_head node;
	u8 id[FWGUARD_TICKET_ID_LEN];
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

/**
 * fwguard_policy_locked() - whether a policy has been loaded this boot
 *
 * Return: true once the first range was protected.
 */
bool fwguard_policy_locked(void)
{
	return READ_ONCE(fwguard_locked);
}

/* A NUL-terminated name in a fixed field: [A-Za-z0-9._-], zero after the NUL. */
static bool fwguard_name_valid(const char *s, size_t size, bool allow_empty)
{
	size_t len = strnlen(s, size), i;

	if (len == size || (!len && !allow_empty))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(s[i]) && !strchr("._-:+", s[i]))
			return false;
	for (i = len; i < size; i++)
		if (s[i])
			return false;
	return true;
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
	if (active && !r->active && r->session)
		return -EBUSY;	/* the slot is being written: not bootable */
	WRITE_ONCE(r->active, active);
	return 0;
}

static void fwguard_policy_lock_in(void)
{
	if (fwguard_locked)
		return;
	/* Pinned until reboot: rmmod would drop every protection at once. */
	__module_get(THIS_MODULE);
	WRITE_ONCE(fwguard_locked, true);
	pr_info("policy locked until reboot\n");
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

static int fwguard_identity_set(char *cur, const char *val, size_t size)
{
	if (!fwguard_name_valid(val, size, true))
		return -EINVAL;
	if (!val[0] || !strcmp(cur, val))
		return 0;
	if (cur[0])
		return -EPERM;
	strscpy(cur, val, size);
	return 0;
}

/**
 * fwguard_policy_set() - set identity and raise the floor (FWGUARD_IOC_POLICY)
 * @p: request, already copied from userspace
 *
 * Nothing changes unless every part of the request is acceptable.
 *
 * Return: 0; -EINVAL for flags or malformed strings; -ESTALE when the floor
 * would go down; -EPERM when the identity is already set to other values.
 */
int fwguard_policy_set(const struct fwguard_policy *p)
{
	char dc[FWGUARD_IDENTITY_LEN], sn[FWGUARD_IDENTITY_LEN];
	int err;

	if (p->flags)
		return -EINVAL;
	mutex_lock(&fwguard_policy_lock);
	memcpy(dc, fwguard_device_class, sizeof(dc));
	memcpy(sn, fwguard_serial, sizeof(sn));
	err = fwguard_identity_set(dc, p->device_class, sizeof(dc)) ?:
	      fwguard_identity_set(sn, p->serial, sizeof(sn));
	if (!err && p->floor < fwguard_floor)
		err = -ESTALE;
	if (!err) {
		memcpy(fwguard_device_class, dc, sizeof(dc));
		memcpy(fwguard_serial, sn, sizeof(sn));
		fwguard_floor = p->floor;
	}
	mutex_unlock(&fwguard_policy_lock);
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
 * fwguard_policy_from_params() - apply the policy given as module parameters
 * @protect: "COMPONENT:DISK:PARTNAME[:active],..." or NULL
 * @device_class: device class or NULL
 * @serial: serial number or NULL
 * @floor: security version floor
 *
 * Lets /etc/modprobe.d/fwguard.conf protect the slots before modprobe
 * returns. Entries already applied stay applied when a later one fails:
 * protection never loosens, and the caller fails the load anyway.
 *
 * Return: 0, or the errno of the first entry that could not be applied.
 */
int fwguard_policy_from_params(const char *protect, const char *device_class,
			       const char *serial, u64 floor)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .floor = floor };
	char *list, *cursor, *entry;
	int err = 0;

	if ((device_class && strscpy(pol.device_class, device_class,
				     sizeof(pol.device_class)) < 0) ||
	    (serial && strscpy(pol.serial, serial, sizeof(pol.serial)) < 0))
		return -EINVAL;
	err = fwguard_policy_set(&pol);
	if (err || !protect || !*protect)
		return err;

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
 * fwguard_policy_check_identity() - does a ticket name this device?
 * @t: parsed ticket
 *
 * Return: 0, or -EACCES when the device class is unset or differs, or the
 * ticket is bound to another serial number.
 */
int fwguard_policy_check_identity(const struct fwguard_ticket *t)
{
	int err = 0;

	mutex_lock(&fwguard_policy_lock);
	if (!fwguard_device_class[0] ||
	    strcmp(t->device_class, fwguard_device_class))
		err = -EACCES;
	else if (t->serial[0] && strcmp(t->serial, fwguard_serial))
		err = -EACCES;
	mutex_unlock(&fwguard_policy_lock);
	return err;
}

static bool fwguard_consumed_locked(const u8 *id)
{
	struct fwguard_consumed_id *c;

	list_for_each_entry(c, &fwguard_consumed, node)
		if (!memcmp(c->id, id, FWGUARD_TICKET_ID_LEN))
			return true;
	return false;
}

static bool fwguard_ticket_stale_locked(const struct fwguard_ticket *t)
{
	return t->security_version < fwguard_floor ||
	       t->security_version < fwguard_committed_version;
}

/**
 * fwguard_policy_check_version() - freshness of a ticket
 * @t: parsed ticket
 *
 * Return: 0; -ESTALE when its security version is below the floor or below
 * a version committed this boot; -EALREADY when its id was consumed.
 */
int fwguard_policy_check_version(const struct fwguard_ticket *t)
{
	int err = 0;

	mutex_lock(&fwguard_policy_lock);
	if (fwguard_ticket_stale_locked(t))
		err = -ESTALE;
	else if (fwguard_consumed_locked(t->id))
		err = -EALREADY;
	mutex_unlock(&fwguard_policy_lock);
	return err;
}

/**
 * fwguard_policy_consume() - record a ticket as used, if it is still fresh
 * @t: parsed ticket whose session reached COMMIT
 *
 * The freshness checks of BEGIN are repeated under the same lock that
 * records the id: the floor or the committed version may have risen while
 * the session was streaming.
 *
 * Return: 0; -ESTALE when its security version is now below the floor or
 * below a version committed this boot; -EALREADY when another session
 * consumed it first; -ENOMEM.
 */
int fwguard_policy_consume(const struct fwguard_ticket *t)
{
	struct fwguard_consumed_id *c;
	int err = 0;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	memcpy(c->id, t->id, sizeof(c->id));
	mutex_lock(&fwguard_policy_lock);
	if (fwguard_ticket_stale_locked(t)) {
		err = -ESTALE;
	} else if (fwguard_consumed_locked(t->id)) {
		err = -EALREADY;
	} else {
		list_add(&c->node, &fwguard_consumed);
		c = NULL;
	}
	mutex_unlock(&fwguard_policy_lock);
	kfree(c);
	return err;
}

/**
 * fwguard_policy_record_commit() - remember a committed ticket's version
 * @t: the ticket just committed
 *
 * Older tickets are refused for the rest of the boot either way; with
 * FWGUARD_TICKET_F_RAISE_FLOOR the floor itself moves up too, so that the
 * status shows what userspace is about to write into the TPM counter.
 */
void fwguard_policy_record_commit(const struct fwguard_ticket *t)
{
	mutex_lock(&fwguard_policy_lock);
	fwguard_committed_version = max(fwguard_committed_version, t->security_version);
	if (t->flags & FWGUARD_TICKET_F_RAISE_FLOOR)
		fwguard_floor = max(fwguard_floor, t->security_version);
	mutex_unlock(&fwguard_policy_lock);
}

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
		struct fwguard_range *r = &fwguard_ranges[i];

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
		struct fwguard_range *r = &fwguard_ranges[i];

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

/**
 * fwguard_policy_show() - text status of the policy for sysfs
 * @buf: output buffer
 * @size: its size
 *
 * Return: bytes written.
 */
ssize_t fwguard_policy_show(char *buf, size_t size)
{
	unsigned int i, n;
	ssize_t len;

	mutex_lock(&fwguard_policy_lock);
	len = scnprintf(buf, size,
			"locked %d\nfloor %llu\ncommitted_version %llu\ndevice_class %s\nserial %s\n",
			fwguard_locked, fwguard_floor, fwguard_committed_version,
			fwguard_device_class, fwguard_serial);
	n = fwguard_range_count();
	for (i = 0; i < n; i++) {
		struct fwguard_range *r = &fwguard_ranges[i];

		len += scnprintf(buf + len, size - len,
				 "range %s disk %s start %llu sectors %llu component %s%s%s\n",
				 r->name, r->disk->disk_name, (u64)r->start,
				 (u64)r->nr_sectors, r->component,
				 READ_ONCE(r->active) ? " active" : "",
				 r->session ? " session" : "");
	}
	mutex_unlock(&fwguard_policy_lock);
	return len;
}

/**
 * fwguard_policy_exit() - release what the policy holds at module unload
 *
 * Only reachable when no range was ever protected (the module is pinned
 * otherwise), so only the consumed-ticket list can hold memory.
 */
void fwguard_policy_exit(void)
{
	struct fwguard_consumed_id *c, *next;
	unsigned int i;

	for (i = 0; i < fwguard_nr_ranges; i++) {
		fwguard_bdev_close(&fwguard_ranges[i].part);
		kfree(fwguard_ranges[i].parent_path);
	}
	list_for_each_entry_safe(c, next, &fwguard_consumed, node)
		kfree(c);
}
