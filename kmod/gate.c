// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard request gate: the one check every write meets where it reaches
 * the driver of a protected disk.
 *
 * Bios are not the only thing that reaches a disk. Request-based
 * device-mapper inserts cloned requests with blk_insert_cloned_request(),
 * and SG_IO, /dev/sg, /dev/bsg, NVMe ioctls on namespace, generic and
 * controller nodes, io_uring uring_cmd and MMC ioctls build passthrough
 * requests (REQ_OP_DRV_IN/OUT) that never were bios. Every one of them,
 * and every bio after merging, splitting and throttling, is handed to the
 * driver through its queue's mq_ops->queue_rq(): blk-mq's dispatch, the
 * direct-issue path and the plug flush all call it. So the gate hooks, by
 * address, the queue_rq function of every protected disk's queue
 * (ftrace_set_filter_ip) and judges each request there:
 *  - a write-direction request (write, discard, write-zeroes, secure
 *    erase, zone reset/append) overlapping a protected range passes only
 *    when every bio in it is a session bio of this module;
 *  - a passthrough request on the disk's queue, or on any queue of the
 *    same controller (same tag set owner, e.g. the NVMe admin queue, or the
 *    same parent device, e.g. the boot partitions of an eMMC), passes only
 *    when its command is on the allowlist in passthru.c. A driver the gate
 *    cannot decode gets no passthrough at all. A controller at the PCI
 *    function of a protected disk's is in the table from its tag set's
 *    allocation (fwguard_gate_watch_set()), before it has a disk: a
 *    rebound NVMe controller's admin queue takes commands from the moment
 *    it is live, and its namespaces are added only after a scan.
 * A refused request is answered by fwguard_gate_refuse() instead of the
 * driver: it returns BLK_STS_TARGET, which blk-mq turns into an error
 * completion (TARGET rather than IOERR: a refusal is not a path failure,
 * so dm-multipath must neither fail the path nor retry elsewhere).
 *
 * Drivers with a ->queue_rqs() batch path (NVMe, virtio-blk) are hooked
 * there too: for a protected queue the hook turns the call into a no-op
 * that leaves the list untouched, and blk_mq_flush_plug_list() then issues
 * each request through ->queue_rq() (6.1 and 6.12 alike).
 *
 * The hooked functions are shared by every queue of their driver, so the
 * callbacks first look at the operation (reads leave after one compare)
 * and then at a short table of protected queues.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/bio.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/cred.h>
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/nvme.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_proto.h>

#include "fwguard.h"

/*
 * Distinct driver functions hooked at once (queue_rq and queue_rqs of each
 * driver with a protected disk); the slot of a driver module that went away
 * is reused. A disk whose driver cannot get a slot is not protected
 * silently: PROTECT fails, and a re-appearing disk is not added (disk.c).
 */
#define FWGUARD_GATE_FNS	16

enum fwguard_drv {
	FWGUARD_DRV_OTHER,	/* no passthrough at all */
	FWGUARD_DRV_SCSI,
	FWGUARD_DRV_NVME,
	FWGUARD_DRV_MMC,	/* no passthrough: the command is not public */
	FWGUARD_DRV_VIRTIO,	/* REQ_OP_DRV_IN is GET_ID or a zone report */
};

static const char *const fwguard_drv_name[] = {
	[FWGUARD_DRV_OTHER] = "unknown-driver",
	[FWGUARD_DRV_SCSI] = "SCSI",
	[FWGUARD_DRV_NVME] = "NVMe",
	[FWGUARD_DRV_MMC] = "MMC",
	[FWGUARD_DRV_VIRTIO] = "virtio-blk",
};

/*
 * A protected queue. The pointers are only compared, never dereferenced,
 * so an entry that outlives its queue can only make the gate stricter.
 */
struct fwguard_gate_queue {
	const struct request_queue *q;	/* NULL: every queue of @ctrl */
	const void *ctrl;		/* q->tag_set->driver_data */
	const struct device *parent;	/* the disk's parent device */
	const void *queue_rq;		/* q->mq_ops->queue_rq: the driver */
	enum fwguard_drv drv;
};

