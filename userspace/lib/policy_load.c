// SPDX-License-Identifier: GPL-2.0-only
/* This boot's partition policy into fwguard.ko (see policy_load.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fwguard.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tpm/tpm.h"
#include "userspace/common/cleanup.h"
#include "userspace/common/hex.h"
#include "userspace/common/log.h"
#include "userspace/lib/abstate.h"
#include "userspace/lib/bootctl.h"
#include "userspace/lib/policy_load.h"
#include "userspace/lib/retire.h"
#include "userspace/lib/runtime.h"
#include "userspace/lib/slots.h"

#define POLICY_SYSFS "/sys/class/misc/fwguard/policy"
#define PRODUCTION_PARAM "/sys/module/fwguard/parameters/production"

/* The first failure and its step; loading goes on past it (fail closed). */
struct load_ctx {
	struct uc_step *step;
	struct uc_step first;
	int err;
	struct fwg_tpm *tpm;	/* NULL: not open (tpm_err) */
	int tpm_err;
};

static void load_note(struct load_ctx *l, int err)
{
	if (err && !l->err) {
		l->err = err;
		l->first = *l->step;
	}
}

/*
 * How the kernel protects partition @devnode for component @comp: 1
 * active, 0 inactive, -1 not (or no module).
 */
static int kernel_range(const char *devnode, const char *comp)
{
	char line[512], dev[64], want[PC_NAME_MAX + 16];
	_cleanup_fclose_ FILE *f = fopen(POLICY_SYSFS, "re");
	const char *base = strrchr(devnode, '/'), *at;
	int found = -1;

	base = base ? base + 1 : devnode;
	snprintf(want, sizeof(want), " component %s", comp);
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		at = strstr(line, want);
		if (sscanf(line, "range %63s", dev) != 1 || strcmp(dev, base) || !at)
			continue;
		at += strlen(want);
		if (*at && *at != ' ')
			continue;	/* another component's name begins with @comp */
		found = !strncmp(at, " active", 7);
	}
	return found;
}

static int read_floor(struct load_ctx *l, uint64_t *floor)
{
	uc_step_enter(l->step, UC_SRC_TPM, l->tpm ? "read-floor" : "tpm-open");
	if (!l->tpm)
		return l->tpm_err;
	/* decide_floor() says whether a missing index is an error here. */
	return fwg_tpm_floor_read_quiet(l->tpm, floor);
}

/* The last token of @line: the ticket id of an install or confirmation entry. */
static const char *last_word(const char *line)
{
	const char *sp = strrchr(line, ' ');

	return sp ? sp + 1 : line;
}

/*
 * The TPM-anchored journal (tpm/journal.c; root can append to it, never
 * remove an entry): 1 and the slot when @c's last install entry has no
 * confirmation from mark-good after it (an update pending, on trial, or
 * abandoned), 0 when it has or there is none (a journal never provisioned
 * records none: installs need it), or -errno (logged).
 */
static int journal_unconfirmed(const struct uc_config *cfg, struct load_ctx *l,
			       const struct pc_component *c, int *slot)
{
	char inst[256], good[256] = "", prefix[PC_NAME_MAX + 16], name[PC_NAME_MAX + 2];
	char dhex[2 * FWG_DIGEST_SIZE + 1] = "";
	uint8_t digest[FWG_DIGEST_SIZE];
	int err, s;

	uc_step_enter(l->step, UC_SRC_TPM, l->tpm ? "read-journal" : "tpm-open");
	if (!l->tpm)
		return l->tpm_err;
	snprintf(prefix, sizeof(prefix), "install %s", c->name);
	err = fwg_tpm_journal_find(l->tpm, prefix, inst, sizeof(inst));
	if (err == FWG_TPM_E_NOT_PROVISIONED || err == 0)
		return 0;
	if (err < 0)
		return err;
	snprintf(prefix, sizeof(prefix), "good %s", c->name);
	err = fwg_tpm_journal_find(l->tpm, prefix, good, sizeof(good));
	if (err < 0)
		return err;
	*slot = -1;
	if (sscanf(inst + strlen("install ") + strlen(c->name), " %32s %*s %*s %64s", name,
		   dhex) == 2 && !fwg_hex_decode_digest(dhex, digest))
		for (s = 0; s < 2; s++)
			if (!strcmp(name, c->slot[s].name))
				*slot = s;
	/* Root can append a good entry: it counts only with the quote of a
	 * boot that measured the installed image (mark-good keeps it). */
	if (err == 1 && !strcmp(last_word(good), last_word(inst)) && *slot >= 0 &&
	    !ab_confirmation_check(l->tpm, cfg->state_dir, c, good, digest, l->step))	/* logs */
		return 0;
	return 1;	/* an entry naming no slot of @c: both (slot -1) */
}

