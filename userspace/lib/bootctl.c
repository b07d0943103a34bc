// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bootloader interface (see bootctl.h): the backend chosen by the
 * configuration, the booted slot from the kernel command line, and the
 * three transitions of the boot protocol on the bootloader's record. The
 * formats live in bootctl_grub.c, bootctl_uboot.c and bootctl_custom.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userspace/common/fileio.h"
#include "userspace/common/log.h"
#include "userspace/lib/bootctl.h"
#include "userspace/lib/config.h"
#include "userspace/lib/policy_conf.h"

/* The kernel's limit is 2048 (x86) to 4096 bytes; more is not a command line. */
#define CMDLINE_MAX	8192
#define SLOT_PARAM	"fwguard.slot="

/*
 * The kernel's COMMAND_LINE_SIZE: it keeps at most one byte less of the
 * line the bootloader passed, and bootloaders (GRUB among them) drop the
 * words past it. A line that long may have lost its end, and with it the
 * bootloader's fwguard.slot=, to words root put before it.
 */
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__powerpc__)
#define KERNEL_CMDLINE_SIZE	2048
#elif defined(__arm__) || defined(__riscv)
#define KERNEL_CMDLINE_SIZE	1024
#else
#define KERNEL_CMDLINE_SIZE	512
#endif

static const char *const kind_names[] = {
	[BOOTCTL_NONE] = "none", [BOOTCTL_GRUB] = "grub", [BOOTCTL_UBOOT] = "uboot",
	[BOOTCTL_CUSTOM] = "custom",
};

const char *bootctl_kind_name(enum bootctl_kind kind)
{
	return kind_names[kind];
}

char bootctl_slot_name(int slot)
{
	return slot ? 'b' : 'a';
}

int bootctl_parse_slot(const char *text, int *slot)
{
	if (!strcmp(text, "a") || !strcmp(text, "0"))
		*slot = 0;
	else if (!strcmp(text, "b") || !strcmp(text, "1"))
		*slot = 1;
	else
		return -EINVAL;
	return 0;
}

static const char *config_path(const struct uc_config *cfg, enum bootctl_kind kind,
			       const char **key)
{
	switch (kind) {
	case BOOTCTL_GRUB: *key = "grubenv"; return cfg->grubenv;
	case BOOTCTL_UBOOT: *key = "uboot_env_config"; return cfg->uboot_env_config;
	case BOOTCTL_CUSTOM: *key = "bootctl_exec"; return cfg->bootctl_exec;
	default: *key = ""; return "";
	}
}

int bootctl_from_config(struct bootctl *bc, const struct uc_config *cfg)
{
	const char *path, *key;
	unsigned int k;

	memset(bc, 0, sizeof(*bc));
	for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
		if (!strcmp(cfg->bootloader, kind_names[k]))
			break;
	if (k == sizeof(kind_names) / sizeof(kind_names[0])) {
		fwg_log_error("bootloader = %s: not one of none, grub, uboot, custom",
			      cfg->bootloader);
		return -EINVAL;
	}
	bc->kind = (enum bootctl_kind)k;
	path = config_path(cfg, bc->kind, &key);
	if (bc->kind != BOOTCTL_NONE && !*path) {
		fwg_log_error("bootloader = %s needs '%s =' in the configuration", cfg->bootloader,
			      key);
		return -EINVAL;
	}
	if (bc->kind != BOOTCTL_NONE && !*cfg->boot_component) {
		fwg_log_error("bootloader = %s needs 'boot_component =' (the component whose "
			      "slots it boots)", cfg->bootloader);
		return -EINVAL;
	}
	if (cfg->boot_tries < 1 || cfg->boot_tries > BOOTCTL_TRIES_MAX) {
		fwg_log_error("boot_tries = %u: must be 1 to %d", cfg->boot_tries,
			      BOOTCTL_TRIES_MAX);
		return -EINVAL;
	}
	snprintf(bc->path, sizeof(bc->path), "%s", path);
	snprintf(bc->component, sizeof(bc->component), "%s", cfg->boot_component);
	bc->tries = cfg->boot_tries;
	bc->cmdline = BOOTCTL_CMDLINE;
	return 0;
}

