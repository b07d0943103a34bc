// SPDX-License-Identifier: GPL-2.0-only
/*
 * `updatectl policy load|status`: hand this boot's partition policy to
 * fwguard.ko. `load` reads updatectl.conf (device identity, state and
 * policy paths), /etc/fwguard/policy.conf (which partitions hold which
 * component, see policy_conf.h), the slot state (which slot this boot runs
 * from) and the version floor from the TPM NV counter, resolves every slot
 * through /sys/class/block (PARTLABEL/PARTUUID, no udev), and protects them
 * all, the booted slot marked active. The kernel locks the policy at the
 * first protected range: later loads in the same boot may only make it
 * stricter, so running `load` twice is harmless and a looser policy is
 * refused by the kernel. Phases: options, inputs (no kernel change), act,
 * report. Exit codes: 0 ok, 2 usage or configuration, 4 TPM, 5 kernel
 * refused or module missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fwguard.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tpm/tpm.h"
#include "userspace/lib/config.h"
#include "userspace/lib/policy_conf.h"
#include "userspace/lib/runtime.h"
#include "userspace/lib/slots.h"
#include "userspace/cli/updatectl.h"

#define POLICY_SYSFS "/sys/class/misc/fwguard/policy"

struct policy_args {
	const char *config;
	const char *floor;	/* explicit floor instead of the TPM's */
	bool json;
};

struct policy_slot {
	const struct pc_component *comp;
	int index;
	bool active;
	struct pc_partition part;
};

struct policy_plan {
	struct uc_config cfg;
	struct policy_conf pc;
	uint64_t floor;
	unsigned int count;
	struct policy_slot slot[2 * PC_MAX_COMPONENTS];
};

static void policy_usage(FILE *out)
{
	fprintf(out,
		"usage: updatectl policy load [--config FILE] [--floor N] [--json]\n"
		"       updatectl policy status\n"
		"load protects every slot of /etc/fwguard/policy.conf until reboot; the\n"
		"version floor comes from the TPM unless --floor is given.\n");
}

static int policy_parse_args(int argc, char **argv, struct policy_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "floor", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	a->config = UC_CONFIG_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'f': a->floor = optarg; break;
		case 'j': a->json = true; break;
		default: return -EINVAL;
		}
	}
	return optind == argc ? 0 : -EINVAL;
}

static int policy_floor(const struct policy_args *a, struct policy_plan *p)
{
	struct fwg_tpm *tpm;
	char *end;
	int err;

	if (a->floor) {
		errno = 0;
		p->floor = strtoull(a->floor, &end, 10);
		if (errno || end == a->floor || *end || a->floor[0] == '-') {
			fprintf(stderr, "updatectl policy: bad --floor '%s'\n", a->floor);
			return -EINVAL;
		}
		return 0;
	}
	err = uc_tpm_open(&p->cfg, &tpm);
	if (!err) {
		err = fwg_tpm_floor_read(tpm, &p->floor);
		fwg_tpm_close(tpm);
	}
	if (err == FWG_TPM_E_NOT_PROVISIONED) {
		/* A device that never installed anything: no floor yet. */
		p->floor = 0;
		return 0;
	}
	if (err)
		fprintf(stderr, "updatectl policy: cannot read the version floor from the TPM: %s\n",
			strerror(-err));
	return err ? -ENODEV : 0;
}

/* Resolve every slot and decide which one is active; changes nothing. */
static int policy_prepare(const struct policy_args *a, struct policy_plan *p)
{
	unsigned int i;
	int s, err;

	err = uc_config_read(&p->cfg, a->config);
	if (!err)
		err = policy_conf_load(p->cfg.policy, &p->pc);
	if (err)
		return -EINVAL;
	for (i = 0; i < p->pc.count; i++) {
		const struct pc_component *c = &p->pc.component[i];
		struct slot_state st;
		int booted;

		err = slot_state_load(p->cfg.state_dir, c->name, &st);
		if (err)
			return -EINVAL;
		booted = slot_state_booted(&st);
		for (s = 0; s < 2; s++) {
			struct policy_slot *ps = &p->slot[p->count++];

			ps->comp = c;
			ps->index = s;
			ps->active = s == booted;
			err = pc_resolve("/sys/class/block", c->slot[s].spec, &ps->part);
			if (err) {
				fprintf(stderr, "updatectl policy: %s slot %s (%s): %s\n", c->name,
					c->slot[s].name, c->slot[s].spec,
					err == -ENOTUNIQ ? "several partitions match" : "no such partition");
				return -EINVAL;
			}
		}
	}
	return policy_floor(a, p);
}