/* Factory state: no slot state file exists for any component. */
static bool factory_state(const struct uc_config *cfg, const struct policy_conf *pc)
{
	char path[PATH_MAX];
	struct stat st;
	unsigned int i;

	for (i = 0; i < pc->count; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/slots/%s", cfg->state_dir,
				     pc->component[i].name) >= sizeof(path))
			return false;
		if (!lstat(path, &st) || errno != ENOENT)
			return false;
	}
	return true;
}

/*
 * The bootloader, a third source (STATE.md "policy load"): for the
 * component it boots, the slot it says it booted (GRUB's and U-Boot's
 * fwguard.slot= on the kernel command line, which root cannot change in a
 * running kernel; the custom executable's answer) must be the one the
 * steady state @st says runs in this boot: its `booted` once boot-start
 * recorded this boot, else `active`. A recorded booted slot that is not
 * `active` is a fallback in this boot (`failed_boot`), or the state was
 * edited. 0: they agree, or no bootloader boots @c; -errno (logged, one
 * line) otherwise: then both slots are active.
 */
static int bootloader_disagrees(const struct uc_config *cfg, const struct pc_component *c,
				const struct slot_state *st, struct load_ctx *l)
{
	char this_boot[40];
	struct bootctl bc;
	int err, booted, claimed;
	bool recorded;

	if (!strcmp(cfg->bootloader, "none") || strcmp(cfg->boot_component, c->name))
		return 0;
	uc_step_enter(l->step, UC_SRC_BOOT, "booted-slot");
	err = bootctl_from_config(&bc, cfg);	/* logs */
	if (!err)
		err = bootctl_booted(&bc, &booted);	/* logs */
	if (!err)
		err = boot_id(this_boot, sizeof(this_boot));
	if (err)
		return err;
	recorded = !strcmp(st->boot, this_boot) && st->booted >= 0;
	claimed = recorded ? st->booted : st->active;
	if (claimed == booted &&
	    (claimed == st->active || !strcmp(st->failed_boot, this_boot)))
		return 0;
	uc_step_enter(l->step, UC_SRC_STATE, "check-bootloader");
	fwg_log_error("policy: %s: the bootloader booted slot %s, but the slot state says slot %s "
		      "%s: protecting both slots as active", c->name, c->slot[booted].name,
		      c->slot[claimed].name, recorded ? "booted (no fallback recorded)" : "runs");
	return -EBADMSG;
}

/*
 * Which slot is active; -1 (both) when the state cannot be read, and while
 * an update is pending or on trial: then the last good slot is the one the
 * bootloader falls back to, and the kernel refuses sessions on it until
 * reboot (an active flag is never cleared), even after mark-good.
 */
static int component_booted(const struct uc_config *cfg, const struct pc_component *c,
			    struct uc_policy_plan *p, struct load_ctx *l)
{
	struct slot_state st;
	int s, err;

	uc_step_enter(l->step, UC_SRC_STATE, "read-slot-state");
	err = slot_state_load(cfg->state_dir, c->name, &st);	/* logs */
	if (err) {
		fwg_log_error("policy: %s: no usable slot state: protecting both slots as active",
			      c->name);
		load_note(l, err);
		return -1;
	}
	for (s = 0; s < 2; s++)
		if ((st.slot[s].valid || st.slot[s].good) && st.slot[s].version > p->state_max)
			p->state_max = st.slot[s].version;
	if (st.trying >= 0 || st.pending >= 0)
		return -1;
	/*
	 * Steady by the state, which root can edit: the journal must not
	 * record an install into the slot the state says runs that mark-good
	 * never confirmed (an update on trial or pending made to look steady).
	 */
	err = journal_unconfirmed(cfg, l, c, &s);
	if (err < 0) {
		fwg_log_error("policy: %s: the TPM's journal cannot be read: protecting both "
			      "slots as active", c->name);
		load_note(l, err);
		return -1;
	}
	if (err && (s < 0 || s == slot_state_booted(&st))) {
		uc_step_enter(l->step, UC_SRC_STATE, "check-journal");
		fwg_log_error("policy: %s: the slot state says slot %s is confirmed, but the TPM's "
			      "journal records its install unconfirmed: protecting both slots as "
			      "active", c->name, c->slot[slot_state_booted(&st)].name);
		load_note(l, -EBADMSG);
		return -1;
	}
	err = bootloader_disagrees(cfg, c, &st, l);
	if (err) {
		load_note(l, err);
		return -1;
	}
	return slot_state_booted(&st);
}