/*
 * A boot_component that names no component would leave the bootloader's
 * record unwritten by every event (an install could rewrite the slot it
 * boots): refused like a bad bootloader setting.
 */
int bootctl_check_component(const struct bootctl *bc, const struct policy_conf *pc)
{
	if (bc->kind == BOOTCTL_NONE || policy_conf_find(pc, bc->component))
		return 0;
	fwg_log_error("boot_component = %s: no such component in the policy", bc->component);
	return -EINVAL;
}

/*
 * The value of fwguard.slot= in @line (NUL-terminated), or -ENODATA / -EBADMSG.
 * Every word counts, those after "--" (init's) too: a word put on the line
 * before the bootloader's own could otherwise hide it behind a "--".
 */
static int cmdline_slot(const char *path, char *line, int *slot)
{
	char *tok, *save = NULL;
	int found = -1, s;

	for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		if (strncmp(tok, SLOT_PARAM, strlen(SLOT_PARAM)))
			continue;
		if (bootctl_parse_slot(tok + strlen(SLOT_PARAM), &s) ||
		    (found >= 0 && found != s)) {
			fwg_log_error("%s: '%s': the bootloader must name one slot, "
				      SLOT_PARAM "a or " SLOT_PARAM "b", path, tok);
			return -EBADMSG;
		}
		found = s;
	}
	if (found < 0) {
		fwg_log_error("%s: no " SLOT_PARAM " on the kernel command line: the bootloader "
			      "did not say which slot it booted", path);
		return -ENODATA;
	}
	*slot = found;
	return 0;
}

static int booted_from_cmdline(const char *path, int *slot)
{
	uint8_t *buf = NULL;
	size_t len;
	char *line;
	int err;

	err = fwg_read_file(path, CMDLINE_MAX, &buf, &len);
	if (err) {
		fwg_log_error("cannot read the kernel command line %s: %s", path, strerror(-err));
		return err;
	}
	line = (char *)buf;
	line[len] = '\0';	/* fwg_read_file() leaves room for it */
	if (memchr(line, '\0', len)) {
		fwg_log_error("%s: a NUL byte in the kernel command line", path);
		err = -EBADMSG;
	} else if (strcspn(line, "\n") >= KERNEL_CMDLINE_SIZE - 1) {
		fwg_log_error("%s: the kernel command line fills the kernel's %d bytes: its end, "
			      "where a bootloader's " SLOT_PARAM " may have been, can be cut off",
			      path, KERNEL_CMDLINE_SIZE - 1);
		err = -EBADMSG;
	} else {
		err = cmdline_slot(path, line, slot);
	}
	free(buf);
	return err;
}

int bootctl_booted(const struct bootctl *bc, int *slot)
{
	switch (bc->kind) {
	case BOOTCTL_GRUB:
	case BOOTCTL_UBOOT:
		return booted_from_cmdline(bc->cmdline, slot);
	case BOOTCTL_CUSTOM:
		return bootctl_custom_booted(bc->path, slot);
	default:
		return -ENOENT;
	}
}

int bootctl_read(const struct bootctl *bc, struct bootctl_state *st)
{
	switch (bc->kind) {
	case BOOTCTL_GRUB: return bootctl_grub_read(bc->path, st);
	case BOOTCTL_UBOOT: return bootctl_uboot_read(bc->path, bc->tries, st);
	case BOOTCTL_CUSTOM: return -EOPNOTSUPP;
	default: return -ENOENT;
	}
}

void bootctl_apply_trial(struct bootctl_state *st, int slot, unsigned int tries)
{
	st->order[0] = slot;
	st->order[1] = 1 - slot;
	st->ok[slot] = true;
	st->left[slot] = (int)tries;
}

void bootctl_apply_good(struct bootctl_state *st, int slot)
{
	st->order[0] = slot;
	st->order[1] = 1 - slot;
	st->ok[slot] = true;
	st->left[slot] = BOOTCTL_CONFIRMED;
}

