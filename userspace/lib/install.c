// SPDX-License-Identifier: GPL-2.0-only
/*
 * Install and verify of a bundle (see install.h), step by step. The
 * inputs come first: the bundle file is opened before the TPM is asked for
 * anything, and the module is loaded only for a verified bundle whose
 * slot is known, so a wrong path or a refused bundle is named as such.
 */
#define _GNU_SOURCE	/* memfd_create() */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tpm/tpm.h"
#include "userspace/common/cleanup.h"
#include "userspace/common/fileio.h"
#include "userspace/common/log.h"
#include "userspace/lib/abstate.h"
#include "userspace/lib/bundle_io.h"
#include "userspace/lib/bundle_verify.h"
#include "userspace/lib/fetch.h"
#include "userspace/lib/fetch_bundle.h"
#include "userspace/lib/gate.h"
#include "userspace/lib/bootctl.h"
#include "userspace/lib/install.h"
#include "userspace/lib/retire.h"
#include "userspace/lib/runtime.h"
#include "userspace/lib/slots.h"
#include "userspace/lib/ticket_log.h"
#include "userspace/lib/tls_key.h"

/* Everything one install or verify works with, released by install_release(). */
struct install {
	const struct uc_config *cfg;
	struct policy_conf pc;
	const struct pc_component *comp;
	struct ab_ctx machine;
	struct bootctl bootloader;
	struct ab_install ab;
	struct bundle_ticket bt;
	struct fwg_tpm_approval approval;	/* the release's, in vendor mode */
	struct pc_partition target_part;
	struct fwg_tpm *tpm;
	const char *path;
	int fd;
	int target;
	uint64_t size;
	uint64_t floor;
	/* A bundle streamed from a URL: header and ticket in memory (@fd), the
	 * approval fetched before it (or why none could be). */
	bool streaming;
	const uint8_t *approval_buf;
	size_t approval_len;
	int approval_err;
};

static void install_release(struct install *in)
{
	bundle_ticket_release(&in->bt);
	uc_tpm_report_timing(in->tpm);
	fwg_tpm_close(in->tpm);
	if (in->fd >= 0)
		close(in->fd);
}

static int install_open(struct install *in, struct uc_step *step)
{
	struct stat st;
	int err;

	uc_step_enter(step, UC_SRC_INPUT, "open-bundle");
	in->fd = open(in->path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0 || fstat(in->fd, &st) < 0) {
		err = -errno;
		fwg_log_error("cannot open %s: %s", in->path, strerror(errno));
		return err;
	}
	in->size = (uint64_t)st.st_size;
	return 0;
}

static int install_read_floor(struct install *in, struct uc_step *step)
{
	int err;

	uc_step_enter(step, UC_SRC_TPM, "tpm-open");
	err = uc_tpm_open(in->cfg, &in->tpm);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_TPM, "read-floor");
	return fwg_tpm_floor_read(in->tpm, &in->floor);
}

/* The ticket, verified against the trust store and device policy. */
static int install_verify(struct install *in, struct uc_step *step)
{
	struct ticket_policy policy = {
		.device_class = in->cfg->device_class,
		.serial = in->cfg->serial[0] ? in->cfg->serial : NULL,
		.version_floor = in->floor,
		.now = (uint64_t)time(NULL),
	};
	struct cms_trust *trust = NULL;
	int err;

	uc_step_enter(step, UC_SRC_VERIFY, "verify-ticket");
	err = cms_trust_load(in->cfg->trust, &trust);
	if (err)
		return err;
	err = bundle_ticket_read(in->fd, in->size, in->path, trust, &policy, &in->bt);
	cms_trust_free(trust);
	if (!err && !in->streaming && in->bt.total_len != in->size) {
		fwg_log_error("%s: file is %" PRIu64 " bytes, its header says %" PRIu64,
			      in->path, in->size, in->bt.total_len);
		err = -EBADMSG;
	}
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_VERIFY, "check-replay");
	return ticket_log_check(in->cfg->state_dir, in->bt.ticket.id);
}

/* The approval: beside the bundle file, or as fetched from beside its URL. */
static int install_approval_load(struct install *in, const char *path)
{
	if (!in->streaming)
		return fwg_approval_read(path, &in->approval);
	if (in->approval_err)
		return in->approval_err;
	return fwg_approval_decode(in->approval_buf, in->approval_len, &in->approval) ? -EBADMSG : 0;
}

