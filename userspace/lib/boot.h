/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The boot half of the A/B state machine (updatectl boot-verify,
 * mark-good). The install half is install.c; the stored state is slots.c.
 *
 * boot-verify runs early at every boot, once per component in the policy:
 * a slot installed at the last boot is tried exactly once (the state moves
 * it from pending to trying before it is measured, so a crash during the
 * trial cannot loop); the booted slot is hashed, the digest extended into
 * the PCR, and the sealed record unsealed, which only succeeds when the PCR
 * holds the predicted value, i.e. the slot holds the sealed image. On a
 * mismatch the device falls back to the last good slot. Unsealing a second
 * record would need a fresh PCR, so the fallback slot is checked here
 * against its recorded digest and verified through the TPM at the next
 * boot.
 *
 * mark-good confirms a verified trial: the slot becomes the last good one
 * and the TPM's version floor is raised to its version, so older tickets
 * can no longer be installed.
 */
#ifndef FWGUARD_LIB_BOOT_H
#define FWGUARD_LIB_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "userspace/lib/config.h"
#include "userspace/lib/policy_conf.h"
#include "userspace/lib/step.h"

/* What happened to one component. */
struct uc_boot_component {
	char name[PC_NAME_MAX + 1];
	char slot[PC_NAME_MAX + 1];	/* the slot that boots now (after a fallback: next boot) */
	uint64_t version;
	bool verified;			/* boot-verify: @slot verified in this boot */
	bool trial;			/* boot-verify: @slot is on trial, waits for mark-good */
	bool fell_back;			/* boot-verify: fell back to @slot */
	bool marked_good;		/* mark-good: @slot became the good slot */
	bool factory;			/* no state: nothing installed or adopted; or
					 * this boot runs the factory image, @slot
					 * (if set) is tried at the next boot */
	int err;			/* 0, or this component's failure */
};

struct uc_boot_report {
	unsigned int count;
	struct uc_boot_component component[PC_MAX_COMPONENTS];
};

/*
 * Run boot-verify for every component of the policy, all of them even when
 * one fails. Returns 0 (fallbacks are reported in @r, not as errors) or the
 * first component's -errno with its step in @step.
 */
int uc_boot_verify(const struct uc_config *cfg, struct uc_boot_report *r, struct uc_step *step);

/* mark-good for every component on trial; same contract. */
int uc_mark_good(const struct uc_config *cfg, struct uc_boot_report *r, struct uc_step *step);

/*
 * Factory adoption: record the image in @slot of @component (its first
 * @length bytes, 0: the whole partition) as the good slot at @version, for
 * a component in factory state (no slot state). @approval_path (NULL:
 * none): the vendor's approval of the factory image, which a device with a
 * vendor policy key needs (tpm/TPM.md). 0 or -errno with @step.
 */
int uc_adopt(const struct uc_config *cfg, const char *component, const char *slot,
	     uint64_t version, uint64_t length, const char *approval_path,
	     struct uc_step *step);

#endif /* FWGUARD_LIB_BOOT_H */