/*
 * The protected queues, with no fixed limit: every rebind of a disk that
 * owns its queue (virtio-blk, NVMe) adds one. Entries are not removed when
 * their disk is deleted: the queue, its controller or its parent may still
 * reach the medium without the disk (a SCSI device's /dev/sg with sd
 * unbound, the NVMe admin queue of a detached namespace), and an entry
 * whose queue is gone costs a few compared pointers. The table is
 * replaced by a bigger copy when full (readers under RCU) and entries are
 * appended with a release store of @nr.
 */
struct fwguard_gate_table {
	unsigned int nr;
	unsigned int size;
	struct rcu_head rcu;
	struct fwguard_gate_queue q[];
};

struct fwguard_gate_fn {
	unsigned long ip;
	bool batch;			/* ->queue_rqs() rather than ->queue_rq() */
	bool live;			/* in the filter; cleared at module unload */
};

static DEFINE_MUTEX(fwguard_gate_lock);
static struct fwguard_gate_table __rcu *fwguard_gate_table;
static struct fwguard_gate_fn fwguard_gate_fns[FWGUARD_GATE_FNS];
static unsigned int fwguard_gate_nr_fns;
static bio_end_io_t *fwguard_chain_endio;

/*
 * The entry of @q (with @family, also of a queue of the same controller or
 * parent device), copied to @out. Any context.
 *
 * Entries outlive their queues, so a pointer may match memory reused by an
 * unrelated object: an entry only counts for a queue of the driver it was
 * made for. Otherwise the request would be judged by another driver's
 * rules, reading its command from a private area of another layout (a
 * virtio-blk entry reused by an NVMe admin queue refused the controller's
 * start-up commands). A queue of the same driver at a reused address is
 * judged as protected, which fails closed.
 */
static bool notrace fwguard_gate_find(const struct request_queue *q, bool family,
				      struct fwguard_gate_queue *out)
{
	const struct device *parent = NULL;
	const struct fwguard_gate_table *t;
	const void *ctrl = NULL, *fn;
	unsigned int i, n;
	bool found = false;

	fn = q->mq_ops ? (const void *)q->mq_ops->queue_rq : NULL;
	if (!fn)
		return false;
	if (family) {
		ctrl = q->tag_set ? q->tag_set->driver_data : NULL;
		parent = q->disk ? disk_to_dev(q->disk)->parent : NULL;
	}
	rcu_read_lock();
	t = rcu_dereference(fwguard_gate_table);
	n = t ? smp_load_acquire(&t->nr) : 0;
	for (i = 0; i < n && !found; i++) {
		const struct fwguard_gate_queue *g = &t->q[i];

		found = g->queue_rq == fn &&
			(g->q == q || (ctrl && g->ctrl == ctrl) ||
			 (parent && g->parent == parent));
		if (found && out)
			*out = *g;
	}
	rcu_read_unlock();
	return found;
}

/**
 * fwguard_gate_guards() - does the gate apply passthrough rules to @disk?
 * @disk: a disk
 *
 * Return: true when @disk's queue is protected or shares a controller or
 * parent device with a protected one.
 */
bool notrace fwguard_gate_guards(struct gendisk *disk)
{
	return disk->queue && fwguard_gate_find(disk->queue, true, NULL);
}

/**
 * fwguard_session_bio() - is @bio a session bio of this module, or a split of one?
 * @bio: a bio
 *
 * A split made by bio_chain() points at its parent. A bio split before it
 * is submitted again (an NVMe multipath head splits, then resubmits the
 * split to a path) meets the bio hook as such a child. Any context.
 *
 * Return: true for a session bio or a split of one.
 */
bool notrace fwguard_session_bio(struct bio *bio)
{
	unsigned int depth;

	for (depth = 0; depth < 8; depth++) {
		if (bio->bi_end_io == fwguard_session_bio_end)
			return true;
		if (bio->bi_end_io != fwguard_chain_endio || !bio->bi_private)
			return false;
		bio = bio->bi_private;
	}
	return false;
}

/*
 * The range @nr sectors at @start would touch. A zero-length write-direction
 * operation other than a plain write (zone reset all) touches the whole disk.
 */
