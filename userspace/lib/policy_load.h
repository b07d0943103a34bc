/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Handing this boot's partition policy to fwguard.ko (updatectl policy
 * load): the device identity from updatectl.conf, which partitions hold
 * which component from policy.conf, which slot this boot runs from from
 * the slot state, and the version floor from the TPM NV counter. Every
 * slot is resolved through /sys/class/block (PARTLABEL/PARTUUID, no udev)
 * and protected, the booted slot marked active; while an update is pending
 * or on trial both slots are active (the last good one is the bootloader's
 * fallback: no session may write it, until reboot, since an active flag is
 * never cleared), and a spec that matches several partitions has all of
 * them protected active, those on the disk of the other slots first, and
 * fails the load (-ENOTUNIQ). The kernel locks the
 * policy at the first protected range: later loads in the same boot may
 * only make it stricter, so loading twice is harmless and a looser policy
 * is refused by the kernel.
 *
 * The boot loader's partitions (policy.conf's bootloader line) are
 * protected active as the component "bootloader", whatever the slot state
 * says: no session, no ticket ever writes them. With bootloader = grub in
 * updatectl.conf a policy.conf without a bootloader line fails the load
 * (-EINVAL, after the slots are protected): GRUB's core.img and the
 * grub.cfg built into it choose the slot and the kernel arguments.
 *
 * Protection fails closed: every range that can be resolved is protected
 * even when another input is missing or wrong, and only then is the first
 * error reported. A slot state that cannot be read protects both slots of
 * its component as active (neither may be written). The floor is the
 * TPM's; a missing floor index is an error except in factory state (no
 * slot state file exists for any component of policy.conf), and when the
 * TPM's floor cannot be read outside factory state the kernel gets the
 * highest version the slot states record instead. --floor may only state
 * a floor at least the TPM's, or any floor in factory state when the TPM
 * has none; otherwise it is refused and the TPM's floor (or the fallback)
 * is loaded.
 */
#ifndef FWGUARD_LIB_POLICY_LOAD_H
#define FWGUARD_LIB_POLICY_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userspace/lib/config.h"
#include "userspace/lib/policy_conf.h"
#include "userspace/lib/step.h"

/* Partitions one slot spec may match that are all protected. */
#define UC_POLICY_MAX_MATCHES	4

struct uc_policy_slot {
	const struct pc_component *comp;
	int index;
	bool active;
	bool ambiguous;		/* the spec matches several partitions */
	bool resolved;		/* part names the partition */
	bool protected;		/* the kernel protects it */
	struct pc_partition part;
};

struct uc_policy_plan {
	struct policy_conf pc;
	uint64_t floor;
	bool factory;		/* no slot state file for any component */
	uint64_t state_max;	/* highest version any slot state records */
	unsigned int count;
	struct uc_policy_slot slot[(2 * PC_MAX_COMPONENTS + PC_MAX_LOADER_PARTS) *
				   UC_POLICY_MAX_MATCHES];
};

/*
 * Load the policy; @floor states the floor instead of the TPM (see above).
 * Returns 0, or the first -errno with its step in @step (logged); in both
 * cases @plan says what the kernel protects now.
 */
int uc_policy_load(const struct uc_config *cfg, const uint64_t *floor,
		   struct uc_policy_plan *plan, struct uc_step *step);

/*
 * Protect slot @idx of @c as active if the kernel protects it as inactive
 * (a fallback in this boot made it the slot the next boot runs). 0 also
 * when the kernel holds no policy for it, or -errno (logged).
 */
int uc_policy_protect_active(const struct pc_component *c, int idx);

/*
 * The policy the kernel holds now, as fwguard.ko lists it in sysfs, into
 * @buf (NUL-terminated, truncated to @size). 0 or -errno (logged).
 */
int uc_policy_read(char *buf, size_t size, struct uc_step *step);

#endif /* FWGUARD_LIB_POLICY_LOAD_H */
