// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parser for /etc/fwguard/updatectl.conf (see config.h). One table maps
 * each key to its field, so the documented keys and the accepted keys
 * cannot drift apart.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpm/tpm.h"
#include "userspace/common/fileio.h"
#include "userspace/common/log.h"
#include "userspace/common/number.h"
#include "userspace/lib/config.h"

enum key_type { KEY_STRING, KEY_UINT, KEY_LONG };

struct config_key {
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size;
};

#define STR_KEY(n) { #n, KEY_STRING, offsetof(struct uc_config, n), \
		     sizeof(((struct uc_config *)0)->n) }
#define NUM_KEY(n, t) { #n, t, offsetof(struct uc_config, n), 0 }

static const struct config_key keys[] = {
	STR_KEY(server_url), STR_KEY(server_ca), STR_KEY(client_cert),
	STR_KEY(client_key), STR_KEY(trust), STR_KEY(device_class),
	STR_KEY(serial), STR_KEY(state_dir), STR_KEY(download_dir),
	STR_KEY(policy), STR_KEY(tcti), STR_KEY(policy_key),
	NUM_KEY(pcr, KEY_UINT), NUM_KEY(connect_timeout_s, KEY_LONG),
	NUM_KEY(stall_timeout_s, KEY_LONG), NUM_KEY(fetch_timeout_s, KEY_LONG),
	NUM_KEY(attempts, KEY_UINT), NUM_KEY(tpm_timeout_s, KEY_UINT),
	STR_KEY(bootloader), STR_KEY(boot_component), STR_KEY(grubenv),
	STR_KEY(uboot_env_config), STR_KEY(bootctl_exec), NUM_KEY(boot_tries, KEY_UINT),
};

static void uc_config_defaults(struct uc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->server_ca, sizeof(cfg->server_ca), "/etc/fwguard/server-ca.pem");
	snprintf(cfg->client_cert, sizeof(cfg->client_cert), "/etc/fwguard/device.pem");
	snprintf(cfg->client_key, sizeof(cfg->client_key), "/etc/fwguard/device.key");
	snprintf(cfg->trust, sizeof(cfg->trust), "/etc/fwguard/trust");
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", FWG_DEFAULT_STATE_DIR);
	snprintf(cfg->download_dir, sizeof(cfg->download_dir), "%s/downloads",
		 FWG_DEFAULT_STATE_DIR);
	snprintf(cfg->policy, sizeof(cfg->policy), "/etc/fwguard/policy.conf");
	/* tcti stays "": tpm/ then takes $FWGUARD_TCTI, else FWG_DEFAULT_TCTI. */
	cfg->pcr = FWG_DEFAULT_PCR;
	cfg->connect_timeout_s = 20;
	cfg->stall_timeout_s = 30;
	cfg->fetch_timeout_s = 3600;
	cfg->attempts = 4;
	cfg->tpm_timeout_s = FWG_DEFAULT_TPM_TIMEOUT_S;
	snprintf(cfg->bootloader, sizeof(cfg->bootloader), "none");
	cfg->boot_tries = 3;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int set_number(const struct config_key *key, void *field, const char *value)
{
	uint64_t n;

	if (fwg_parse_u64(value, &n) || n > 0x7fffffff)
		return -EINVAL;
	if (key->type == KEY_UINT)
		*(unsigned int *)field = (unsigned int)n;
	else
		*(long *)field = (long)n;
	return 0;
}

static int set_key(struct uc_config *cfg, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		void *field = (char *)cfg + keys[i].offset;

		if (strcmp(keys[i].name, name))
			continue;
		if (keys[i].type != KEY_STRING)
			return set_number(&keys[i], field, value);
		if (strlen(value) >= keys[i].size)
			return -ENAMETOOLONG;
		memcpy(field, value, strlen(value) + 1);
		return 0;
	}
	return -ENOENT;
}

static int parse_line(void *ctx, char *line, const char *path, unsigned int lineno)
{
	struct uc_config *cfg = ctx;
	char *eq, *name, *value;
	int err;

	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq) {
		fwg_log_error("%s:%u: expected 'key = value'", path, lineno);
		return -EINVAL;
	}
	*eq = '\0';
	name = trim(line);
	value = trim(eq + 1);
	err = set_key(cfg, name, value);
	if (err == -ENOENT)
		fwg_log_error("%s:%u: unknown key '%s'", path, lineno, name);
	else if (err)
		fwg_log_error("%s:%u: bad value for '%s'", path, lineno, name);
	return err ? -EINVAL : 0;
}

static int uc_config_load(struct uc_config *cfg, const char *path, int optional)
{
	struct uc_config next = *cfg;
	int err;

	err = fwg_read_lines(path, optional, 2048, parse_line, &next);
	if (!err)
		*cfg = next;
	return err;
}

int uc_config_read(struct uc_config *cfg, const char *path)
{
	struct uc_config next;
	int err;

	uc_config_defaults(&next);
	err = uc_config_load(&next, path, !strcmp(path, UC_CONFIG_DEFAULT));
	if (!err)
		*cfg = next;
	return err;
}

int uc_config_vendor_key(const struct uc_config *cfg, struct fwg_vendor_key *key,
			 struct fwg_tpm_options *opts)
{
	int err;

	if (!cfg->policy_key[0])
		return 0;
	err = fwg_vendor_key_read(cfg->policy_key, key);
	if (!err)
		opts->vendor_key = key;
	return err;
}

int uc_tpm_open(const struct uc_config *cfg, struct fwg_tpm **tpm)
{
	struct fwg_tpm_options opts = {
		.tcti = cfg->tcti,
		.state_dir = cfg->state_dir,
		.pcr = (int)cfg->pcr,
		.timeout_s = cfg->tpm_timeout_s,
	};
	struct fwg_vendor_key key;
	int err = uc_config_vendor_key(cfg, &key, &opts);

	return err ? err : fwg_tpm_open(&opts, tpm);
}

void uc_tpm_report_timing(const struct fwg_tpm *tpm)
{
	unsigned long commands;
	uint64_t ns;

	if (!tpm || !getenv("FWGUARD_TIMING"))
		return;
	fwg_tpm_stats(tpm, &commands, &ns);
	fprintf(stderr, "updatectl: timing: tpm %.3f s, %lu commands\n", (double)ns / 1e9,
		commands);
}