static struct fwguard_range *notrace fwguard_extent_blocked(struct gendisk *disk,
							    sector_t start,
							    sector_t nr,
							    enum req_op op)
{
	if (!nr && op != REQ_OP_WRITE) {
		start = 0;
		nr = get_capacity(disk);
	}
	return nr ? fwguard_range_overlapping(disk, start, nr) : NULL;
}

/*
 * A write-direction request that overlaps a range and is not ours. Each bio
 * is judged by its own extent, never the request by its first sector and
 * summed length: a discard request merges bios that need not be contiguous
 * (the driver sends one range per bio), so its blk_rq_pos() and
 * blk_rq_sectors() say nothing about the sectors it changes.
 */
static struct fwguard_range *notrace fwguard_rq_write_blocked(struct request *rq)
{
	struct gendisk *disk = rq->q->disk;
	enum req_op op = req_op(rq);
	struct fwguard_range *r;
	struct bio *bio;

	if (!disk || !fwguard_range_count())
		return NULL;
	if (!rq->bio)
		return fwguard_extent_blocked(disk, blk_rq_pos(rq),
					      blk_rq_sectors(rq), op);
	__rq_for_each_bio(bio, rq) {
		if (fwguard_session_bio(bio))
			continue;
		r = fwguard_extent_blocked(disk, bio->bi_iter.bi_sector,
					   bio_sectors(bio), op);
		if (r)
			return r;
	}
	return NULL;
}

static bool notrace fwguard_nvme_rq_allowed(struct request *rq)
{
	const struct fwguard_nvme_request *nreq = blk_mq_rq_to_pdu(rq);
	const struct nvme_command *c = nreq->cmd;

	if (!c || !virt_addr_valid(c))
		return false;
	/* No queuedata: the admin queue (nvme_init_request() says the same). */
	return fwguard_nvme_cmd_allowed(c, !rq->q->queuedata,
					nreq->flags & FWGUARD_NVME_REQ_USERCMD);
}

static bool notrace fwguard_pt_allowed(struct request *rq,
				       const struct fwguard_gate_queue *g)
{
	const struct scsi_cmnd *scmd;

	switch (g->drv) {
	case FWGUARD_DRV_SCSI:
		scmd = blk_mq_rq_to_pdu(rq);
		return fwguard_scsi_cdb_allowed(scmd->cmnd,
						min_t(unsigned int, scmd->cmd_len,
						      sizeof(scmd->cmnd)));
	case FWGUARD_DRV_NVME:
		return fwguard_nvme_rq_allowed(rq);
	case FWGUARD_DRV_VIRTIO:
		return req_op(rq) == REQ_OP_DRV_IN;
	default:
		return false;
	}
}

/* Would the gate refuse @rq? Cheap for reads and unprotected queues. */
static bool notrace fwguard_rq_refused(struct request *rq)
{
	enum req_op op = req_op(rq);
	struct fwguard_gate_queue g;

	if (op == REQ_OP_READ)
		return false;
	if (blk_rq_is_passthrough(rq)) {
		if (fwguard_gate_find(rq->q, true, &g))
			return !fwguard_pt_allowed(rq, &g);
		/* Carries ranges but not (yet) in the table: no passthrough. */
		return rq->q->disk && fwguard_disk_holds_ranges(rq->q->disk);
	}
	return op_is_write(op) && fwguard_rq_write_blocked(rq);
}

