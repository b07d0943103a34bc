// SPDX-License-Identifier: GPL-2.0-only
/*
 * boot-verify, mark-good and adopt (see boot.h): event sources of the A/B
 * state machine (abstate.c, STATE.md), which they reach with the device's
 * partitions and boot id.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tpm/tpm.h"
#include "userspace/common/fileio.h"
#include "userspace/common/log.h"
#include "userspace/lib/abstate.h"
#include "userspace/lib/boot.h"
#include "userspace/lib/bootctl.h"
#include "userspace/lib/bundle_io.h"
#include "userspace/lib/gate.h"
#include "userspace/lib/retire.h"
#include "userspace/lib/policy_load.h"
#include "userspace/lib/slots.h"

struct boot_ctx {
	const struct uc_config *cfg;
	struct bootctl bootloader;
	struct policy_conf pc;
	struct fwg_tpm *tpm;
	char boot_id[40];
};

/* SHA-256 of the first @len bytes of a slot's partition. */
static int hash_slot(void *arg, const struct pc_component *c, int idx, uint64_t len,
		     uint8_t digest[32])
{
	struct pc_partition part;
	int fd, err;

	err = pc_resolve("/sys/class/block", c->slot[idx].spec, &part);	/* logs */
	if (err)
		return err;
	fd = open(part.devnode, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fwg_log_error("cannot open %s: %s", part.devnode, strerror(errno));
		return err;
	}
	err = bundle_stream(fd, 0, len, -1, 0, digest);
	close(fd);
	if (err)
		fwg_log_error("%s: cannot read slot %s (%s): %s", c->name, c->slot[idx].name,
			      part.devnode, strerror(-err));
	return err;
}

static int slot_size(void *arg, const struct pc_component *c, int idx, uint64_t *len)
{
	struct pc_partition part;
	int err;

	err = pc_resolve("/sys/class/block", c->slot[idx].spec, &part);	/* logs */
	if (!err)
		*len = part.size_bytes;
	return err;
}

static int protect_active(void *arg, const struct pc_component *c, int idx)
{
	return uc_policy_protect_active(c, idx);
}

/* What the kernel committed for @ticket in this boot, by slot of @c. */
static int kernel_committed(void *arg, const struct pc_component *c, const uint8_t ticket[16],
			    int *idx, uint64_t *len, uint8_t digest[32])
{
	struct pc_partition part;
	dev_t devt;
	int err, i;

	err = gate_committed(ticket, &devt, len, digest);
	if (err <= 0)
		return err;
	*idx = -1;
	for (i = 0; i < 2; i++)
		if (!pc_resolve("/sys/class/block", c->slot[i].spec, &part) && part.devt == devt)
			*idx = i;
	return 1;
}

const struct ab_ops uc_device_ops = { .hash = hash_slot, .size = slot_size,
				      .protect_active = protect_active,
				      .committed = kernel_committed };

static void boot_machine(struct boot_ctx *b, struct ab_ctx *m, struct uc_step *step)
{
	memset(m, 0, sizeof(*m));
	m->state_dir = b->cfg->state_dir;
	m->pc = &b->pc;
	m->tpm = b->tpm;
	m->ops = &uc_device_ops;
	m->boot = &b->bootloader;
	m->step = step;
	snprintf(m->boot_id, sizeof(m->boot_id), "%s", b->boot_id);
}

static int boot_open(struct boot_ctx *b, struct uc_step *step)
{
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "read-policy");
	err = policy_conf_load(b->cfg->policy, &b->pc);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_BOOT, "bootloader-config");
	err = bootctl_from_config(&b->bootloader, b->cfg);	/* logs */
	if (!err)
		err = bootctl_check_component(&b->bootloader, &b->pc);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_FILE, "boot-id");
	err = boot_id(b->boot_id, sizeof(b->boot_id));
	if (err) {
		fwg_log_error("cannot read this boot's id: %s", strerror(-err));
		return err;
	}
	uc_step_enter(step, UC_SRC_TPM, "tpm-open");
	return uc_tpm_open(b->cfg, &b->tpm);
}