/*
 * On a device with a vendor policy key, the release's approval (the file
 * BUNDLE.approval that `bundle create --policy-key` writes beside it, or
 * URL.approval for a streamed bundle) must
 * verify for the ticket's component, version and image before anything is
 * written: the record sealed at the end would otherwise never unseal.
 */
static int install_approval(struct install *in, struct uc_step *step)
{
	const struct fwg_vendor_key *key = fwg_tpm_vendor_key(in->tpm);
	struct fwg_tpm_subject release;
	char path[PATH_MAX];
	int err;

	if (!key)
		return 0;
	uc_step_enter(step, UC_SRC_VERIFY, "check-approval");
	if ((size_t)snprintf(path, sizeof(path), "%s.approval", in->path) >= sizeof(path))
		return -ENAMETOOLONG;
	err = install_approval_load(in, path);
	if (err) {
		fwg_log_error("%s: this device installs only vendor-approved releases, and "
			      "%s is %s", in->path, path, err == -ENOENT ? "missing" :
			      "not an approval file");
		return -ENOKEY;
	}
	memset(&release, 0, sizeof(release));
	snprintf(release.component, sizeof(release.component), "%s", in->bt.ticket.component);
	release.version = in->bt.ticket.security_version;
	memcpy(release.digest, in->bt.ticket.image_sha256, FWG_DIGEST_SIZE);
	if (in->approval.pcr != fwg_tpm_pcr_index(in->tpm)) {
		fwg_log_error("%s: %s approves PCR %u, this device measures into PCR %u",
			      in->path, path, in->approval.pcr, fwg_tpm_pcr_index(in->tpm));
		return -EKEYREJECTED;
	}
	err = fwg_approval_check(key, &in->approval, &release);
	if (err) {
		fwg_log_error("%s: %s is %s", in->path, path, err == -ENOKEY ?
			      "signed by another key than the vendor policy key" :
			      "not the vendor's approval of this release");
		return err == -ENOKEY ? -ENOKEY : -EKEYREJECTED;
	}
	in->machine.approval = &in->approval;
	return 0;
}

static int install_find_component(struct install *in, struct uc_step *step)
{
	const char *component = in->bt.ticket.component;
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "read-policy");
	err = policy_conf_load(in->cfg->policy, &in->pc);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_VERIFY, "find-component");
	in->comp = policy_conf_find(&in->pc, component);
	if (!in->comp) {
		fwg_log_error("%s: component '%s' is not in %s", in->path, component,
			      in->cfg->policy);
		return -EACCES;
	}
	uc_step_enter(step, UC_SRC_BOOT, "bootloader-config");
	err = bootctl_from_config(&in->bootloader, in->cfg);	/* logs */
	if (!err)
		err = bootctl_check_component(&in->bootloader, &in->pc);
	if (err)
		return err;
	in->machine.boot = &in->bootloader;
	in->machine.state_dir = in->cfg->state_dir;
	in->machine.pc = &in->pc;
	in->machine.tpm = in->tpm;
	in->machine.step = step;
	in->machine.ops = &uc_device_ops;
	/* An install from factory state records this boot (STATE.md). */
	uc_step_enter(step, UC_SRC_FILE, "boot-id");
	err = boot_id(in->machine.boot_id, sizeof(in->machine.boot_id));
	if (err) {
		fwg_log_error("cannot read this boot's id: %s", strerror(-err));
		return err;
	}
	return ab_install_plan_image(&in->machine, in->comp, in->bt.ticket.security_version,
				     in->bt.ticket.id,
				     in->bt.ticket.flags & FWGUARD_TICKET_F_RAISE_FLOOR,
				     in->bt.ticket.image_len, in->bt.ticket.image_sha256, &in->ab);
}

