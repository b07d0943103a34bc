/* SPDX-License-Identifier: GPL-2.0-only */
/* The `updatectl tpm` sub-commands defined outside cmd_tpm.c. */
#ifndef FWGUARD_CLI_TPM_COMMANDS_H
#define FWGUARD_CLI_TPM_COMMANDS_H

#include "userspace/cli/tpm_options.h"

extern const struct uc_command uc_cmd_tpm_seal;
extern const struct uc_command uc_cmd_tpm_approve;
extern const struct uc_command uc_cmd_tpm_unseal_verify;
extern const struct uc_command uc_cmd_tpm_status;
extern const struct uc_command uc_cmd_tpm_replay;
extern const struct uc_command uc_cmd_tpm_ak_public;
extern const struct uc_command uc_cmd_tpm_tls_key;

/* cmd_attest.c: derive the AK and write its public area to @path. */
int uc_tpm_ak_export(struct fwg_tpm *tpm, const char *path, uint8_t name[FWG_TPM_NAME_SIZE]);

#endif /* FWGUARD_CLI_TPM_COMMANDS_H */
