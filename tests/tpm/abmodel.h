/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The model of the A/B state machine (userspace/lib/STATE.md) shared by the
 * host test (tests/tpm/test_abmodel.c: swtpm and image files) and the guest
 * test (tests/kselftest/abmodel_guest.c: fwguard.ko, a real disk, updatectl):
 * the reference state (the highest floor seen), the event generator (a
 * seeded choice of events by weight and of install versions) and the
 * invariant checks P1 and P2. Each side reaches its slots through struct
 * ab_ops (image files on the host, partitions in the guest), so the same
 * check reads the same records against the same bytes. Header-only.
 */
#ifndef FWGUARD_TESTS_ABMODEL_H
#define FWGUARD_TESTS_ABMODEL_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpm/tpm.h"
#include "userspace/lib/abstate.h"
#include "userspace/lib/slots.h"

enum abm_event {
	ABM_INSTALL,		/* a signed image into the inactive slot */
	ABM_REBOOT,		/* power off and on, then boot-verify */
	ABM_VERIFY_AGAIN,	/* boot-verify a second time in one boot */
	ABM_MARK_GOOD,
	ABM_TAMPER,		/* a slot changed behind the gate's back */
	ABM_ADOPT,		/* factory adoption */
	ABM_RAW_WRITE,		/* root writes a slot without a ticket */
	ABM_POWER_CUT,		/* power lost in the middle of an install */
	ABM_EVENTS
};

/* Why an install version was chosen: the outcome the model expects. */
enum abm_version {
	ABM_V_VALID,		/* at the floor or up to two above */
	ABM_V_BELOW,		/* one below the floor: refused */
	ABM_V_JUMP,		/* over one floor-raise step (1024) */
};

struct abm {
	unsigned int seed;	/* rand_r state: the whole run follows from it */
	uint64_t floor;		/* the highest floor seen */
	unsigned long steps;
	char why[400];
};

static inline unsigned int abm_pick(struct abm *m, unsigned int n)
{
	return (unsigned int)rand_r(&m->seed) % n;
}

/* The next event, each with probability weight[e] / (sum of weights). */
static inline enum abm_event abm_next_event(struct abm *m, const unsigned int weight[ABM_EVENTS])
{
	unsigned int e, total = 0, r;

	for (e = 0; e < ABM_EVENTS; e++)
		total += weight[e];
	r = abm_pick(m, total);
	for (e = 0; e < ABM_EVENTS - 1; e++) {
		if (r < weight[e])
			break;
		r -= weight[e];
	}
	return (enum abm_event)e;
}

/* A version to install over @floor: mostly valid, sometimes refused. */
static inline uint64_t abm_install_version(struct abm *m, uint64_t floor, enum abm_version *kind)
{
	uint64_t v = floor + abm_pick(m, 3);

	*kind = ABM_V_VALID;
	if (abm_pick(m, 8) == 0 && floor > 0) {
		*kind = ABM_V_BELOW;
		v = floor - 1;
	} else if (abm_pick(m, 60) == 0) {
		*kind = ABM_V_JUMP;
		v = floor + 1100;
	}
	return v;
}

/* P2: the floor never falls. Records @floor as the highest seen. */
static inline bool abm_check_floor(struct abm *m, uint64_t floor)
{
	if (floor < m->floor) {
		snprintf(m->why, sizeof(m->why), "P2: floor fell from %" PRIu64 " to %" PRIu64,
			 m->floor, floor);
		return false;
	}
	m->floor = floor;
	return true;
}

/* P2: nothing below the floor verified (booted) or installed. */
static inline bool abm_check_not_below(struct abm *m, const char *what, const char *name,
				       uint64_t version, uint64_t floor)
{
	if (version >= floor)
		return true;
	snprintf(m->why, sizeof(m->why), "P2: %s %s at version %" PRIu64 " below the floor %"
		 PRIu64, name, what, version, floor);
	return false;
}

/* Slot @i of @c is verified-bootable (STATE.md) at @floor. */
static inline bool abm_slot_ok(const char *state_dir, const struct ab_ops *ops,
			       const struct pc_component *c, int i, uint64_t floor)
{
	struct fwg_tpm_sealed_info info;
	uint8_t digest[FWG_DIGEST_SIZE];
	struct slot_state s;
	const struct slot_record *r = &s.slot[i];

	if (slot_state_load(state_dir, c->name, &s))
		return false;
	return r->valid && r->version >= floor &&
	       !ops->hash(ops->arg, c, i, r->length, digest) &&
	       !memcmp(digest, r->digest, sizeof(digest)) &&
	       !fwg_sealed_info_read(state_dir, c->name, c->slot[i].name, &info) &&
	       !memcmp(info.subject.digest, r->digest, sizeof(digest)) &&
	       info.subject.version == r->version;
}

/* P1 for @c: factory state, or a verified-bootable slot. */
static inline bool abm_p1(const char *state_dir, const struct ab_ops *ops,
			  const struct pc_component *c, uint64_t floor, char *why, size_t n)
{
	struct slot_state s;

	if (!slot_state_exists(state_dir, c->name))
		return true;
	if (slot_state_load(state_dir, c->name, &s)) {
		snprintf(why, n, "%s: state unreadable", c->name);
		return false;
	}
	if (abm_slot_ok(state_dir, ops, c, 0, floor) || abm_slot_ok(state_dir, ops, c, 1, floor))
		return true;
	snprintf(why, n, "P1: %s: no verified-bootable slot (active %d pending %d trying %d, "
		 "valid %d/%d, versions %" PRIu64 "/%" PRIu64 ", floor %" PRIu64 ")", c->name,
		 s.active, s.pending, s.trying, s.slot[0].valid, s.slot[1].valid,
		 s.slot[0].version, s.slot[1].version, floor);
	return false;
}

/* P1 and P2 after a step, for every component of @pc, at the TPM's @floor. */
static inline bool abm_check(struct abm *m, const char *state_dir, const struct ab_ops *ops,
			     const struct policy_conf *pc, uint64_t floor)
{
	unsigned int i;

	if (!abm_check_floor(m, floor))
		return false;
	for (i = 0; i < pc->count; i++)
		if (!abm_p1(state_dir, ops, &pc->component[i], floor, m->why, sizeof(m->why)))
			return false;
	return true;
}

#endif /* FWGUARD_TESTS_ABMODEL_H */
