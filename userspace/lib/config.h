/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * updatectl's configuration: /etc/fwguard/updatectl.conf, "key = value"
 * lines, '#' comments. Every key has a default (see updatectl.conf(5) in
 * the man page); unknown keys and malformed lines are refused so that a
 * typo cannot silently weaken the device's settings.
 */
#ifndef FWGUARD_CONFIG_H
#define FWGUARD_CONFIG_H

#include <limits.h>

#include "userspace/common/defaults.h"

#define UC_CONFIG_DEFAULT FWG_DEFAULT_CONFIG

struct uc_config {
	char server_url[1024];		/* base URL of the update server */
	char server_ca[PATH_MAX];	/* pinned CA of the update server */
	char client_cert[PATH_MAX];	/* device certificate for mutual TLS */
	char client_key[PATH_MAX];
	char trust[PATH_MAX];		/* CA file or directory for ticket signers */
	char device_class[64];
	char serial[64];
	char state_dir[PATH_MAX];	/* event log, sealed records, slot state */
	char download_dir[PATH_MAX];
	char policy[PATH_MAX];		/* partition policy for the kernel module */
	char tcti[256];			/* "": $FWGUARD_TCTI, else FWG_DEFAULT_TCTI */
	/* The vendor's ECC P-256 policy key (PEM); "": records are not
	 * vendor-authorised (tpm/TPM.md "Vendor-authorised sealing"). */
	char policy_key[PATH_MAX];
	unsigned int pcr;
	long connect_timeout_s;
	long stall_timeout_s;
	long fetch_timeout_s;		/* one fetch in all, every retry included */
	unsigned int attempts;
	/* Seconds the TPM has to answer one command; 0: the default. */
	unsigned int tpm_timeout_s;
	/* The bootloader (bootctl.h): none, grub, uboot or custom. */
	char bootloader[16];
	char boot_component[64];	/* the policy component the bootloader boots */
	char grubenv[PATH_MAX];		/* GRUB environment block: file or raw device */
	char uboot_env_config[PATH_MAX];	/* fw_env.config-style location of the env */
	char bootctl_exec[PATH_MAX];	/* the custom backend's executable */
	unsigned int boot_tries;	/* boots a trial gets before it is abandoned */
};

/*
 * The defaults with @path read over them, into @cfg (only on success). A
 * missing file is fine only for the default path (UC_CONFIG_DEFAULT): a
 * file named on the command line must exist. Returns 0, -ENOENT, -EINVAL (bad line or key,
 * reported with its line number), or another -errno.
 */
int uc_config_read(struct uc_config *cfg, const char *path);

struct fwg_tpm;
struct fwg_tpm_options;
struct fwg_vendor_key;
/*
 * The configured vendor policy key into @key and @opts->vendor_key (left
 * NULL when none is configured). 0, -ENOKEY or -ENOPKG (logged).
 */
int uc_config_vendor_key(const struct uc_config *cfg, struct fwg_vendor_key *key,
			 struct fwg_tpm_options *opts);
/*
 * Open the TPM with the configured TCTI, state directory and PCR. Returns
 * 0 or a tpm/ error (FWG_TPM_E_UNAVAILABLE when it cannot be reached).
 */
int uc_tpm_open(const struct uc_config *cfg, struct fwg_tpm **tpm);
/*
 * With FWGUARD_TIMING set in the environment, the time this run waited for
 * the TPM and its command count go to stderr, so that a benchmark can set
 * them apart from hashing and writing. Nothing when @tpm is NULL.
 */
void uc_tpm_report_timing(const struct fwg_tpm *tpm);

#endif /* FWGUARD_CONFIG_H */
