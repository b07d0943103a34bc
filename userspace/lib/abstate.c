// SPDX-License-Identifier: GPL-2.0-only
/*
 * The A/B update state machine (see abstate.h and STATE.md, which this
 * file follows step by step). Each persistent write goes through
 * ab_persist() first, the one place where the host tests cut the power.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "userspace/common/fileio.h"
#include "userspace/common/hex.h"
#include "userspace/common/log.h"
#include "userspace/lib/abstate.h"
#include "userspace/lib/attest_verify.h"
#include "userspace/lib/bootctl.h"
#include "userspace/lib/ticket_log.h"

#ifdef FWGUARD_TEST_CUT
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * Test builds only (build/tests/e2e/updatectl-cut; build/bin/updatectl is
 * compiled without FWGUARD_TEST_CUT and holds none of this): a real power
 * cut before this process's persistent write number $FWGUARD_TEST_CUT (or
 * the first one of that name, as ab_persist() names it).
 * Every earlier write reached the disk (each is fsynced); this one never
 * starts. The file $FWGUARD_TEST_CUT_FILE (on the guest's result share) is
 * created, the harness (tests/vm/run --kill-when) kills QEMU on seeing it,
 * and meanwhile the process waits, so nothing after the cut point runs.
 */
static void test_cut(const char *what)
{
	static int writes;
	const char *at = getenv("FWGUARD_TEST_CUT"), *file = getenv("FWGUARD_TEST_CUT_FILE");
	int fd, i;

	if (!at || !file)
		return;
	/* A number counts the writes; a name stops at the first write of it. */
	if (++writes != atoi(at) && strcmp(at, what))
		return;
	fwg_log_error("test power cut before persistent write %d (%s)", writes, what);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	for (i = 0; i < 120; i++)
		sleep(1);
	fwg_log_error("test power cut: still running 120 s after the cut");
	_exit(125);
}
#endif

/* Every persistent write of the state machine comes here first; @what names it. */
static int ab_persist(struct ab_ctx *ctx, const char *what)
{
#ifdef FWGUARD_TEST_CUT
	test_cut(what);
#endif
	if (ctx->cut_at && ++ctx->persists >= ctx->cut_at)
		return AB_E_CUT;
	return 0;
}

#define STEP(ctx, src, name) uc_step_enter((ctx)->step, UC_SRC_##src, name)

static int ab_save(struct ab_ctx *ctx, const struct slot_state *s)
{
	int err = ab_persist(ctx, "save-slot-state");

	STEP(ctx, FILE, "save-slot-state");
	return err ? err : slot_state_save(ctx->state_dir, s);
}

/* The bootloader when it boots @c's slots, else NULL (STATE.md "bootloader"). */
static const struct bootctl *boot_of(const struct ab_ctx *ctx, const struct pc_component *c)
{
	const struct bootctl *bc = ctx->boot;

	return bc && bc->kind != BOOTCTL_NONE && !strcmp(bc->component, c->name) ? bc : NULL;
}

enum boot_write { BOOT_TRIAL, BOOT_GOOD, BOOT_BAD };

/*
 * Before one write of the bootloader's record (a persistent write like a
 * save): *bc is @c's bootloader, NULL when none boots it (nothing to write).
 */
static int boot_begin(struct ab_ctx *ctx, const struct pc_component *c,
		      const struct bootctl **bc)
{
	int err;

	*bc = boot_of(ctx, c);
	if (!*bc)
		return 0;
	err = ab_persist(ctx, "write-bootloader");
	STEP(ctx, BOOT, "write-bootloader");
	return err;
}

static int boot_write(struct ab_ctx *ctx, const struct pc_component *c, enum boot_write w,
		      int slot)
{
	const struct bootctl *bc;
	int err = boot_begin(ctx, c, &bc);

	if (err || !bc)
		return err;
	if (w == BOOT_TRIAL)
		return bootctl_set_trial(bc, slot, bc->tries);
	return w == BOOT_GOOD ? bootctl_mark_good(bc, slot) : bootctl_mark_bad(bc, slot);
}

/* The fallback from @f to the other slot, one write of the bootloader's record. */
static int boot_fall_back(struct ab_ctx *ctx, const struct pc_component *c, int f, bool good)
{
	const struct bootctl *bc;
	int err = boot_begin(ctx, c, &bc);

	return err || !bc ? err : bootctl_fall_back(bc, f, good);
}

/* A transient TPM failure the tests inject, else 0. */
static int ab_fault(struct ab_ctx *ctx)
{
	if (ctx->fault_eio <= 0)
		return 0;
	ctx->fault_eio--;
	fwg_log_error("tpm: injected transient failure");
	return -EIO;
}

/*
 * The loop of a TPM step retried on a transient failure: true while the
 * step should be tried (again), at most AB_TPM_ATTEMPTS times. Start with
 * *attempt = 0 and *err = -EIO; the step sets *err. Only steps that can be
 * repeated without effect once done use it (reads, the seal, raising the
 * floor to a value); the extend never does.
 */
static bool tpm_try_again(struct ab_ctx *ctx, int *attempt, int *err)
{
	while (*attempt < AB_TPM_ATTEMPTS && *err == -EIO) {
		(*attempt)++;
		*err = ab_fault(ctx);
		if (!*err)
			return true;
	}
	return false;
}

static int floor_read(struct ab_ctx *ctx, uint64_t *floor)
{
	int err = -EIO, i = 0;

	STEP(ctx, TPM, "read-floor");
	while (tpm_try_again(ctx, &i, &err))
		err = fwg_tpm_floor_read(ctx->tpm, floor);
	return err;
}

/*
 * Raise the floor to @version in steps the TPM layer accepts, with the
 * vendor's floor approval of slot @idx's release (tpm/TPM.md "Raising the
 * floor only with the vendor's signature"; ignored without a vendor key).
 */
static const struct fwg_tpm_approval *slot_approval(struct ab_ctx *ctx,
						    const struct fwg_tpm_subject *sub,
						    struct fwg_tpm_approval *kept);
static void subject_of(const struct pc_component *c, const struct slot_state *s, int idx,
		       struct fwg_tpm_subject *sub);

static int floor_raise(struct ab_ctx *ctx, uint64_t version, const struct pc_component *c,
		       const struct slot_state *s, int idx)
{
	const struct fwg_tpm_approval *approval;
	struct fwg_tpm_approval kept;
	struct fwg_tpm_subject sub;
	uint64_t cur, step;
	int err, i;

	subject_of(c, s, idx, &sub);
	approval = slot_approval(ctx, &sub, &kept);
	err = floor_read(ctx, &cur);
	while (!err && cur < version) {
		step = version - cur > FWG_TPM_FLOOR_MAX_STEP ? cur + FWG_TPM_FLOOR_MAX_STEP :
								  version;
		err = ab_persist(ctx, "raise-floor");
		if (err)
			break;
		STEP(ctx, TPM, "raise-floor");
		err = -EIO;
		i = 0;
		while (tpm_try_again(ctx, &i, &err))
			err = fwg_tpm_floor_raise_approved(ctx->tpm, step, approval,
							   sub.version, &cur);
		if (!err)
			cur = step;
	}
	return err;
}

bool ab_factory(const struct ab_ctx *ctx, const struct pc_component *c)
{
	return !slot_state_exists(ctx->state_dir, c->name);
}

static int comp_index(const struct ab_ctx *ctx, const struct pc_component *c)
{
	return (int)(c - ctx->pc->component);
}

/* The slot the next boot runs. */
static int next_boot_slot(const struct slot_state *s)
{
	return s->pending >= 0 ? s->pending : s->active;
}

/*
 * The slot that runs in this boot: the one its boot-start chose. A fallback
 * changes what the next boot runs, never what this one runs. The one place
 * to ask the bootloader once it reports the booted slot.
 */
static int booted_slot(const struct ab_ctx *ctx, const struct slot_state *s)
{
	if (!strcmp(s->boot, ctx->boot_id) && s->booted >= 0)
		return s->booted;
	return slot_state_booted(s);
}

/*
 * This boot runs the factory image: an install from factory state wrote
 * the state in it, with no booted slot. Its boot-start never happens; the
 * slot installed is tried at the next boot.
 */
static bool factory_boot(const struct ab_ctx *ctx, const struct slot_state *s)
{
	return !strcmp(s->boot, ctx->boot_id) && s->booted < 0;
}

/*
 * Done with this boot: verified, or its booted slot failed (never measured
 * again), or it runs the factory image (never measured).
 */
static bool boot_settled(const struct ab_ctx *ctx, const struct slot_state *s)
{
	return !strcmp(s->boot, ctx->boot_id) && (!strcmp(s->verified_boot, ctx->boot_id) ||
						  !strcmp(s->failed_boot, ctx->boot_id) ||
						  s->booted < 0);
}

