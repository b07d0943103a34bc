/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The A/B update state machine, specified in userspace/lib/STATE.md: every
 * change of a component's slot state, sealed records and version floor
 * happens here. The commands (boot-verify, mark-good, install, adopt) are
 * event sources; they reach the slots through struct ab_ops, so that the
 * host tests can put image files where a device has partitions.
 */
#ifndef FWGUARD_LIB_ABSTATE_H
#define FWGUARD_LIB_ABSTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "tpm/tpm.h"
#include "userspace/lib/boot.h"
#include "userspace/lib/policy_conf.h"
#include "userspace/lib/slots.h"
#include "userspace/lib/step.h"

/* Returned when the test-only power cut point was reached. */
#define AB_E_CUT	(-ECANCELED)
/* Longest journal entry (tpm/journal.c) the state machine writes. */
#define AB_JOURNAL_ENTRY_MAX	256
/* Attempts of a TPM operation that failed transiently (-EIO). */
#define AB_TPM_ATTEMPTS	3

struct ab_ops {
	/* SHA-256 of the first @len bytes of slot @idx of @c. 0 or -errno. */
	int (*hash)(void *arg, const struct pc_component *c, int idx, uint64_t len,
		    uint8_t digest[FWG_DIGEST_SIZE]);
	/* Size of slot @idx's partition in bytes. 0 or -errno. */
	int (*size)(void *arg, const struct pc_component *c, int idx, uint64_t *len);
	/*
	 * Optional: slot @idx is the one the next boot runs (a fallback in this
	 * boot); the kernel protects it as active from now on. 0 or -errno.
	 */
	int (*protect_active)(void *arg, const struct pc_component *c, int idx);
	/*
	 * Optional: whether the kernel committed @ticket in this boot (its
	 * session wrote an image whole), into slot @idx of @c (-1: a partition
	 * not of @c), @len bytes with SHA-256 @digest. 1, 0: not committed in
	 * this boot (or the kernel cannot tell), or -errno.
	 */
	int (*committed)(void *arg, const struct pc_component *c, const uint8_t ticket[16],
			 int *idx, uint64_t *len, uint8_t digest[FWG_DIGEST_SIZE]);
	void *arg;
};

/* The device's partitions (boot.c). */
extern const struct ab_ops uc_device_ops;

struct bootctl;

struct ab_ctx {
	const char *state_dir;
	/* The bootloader (bootctl.h) of the component it names, or NULL: none. */
	const struct bootctl *boot;
	const struct policy_conf *pc;
	struct fwg_tpm *tpm;
	const struct ab_ops *ops;
	char boot_id[40];
	struct uc_step *step;	/* the step an error comes from */
	/*
	 * The vendor's approval of the image being installed or adopted, or
	 * NULL. With a vendor key in @tpm, every record is sealed to an
	 * approval: this one, or the one the slot's record already holds.
	 */
	const struct fwg_tpm_approval *approval;
	/* Tests only: fail the next @fault_eio TPM operations with -EIO, and
	 * stop (AB_E_CUT) before the @cut_at-th persistent write (0: never). */
	int fault_eio;
	int cut_at;
	int persists;
};

/*
 * An install the journal records as begun (its entry written after the
 * kernel's COMMIT) and not finished (no bare ticket line yet): repeated, it
 * rolls forward without writing the slot (STATE.md "install").
 */
enum ab_resume {
	AB_RESUME_NONE,		/* a new install: the kernel writes the slot */
	AB_RESUME_WRITTEN,	/* the slot holds the image: seal, commit, finish */
	AB_RESUME_KERNEL,	/* the kernel committed it in this boot, the journal has
				 * no entry yet: journal, seal, commit, finish */
	AB_RESUME_COMMITTED,	/* the state holds it too: finish only */
};

/* One install from start to commit (see ab_install_plan()). */
struct ab_install {
	const struct pc_component *comp;
	struct slot_state state;
	int target;
	uint64_t version;
	uint8_t ticket[16];
	bool raise_floor;
	bool factory;		/* no slot state yet */
	enum ab_resume resume;
	/* The ticket's image (length, SHA-256) when known, else length 0. */
	uint64_t image_len;
	uint8_t image_digest[FWG_DIGEST_SIZE];
};

bool ab_factory(const struct ab_ctx *ctx, const struct pc_component *c);

int ab_boot_verify(struct ab_ctx *ctx, const struct pc_component *c,
		   struct uc_boot_component *out);
/* After every component's boot-verify: reseal the chain if it moved. */
int ab_boot_verify_done(struct ab_ctx *ctx);
int ab_mark_good(struct ab_ctx *ctx, const struct pc_component *c,
		 struct uc_boot_component *out);

/*
 * Checks only: the target slot, floor, replay. Changes nothing. With the
 * ticket's image (@image_len, @image_digest), a begun install of the same
 * ticket rolls forward (@in->resume: the caller skips the kernel's write);
 * ab_install_plan() knows no image and refuses it as a replay.
 */
int ab_install_plan_image(struct ab_ctx *ctx, const struct pc_component *c, uint64_t version,
			  const uint8_t ticket[16], bool raise_floor, uint64_t image_len,
			  const uint8_t image_digest[FWG_DIGEST_SIZE], struct ab_install *in);
int ab_install_plan(struct ab_ctx *ctx, const struct pc_component *c, uint64_t version,
		    const uint8_t ticket[16], bool raise_floor, struct ab_install *in);
/* Persist: the target is invalid from now on (before its first byte changes). */
int ab_install_start(struct ab_ctx *ctx, struct ab_install *in);
/* The kernel wrote and measured the image (or @in->resume): journal, seal,
 * commit, floor, finish. */
int ab_install_commit(struct ab_ctx *ctx, struct ab_install *in, uint64_t length,
		      const uint8_t digest[FWG_DIGEST_SIZE]);

/*
 * Whether the journal's confirmation @good ("good COMPONENT SLOT VERSION
 * TICKET") of @c's install of the image @digest counts: 0 when the quote
 * mark-good kept for it verifies (this TPM's attestation key, the entry as
 * nonce, @c measured once in that boot, with @digest); else -errno
 * (logged). STATE.md "policy load".
 */
int ab_confirmation_check(struct fwg_tpm *tpm, const char *state_dir,
			  const struct pc_component *c, const char *good,
			  const uint8_t digest[FWG_DIGEST_SIZE], struct uc_step *step);

/* Factory adoption of slot @idx; @length 0: the whole partition. */
int ab_adopt(struct ab_ctx *ctx, const struct pc_component *c, int idx, uint64_t version,
	     uint64_t length);

#endif /* FWGUARD_LIB_ABSTATE_H */
