// SPDX-License-Identifier: GPL-2.0-only
/* The status report (see status.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tpm/tpm.h"
#include "userspace/common/cleanup.h"
#include "userspace/lib/status.h"

#define SYSFS_FWGUARD "/sys/class/misc/fwguard"

/* First line of a sysfs attribute, or "" when it cannot be read. */
static void read_attr(const char *name, char *buf, size_t size)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[128];

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", SYSFS_FWGUARD, name);
	f = fopen(path, "re");
	if (f && fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
}

const char *uc_slot_role(const struct slot_state *s, int i)
{
	if (s->trying == i)
		return "trying";
	if (s->pending == i)
		return "pending";
	if (s->active == i)
		return "active";
	return "inactive";
}

static int read_floor(const struct uc_config *cfg, uint64_t *floor)
{
	struct fwg_tpm *tpm;
	int err;

	err = uc_tpm_open(cfg, &tpm);
	if (err)
		return err;
	err = fwg_tpm_floor_read(tpm, floor);
	fwg_tpm_close(tpm);
	return err;
}

int uc_status_read(const struct uc_config *cfg, struct uc_status *st, struct uc_step *step)
{
	char locked[16];
	unsigned int i;
	int err;

	memset(st, 0, sizeof(*st));
	uc_step_enter(step, UC_SRC_USAGE, "read-policy");
	err = policy_conf_load(cfg->policy, &st->pc);
	if (err)
		return err;
	for (i = 0; i < st->pc.count; i++) {
		struct uc_status_component *c = &st->component[i];

		c->comp = &st->pc.component[i];
		c->state_err = slot_state_load(cfg->state_dir, c->comp->name, &c->state);
	}
	st->module_loaded = access(SYSFS_FWGUARD, F_OK) == 0;
	read_attr("locked", locked, sizeof(locked));
	st->policy_locked = !strcmp(locked, "1");
	read_attr("keyring", st->keyring, sizeof(st->keyring));
	uc_step_enter(step, UC_SRC_TPM, "read-floor");
	st->floor_err = read_floor(cfg, &st->floor);
	return st->floor_err == FWG_TPM_E_UNAVAILABLE ? st->floor_err : 0;
}
