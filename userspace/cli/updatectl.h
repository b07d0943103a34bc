/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * updatectl's commands: one struct uc_command each (see command.h), one
 * file each under cli/, listed in updatectl.c.
 */
#ifndef FWGUARD_CLI_UPDATECTL_H
#define FWGUARD_CLI_UPDATECTL_H

#include "userspace/cli/command.h"

extern const struct uc_command uc_cmd_fetch;
extern const struct uc_command uc_cmd_verify;
extern const struct uc_command uc_cmd_install;
extern const struct uc_command uc_cmd_boot_verify;
extern const struct uc_command uc_cmd_mark_good;
extern const struct uc_command uc_cmd_adopt;
extern const struct uc_command uc_cmd_status;
extern const struct uc_command uc_cmd_bundle;
extern const struct uc_command uc_cmd_policy;
extern const struct uc_command uc_cmd_keys;
extern const struct uc_command uc_cmd_tpm;
extern const struct uc_command uc_cmd_attest;
extern const struct uc_command uc_cmd_bootloader;

#endif /* FWGUARD_CLI_UPDATECTL_H */
