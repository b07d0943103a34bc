// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl status: what an admin or a post-market report needs at a
 * glance — per component the slots with their versions and digests, which
 * one is good, pending or on trial; the TPM's version floor; and the kernel
 * module's lock, keyring and refusal counters. Missing parts (no module, no
 * TPM) are reported as such, not as errors.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "userspace/common/fileio.h"
#include "userspace/common/hex.h"
#include "tpm/tpm.h"
#include "userspace/lib/config.h"
#include "userspace/lib/policy_conf.h"
#include "userspace/lib/slots.h"
#include "userspace/cli/updatectl.h"

#define SYSFS_FWGUARD "/sys/class/misc/fwguard"

/* First line of a sysfs attribute, or "" when it cannot be read. */
static void read_attr(const char *name, char *buf, size_t size)
{
	char path[128];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", SYSFS_FWGUARD, name);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static const char *slot_role(const struct slot_state *s, int i)
{
	if (s->trying == i)
		return "trying";
	if (s->pending == i)
		return "pending";
	if (s->active == i)
		return "active";
	return "inactive";
}

static void print_slot_json(const struct pc_component *c, const struct slot_state *s, int i)
{
	const struct slot_record *r = &s->slot[i];
	char hex[65];

	fwg_hex_encode(r->digest, 32, hex);
	printf("{\"name\":\"%s\",\"role\":\"%s\",\"valid\":%s,\"good\":%s,\"version\":%" PRIu64
	       ",\"length\":%" PRIu64 ",\"digest\":\"%s\"}",
	       c->slot[i].name, slot_role(s, i), r->valid ? "true" : "false",
	       r->good ? "true" : "false", r->version, r->length, r->valid ? hex : "");
}

static void print_slot_human(const struct pc_component *c, const struct slot_state *s, int i)
{
	const struct slot_record *r = &s->slot[i];
	char hex[65];

	fwg_hex_encode(r->digest, 32, hex);
	if (r->valid)
		printf("  %-8s %-8s version %" PRIu64 "%s, %" PRIu64 " bytes, sha256 %.16s...\n",
		       c->slot[i].name, slot_role(s, i), r->version, r->good ? " (good)" : "",
		       r->length, hex);
	else
		printf("  %-8s %-8s no valid image\n", c->slot[i].name, slot_role(s, i));
}

static int tpm_floor(const struct uc_config *cfg, uint64_t *floor)
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

static void print_components(const struct uc_config *cfg, const struct policy_conf *pc, bool json)
{
	unsigned int i;
	int j;

	for (i = 0; i < pc->count; i++) {
		const struct pc_component *c = &pc->component[i];
		struct slot_state s;

		if (slot_state_load(cfg->state_dir, c->name, &s))
			continue;
		if (json) {
			printf("%s{\"name\":\"%s\",\"slots\":[", i ? "," : "", c->name);
			for (j = 0; j < 2; j++) {
				printf(j ? "," : "");
				print_slot_json(c, &s, j);
			}
			printf("]}");
		} else {
			printf("component %s\n", c->name);
			for (j = 0; j < 2; j++)
				print_slot_human(c, &s, j);
		}
	}
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 }
	};
	const char *config = UC_CONFIG_DEFAULT;
	char locked[16], keyring[64];
	struct uc_config cfg;
	struct policy_conf pc;
	bool json = false, module;
	uint64_t floor = 0;
	int opt, floor_err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:j", opts, NULL)) != -1) {
		if (opt == 'c')
			config = optarg;
		else if (opt == 'j')
			json = true;
		else
			return UC_EXIT_USAGE;
	}
	if (uc_config_read(&cfg, config) ||
	    policy_conf_load(cfg.policy, &pc))
		return UC_EXIT_USAGE;
	floor_err = tpm_floor(&cfg, &floor);
	module = access(SYSFS_FWGUARD, F_OK) == 0;
	read_attr("locked", locked, sizeof(locked));
	read_attr("keyring", keyring, sizeof(keyring));

	if (json) {
		printf("{\"components\":[");
		print_components(&cfg, &pc, true);
		printf("],\"floor\":");
		if (floor_err)
			printf("null");
		else
			printf("%" PRIu64, floor);
		printf(",\"module\":{\"loaded\":%s,\"locked\":%s,\"keyring\":\"%s\"}}\n",
		       module ? "true" : "false", !strcmp(locked, "1") ? "true" : "false", keyring);
		return UC_EXIT_OK;
	}
	print_components(&cfg, &pc, false);
	if (floor_err)
		printf("version floor: unavailable (%s)\n", strerror(-floor_err));
	else
		printf("version floor: %" PRIu64 "\n", floor);
	if (module)
		printf("fwguard.ko: loaded, policy %s, keyring %s\n",
		       !strcmp(locked, "1") ? "locked" : "not loaded", keyring);
	else
		printf("fwguard.ko: not loaded\n");
	return UC_EXIT_OK;
}