/* A spec several partitions match: one line naming them all. */
static void log_ambiguous(const struct pc_component *c, int s, const struct pc_partition *parts,
			  unsigned int n)
{
	char names[UC_POLICY_MAX_MATCHES * 66] = "";
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < n && i < UC_POLICY_MAX_MATCHES; i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", i ? " " : "",
					parts[i].devnode);
	fwg_log_error("policy: %s slot %s: %s matches %u partitions (%s%s): all protected read-only",
		      c->name, c->slot[s].name, c->slot[s].spec, n, names,
		      n > UC_POLICY_MAX_MATCHES ? " and more, left unprotected" : "");
}

/*
 * Every partition a slot spec matches is protected: an ambiguous slot
 * (root can copy a PARTLABEL or PARTUUID to any disk) is protected on every
 * match, read-only, never left out.
 */
static void plan_slot(const struct pc_component *c, int s, bool active, struct uc_policy_plan *p,
		      struct load_ctx *l)
{
	struct pc_partition parts[UC_POLICY_MAX_MATCHES];
	unsigned int n, i;
	int err;

	err = pc_resolve_all("/sys/class/block", c->slot[s].spec, parts, UC_POLICY_MAX_MATCHES, &n);
	if (err == -ENOTUNIQ)
		log_ambiguous(c, s, parts, n);
	else if (err)
		fwg_log_error("policy: %s slot %s: no partition matches %s%s%s", c->name,
			      c->slot[s].name, c->slot[s].spec, err == -ENOENT ? "" : ": ",
			      err == -ENOENT ? "" : strerror(-err));
	load_note(l, err);
	if (n > UC_POLICY_MAX_MATCHES)
		n = UC_POLICY_MAX_MATCHES;
	for (i = 0; i < n || (!i && !n); i++) {
		struct uc_policy_slot *ps = &p->slot[p->count++];

		ps->comp = c;
		ps->index = s;
		ps->ambiguous = n > 1;
		ps->active = active || ps->ambiguous;
		ps->resolved = n > 0;
		if (n)
			ps->part = parts[i];
	}
}

static void plan_component(const struct uc_config *cfg, const struct pc_component *c,
			   struct uc_policy_plan *p, struct load_ctx *l)
{
	int s, booted;

	booted = component_booted(cfg, c, p, l);
	uc_step_enter(l->step, UC_SRC_FILE, "find-partition");
	for (s = 0; s < 2; s++)
		plan_slot(c, s, booted < 0 || s == booted, p, l);
}

/*
 * The boot loader's partitions, active always; bootloader = grub without
 * them is refused (root would write its own core.img and grub.cfg).
 */
static void plan_bootloader(const struct uc_config *cfg, struct uc_policy_plan *p,
			    struct load_ctx *l)
{
	unsigned int s;

	for (s = 0; s < p->pc.loader_parts; s++)
		plan_slot(&p->pc.bootloader, (int)s, true, p, l);
	if (p->pc.loader_parts || strcmp(cfg->bootloader, "grub"))
		return;
	uc_step_enter(l->step, UC_SRC_USAGE, "check-bootloader");
	fwg_log_error("policy: bootloader = grub, but %s names no boot loader partition to protect (e.g. 'bootloader core=PARTLABEL=bios_boot')",
		      cfg->policy);
	load_note(l, -EINVAL);
}

