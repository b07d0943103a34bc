/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fwguard internals shared between the module's files: lifetime and the
 * control device (main.c), the protected-range table (range.c), the
 * module's own GPT reader (gpt.c), re-appearing disks (disk.c), the policy
 * lock, identity, floor and consumed tickets (policy.c), the entry-point
 * hooks (hook.c), the request gate (gate.c) and its passthrough allowlists
 * (passthru.c), the paths of NVMe multipath heads (mpath.c), the
 * driver-bind guard and its hooks on really_probe() and
 * device_bind_driver() (bind.c), the lock-in of forced unload and kexec
 * (lockin.c), the keyring (keyring.c), update sessions (session.c), the
 * user ABI (uapi.c), the rules of the module parameters (param.c) and the
 * TPM floor counter as the module reads it (tpm_floor.c).
 * Each declaration sits under the file that defines it.
 */
#ifndef FWGUARD_H
#define FWGUARD_H

#include <linux/atomic.h>
#include <linux/blkdev.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/uuid.h>
#include <linux/fwguard.h>

#include "compat.h"
#include "ticket.h"

struct bio;
struct fwguard_session;

#define FWGUARD_GPT_NAME_LEN	36	/* UTF-16 code units in a GPT entry name */
#define FWGUARD_MAX_DISKS	4	/* disks holding protected ranges */
/* Partitions, plus the two GPT areas of every disk that holds one. */
#define FWGUARD_RANGE_SLOTS	(FWGUARD_MAX_RANGES + 2 * FWGUARD_MAX_DISKS)

/**
 * struct fwguard_gpt - a disk's GPT as fwguard read and verified it (gpt.c)
 * @disk_guid: the disk GUID both headers carry
 * @sectors_per_lba: logical block size in 512-byte sectors
 * @nr_entries: entries in the (identical) entry arrays
 * @primary_sectors: the primary area, protective MBR to the end of the
 *	primary entry array, is sectors [0, @primary_sectors)
 * @backup_start: first sector of the backup entry array
 * @backup_sectors: backup entry array and backup header, to the disk's end
 * @entries: the entry array, kmalloc'ed
 */
struct fwguard_gpt {
	guid_t disk_guid;
	unsigned int sectors_per_lba;
	u32 nr_entries;
	sector_t primary_sectors;
	sector_t backup_start;
	sector_t backup_sectors;
	void *entries;
};

/**
 * struct fwguard_gpt_part - one GPT entry's identity
 * @index: entry number in the array
 * @start: first sector (512 bytes) on the disk
 * @nr_sectors: length in sectors
 * @guid: the entry's unique partition GUID (PARTUUID)
 * @name: its name as the kernel shows it (PARTNAME)
 */
struct fwguard_gpt_part {
	unsigned int index;
	sector_t start;
	sector_t nr_sectors;
	guid_t guid;
	char name[FWGUARD_GPT_NAME_LEN + 1];
};

/**
 * struct fwguard_place - where a disk sits, for telling the real disk from copies
 * @parent_path: sysfs path of its parent device
 * @hw_path: sysfs path of the PCI function above it, if any
 * @capacity: its size in sectors
 */
struct fwguard_place {
	char *parent_path;
	char *hw_path;
	sector_t capacity;
};

/**
 * struct fwguard_alias - one gendisk carrying a protected disk's identity
 * @next: next node; nodes are only ever added (at the head), and freed at
 *	module unload
 * @gd: the gendisk, until the node is reused; NULL for a free node. Read
 *	without a lock by the hooks.
 * @held: @gd held open for reading, so that its gendisk stays valid
 * @retired: while the node is being reused, the handle of the disk it held
 *	before; closed once the new disk is added
 * @prev: that disk, and
 * @prev_rank: its rank, to give the node back when the new disk's add fails
 * @rank: how well @gd matches the protected disk's place (disk.c)
 * @pending: @gd is inside device_add_disk()
 *
 * Everything but @gd and @next is under fwguard_policy_lock.
 */