/* An earlier component's slot that adds nothing to the PCR chain. */
#define CHAIN_SKIP	2

/*
 * Which slot of the earlier component @o (state @s) is in the PCR chain
 * before component @k: a slot index, CHAIN_SKIP, or a negative errno.
 */
typedef int (*chain_pick)(struct ab_ctx *ctx, int k, const struct pc_component *o,
			  const struct slot_state *s, bool strict);

/* The digests of the chain before component @k, in policy order. */
static int chain_collect(struct ab_ctx *ctx, int k, chain_pick pick, bool strict,
			 uint8_t (*earlier)[FWG_DIGEST_SIZE], size_t *n)
{
	struct slot_state s;
	int j, idx;

	*n = 0;
	for (j = 0; j < k; j++) {
		const struct pc_component *o = &ctx->pc->component[j];

		if (ab_factory(ctx, o))
			continue;
		idx = slot_state_load(ctx->state_dir, o->name, &s);
		if (!idx)
			idx = pick(ctx, k, o, &s, strict);
		if (idx < 0)
			return idx;
		if (idx == CHAIN_SKIP)
			continue;
		if (*n >= FWG_TPM_EARLIER_MAX)
			return -E2BIG;
		memcpy(earlier[(*n)++], s.slot[idx].digest, FWG_DIGEST_SIZE);
	}
	return 0;
}

/* At the next boot: the slot it runs, if valid. */
static int pick_next_boot(struct ab_ctx *ctx, int k, const struct pc_component *o,
			  const struct slot_state *s, bool strict)
{
	int nb = next_boot_slot(s);

	return s->slot[nb].valid ? nb : CHAIN_SKIP;
}

/*
 * In this boot: the booted slot of a component measured in this boot, or
 * (not yet settled) still to be measured. @strict, for the extend itself:
 * a component not settled in this boot holds @k back (-EAGAIN, logged),
 * since extending now would leave its unseal no PCR state to succeed in
 * (finding 4).
 */
static int pick_this_boot(struct ab_ctx *ctx, int k, const struct pc_component *o,
			  const struct slot_state *s, bool strict)
{
	int b = booted_slot(ctx, s);

	if (strict && !boot_settled(ctx, s)) {
		fwg_log_error("%s: not measured: %s, measured before it into the PCR, has "
			      "not completed boot-verify in this boot; run boot-verify "
			      "again", ctx->pc->component[k].name, o->name);
		return -EAGAIN;
	}
	if (strcmp(s->measured_boot, ctx->boot_id) && (boot_settled(ctx, s) || !s->slot[b].valid))
		return CHAIN_SKIP;
	return b;
}

/* The digests boot-verify extends into the PCR before component @k. */
static int chain_before(struct ab_ctx *ctx, int k, uint8_t (*earlier)[FWG_DIGEST_SIZE],
			size_t *n)
{
	return chain_collect(ctx, k, pick_next_boot, false, earlier, n);
}

/* The digests extended into the PCR before component @k in this boot. */
static int boot_chain(struct ab_ctx *ctx, int k, bool strict,
		      uint8_t (*earlier)[FWG_DIGEST_SIZE], size_t *n)
{
	return chain_collect(ctx, k, pick_this_boot, strict, earlier, n);
}

static void subject_of(const struct pc_component *c, const struct slot_state *s, int idx,
		       struct fwg_tpm_subject *sub)
{
	memset(sub, 0, sizeof(*sub));
	snprintf(sub->component, sizeof(sub->component), "%s", c->name);
	snprintf(sub->slot, sizeof(sub->slot), "%s", c->slot[idx].name);
	sub->version = s->slot[idx].version;
	memcpy(sub->digest, s->slot[idx].digest, FWG_DIGEST_SIZE);
}

/*
 * The vendor's approval for @sub (tpm/TPM.md "Vendor-authorised sealing"):
 * the one given with this install or adoption, else the one the slot's
 * record holds when it is for the same release (a reseal). NULL: none,
 * or the device takes no approvals; sealing then refuses in vendor mode.
 */
static const struct fwg_tpm_approval *slot_approval(struct ab_ctx *ctx,
						    const struct fwg_tpm_subject *sub,
						    struct fwg_tpm_approval *kept)
{
	const struct fwg_vendor_key *key = fwg_tpm_vendor_key(ctx->tpm);
	struct fwg_tpm_sealed_info info;

	if (!key)
		return NULL;
	if (ctx->approval && !fwg_approval_check(key, ctx->approval, sub))
		return ctx->approval;
	if (fwg_sealed_info_read(ctx->state_dir, sub->component, sub->slot, &info) ||
	    !info.authorized || fwg_approval_check(key, &info.approval, sub))
		return NULL;
	*kept = info.approval;
	return kept;
}

/* Seal slot @idx's record, predicting the PCR after the earlier components. */
static int seal_slot(struct ab_ctx *ctx, const struct pc_component *c,
		     const struct slot_state *s, int idx)
{
	uint8_t earlier[FWG_TPM_EARLIER_MAX][FWG_DIGEST_SIZE];
	const struct fwg_tpm_approval *approval;
	struct fwg_tpm_approval kept;
	struct fwg_tpm_subject sub;
	size_t n;
	int err, i;

	err = chain_before(ctx, comp_index(ctx, c), earlier, &n);
	if (!err)
		err = ab_persist(ctx, "seal");
	subject_of(c, s, idx, &sub);
	approval = slot_approval(ctx, &sub, &kept);
	if (!err && approval && n) {
		/* The vendor predicts from a PCR at zero: first component only. */
		fwg_log_error("%s: a vendor-approved record needs the component measured "
			      "first into its PCR (give it a PCR of its own)", c->name);
		err = -EOPNOTSUPP;
	}
	if (err)
		return err;
	STEP(ctx, TPM, "seal");
	err = -EIO;
	i = 0;
	while (tpm_try_again(ctx, &i, &err)) {
		if (approval)
			err = fwg_tpm_seal_approved(ctx->tpm, &sub, approval);
		else
			err = fwg_tpm_seal_after(ctx->tpm, &sub,
						 (const uint8_t (*)[FWG_DIGEST_SIZE])earlier, n);
	}
	return err;
}

/*
 * Slot @i's record is the one an unfinished boot-verify of @c still needs in
 * this boot: @c's booted slot, not settled, sealed to this boot's chain.
 */
static bool needed_this_boot(struct ab_ctx *ctx, const struct pc_component *c,
			     const struct slot_state *s, int i,
			     const struct fwg_tpm_sealed_info *info)
{
	uint8_t earlier[FWG_TPM_EARLIER_MAX][FWG_DIGEST_SIZE], want[FWG_DIGEST_SIZE];
	size_t n;

	if (strcmp(s->boot, ctx->boot_id) || boot_settled(ctx, s) || i != booted_slot(ctx, s))
		return false;
	if (boot_chain(ctx, comp_index(ctx, c), false, earlier, &n) ||
	    fwg_tpm_predict_boot_pcr_after((const uint8_t (*)[FWG_DIGEST_SIZE])earlier, n,
					   s->slot[i].digest, want))
		return false;
	return !memcmp(want, info->predicted_pcr, sizeof(want));
}

/*
 * Reseal the valid slots whose record predicts another chain (STATE.md).
 * @keep: not a record an unfinished boot-verify still needs in this boot.
 */
static int reseal_component(struct ab_ctx *ctx, const struct pc_component *c, bool keep)
{
	uint8_t earlier[FWG_TPM_EARLIER_MAX][FWG_DIGEST_SIZE], want[FWG_DIGEST_SIZE];
	struct fwg_tpm_sealed_info info;
	struct slot_state s;
	int err, i;
	size_t n;

	err = slot_state_load(ctx->state_dir, c->name, &s);
	if (!err)
		err = chain_before(ctx, comp_index(ctx, c), earlier, &n);
	for (i = 0; !err && i < 2; i++) {
		if (!s.slot[i].valid ||
		    fwg_sealed_info_read(ctx->state_dir, c->name, c->slot[i].name, &info))
			continue;	/* a missing record is reported at boot, not made up */
		if (keep && needed_this_boot(ctx, c, &s, i, &info))
			continue;	/* resealed once this boot's verify is done */
		err = fwg_tpm_predict_boot_pcr_after((const uint8_t (*)[FWG_DIGEST_SIZE])earlier,
						     n, s.slot[i].digest, want);
		if (!err && memcmp(want, info.predicted_pcr, sizeof(want)))
			err = seal_slot(ctx, c, &s, i);
	}
	return err;
}

static int reseal_chain(struct ab_ctx *ctx, bool keep)
{
	unsigned int k;
	int err = 0;

	for (k = 1; !err && k < ctx->pc->count; k++)
		if (!ab_factory(ctx, &ctx->pc->component[k]))
			err = reseal_component(ctx, &ctx->pc->component[k], keep);
	return err;
}

