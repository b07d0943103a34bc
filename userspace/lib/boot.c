// SPDX-License-Identifier: GPL-2.0-only
/*
 * boot-verify and mark-good (see boot.h). Every change of the A/B state
 * after install happens in this file; each is saved before the step that
 * depends on it, so a crash at any point leaves a state that boots.
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
#include "userspace/common/log.h"
#include "userspace/lib/boot.h"
#include "userspace/lib/bundle_io.h"
#include "userspace/lib/slots.h"

struct boot_ctx {
	const struct uc_config *cfg;
	struct policy_conf pc;
	struct fwg_tpm *tpm;
	char boot_id[40];
	double hash_s, tpm_started;	/* FWGUARD_TIMING: where the time goes */
	uint64_t hashed;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SHA-256 of the first @len bytes of a slot's partition. */
static int hash_slot(const struct pc_component *c, int idx, uint64_t len, uint8_t digest[32])
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
	return err;
}

static int boot_open(struct boot_ctx *b, struct uc_step *step)
{
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "read-policy");
	err = policy_conf_load(b->cfg->policy, &b->pc);
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

static void report_slot(struct uc_boot_component *out, const struct pc_component *c,
			const struct slot_state *s, int idx)
{
	snprintf(out->slot, sizeof(out->slot), "%s", c->slot[idx].name);
	out->version = s->slot[idx].version;
}

/* The other slot holds its good image still: boot it from now on. */
static bool other_slot_good(const struct pc_component *c, const struct slot_state *s, int other)
{
	const struct slot_record *rec = &s->slot[other];
	uint8_t digest[32];

	return rec->valid && rec->good && !hash_slot(c, other, rec->length, digest) &&
	       !memcmp(digest, rec->digest, sizeof(digest));
}

/* Fall back from the failed slot to the other one, if it is good. */
static int fall_back(struct boot_ctx *b, const struct pc_component *c, struct slot_state *s,
		     int failed, struct uc_boot_component *out, struct uc_step *step)
{
	int other = 1 - failed, err;

	s->verified_boot[0] = '\0';
	/* The slot no longer holds what was recorded: never boot it again. */
	s->slot[failed].valid = false;
	s->slot[failed].good = false;
	if (s->trying == failed) {
		s->trying = -1;
	} else if (other_slot_good(c, s, other)) {
		s->active = other;
	} else {
		uc_step_enter(step, UC_SRC_VERIFY, "fall-back");
		slot_state_save(b->cfg->state_dir, s);
		fwg_log_error("%s: slot %s failed verification and slot %s holds no good "
			      "image: no slot to fall back to", c->name, c->slot[failed].name,
			      c->slot[other].name);
		return -EKEYREJECTED;
	}
	uc_step_enter(step, UC_SRC_FILE, "save-slot-state");
	err = slot_state_save(b->cfg->state_dir, s);
	if (err)
		return err;
	fwg_log_error("%s: slot %s does not match its sealed measurement (tampered or "
		      "incomplete); falling back to slot %s (version %" PRIu64 "); reboot to "
		      "boot it", c->name, c->slot[failed].name, c->slot[s->active].name,
		      s->slot[s->active].version);
	out->fell_back = true;
	report_slot(out, c, s, s->active);
	return 0;
}

/* Hash the booted slot into @subject and extend the PCR with it. */
static int measure_booted(struct boot_ctx *b, const struct pc_component *c, int idx,
			  const struct slot_record *rec, struct fwg_tpm_subject *subject,
			  struct uc_step *step)
{
	double t0 = now_s();
	int err;

	subject->version = rec->version;
	snprintf(subject->component, sizeof(subject->component), "%s", c->name);
	snprintf(subject->slot, sizeof(subject->slot), "%s", c->slot[idx].name);
	uc_step_enter(step, UC_SRC_FILE, "hash-slot");
	err = hash_slot(c, idx, rec->length, subject->digest);
	if (err)
		return err;
	b->tpm_started = now_s();
	b->hash_s = b->tpm_started - t0;
	b->hashed = rec->length;
	uc_step_enter(step, UC_SRC_TPM, "measure");
	return fwg_tpm_measure(b->tpm, subject);
}

/* Unsealing succeeds only when the PCR holds what install predicted. */
static int unseal_booted(struct boot_ctx *b, const struct pc_component *c, int idx,
			 const struct fwg_tpm_subject *subject, struct uc_step *step)
{
	struct fwg_tpm_subject sealed;
	int err;

	uc_step_enter(step, UC_SRC_TPM, "unseal");
	err = fwg_tpm_unseal_verify(b->tpm, c->name, c->slot[idx].name, subject->digest, &sealed);
	if (!err && strcmp(sealed.slot, c->slot[idx].name))
		err = FWG_TPM_E_PCR_MISMATCH;	/* sealed for the other slot */
	if (getenv("FWGUARD_TIMING"))	/* for the benchmark */
		fprintf(stderr, "timing: %s hash %.3f s, tpm %.3f s (%" PRIu64 " bytes)\n",
			c->slot[idx].name, b->hash_s, now_s() - b->tpm_started, b->hashed);
	return err;
}

