// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard update sessions: FWGUARD_IOC_BEGIN verifies a ticket and returns a
 * session fd; write() on it hashes the image and writes it to the target
 * partition with the module's own bios (recognised by the enforcement hooks
 * through their bi_end_io); FWGUARD_IOC_COMMIT flushes, compares the
 * measured digest with the ticket and consumes the ticket. Closing without
 * a commit aborts.
 *
 * At no point does the slot hold bytes a reader would take for an image
 * other than the ticket's: BEGIN zeroes the slot's head (FUA) before the
 * first byte is written, the image's head stays in kernel memory, and only
 * after the digest matched and the ticket was consumed does COMMIT write it
 * (FUA, after a flush of the body). An aborted session therefore leaves a
 * slot with a zero head, and its ticket may be used again; see kmod/README.md.
 *
 * The image is copied once into kernel pages and both hashed and written
 * from there, so what is measured is exactly what reaches the disk, however
 * the caller changes its buffer meanwhile. Two staging buffers alternate:
 * while one is being written, the next megabyte is copied and hashed into
 * the other, so the disk and the hash run side by side. Every bio of a
 * session completes before its slot can be claimed again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <linux/anon_inodes.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/verification.h>

#include "fwguard.h"

/* One bio's worth of staged image per buffer: BIO_MAX_VECS single pages. */
#define FWGUARD_STAGE_PAGES	BIO_MAX_VECS
#define FWGUARD_STAGE_BYTES	(FWGUARD_STAGE_PAGES * PAGE_SIZE)
/*
 * The image's head: held back in kernel memory until COMMIT. One page is a
 * whole number of logical blocks on every disk (both kernels cap the
 * logical block size at PAGE_SIZE) and covers the headers bootloaders and
 * image readers look at first.
 */
#define FWGUARD_HEAD_BYTES	PAGE_SIZE

static bool fwguard_production = true;
static bool fwguard_production_weakens(const void *value)
{
	return !*(const bool *)value;
}

fwguard_param(production, fwguard_production, bool, fwguard_production_weakens);
MODULE_PARM_DESC(production, "refuse tickets flagged test-only and require the TPM floor counter for BEGIN, COMMIT and RETIRE (default: yes; 0 is refused under lockdown)");

/* production=1 also means: no BEGIN, COMMIT or RETIRE without the TPM floor. */
bool fwguard_session_production(void)
{
	return fwguard_production;
}

/* The floors of one decision; -ENOLINK when production needs the TPM's and has none. */
static int fwguard_session_floor(struct fwguard_floor_view *v)
{
	return fwguard_policy_floor_refresh(fwguard_production, v);
}

enum fwguard_session_state {
	FWGUARD_SESSION_OPEN,
	FWGUARD_SESSION_DONE,	/* COMMIT ran, whatever its outcome */
	FWGUARD_SESSION_DEAD,	/* I/O failed; only close() remains */
};

struct fwguard_bio_wait {
	struct completion done;
	blk_status_t status;
};

/* A staging buffer and the bio writing it, if one is in flight. */
struct fwguard_stage {
	struct page *pages[FWGUARD_STAGE_PAGES];
	struct bio *bio;
	struct fwguard_bio_wait wait;
};

/**
 * struct fwguard_session - one update session, the private data of its fd
 * @range: target slot; its @session points back here while claimed
 * @ticket: the verified ticket
 * @target: the slot, opened exclusively for writing
 * @opener: credentials of the task that opened the session
 * @tfm: SHA-256 transform
 * @hash: running hash over every image byte accepted
 * @lock: serialises write() and COMMIT
 * @state: see enum fwguard_session_state
 * @committed: the image, head included, is on the disk
 * @written: image bytes accepted so far
 * @next_sector: partition-relative sector of the staged data
 * @staged: bytes in stage[@cur] not yet written
 * @cur: the buffer being filled
 * @head: the image's first FWGUARD_HEAD_BYTES; zeroes on the disk until the
 *	digest matched at COMMIT
 * @stage: staging buffers
 */
struct fwguard_session {
	struct fwguard_range *range;
	struct fwguard_ticket ticket;
	struct fwguard_bdev target;
	const struct cred *opener;
	struct crypto_shash *tfm;
	struct shash_desc *hash;
	struct mutex lock;
	enum fwguard_session_state state;
	bool committed;
	u64 written;
	sector_t next_sector;
	size_t staged;
	unsigned int cur;
	struct fwguard_stage head;
	struct fwguard_stage stage[2];
};

/**
 * fwguard_session_bio_end() - completion of a session bio
 * @bio: the bio
 *
 * Its address also marks session bios for the enforcement hooks.
 */
void fwguard_session_bio_end(struct bio *bio)
{
	struct fwguard_bio_wait *wait = bio->bi_private;

	wait->status = bio->bi_status;
	complete(&wait->done);
}