/*
 * The floor just passed the other slot's release: retire it (retire.h).
 * The confirmation stands either way, but a refusal other than "not due"
 * fails the command: the next policy load, which asks again, runs only in
 * a boot the bootloader may have given the superseded slot. 0 or -errno
 * (logged).
 */
static int retire_after_mark_good(struct boot_ctx *b, const struct pc_component *c,
				  struct uc_step *step)
{
	uint64_t floor;
	int err;

	uc_step_enter(step, UC_SRC_TPM, "floor-read");
	err = fwg_tpm_floor_read(b->tpm, &floor);	/* logs */
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_KERNEL, "retire");
	err = retire_superseded(b->cfg->state_dir, c, floor, true);
	return err < 0 ? err : 0;
}

typedef int (*component_fn)(struct ab_ctx *m, const struct pc_component *c,
			    struct uc_boot_component *out);

/* Every component, even after one failed; the first failure is returned. */
static int for_each_component(const struct uc_config *cfg, component_fn fn,
			      struct uc_boot_report *r, struct uc_step *step)
{
	struct boot_ctx b = { .cfg = cfg };
	struct uc_step here;
	struct ab_ctx m;
	unsigned int i;
	int err, first = 0;

	memset(r, 0, sizeof(*r));
	err = boot_open(&b, step);
	boot_machine(&b, &m, &here);
	for (i = 0; !err && i < b.pc.count; i++) {
		struct uc_boot_component *out = &r->component[r->count++];

		snprintf(out->name, sizeof(out->name), "%s", b.pc.component[i].name);
		out->err = fn(&m, &b.pc.component[i], out);
		if (fn == ab_mark_good && !out->err && out->marked_good)
			out->err = retire_after_mark_good(&b, &b.pc.component[i], &here);
		if (out->err && !first) {
			first = out->err;
			*step = here;
		}
	}
	if (!err && fn == ab_boot_verify && ab_boot_verify_done(&m) && !first) {
		first = -EIO;	/* logged */
		*step = here;
	}
	uc_tpm_report_timing(b.tpm);
	fwg_tpm_close(b.tpm);
	return err ? err : first;
}

int uc_boot_verify(const struct uc_config *cfg, struct uc_boot_report *r, struct uc_step *step)
{
	return for_each_component(cfg, ab_boot_verify, r, step);
}

int uc_mark_good(const struct uc_config *cfg, struct uc_boot_report *r, struct uc_step *step)
{
	return for_each_component(cfg, ab_mark_good, r, step);
}

int uc_adopt(const struct uc_config *cfg, const char *component, const char *slot,
	     uint64_t version, uint64_t length, const char *approval_path,
	     struct uc_step *step)
{
	struct boot_ctx b = { .cfg = cfg };
	struct fwg_tpm_approval approval;
	const struct pc_component *c;
	struct ab_ctx m;
	int err, idx;

	if (approval_path) {
		uc_step_enter(step, UC_SRC_INPUT, "read-approval");
		err = fwg_approval_read(approval_path, &approval);
		if (err) {
			fwg_log_error("%s: not a readable approval file (%s)", approval_path,
				      strerror(-err));
			return err;
		}
	}
	err = boot_open(&b, step);
	if (err)
		goto out;
	uc_step_enter(step, UC_SRC_USAGE, "find-component");
	c = policy_conf_find(&b.pc, component);
	idx = c ? pc_slot_index(c, slot) : -ENOENT;
	if (idx < 0) {
		fwg_log_error("%s: no component '%s' with a slot '%s' in %s", component,
			      component, slot, cfg->policy);
		err = -EINVAL;
		goto out;
	}
	boot_machine(&b, &m, step);
	m.approval = approval_path ? &approval : NULL;
	err = ab_adopt(&m, c, idx, version, length);
out:
	fwg_tpm_close(b.tpm);
	return err;
}
