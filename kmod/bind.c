// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard's driver-bind guard: while a range is protected, no driver other
 * than the one recorded may bind to a device that the protected disk's I/O
 * passes through.
 *
 * Everything else in fwguard judges I/O that passes the block layer. A
 * storage controller bound to vfio-pci (noiommu or not), uio_pci_generic or
 * pci-stub instead of its driver is driven from userspace, and none of
 * those paths is stopped by lockdown. So when a disk gets its first range,
 * and again when a disk at its place is claimed after a rebind (disk.c),
 * every device in its parent chain that sits on a bus and has a driver is
 * recorded with that driver: for virtio-blk the virtio device (virtio_blk)
 * and the PCI function (virtio-pci); for NVMe the PCI function (nvme), and
 * for a multipath head that of each PCIe controller of its subsystem, with
 * a path or not (mpath.c); for SCSI the scsi_device (sd), the HBA's device and its PCI function; for
 * USB mass storage the scsi_device (sd), the interface (usb-storage), the
 * USB device and hubs (usb) and the host controller's PCI function
 * (xhci_hcd); PCI bridges above (pcieport) too. Binding any other driver
 * to a recorded device is refused with EPERM before the driver runs.
 *
 * A recorded device is known by its place, the sysfs path of its kobject,
 * not by its struct device: a PCI function removed and rescanned is a new
 * struct device at the same path, and must bind to the same driver. Virtio
 * devices are named by an index that changes when their transport is
 * rebound, so a virtio device is recorded by its parent's path: any virtio
 * device under that transport must bind to the recorded virtio driver.
 * Drivers are compared by bus and name (unique on a bus, and stable when
 * the driver module is reloaded).
 *
 * The hook is really_probe() in drivers/base/dd.c, the one function every
 * probe passes on 6.1 and 6.12, whatever started it: the sysfs bind file,
 * driver_override with drivers_probe, new_id, a bus rescan or hotplug, a
 * driver module being loaded, deferred and asynchronous probing. It is
 * static but not inlined on both kernels, so ftrace can hook it; it gets
 * the device and the driver as its first two arguments, before
 * dev->driver is set or anything of the driver runs. A refused probe runs
 * fwguard_refuse_probe() instead, which returns what really_probe()
 * returns for a failed probe of the driver (a positive errno): the bind
 * file then answers EPERM, and paths that try every matching driver
 * (drivers_probe, hotplug, driver_attach) go on as after any failed probe,
 * leaving the device unbound.
 *
 * A bind without a probe passes device_bind_driver() (exported, same file)
 * instead, with dev->driver already set by its caller: above all
 * usb_driver_claim_interface(), by which usbfs (USBDEVFS_CLAIMINTERFACE,
 * USBDEVFS_DISCONNECT_CLAIM, or the first URB on an unclaimed interface)
 * takes a USB mass-storage interface from usb-storage and lets root speak
 * Bulk-Only Transport to the medium, past every block-layer check. An
 * interface claimed before it was registered is bound later by
 * device_add() through __device_attach(), which calls device_bind_driver()
 * too. So it is hooked as well: a refused bind runs
 * fwguard_refuse_bind_driver(), which returns -EPERM as a failed
 * driver_sysfs_add() would, before anything was linked; its callers then
 * clear dev->driver themselves (usbfs's ioctl fails with EPERM). Other
 * callers (PHY drivers attaching genphy, a few bus drivers) are refused
 * only for a recorded device and another driver, as a probe would be.
 *
 * Locking: the records of each protected disk are one array published with
 * RCU; they are built and replaced under fwguard_policy_lock (disk.c holds
 * it; the old array is freed after synchronize_rcu()), and read by the
 * ftrace callbacks, which run with preemption disabled and must not sleep,
 * under rcu_read_lock(). kobject names of the device being bound and of
 * its parents are stable there: the driver core (or, for a USB interface,
 * the USB core under the USB device's lock) holds the device and a
 * reference to each parent.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/ftrace.h>
#include <linux/kobject.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fwguard.h"

#define FWGUARD_BIND_NAME_LEN	64	/* bus and driver names, copied */

/**
 * struct fwguard_bind_rec - a device a protected disk's I/O passes through
 * @path: sysfs path of the device's kobject, or of its parent's when
 *	@any_child
 * @any_child: the device is known by its parent (index-named virtio device)
 * @bus: name of its bus
 * @driver: the only driver that may bind to it
 */
struct fwguard_bind_rec {
	char *path;
	bool any_child;
	char bus[FWGUARD_BIND_NAME_LEN];
	char driver[FWGUARD_BIND_NAME_LEN];
};

struct fwguard_bind_set {
	unsigned int nr;
	struct fwguard_bind_rec rec[];
};

/* One set per protected disk, indexed like disk.c's fwguard_disks[]. */
static struct fwguard_bind_set __rcu *fwguard_bind_sets[FWGUARD_MAX_DISKS];

static void fwguard_bind_set_free(struct fwguard_bind_set *s)
{
	unsigned int i;

	if (!s)
		return;
	for (i = 0; i < s->nr; i++)
		kfree(s->rec[i].path);
	kfree(s);
}

/* A device in a disk's chain that a driver other than its own could take. */
static bool fwguard_bind_guarded(const struct device *d)
{
	return d->bus && d->driver;
}

/* Record @d and its driver; 0, -ENOMEM, or -ENAMETOOLONG for a name too long to keep. */
static int fwguard_bind_rec_fill(struct fwguard_bind_rec *rec, struct device *d)
{
	const struct device_driver *drv = READ_ONCE(d->driver);

	rec->any_child = !strcmp(d->bus->name, "virtio") && d->parent;
	rec->path = kobject_get_path(rec->any_child ? &d->parent->kobj : &d->kobj,
				     GFP_KERNEL);
	if (!rec->path || !drv)
		return -ENOMEM;
	if (strscpy(rec->bus, d->bus->name, sizeof(rec->bus)) < 0 ||
	    strscpy(rec->driver, drv->name, sizeof(rec->driver)) < 0)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * The devices whose chains a protected disk's I/O takes: its parent, and
 * for an NVMe multipath head each PCIe controller of its subsystem, with a
 * path or not (mpath.c): a controller without one still takes Sanitize
 * for the whole subsystem, and bound to vfio-pci would take it from
 * userspace. A subsystem with more controllers than this cannot be
 * protected.
 */
#define FWGUARD_BIND_TOPS	9

struct fwguard_bind_tops {
	unsigned int nr;
	struct device *dev[FWGUARD_BIND_TOPS];
};

static int fwguard_bind_add_top(struct device *ctrl, void *data)
{
	struct fwguard_bind_tops *t = data;

	if (t->nr == FWGUARD_BIND_TOPS)
		return -ENOSPC;
	t->dev[t->nr++] = get_device(ctrl);
	return 0;
}

static int fwguard_bind_fill(struct fwguard_bind_set *s, unsigned int n,
			     const struct fwguard_bind_tops *t)
{
	struct device *d;
	unsigned int i;
	int err = 0;

	/* A device bound since the count is left for the next record. */
	for (i = 0; i < t->nr; i++)
		for (d = t->dev[i]; d && !err && s->nr < n; d = d->parent)
			if (fwguard_bind_guarded(d))
				err = fwguard_bind_rec_fill(&s->rec[s->nr++], d);
	return err;
}

/* Is @r already in @s (same place, bus and driver)? */
static bool fwguard_bind_set_has(const struct fwguard_bind_set *s,
				 const struct fwguard_bind_rec *r)
{
	unsigned int i;

	for (i = 0; s && i < s->nr; i++)
		if (s->rec[i].any_child == r->any_child && !strcmp(s->rec[i].path, r->path) &&
		    !strcmp(s->rec[i].bus, r->bus) && !strcmp(s->rec[i].driver, r->driver))
			return true;
	return false;
}


/*
 * A new set with the records of @a, then those of @b that @a does not have
 * (copies); NULL without memory.
 */
static struct fwguard_bind_set *fwguard_bind_set_merge(const struct fwguard_bind_set *a,
						       const struct fwguard_bind_set *b)
{
	const struct fwguard_bind_set *from[2] = { a, b };
	struct fwguard_bind_set *s;
	unsigned int i, j;

	s = kzalloc(struct_size(s, rec, (a ? a->nr : 0) + (b ? b->nr : 0)), GFP_KERNEL);
	if (!s)
		return NULL;
	for (i = 0; i < 2; i++) {
		for (j = 0; from[i] && j < from[i]->nr; j++) {
			const struct fwguard_bind_rec *r = &from[i]->rec[j];

			if (i && fwguard_bind_set_has(a, r))
				continue;
			s->rec[s->nr] = *r;
			s->rec[s->nr].path = kstrdup(r->path, GFP_KERNEL);
			if (!s->rec[s->nr++].path) {
				fwguard_bind_set_free(s);
				return NULL;
			}
		}
	}
	return s;
}

/**
 * fwguard_bind_record() - record the drivers of a protected disk's chain
 * @slot: index of the protected disk
 * @disk: the disk, added (its parents bound to their drivers)
 *
 * Called with fwguard_policy_lock held (may sleep), when a disk gets its
 * first range and when a disk at its place is claimed again. Replaces what
 * @slot recorded before; on failure that stays. For an NVMe multipath
 * head, the chains of the PCIe controllers of its subsystem are recorded
 * too, and
 * what @slot recorded before stays (a controller without a path now may
 * come back).
 *
 * Return: 0, -ENOMEM, -ENOSPC for a head with too many controllers, or
 * -ENAMETOOLONG when a bus or driver name is longer than the record keeps
 * (63 bytes).
 */
int fwguard_bind_record(unsigned int slot, struct gendisk *disk)
{
	struct fwguard_bind_tops t = { .nr = 1, .dev = { get_device(disk_to_dev(disk)->parent) } };
	struct fwguard_bind_set *s = NULL, *old;
	unsigned int i, n = 0;
	struct device *d;
	int err = 0;

	if (fwguard_nvme_head(disk))
		err = fwguard_nvme_for_each_ctrl(disk_to_dev(disk)->parent,
						 fwguard_bind_add_top, &t);
	for (i = 0; i < t.nr && !err; i++)
		for (d = t.dev[i]; d; d = d->parent)
			n += fwguard_bind_guarded(d);
	if (!err) {
		s = kzalloc(struct_size(s, rec, n), GFP_KERNEL);
		err = s ? fwguard_bind_fill(s, n, &t) : -ENOMEM;
	}
	for (i = 0; i < t.nr; i++)
		put_device(t.dev[i]);
	if (err) {
		fwguard_bind_set_free(s);
		return err;
	}
	old = rcu_dereference_protected(fwguard_bind_sets[slot],
					lockdep_is_held(&fwguard_policy_lock));
	if (old && fwguard_nvme_head(disk)) {
		/*
		 * A head re-added sees only the paths present now: a
		 * controller unbound meanwhile keeps its record.
		 */
		struct fwguard_bind_set *m = fwguard_bind_set_merge(s, old);

		fwguard_bind_set_free(s);
		if (!m)
			return -ENOMEM;
		s = m;
	}
	rcu_assign_pointer(fwguard_bind_sets[slot], s);
	if (old) {
		/* Rare (a protect, a rebind): wait for the callback, then free. */
		synchronize_rcu();
		fwguard_bind_set_free(old);
	}
	return 0;
}

/**
 * fwguard_bind_add_chain() - also record the chain above @top for @slot
 * @slot: index of the protected disk
 * @top: a device the protected disk's I/O passes through from now on: the
 *	controller of a path that joins an NVMe multipath head
 *
 * Called with fwguard_policy_lock held (may sleep), when a path disk of a
 * protected head is added: a controller that was not in the subsystem when
 * the range was protected (hot-plugged, rescanned at another place, a
 * fabrics controller connected later) is not in the record, and its driver
 * would be free to leave for vfio-pci. What @slot recorded stays; the
 * devices of @top's chain are added to it (each once).
 *
 * Return: 0, -ENOMEM or -ENAMETOOLONG (as fwguard_bind_record()); on
 * failure the record is unchanged.
 */
int fwguard_bind_add_chain(unsigned int slot, struct device *top)
{
	struct fwguard_bind_set *old, *s;
	struct fwguard_bind_rec rec;
	unsigned int i, n = 0;
	struct device *d;
	int err = 0;

	old = rcu_dereference_protected(fwguard_bind_sets[slot],
					lockdep_is_held(&fwguard_policy_lock));
	for (d = top; d; d = d->parent)
		n += fwguard_bind_guarded(d);
	if (!n)
		return 0;
	s = kzalloc(struct_size(s, rec, (old ? old->nr : 0) + n), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	for (i = 0; old && i < old->nr && !err; i++) {
		s->rec[s->nr] = old->rec[i];
		s->rec[s->nr].path = kstrdup(old->rec[i].path, GFP_KERNEL);
		err = s->rec[s->nr++].path ? 0 : -ENOMEM;
	}
	for (d = top; d && !err; d = d->parent) {
		if (!fwguard_bind_guarded(d))
			continue;
		memset(&rec, 0, sizeof(rec));
		err = fwguard_bind_rec_fill(&rec, d);
		if (!err && !fwguard_bind_set_has(s, &rec) &&
		    s->nr < (old ? old->nr : 0) + n) {
			pr_info("%s: %s %s recorded for the protected namespace\n",
				rec.path, rec.bus, rec.driver);
			s->rec[s->nr++] = rec;
		} else {
			kfree(rec.path);
		}
	}
	if (err) {
		fwguard_bind_set_free(s);
		return err;
	}
	rcu_assign_pointer(fwguard_bind_sets[slot], s);
	if (old) {
		synchronize_rcu();
		fwguard_bind_set_free(old);
	}
	return 0;
}

/* Is @k the kobject at sysfs @path? Compared name by name, from the leaf up. */
static bool notrace fwguard_kobj_at(const struct kobject *k, const char *path)
{
	size_t len = strlen(path);

	for (; k; k = k->parent) {
		const char *name = kobject_name(k);
		size_t n = name ? strlen(name) : 0;

		if (!n || n + 1 > len || path[len - n - 1] != '/' ||
		    memcmp(path + len - n, name, n))
			return false;
		len -= n + 1;
	}
	return !len;
}

static bool notrace fwguard_bind_rec_covers(const struct fwguard_bind_rec *rec,
					    const struct device *dev)
{
	if (!rec->any_child)
		return fwguard_kobj_at(&dev->kobj, rec->path);
	return dev->parent && !strcmp(dev->bus->name, rec->bus) &&
	       fwguard_kobj_at(&dev->parent->kobj, rec->path);
}

/*
 * The driver recorded for @dev that @drv is not, copied to @want; false
 * when @dev is not recorded or @drv is its driver. Called in the ftrace
 * callback (preemption disabled) and from the refusal.
 */
static bool notrace fwguard_bind_mismatch(const struct device *dev,
					  const struct device_driver *drv,
					  char *want, size_t size)
{
	const struct fwguard_bind_set *s;
	unsigned int i, j;
	bool refused = false;

	rcu_read_lock();
	for (i = 0; i < FWGUARD_MAX_DISKS && !refused; i++) {
		s = rcu_dereference(fwguard_bind_sets[i]);
		for (j = 0; s && j < s->nr && !refused; j++) {
			const struct fwguard_bind_rec *rec = &s->rec[j];

			if (!fwguard_bind_rec_covers(rec, dev) ||
			    (!strcmp(drv->name, rec->driver) &&
			     !strcmp(drv->bus->name, rec->bus)))
				continue;
			refused = true;
			if (want)
				strscpy(want, rec->driver, size);
		}
	}
	rcu_read_unlock();
	return refused;
}

/* Is @dev itself (not a child known by its parent) a recorded device? */
static bool fwguard_bind_recorded(const struct device *dev)
{
	const struct fwguard_bind_set *s;
	unsigned int i, j;
	bool found = false;

	rcu_read_lock();
	for (i = 0; i < FWGUARD_MAX_DISKS && !found; i++) {
		s = rcu_dereference(fwguard_bind_sets[i]);
		for (j = 0; s && j < s->nr && !found; j++)
			found = !s->rec[j].any_child &&
				!strcmp(dev->bus->name, s->rec[j].bus) &&
				fwguard_kobj_at(&dev->kobj, s->rec[j].path);
	}
	rcu_read_unlock();
	return found;
}

static int fwguard_bind_child_holds(struct device *child, void *data)
{
	return dev_get_drvdata(child) == data;
}

/* A recorded PCI function that holds @data, or a device right under it does. */
static int fwguard_bind_holds(struct device *dev, const void *data)
{
	if (!fwguard_bind_recorded(dev))
		return 0;
	return dev_get_drvdata(dev) == data ||
	       device_for_each_child(dev, (void *)data, fwguard_bind_child_holds);
}

/**
 * fwguard_bind_owner() - the recorded PCI function a driver's object belongs to
 * @data: a driver's object, e.g. the driver_data of a tag set being made
 *
 * A controller's driver hangs its state on the devices it binds or adds:
 * nvme (pci) on the PCI function (6.1: the tag sets point at that) and
 * on the controller device it adds right under it (6.12: they point at
 * that). So an object that is the driver data of a recorded PCI function,
 * or of a device right under one, belongs to a controller at the place of
 * a protected disk's, whether or not a disk of it exists yet. Process
 * context (may sleep); only compares pointers.
 *
 * Return: the PCI function with a reference held (put_device() it), or
 * NULL.
 */
struct device *fwguard_bind_owner(const void *data)
{
	if (!data || !fwguard_range_count())
		return NULL;
	return bus_find_device(&pci_bus_type, NULL, data, fwguard_bind_holds);
}

static void fwguard_audit_bind(const struct device *dev,
			       const struct device_driver *drv, const char *want)
{
	struct audit_buffer *ab;

	ab = audit_log_start(audit_context(), GFP_KERNEL, AUDIT_KERNEL_OTHER);
	if (!ab)
		return;
	audit_log_format(ab, "op=fwguard_refuse reason=driver-bind bus=%s dev=%s driver=%s recorded=%s",
			 dev->bus->name, dev_name(dev), drv->name, want);
	audit_log_task_info(ab);
	audit_log_end(ab);
}

/* Count, log and audit a refused bind of @dev to @drv. Process context. */
static void fwguard_report_bind(struct device *dev,
				const struct device_driver *drv)
{
	char want[FWGUARD_BIND_NAME_LEN] = "?";

	atomic64_inc(&fwguard_stats.refused_binds);
	fwguard_bind_mismatch(dev, drv, want, sizeof(want));
	pr_warn_ratelimited("refused binding %s %s to driver %s: a protected disk's I/O passes through it (recorded driver %s) pid %d comm %s\n",
			    dev->bus->name, dev_name(dev), drv->name, want,
			    task_pid_nr(current), current->comm);
	fwguard_audit_bind(dev, drv, want);
}

/*
 * Runs instead of really_probe() for a refused bind, in its context (the
 * device locked, may sleep). Nothing of the driver ran and dev->driver was
 * never set, so there is nothing to undo. The positive errno is how
 * really_probe() reports a driver's failed probe to its callers.
 */
static int fwguard_refuse_probe(struct device *dev,
				const struct device_driver *drv)
{
	fwguard_report_bind(dev, drv);
	return EPERM;
}

/* ftrace callback on really_probe(dev, drv); see the comment at the top. */
void notrace fwguard_probe_hook(unsigned long ip, unsigned long parent_ip,
				struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	if (fwguard_range_count() &&
	    fwguard_bind_mismatch((struct device *)fwguard_hook_arg(fregs, 0),
				  (struct device_driver *)fwguard_hook_arg(fregs, 1),
				  NULL, 0))
		fwguard_hook_redirect(fregs, fwguard_refuse_probe);
}

/*
 * Runs instead of device_bind_driver() for a refused bind, in its caller's
 * context (may sleep). Nothing was linked in sysfs and no notifier ran;
 * the caller set dev->driver and clears it again on the negative errno.
 */
static int fwguard_refuse_bind_driver(struct device *dev)
{
	const struct device_driver *drv = READ_ONCE(dev->driver);

	if (drv)
		fwguard_report_bind(dev, drv);
	return -EPERM;
}

/*
 * ftrace callback on device_bind_driver(dev), the driver already in
 * dev->driver; see the comment at the top. Without a driver there is
 * nothing to bind, and nothing to refuse.
 */
void notrace fwguard_bind_driver_hook(unsigned long ip, unsigned long parent_ip,
				      struct ftrace_ops *ops,
				      struct ftrace_regs *fregs)
{
	struct device *dev = (struct device *)fwguard_hook_arg(fregs, 0);
	const struct device_driver *drv;

	if (!fwguard_range_count())
		return;
	drv = READ_ONCE(dev->driver);
	if (drv && fwguard_bind_mismatch(dev, drv, NULL, 0))
		fwguard_hook_redirect(fregs, fwguard_refuse_bind_driver);
}

/**
 * fwguard_bind_show() - the recorded devices, one "bind" line each
 * @buf: output
 * @size: its size
 *
 * Called with fwguard_policy_lock held.
 *
 * Return: bytes written.
 */
ssize_t fwguard_bind_show(char *buf, size_t size)
{
	const struct fwguard_bind_set *s;
	ssize_t len = 0;
	unsigned int i, j;

	for (i = 0; i < FWGUARD_MAX_DISKS; i++) {
		s = rcu_dereference_protected(fwguard_bind_sets[i],
					      lockdep_is_held(&fwguard_policy_lock));
		for (j = 0; s && j < s->nr; j++)
			len += scnprintf(buf + len, size - len, "bind %s%s %s %s\n",
					 s->rec[j].path,
					 s->rec[j].any_child ? "/*" : "",
					 s->rec[j].bus, s->rec[j].driver);
	}
	return len;
}

/**
 * fwguard_bind_exit() - free the records at module unload
 *
 * The hooks are detached by then.
 */
void fwguard_bind_exit(void)
{
	unsigned int i;

	synchronize_rcu();
	for (i = 0; i < FWGUARD_MAX_DISKS; i++)
		fwguard_bind_set_free(rcu_dereference_protected(fwguard_bind_sets[i], 1));
}
