/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Built-in defaults shared by updatectl's configuration and tpm/: each is
 * defined here once. The configuration file overrides them (see
 * updatectl.conf in updatectl(8)); tpm/ falls back to them when its caller
 * leaves an option unset.
 */
#ifndef FWGUARD_COMMON_DEFAULTS_H
#define FWGUARD_COMMON_DEFAULTS_H

#define FWG_DEFAULT_CONFIG	"/etc/fwguard/updatectl.conf"
#define FWG_DEFAULT_TCTI	"device:/dev/tpmrm0"
/* Consulted when neither --tcti nor the configuration names a TCTI. */
#define FWG_TCTI_ENV		"FWGUARD_TCTI"
#define FWG_DEFAULT_STATE_DIR	"/var/lib/fwguard"
#define FWG_DEFAULT_PCR		8
/* Seconds the TPM has to answer one command (tpm/TPM.md "TPM timeout"). */
#define FWG_DEFAULT_TPM_TIMEOUT_S 30

#endif /* FWGUARD_COMMON_DEFAULTS_H */