int ab_boot_verify_done(struct ab_ctx *ctx)
{
	return reseal_chain(ctx, true);
}

static void report_slot(struct uc_boot_component *out, const struct pc_component *c,
			const struct slot_state *s, int idx)
{
	snprintf(out->slot, sizeof(out->slot), "%s", c->slot[idx].name);
	out->version = s->slot[idx].version;
}

/* 1: the slot's image is evidence against it (logged), 0: it matches, or -errno. */
static int image_rejected(struct ab_ctx *ctx, const struct pc_component *c,
			  struct slot_state *s, int idx, uint64_t floor)
{
	struct slot_record *rec = &s->slot[idx];
	uint8_t digest[FWG_DIGEST_SIZE];
	int err;

	if (!rec->valid) {
		fwg_log_error("%s: slot %s holds no installed image to verify", c->name,
			      c->slot[idx].name);
		return 1;
	}
	if (rec->version < floor) {
		fwg_log_error("%s: slot %s holds version %" PRIu64 ", below the version floor %"
			      PRIu64 "; never booted again", c->name, c->slot[idx].name,
			      rec->version, floor);
		return 1;
	}
	STEP(ctx, FILE, "hash-slot");
	err = ctx->ops->hash(ctx->ops->arg, c, idx, rec->length, digest);
	if (err)
		return err;
	if (memcmp(digest, rec->digest, sizeof(digest))) {
		fwg_log_error("%s: slot %s does not hold the image recorded at install "
			      "(tampered or incomplete)", c->name, c->slot[idx].name);
		return 1;
	}
	return 0;
}

/* Fall back from the failed slot @f to the other one, if it can boot. */
static int fall_back(struct ab_ctx *ctx, const struct pc_component *c, struct slot_state *s,
		     int f, uint64_t floor, struct uc_boot_component *out)
{
	int o = 1 - f, err, rejected;

	/*
	 * The bootloader first: it never boots what the state gave up. When
	 * o can boot, the same write puts it first, confirmed or as a trial:
	 * o is valid in the state already, and a cut before the save must
	 * not leave a record that lets the bootloader boot neither slot (o's
	 * trial may have run out of tries; grub_powercut.sh, boot 4).
	 */
	rejected = image_rejected(ctx, c, s, o, floor);
	err = rejected ? boot_write(ctx, c, BOOT_BAD, f) :
			 boot_fall_back(ctx, c, f, s->slot[o].good);
	if (err)
		return err;
	s->slot[f].valid = false;
	s->slot[f].good = false;
	s->verified_boot[0] = '\0';
	snprintf(s->failed_boot, sizeof(s->failed_boot), "%s", ctx->boot_id);
	if (rejected) {
		if (s->trying == f)
			s->trying = -1;
		err = ab_save(ctx, s);
		fwg_log_error("%s: slot %s failed verification and slot %s holds no bootable "
			      "image: no slot to fall back to", c->name, c->slot[f].name,
			      c->slot[o].name);
		STEP(ctx, VERIFY, "fall-back");
		return err ? err : -EKEYREJECTED;
	}
	s->active = o;
	s->trying = -1;
	s->pending = -1;
	err = ab_save(ctx, s);
	if (err)
		return err;
	/* A policy loaded before this fallback protects o as inactive: from
	 * now on the kernel refuses sessions on it too (STATE.md). */
	STEP(ctx, KERNEL, "protect-active");
	if (ctx->ops->protect_active && ctx->ops->protect_active(ctx->ops->arg, c, o))
		fwg_log_error("%s: slot %s, fallen back to, stays writable until the next boot",
			      c->name, c->slot[o].name);
	fwg_log_error("%s: slot %s failed verification; falling back to slot %s (version %"
		      PRIu64 "); reboot to boot it", c->name, c->slot[f].name, c->slot[o].name,
		      s->slot[o].version);
	out->fell_back = true;
	report_slot(out, c, s, o);
	return 0;
}

/* Applied once per boot: an unconfirmed trial ends, a pending slot is tried. */
/*
 * The slot the bootloader booted, -1 without one. The state follows it: the
 * bootloader abandoned a trial (its tries ran out, or the image did not
 * load) and booted the last good slot; or it booted the other slot, which
 * is then verified like a trial (a slot below the floor or not valid fails
 * that verification, whatever the bootloader's record says).
 */
static void follow_bootloader(const struct pc_component *c, struct slot_state *s, int booted,
			      struct uc_boot_component *out)
{
	int expected = slot_state_booted(s);

	if (booted < 0 || booted == expected)
		return;
	if (booted == s->active) {
		fwg_log_error("%s: the bootloader booted slot %s, not slot %s on trial (its tries "
			      "ran out or it did not load): trial abandoned", c->name,
			      c->slot[booted].name, c->slot[expected].name);
		s->trying = -1;
		out->fell_back = true;
	} else {
		fwg_log_error("%s: the bootloader booted slot %s, not slot %s: verifying it as a "
			      "trial", c->name, c->slot[booted].name, c->slot[expected].name);
		s->trying = booted;
	}
}

static int booted_by_bootloader(struct ab_ctx *ctx, const struct pc_component *c, int *booted)
{
	const struct bootctl *bc = boot_of(ctx, c);

	*booted = -1;
	STEP(ctx, BOOT, "booted-slot");
	return bc ? bootctl_booted(bc, booted) : 0;	/* logs */
}

static int boot_start(struct ab_ctx *ctx, const struct pc_component *c, struct slot_state *s,
		      struct uc_boot_component *out)
{
	int booted, err;

	if (!strcmp(s->boot, ctx->boot_id))
		return 0;
	err = booted_by_bootloader(ctx, c, &booted);
	if (err)
		return err;
	/* A trial the bootloader boots again is still on trial: it counts. */
	if (s->trying >= 0 && s->trying != booted) {
		fwg_log_error("%s: trial of slot %s was never confirmed; back to slot %s",
			      c->name, c->slot[s->trying].name, c->slot[s->active].name);
		s->trying = -1;
		out->fell_back = true;
	}
	if (s->pending >= 0) {
		s->trying = s->pending;
		s->pending = -1;
	}
	follow_bootloader(c, s, booted, out);
	s->booted = slot_state_booted(s);
	snprintf(s->boot, sizeof(s->boot), "%s", ctx->boot_id);
	s->verified_boot[0] = '\0';
	s->measured_boot[0] = '\0';
	s->failed_boot[0] = '\0';
	return ab_save(ctx, s);
}

/* The PCR before and after @c's extend of @digest in this boot (policy order). */
static int measure_points(struct ab_ctx *ctx, const struct pc_component *c,
			  const uint8_t digest[FWG_DIGEST_SIZE], uint8_t before[FWG_DIGEST_SIZE],
			  uint8_t after[FWG_DIGEST_SIZE])
{
	uint8_t earlier[FWG_TPM_EARLIER_MAX][FWG_DIGEST_SIZE];
	const uint8_t (*e)[FWG_DIGEST_SIZE] = (const uint8_t (*)[FWG_DIGEST_SIZE])earlier;
	size_t n;
	int err;

	err = boot_chain(ctx, comp_index(ctx, c), true, earlier, &n);
	if (err)
		return err;
	memset(before, 0, FWG_DIGEST_SIZE);	/* a PCR after TPM reset */
	if (n)
		err = fwg_tpm_predict_boot_pcr_after(e, n - 1, earlier[n - 1], before);
	return err ? err : fwg_tpm_predict_boot_pcr_after(e, n, digest, after);
}

/*
 * Extend the PCR with the slot's digest once per boot. Whether this
 * component's extend happened is read from the PCR (STATE.md): it holds the
 * value before it (extend), after it (an earlier run extended: done), or
 * anything else (reported; no validity changes). One attempt per run: after
 * a failed extend only the PCR tells whether it happened, so the next
 * boot-verify decides.
 */
static int measure_once(struct ab_ctx *ctx, const struct pc_component *c,
			struct slot_state *s, int idx)
{
	uint8_t before[FWG_DIGEST_SIZE], after[FWG_DIGEST_SIZE], pcr[FWG_DIGEST_SIZE];
	struct fwg_tpm_subject sub;
	int err;