/* Which slot to write: the one not last good (abstate.c), if the image fits. */
static int install_choose_slot(struct install *in, struct uc_step *step)
{
	const struct pc_slot *slot;
	int err;

	err = install_find_component(in, step);
	if (err)
		return err;
	in->target = in->ab.target;
	slot = &in->comp->slot[in->target];
	uc_step_enter(step, UC_SRC_FILE, "find-partition");
	err = pc_resolve("/sys/class/block", slot->spec, &in->target_part);	/* logs */
	if (err)
		return err;
	if (in->bt.ticket.image_len > in->target_part.size_bytes) {
		fwg_log_error("image of %" PRIu64 " bytes does not fit slot %s (%" PRIu64 " bytes)",
			      in->bt.ticket.image_len, slot->name, in->target_part.size_bytes);
		return -ENOSPC;
	}
	return 0;
}

/* The kernel verifies the ticket again; the target is invalid from then on. */
static int install_session(struct install *in, struct uc_step *step)
{
	int session, err;

	if (in->ab.resume) {
		/* A stream would send the image again for a kernel that refuses it. */
		fwg_log_error("%s: an earlier install of this ticket was cut after its image "
			      "was written; install the bundle file to complete it", in->comp->name);
		return -EALREADY;
	}
	uc_step_enter(step, UC_SRC_GATE, "open-session");
	session = gate_begin(in->target_part.devt, in->bt.cms, in->bt.cms_len);
	if (session < 0)
		return session;
	err = ab_install_start(&in->machine, &in->ab);	/* target invalid from now on */
	if (err) {
		close(session);
		return err;
	}
	return session;
}

/* The kernel writes and hashes every byte, and compares at commit. */
static int install_write(struct install *in, bool progress, struct gate_result *res,
			 struct uc_step *step)
{
	int session;

	if (in->ab.resume) {	/* the slot holds the image already (abstate.c) */
		res->written = in->ab.image_len;
		memcpy(res->digest, in->ab.image_digest, sizeof(res->digest));
		return ab_install_start(&in->machine, &in->ab);
	}
	session = install_session(in, step);
	if (session < 0)
		return session;
	uc_step_enter(step, UC_SRC_GATE, "write-image");
	return gate_write_image(session, in->fd, bundle_image_offset(&in->bt.header),
				in->bt.header.image_len, progress, res);
}

/* Seal, commit the slot as pending, log the ticket (abstate.c). */
static int install_commit(struct install *in, const struct gate_result *res)
{
	return ab_install_commit(&in->machine, &in->ab, res->written, res->digest);
}

static void install_result(const struct install *in, const struct gate_result *res,
			   struct uc_install_result *out)
{
	snprintf(out->path, sizeof(out->path), "%s", in->path);
	snprintf(out->component, sizeof(out->component), "%s", in->comp->name);
	snprintf(out->slot, sizeof(out->slot), "%s", in->comp->slot[in->target].name);
	snprintf(out->devnode, sizeof(out->devnode), "%s", in->target_part.devnode);
	out->version = in->bt.ticket.security_version;
	out->length = res->written;
	memcpy(out->digest, res->digest, sizeof(out->digest));
}

/*
 * Keep the ticket of the image the kernel just committed, before the
 * commit point, so that a pending slot always has its ticket: RETIRE
 * needs it as the proof once this slot's release reaches the floor.
 */
static int install_keep_ticket(const struct install *in)
{
	return retire_ticket_save(in->cfg->state_dir, in->comp->name,
				  in->comp->slot[in->target].name, in->bt.cms, in->bt.cms_len);
}

/* The inactive slot written and committed; on failure, say the active one is not touched. */
static int install_into_slot(struct install *in, bool progress, struct uc_install_result *out,
			     struct uc_step *step)
{
	struct gate_result res;
	int err;

	err = install_write(in, progress, &res, step);
	if (!err)
		err = install_keep_ticket(in);
	if (!err)
		err = install_commit(in, &res);
	if (err) {
		fwg_log_error("install of %s failed at step %s; the active slot is unchanged",
			      in->path, step->name);
		return err;
	}
	install_result(in, &res, out);
	return 0;
}

/* Every check of a verified ticket before the kernel is asked, in this order. */
static int install_checks(struct install *in, struct uc_step *step)
{
	int err;

	err = install_verify(in, step);
	if (!err)
		err = install_approval(in, step);
	if (!err)
		err = install_choose_slot(in, step);
	if (!err) {
		uc_step_enter(step, UC_SRC_KERNEL, "load-module");
		err = uc_module_ensure();
	}
	return err;
}

