/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fwguard internals shared between the module's files: lifetime and the
 * control device (main.c), the protected-range table and the ticket
 * freshness state (policy.c), the enforcement hooks (hook.c), the lock-in
 * of forced unload and kexec (lockin.c), the keyring (keyring.c), update
 * sessions (session.c) and the user ABI (uapi.c). Each declaration sits
 * under the file that defines it.
 */
#ifndef FWGUARD_H
#define FWGUARD_H

#include <linux/atomic.h>
#include <linux/blkdev.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/fwguard.h>

#include "compat.h"
#include "ticket.h"

struct bio;
struct fwguard_session;

/**
 * struct fwguard_range - one protected partition
 * @disk: whole disk holding the range; valid while @part (or @adopted) is
 *	held open. Replaced, never cleared, when the disk is deleted and comes
 *	back (driver unbind/bind, rescan): see fwguard_policy_claim_disk().
 * @start: first sector, absolute on @disk
 * @nr_sectors: length in sectors
 * @part_dev: device number the partition had when the range was added
 * @part: the partition, held open for reading so that @disk stays valid and
 *	the partition cannot be deleted from under us
 * @component: component name tickets for this range must carry
 * @name: kernel name of the partition ("vda1") for logs and status
 * @active: the running slot; never a session target. Only ever set.
 * @session: open session on this range, under fwguard_policy_lock
 * @parent_path: sysfs path of the disk's parent device, which survives a
 *	driver unbind/bind or a bus rescan when the gendisk does not
 * @capacity: disk size in sectors when the range was added
 * @adopted: the re-appeared disk, held open for reading
 * @lost: while a re-appearing disk is being added, the deleted disk the
 *	range pointed to before, under fwguard_policy_lock
 *
 * Every field but @active and @session is immutable once the range is
 * published, so the bio hook reads ranges without taking a lock.
 */
struct fwguard_range {
	struct gendisk *disk;
	sector_t start;
	sector_t nr_sectors;
	dev_t part_dev;
	struct fwguard_bdev part;
	char component[FWGUARD_COMPONENT_LEN];
	char name[BDEVNAME_SIZE];
	bool active;
	struct fwguard_session *session;
	char *parent_path;
	sector_t capacity;
	struct fwguard_bdev adopted;
	struct gendisk *lost;
};

/* Why a write was refused; indexes fwguard_refusal_reason[]. */
enum fwguard_refusal {
	FWGUARD_REFUSE_BIO,
	FWGUARD_REFUSE_OPEN,
	FWGUARD_REFUSE_WRITE,
};

struct fwguard_stats {
	atomic64_t refused_bios;
	atomic64_t refused_opens;
	atomic64_t refused_writes;
	atomic64_t refused_ioctls;
	atomic64_t session_bios;
	atomic64_t sessions_committed;
	atomic64_t sessions_failed;
};

/* policy.c */
extern struct mutex fwguard_policy_lock;
unsigned int fwguard_range_count(void);
struct fwguard_range *fwguard_range_get(unsigned int i);
struct fwguard_range *fwguard_range_overlapping(const struct gendisk *disk,
						sector_t start, sector_t nr);
struct fwguard_range *fwguard_range_by_dev(dev_t dev);
bool fwguard_policy_locked(void);
int fwguard_policy_protect(const struct fwguard_protect *p);
int fwguard_policy_set(const struct fwguard_policy *p);
int fwguard_policy_from_params(const char *protect, const char *device_class,
			       const char *serial, u64 floor);
int fwguard_policy_check_identity(const struct fwguard_ticket *t);
int fwguard_policy_check_version(const struct fwguard_ticket *t);
int fwguard_policy_consume(const struct fwguard_ticket *t);
void fwguard_policy_record_commit(const struct fwguard_ticket *t);
void fwguard_policy_exit(void);
void fwguard_policy_claim_disk(struct device *parent, struct gendisk *disk);
void fwguard_policy_settle_disk(struct gendisk *disk, bool added);
ssize_t fwguard_policy_show(char *buf, size_t size);

/* hook.c */
extern struct fwguard_stats fwguard_stats;
int fwguard_hooks_init(void);
void fwguard_hooks_exit(void);
extern void *const fwguard_session_holder;

/* keyring.c */
extern struct key *fwguard_keyring;
int fwguard_keyring_init(const char *mode);
void fwguard_keyring_exit(void);
bool fwguard_keyring_ready(void);
const char *fwguard_keyring_mode(void);

/* lockin.c */
int fwguard_lockin_init(void);
void fwguard_lockin_exit(void);
int fwguard_lockin_engage(void);
ssize_t fwguard_lockin_show(char *buf);

/* session.c */
long fwguard_session_begin(const void __user *arg);
void fwguard_session_bio_end(struct bio *bio);

/* uapi.c */
int fwguard_copy_arg(void *dst, size_t ksize, const void __user *uarg);

#endif /* FWGUARD_H */
