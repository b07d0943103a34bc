// SPDX-License-Identifier: GPL-2.0-only
/*
 * Asking fwguard.ko to retire a superseded slot (see retire.h). Nothing
 * here decides: the kernel checks the ticket, the floor, the booted slot
 * and both slots' bytes, and refuses anything it cannot prove.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/fwguard.h>

#include "userspace/common/fileio.h"
#include "userspace/common/log.h"
#include "userspace/lib/retire.h"
#include "userspace/lib/slots.h"

#define RETIRE_DIR "slot-tickets"

int retire_ticket_path(char *buf, size_t size, const char *state_dir, const char *component,
		       const char *slot)
{
	int n = snprintf(buf, size, "%s/" RETIRE_DIR "/%s@%s.cms", state_dir, component, slot);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int retire_ticket_save(const char *state_dir, const char *component, const char *slot,
		       const void *cms, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int err;

	err = retire_ticket_path(path, sizeof(path), state_dir, component, slot);
	if (!err && snprintf(dir, sizeof(dir), "%s/" RETIRE_DIR, state_dir) >= (int)sizeof(dir))
		err = -ENAMETOOLONG;
	if (!err)
		err = fwg_mkdir_p(dir, 0700);
	if (!err)
		err = fwg_write_file_atomic(path, cms, len);
	if (err)
		fwg_log_error("%s: cannot keep the ticket of slot %s (%s): %s", component, slot,
			      path, strerror(-err));
	return err;
}

static const char *retire_strerror(int err)
{
	switch (err) {
	case ENOENT: return "the slot is not protected, or its component has no other protected slot";
	case ENOTTY: return "the loaded fwguard.ko cannot retire slots";
	case ENOKEY: return "the ticket's signer is not trusted by the .fwguard keyring";
	case ESTALE: return "the confirmed slot's release is below the floor";
	case EAGAIN: return "the TPM floor has not reached the confirmed slot's release";
	case ENOLINK: return "the kernel cannot read the version floor from the TPM counter 0x01004657";
	case ENODEV: return "the boot chain named no booted slot (fwguard.boot_part=)";
	case ETXTBSY: return "the slot is the one that booted, or was written in this boot";
	case ENOEXEC: return "the confirmed slot does not hold its ticket's image";
	case EEXIST: return "both slots hold the same release";
	case EBUSY: return "an update session (FWGUARD_IOC_BEGIN) is open on one of the slots";
	case EXDEV: return "the disk has a path on an NVMe controller whose transport is not PCIe (refused)";
	default: return strerror(err);
	}
}

/* The ioctls: the kernel's floor up to @floor, then RETIRE. -errno of the first refusal. */
static int retire_ioctl(dev_t target, const uint8_t *cms, size_t len, uint64_t floor)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .floor = floor };
	struct fwguard_retire rt = {
		.size = sizeof(rt),
		.dev_major = major(target),
		.dev_minor = minor(target),
		.ticket = (uintptr_t)cms,
		.ticket_len = (uint32_t)len,
	};
	int ctl, err = 0;

	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	/* Raising it refuses only tickets the state machine refuses already. */
	if (ioctl(ctl, FWGUARD_IOC_POLICY, &pol) && errno != ESTALE)
		err = -errno;
	if (!err && ioctl(ctl, FWGUARD_IOC_RETIRE, &rt))
		err = -errno;
	close(ctl);
	return err;
}

/*
 * Whether the kernel knows which slot booted (module parameter boot_part):
 * without it RETIRE answers ENODEV, whatever the ticket.
 */
static bool retire_boot_part_named(void)
{
	char buf[64] = "";
	FILE *f = fopen("/sys/module/fwguard/parameters/boot_part", "re");

	if (!f)
		return true;	/* let the kernel say */
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return buf[0] && strcmp(buf, "(null)");
}

/* Not yet due, or impossible in this boot chain: never a failure. */
static bool retire_not_due(int err)
{
	return err == -EAGAIN || err == -ENODEV;
}

int retire_superseded(const char *state_dir, const struct pc_component *c, uint64_t floor,
		      bool strict)
{
	struct pc_partition part;
	struct slot_state s;
	char path[PATH_MAX];
	const char *why;
	uint8_t *cms = NULL;
	bool kept = false;
	size_t len;
	int k, o, err;

	if (!slot_state_exists(state_dir, c->name) ||
	    slot_state_load(state_dir, c->name, &s))
		return 0;	/* factory state, or reported by whoever reads it */
	k = s.active;
	o = 1 - k;
	if (s.pending >= 0 || s.trying >= 0 || !s.slot[k].valid ||
	    s.slot[k].version != floor || !s.slot[o].valid || s.slot[o].version >= floor)
		return 0;
	err = retire_ticket_path(path, sizeof(path), state_dir, c->name, c->slot[k].name);
	if (!err)
		err = fwg_read_file(path, FWGUARD_TICKET_CMS_MAX, &cms, &len);
	kept = !err;
	if (!err)
		err = pc_resolve("/sys/class/block", c->slot[o].spec, &part);	/* logs */
	if (!err)
		err = retire_ioctl(part.devt, cms, len, floor);
	free(cms);
	if (!err)
		return 1;	/* the kernel logs it */
	/* No booted slot named: whatever else failed, the kernel would refuse it. */
	if (!retire_not_due(err) && !retire_boot_part_named())
		err = -ENODEV;
	why = !kept && err != -ENODEV ? "no ticket kept for the confirmed slot" :
	      retire_strerror(-err);
	if (strict && !retire_not_due(err)) {
		fwg_log_error("%s: slot %s confirmed, but slot %s (version %" PRIu64
			      ", below the floor %" PRIu64 ") not retired, it may still boot: %s",
			      c->name, c->slot[k].name, c->slot[o].name, s.slot[o].version, floor,
			      why);
		return err;
	}
	fprintf(stderr, "updatectl: notice: %s: slot %s (version %" PRIu64
		", below the floor %" PRIu64 ") not retired: %s\n", c->name,
		c->slot[o].name, s.slot[o].version, floor, why);
	return retire_not_due(err) ? 0 : err;
}