	if (!strcmp(s->measured_boot, ctx->boot_id))
		return 0;
	err = measure_points(ctx, c, s->slot[idx].digest, before, after);
	STEP(ctx, TPM, "read-pcr");
	if (!err)
		err = fwg_tpm_pcr_read(ctx->tpm, pcr);
	if (err)
		return err;
	if (!memcmp(pcr, before, sizeof(pcr))) {
		err = ab_persist(ctx, "measure");
		if (!err)
			err = ab_fault(ctx);
		subject_of(c, s, idx, &sub);
		STEP(ctx, TPM, "measure");
		if (!err)
			err = fwg_tpm_measure(ctx->tpm, &sub);
		/* A file error: the PCR was extended, only the event log lags. */
		if (err == FWG_TPM_E_UNAVAILABLE || err == -EIO || err == AB_E_CUT ||
		    err == FWG_TPM_E_UNTRUSTED)
			return err;
	} else if (memcmp(pcr, after, sizeof(pcr))) {
		fwg_log_error("%s: PCR %u holds neither the value before nor the value after "
			      "slot %s's measurement in this boot; not extending it", c->name,
			      fwg_tpm_pcr_index(ctx->tpm), c->slot[idx].name);
		return FWG_TPM_E_PCR_MISMATCH;
	}
	snprintf(s->measured_boot, sizeof(s->measured_boot), "%s", ctx->boot_id);
	return ab_save(ctx, s);
}

static int unseal(struct ab_ctx *ctx, const struct pc_component *c, const struct slot_state *s,
		  int idx, struct fwg_tpm_subject *sealed)
{
	int err = -EIO, i = 0;

	STEP(ctx, TPM, "unseal");
	while (tpm_try_again(ctx, &i, &err))
		err = fwg_tpm_unseal_verify(ctx->tpm, c->name, c->slot[idx].name,
					    s->slot[idx].digest, sealed);
	if (!err && strcmp(sealed->slot, c->slot[idx].name))
		err = FWG_TPM_E_PCR_MISMATCH;	/* sealed for the other slot */
	return err;
}

static int verify_booted(struct ab_ctx *ctx, const struct pc_component *c,
			 struct slot_state *s, struct uc_boot_component *out)
{
	int b = booted_slot(ctx, s), err;
	struct fwg_tpm_subject sealed;
	uint64_t floor;

	err = floor_read(ctx, &floor);
	if (err)
		return err;
	err = image_rejected(ctx, c, s, b, floor);
	if (err < 0)
		return err;
	if (err)
		return fall_back(ctx, c, s, b, floor, out);
	err = measure_once(ctx, c, s, b);
	if (!err)
		err = unseal(ctx, c, s, b, &sealed);
	if (err == FWG_TPM_E_DIGEST_MISMATCH)
		return fall_back(ctx, c, s, b, floor, out);
	if (err)
		return err;	/* not evidence about the image: nothing changes */
	if (sealed.version != s->slot[b].version || sealed.version < floor) {
		fwg_log_error("%s: slot %s was sealed with version %" PRIu64 ", recorded %" PRIu64
			      ", floor %" PRIu64, c->name, c->slot[b].name, sealed.version,
			      s->slot[b].version, floor);
		return fall_back(ctx, c, s, b, floor, out);
	}
	snprintf(s->verified_boot, sizeof(s->verified_boot), "%s", ctx->boot_id);
	err = ab_save(ctx, s);
	if (err)
		return err;
	out->verified = true;
	out->trial = !s->slot[b].good;
	report_slot(out, c, s, b);
	return 0;
}

/*
 * Slot @b, which runs in this boot, failed verification earlier in it: the
 * same result again. Its partition may hold another image by now (an
 * install after the fallback): it is never measured or verified in this
 * boot. The slot fallen back to is checked as the fallback checked it.
 */
static int report_failed(struct ab_ctx *ctx, const struct pc_component *c,
			 struct slot_state *s, int b, struct uc_boot_component *out)
{
	int o = s->active, err;
	uint64_t floor;

	err = floor_read(ctx, &floor);
	if (err)
		return err;
	err = o == b ? 1 : image_rejected(ctx, c, s, o, floor);
	if (err < 0)
		return err;
	STEP(ctx, VERIFY, "fall-back");
	if (err) {
		fwg_log_error("%s: slot %s failed verification in this boot and there is no "
			      "slot to fall back to", c->name, c->slot[b].name);
		return -EKEYREJECTED;
	}
	fwg_log_error("%s: slot %s failed verification in this boot; reboot to boot slot %s",
		      c->name, c->slot[b].name, c->slot[o].name);
	out->fell_back = true;
	report_slot(out, c, s, o);
	return 0;
}

/* The journal's record of @c's adoption (1, copied to @line), 0: none, or -errno. */
static int adopt_record(struct ab_ctx *ctx, const struct pc_component *c, char *line,
			size_t size)
{
	char prefix[PC_NAME_MAX + 8];

	snprintf(prefix, sizeof(prefix), "adopt %s", c->name);
	STEP(ctx, TPM, "read-journal");
	return fwg_tpm_journal_find(ctx->tpm, prefix, line, size);
}

/*
 * No slot state: factory state, unless the journal (anchored in the TPM,
 * which root cannot roll back) records an adoption of @c: then the state
 * was lost or deleted, and nothing is reported verified or factory. A TPM
 * without the journal index never recorded an adoption (adopt needs it).
 */
static int no_state(struct ab_ctx *ctx, const struct pc_component *c,
		    struct uc_boot_component *out)
{
	char line[AB_JOURNAL_ENTRY_MAX];
	int err;

	err = adopt_record(ctx, c, line, sizeof(line));
	if (err == FWG_TPM_E_NOT_PROVISIONED)
		err = 0;
	if (err == 1) {
		STEP(ctx, STATE, "check-factory");
		fwg_log_error("%s: no slot state, but the TPM's journal records the component's "
			      "adoption (%s): not factory state; if that adoption was cut, adopt "
			      "the same slot at the same version again, else install a signed "
			      "update", c->name, line);
		return -EBADMSG;
	}
	out->factory = !err;
	return err;
}

/* An install from factory state in this boot: the factory image still runs. */
static int report_factory_boot(const struct pc_component *c, const struct slot_state *s,
			       struct uc_boot_component *out)
{
	int nb = next_boot_slot(s);

	out->factory = true;
	if (s->slot[nb].valid) {
		snprintf(out->slot, sizeof(out->slot), "%s", c->slot[nb].name);
		out->version = s->slot[nb].version;
	}
	return 0;
}

int ab_boot_verify(struct ab_ctx *ctx, const struct pc_component *c,
		   struct uc_boot_component *out)
{
	struct slot_state s;
	int err, b;

	if (ab_factory(ctx, c))
		return no_state(ctx, c, out);
	STEP(ctx, STATE, "read-slot-state");
	err = slot_state_load(ctx->state_dir, c->name, &s);
	if (!err)
		err = boot_start(ctx, c, &s, out);
	if (err)
		return err;
	if (factory_boot(ctx, &s))
		return report_factory_boot(c, &s, out);
	b = booted_slot(ctx, &s);
	if (!strcmp(s.failed_boot, ctx->boot_id))
		return report_failed(ctx, c, &s, b, out);
	if (!strcmp(s.verified_boot, ctx->boot_id)) {
		/* Verified earlier in this boot: report it, touch nothing. */
		out->verified = true;
		out->trial = !s.slot[b].good;
		report_slot(out, c, &s, b);
		return 0;
	}
	return verify_booted(ctx, c, &s, out);
}

static int load_state(struct ab_ctx *ctx, const struct pc_component *c, struct slot_state *s)
{
	STEP(ctx, STATE, "read-slot-state");
	return slot_state_load(ctx->state_dir, c->name, s);
}

/*
 * The floor is one counter for every component: raising it for @c to @v
 * stops at the highest version another component can still boot (a valid
 * slot holding its recorded image), so that each keeps a slot (P1).
 */
static uint64_t floor_target(struct ab_ctx *ctx, const struct pc_component *c, uint64_t v)
{
	struct slot_state s;
	unsigned int j;
	uint64_t best;
	bool found;
	int i;

	for (j = 0; j < ctx->pc->count; j++) {
		const struct pc_component *o = &ctx->pc->component[j];

		if (o == c || ab_factory(ctx, o) || slot_state_load(ctx->state_dir, o->name, &s))
			continue;
		best = 0;
		found = false;
		for (i = 0; i < 2; i++) {
			if (image_rejected(ctx, o, &s, i, 0))
				continue;
			found = true;
			if (s.slot[i].version > best)
				best = s.slot[i].version;
		}
		if (found && best < v)
			v = best;
	}
	return v;
}

static int pcr_read(struct ab_ctx *ctx, uint8_t value[FWG_DIGEST_SIZE])
{
	int err = -EIO, i = 0;

	STEP(ctx, TPM, "read-pcr");
	while (tpm_try_again(ctx, &i, &err))
		err = fwg_tpm_pcr_read(ctx->tpm, value);
	return err;
}

/*
 * The PCR holds exactly this boot's measurements: the booted slot of every
 * component measured in this boot, in policy order. Checked before the
 * record's header is trusted: the state file names the booted slot, and
 * root can edit it to name a slot that never ran; the PCR cannot be made
 * to hold that slot's digest.
 */