struct fwguard_alias {
	struct fwguard_alias *next;
	struct gendisk *gd;
	struct fwguard_bdev held;
	struct fwguard_bdev retired;
	struct gendisk *prev;
	u8 prev_rank;
	u8 rank;
	bool pending;
};

/**
 * struct fwguard_path - a path disk of a protected NVMe multipath head
 * @next: the next path, or NULL
 * @gd: the hidden path disk, a reference on its device held; a node whose
 *	disk was deleted is reused for the next path
 */
struct fwguard_path {
	struct fwguard_path *next;
	struct gendisk *gd;
};

/**
 * struct fwguard_disk - a disk holding protected ranges, by its GPT identity
 * @aliases: every gendisk carrying this disk now, or until its node is
 *	reused: the one protected first, one that replaced it after a driver
 *	unbind/bind, any other disk that appeared with the same disk GUID or
 *	at the same place. No fixed limit (disk.c says why).
 * @nr_aliases: nodes in @aliases
 * @guid: the GPT disk GUID
 * @home: where the disk protected first sits: the identity of a disk
 *	whose GPT cannot be read when it re-appears, and the place that
 *	decides which alias sessions target
 * @paths: when an alias is an NVMe multipath head, its path disks, which
 *	carry its ranges too (mpath.c); published like @aliases
 *
 * Everything but @aliases and @paths is under fwguard_policy_lock.
 */
struct fwguard_disk {
	struct fwguard_alias *aliases;
	struct fwguard_path *paths;
	unsigned int nr_aliases;
	guid_t guid;
	struct fwguard_place home;
};

/**
 * struct fwguard_range - one protected partition or GPT area
 * @disk: the gendisk of @pd the range was protected on, or the one at its
 *	place that replaced it after it was deleted (driver unbind/bind,
 *	rescan: see disk.c), never a copy elsewhere; the session target.
 *	Valid while an alias of @pd holds it. The hooks must check @pd,
 *	which may carry further gendisks.
 * @pd: the protected disk, by GPT identity
 * @start: first sector, absolute on the disk
 * @nr_sectors: length in sectors
 * @part_dev: device number of the partition on @disk; 0 for a GPT area,
 *	and when a re-appeared disk has no partition with this extent
 * @part: the partition, held open for reading so that it cannot be deleted
 *	from under us; empty for a GPT area
 * @part_guid: the GPT entry's unique GUID (PARTUUID); null for a GPT area
 * @gpt_area: the range is a GPT header and entry array, not a slot
 * @component: component name tickets for this range must carry
 * @name: kernel name of the partition ("vda1") for logs and status
 * @active: the running slot; never a session target. Only ever set.
 * @written: a session committed an image into the range in this boot
 * @session: open session on this range, under fwguard_policy_lock
 * @lost: while a re-appearing disk is being added, the deleted disk @disk
 *	pointed to before, under fwguard_policy_lock
 *
 * @start, @nr_sectors, @pd, @part_guid, @gpt_area and @component are
 * immutable once the range is published, so the bio hook reads ranges
 * without taking a lock; @disk, @part_dev and @name change only under
 * fwguard_policy_lock, when a re-appeared disk takes over.
 */
struct fwguard_range {
	struct gendisk *disk;
	struct fwguard_disk *pd;
	sector_t start;
	sector_t nr_sectors;
	dev_t part_dev;
	struct fwguard_bdev part;
	guid_t part_guid;
	bool gpt_area;
	char component[FWGUARD_COMPONENT_LEN];
	char name[BDEVNAME_SIZE];
	bool active;
	bool written;
	struct fwguard_session *session;
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
	atomic64_t refused_requests;
	atomic64_t refused_passthrough;
	atomic64_t refused_binds;
	atomic64_t session_bios;
	atomic64_t sessions_committed;
	atomic64_t sessions_failed;
};

/* range.c */
unsigned int fwguard_range_count(void);
struct fwguard_range *fwguard_range_get(unsigned int i);
struct fwguard_range *fwguard_range_overlapping(const struct gendisk *disk,
						sector_t start, sector_t nr);