static void fwguard_gate_report(struct request *rq, bool passthrough)
{
	struct gendisk *disk = rq->q->disk;
	const char *name = disk ? disk->disk_name : "(controller)";
	struct audit_buffer *ab;
	u32 cmd = 0;

	if (passthrough) {
		struct fwguard_gate_queue g = {};
		enum fwguard_drv drv = fwguard_gate_find(rq->q, true, &g) ?
				       g.drv : FWGUARD_DRV_OTHER;

		if (drv == FWGUARD_DRV_SCSI)
			cmd = ((struct scsi_cmnd *)blk_mq_rq_to_pdu(rq))->cmnd[0];
		else if (drv == FWGUARD_DRV_NVME &&
			 ((struct fwguard_nvme_request *)blk_mq_rq_to_pdu(rq))->cmd)
			cmd = ((struct fwguard_nvme_request *)blk_mq_rq_to_pdu(rq))->cmd->common.opcode;
	}
	pr_notice_ratelimited("refused %s request op %u cmd 0x%x on %s sectors %llu+%u pid %d comm %s\n",
			      passthrough ? "passthrough" : "write", req_op(rq), cmd,
			      name, (u64)blk_rq_pos(rq), blk_rq_sectors(rq),
			      task_pid_nr(current), current->comm);
	ab = audit_log_start(audit_context(), GFP_ATOMIC, AUDIT_KERNEL_OTHER);
	if (!ab)
		return;
	audit_log_format(ab, "op=fwguard_refuse reason=%s disk=%s sector=%llu nr_sectors=%u rq_op=%u cmd=0x%x",
			 passthrough ? "passthrough-request" : "write-request",
			 name, (u64)blk_rq_pos(rq), blk_rq_sectors(rq), req_op(rq), cmd);
	/* Requests are often issued from kblockd: the task may not be the writer. */
	if (in_task())
		audit_log_task_info(ab);
	audit_log_end(ab);
}

/*
 * What a SCSI caller reads back: CHECK CONDITION, DATA PROTECT / WRITE
 * PROTECTED in fixed-format sense, so SG_IO and /dev/sg report it.
 */
static void fwguard_scsi_write_protected(struct request *rq)
{
	struct scsi_cmnd *scmd = blk_mq_rq_to_pdu(rq);
	u8 *sense = scmd->sense_buffer;

	if (!sense)
		return;
	memset(sense, 0, SCSI_SENSE_BUFFERSIZE);
	sense[0] = 0x70;		/* current error, fixed format */
	sense[2] = DATA_PROTECT;
	sense[7] = 10;			/* additional sense length */
	sense[12] = 0x27;		/* WRITE PROTECTED */
	scmd->sense_len = 18;
	scmd->result = SAM_STAT_CHECK_CONDITION;
}

/*
 * Runs instead of the driver's ->queue_rq() for a refused request. A
 * driver with dispatch budgets (SCSI) releases the budget blk-mq took for
 * it on every error return; do the same, or the queue would run dry.
 */
static blk_status_t fwguard_gate_refuse(struct blk_mq_hw_ctx *hctx,
					const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct request_queue *q = rq->q;
	const struct blk_mq_ops *ops = q->mq_ops;
	bool pt = blk_rq_is_passthrough(rq);
	struct fwguard_gate_queue g;

	if (pt) {
		atomic64_inc(&fwguard_stats.refused_passthrough);
		if (fwguard_gate_find(q, true, &g) && g.drv == FWGUARD_DRV_SCSI)
			fwguard_scsi_write_protected(rq);
	} else {
		atomic64_inc(&fwguard_stats.refused_requests);
	}
	fwguard_gate_report(rq, pt);
	if (ops->put_budget) {
		int token = ops->get_rq_budget_token ?
			    ops->get_rq_budget_token(rq) : -1;

		ops->put_budget(q, token);
		if (ops->set_rq_budget_token)
			ops->set_rq_budget_token(rq, -1);
	}
	return BLK_STS_TARGET;
}

static void notrace fwguard_queue_rq_hook(unsigned long ip, unsigned long parent_ip,
					  struct ftrace_ops *ops,
					  struct ftrace_regs *fregs)
{
	const struct blk_mq_queue_data *bd = (void *)fwguard_hook_arg(fregs, 1);

	if (fwguard_rq_refused(bd->rq))
		fwguard_hook_redirect(fregs, fwguard_gate_refuse);
}

/* Leaves the batch alone; blk-mq then issues it through ->queue_rq(). */
static void fwguard_gate_unbatch(void *rqlist)
{
}

static void notrace fwguard_queue_rqs_hook(unsigned long ip, unsigned long parent_ip,
					   struct ftrace_ops *ops,
					   struct ftrace_regs *fregs)
{
	/* struct request ** (6.1) or struct rq_list * (6.12): head first. */
	struct request *head = *(struct request **)fwguard_hook_arg(fregs, 0);