static int pcr_holds_this_boot(struct ab_ctx *ctx, const uint8_t pcr[FWG_DIGEST_SIZE])
{
	uint8_t chain[FWG_TPM_EARLIER_MAX][FWG_DIGEST_SIZE], want[FWG_DIGEST_SIZE];
	struct slot_state s;
	unsigned int j;
	size_t n = 0;
	int err;

	for (j = 0; j < ctx->pc->count; j++) {
		const struct pc_component *o = &ctx->pc->component[j];

		if (ab_factory(ctx, o))
			continue;
		err = slot_state_load(ctx->state_dir, o->name, &s);
		if (err)
			return err;
		if (strcmp(s.boot, ctx->boot_id) || strcmp(s.measured_boot, ctx->boot_id))
			continue;
		if (n >= FWG_TPM_EARLIER_MAX)
			return -E2BIG;
		memcpy(chain[n++], s.slot[booted_slot(ctx, &s)].digest, FWG_DIGEST_SIZE);
	}
	err = n ? fwg_tpm_predict_boot_pcr_after((const uint8_t (*)[FWG_DIGEST_SIZE])chain,
						 n - 1, chain[n - 1], want) : 0;
	if (!err && (!n || memcmp(want, pcr, sizeof(want))))
		err = FWG_TPM_E_PCR_MISMATCH;
	return err;
}

/*
 * The version mark-good confirms, from the sealed record of the booted slot
 * @b, not from the state file: unsealed again when the PCR still holds the
 * value the record predicts (the last component measured into it), else
 * the record's header, which boot-verify compared with the sealed payload.
 * Any disagreement with the state file: refused, nothing changed.
 */
static int sealed_version(struct ab_ctx *ctx, const struct pc_component *c,
			  const struct slot_state *s, int b, uint64_t *version)
{
	const struct slot_record *r = &s->slot[b];
	struct fwg_tpm_sealed_info info;
	uint8_t pcr[FWG_DIGEST_SIZE];
	struct fwg_tpm_subject sealed;
	int err;

	STEP(ctx, FILE, "read-sealed-record");
	err = fwg_sealed_info_read(ctx->state_dir, c->name, c->slot[b].name, &info);
	if (!err)
		err = pcr_read(ctx, pcr);
	if (err)
		return err;
	sealed = info.subject;
	if (!memcmp(pcr, info.predicted_pcr, sizeof(pcr)))
		err = unseal(ctx, c, s, b, &sealed);
	else if (pcr_holds_this_boot(ctx, pcr)) {
		fwg_log_error("%s: slot %s: PCR %u does not hold the measurements of the slots "
			      "booted in this boot; not marked good (run 'updatectl boot-verify' "
			      "again, or reboot)", c->name, c->slot[b].name,
			      fwg_tpm_pcr_index(ctx->tpm));
		return FWG_TPM_E_PCR_MISMATCH;
	}
	STEP(ctx, VERIFY, "check-sealed-version");
	if (err == FWG_TPM_E_DIGEST_MISMATCH || (!err && (sealed.version != r->version ||
			     memcmp(sealed.digest, r->digest, FWG_DIGEST_SIZE)))) {
		fwg_log_error("%s: slot %s: the slot state (version %" PRIu64 ") disagrees with "
			      "its sealed record (version %" PRIu64 "); not marked good",
			      c->name, c->slot[b].name, r->version, sealed.version);
		return -EKEYREJECTED;
	}
	if (!err)
		*version = sealed.version;
	return err;
}

/* The new good slot is @b at @version: the other stays good only at the floor. */
static void confirm(struct slot_state *s, int b, uint64_t floor)
{
	int o = 1 - b;

	s->active = b;
	s->trying = -1;
	s->slot[b].good = true;
	if (s->slot[o].version < floor)
		s->slot[o].good = false;
}

/* Slot @b, which runs in this boot, passed boot-verify in it, as the state names it. */
static int check_verified(struct ab_ctx *ctx, const struct pc_component *c,
			  const struct slot_state *s, int b)
{
	STEP(ctx, VERIFY, "check-verified");
	if (!strcmp(s->failed_boot, ctx->boot_id)) {
		fwg_log_error("%s: slot %s, which runs in this boot, failed verification; "
			      "reboot into slot %s, nothing marked good", c->name,
			      c->slot[b].name, c->slot[s->active].name);
		return -EKEYREJECTED;
	}
	if (strcmp(s->verified_boot, ctx->boot_id) || strcmp(s->boot, ctx->boot_id)) {
		fwg_log_error("%s: slot %s has not been verified in this boot; run "
			      "'updatectl boot-verify' first", c->name, c->slot[b].name);
		return -EKEYREJECTED;
	}
	if (b != slot_state_booted(s)) {
		/* Only an edit of the state file: boot-start sets booted so. */
		fwg_log_error("%s: the slot state names slot %s as booted but slot %s as the "
			      "one running; not marked good", c->name, c->slot[b].name,
			      c->slot[slot_state_booted(s)].name);
		return -EKEYREJECTED;
	}
	return 0;
}

/*
 * The journal entry that begins an install, written after the kernel's
 * COMMIT and before anything else records it: "install COMPONENT SLOT
 * VERSION LENGTH DIGEST TICKET". The ticket is consumed from then on; its
 * bare id, appended when the install is done, finishes it (STATE.md).
 */
struct install_entry {
	int slot;
	uint64_t version, length;
	uint8_t digest[FWG_DIGEST_SIZE];
	uint8_t ticket[16];
};

static void install_entry_format(const struct pc_component *c, const struct ab_install *in,
				 const struct slot_record *r, char *buf, size_t size)
{
	char dhex[2 * FWG_DIGEST_SIZE + 1], thex[33];

	fwg_hex_encode(r->digest, FWG_DIGEST_SIZE, dhex);
	fwg_hex_encode(in->ticket, 16, thex);
	snprintf(buf, size, "install %s %s %" PRIu64 " %" PRIu64 " %s %s", c->name,
		 c->slot[in->target].name, r->version, r->length, dhex, thex);
}

/* @c's last begun install in the journal: 1 (into @e), 0: none, or -errno. */
static int install_entry_last(struct ab_ctx *ctx, const struct pc_component *c,
			      struct install_entry *e)
{
	char line[AB_JOURNAL_ENTRY_MAX], prefix[PC_NAME_MAX + 16], slot[PC_NAME_MAX + 2];
	char dhex[2 * FWG_DIGEST_SIZE + 2], thex[34];
	int err = -EIO, i = 0;

	snprintf(prefix, sizeof(prefix), "install %s", c->name);
	STEP(ctx, TPM, "read-journal");
	while (tpm_try_again(ctx, &i, &err))
		err = fwg_tpm_journal_find(ctx->tpm, prefix, line, sizeof(line));
	if (err != 1)
		return err;
	e->slot = -1;
	if (sscanf(line + strlen(prefix), " %32s %" SCNu64 " %" SCNu64 " %65s %33s", slot,
		   &e->version, &e->length, dhex, thex) == 5 &&
	    !fwg_hex_decode_digest(dhex, e->digest) && strlen(thex) == 32 &&
	    !fwg_hex_decode(thex, e->ticket, 16))
		for (i = 0; i < 2; i++)
			if (!strcmp(slot, c->slot[i].name))
				e->slot = i;
	if (e->slot >= 0)
		return 1;
	/* Appended by someone else (root can extend the index): nothing to resume. */
	fwg_log_error("%s: the journal's last install entry does not parse; ignored: %s",
		      c->name, line);
	return 0;
}

/*
 * The quote behind a confirmation (STATE.md "policy load"): root can
 * append any entry to the journal, so a `good` entry counts only with a
 * TPM2_Quote of fwguard's PCR, signed by this TPM's attestation key (a
 * restricted key: the TPM signs only PCR values it holds), whose nonce is
 * the SHA-256 of the entry's text and whose event log shows the
 * component measured once in that boot, with the digest of the install
 * the entry confirms. Kept in <state_dir>/confirmations/<component>.
 */
static int entry_digest(const char *entry, uint8_t out[FWG_DIGEST_SIZE])
{
	return EVP_Digest(entry, strlen(entry), out, NULL, EVP_sha256(), NULL) == 1 ? 0 : -ENOMEM;
}