/* A TPM floor there is: --floor may only state one at least as high. */
static void floor_from_tpm(const uint64_t *given, uint64_t tpm_floor, struct uc_policy_plan *p,
			   struct load_ctx *l)
{
	p->floor = tpm_floor;
	if (!given || *given >= tpm_floor) {
		p->floor = given ? *given : tpm_floor;
		return;
	}
	uc_step_enter(l->step, UC_SRC_USAGE, "check-floor");
	fwg_log_error("policy: --floor %llu refused: below the TPM's version floor %llu, which is loaded instead",
		      (unsigned long long)*given, (unsigned long long)tpm_floor);
	load_note(l, -EINVAL);
}

/* The floor to load; outside factory state, a floor the TPM lacks is an error. */
static void decide_floor(const struct uc_config *cfg, const uint64_t *given,
			 struct uc_policy_plan *p, struct load_ctx *l)
{
	uint64_t tpm_floor = 0;
	int err;

	err = read_floor(l, &tpm_floor);
	if (!err) {
		floor_from_tpm(given, tpm_floor, p, l);
		return;
	}
	if (!p->factory || err != FWG_TPM_E_NOT_PROVISIONED) {
		if (err == FWG_TPM_E_NOT_PROVISIONED)
			fwg_log_error("policy: the TPM has no version floor index, and slots are installed (not factory state)");
		fwg_log_error("policy: the TPM's version floor is unknown: loading floor %llu%s",
			      (unsigned long long)(p->factory && given ? *given : p->state_max),
			      p->factory && given ? " (--floor, factory state)" :
			      " (the highest version the slot state records)");
		load_note(l, err);
	}
	if (given && p->factory) {
		p->floor = *given;
		return;
	}
	if (given)
		fwg_log_error("policy: --floor %llu refused: outside factory state it may only confirm or raise the TPM's floor, which cannot be read",
			      (unsigned long long)*given);
	p->floor = p->factory ? 0 : p->state_max;
}

/* Resolve every slot that can be, decide which are active and the floor. */
static int policy_prepare(const struct uc_config *cfg, const uint64_t *floor,
			  struct uc_policy_plan *p, struct load_ctx *l)
{
	unsigned int i;
	int err;

	uc_step_enter(l->step, UC_SRC_USAGE, "read-policy");
	err = policy_conf_load(cfg->policy, &p->pc);
	if (err)
		return err;	/* nothing to protect is known */
	p->factory = factory_state(cfg, &p->pc);
	/* One TPM context for the journal and the floor; a failure to open is
	 * reported by decide_floor(), and no journal is read then. */
	uc_step_enter(l->step, UC_SRC_TPM, "tpm-open");
	l->tpm_err = uc_tpm_open(cfg, &l->tpm);
	if (l->tpm_err)
		l->tpm = NULL;
	for (i = 0; i < p->pc.count; i++)
		plan_component(cfg, &p->pc.component[i], p, l);
	plan_bootloader(cfg, p, l);
	decide_floor(cfg, floor, p, l);
	fwg_tpm_close(l->tpm);
	l->tpm = NULL;
	return 0;
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

/*
 * When a slot is protected: first the slots one partition matches, then the
 * matches of an ambiguous slot on a disk that holds such a slot (the device's
 * disk: the kernel protects a PARTUUID once, so a copy elsewhere must not be
 * taken first), then the other matches.
 */
static unsigned int protect_pass(const struct uc_policy_plan *p, const struct uc_policy_slot *ps)
{
	unsigned int i;

	if (!ps->ambiguous)
		return 0;
	for (i = 0; i < p->count; i++)
		if (p->slot[i].resolved && !p->slot[i].ambiguous && ps->part.disk[0] &&
		    !strcmp(p->slot[i].part.disk, ps->part.disk))
			return 1;
	return 2;
}

/* Identity and floor, then every resolved slot, each failure noted. */
static void policy_apply(const struct uc_config *cfg, struct uc_policy_plan *p,
			 struct load_ctx *l)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .floor = p->floor };
	_cleanup_close_ int ctl = -1;
	unsigned int i, pass;
	int err;

	uc_step_enter(l->step, UC_SRC_KERNEL, "set-identity");
	snprintf(pol.device_class, sizeof(pol.device_class), "%s", cfg->device_class);
	snprintf(pol.serial, sizeof(pol.serial), "%s", cfg->serial);
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		load_note(l, -errno);
		fwg_log_error("policy: cannot open %s: %s", FWGUARD_DEVICE, strerror(errno));
		return;
	}
	if (ioctl(ctl, FWGUARD_IOC_POLICY, &pol)) {
		load_note(l, -errno);
		fwg_log_error("policy: kernel refused identity/floor: %s",
			      policy_kernel_error(errno));
	}
	uc_step_enter(l->step, UC_SRC_KERNEL, "protect");
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < p->count; i++) {
			if (!p->slot[i].resolved || protect_pass(p, &p->slot[i]) != pass)
				continue;
			/* Active once in this boot (an earlier load, a fallback):
			 * the kernel never clears it, so it is asked for again. */
			if (!p->slot[i].active &&
			    kernel_range(p->slot[i].part.devnode, p->slot[i].comp->name) == 1)
				p->slot[i].active = true;
			err = protect_slot(ctl, &p->slot[i]);
			p->slot[i].protected = !err;
			load_note(l, err);
		}
}