static int install_run(struct install *in, bool progress, struct uc_install_result *out,
		       struct uc_step *step)
{
	int err;

	err = install_open(in, step);
	if (!err)
		err = install_read_floor(in, step);
	if (!err)
		err = install_checks(in, step);
	if (!err)
		err = install_into_slot(in, progress, out, step);
	return err;
}

/*
 * A bundle streamed from its URL (updatectl install https://...): the
 * header and ticket are gathered in memory and go through the checks of a
 * file install in the same order; only then is the session opened and the
 * image fed into it as it arrives, through two buffers: a writer thread
 * has the kernel hash and write one while the network fills the other.
 * Nothing of the bundle is written to disk: the kernel hashes what it
 * writes and refuses at commit what does not match the ticket.
 */
#define STREAM_CHUNK (256 * 1024)

/* The session's writer thread and the one buffer handed to it at a time. */
struct stream_writer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool running;
	bool stop;		/* abort: write nothing more */
	int session;
	const uint8_t *job;	/* being written; NULL when idle */
	size_t job_len;
	int err;		/* the first write's failure */
	uint64_t written;	/* image bytes the kernel took */
};

static void *writer_main(void *arg)
{
	struct stream_writer *w = arg;
	const uint8_t *buf;
	bool skip;
	size_t len;
	int err;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->job && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->job)
			break;
		buf = w->job;
		len = w->job_len;
		skip = w->stop || w->err;
		pthread_mutex_unlock(&w->lock);
		err = skip ? 0 : write_all(w->session, buf, len);
		pthread_mutex_lock(&w->lock);
		if (err)
			w->err = err;
		else if (!skip)
			w->written += len;
		w->job = NULL;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int writer_start(struct stream_writer *w, int session)
{
	int err;

	w->session = session;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	err = pthread_create(&w->thread, NULL, writer_main, w);
	if (err) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		return -err;
	}
	w->running = true;
	return 0;
}

/* Until the buffer handed over last is written; the first write's failure. */
static int writer_wait(struct stream_writer *w)
{
	int err;

	if (!w->running)
		return 0;
	pthread_mutex_lock(&w->lock);
	while (w->job)
		pthread_cond_wait(&w->cond, &w->lock);
	err = w->err;
	pthread_mutex_unlock(&w->lock);
	return err;
}