static int confirmation_path(const char *state_dir, const char *component, char *buf,
			     size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/confirmations/%s", state_dir, component) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* This boot's PCR quoted for the good entry @entry, kept before it is appended. */
static int confirmation_write(struct ab_ctx *ctx, const struct pc_component *c,
			      const char *entry)
{
	char path[PATH_MAX], dir[PATH_MAX];
	uint8_t nonce[FWG_DIGEST_SIZE], *buf = NULL;
	struct fwg_quote q;
	size_t len = 0;
	int err, i = 0;

	err = entry_digest(entry, nonce);
	if (!err)
		err = confirmation_path(ctx->state_dir, c->name, path, sizeof(path));
	if (err)
		return err;
	STEP(ctx, TPM, "quote-confirmation");
	err = -EIO;
	while (tpm_try_again(ctx, &i, &err)) {
		memset(&q, 0, sizeof(q));
		err = fwg_tpm_quote(ctx->tpm, nonce, sizeof(nonce), &q);
		if (err)
			fwg_quote_release(&q);
	}
	if (err)
		return err;
	err = fwg_quote_encode(&q, &buf, &len);
	fwg_quote_release(&q);
	if (err)
		return err;
	STEP(ctx, FILE, "save-confirmation");
	snprintf(dir, sizeof(dir), "%s/confirmations", ctx->state_dir);
	err = fwg_mkdir_p(dir, 0700) ? -EIO : fwg_write_file_atomic(path, buf, len);
	free(buf);
	if (err)
		fwg_log_error("%s: cannot keep the confirmation's quote %s: %s", c->name, path,
			      strerror(-err));
	return err;
}

int ab_confirmation_check(struct fwg_tpm *tpm, const char *state_dir,
			  const struct pc_component *c, const char *good,
			  const uint8_t digest[FWG_DIGEST_SIZE], struct uc_step *step)
{
	struct attest_verify_request req = { .pcr = fwg_tpm_pcr_index(tpm) };
	uint8_t ak[FWG_QUOTE_PART_MAX];
	char path[PATH_MAX], hex[2 * FWG_DIGEST_SIZE + 1];
	struct attest_report rep;
	uint16_t ak_len = 0;
	size_t i, j, found = 0;
	int err;

	err = confirmation_path(state_dir, c->name, path, sizeof(path));
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_VERIFY, "check-confirmation");
	if (access(path, F_OK)) {
		fwg_log_error("%s: the journal's confirmation has no quote of the boot that "
			      "verified the slot (%s): not counted", c->name, path);
		return -EKEYREJECTED;
	}
	err = entry_digest(good, req.nonce);
	if (!err) {
		uc_step_enter(step, UC_SRC_TPM, "read-ak");
		err = fwg_tpm_ak_public(tpm, ak, &ak_len);
	}
	if (err)
		return err;
	req.nonce_len = FWG_DIGEST_SIZE;
	req.ak_public = ak;
	req.ak_public_len = ak_len;
	req.quote_path = path;
	err = attest_verify(&req, &rep, step);	/* logs */
	if (err)
		return err < 0 ? err : -EKEYREJECTED;
	for (i = 0; !err && i < rep.n_events; i++) {
		const struct fwg_tpm_subject *e = &rep.events[i].ev.subject;

		for (j = 0; j < i; j++)	/* a component is measured once a boot */
			if (!strcmp(rep.events[j].ev.subject.component, e->component))
				err = -EKEYREJECTED;
		if (!strcmp(e->component, c->name))
			found += !memcmp(e->digest, digest, FWG_DIGEST_SIZE) ? 1 : 2;
	}
	attest_report_free(&rep);
	if (!err && found == 1)
		return 0;
	uc_step_enter(step, UC_SRC_VERIFY, "check-confirmation");
	fwg_hex_encode(digest, FWG_DIGEST_SIZE, hex);
	fwg_log_error("%s: the journal's confirmation is backed by a quote of a boot that did not "
		      "measure %s once, with digest %s: not counted", c->name, c->name, hex);
	return -EKEYREJECTED;
}

/*
 * The journal's confirmation of slot @b's install, "good COMPONENT SLOT
 * VERSION TICKET", when @c's last install entry is the one that wrote @b
 * and no confirmation names it yet: policy load reads the pending or trial
 * state from the journal too, and the slot state alone no longer says
 * "confirmed" (STATE.md "policy load").
 */
static int journal_confirm(struct ab_ctx *ctx, const struct pc_component *c,
			   const struct slot_state *s, int b, uint64_t v)
{
	char entry[AB_JOURNAL_ENTRY_MAX], line[AB_JOURNAL_ENTRY_MAX] = "", prefix[PC_NAME_MAX + 8];
	const struct slot_record *r = &s->slot[b];
	struct install_entry e;
	char thex[33];
	size_t n;
	int err, i = 0;

	if (!r->has_ticket)
		return 0;	/* adopted: no install to confirm */
	err = install_entry_last(ctx, c, &e);
	if (err != 1 || e.slot != b || memcmp(e.ticket, r->ticket, 16))
		return err < 0 ? err : 0;
	fwg_hex_encode(r->ticket, 16, thex);
	snprintf(prefix, sizeof(prefix), "good %s", c->name);
	err = -EIO;
	while (tpm_try_again(ctx, &i, &err))
		err = fwg_tpm_journal_find(ctx->tpm, prefix, line, sizeof(line));
	n = strlen(line);
	if (err < 0)
		return err;
	/* Confirmed already (a repeat after a cut), with the quote that backs it. */
	if (err == 1 && n > 32 && !strcmp(line + n - 32, thex) &&
	    !ab_confirmation_check(ctx->tpm, ctx->state_dir, c, line, e.digest, ctx->step))
		return 0;
	snprintf(entry, sizeof(entry), "good %s %s %" PRIu64 " %s", c->name, c->slot[b].name, v,
		 thex);
	err = confirmation_write(ctx, c, entry);
	if (!err)
		err = ab_persist(ctx, "journal-good");
	STEP(ctx, TPM, "write-journal");
	return err ? err : fwg_tpm_journal_add(ctx->tpm, entry);
}

int ab_mark_good(struct ab_ctx *ctx, const struct pc_component *c,
		 struct uc_boot_component *out)
{
	struct slot_state s;
	uint64_t floor, v;
	int b, err;

	if (ab_factory(ctx, c))
		return no_state(ctx, c, out);	/* nothing to confirm */
	err = load_state(ctx, c, &s);
	if (err)
		return err;
	if (factory_boot(ctx, &s))
		return report_factory_boot(c, &s, out);	/* nothing booted to confirm */
	b = booted_slot(ctx, &s);
	if (s.trying < 0 && s.slot[b].good) {
		/* Nothing on trial; a counting bootloader (U-Boot) is re-armed,
		 * the journal's confirmation written if a cut left it out. */
		if (strcmp(s.verified_boot, ctx->boot_id) || strcmp(s.boot, ctx->boot_id))
			return 0;
		err = boot_write(ctx, c, BOOT_GOOD, b);
		return err ? err : journal_confirm(ctx, c, &s, b, s.slot[b].version);
	}
	err = check_verified(ctx, c, &s, b);
	if (!err)
		err = sealed_version(ctx, c, &s, b, &v);
	if (!err)
		err = floor_read(ctx, &floor);
	if (err)
		return err;
	if (v < floor) {
		STEP(ctx, VERIFY, "check-floor");
		fwg_log_error("%s: slot %s holds version %" PRIu64 ", below the version floor %"
			      PRIu64 "; not marked good", c->name, c->slot[b].name, v, floor);
		return FWG_TPM_E_STALE;
	}
	/* The floor cannot come down again: check the image once more. */
	err = image_rejected(ctx, c, &s, b, floor);
	if (err) {
		STEP(ctx, VERIFY, "check-image");
		return err < 0 ? err : -EKEYREJECTED;
	}
	/* Floor first: a cut before the save leaves a trial that ends at the
	 * next boot; the slot at the floor is still valid (STATE.md). */
	v = floor_target(ctx, c, v);
	err = floor_raise(ctx, v, c, &s, b);
	if (err)
		return err;
	confirm(&s, b, v);
	err = ab_save(ctx, &s);
	if (!err)	/* the state first: a cut leaves a trial the bootloader counts */
		err = boot_write(ctx, c, BOOT_GOOD, b);
	if (!err)	/* a cut before it: the next mark-good writes it */
		err = journal_confirm(ctx, c, &s, b, s.slot[b].version);
	if (err)
		return err;
	out->marked_good = true;
	report_slot(out, c, &s, b);
	return reseal_chain(ctx, false);
}

static bool ticket_in_state(const struct slot_state *s, const uint8_t ticket[16])
{
	int i;

	for (i = 0; i < 2; i++)
		if (s->slot[i].has_ticket && !memcmp(s->slot[i].ticket, ticket, 16))
			return true;
	return false;
}

/* @ticket's bare id is in the journal: 1, 0: not, or -errno (retried). */
static int ticket_done(struct ab_ctx *ctx, const uint8_t ticket[16])
{
	int err = -EIO, i = 0;

	STEP(ctx, TPM, "read-journal");
	while (tpm_try_again(ctx, &i, &err))
		err = ticket_log_has(ctx->tpm, ticket);
	return err;
}