/* Wait for the bio of @st, if any. Returns its errno. */
static int fwguard_stage_wait(struct fwguard_stage *st)
{
	int err;

	if (!st->bio)
		return 0;
	wait_for_completion_io(&st->wait.done);
	/* One errno for every way the disk can fail, as the uapi promises. */
	err = st->wait.status ? -EIO : 0;
	bio_put(st->bio);
	st->bio = NULL;
	if (!err)
		atomic64_inc(&fwguard_stats.session_bios);
	return err;
}

/* Start writing the first @len bytes of @st at partition sector @sector. */
static int fwguard_stage_submit(struct fwguard_session *s, struct fwguard_stage *st,
				sector_t sector, size_t len, blk_opf_t opf)
{
	unsigned int i, nr = DIV_ROUND_UP(len, PAGE_SIZE);
	struct bio *bio;

	bio = bio_alloc(s->target.bdev, nr, REQ_OP_WRITE | REQ_SYNC | opf,
			GFP_KERNEL);
	bio->bi_iter.bi_sector = sector;
	for (i = 0; i < nr; i++) {
		size_t chunk = min_t(size_t, PAGE_SIZE, len - i * PAGE_SIZE);

		if (bio_add_page(bio, st->pages[i], chunk, 0) != chunk) {
			bio_put(bio);
			return -EIO;
		}
	}
	init_completion(&st->wait.done);
	bio->bi_private = &st->wait;
	bio->bi_end_io = fwguard_session_bio_end;
	st->bio = bio;
	submit_bio(bio);
	return 0;
}

/*
 * Write the head page's first @len bytes to the slot's first sectors,
 * through the disk's cache (FUA), and wait for it.
 */
static int fwguard_session_write_head(struct fwguard_session *s, size_t len)
{
	int err = fwguard_stage_submit(s, &s->head, 0, len, REQ_FUA);

	return err ?: fwguard_stage_wait(&s->head);
}

/*
 * Start writing the first @len bytes of the current buffer, then switch to
 * the other one, waiting until its previous write is done. Returns the
 * errno of that previous write: a failure surfaces one buffer late, which
 * is still before COMMIT can succeed.
 */
static int fwguard_session_write_stage(struct fwguard_session *s, size_t len)
{
	int err;

	err = fwguard_stage_submit(s, &s->stage[s->cur], s->next_sector, len, 0);
	if (err)
		return err;
	s->next_sector += len >> SECTOR_SHIFT;
	s->staged = 0;
	s->cur ^= 1;
	return fwguard_stage_wait(&s->stage[s->cur]);
}

static void *fwguard_stage_at(struct fwguard_session *s, size_t off)
{
	return page_address(s->stage[s->cur].pages[off / PAGE_SIZE]) + off % PAGE_SIZE;
}

/*
 * Where the next image byte goes and how many of @left fit there: the head
 * page first, then the staging buffers.
 */
static void *fwguard_session_dst(struct fwguard_session *s, size_t left,
				 size_t *chunk)
{
	if (s->written < FWGUARD_HEAD_BYTES) {
		*chunk = min_t(size_t, left, FWGUARD_HEAD_BYTES - s->written);
		return page_address(s->head.pages[0]) + s->written;
	}
	*chunk = min(left, PAGE_SIZE - s->staged % PAGE_SIZE);
	return fwguard_stage_at(s, s->staged);
}

/*
 * Only the credentials that opened the session may feed or commit it: a
 * descriptor that leaks (inherited by a helper that dropped privileges,
 * passed over a socket) cannot be used by anyone else.
 */
static bool fwguard_session_caller_ok(const struct fwguard_session *s)
{
	const struct cred *cred = current_cred();

	if (cred == s->opener)
		return true;
	return uid_eq(cred->euid, s->opener->euid) &&
	       gid_eq(cred->egid, s->opener->egid) &&
	       cred->user_ns == s->opener->user_ns &&
	       cap_issubset(s->opener->cap_effective, cred->cap_effective);
}

/* Hash and stage @count bytes; stops early, consistently, on a fatal signal. */
static int fwguard_session_take(struct fwguard_session *s, const char __user *buf,
				size_t count, size_t *done)
{
	int err = 0;

	while (*done < count) {
		bool in_head = s->written < FWGUARD_HEAD_BYTES;
		size_t chunk;
		void *dst = fwguard_session_dst(s, count - *done, &chunk);

		if (fatal_signal_pending(current))
			return -EINTR;
		if (copy_from_user(dst, buf + *done, chunk))
			return -EFAULT;
		err = crypto_shash_update(s->hash, dst, chunk);
		if (err)
			return err;
		s->written += chunk;
		*done += chunk;
		if (in_head)
			continue;
		s->staged += chunk;
		if (s->staged == FWGUARD_STAGE_BYTES) {
			err = fwguard_session_write_stage(s, s->staged);
			if (err)
				return err;
		}
	}
	return 0;
}