	/* A queue that holds ranges is never batched, in the table or not. */
	if (head && (fwguard_gate_find(head->q, true, NULL) ||
		     (head->q->disk && fwguard_disk_holds_ranges(head->q->disk))))
		fwguard_hook_redirect(fregs, fwguard_gate_unbatch);
}

static struct ftrace_ops fwguard_queue_rq_ops = {
	.func = fwguard_queue_rq_hook,
	.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT,
};

static struct ftrace_ops fwguard_queue_rqs_ops = {
	.func = fwguard_queue_rqs_hook,
	.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT,
};

static unsigned int fwguard_gate_live_fns(bool batch)
{
	unsigned int i, n = 0;

	for (i = 0; i < fwguard_gate_nr_fns; i++)
		n += fwguard_gate_fns[i].live && fwguard_gate_fns[i].batch == batch;
	return n;
}

/*
 * Add @ip to the filter of @ops, registering @ops with its first address.
 * An ops with an empty filter would trace every function, so it is never
 * registered without one. Under fwguard_gate_lock.
 */
static int fwguard_gate_hook_fn(unsigned long ip, bool batch)
{
	struct ftrace_ops *ops = batch ? &fwguard_queue_rqs_ops : &fwguard_queue_rq_ops;
	bool first = !fwguard_gate_live_fns(batch);
	struct fwguard_gate_fn *f;
	unsigned int i;
	int err;

	f = NULL;
	for (i = 0; i < fwguard_gate_nr_fns; i++) {
		if (fwguard_gate_fns[i].ip == ip && fwguard_gate_fns[i].live)
			return 0;
		if (!fwguard_gate_fns[i].live && !f)
			f = &fwguard_gate_fns[i];	/* its module went away */
	}
	if (!f && fwguard_gate_nr_fns == FWGUARD_GATE_FNS)
		return -ENOSPC;
	err = ftrace_set_filter_ip(ops, ip, 0, 0);
	if (!err && first)
		err = register_ftrace_function(ops);
	if (err) {
		pr_err("cannot hook %ps: %d\n", (void *)ip, err);
		ftrace_set_filter_ip(ops, ip, 1, 0);
		return err;
	}
	if (!f)
		f = &fwguard_gate_fns[fwguard_gate_nr_fns++];
	f->ip = ip;
	f->batch = batch;
	f->live = true;
	return 0;
}

/*
 * The driver of queues with @ops and a pdu of @pdu bytes; @q is the queue
 * when there is one (NULL: every queue of a tag set).
 */
static enum fwguard_drv fwguard_gate_driver(const struct blk_mq_ops *ops, size_t pdu,
					    const struct request_queue *q)
{
	const struct scsi_device *sdev;
	char name[KSYM_NAME_LEN];

	/* "%ps" names a module's symbol as "name [module]". */
	snprintf(name, sizeof(name), "%ps", ops->queue_rq);
	name[strcspn(name, " ")] = 0;
	/*
	 * SCSI: the midlayer's queue_rq, a pdu that holds a scsi_cmnd, and
	 * queuedata the scsi_device that owns this very queue
	 * (scsi_device_from_queue() makes the same check but is exported
	 * only for pktcdvd).
	 */
	if (!strcmp(name, "scsi_queue_rq") && pdu >= sizeof(struct scsi_cmnd)) {
		if (!q)
			return FWGUARD_DRV_SCSI;
		sdev = q->queuedata;
		return sdev && sdev->request_queue == q ? FWGUARD_DRV_SCSI :
							  FWGUARD_DRV_OTHER;
	}
	if ((!strcmp(name, "nvme_queue_rq") || !strcmp(name, "nvme_tcp_queue_rq") ||
	     !strcmp(name, "nvme_rdma_queue_rq") || !strcmp(name, "nvme_loop_queue_rq")) &&
	    pdu >= sizeof(struct fwguard_nvme_request))
		return FWGUARD_DRV_NVME;
	if (!strcmp(name, "mmc_mq_queue_rq"))
		return FWGUARD_DRV_MMC;
	if (!strcmp(name, "virtio_queue_rq"))
		return FWGUARD_DRV_VIRTIO;
	return FWGUARD_DRV_OTHER;
}

