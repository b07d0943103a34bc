// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard policy: the lock state, the device identity, the security version
 * floor and the set of consumed tickets (the protected ranges live in
 * range.c). The policy only ever gets stricter within a boot: ranges are
 * added, never removed; a slot can become active, never inactive again; the
 * floor only rises; the identity is set once. The first protected range
 * locks the policy and pins the module, so nothing short of a reboot undoes
 * it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/ctype.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fwguard.h"

DEFINE_MUTEX(fwguard_policy_lock);

/* Everything below is under fwguard_policy_lock. */
static bool fwguard_locked;
static u64 fwguard_floor;
static u64 fwguard_committed_version;
/*
 * The TPM floor (tpm_floor.c): the highest value the counter read this
 * boot, and the outcome of the last read. A counter never goes down, so
 * the highest value read stays a floor even when a later read fails.
 */
static u64 fwguard_tpm_floor_max;
static u64 fwguard_tpm_floor_last;
static int fwguard_tpm_floor_err = -ENODATA;
static const char *fwguard_tpm_floor_why = "not read yet";
static char fwguard_device_class[FWGUARD_IDENTITY_LEN];
static char fwguard_serial[FWGUARD_IDENTITY_LEN];
static LIST_HEAD(fwguard_consumed);

/*
 * A ticket consumed in this boot. @range is set when its session wrote the
 * image whole (COMMIT returned 0), with what the session measured; ranges
 * are never freed while the policy holds them, so the pointer stays valid.
 */
struct fwguard_consumed_id {
	struct list_head node;
	u8 id[FWGUARD_TICKET_ID_LEN];
	const struct fwguard_range *range;
	u64 written;
	u8 digest[FWGUARD_DIGEST_LEN];
	u64 security_version;
};

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

/**
 * fwguard_policy_lock_in() - lock the policy and pin the module until reboot
 *
 * Called with fwguard_policy_lock held when the first range is published.
 */
void fwguard_policy_lock_in(void)
{
	if (fwguard_locked)
		return;
	/* Pinned until reboot: rmmod would drop every protection at once. */
	__module_get(THIS_MODULE);
	WRITE_ONCE(fwguard_locked, true);
	pr_info("policy locked until reboot\n");
}

/*
 * One field of the identity. An empty @val does not name the field. The
 * identity is one pair, set once: the first request that names a device
 * class (@fixed false until then) fixes the serial with it, an empty
 * serial then meaning "this device has no serial"; afterwards any other
 * value of either field is refused.
 */