static ssize_t fwguard_session_write(struct file *file, const char __user *buf,
				     size_t count, loff_t *ppos)
{
	struct fwguard_session *s = file->private_data;
	size_t done = 0;
	int err;

	if (!fwguard_session_caller_ok(s))
		return -EPERM;
	if (mutex_lock_killable(&s->lock))
		return -EINTR;
	if (s->state != FWGUARD_SESSION_OPEN) {
		err = -EINVAL;
		goto out;
	}
	if (count > s->ticket.image_len - s->written) {
		err = -EFBIG;
		goto out;
	}
	err = fwguard_session_take(s, buf, count, &done);
	/* Between chunks the hash and the staged bytes agree; not after I/O errors. */
	if (err && err != -EFAULT && err != -EINTR) {
		s->state = FWGUARD_SESSION_DEAD;
		done = 0;
	}
out:
	mutex_unlock(&s->lock);
	return done ? done : err;
}

/* Pad the staged bytes with zeroes up to @to. */
static void fwguard_session_pad(struct fwguard_session *s, size_t to)
{
	while (s->staged < to) {
		size_t off = s->staged % PAGE_SIZE;
		size_t chunk = min(to - s->staged, PAGE_SIZE - off);

		memset(fwguard_stage_at(s, s->staged), 0, chunk);
		s->staged += chunk;
	}
}

/*
 * Write everything but the head: the tail padded with zeroes to the logical
 * block size, then flush, so the body is durable before the head exists.
 */
static int fwguard_session_finish_body(struct fwguard_session *s)
{
	int err;

	if (s->staged) {
		size_t padded = round_up(s->staged,
					 bdev_logical_block_size(s->target.bdev));

		if (padded > FWGUARD_STAGE_BYTES)
			return -EIO;
		fwguard_session_pad(s, padded);
		err = fwguard_session_write_stage(s, padded);
		if (err)
			return err;
	}
	/* The buffer just submitted, if any, is the one not being filled. */
	err = fwguard_stage_wait(&s->stage[s->cur ^ 1]);
	if (err)
		return err;
	return blkdev_issue_flush(s->target.bdev) ? -EIO : 0;
}

/* The head as it goes to the disk: the image's first bytes, zero-padded. */
static size_t fwguard_session_head_len(struct fwguard_session *s)
{
	size_t len = min_t(u64, s->written, FWGUARD_HEAD_BYTES);
	size_t padded = round_up(len, bdev_logical_block_size(s->target.bdev));

	memset(page_address(s->head.pages[0]) + len, 0, FWGUARD_HEAD_BYTES - len);
	return padded;
}

/* Readers must see the new bytes, through the partition and the disk. */
static void fwguard_session_drop_cache(struct fwguard_session *s)
{
	invalidate_bdev(s->target.bdev);
	invalidate_bdev(s->target.bdev->bd_disk->part0);
}

static int fwguard_copy_commit(struct fwguard_commit *c, void __user *arg)
{
	int err = fwguard_copy_arg(c, sizeof(*c), arg);

	if (err)
		return err;
	return c->flags ? -EINVAL : 0;
}

/* What BEGIN checked and may have changed since: the slot and the clock. */
static int fwguard_session_recheck(const struct fwguard_session *s)
{
	const struct fwguard_ticket *t = &s->ticket;
	time64_t now = ktime_get_real_seconds();

	if (READ_ONCE(s->range->active))
		return -ETXTBSY;
	/* Part of the body may have gone to a path of root's medium. */
	if (fwguard_nvme_paths_allowed(s->target.bdev->bd_disk))
		return -EXDEV;
	if ((t->not_before && now < (time64_t)t->not_before) ||
	    (t->not_after && now > (time64_t)t->not_after))
		return -EKEYEXPIRED;
	return 0;
}

/*
 * Decide a session whose body is on the disk and whose digest is in
 * @c->digest. The ticket is consumed (atomically with the floor and
 * committed-version checks) before the head is written: of two sessions
 * holding one ticket, only one can ever write its head.
 */
static int fwguard_session_decide(struct fwguard_session *s,
				  struct fwguard_commit *c, bool *match)
{
	struct fwguard_floor_view floor;
	int err;

	*match = s->written == s->ticket.image_len &&
		 !memcmp(c->digest, s->ticket.image_sha256, FWGUARD_DIGEST_LEN);
	err = fwguard_session_recheck(s);
	if (err)
		return err;
	/* The TPM floor may have risen since BEGIN; consume compares with it. */
	err = fwguard_session_floor(&floor);
	if (err)
		return err;
	/* Consumed even on mismatch: a ticket gets one measured attempt. */
	err = fwguard_policy_consume(&s->ticket);
	if (err)
		return err;
	if (!*match)
		return -EBADMSG;
	err = fwguard_session_write_head(s, fwguard_session_head_len(s));
	if (err)
		return err;
	s->committed = true;
	WRITE_ONCE(s->range->written, true);
	fwguard_policy_record_commit(&s->ticket, s->range, s->written, c->digest);
	return 0;
}