/* A table with room for one more entry: the current one, or a bigger copy. */
static struct fwguard_gate_table *fwguard_gate_room(void)
{
	struct fwguard_gate_table *t, *old;
	unsigned int size;

	old = rcu_dereference_protected(fwguard_gate_table,
					lockdep_is_held(&fwguard_gate_lock));
	if (old && old->nr < old->size)
		return old;
	size = old ? 2 * old->size : 16;
	t = kzalloc(struct_size(t, q, size), GFP_KERNEL);
	if (!t)
		return NULL;
	t->size = size;
	if (old) {
		memcpy(t->q, old->q, old->nr * sizeof(t->q[0]));
		t->nr = old->nr;
	}
	rcu_assign_pointer(fwguard_gate_table, t);
	if (old)
		kfree_rcu(old, rcu);
	return t;
}

/* Hook the driver functions of queues with @ops. Under fwguard_gate_lock. */
static int fwguard_gate_hook_ops(const struct blk_mq_ops *ops)
{
	int err;

	err = fwguard_gate_hook_fn((unsigned long)ops->queue_rq, false);
	if (!err && ops->queue_rqs)
		err = fwguard_gate_hook_fn((unsigned long)ops->queue_rqs, true);
	return err;
}

static int fwguard_gate_add_queue(struct gendisk *disk, struct device *parent)
{
	struct request_queue *q = disk->queue;
	struct fwguard_gate_table *t;
	struct fwguard_gate_queue *g;
	int err;

	err = fwguard_gate_hook_ops(q->mq_ops);
	if (err)
		return err;
	t = fwguard_gate_room();
	if (!t)
		return -ENOMEM;
	g = &t->q[t->nr];
	g->q = q;
	g->ctrl = q->tag_set ? q->tag_set->driver_data : NULL;
	g->parent = parent;
	g->queue_rq = (const void *)q->mq_ops->queue_rq;
	g->drv = fwguard_gate_driver(q->mq_ops, q->tag_set ? q->tag_set->cmd_size : 0, q);
	smp_store_release(&t->nr, t->nr + 1);
	pr_notice("request gate on %s (%ps): %s passthrough %s\n", disk->disk_name,
		  q->mq_ops->queue_rq, fwguard_drv_name[g->drv],
		  g->drv == FWGUARD_DRV_OTHER || g->drv == FWGUARD_DRV_MMC ?
		  "refused" : "by allowlist");
	return 0;
}

/**
 * fwguard_gate_watch_disk() - put a disk's queue behind the request gate
 * @disk: a disk that holds, or is about to hold, a protected range
 * @parent: its parent device (a disk being added has none yet)
 *
 * Call before the range is published (a gated disk without ranges only
 * loses passthrough commands that are not on the allowlist) and before a
 * disk carrying a protected identity is added. Idempotent. A bio-based
 * disk (no mq_ops) has no queue_rq: the bio hook is its gate. The caller
 * must not let the disk carry a range when this fails.
 *
 * Return: 0; -ENOSPC when FWGUARD_GATE_FNS driver functions are hooked
 * already; -ENOMEM; the ftrace errno when the driver's queue_rq cannot be
 * hooked (-EBUSY: another IPMODIFY user such as a livepatch holds it).
 */
int fwguard_gate_watch_disk(struct gendisk *disk, struct device *parent)
{
	int err = 0;

	if (!disk || !disk->queue || !disk->queue->mq_ops)
		return 0;
	mutex_lock(&fwguard_gate_lock);
	if (!fwguard_gate_find(disk->queue, false, NULL))
		err = fwguard_gate_add_queue(disk, parent);
	if (err)
		pr_err("cannot gate requests of %s: %d\n", disk->disk_name, err);
	mutex_unlock(&fwguard_gate_lock);
	return err;
}

/* Is there an entry for every queue of controller @ctrl with @queue_rq? */
static bool fwguard_gate_has_ctrl(const void *ctrl, const void *queue_rq)
{
	const struct fwguard_gate_table *t;
	unsigned int i;

	t = rcu_dereference_protected(fwguard_gate_table,
				      lockdep_is_held(&fwguard_gate_lock));
	for (i = 0; t && i < t->nr; i++)
		if (t->q[i].ctrl == ctrl && t->q[i].queue_rq == queue_rq)
			return true;
	return false;
}

