/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace ticket policy: the one decision whether a verified, parsed
 * ticket applies to this device now. Signatures are cms_verify.c's business;
 * this only compares the ticket's claims with the device's facts.
 */
#ifndef FWGUARD_TICKET_POLICY_H
#define FWGUARD_TICKET_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "ticket.h"

struct ticket_policy {
	const char *device_class;	/* required: this device's class */
	const char *serial;		/* this device's serial, NULL if unknown */
	const char *component;		/* component being installed, NULL: any */
	uint64_t version_floor;		/* lowest acceptable security version */
	uint64_t now;			/* seconds since the epoch */
	bool allow_test_only;		/* development device */
};

/*
 * Return: 0 when the ticket applies, or
 *   -EINVAL  bad argument
 *   -ENODEV  device class or serial binding does not match
 *   -ENOENT  component differs from the one being installed
 *   -ESTALE  security version below the floor
 *   -ETIME   now is outside [not_before, not_after]
 *   -EPERM   test-only ticket on a production device
 */
int ticket_policy_check(const struct ticket_policy *policy, const struct fwguard_ticket *t);

#endif /* FWGUARD_TICKET_POLICY_H */
