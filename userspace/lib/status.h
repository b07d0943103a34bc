/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What updatectl status reports: per component the slots with their
 * versions and digests and which one is good, pending or on trial; the
 * TPM's version floor; the kernel module's lock and keyring state. A part
 * that cannot be read (a corrupt slot state, no module) is reported as
 * such rather than ending the report.
 */
#ifndef FWGUARD_LIB_STATUS_H
#define FWGUARD_LIB_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "userspace/lib/config.h"
#include "userspace/lib/policy_conf.h"
#include "userspace/lib/slots.h"
#include "userspace/lib/step.h"

struct uc_status_component {
	const struct pc_component *comp;
	int state_err;		/* 0, or why the slot state could not be read */
	struct slot_state state;
};

struct uc_status {
	struct policy_conf pc;
	struct uc_status_component component[PC_MAX_COMPONENTS];
	int floor_err;		/* 0, or why the floor could not be read */
	uint64_t floor;
	bool module_loaded, policy_locked;
	char keyring[64];
};

/* "trying", "pending", "active" or "inactive". */
const char *uc_slot_role(const struct slot_state *s, int i);

/*
 * Collect the report. Returns 0, or -errno when the policy cannot be read
 * or the TPM cannot be reached (the report is complete but for the floor).
 */
int uc_status_read(const struct uc_config *cfg, struct uc_status *st, struct uc_step *step);

#endif /* FWGUARD_LIB_STATUS_H */