/*
 * An entry for every queue of controller @ctrl (tag_set->driver_data) whose
 * driver has @ops and a pdu of @pdu bytes; @where names it in the log.
 * Under fwguard_gate_lock. Idempotent.
 */
static int fwguard_gate_add_ctrl(const void *ctrl, const struct blk_mq_ops *ops,
				 size_t pdu, const char *where)
{
	struct fwguard_gate_table *t;
	struct fwguard_gate_queue *g;
	int err;

	if (fwguard_gate_has_ctrl(ctrl, ops->queue_rq))
		return 0;
	err = fwguard_gate_hook_ops(ops);
	if (err)
		return err;
	t = fwguard_gate_room();
	if (!t)
		return -ENOMEM;
	g = &t->q[t->nr];
	memset(g, 0, sizeof(*g));
	g->ctrl = ctrl;
	g->queue_rq = (const void *)ops->queue_rq;
	g->drv = fwguard_gate_driver(ops, pdu, NULL);
	smp_store_release(&t->nr, t->nr + 1);
	pr_notice("request gate on the queues of a controller at %s (%ps): %s passthrough %s\n",
		  where, ops->queue_rq, fwguard_drv_name[g->drv],
		  g->drv == FWGUARD_DRV_OTHER || g->drv == FWGUARD_DRV_MMC ?
		  "refused" : "by allowlist");
	return 0;
}

/**
 * fwguard_gate_watch_set() - gate a tag set's queues from its allocation on
 * @set: a tag set just allocated, no queue made from it yet
 *
 * A controller at the place of a protected disk's (its tag set's driver
 * data belongs to a PCI function the bind guard recorded, bind.c
 * fwguard_bind_owner()) is gated before it can take a command: every
 * queue of @set, the NVMe admin queue included, is judged as a queue of
 * the same controller as a protected disk (same tag_set->driver_data),
 * from the driver's first command at start-up on, not from the moment a
 * disk of it is added after the controller went live and its namespaces
 * were scanned. So is a controller that joined the subsystem of a
 * protected NVMe multipath head (disk.c fwguard_disk_subsys_owner()), by
 * its I/O tag set, allocated after it joined and before it is live. Any
 * other controller is left alone. Process context.
 *
 * Return: 0; or, for a tag set that must be gated and cannot be, -ENOSPC,
 * -ENOMEM or the ftrace errno (fwguard_gate_watch_disk()): the caller
 * must not use @set.
 */
int fwguard_gate_watch_set(struct blk_mq_tag_set *set)
{
	struct device *owner;
	int err;

	if (!set->ops || !set->ops->queue_rq)
		return 0;
	owner = fwguard_bind_owner(set->driver_data) ?:
		fwguard_disk_subsys_owner(set->driver_data);
	if (!owner)
		return 0;
	mutex_lock(&fwguard_gate_lock);
	err = fwguard_gate_add_ctrl(set->driver_data, set->ops, set->cmd_size,
				    dev_name(owner));
	mutex_unlock(&fwguard_gate_lock);
	if (err)
		pr_err("cannot gate the queues of a controller at %s: %d\n",
		       dev_name(owner), err);
	put_device(owner);
	return err;
}

/**
 * fwguard_gate_watch_ctrl() - gate the queues of an NVMe controller that has no disk of ours
 * @ctrl: a controller device of a protected subsystem, on a PCI function
 * @like: a gated path disk of that subsystem (same driver)
 *
 * Sanitize, and Format NVM for all namespaces, act on every namespace of
 * the subsystem, whichever controller takes them: the admin queue of a
 * controller to which the protected namespace is not attached is judged
 * like the path's. The queues of @ctrl are known by their tag sets' driver
 * data, which nvme (pci) hangs on the PCI function (6.1) or on the
 * controller device (6.12), as fwguard_bind_owner() says; an entry for
 * each of the two costs a compared pointer. Process context.
 *
 * Return: 0, -ENOENT when @like is not gated, or the errno of
 * fwguard_gate_watch_disk().
 */