struct fwguard_range *fwguard_range_by_dev(dev_t dev);
bool fwguard_disk_holds_ranges(const struct gendisk *disk);
int fwguard_policy_protect(const struct fwguard_protect *p);
int fwguard_range_protect_param(const char *protect);
ssize_t fwguard_ranges_show(char *buf, size_t size);
unsigned int fwguard_range_handles(void);
void fwguard_ranges_exit(void);

/* gpt.c */
int fwguard_gpt_read(struct gendisk *disk, struct fwguard_gpt *g);
void fwguard_gpt_free(struct fwguard_gpt *g);
int fwguard_gpt_entry_at(const struct fwguard_gpt *g, sector_t start,
			 sector_t nr, struct fwguard_gpt_part *e);
int fwguard_gpt_entry_named(const struct fwguard_gpt *g, const char *name,
			    struct fwguard_gpt_part *e);
int fwguard_gpt_entry_unique(const struct fwguard_gpt *g,
			     const struct fwguard_gpt_part *e);

/* disk.c */
bool fwguard_disk_carries(const struct fwguard_disk *pd,
			  const struct gendisk *disk);
struct fwguard_disk *fwguard_disk_bind(struct gendisk *disk, const guid_t *guid,
				       struct fwguard_bdev *whole, bool *created);
unsigned int fwguard_disk_handles(void);
void fwguard_disks_exit(void);
unsigned int fwguard_disk_aliases(void);
struct device *fwguard_disk_subsys_owner(const void *data);
void fwguard_policy_rehome_late(void);
int fwguard_policy_claim_disk(struct device *parent, struct gendisk *disk);
void fwguard_policy_settle_disk(struct gendisk *disk, bool added);

/* policy.c */
extern struct mutex fwguard_policy_lock;
bool fwguard_policy_locked(void);
void fwguard_policy_lock_in(void);
int fwguard_policy_set(const struct fwguard_policy *p);
int fwguard_policy_from_params(const char *protect, const char *device_class,
			       const char *serial, u64 floor);
int fwguard_policy_check_identity(const struct fwguard_ticket *t);
int fwguard_policy_check_version(const struct fwguard_ticket *t);
int fwguard_policy_consume(const struct fwguard_ticket *t);
void fwguard_policy_record_commit(const struct fwguard_ticket *t,
				  const struct fwguard_range *r, u64 written,
				  const u8 *digest);
int fwguard_policy_committed(struct fwguard_committed *q);
/**
 * struct fwguard_floor_view - the floors one decision uses (policy.c)
 * @effective: the module's own floor or the highest TPM floor read this
 *	boot, whichever is higher: no ticket below it is accepted
 * @confirmed: the TPM floor just read, which only mark-good's
 *	NV_Increment moves; the module's own floor when the TPM floor could
 *	not be read (production=0 only). RETIRE needs its release here.
 */
struct fwguard_floor_view {
	u64 effective;
	u64 confirmed;
};
int fwguard_policy_floor_refresh(bool required, struct fwguard_floor_view *v);
void fwguard_policy_exit(void);
ssize_t fwguard_policy_show(char *buf, size_t size);

/* hook.c */
extern struct fwguard_stats fwguard_stats;
int fwguard_hooks_init(void);
void fwguard_hooks_exit(void);
extern void *const fwguard_session_holder;

/* bind.c */
struct ftrace_ops;
struct ftrace_regs;
int fwguard_bind_record(unsigned int slot, struct gendisk *disk);
int fwguard_bind_add_chain(unsigned int slot, struct device *top);
void fwguard_probe_hook(unsigned long ip, unsigned long parent_ip,
			struct ftrace_ops *ops, struct ftrace_regs *fregs);
void fwguard_bind_driver_hook(unsigned long ip, unsigned long parent_ip,
			      struct ftrace_ops *ops, struct ftrace_regs *fregs);
ssize_t fwguard_bind_show(char *buf, size_t size);
struct device *fwguard_bind_owner(const void *data);
void fwguard_bind_exit(void);