static void fwguard_session_report(struct fwguard_session *s, int err, bool match)
{
	if (err)
		atomic64_inc(&fwguard_stats.sessions_failed);
	else
		atomic64_inc(&fwguard_stats.sessions_committed);
	pr_info("session on %s %s (%d): %llu bytes, version %llu, %s\n",
		s->range->name, err ? "failed" : "committed", err, s->written,
		s->ticket.security_version,
		match ? "digest matches" : "digest MISMATCH");
}

static long fwguard_session_commit(struct fwguard_session *s, void __user *arg)
{
	struct fwguard_commit c;
	bool match = false;
	int err;

	err = fwguard_copy_commit(&c, arg);
	if (err)
		return err;
	mutex_lock(&s->lock);
	if (s->state != FWGUARD_SESSION_OPEN) {
		err = -EINVAL;
		goto out;
	}
	err = fwguard_session_finish_body(s) ?:
	      crypto_shash_final(s->hash, c.digest);
	if (err) {
		s->state = FWGUARD_SESSION_DEAD;
		goto out;
	}
	s->state = FWGUARD_SESSION_DONE;
	err = fwguard_session_decide(s, &c, &match);
	fwguard_session_drop_cache(s);
	c.written = s->written;
	c.security_version = s->ticket.security_version;
	memcpy(c.ticket_id, s->ticket.id, sizeof(c.ticket_id));
	if ((!err || err == -EBADMSG) && copy_to_user(arg, &c, sizeof(c)))
		err = -EFAULT;
	fwguard_session_report(s, err, match);
out:
	mutex_unlock(&s->lock);
	return err;
}

static long fwguard_session_ioctl(struct file *file, unsigned int cmd,
				  unsigned long arg)
{
	struct fwguard_session *s = file->private_data;

	if (cmd != FWGUARD_IOC_COMMIT)
		return -ENOTTY;
	if (!capable(CAP_SYS_ADMIN) || !fwguard_session_caller_ok(s))
		return -EPERM;
	return fwguard_session_commit(s, (void __user *)arg);
}

static void fwguard_stage_free(struct fwguard_stage *st)
{
	unsigned int i;

	for (i = 0; i < FWGUARD_STAGE_PAGES; i++)
		if (st->pages[i])
			__free_page(st->pages[i]);
}

/*
 * Every bio of the session completes before the slot is released: a bio
 * held back by an I/O throttle must not land in a later session's image.
 */
static void fwguard_session_free(struct fwguard_session *s)
{
	unsigned int b;

	for (b = 0; b < ARRAY_SIZE(s->stage); b++)
		fwguard_stage_wait(&s->stage[b]);
	fwguard_stage_wait(&s->head);
	fwguard_bdev_close(&s->target);
	if (s->range) {
		mutex_lock(&fwguard_policy_lock);
		if (s->range->session == s)
			s->range->session = NULL;
		mutex_unlock(&fwguard_policy_lock);
	}
	for (b = 0; b < ARRAY_SIZE(s->stage); b++)
		fwguard_stage_free(&s->stage[b]);
	fwguard_stage_free(&s->head);
	kfree_sensitive(s->hash);
	crypto_free_shash(s->tfm);
	if (s->opener)
		put_cred(s->opener);
	kfree(s);
}

static int fwguard_session_release(struct inode *inode, struct file *file)
{
	struct fwguard_session *s = file->private_data;

	if (!s->committed) {
		if (s->state != FWGUARD_SESSION_DONE)
			atomic64_inc(&fwguard_stats.sessions_failed);
		pr_notice("session on %s closed without commit after %llu bytes; the slot holds no image (its head is zero)\n",
			  s->range->name, s->written);
		fwguard_session_drop_cache(s);
	}
	fwguard_session_free(s);
	return 0;
}

static const struct file_operations fwguard_session_fops = {
	.owner = THIS_MODULE,
	.write = fwguard_session_write,
	.unlocked_ioctl = fwguard_session_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = fwguard_session_release,
};

struct fwguard_ticket_view {
	struct fwguard_ticket *ticket;
	int parse_err;
};

/* Called by the PKCS#7 code with the signed content, after verification. */
static int fwguard_ticket_view(void *ctx, const void *data, size_t len,
			       size_t asn1hdrlen)
{
	struct fwguard_ticket_view *view = ctx;

	view->parse_err = fwguard_ticket_parse(data, len, view->ticket);
	return view->parse_err ? -EBADMSG : 0;
}

/* Verify the CMS signature against .fwguard, then parse the signed bytes. */
static int fwguard_ticket_verify(const void __user *uticket, u32 len,
				 struct fwguard_ticket *t)
{
	struct fwguard_ticket_view view = { .ticket = t };
	void *cms;
	int err;

