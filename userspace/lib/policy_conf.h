/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * /etc/fwguard/policy.conf: which partitions hold which firmware component.
 *
 *   # component NAME SLOT=PARTSPEC SLOT=PARTSPEC
 *   component bootfw fw_a=PARTLABEL=fw_a fw_b=PARTLABEL=fw_b
 *
 * PARTSPEC is PARTLABEL=<GPT name> or PARTUUID=<GPT partition GUID>, looked
 * up in /sys/class/block (no udev needed, so it works before udev runs).
 * Every component has exactly two slots (A/B). Which slot is active lives
 * in updatectl's slot state, not here: this file is static configuration.
 *
 *   # bootloader PART=PARTSPEC [PART=PARTSPEC]
 *   bootloader core=PARTLABEL=bios_boot
 *
 * names the partitions that hold the boot loader (GRUB's core.img with its
 * built-in grub.cfg: the BIOS boot partition; on UEFI the ESP). They are
 * protected as the component "bootloader", active always: never written,
 * no ticket for them is ever accepted. At most one bootloader line, one or
 * two partitions; no component may be called "bootloader".
 */
#ifndef FWGUARD_POLICY_CONF_H
#define FWGUARD_POLICY_CONF_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#define PC_MAX_COMPONENTS	8
#define PC_NAME_MAX		31	/* component and slot names */
#define PC_SPEC_MAX		80
#define PC_BOOTLOADER		"bootloader"	/* the boot loader's component */
#define PC_MAX_LOADER_PARTS	2

struct pc_slot {
	char name[PC_NAME_MAX + 1];
	char spec[PC_SPEC_MAX + 1];	/* PARTLABEL=... or PARTUUID=... */
};

struct pc_component {
	char name[PC_NAME_MAX + 1];
	struct pc_slot slot[2];
};

struct policy_conf {
	unsigned int count;
	struct pc_component component[PC_MAX_COMPONENTS];
	/* The bootloader line: its partitions in bootloader.slot[0..loader_parts). */
	unsigned int loader_parts;
	struct pc_component bootloader;
};

/* Resolved partition of a slot. */
struct pc_partition {
	char devnode[64];	/* /dev/vda2 */
	char disk[64];		/* vda: the disk it is on */
	dev_t devt;
	uint64_t size_bytes;
};

/*
 * Parse @path. Returns 0, -ENOENT, or -EINVAL for a malformed line (logged
 * with its line number): unknown keyword, bad name charset, not exactly two
 * slots, duplicate component or slot, bad PARTSPEC, a second bootloader
 * line or one with no or more than PC_MAX_LOADER_PARTS partitions, a
 * component called "bootloader".
 */
int policy_conf_load(const char *path, struct policy_conf *out);

/* The component called @name, or NULL. */
const struct pc_component *policy_conf_find(const struct policy_conf *pc, const char *name);

/* Index (0 or 1) of slot @name in @c, or -ENOENT. */
int pc_slot_index(const struct pc_component *c, const char *name);

/*
 * Find the partition matching @spec under @sysfs (normally
 * "/sys/class/block"). Returns 0, -ENOENT (no match), -ENOTUNIQ (several
 * partitions match: refusing to guess which one is protected).
 */
int pc_resolve(const char *sysfs, const char *spec, struct pc_partition *out);

/*
 * Every partition matching @spec, the first @max into @out, their number
 * into @count; not logged. Returns 0 (exactly one), -ENOTUNIQ (several),
 * -ENOENT (none) or another -errno.
 */
int pc_resolve_all(const char *sysfs, const char *spec, struct pc_partition *out,
		   unsigned int max, unsigned int *count);

#endif /* FWGUARD_POLICY_CONF_H */
