// SPDX-License-Identifier: GPL-2.0-only
/*
 * Install and verify of a bundle (see install.h), step by step. The
 * inputs come first: the bundle file is opened before the TPM is asked for
 * anything, and the module is loaded only for a verified bundle whose
 * slot is known, so a wrong path or a refused bundle is named as such.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
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
#include "userspace/lib/fetch_bundle.h"
#include "userspace/lib/gate.h"
#include "userspace/lib/bootctl.h"
#include "userspace/lib/install.h"
#include "userspace/lib/runtime.h"
#include "userspace/lib/slots.h"
#include "userspace/lib/ticket_log.h"

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
	if (!err && in->bt.total_len != in->size) {
		fwg_log_error("%s: file is %" PRIu64 " bytes, its header says %" PRIu64,
			      in->path, in->size, in->bt.total_len);
		err = -EBADMSG;
	}
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_VERIFY, "check-replay");
	return ticket_log_check(in->cfg->state_dir, in->bt.ticket.id);
}

/*
 * On a device with a vendor policy key, the release's approval (the file
 * BUNDLE.approval that `bundle create --policy-key` writes beside it) must
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
	err = fwg_approval_read(path, &in->approval);
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

/* The kernel verifies the ticket again, then writes and hashes every byte. */
static int install_write(struct install *in, bool progress, struct gate_result *res,
			 struct uc_step *step)
{
	int session, err;

	if (in->ab.resume) {	/* the slot holds the image already (abstate.c) */
		res->written = in->ab.image_len;
		memcpy(res->digest, in->ab.image_digest, sizeof(res->digest));
		return ab_install_start(&in->machine, &in->ab);
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

/* The inactive slot written and committed; on failure, say the active one is not touched. */
static int install_into_slot(struct install *in, bool progress, struct uc_install_result *out,
			     struct uc_step *step)
{
	struct gate_result res;
	int err;

	err = install_write(in, progress, &res, step);
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

static int install_run(struct install *in, bool progress, struct uc_install_result *out,
		       struct uc_step *step)
{
	int err;

	err = install_open(in, step);
	if (!err)
		err = install_read_floor(in, step);
	if (!err)
		err = install_verify(in, step);
	if (!err)
		err = install_approval(in, step);
	if (!err)
		err = install_choose_slot(in, step);
	if (!err) {
		uc_step_enter(step, UC_SRC_KERNEL, "load-module");
		err = uc_module_ensure();
	}
	if (!err)
		err = install_into_slot(in, progress, out, step);
	return err;
}

int uc_install(const struct uc_config *cfg, const char *source, bool progress,
	       struct uc_install_result *res, struct uc_step *step)
{
	_cleanup_(install_release) struct install in = { .cfg = cfg, .fd = -1, .path = source };
	char fetched[PATH_MAX];
	int err;

	if (strstr(source, "://")) {
		err = uc_fetch_bundle(cfg, source, NULL, progress, fetched, sizeof(fetched), NULL,
				      step);
		if (err)
			return err;
		in.path = fetched;
	}
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
