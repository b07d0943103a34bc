/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bootloader as the A/B state machine sees it (issue 12): which slot
 * booted, and the bootloader's own record of which slot to boot next and
 * how often it may still try it. One interface, four backends chosen by
 * `bootloader =` in updatectl.conf:
 *
 *   none    no bootloader integration (the default): the booted slot is
 *           what the slot state says; every write is a no-op.
 *   grub    a GRUB environment block (bootctl_grub.c): fwg_order,
 *           fwg_<s>_ok, fwg_<s>_left; the booted slot from the kernel
 *           command line (fwguard.slot=a|b).
 *   uboot   the U-Boot environment through libubootenv (bootctl_uboot.c):
 *           BOOT_ORDER, BOOT_<S>_LEFT; booted slot from the command line.
 *   custom  an executable (bootctl_exec) called with documented arguments
 *           (bootctl_custom.c); it also says which slot booted.
 *
 * Slots are 0 and 1 here, "a" and "b" to the bootloader. The operations
 * are the three transitions of the boot protocol (STATE.md, "bootloader"):
 * a trial with a try count, a slot confirmed (boots without counting), a
 * slot never to be booted. Every function returns 0 or -errno and logs
 * once; a write that would not change the bootloader's record is skipped.
 */
#ifndef FWGUARD_LIB_BOOTCTL_H
#define FWGUARD_LIB_BOOTCTL_H

#include <limits.h>
#include <stdbool.h>

struct uc_config;

enum bootctl_kind { BOOTCTL_NONE, BOOTCTL_GRUB, BOOTCTL_UBOOT, BOOTCTL_CUSTOM };

/* fwg_<s>_left unset: the slot is confirmed and boots without counting. */
#define BOOTCTL_CONFIRMED	(-1)
/* Highest try count a trial may be given. */
#define BOOTCTL_TRIES_MAX	99

/* The kernel command line boot-verify trusts in production. */
#define BOOTCTL_CMDLINE		"/proc/cmdline"

struct bootctl {
	enum bootctl_kind kind;
	char path[PATH_MAX];	/* grubenv, uboot_env_config or bootctl_exec */
	char component[64];	/* boot_component: whose slots the bootloader boots */
	unsigned int tries;	/* boot_tries */
	/*
	 * The file the booted slot is read from (fwguard.slot=). Always
	 * BOOTCTL_CMDLINE from bootctl_from_config(); only a program linking
	 * the library (the host tests) can point it elsewhere: no key, option
	 * or environment variable of updatectl reaches it.
	 */
	const char *cmdline;
};

/* The bootloader's record, as `updatectl bootloader status` shows it. */
struct bootctl_state {
	int order[2];		/* slots, the one tried first at [0] */
	bool ok[2];		/* the bootloader may boot the slot */
	int left[2];		/* tries left of a trial, or BOOTCTL_CONFIRMED */
};

/* "none", "grub", "uboot", "custom". */
const char *bootctl_kind_name(enum bootctl_kind kind);
/* 'a' or 'b'. */
char bootctl_slot_name(int slot);

/* The configured backend; -EINVAL (logged) on an unknown name or a missing path. */
int bootctl_from_config(struct bootctl *bc, const struct uc_config *cfg);

struct policy_conf;
/* -EINVAL (logged) when a bootloader is set and boot_component names no component of @pc. */
int bootctl_check_component(const struct bootctl *bc, const struct policy_conf *pc);

/*
 * The slot the bootloader booted: 0 or 1. For `none` -ENOENT (the slot
 * state decides, as before). -ENODATA when the command line names no slot,
 * -EBADMSG when it names an unknown or two different ones.
 */
int bootctl_booted(const struct bootctl *bc, int *slot);

/* Boot @slot first, as a trial the bootloader abandons after @tries boots. */
int bootctl_set_trial(const struct bootctl *bc, int slot, unsigned int tries);
/* @slot is confirmed: first in order, bootable, booted without counting. */
int bootctl_mark_good(const struct bootctl *bc, int slot);
/* @slot is never booted again (until a set-trial); the other goes first. */
int bootctl_mark_bad(const struct bootctl *bc, int slot);
/*
 * The fallback from @bad to the other slot, in one write of the record:
 * @bad as by mark-bad, then the other as by mark-good when @good, else as
 * by set-trial with the configured tries (the custom backend: two calls).
 */
int bootctl_fall_back(const struct bootctl *bc, int bad, bool good);

/* The bootloader's record (-ENOENT for `none`, -EOPNOTSUPP for `custom`). */
int bootctl_read(const struct bootctl *bc, struct bootctl_state *st);

/* The three transitions, on a record (shared by the grub and uboot backends). */
void bootctl_apply_trial(struct bootctl_state *st, int slot, unsigned int tries);
void bootctl_apply_good(struct bootctl_state *st, int slot);
void bootctl_apply_bad(struct bootctl_state *st, int slot);

/* Parse "a" or "b" (also "0"/"1"); -EINVAL otherwise. */
int bootctl_parse_slot(const char *text, int *slot);

/* Backends (bootctl_grub.c, bootctl_uboot.c, bootctl_custom.c). */
int bootctl_grub_read(const char *path, struct bootctl_state *st);
int bootctl_grub_write(const char *path, const struct bootctl_state *st);
int bootctl_uboot_read(const char *config, unsigned int tries, struct bootctl_state *st);
int bootctl_uboot_write(const char *config, unsigned int tries, const struct bootctl_state *st);
int bootctl_custom_booted(const char *exe, int *slot);
int bootctl_custom_call(const char *exe, const char *verb, int slot, unsigned int tries);

#endif /* FWGUARD_LIB_BOOTCTL_H */