	cms = vmemdup_user(uticket, len);
	if (IS_ERR(cms))
		return PTR_ERR(cms);
	err = verify_pkcs7_signature(NULL, 0, cms, len, fwguard_keyring,
				     VERIFYING_UNSPECIFIED_SIGNATURE,
				     fwguard_ticket_view, &view);
	kvfree(cms);
	if (view.parse_err)
		pr_notice("ticket payload refused: %s\n",
			  fwguard_ticket_strerror(view.parse_err));
	else if (err)
		pr_notice("ticket signature refused: %d\n", err);
	return err;
}

/*
 * What BEGIN and RETIRE both require of a verified ticket: it names the
 * slot's component, is no test ticket on a production device, and names
 * this device.
 */
static int fwguard_ticket_for_slot(const struct fwguard_range *r,
				   const struct fwguard_ticket *t)
{
	if (strcmp(t->component, r->component))
		return -EACCES;
	if ((t->flags & FWGUARD_TICKET_F_TEST_ONLY) && fwguard_production)
		return -EACCES;
	return fwguard_policy_check_identity(t);
}

/* Every check of a verified ticket against the target and the policy. */
static int fwguard_ticket_check(const struct fwguard_range *r,
				const struct fwguard_ticket *t)
{
	time64_t now = ktime_get_real_seconds();
	struct fwguard_floor_view floor;
	int err;

	err = fwguard_ticket_for_slot(r, t);
	if (err)
		return err;
	if (READ_ONCE(r->active))
		return -ETXTBSY;
	if (t->image_len > (u64)r->nr_sectors << SECTOR_SHIFT)
		return -ENOSPC;
	/* Refreshes the TPM floor that the version check compares with. */
	err = fwguard_session_floor(&floor) ?: fwguard_policy_check_version(t);
	if (err)
		return err;
	if ((t->not_before && now < (time64_t)t->not_before) ||
	    (t->not_after && now > (time64_t)t->not_after))
		return -EKEYEXPIRED;
	return 0;
}

/*
 * Claim @r for @s. The active flag is tested again under the lock that
 * FWGUARD_IOC_PROTECT sets it under, so a slot never is both active and
 * the target of a session.
 */
static int fwguard_session_claim(struct fwguard_session *s,
				 struct fwguard_range *r)
{
	int err = 0;

	mutex_lock(&fwguard_policy_lock);
	if (r->active)
		err = -ETXTBSY;
	else if (r->session)
		err = -EBUSY;
	else
		r->session = s;
	mutex_unlock(&fwguard_policy_lock);
	if (!err)
		s->range = r;
	return err;
}

static int fwguard_session_alloc_pages(struct fwguard_session *s)
{
	unsigned int i;

	s->head.pages[0] = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!s->head.pages[0])
		return -ENOMEM;
	for (i = 0; i < FWGUARD_STAGE_PAGES * ARRAY_SIZE(s->stage); i++) {
		struct page **page = &s->stage[i / FWGUARD_STAGE_PAGES].pages[i % FWGUARD_STAGE_PAGES];

		*page = alloc_page(GFP_KERNEL);
		if (!*page)
			return -ENOMEM;
	}
	return 0;
}

static int fwguard_session_hash_init(struct fwguard_session *s)
{
	int err;

	s->tfm = crypto_alloc_shash("sha256", 0, 0);
	if (IS_ERR(s->tfm)) {
		err = PTR_ERR(s->tfm);
		s->tfm = NULL;
		/* ENOENT means "not a protected partition" to BEGIN's caller. */
		return err == -ENOENT ? -ENOPKG : err;
	}
	s->hash = kzalloc(sizeof(*s->hash) + crypto_shash_descsize(s->tfm),
			  GFP_KERNEL);
	if (!s->hash)
		return -ENOMEM;
	s->hash->tfm = s->tfm;
	return crypto_shash_init(s->hash);
}

/*
 * Invalidate the slot before the first image byte can reach it: its head
 * becomes zeroes, durably, so that from here on no bootloader or reader
 * takes the slot for an image until COMMIT wrote the measured head.
 */
static int fwguard_session_invalidate(struct fwguard_session *s)
{
	u64 slot = (u64)s->range->nr_sectors << SECTOR_SHIFT;
	int err;

	err = fwguard_session_write_head(s, min_t(u64, slot, FWGUARD_HEAD_BYTES));
	fwguard_session_drop_cache(s);
	s->next_sector = FWGUARD_HEAD_BYTES >> SECTOR_SHIFT;
	return err;
}

/*
 * Open a slot for a session or for RETIRE: no path of its disk may be
 * root's medium, neither for what is written nor for what is read as
 * proof (-EXDEV). The caller closes @h whatever the outcome.
 */
static int fwguard_slot_open(struct fwguard_bdev *h, dev_t dev, bool write, void *holder)
{
	int err = fwguard_bdev_open(h, dev, write, holder);

	return err ?: fwguard_nvme_paths_allowed(h->bdev->bd_disk);
}