static int writer_submit(struct stream_writer *w, const uint8_t *buf, size_t len)
{
	int err = writer_wait(w);

	if (err)
		return err;
	pthread_mutex_lock(&w->lock);
	w->job = buf;
	w->job_len = len;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

static void writer_stop(struct stream_writer *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	w->running = false;
}

struct install_stream {
	struct install *in;
	struct uc_step *step;
	int session;		/* -1 until the checks passed */
	bool started;		/* the session was asked for */
	bool failed;		/* a check or the kernel refused (and logged) */
	uint64_t image_off;	/* 0 until the header is in */
	uint64_t total;		/* header + ticket + image, once verified */
	uint8_t *buf[2];	/* one filled here, one written by the writer */
	int cur;
	size_t fill;		/* bytes in buf[cur] */
	struct stream_writer writer;
};

/* Header and ticket are in: every check, then the session (install_run's order). */
static int stream_open_session(struct install_stream *s, uint64_t received)
{
	struct install *in = s->in;
	int session, err;

	in->size = received;
	err = install_checks(in, s->step);
	if (err)
		return err;
	s->started = true;
	session = install_session(in, s->step);
	if (session < 0)
		return session;
	s->session = session;
	err = writer_start(&s->writer, session);
	if (err)
		return err;
	s->total = in->bt.total_len;
	close(in->fd);	/* the ticket is in in->bt now */
	in->fd = -1;
	uc_step_enter(s->step, UC_SRC_NETWORK, "stream-image");
	return 0;
}

/* Bytes before the image: into memory until the ticket can be read whole. */
static int stream_ticket(struct install_stream *s, const uint8_t **buf, size_t *len,
			 uint64_t *off)
{
	uint8_t raw[BUNDLE_HEADER_LEN];
	struct bundle_header h;
	uint64_t need;
	size_t take;
	int err;

	for (;;) {
		need = s->image_off ? s->image_off : BUNDLE_HEADER_LEN;
		take = *len < need - *off ? *len : (size_t)(need - *off);
		err = bundle_pwrite_all(s->in->fd, *buf, take, *off);
		if (err)
			return err;
		*buf += take;
		*len -= take;
		*off += take;
		if (*off < need)
			return 0;	/* more bytes needed */
		if (s->image_off)
			return stream_open_session(s, *off);
		err = bundle_pread_exact(s->in->fd, raw, sizeof(raw), 0);
		if (err)
			return err;
		if (bundle_header_parse(raw, sizeof(raw), &h)) {
			s->in->size = *off;
			return install_verify(s->in, s->step) ?: -EBADMSG;	/* names it */
		}
		s->image_off = bundle_image_offset(&h);
	}
}

static int stream_write_failed(struct install_stream *s, int err)
{
	uc_step_enter(s->step, UC_SRC_GATE, "write-image");
	fwg_log_error("kernel refused image bytes at offset %" PRIu64 ": %s", s->writer.written,
		      gate_strerror(err, 0));
	return err;
}

/* buf[cur] to the writer; the other buffer, written by now, is filled next. */
static int stream_flush(struct install_stream *s)
{
	int err;

	if (!s->fill)
		return 0;
	err = writer_submit(&s->writer, s->buf[s->cur], s->fill);
	if (err)
		return stream_write_failed(s, err);
	s->cur = !s->cur;
	s->fill = 0;
	return 0;
}

/* Image bytes at bundle offset @off: through the buffer into the session. */
static int stream_image(struct install_stream *s, const uint8_t *buf, size_t len, uint64_t off)
{
	size_t take;
	int err;

	if (len > s->total - off) {
		fwg_log_error("%s: server sent more than the %" PRIu64 " bytes the ticket allows",
			      s->in->path, s->total);
		return -EFBIG;
	}
	while (len) {
		take = len < STREAM_CHUNK - s->fill ? len : STREAM_CHUNK - s->fill;
		memcpy(s->buf[s->cur] + s->fill, buf, take);
		s->fill += take;
		buf += take;
		len -= take;
		off += take;
		if (s->fill == STREAM_CHUNK || off == s->total) {
			err = stream_flush(s);
			if (err)
				return err;
		}
	}
	return 0;
}

/* fetch_sink_fn: the bundle's bytes in order, each once. */
static int64_t stream_sink(const uint8_t *buf, size_t len, uint64_t off, void *ctx)
{
	struct install_stream *s = ctx;
	int err = 0;

	if (s->session < 0)
		err = stream_ticket(s, &buf, &len, &off);
	if (!err && s->session >= 0 && len)
		err = stream_image(s, buf, len, off);
	if (err) {
		s->failed = true;
		return err;
	}
	return s->session >= 0 ? (int64_t)s->total : 0;
}

/*
 * Vendor mode: URL.approval, fetched whole before the bundle over the same
 * connection. Whether it is missing or not an approval is told at the step
 * check-approval, after the ticket, as for a file.
 */
static int stream_fetch_approval(struct install *in, const struct fetch_tls *tls,
				 const struct fetch_opts *opts, uint8_t *buf,
				 struct uc_step *step)
{
	char url[PATH_MAX];
	int err;

	if (!fwg_tpm_vendor_key(in->tpm))
		return 0;
	uc_step_enter(step, UC_SRC_NETWORK, "fetch-approval");
	if ((size_t)snprintf(url, sizeof(url), "%s.approval", in->path) >= sizeof(url))
		return -ENAMETOOLONG;
	err = fetch_to_memory(url, tls, opts, buf, FWG_APPROVAL_FILE_SIZE, &in->approval_len);
	if (err == -ENOENT || err == -EFBIG)
		in->approval_err = err;
	else if (err)
		return err;
	in->approval_buf = buf;
	return 0;
}

/* The stream, then the commit; the session is closed (aborted) on every failure. */
static int stream_run(struct install *in, struct install_stream *s, bool progress,
		      struct gate_result *res, struct uc_step *step)
{
	uint8_t approval[FWG_APPROVAL_FILE_SIZE];
	struct tls_key *key;
	struct fetch_opts opts;
	struct fetch_tls tls;
	int err;

	err = uc_fetch_open(in->cfg, progress, &tls, &opts, &key, step);
	if (err)
		return err;
	err = stream_fetch_approval(in, &tls, &opts, approval, step);
	if (!err) {
		uc_step_enter(step, UC_SRC_NETWORK, "download");
		err = fetch_to_sink(in->path, &tls, &opts, stream_sink, s);
	}
	/* The provider's TPM connection closes here; install's own goes on. */
	uc_fetch_close(&opts, key);
	if (err && !s->failed) {
		/* The server's side: a short file is a bad bundle, the rest the network's. */
		if (err == -EBADMSG)
			uc_step_enter(step, UC_SRC_VERIFY, "verify-ticket");
		else if (step->source != UC_SRC_NETWORK)
			uc_step_enter(step, UC_SRC_NETWORK, "download");
	}
	if (!err) {
		err = writer_wait(&s->writer);
		if (err)
			stream_write_failed(s, err);
	}
	writer_stop(&s->writer);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_GATE, "write-image");
	err = gate_commit(s->session, res);
	s->session = -1;
	return err;
}