void bootctl_apply_bad(struct bootctl_state *st, int slot)
{
	st->order[0] = 1 - slot;
	st->order[1] = slot;
	st->ok[slot] = false;
	st->left[slot] = 0;
}

/* U-Boot counts every boot: a confirmed slot gets boot_tries again. */
static void uboot_counts(struct bootctl_state *st, unsigned int tries)
{
	int s;

	for (s = 0; s < 2; s++) {
		if (st->left[s] == BOOTCTL_CONFIRMED)
			st->left[s] = (int)tries;
		st->ok[s] = st->left[s] > 0;
	}
}

/* Field by field: the struct has padding that a copy need not keep. */
static bool same_state(const struct bootctl_state *x, const struct bootctl_state *y)
{
	int s;

	for (s = 0; s < 2; s++)
		if (x->order[s] != y->order[s] || x->ok[s] != y->ok[s] || x->left[s] != y->left[s])
			return false;
	return true;
}

enum transition { TO_TRIAL, TO_GOOD, TO_BAD };
static const char *const verbs[] = { "set-trial", "mark-good", "mark-bad" };

/* One change of the record: @t of @slot. */
struct change {
	enum transition t;
	int slot;
};

static void apply(struct bootctl_state *st, const struct change *ch, unsigned int tries)
{
	if (ch->t == TO_TRIAL)
		bootctl_apply_trial(st, ch->slot, tries);
	else if (ch->t == TO_GOOD)
		bootctl_apply_good(st, ch->slot);
	else
		bootctl_apply_bad(st, ch->slot);
}

/*
 * Read, apply the @n changes in turn, write back once, only when the record
 * changes: the changes reach the bootloader together or not at all. The
 * custom backend gets one call per change.
 */
static int transition(const struct bootctl *bc, const struct change *ch, int n,
		      unsigned int tries)
{
	struct bootctl_state st, next;
	int err = 0, i;

	if (bc->kind == BOOTCTL_NONE)
		return 0;
	if (bc->kind == BOOTCTL_CUSTOM) {
		for (i = 0; i < n && !err; i++)
			err = bootctl_custom_call(bc->path, verbs[ch[i].t], ch[i].slot, tries);
		return err;
	}
	err = bootctl_read(bc, &st);
	if (err)
		return err;
	next = st;
	for (i = 0; i < n; i++)
		apply(&next, &ch[i], tries);
	if (bc->kind == BOOTCTL_UBOOT)
		uboot_counts(&next, bc->tries);
	if (same_state(&st, &next))
		return 0;
	if (bc->kind == BOOTCTL_GRUB)
		return bootctl_grub_write(bc->path, &next);
	return bootctl_uboot_write(bc->path, bc->tries, &next);
}

static int check_tries(unsigned int tries)
{
	if (tries >= 1 && tries <= BOOTCTL_TRIES_MAX)
		return 0;
	fwg_log_error("set-trial: %u tries: must be 1 to %d", tries, BOOTCTL_TRIES_MAX);
	return -EINVAL;
}

int bootctl_set_trial(const struct bootctl *bc, int slot, unsigned int tries)
{
	const struct change ch = { TO_TRIAL, slot };

	return check_tries(tries) ? -EINVAL : transition(bc, &ch, 1, tries);
}

int bootctl_mark_good(const struct bootctl *bc, int slot)
{
	const struct change ch = { TO_GOOD, slot };

	return transition(bc, &ch, 1, 0);
}

int bootctl_mark_bad(const struct bootctl *bc, int slot)
{
	const struct change ch = { TO_BAD, slot };

	return transition(bc, &ch, 1, 0);
}

int bootctl_fall_back(const struct bootctl *bc, int bad, bool good)
{
	const struct change ch[2] = { { TO_BAD, bad }, { good ? TO_GOOD : TO_TRIAL, 1 - bad } };

	return check_tries(bc->tries) ? -EINVAL : transition(bc, ch, 2, bc->tries);
}