static int fwguard_session_setup(struct fwguard_session *s)
{
	int err;

	err = fwguard_session_alloc_pages(s) ?: fwguard_session_hash_init(s);
	if (err)
		return err;
	/* Exclusive: nobody else may hold the slot open while we write it. */
	err = fwguard_slot_open(&s->target, s->range->part_dev, true, fwguard_session_holder);
	/* Not even the head's zeroing may go to a path of root's medium. */
	return err ?: fwguard_session_invalidate(s);
}

/* The ticket fields BEGIN and RETIRE share: no flags, a ticket of sane size. */
static int fwguard_check_ticket_arg(u32 flags, u32 reserved, u32 ticket_len)
{
	if (flags || reserved || !ticket_len)
		return -EINVAL;
	if (ticket_len > FWGUARD_TICKET_CMS_MAX)
		return -E2BIG;
	return 0;
}

/* The protected slot @major:@minor names itself (not a partition inside it), or NULL. */
static struct fwguard_range *fwguard_slot_by_dev(u32 major, u32 minor)
{
	struct fwguard_range *r;

	fwguard_policy_rehome_late();
	r = fwguard_range_by_dev(MKDEV(major, minor));
	if (!r || MAJOR(r->part_dev) != major || MINOR(r->part_dev) != minor)
		return NULL;
	return r;
}

/*
 * A session of the calling task, for BEGIN and RETIRE; its ticket is
 * verified next, which needs the keyring. Return: the session, or
 * ERR_PTR(-ENOKEY) / ERR_PTR(-ENOMEM).
 */
static struct fwguard_session *fwguard_session_new(void)
{
	struct fwguard_session *s;

	if (!fwguard_keyring_ready())
		return ERR_PTR(-ENOKEY);
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	mutex_init(&s->lock);
	s->opener = get_current_cred();
	return s;
}

static int fwguard_copy_begin(struct fwguard_begin *b, const void __user *arg)
{
	return fwguard_copy_arg(b, sizeof(*b), arg) ?:
	       fwguard_check_ticket_arg(b->flags, b->reserved, b->ticket_len);
}

/**
 * fwguard_session_begin() - FWGUARD_IOC_BEGIN: verify a ticket, open a session
 * @arg: user pointer to struct fwguard_begin
 *
 * The caller checked CAP_SYS_ADMIN.
 *
 * Return: a new session fd, or the negative errno documented for
 * FWGUARD_IOC_BEGIN in <linux/fwguard.h>.
 */
long fwguard_session_begin(const void __user *arg)
{
	struct fwguard_session *s;
	struct fwguard_range *r;
	struct fwguard_begin b;
	int err, fd;

	err = fwguard_copy_begin(&b, arg);
	if (err)
		return err;
	r = fwguard_slot_by_dev(b.dev_major, b.dev_minor);
	if (!r)
		return -ENOENT;
	s = fwguard_session_new();
	if (IS_ERR(s))
		return PTR_ERR(s);
	err = fwguard_ticket_verify(u64_to_user_ptr(b.ticket), b.ticket_len,
				    &s->ticket);
	if (err)
		goto out_free;
	err = fwguard_ticket_check(r, &s->ticket);
	if (err)
		goto out_free;
	err = fwguard_session_claim(s, r);
	if (err)
		goto out_free;
	err = fwguard_session_setup(s);
	if (err)
		goto out_free;
	fd = anon_inode_getfd("[fwguard-session]", &fwguard_session_fops, s,
			      O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto out_free;
	}
	pr_info("session on %s for component %s version %llu, %llu bytes, hash %s\n",
		r->name, s->ticket.component, s->ticket.security_version,
		s->ticket.image_len, crypto_shash_driver_name(s->tfm));
	return fd;

out_free:
	fwguard_session_free(s);
	return err;
}

/*
 * Retirement of a superseded slot (FWGUARD_IOC_RETIRE, kmod/README.md
 * "Retiring a superseded slot"). The ticket is evidence here, not an
 * authorisation to write an image: it names the release the other slot of
 * the component holds, which the kernel reads back and hashes itself, and
 * the floor must stand at exactly its version. Then every other image of
 * the component is superseded, and the target's head is zeroed as BEGIN
 * zeroes it, so no bootloader or reader takes the slot for an image.
 */
static char *fwguard_boot_part;
fwguard_param(boot_part, fwguard_boot_part, charp, NULL);
MODULE_PARM_DESC(boot_part, "PARTUUID of the slot the boot chain loaded this kernel from (the bootloader passes fwguard.boot_part=); a slot named so is never retired");

#define FWGUARD_RETIRE_CHUNK	FWGUARD_STAGE_BYTES

/* The one other slot of @r's component. */
static struct fwguard_range *fwguard_retire_sibling(const struct fwguard_range *r)
{
	struct fwguard_range *o, *found = NULL;
	unsigned int i, n = fwguard_range_count();