int fwguard_gate_watch_ctrl(struct device *ctrl, struct gendisk *like)
{
	const void *data[2] = { dev_get_drvdata(ctrl),
				ctrl->parent ? dev_get_drvdata(ctrl->parent) : NULL };
	struct request_queue *q = like->queue;
	unsigned int i;
	int err = 0;

	if (!q->mq_ops || !fwguard_gate_find(q, true, NULL))
		return -ENOENT;
	mutex_lock(&fwguard_gate_lock);
	for (i = 0; i < ARRAY_SIZE(data) && !err; i++)
		if (data[i])
			err = fwguard_gate_add_ctrl(data[i], q->mq_ops,
						    q->tag_set ? q->tag_set->cmd_size : 0,
						    dev_name(ctrl));
	mutex_unlock(&fwguard_gate_lock);
	if (err)
		pr_err("cannot gate the queues of controller %s: %d\n", dev_name(ctrl), err);
	return err;
}

/*
 * A driver module going away takes its queue_rq with it; an address left
 * in the filter would be hooked again in whatever module is loaded there
 * next. Its disks are gone by now (del_gendisk() ran in its exit path).
 */
static int fwguard_gate_module_event(struct notifier_block *nb,
				     unsigned long state, void *data)
{
	struct module *mod = data;
	unsigned int i;

	if (state != MODULE_STATE_GOING)
		return NOTIFY_DONE;
	mutex_lock(&fwguard_gate_lock);
	for (i = 0; i < fwguard_gate_nr_fns; i++) {
		struct fwguard_gate_fn *f = &fwguard_gate_fns[i];
		struct ftrace_ops *ops = f->batch ? &fwguard_queue_rqs_ops :
						    &fwguard_queue_rq_ops;

		if (!f->live || !within_module(f->ip, mod))
			continue;
		f->live = false;
		if (!fwguard_gate_live_fns(f->batch))
			unregister_ftrace_function(ops);
		ftrace_set_filter_ip(ops, f->ip, 1, 0);
		pr_info("%s unloaded: %ps no longer hooked\n", mod->name, (void *)f->ip);
	}
	mutex_unlock(&fwguard_gate_lock);
	return NOTIFY_DONE;
}

static struct notifier_block fwguard_gate_nb = {
	.notifier_call = fwguard_gate_module_event,
};

/* bio_chain_endio() is static; learn its address from bio_chain() itself. */
static void fwguard_learn_chain_endio(void)
{
	struct bio parent, child;

	bio_init(&parent, NULL, NULL, 0, REQ_OP_WRITE);
	bio_init(&child, NULL, NULL, 0, REQ_OP_WRITE);
	bio_chain(&child, &parent);
	fwguard_chain_endio = child.bi_end_io;
	bio_uninit(&child);
	bio_uninit(&parent);
}

/**
 * fwguard_gate_init() - prepare the request gate
 *
 * Return: 0 or the errno of register_module_notifier().
 */
int fwguard_gate_init(void)
{
	fwguard_learn_chain_endio();
	return register_module_notifier(&fwguard_gate_nb);
}

/**
 * fwguard_gate_exit() - detach the request gate
 */
void fwguard_gate_exit(void)
{
	unregister_module_notifier(&fwguard_gate_nb);
	mutex_lock(&fwguard_gate_lock);
	if (fwguard_gate_live_fns(false))
		unregister_ftrace_function(&fwguard_queue_rq_ops);
	if (fwguard_gate_live_fns(true))
		unregister_ftrace_function(&fwguard_queue_rqs_ops);
	ftrace_free_filter(&fwguard_queue_rq_ops);
	ftrace_free_filter(&fwguard_queue_rqs_ops);
	fwguard_gate_nr_fns = 0;
	mutex_unlock(&fwguard_gate_lock);
	/* The hooks are gone; wait for readers still inside one. */
	synchronize_rcu();
	kfree(rcu_dereference_protected(fwguard_gate_table, 1));
	RCU_INIT_POINTER(fwguard_gate_table, NULL);
}