/* Append @ticket's bare id: its install is done (the file, then the extend). */
static int ticket_finish(struct ab_ctx *ctx, const uint8_t ticket[16])
{
	int err = ab_persist(ctx, "log-ticket");

	STEP(ctx, TPM, "log-ticket");
	return err ? err : ticket_log_add(ctx->tpm, ticket);
}

/*
 * The hash of @slot's first @len bytes is @want (0), or the repeat is a
 * replay (-EALREADY, one line: @why, then that the slot no longer holds
 * the image), or the errno of reading the slot.
 */
static int slot_still_holds(struct ab_ctx *ctx, const struct pc_component *c, int slot,
			    uint64_t len, const uint8_t want[FWG_DIGEST_SIZE], const char *why)
{
	uint8_t digest[FWG_DIGEST_SIZE];
	int err;

	STEP(ctx, FILE, "hash-slot");
	err = ctx->ops->hash(ctx->ops->arg, c, slot, len, digest);
	if (err)
		return err;
	if (memcmp(digest, want, sizeof(digest))) {
		STEP(ctx, VERIFY, "check-replay");
		fwg_log_error("%s: %s, and the slot no longer holds its image (replay refused)",
			      c->name, why);
		return -EALREADY;
	}
	return 0;
}

/*
 * A repeat of the begun install @e of this very ticket, not committed to
 * the state: it rolls forward without the kernel when the slot it wrote is
 * still the target and holds the ticket's image; else it is a replay.
 */
static int plan_resume(struct ab_ctx *ctx, const struct pc_component *c, struct ab_install *in,
		       const struct install_entry *e)
{
	char why[128];
	int err;

	STEP(ctx, VERIFY, "check-replay");
	if (!in->image_len || e->slot != in->target || e->version != in->version ||
	    e->length != in->image_len ||
	    memcmp(e->digest, in->image_digest, FWG_DIGEST_SIZE)) {
		fwg_log_error("%s: this ticket's install into slot %s was recorded and cannot be "
			      "completed now (replay refused)", c->name, c->slot[e->slot].name);
		return -EALREADY;
	}
	snprintf(why, sizeof(why), "this ticket's install into slot %s was recorded",
		 c->slot[e->slot].name);
	err = slot_still_holds(ctx, c, e->slot, e->length, e->digest, why);
	if (err)
		return err;
	in->resume = AB_RESUME_WRITTEN;
	return 0;
}

/*
 * A ticket the journal does not name, which the kernel committed in this
 * boot (a cut between its COMMIT and the journal's install entry): the
 * kernel refuses it until reboot, so the repeat completes the install
 * without a write when the kernel wrote the target with the ticket's image
 * and the partition still holds it; else it is a replay (STATE.md).
 */
static int plan_committed(struct ab_ctx *ctx, const struct pc_component *c,
			  struct ab_install *in)
{
	uint8_t digest[FWG_DIGEST_SIZE];
	char why[128];
	uint64_t len;
	int err, idx;

	if (!ctx->ops->committed || !in->image_len)
		return 0;
	STEP(ctx, KERNEL, "query-commit");
	err = ctx->ops->committed(ctx->ops->arg, c, in->ticket, &idx, &len, digest);
	if (err <= 0)
		return err;
	STEP(ctx, VERIFY, "check-replay");
	if (idx != in->target || len != in->image_len ||
	    memcmp(digest, in->image_digest, FWG_DIGEST_SIZE)) {
		fwg_log_error("%s: the kernel wrote this ticket's image %s in this boot, and the "
			      "install cannot be completed now (replay refused)", c->name,
			      idx < 0 ? "into another partition" : idx == in->target ?
			      "with another length or digest" : "into the other slot");
		return -EALREADY;
	}
	snprintf(why, sizeof(why), "the kernel wrote this ticket's image into slot %s in this boot",
		 c->slot[in->target].name);
	err = slot_still_holds(ctx, c, in->target, len, in->image_digest, why);
	if (err)
		return err;
	in->resume = AB_RESUME_KERNEL;
	return 0;
}

/*
 * Install never writes the running trial, the only bootable slot, a slot
 * whose last good partner no longer holds its image, nor a version below
 * the floor.
 */
static int plan_check_slots(struct ab_ctx *ctx, const struct pc_component *c,
			    uint64_t version, struct ab_install *in)
{
	uint64_t floor;
	int err;

	STEP(ctx, VERIFY, "check-slots");
	if (in->state.trying == in->target) {
		fwg_log_error("%s: slot %s is on trial in this boot; confirm it with 'updatectl "
			      "mark-good' or reboot before installing", c->name,
			      c->slot[in->target].name);
		return -EBUSY;
	}
	err = floor_read(ctx, &floor);
	if (err)
		return err;
	in->factory = ab_factory(ctx, c);
	if (!in->factory && (!in->state.slot[in->state.active].valid ||
			     in->state.slot[in->state.active].version < floor)) {
		STEP(ctx, VERIFY, "check-slots");
		fwg_log_error("%s: slot %s holds the only bootable image; boot it and run "
			      "'updatectl mark-good' before installing", c->name,
			      c->slot[in->target].name);
		return -EBUSY;
	}
	if (version < floor) {
		STEP(ctx, VERIFY, "check-floor");
		fwg_log_error("%s: version %" PRIu64 " is below the version floor %" PRIu64,
			      c->name, version, floor);
		return FWG_TPM_E_STALE;
	}
	/* Never overwrite the other slot while the last good one no longer
	 * holds its image: it would leave nothing to boot. */
	err = in->factory ? 0 : image_rejected(ctx, c, &in->state, in->state.active, floor);
	if (err > 0) {
		STEP(ctx, VERIFY, "check-slots");
		fwg_log_error("%s: not installing into slot %s: slot %s, the last good one, "
			      "could not boot", c->name, c->slot[in->target].name,
			      c->slot[in->state.active].name);
		return -EBUSY;
	}
	if (err)
		return err;
	return err;
}

int ab_install_plan_image(struct ab_ctx *ctx, const struct pc_component *c, uint64_t version,
			  const uint8_t ticket[16], bool raise_floor, uint64_t image_len,
			  const uint8_t image_digest[FWG_DIGEST_SIZE], struct ab_install *in)
{
	struct install_entry e;
	struct slot_record *r;
	bool begun;
	int err;

	memset(in, 0, sizeof(*in));
	in->comp = c;
	in->version = version;
	in->raise_floor = raise_floor;
	memcpy(in->ticket, ticket, 16);
	if (image_digest) {
		in->image_len = image_len;
		memcpy(in->image_digest, image_digest, FWG_DIGEST_SIZE);
	}
	err = load_state(ctx, c, &in->state);
	if (err)
		return err;
	in->target = 1 - in->state.active;
	/* The journal is read in the TPM (retried); a finished install is a refusal. */
	err = ticket_done(ctx, ticket);
	if (err == 1) {
		STEP(ctx, VERIFY, "check-replay");
		err = ticket_log_refuse(ctx->tpm, ticket);	/* logs */
		return err ? err : -EALREADY;
	}
	if (err == FWG_TPM_E_NOT_PROVISIONED)
		fwg_log_error("the TPM has no journal of consumed tickets; run 'updatectl tpm "
			      "provision'");
	if (!err)
		err = install_entry_last(ctx, c, &e);
	if (err < 0)
		return err;
	begun = err == 1 && !memcmp(e.ticket, ticket, 16);
	r = begun ? &in->state.slot[e.slot] : NULL;
	if (r && r->valid && r->has_ticket && !memcmp(r->ticket, ticket, 16)) {
		/* Committed to the state, cut before it was done: finish it. */
		in->resume = AB_RESUME_COMMITTED;
		in->target = e.slot;
		return 0;
	}
	if (!begun && ticket_in_state(&in->state, ticket)) {
		STEP(ctx, VERIFY, "check-replay");
		fwg_log_error("%s: this ticket wrote a slot already (replay refused)", c->name);
		return -EALREADY;
	}
	err = plan_check_slots(ctx, c, version, in);
	if (err)
		return err;
	return begun ? plan_resume(ctx, c, in, &e) : plan_committed(ctx, c, in);
}

int ab_install_plan(struct ab_ctx *ctx, const struct pc_component *c, uint64_t version,
		    const uint8_t ticket[16], bool raise_floor, struct ab_install *in)
{
	return ab_install_plan_image(ctx, c, version, ticket, raise_floor, 0, NULL, in);
}

/*
 * Another ticket's install of @c begun and never done (cut before the
 * state or at its end) is finished before its slot is written again: its
 * ticket stays consumed whatever the state says.
 */
static int finish_begun(struct ab_ctx *ctx, const struct ab_install *in)
{
	struct install_entry e;
	int err;

	err = install_entry_last(ctx, in->comp, &e);
	if (err != 1 || !memcmp(e.ticket, in->ticket, 16))
		return err < 0 ? err : 0;
	err = ticket_done(ctx, e.ticket);
	if (err)
		return err < 0 ? err : 0;
	return ticket_finish(ctx, e.ticket);
}