static const char *policy_kernel_error(int err)
{
	switch (err) {
	case EEXIST: return "overlaps a range protected with other bounds or component";
	case EPERM: return "would loosen the locked policy (or not root)";
	case ESTALE: return "floor below the one already loaded this boot";
	case ENOSPC: return "too many protected partitions";
	default: return strerror(err);
	}
}

static int policy_apply(const struct policy_plan *p)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .floor = p->floor };
	unsigned int i;
	int ctl, err = 0;

	snprintf(pol.device_class, sizeof(pol.device_class), "%s", p->cfg.device_class);
	snprintf(pol.serial, sizeof(pol.serial), "%s", p->cfg.serial);
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		fprintf(stderr, "updatectl policy: cannot open %s: %s\n", FWGUARD_DEVICE, strerror(errno));
		return -ENODEV;
	}
	if (ioctl(ctl, FWGUARD_IOC_POLICY, &pol)) {
		err = -errno;
		fprintf(stderr, "updatectl policy: kernel refused identity/floor: %s\n",
			policy_kernel_error(-err));
	}
	for (i = 0; !err && i < p->count; i++) {
		const struct policy_slot *s = &p->slot[i];
		struct fwguard_protect req = {
			.size = sizeof(req),
			.flags = s->active ? FWGUARD_PROTECT_ACTIVE : 0,
			.dev_major = major(s->part.devt),
			.dev_minor = minor(s->part.devt),
		};

		snprintf(req.component, sizeof(req.component), "%s", s->comp->name);
		if (ioctl(ctl, FWGUARD_IOC_PROTECT, &req)) {
			err = -errno;
			fprintf(stderr, "updatectl policy: kernel refused %s slot %s (%s): %s\n",
				s->comp->name, s->comp->slot[s->index].name, s->part.devnode,
				policy_kernel_error(-err));
		}
	}
	close(ctl);
	return err ? -ENODEV : 0;
}

static void policy_report(const struct policy_plan *p, bool json)
{
	unsigned int i;

	if (json)
		printf("{\"floor\":%" PRIu64 ",\"slots\":[", p->floor);
	for (i = 0; i < p->count; i++) {
		const struct policy_slot *s = &p->slot[i];

		if (json)
			printf("%s{\"component\":\"%s\",\"slot\":\"%s\",\"device\":\"%s\",\"active\":%s}",
			       i ? "," : "", s->comp->name, s->comp->slot[s->index].name,
			       s->part.devnode, s->active ? "true" : "false");
		else
			printf("protected %s slot %s %s%s\n", s->comp->name,
			       s->comp->slot[s->index].name, s->part.devnode,
			       s->active ? " (active)" : "");
	}
	if (json)
		printf("]}\n");
	else
		printf("version floor %" PRIu64 "; policy locked until reboot\n", p->floor);
}

static int policy_load(int argc, char **argv)
{
	struct policy_args a = { 0 };
	struct policy_plan *p;
	int err;

	if (policy_parse_args(argc, argv, &a)) {
		policy_usage(stderr);
		return UC_EXIT_USAGE;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return UC_EXIT_FAILURE;
	err = policy_prepare(&a, p);
	if (!err)
		err = uc_module_ensure() ? -ENODEV : 0;
	if (!err)
		err = policy_apply(p);
	if (!err)
		policy_report(p, a.json);
	free(p);
	if (err == -EINVAL)
		return UC_EXIT_USAGE;
	return err ? UC_EXIT_KERNEL : UC_EXIT_OK;
}

static int policy_status(void)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(POLICY_SYSFS, "r");

	if (!f) {
		fprintf(stderr, "updatectl policy: %s: %s (is fwguard.ko loaded?)\n", POLICY_SYSFS,
			strerror(errno));
		return UC_EXIT_KERNEL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return UC_EXIT_OK;
}

/**
 * cmd_policy() - `updatectl policy load|status`
 * @argc: argument count, argv[0] is "policy"
 * @argv: arguments
 *
 * Return: an updatectl exit code.
 */
int cmd_policy(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "load"))
		return policy_load(argc - 1, argv + 1);
	if (argc == 2 && !strcmp(argv[1], "status"))
		return policy_status();
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		policy_usage(stdout);
		return UC_EXIT_OK;
	}
	policy_usage(stderr);
	return UC_EXIT_USAGE;
}