	for (i = 0; i < n; i++) {
		o = fwguard_range_get(i);
		if (!o || o == r || o->gpt_area || strcmp(o->component, r->component))
			continue;
		if (found)
			return NULL;	/* more than two slots: no "other" one */
		found = o;
	}
	return found;
}

/* The boot chain's word for the slot that booted; -ENODEV without one. */
static int fwguard_retire_booted(const struct fwguard_range *r)
{
	guid_t booted;

	if (!fwguard_boot_part || !*fwguard_boot_part ||
	    guid_parse(fwguard_boot_part, &booted))
		return -ENODEV;
	return guid_equal(&booted, &r->part_guid) ? -ETXTBSY : 0;
}

static int fwguard_retire_check(const struct fwguard_range *r,
				const struct fwguard_ticket *t,
				struct fwguard_range **other)
{
	struct fwguard_floor_view floor;
	int err;

	err = fwguard_ticket_for_slot(r, t);
	if (err)
		return err;
	*other = fwguard_retire_sibling(r);
	if (!*other || !(*other)->part_dev)
		return -ENOENT;
	if (t->image_len > ((u64)(*other)->nr_sectors << SECTOR_SHIFT))
		return -ENOEXEC;
	err = fwguard_session_floor(&floor);
	if (err)
		return err;
	/* Below the floor the other slot is no bootable release either. */
	if (t->security_version < floor.effective)
		return -ESTALE;
	/*
	 * The TPM floor has not reached it: the release is not confirmed yet.
	 * The module's own floor, which root can raise, confirms nothing.
	 */
	if (t->security_version > floor.confirmed)
		return -EAGAIN;
	err = fwguard_retire_booted(r);
	if (err)
		return err;
	if (READ_ONCE(r->written))
		return -ETXTBSY;
	return 0;
}

/* Claim both slots for @s: neither can be a session target meanwhile. */
static int fwguard_retire_claim(struct fwguard_session *s, struct fwguard_range *r,
				struct fwguard_range *o)
{
	int err = 0;

	mutex_lock(&fwguard_policy_lock);
	if (r->session || o->session) {
		err = -EBUSY;
	} else {
		r->session = s;
		o->session = s;
	}
	mutex_unlock(&fwguard_policy_lock);
	if (!err)
		s->range = r;
	return err;
}

static void fwguard_retire_release(struct fwguard_session *s, struct fwguard_range *o)
{
	mutex_lock(&fwguard_policy_lock);
	if (o->session == s)
		o->session = NULL;
	mutex_unlock(&fwguard_policy_lock);
}

/* Read @len bytes at partition byte @off of @bdev into @st's pages. */
static int fwguard_retire_read(struct block_device *bdev, struct fwguard_stage *st,
			       u64 off, size_t len)
{
	size_t padded = round_up(len, bdev_logical_block_size(bdev));
	unsigned int i, nr;
	struct bio *bio;
	int err;

	if (padded > FWGUARD_STAGE_BYTES)
		return -EIO;
	nr = DIV_ROUND_UP(padded, PAGE_SIZE);
	bio = bio_alloc(bdev, nr, REQ_OP_READ | REQ_SYNC, GFP_KERNEL);
	bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
	for (i = 0; i < nr; i++) {
		size_t chunk = min_t(size_t, PAGE_SIZE, padded - i * PAGE_SIZE);

		if (bio_add_page(bio, st->pages[i], chunk, 0) != chunk) {
			bio_put(bio);
			return -EIO;
		}
	}
	err = submit_bio_wait(bio) ? -EIO : 0;
	bio_put(bio);
	return err;
}

/*
 * SHA-256 of the first @len bytes of @bdev, read from the medium (not the
 * page cache); the first page is left in @head.
 */
static int fwguard_retire_hash(struct fwguard_session *s, struct block_device *bdev,
			       u64 len, u8 digest[FWGUARD_DIGEST_LEN], u8 *head)
{
	struct fwguard_stage *st = &s->stage[0];
	u64 off;
	int err;

	err = crypto_shash_init(s->hash);
	for (off = 0; !err && off < len; off += FWGUARD_RETIRE_CHUNK) {
		size_t n = min_t(u64, len - off, FWGUARD_RETIRE_CHUNK);
		unsigned int i;

		if (fatal_signal_pending(current))
			return -EINTR;
		err = fwguard_retire_read(bdev, st, off, n);
		for (i = 0; !err && i * PAGE_SIZE < n; i++)
			err = crypto_shash_update(s->hash, page_address(st->pages[i]),
						  min_t(size_t, PAGE_SIZE, n - i * PAGE_SIZE));
		if (!err && !off && head)
			memcpy(head, page_address(st->pages[0]), min_t(size_t, n, PAGE_SIZE));
	}
	return err ?: crypto_shash_final(s->hash, digest);
}

