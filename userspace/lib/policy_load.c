// SPDX-License-Identifier: GPL-2.0-only
/* This boot's partition policy into fwguard.ko (see policy_load.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fwguard.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tpm/tpm.h"
#include "userspace/common/cleanup.h"
#include "userspace/common/log.h"
#include "userspace/lib/policy_load.h"
#include "userspace/lib/runtime.h"
#include "userspace/lib/slots.h"

#define POLICY_SYSFS "/sys/class/misc/fwguard/policy"

static int read_floor(const struct uc_config *cfg, uint64_t *floor, struct uc_step *step)
{
	struct fwg_tpm *tpm;
	int err;

	uc_step_enter(step, UC_SRC_TPM, "tpm-open");
	err = uc_tpm_open(cfg, &tpm);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_TPM, "read-floor");
	err = fwg_tpm_floor_read(tpm, floor);
	fwg_tpm_close(tpm);
	if (err == FWG_TPM_E_NOT_PROVISIONED) {
		/* A device that never installed anything: no floor yet. */
		*floor = 0;
		return 0;
	}
	return err;
}

static int plan_component(const struct uc_config *cfg, const struct pc_component *c,
			  struct uc_policy_plan *p, struct uc_step *step)
{
	struct slot_state st;
	int s, booted, err;

	uc_step_enter(step, UC_SRC_STATE, "read-slot-state");
	err = slot_state_load(cfg->state_dir, c->name, &st);
	if (err)
		return err;
	booted = slot_state_booted(&st);
	uc_step_enter(step, UC_SRC_FILE, "find-partition");
	for (s = 0; s < 2; s++) {
		struct uc_policy_slot *ps = &p->slot[p->count++];

		ps->comp = c;
		ps->index = s;
		ps->active = s == booted;
		err = pc_resolve("/sys/class/block", c->slot[s].spec, &ps->part);	/* logs */
		if (err)
			return err;
	}
	return 0;
}

/* Resolve every slot and decide which one is active; changes nothing. */
static int policy_prepare(const struct uc_config *cfg, const uint64_t *floor,
			  struct uc_policy_plan *p, struct uc_step *step)
{
	unsigned int i;
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "read-policy");
	err = policy_conf_load(cfg->policy, &p->pc);
	for (i = 0; !err && i < p->pc.count; i++)
		err = plan_component(cfg, &p->pc.component[i], p, step);
	if (err)
		return err;
	if (floor) {
		p->floor = *floor;
		return 0;
	}
	return read_floor(cfg, &p->floor, step);
}

static const char *policy_kernel_error(int err)
{
	switch (err) {
	case EEXIST: return "overlaps a range protected with other bounds or component";
	case EPERM: return "would loosen the locked policy (or not root)";
	case ESTALE: return "floor below the one already loaded this boot";
	case ENOSPC: return "too many protected partitions";
	default: return strerror(err);
	}
}

static int protect_slot(int ctl, const struct uc_policy_slot *s)
{
	struct fwguard_protect req = {
		.size = sizeof(req),
		.flags = s->active ? FWGUARD_PROTECT_ACTIVE : 0,
		.dev_major = major(s->part.devt),
		.dev_minor = minor(s->part.devt),
	};
	int err;

	snprintf(req.component, sizeof(req.component), "%s", s->comp->name);
	if (!ioctl(ctl, FWGUARD_IOC_PROTECT, &req))
		return 0;
	err = -errno;
	fwg_log_error("policy: kernel refused %s slot %s (%s): %s", s->comp->name,
		      s->comp->slot[s->index].name, s->part.devnode, policy_kernel_error(-err));
	return err;
}

static int policy_apply(const struct uc_config *cfg, const struct uc_policy_plan *p,
			struct uc_step *step)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .floor = p->floor };
	_cleanup_close_ int ctl = -1;
	unsigned int i;
	int err = 0;

	uc_step_enter(step, UC_SRC_KERNEL, "set-identity");
	snprintf(pol.device_class, sizeof(pol.device_class), "%s", cfg->device_class);
	snprintf(pol.serial, sizeof(pol.serial), "%s", cfg->serial);
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		err = -errno;
		fwg_log_error("policy: cannot open %s: %s", FWGUARD_DEVICE, strerror(-err));
		return err;
	}
	if (ioctl(ctl, FWGUARD_IOC_POLICY, &pol)) {
		err = -errno;
		fwg_log_error("policy: kernel refused identity/floor: %s",
			      policy_kernel_error(-err));
		return err;
	}
	uc_step_enter(step, UC_SRC_KERNEL, "protect");
	for (i = 0; !err && i < p->count; i++)
		err = protect_slot(ctl, &p->slot[i]);
	return err;
}

int uc_policy_load(const struct uc_config *cfg, const uint64_t *floor,
		   struct uc_policy_plan *plan, struct uc_step *step)
{
	int err;

	memset(plan, 0, sizeof(*plan));
	err = policy_prepare(cfg, floor, plan, step);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_KERNEL, "load-module");
	err = uc_module_ensure();
	if (err)
		return err;
	return policy_apply(cfg, plan, step);
}

int uc_policy_read(char *buf, size_t size, struct uc_step *step)
{
	_cleanup_fclose_ FILE *f = NULL;
	size_t n;

	uc_step_enter(step, UC_SRC_KERNEL, "read-policy");
	f = fopen(POLICY_SYSFS, "re");
	if (!f) {
		fwg_log_error("policy: %s: %s (is fwguard.ko loaded?)", POLICY_SYSFS,
			      strerror(errno));
		return -errno;
	}
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	return 0;
}