static int fwguard_identity_set(char *cur, const char *val, size_t size,
				bool fixed)
{
	if (!val[0] || !strcmp(cur, val))
		return 0;
	if (cur[0] || fixed)
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
 * With FWGUARD_POLICY_LOCK the policy is locked as well.
 *
 * Return: 0; -EINVAL for unknown flags or malformed strings; -ESTALE when the floor
 * would go down; -EPERM when the request names a device class or serial
 * other than the one set (a serial counts as set, empty or not, once a
 * device class is).
 */
int fwguard_policy_set(const struct fwguard_policy *p)
{
	char dc[FWGUARD_IDENTITY_LEN], sn[FWGUARD_IDENTITY_LEN];
	bool fixed;
	int err;

	if (p->flags & ~FWGUARD_POLICY_LOCK)
		return -EINVAL;
	mutex_lock(&fwguard_policy_lock);
	memcpy(dc, fwguard_device_class, sizeof(dc));
	memcpy(sn, fwguard_serial, sizeof(sn));
	/* A device class, once known, fixes the serial as well. */
	fixed = fwguard_device_class[0];
	if (!fwguard_name_valid(p->device_class, sizeof(dc), true) ||
	    !fwguard_name_valid(p->serial, sizeof(sn), true))
		err = -EINVAL;
	else
		err = fwguard_identity_set(dc, p->device_class, sizeof(dc), fixed) ?:
		      fwguard_identity_set(sn, p->serial, sizeof(sn), fixed);
	if (!err && p->floor < fwguard_floor)
		err = -ESTALE;
	if (!err) {
		memcpy(fwguard_device_class, dc, sizeof(dc));
		memcpy(fwguard_serial, sn, sizeof(sn));
		fwguard_floor = p->floor;
		if (p->flags & FWGUARD_POLICY_LOCK)
			fwguard_policy_lock_in();
	}
	mutex_unlock(&fwguard_policy_lock);
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
	int err;

	if ((device_class && strscpy(pol.device_class, device_class,
				     sizeof(pol.device_class)) < 0) ||
	    (serial && strscpy(pol.serial, serial, sizeof(pol.serial)) < 0))
		return -EINVAL;
	err = fwguard_policy_set(&pol);
	if (err || !protect || !*protect)
		return err;
	return fwguard_range_protect_param(protect);
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

static struct fwguard_consumed_id *fwguard_consumed_find_locked(const u8 *id)
{
	struct fwguard_consumed_id *c;

	list_for_each_entry(c, &fwguard_consumed, node)
		if (!memcmp(c->id, id, FWGUARD_TICKET_ID_LEN))
			return c;
	return NULL;
}

static bool fwguard_consumed_locked(const u8 *id)
{
	return fwguard_consumed_find_locked(id) != NULL;
}

/* The floor a ticket is judged against: the module's own and the TPM's. */
static u64 fwguard_floor_effective_locked(void)
{
	return max(fwguard_floor, fwguard_tpm_floor_max);
}

static bool fwguard_ticket_stale_locked(const struct fwguard_ticket *t)
{
	return t->security_version < fwguard_floor_effective_locked() ||
	       t->security_version < fwguard_committed_version;
}

/* Read the TPM counter (outside the policy lock: it sleeps on the chip) and record it. */
static int fwguard_tpm_floor_update(u64 *value, const char **why)
{
	int err = fwguard_tpm_floor_read(value, why);

	mutex_lock(&fwguard_policy_lock);
	fwguard_tpm_floor_err = err;
	fwguard_tpm_floor_why = err ? *why : NULL;
	if (!err) {
		fwguard_tpm_floor_last = *value;
		fwguard_tpm_floor_max = max(fwguard_tpm_floor_max, *value);
	}
	mutex_unlock(&fwguard_policy_lock);
	return err;
}

/**
 * fwguard_policy_floor_refresh() - read the TPM floor for a decision
 * @required: production=1: no decision without the TPM floor
 * @v: the floors to decide with, written on success
 *
 * Read at every BEGIN, COMMIT and RETIRE, not cached: a raise by
 * mark-good (NV_Increment from userspace) counts from the next call, and
 * an index that was undefined or replaced is noticed at the first one.
 * BEGIN is rare and the read is two commands.
 *
 * Return: 0; -ENOLINK when @required and the counter cannot be read or is
 * not a written counter (with a rate-limited notice naming the reason).
 */
int fwguard_policy_floor_refresh(bool required, struct fwguard_floor_view *v)
{
	const char *why = NULL;
	u64 tpm = 0;
	int err;

	err = fwguard_tpm_floor_update(&tpm, &why);
	if (err && required) {
		pr_notice_ratelimited("TPM version floor unavailable: %s (%d); production=1 refuses BEGIN, COMMIT and RETIRE\n",
				      why, err);
		return -ENOLINK;
	}
	if (err)
		pr_notice_ratelimited("TPM version floor unavailable: %s (%d); production=0: the module's own floor applies\n",
				      why, err);
	mutex_lock(&fwguard_policy_lock);
	v->effective = fwguard_floor_effective_locked();
	v->confirmed = err ? fwguard_floor : tpm;
	mutex_unlock(&fwguard_policy_lock);
	return 0;
}

/**
 * fwguard_policy_check_version() - freshness of a ticket
 * @t: parsed ticket
 *
 * The floor is the effective one: the module's own or the highest TPM
 * floor read this boot (fwguard_policy_floor_refresh() reads it first).
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
 * fwguard_policy_record_commit() - remember a committed ticket
 * @t: the ticket just committed (consumed by fwguard_policy_consume())
 * @r: the slot its session wrote
 * @written: image bytes written
 * @digest: their SHA-256, as the session measured it
 *
 * Older tickets are refused for the rest of the boot either way; with
 * FWGUARD_TICKET_F_RAISE_FLOOR the floor itself moves up too, so that the
 * status shows what userspace is about to write into the TPM counter. The
 * slot, length and digest are what FWGUARD_IOC_COMMITTED reports.
 */
void fwguard_policy_record_commit(const struct fwguard_ticket *t,
				  const struct fwguard_range *r, u64 written,
				  const u8 *digest)
{
	struct fwguard_consumed_id *c;

	mutex_lock(&fwguard_policy_lock);
	c = fwguard_consumed_find_locked(t->id);
	if (c) {
		c->range = r;
		c->written = written;
		memcpy(c->digest, digest, sizeof(c->digest));
		c->security_version = t->security_version;
	}
	fwguard_committed_version = max(fwguard_committed_version, t->security_version);
	if (t->flags & FWGUARD_TICKET_F_RAISE_FLOOR)
		fwguard_floor = max(fwguard_floor, t->security_version);
	mutex_unlock(&fwguard_policy_lock);
}

/**
 * fwguard_policy_committed() - FWGUARD_IOC_COMMITTED: what a ticket wrote
 * @q: request, already copied from userspace; the out fields are filled
 *
 * Read-only: a consumed ticket stays consumed, nothing else changes.
 *
 * Return: 0; -ENOENT when no session committed the ticket in this boot
 * (never consumed, or consumed by a COMMIT that failed).
 */
int fwguard_policy_committed(struct fwguard_committed *q)
{
	struct fwguard_consumed_id *c;
	int err = -ENOENT;

	mutex_lock(&fwguard_policy_lock);
	c = fwguard_consumed_find_locked(q->ticket_id);
	if (c && c->range) {
		q->dev_major = MAJOR(c->range->part_dev);
		q->dev_minor = MINOR(c->range->part_dev);
		q->written = c->written;
		memcpy(q->digest, c->digest, sizeof(q->digest));
		q->security_version = c->security_version;
		err = 0;
	}
	mutex_unlock(&fwguard_policy_lock);
	return err;
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
	const char *why = NULL;
	ssize_t len;
	u64 tpm;

	/* Read now, so that the status says what the next BEGIN would see. */
	fwguard_tpm_floor_update(&tpm, &why);
	mutex_lock(&fwguard_policy_lock);
	len = scnprintf(buf, size,
			"locked %d\nfloor %llu\ncommitted_version %llu\ndevice_class %s\nserial %s\n",
			fwguard_locked, fwguard_floor, fwguard_committed_version,
			fwguard_device_class, fwguard_serial);
	if (!fwguard_tpm_floor_err)
		len += scnprintf(buf + len, size - len,
				 "tpm_floor %llu source tpm counter 0x01004657\n",
				 fwguard_tpm_floor_last);
	else
		len += scnprintf(buf + len, size - len,
				 "tpm_floor none source none (%s, %d)\n",
				 fwguard_tpm_floor_why, fwguard_tpm_floor_err);
	len += scnprintf(buf + len, size - len,
			 "tpm_floor_highest %llu\neffective_floor %llu\ntpm_floor_required %d\n",
			 fwguard_tpm_floor_max, fwguard_floor_effective_locked(),
			 fwguard_session_production());
	len += fwguard_ranges_show(buf + len, size - len);
	len += fwguard_bind_show(buf + len, size - len);
	mutex_unlock(&fwguard_policy_lock);
	return len;
}

/**
 * fwguard_policy_exit() - release what the policy holds at module unload
 *
 * Only reachable when no range was ever protected (the module is pinned
 * otherwise), so only the consumed-ticket list can hold memory (and the
 * partitions a failed protect= load left open).
 */
void fwguard_policy_exit(void)
{
	struct fwguard_consumed_id *c, *next;

	fwguard_ranges_exit();
	list_for_each_entry_safe(c, next, &fwguard_consumed, node)
		kfree(c);
}