/*
 * With both slots claimed: a target with a zero head holds no image (it
 * was retired, or never written): nothing to do, @done. Otherwise the
 * other slot must hold the ticket's image and the target must not; then
 * the target's head is zeroed.
 *
 * The target is opened for reading, not exclusively: nobody else's open
 * (root's O_EXCL, a read-only mount) can keep a superseded slot bootable.
 * The claim under fwguard_policy_lock is what keeps sessions off both
 * slots; the head is written with a session bio, which the bio hook lets
 * through; and an open partition (this one, and the range's own) is one
 * the block layer neither deletes nor rescans away.
 */
static int fwguard_retire_slots(struct fwguard_session *s, struct fwguard_range *o,
				bool *done)
{
	u64 len = s->ticket.image_len;
	u8 digest[FWGUARD_DIGEST_LEN];
	struct fwguard_bdev other = {};
	u8 *ohead, *thead;
	int err;

	ohead = kzalloc(2 * PAGE_SIZE, GFP_KERNEL);
	if (!ohead)
		return -ENOMEM;
	thead = ohead + PAGE_SIZE;
	err = fwguard_slot_open(&s->target, s->range->part_dev, false, NULL);
	if (!err)
		err = fwguard_retire_read(s->target.bdev, &s->stage[0], 0, PAGE_SIZE);
	if (err)
		goto out;
	memcpy(thead, page_address(s->stage[0].pages[0]), PAGE_SIZE);
	if (!memchr_inv(thead, 0, PAGE_SIZE)) {
		*done = true;
		goto out;
	}
	err = fwguard_slot_open(&other, o->part_dev, false, NULL);
	if (!err)
		err = fwguard_retire_hash(s, other.bdev, len, digest, ohead);
	fwguard_bdev_close(&other);
	if (!err && memcmp(digest, s->ticket.image_sha256, FWGUARD_DIGEST_LEN))
		err = -ENOEXEC;
	if (err)
		goto out;
	if (!memcmp(thead, ohead, min_t(u64, len, PAGE_SIZE))) {
		/* The same head: the same release in both slots? */
		err = fwguard_retire_hash(s, s->target.bdev, len, digest, NULL);
		if (!err && !memcmp(digest, s->ticket.image_sha256, FWGUARD_DIGEST_LEN))
			err = -EEXIST;
		if (err)
			goto out;
	}
	memset(page_address(s->head.pages[0]), 0, PAGE_SIZE);
	err = fwguard_session_invalidate(s);
out:
	kfree(ohead);
	return err;
}

static int fwguard_copy_retire(struct fwguard_retire *b, const void __user *arg)
{
	return fwguard_copy_arg(b, sizeof(*b), arg) ?:
	       fwguard_check_ticket_arg(b->flags, b->reserved, b->ticket_len);
}

/**
 * fwguard_session_retire() - FWGUARD_IOC_RETIRE: zero a superseded slot's head
 * @arg: user pointer to struct fwguard_retire
 *
 * The caller checked CAP_SYS_ADMIN.
 *
 * Return: 0, or the negative errno documented for FWGUARD_IOC_RETIRE in
 * <linux/fwguard.h>.
 */
long fwguard_session_retire(const void __user *arg)
{
	struct fwguard_range *r, *o = NULL;
	struct fwguard_session *s;
	struct fwguard_retire b;
	bool done = false;
	int err;

	err = fwguard_copy_retire(&b, arg);
	if (err)
		return err;
	r = fwguard_slot_by_dev(b.dev_major, b.dev_minor);
	if (!r || r->gpt_area)
		return -ENOENT;
	s = fwguard_session_new();
	if (IS_ERR(s))
		return PTR_ERR(s);
	err = fwguard_ticket_verify(u64_to_user_ptr(b.ticket), b.ticket_len,
				    &s->ticket) ?:
	      fwguard_retire_check(r, &s->ticket, &o);
	if (!err)
		err = fwguard_retire_claim(s, r, o);
	if (err) {
		o = NULL;
		goto out;
	}
	err = fwguard_session_alloc_pages(s) ?: fwguard_session_hash_init(s);
	/* Checked again with both slots claimed: nothing is decided on a stale view. */
	if (!err) {
		struct fwguard_range *again;

		err = fwguard_retire_check(r, &s->ticket, &again);
		if (!err && again != o)
			err = -ENOENT;
	}
	if (!err)
		err = fwguard_retire_slots(s, o, &done);
	if (!err)
		pr_notice("slot %s (component %s) %s: superseded by version %llu, which %s holds at the floor\n",
			  r->name, r->component, done ? "holds no image" : "retired, its head zeroed",
			  s->ticket.security_version, o->name);
out:
	if (err)
		pr_notice_ratelimited("retiring slot %s (component %s) refused: %d\n",
				      r->name, r->component, err);
	if (o)
		fwguard_retire_release(s, o);
	fwguard_session_free(s);
	return err;
}