static int verify_booted(struct boot_ctx *b, const struct pc_component *c, struct slot_state *s,
			 struct uc_boot_component *out, struct uc_step *step)
{
	int idx = slot_state_booted(s), err;
	struct fwg_tpm_subject subject;

	if (!s->slot[idx].valid) {
		fwg_log_error("%s: slot %s holds no installed image to verify", c->name,
			      c->slot[idx].name);
		return fall_back(b, c, s, idx, out, step);
	}
	err = measure_booted(b, c, idx, &s->slot[idx], &subject, step);
	if (err)
		return err;
	err = unseal_booted(b, c, idx, &subject, step);
	if (err == FWG_TPM_E_UNAVAILABLE)
		return err;
	if (err)
		return fall_back(b, c, s, idx, out, step);
	snprintf(s->verified_boot, sizeof(s->verified_boot), "%s", b->boot_id);
	uc_step_enter(step, UC_SRC_FILE, "save-slot-state");
	err = slot_state_save(b->cfg->state_dir, s);
	if (err)
		return err;
	out->verified = true;
	out->trial = s->trying == idx;
	report_slot(out, c, s, idx);
	return 0;
}

/* An unconfirmed trial reverts; a pending slot is tried, exactly once. */
static int boot_verify_component(struct boot_ctx *b, const struct pc_component *c,
				 struct uc_boot_component *out, struct uc_step *step)
{
	struct slot_state s;
	int err;

	uc_step_enter(step, UC_SRC_STATE, "read-slot-state");
	err = slot_state_load(b->cfg->state_dir, c->name, &s);
	if (err)
		return err;
	if (s.trying >= 0) {
		fwg_log_error("%s: trial of slot %s was never confirmed; back to slot %s",
			      c->name, c->slot[s.trying].name, c->slot[s.active].name);
		s.trying = -1;
		out->fell_back = true;
	}
	if (s.pending >= 0) {
		/* Boot once: a crash during the trial must not retry it. */
		s.trying = s.pending;
		s.pending = -1;
	}
	s.verified_boot[0] = '\0';
	uc_step_enter(step, UC_SRC_FILE, "save-slot-state");
	err = slot_state_save(b->cfg->state_dir, &s);
	if (err)
		return err;
	return verify_booted(b, c, &s, out, step);
}

static int mark_good_component(struct boot_ctx *b, const struct pc_component *c,
			       struct uc_boot_component *out, struct uc_step *step)
{
	struct slot_state s;
	uint64_t floor;
	int idx, err;

	uc_step_enter(step, UC_SRC_STATE, "read-slot-state");
	err = slot_state_load(b->cfg->state_dir, c->name, &s);
	if (err)
		return err;
	if (s.trying < 0)
		return 0;	/* nothing on trial */
	idx = s.trying;
	if (strcmp(s.verified_boot, b->boot_id)) {
		uc_step_enter(step, UC_SRC_VERIFY, "check-verified");
		fwg_log_error("%s: slot %s has not been verified in this boot; run "
			      "'updatectl boot-verify' first", c->name, c->slot[idx].name);
		return -EKEYREJECTED;
	}
	/* Floor first: a crash before the state is saved leaves a trial that is
	 * reverted at the next boot, and the old slot still boots. */
	uc_step_enter(step, UC_SRC_TPM, "raise-floor");
	err = fwg_tpm_floor_raise(b->tpm, s.slot[idx].version, &floor);
	if (err && err != FWG_TPM_E_STALE)
		return err;
	s.active = idx;
	s.trying = -1;
	s.slot[idx].good = true;
	uc_step_enter(step, UC_SRC_FILE, "save-slot-state");
	err = slot_state_save(b->cfg->state_dir, &s);
	if (err)
		return err;
	out->marked_good = true;
	report_slot(out, c, &s, idx);
	return 0;
}

typedef int (*component_fn)(struct boot_ctx *b, const struct pc_component *c,
			    struct uc_boot_component *out, struct uc_step *step);

/* Every component, even after one failed; the first failure is returned. */
static int for_each_component(const struct uc_config *cfg, component_fn fn,
			      struct uc_boot_report *r, struct uc_step *step)
{
	struct boot_ctx b = { .cfg = cfg };
	struct uc_step here;
	unsigned int i;
	int err, first = 0;

	memset(r, 0, sizeof(*r));
	err = boot_open(&b, step);
	for (i = 0; !err && i < b.pc.count; i++) {
		struct uc_boot_component *out = &r->component[r->count++];

		snprintf(out->name, sizeof(out->name), "%s", b.pc.component[i].name);
		out->err = fn(&b, &b.pc.component[i], out, &here);
		if (out->err && !first) {
			first = out->err;
			*step = here;
		}
	}
	fwg_tpm_close(b.tpm);
	return err ? err : first;
}

int uc_boot_verify(const struct uc_config *cfg, struct uc_boot_report *r, struct uc_step *step)
{
	return for_each_component(cfg, boot_verify_component, r, step);
}

int uc_mark_good(const struct uc_config *cfg, struct uc_boot_report *r, struct uc_step *step)
{
	return for_each_component(cfg, mark_good_component, r, step);
}
