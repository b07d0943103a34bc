// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard keyring: ".fwguard" holds the keys whose signatures make a ticket
 * valid. Its link restriction is decided by the read-only keyring_mode
 * parameter:
 *  - "trusted": only asymmetric keys vouched for by a key in the builtin or
 *    secondary trusted keyrings may be linked, from load onwards;
 *  - "provision" (factory, development): root may link keys with keyctl
 *    until the keyring is sealed with "keyctl restrict_keyring %:.fwguard"
 *    (updatectl keys seal); from then on nothing can be linked until reboot.
 *    Tickets are refused while the keyring is unsealed, so a key cannot be
 *    slipped in between verification and sealing.
 * The restriction string for "trusted" goes through keyring_restrict()
 * because the restrict_link_by_* functions are not exported on 6.1.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/err.h>
#include <linux/key.h>
#include <linux/string.h>

#include "fwguard.h"

struct key *fwguard_keyring;
static bool fwguard_keyring_provision;

/**
 * fwguard_keyring_init() - create the .fwguard keyring
 * @mode: "trusted" or "provision"
 *
 * Return: 0; -EINVAL for an unknown mode; the errno of keyring_alloc() or
 * keyring_restrict() otherwise.
 */
int fwguard_keyring_init(const char *mode)
{
	key_perm_t perm = KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ |
			  KEY_USR_WRITE | KEY_USR_SEARCH;
	struct key *keyring;
	int err;

	if (!strcmp(mode, "provision"))
		fwguard_keyring_provision = true;
	else if (strcmp(mode, "trusted"))
		return -EINVAL;
	/* Sealing is KEYCTL_RESTRICT_KEYRING, which needs SETATTR. */
	if (fwguard_keyring_provision)
		perm |= KEY_USR_SETATTR;

	keyring = keyring_alloc(FWGUARD_KEYRING, GLOBAL_ROOT_UID, GLOBAL_ROOT_GID,
				current_cred(), perm, KEY_ALLOC_NOT_IN_QUOTA,
				NULL, NULL);
	if (IS_ERR(keyring))
		return PTR_ERR(keyring);
	if (!fwguard_keyring_provision) {
		err = keyring_restrict(make_key_ref(keyring, true), "asymmetric",
				       "builtin_and_secondary_trusted");
		if (err) {
			key_put(keyring);
			return err;
		}
	}
	fwguard_keyring = keyring;
	return 0;
}

/**
 * fwguard_keyring_exit() - drop the module's reference to .fwguard
 */
void fwguard_keyring_exit(void)
{
	key_put(fwguard_keyring);
	fwguard_keyring = NULL;
}

/**
 * fwguard_keyring_ready() - may tickets be verified against .fwguard?
 *
 * Return: true when linking is restricted (always in trusted mode, after
 * sealing in provision mode).
 */
bool fwguard_keyring_ready(void)
{
	return fwguard_keyring && READ_ONCE(fwguard_keyring->restrict_link);
}

/**
 * fwguard_keyring_mode() - name of the keyring mode for status output
 *
 * Return: "trusted" or "provision".
 */
const char *fwguard_keyring_mode(void)
{
	return fwguard_keyring_provision ? "provision" : "trusted";
}
