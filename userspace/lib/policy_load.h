/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Handing this boot's partition policy to fwguard.ko (updatectl policy
 * load): the device identity from updatectl.conf, which partitions hold
 * which component from policy.conf, which slot this boot runs from from
 * the slot state, and the version floor from the TPM NV counter. Every
 * slot is resolved through /sys/class/block (PARTLABEL/PARTUUID, no udev)
 * and protected, the booted slot marked active. The kernel locks the
 * policy at the first protected range: later loads in the same boot may
 * only make it stricter, so loading twice is harmless and a looser policy
 * is refused by the kernel. Nothing reaches the kernel before every input
 * has been read and resolved.
 */
#ifndef FWGUARD_LIB_POLICY_LOAD_H
#define FWGUARD_LIB_POLICY_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userspace/lib/config.h"
#include "userspace/lib/policy_conf.h"
#include "userspace/lib/step.h"

struct uc_policy_slot {
	const struct pc_component *comp;
	int index;
	bool active;
	struct pc_partition part;
};

struct uc_policy_plan {
	struct policy_conf pc;
	uint64_t floor;
	unsigned int count;
	struct uc_policy_slot slot[2 * PC_MAX_COMPONENTS];
};

/*
 * Load the policy; @floor overrides the TPM's floor when not NULL.
 * Returns 0 with what was protected in @plan, or -errno with the failing
 * step in @step (logged).
 */
int uc_policy_load(const struct uc_config *cfg, const uint64_t *floor,
		   struct uc_policy_plan *plan, struct uc_step *step);

/*
 * The policy the kernel holds now, as fwguard.ko lists it in sysfs, into
 * @buf (NUL-terminated, truncated to @size). 0 or -errno (logged).
 */
int uc_policy_read(char *buf, size_t size, struct uc_step *step);

#endif /* FWGUARD_LIB_POLICY_LOAD_H */