static int install_stream(struct install *in, bool progress, struct uc_install_result *out,
			  struct uc_step *step)
{
	struct install_stream s = { .in = in, .step = step, .session = -1 };
	struct gate_result res;
	int err;

	in->streaming = true;
	uc_step_enter(step, UC_SRC_INPUT, "open-bundle");
	if (strncmp(in->path, "https://", 8)) {
		fwg_log_error("%s: only https:// URLs are accepted", in->path);
		return -EINVAL;
	}
	in->fd = memfd_create("fwguard-ticket", MFD_CLOEXEC);
	s.buf[0] = malloc(STREAM_CHUNK);
	s.buf[1] = malloc(STREAM_CHUNK);
	if (in->fd < 0 || !s.buf[0] || !s.buf[1]) {
		err = in->fd < 0 ? -errno : -ENOMEM;
		free(s.buf[0]);
		free(s.buf[1]);
		return err;
	}
	err = install_read_floor(in, step);
	if (!err)
		err = stream_run(in, &s, progress, &res, step);
	writer_stop(&s.writer);
	if (s.session >= 0)
		close(s.session);	/* nothing committed: the kernel aborts the session */
	free(s.buf[0]);
	free(s.buf[1]);
	if (!err)
		err = install_keep_ticket(in);
	if (!err)
		err = install_commit(in, &res);
	/* As for a file; a network failure has said it all in its one line. */
	if (err && s.started && step->source != UC_SRC_NETWORK)
		fwg_log_error("install of %s failed at step %s; the active slot is unchanged",
			      in->path, step->name);
	if (err)
		return err;
	install_result(in, &res, out);
	return 0;
}

int uc_install(const struct uc_config *cfg, const char *source, bool progress,
	       struct uc_install_result *res, struct uc_step *step)
{
	_cleanup_(install_release) struct install in = { .cfg = cfg, .fd = -1, .path = source };

	if (strstr(source, "://"))
		return install_stream(&in, progress, res, step);
	return install_run(&in, progress, res, step);
}

static int verify_image(struct install *in, struct uc_step *step)
{
	uint8_t digest[FWGUARD_SHA256_LEN];
	int err;

	uc_step_enter(step, UC_SRC_VERIFY, "hash-image");
	err = bundle_stream(in->fd, bundle_image_offset(&in->bt.header), in->bt.header.image_len,
			    -1, 0, digest);
	if (err)
		return err;
	if (memcmp(digest, in->bt.ticket.image_sha256, sizeof(digest))) {
		fwg_log_error("%s: image does not match the ticket's digest", in->path);
		return -EBADMSG;
	}
	return 0;
}

int uc_verify(const struct uc_config *cfg, const char *path, struct uc_verify_result *res,
	      struct uc_step *step)
{
	_cleanup_(install_release) struct install in = { .cfg = cfg, .fd = -1, .path = path };
	int err;

	err = install_open(&in, step);
	if (!err)
		err = install_read_floor(&in, step);
	if (!err)
		err = install_verify(&in, step);
	if (!err)
		err = install_approval(&in, step);
	if (!err)
		err = verify_image(&in, step);
	if (err)
		return err;
	snprintf(res->path, sizeof(res->path), "%s", path);
	res->ticket = in.bt.ticket;
	return 0;
}