/* gate.c */
int fwguard_gate_init(void);
void fwguard_gate_exit(void);
int fwguard_gate_watch_disk(struct gendisk *disk, struct device *parent);
bool fwguard_gate_guards(struct gendisk *disk);
struct blk_mq_tag_set;
int fwguard_gate_watch_set(struct blk_mq_tag_set *set);
int fwguard_gate_watch_ctrl(struct device *ctrl, struct gendisk *like);
bool fwguard_session_bio(struct bio *bio);

/* mpath.c */
bool fwguard_nvme_head(const struct gendisk *disk);
bool fwguard_nvme_path_of(const struct gendisk *head, const struct gendisk *disk,
			  struct device *parent);
int fwguard_nvme_for_each_path(struct gendisk *head,
			       int (*fn)(struct gendisk *path, void *arg), void *arg);
int fwguard_nvme_for_each_path_in(struct gendisk *head, struct device *subsys,
				  int (*fn)(struct gendisk *path, void *arg), void *arg);
bool fwguard_nvme_ctrl_allowed(struct device *ctrl);
int fwguard_nvme_paths_allowed(struct gendisk *disk);
int fwguard_nvme_head_gpt(struct gendisk *head, struct device *subsys,
			  struct fwguard_gpt *g);
int fwguard_nvme_for_each_ctrl(struct device *subsys,
			       int (*fn)(struct device *ctrl, void *arg), void *arg);

/* passthru.c */
struct nvme_command;
bool fwguard_scsi_cdb_allowed(const u8 *cdb, unsigned int len);
bool fwguard_nvme_cmd_allowed(const struct nvme_command *c, bool admin,
			      bool user);

/* keyring.c */
extern struct key *fwguard_keyring;
int fwguard_keyring_init(const char *mode);
void fwguard_keyring_exit(void);
bool fwguard_keyring_ready(void);
const char *fwguard_keyring_mode(void);

/* lockin.c */
int fwguard_lockin_init(void);
void fwguard_lockin_exit(void);
void fwguard_lockin_engage(void);
ssize_t fwguard_lockin_show(char *buf);

/* param.c */
/**
 * struct fwguard_param - a module parameter under fwguard's rules (param.c)
 * @type: the kernel's ops for its type (param_ops_bool, _charp, _ullong)
 * @value: the variable those ops work on
 * @weakens: true for a value a locked-down kernel refuses; NULL for none
 * @given: a value was taken at this load; a different one fails the load
 */
struct fwguard_param {
	const struct kernel_param_ops *type;
	void *value;
	bool (*weakens)(const void *value);
	bool given;
};

extern const struct kernel_param_ops fwguard_param_ops_bool;
extern const struct kernel_param_ops fwguard_param_ops_charp;
extern const struct kernel_param_ops fwguard_param_ops_ullong;

/*
 * fwguard_param(NAME, VAR, KIND, WEAKENS) - module_param_named() for a
 * read-only parameter that may be given twice only with the same value,
 * and whose WEAKENS values (a bool (*)(const void *), or NULL) are refused
 * under lockdown (param.c).
 */
#define fwguard_param(name, var, kind, weakens_fn)			\
	param_check_##kind(name, &(var));				\
	static struct fwguard_param fwguard_param_##name = {		\
		.type = &param_ops_##kind,				\
		.value = &(var),					\
		.weakens = (weakens_fn),				\
	};								\
	module_param_cb(name, &fwguard_param_ops_##kind,		\
			&fwguard_param_##name, 0444);			\
	__MODULE_PARM_TYPE(name, #kind)

/* session.c */
long fwguard_session_begin(const void __user *arg);
long fwguard_session_retire(const void __user *arg);
bool fwguard_session_production(void);
void fwguard_session_bio_end(struct bio *bio);

/* tpm_floor.c */
int fwguard_tpm_floor_read(u64 *floor, const char **why);

/* uapi.c */
int fwguard_copy_arg(void *dst, size_t ksize, const void __user *uarg);

#endif /* FWGUARD_H */