/*
 * Slot @idx of @c is the one the next boot runs (a fallback in this boot):
 * protect it as active now if the kernel protects it as inactive, so that
 * no session writes it before that boot (an active flag is never cleared).
 * Nothing when the module holds no policy for it: the next policy load
 * reads the slot state.
 */
int uc_policy_protect_active(const struct pc_component *c, int idx)
{
	struct uc_policy_slot ps = { .comp = c, .index = idx, .active = true, .resolved = true };
	_cleanup_close_ int ctl = -1;
	int err;

	if (access(POLICY_SYSFS, F_OK))
		return 0;
	err = pc_resolve("/sys/class/block", c->slot[idx].spec, &ps.part);	/* logs */
	if (err)
		return err;
	if (kernel_range(ps.part.devnode, c->name) != 0)
		return 0;	/* active already, or not protected by this policy */
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		err = -errno;
		fwg_log_error("policy: cannot open %s: %s", FWGUARD_DEVICE, strerror(errno));
		return err;
	}
	return protect_slot(ctl, &ps);	/* logs */
}

/* The loaded module refuses test-only tickets (production=1, its default). */
static bool module_production(void)
{
	_cleanup_fclose_ FILE *f = fopen(PRODUCTION_PARAM, "re");

	return f && fgetc(f) == 'Y';
}

/* The floor the kernel holds now (a lock request may not lower it). */
static uint64_t kernel_floor(void)
{
	_cleanup_fclose_ FILE *f = fopen(POLICY_SYSFS, "re");
	unsigned long long v = 0;
	char line[128];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "floor %llu", &v) == 1)
			break;
	return v;
}

/*
 * A load that failed (a configuration error, a slot not found) must not
 * leave a production module unlocked: lock it with whatever it protects
 * now, so that neither rmmod nor kexec ends protection before the reboot
 * that follows the repair.
 */
static void lock_after_failure(void)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .flags = FWGUARD_POLICY_LOCK };
	_cleanup_close_ int ctl = -1;

	if (access(FWGUARD_DEVICE, F_OK) || !module_production())
		return;
	pol.floor = kernel_floor();
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0 || ioctl(ctl, FWGUARD_IOC_POLICY, &pol))
		fwg_log_error("policy: cannot lock fwguard's policy after the failed load: %s",
			      strerror(errno));
}

int uc_policy_load(const struct uc_config *cfg, const uint64_t *floor,
		   struct uc_policy_plan *plan, struct uc_step *step)
{
	struct load_ctx l = { .step = step };
	int err;

	memset(plan, 0, sizeof(*plan));
	err = policy_prepare(cfg, floor, plan, &l);
	if (err) {
		lock_after_failure();
		return err;
	}
	uc_step_enter(step, UC_SRC_KERNEL, "load-module");
	err = uc_module_ensure();
	load_note(&l, err);
	if (!err)
		policy_apply(cfg, plan, &l);
	if (!l.err)	/* a slot the floor passed before a cut: retire it now (retire.h) */
		for (unsigned int i = 0; i < plan->pc.count; i++)
			retire_superseded(cfg->state_dir, &plan->pc.component[i], plan->floor,
					  false);
	if (l.err) {
		lock_after_failure();
		*step = l.first;
	}
	return l.err;
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
