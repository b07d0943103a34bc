/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Retiring a slot the version floor has passed (kmod/README.md, "Retiring
 * a superseded slot"; STATE.md "retire"): updatectl keeps the ticket of
 * each slot it installed, and after mark-good raised the floor, and at
 * every policy load, asks fwguard.ko to zero the head of a slot the
 * release at the floor superseded. The kernel proves it (it reads and
 * hashes the confirmed slot itself); the slot state only chooses whom to
 * ask about.
 */
#ifndef FWGUARD_LIB_RETIRE_H
#define FWGUARD_LIB_RETIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userspace/lib/policy_conf.h"

/* <state_dir>/slot-tickets/<component>@<slot>.cms */
int retire_ticket_path(char *buf, size_t size, const char *state_dir, const char *component,
		       const char *slot);

/*
 * Keep the DER ticket @cms of the image just committed into @slot of
 * @component (replaced atomically). 0 or -errno (logged).
 */
int retire_ticket_save(const char *state_dir, const char *component, const char *slot,
		       const void *cms, size_t len);

/*
 * When the slot state of @c is steady with the active slot at @floor and
 * the other slot recorded below it, raise the kernel's floor to @floor and
 * retire the other slot (FWGUARD_IOC_RETIRE) with the active slot's
 * ticket. Returns 1 when the kernel retired it (or found it holding no
 * image), 0 when there is nothing to retire or it is not due (EAGAIN: the
 * TPM floor has not reached the release; ENODEV: the boot chain names no
 * booted slot, so nothing can be retired), or -errno. With @strict
 * (mark-good: the floor was just raised, and the next policy load runs
 * only after the bootloader chose a slot) any other refusal is an error
 * line, for the command to fail with; otherwise every refusal is a notice.
 */
int retire_superseded(const char *state_dir, const struct pc_component *c, uint64_t floor,
		      bool strict);

#endif /* FWGUARD_LIB_RETIRE_H */
