/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A/B slot state of one component, kept in <state_dir>/slots/<component>:
 * which slot is the last good one (active), which was installed and waits
 * to be tried at the next boot (pending), which is being tried in this
 * boot and waits for mark-good (trying), and what each slot should hold.
 * The file is replaced atomically, so a power cut leaves either the old or
 * the new state.
 */
#ifndef FWGUARD_SLOTS_H
#define FWGUARD_SLOTS_H

#include <stdbool.h>
#include <stdint.h>

#include "userspace/lib/policy_conf.h"

struct slot_record {
	bool valid;		/* holds a completely installed, measured image */
	bool good;		/* has booted, verified and been marked good */
	uint64_t version;
	uint64_t length;
	uint8_t digest[32];
	bool has_ticket;	/* @ticket: the ticket that wrote this image */
	uint8_t ticket[16];
};

struct slot_state {
	char component[PC_NAME_MAX + 1];
	int active;		/* 0 or 1: the last good slot */
	int pending;		/* slot to try at the next boot, or -1 */
	int trying;		/* slot on trial this boot, or -1 */
	int booted;		/* slot the boot @boot runs (chosen at its boot-start), or -1 */
	char verified_boot[40];	/* boot id whose boot-verify passed, or "" */
	char boot[40];		/* boot id whose boot-start was applied, or "" */
	char measured_boot[40];	/* boot id whose PCR holds the measurement, or "" */
	char failed_boot[40];	/* boot id whose booted slot failed boot-verify, or "" */
	struct slot_record slot[2];
};

/* This boot's id (/proc/sys/kernel/random/boot_id). 0 or -errno. */
int boot_id(char *buf, size_t size);

/*
 * Load the state of @component; a component never installed gets the
 * initial state (slot 0 active, nothing known). Returns 0, -EBADMSG for a
 * corrupt file (logged), or another -errno.
 */
int slot_state_load(const char *state_dir, const char *component, struct slot_state *out);

/* Atomically replace the stored state. 0 or -errno. */
int slot_state_save(const char *state_dir, const struct slot_state *s);

/* The slot the device runs from in this boot. */
int slot_state_booted(const struct slot_state *s);

/* Whether a state file exists for @component (else: factory state). */
bool slot_state_exists(const char *state_dir, const char *component);

#endif /* FWGUARD_SLOTS_H */
