/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel's .fwguard keyring, whose keys decide which tickets
 * fwguard.ko accepts (updatectl keys). Certificates go in as `asymmetric`
 * keys (DER X.509; PEM is converted first). In the module's provision mode
 * root may add keys until the keyring is sealed, which restricts it so
 * that nothing more can be linked until reboot; in trusted mode the kernel
 * only accepts certificates vouched for by its builtin or secondary
 * trusted keyrings. `keyctl padd asymmetric "" %:.fwguard` does the same
 * as uc_keys_add(); this adds the checks and messages.
 */
#ifndef FWGUARD_LIB_KEYRING_H
#define FWGUARD_LIB_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userspace/lib/step.h"

struct uc_key {
	int32_t id;
	char *description;
};

struct uc_key_list {
	size_t count;
	struct uc_key *keys;
};

/* Add the certificate at @path; its key id in @id. 0 or -errno (logged). */
int uc_keys_add(const char *path, int32_t *id, struct uc_step *step);

/* Every key in .fwguard; free with uc_key_list_free(). 0 or -errno. */
int uc_keys_list(struct uc_key_list *out, struct uc_step *step);
void uc_key_list_free(struct uc_key_list *list);

/* Seal .fwguard until reboot; @already: it was restricted before. */
int uc_keys_seal(bool *already, struct uc_step *step);

#endif /* FWGUARD_LIB_KEYRING_H */