int ab_install_start(struct ab_ctx *ctx, struct ab_install *in)
{
	struct slot_state *s = &in->state;
	int err = 0, i;

	if (in->resume == AB_RESUME_COMMITTED)
		return 0;	/* nothing to write */
	/* A ticket committed to the state but not yet to the log (a state
	 * saved before install entries existed) goes to the log before its
	 * record is replaced. */
	for (i = 0; !err && i < 2; i++) {
		if (!s->slot[i].has_ticket)
			continue;
		err = ticket_done(ctx, s->slot[i].ticket);	/* 1: logged */
		if (!err)
			err = ticket_finish(ctx, s->slot[i].ticket);
		if (err == 1)
			err = 0;
	}
	if (!err)
		err = finish_begun(ctx, in);
	if (err)
		return err;
	/* The bootloader first: it never boots a slot while it is rewritten. */
	err = boot_write(ctx, in->comp, BOOT_BAD, in->target);
	if (err)
		return err;
	memset(&s->slot[in->target], 0, sizeof(s->slot[in->target]));
	if (s->pending == in->target)
		s->pending = -1;
	/* Factory state: nothing to invalidate, and a cut must leave it so. */
	return in->factory ? 0 : ab_save(ctx, s);
}

int ab_install_commit(struct ab_ctx *ctx, struct ab_install *in, uint64_t length,
		      const uint8_t digest[FWG_DIGEST_SIZE])
{
	struct slot_state *s = &in->state;
	struct slot_record *r = &s->slot[in->target];
	char entry[AB_JOURNAL_ENTRY_MAX];
	int err = 0;

	if (in->resume == AB_RESUME_COMMITTED) {
		if (s->pending == in->target)	/* a cut may have left the trial unset */
			err = boot_write(ctx, in->comp, BOOT_TRIAL, in->target);
		goto finish;
	}
	r->version = in->version;
	r->length = length;
	memcpy(r->digest, digest, FWG_DIGEST_SIZE);
	r->has_ticket = true;
	memcpy(r->ticket, in->ticket, 16);
	if (in->resume != AB_RESUME_WRITTEN) {
		/* Consumed from here on, where root cannot undo it; a cut from
		 * here to the commit rolls forward when repeated (STATE.md). */
		install_entry_format(in->comp, in, r, entry, sizeof(entry));
		err = ab_persist(ctx, "journal-install");
		STEP(ctx, TPM, "write-journal");
		if (!err)
			err = fwg_tpm_journal_add(ctx->tpm, entry);
	}
	if (!err)
		err = seal_slot(ctx, in->comp, s, in->target);
	if (err)
		return err;
	r->valid = true;
	s->pending = in->target;
	if (in->factory) {
		/* This boot runs the factory image: a later boot-verify of it must
		 * not take the slot just written as booted (STATE.md). */
		snprintf(s->boot, sizeof(s->boot), "%s", ctx->boot_id);
		s->booted = -1;
	}
	err = ab_save(ctx, s);	/* the commit point */
	if (!err)	/* then the bootloader may try it */
		err = boot_write(ctx, in->comp, BOOT_TRIAL, in->target);
finish:
	if (!err && in->raise_floor) {
		uint64_t v = floor_target(ctx, in->comp, in->version);

		err = floor_raise(ctx, v, in->comp, s, in->target);
		if (!err && s->slot[s->active].version < v) {
			s->slot[s->active].good = false;
			err = ab_save(ctx, s);
		}
	}
	/* Done: the bare id, the file then its extend; never repeated (TPM.md). */
	if (!err)
		err = ticket_finish(ctx, in->ticket);
	return err ? err : reseal_chain(ctx, false);
}

/*
 * With a bootloader, adoption gives the other slot up: only the slot the
 * bootloader says is running may be adopted. Adopting the other one would
 * leave the bootloader nothing but an image no one has seen boot.
 */
static int adopt_booted_only(struct ab_ctx *ctx, const struct pc_component *c, int idx)
{
	int booted, err;

	if (!boot_of(ctx, c))
		return 0;
	err = booted_by_bootloader(ctx, c, &booted);	/* logs */
	if (err || booted == idx)
		return err;
	STEP(ctx, USAGE, "check-booted-slot");
	fwg_log_error("%s: the bootloader booted slot %s, not %s: adopt the running slot "
		      "(adoption gives the other one up)", c->name, c->slot[booted].name,
		      c->slot[idx].name);
	return -EINVAL;
}

static int adopt_measure(struct ab_ctx *ctx, const struct pc_component *c, int idx,
			 uint64_t length, struct slot_record *r)
{
	int err = 0;

	STEP(ctx, FILE, "hash-slot");
	if (!length)
		err = ctx->ops->size(ctx->ops->arg, c, idx, &length);
	if (!err)
		err = ctx->ops->hash(ctx->ops->arg, c, idx, length, r->digest);
	if (!err)
		r->length = length;
	return err;
}

/*
 * The journal entry of this adoption (@entry): "adopt COMPONENT SLOT
 * VERSION LENGTH DIGEST". 0: the journal has none for @c; 1: it has this
 * one (an adoption cut before its save, repeated); else refused: @c was
 * adopted before and its slot state is gone (root can delete the file,
 * not the journal's TPM anchor).
 */
static int adopt_recorded(struct ab_ctx *ctx, const struct pc_component *c, int idx,
			  const struct slot_record *r, char *entry, size_t size)
{
	char rec[AB_JOURNAL_ENTRY_MAX], hex[2 * FWG_DIGEST_SIZE + 1];
	int err;

	fwg_hex_encode(r->digest, FWG_DIGEST_SIZE, hex);
	snprintf(entry, size, "adopt %s %s %" PRIu64 " %" PRIu64 " %s", c->name,
		 c->slot[idx].name, r->version, r->length, hex);
	err = adopt_record(ctx, c, rec, sizeof(rec));
	if (err == FWG_TPM_E_NOT_PROVISIONED)
		fwg_log_error("%s: the TPM has no journal to record the adoption in; run "
			      "'updatectl tpm provision'", c->name);
	if (err != 1 || !strcmp(rec, entry))
		return err;
	STEP(ctx, STATE, "check-factory");
	fwg_log_error("%s: adopted before (%s) and its slot state is gone: not factory state; "
		      "install a signed update", c->name, rec);
	return -EEXIST;
}

int ab_adopt(struct ab_ctx *ctx, const struct pc_component *c, int idx, uint64_t version,
	     uint64_t length)
{
	char entry[AB_JOURNAL_ENTRY_MAX];
	struct slot_state s;
	struct slot_record *r = &s.slot[idx];
	uint64_t floor;
	int err, recorded;

	STEP(ctx, STATE, "check-factory");
	if (!ab_factory(ctx, c)) {
		fwg_log_error("%s: already installed or adopted; adopt is for a device in "
			      "factory state only", c->name);
		return -EEXIST;
	}
	err = adopt_booted_only(ctx, c, idx);
	if (!err)
		err = load_state(ctx, c, &s);
	if (!err)
		err = floor_read(ctx, &floor);
	if (err)
		return err;
	if (version < floor) {
		STEP(ctx, VERIFY, "check-floor");
		fwg_log_error("%s: version %" PRIu64 " is below the version floor %" PRIu64,
			      c->name, version, floor);
		return FWG_TPM_E_STALE;
	}
	err = adopt_measure(ctx, c, idx, length, r);
	if (err)
		return err;
	s.active = idx;
	r->valid = r->good = true;
	r->version = version;
	recorded = adopt_recorded(ctx, c, idx, r, entry, sizeof(entry));
	if (recorded < 0)
		return recorded;
	err = seal_slot(ctx, c, &s, idx);
	if (!err)
		err = floor_raise(ctx, floor_target(ctx, c, version), c, &s, idx);
	/* Recorded where root cannot undo it, before the state says so. */
	if (!err && !recorded)
		err = ab_persist(ctx, "journal-adopt");
	STEP(ctx, TPM, "write-journal");
	if (!err && !recorded)
		err = fwg_tpm_journal_add(ctx->tpm, entry);
	/*
	 * Nothing measured or sealed the other slot: the bootloader must
	 * never fall back to it (before the save: it makes a slot less
	 * bootable). The adopted slot is confirmed after the save.
	 */
	if (!err)
		err = boot_write(ctx, c, BOOT_BAD, 1 - idx);
	if (!err)
		err = ab_save(ctx, &s);	/* the commit point: factory state ends */
	if (!err)
		err = boot_write(ctx, c, BOOT_GOOD, idx);
	return err ? err : reseal_chain(ctx, false);
}
