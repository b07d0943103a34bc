// SPDX-License-Identifier: GPL-2.0-only
/*
 * The userspace ticket decision. Runs only on a ticket whose signature
 * cms_verify.c accepted and whose payload the shared parser accepted; it
 * answers "is this ticket for this device, this component, and now?" and
 * logs the first reason it is not. The kernel makes the same decision again
 * on its side; this one lets updatectl refuse before downloading or
 * streaming anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "userspace/lib/ticket_policy.h"

static int check_binding(const struct ticket_policy *p, const struct fwguard_ticket *t)
{
	if (strcmp(t->device_class, p->device_class)) {
		fprintf(stderr, "updatectl: ticket is for device class '%s', this is '%s'\n",
			t->device_class, p->device_class);
		return -ENODEV;
	}
	/* A ticket bound to a serial never applies to a device that cannot prove one. */
	if (t->serial[0] && (!p->serial || strcmp(t->serial, p->serial))) {
		fprintf(stderr, "updatectl: ticket is bound to serial '%s', this device is '%s'\n",
			t->serial, p->serial ? p->serial : "(unknown)");
		return -ENODEV;
	}
	if (p->component && strcmp(t->component, p->component)) {
		fprintf(stderr, "updatectl: ticket is for component '%s', not '%s'\n",
			t->component, p->component);
		return -ENOENT;
	}
	return 0;
}

static int check_freshness(const struct ticket_policy *p, const struct fwguard_ticket *t)
{
	if (t->security_version < p->version_floor) {
		fprintf(stderr, "updatectl: ticket security version %" PRIu64
			" is below the floor %" PRIu64 "\n",
			t->security_version, p->version_floor);
		return -ESTALE;
	}
	if (t->not_before && p->now < t->not_before) {
		fprintf(stderr, "updatectl: ticket not valid before %" PRIu64 " (now %" PRIu64 ")\n",
			t->not_before, p->now);
		return -ETIME;
	}
	if (t->not_after && p->now > t->not_after) {
		fprintf(stderr, "updatectl: ticket expired at %" PRIu64 " (now %" PRIu64 ")\n",
			t->not_after, p->now);
		return -ETIME;
	}
	return 0;
}

int ticket_policy_check(const struct ticket_policy *policy, const struct fwguard_ticket *t)
{
	int err;

	if (!policy || !policy->device_class || !t)
		return -EINVAL;
	err = check_binding(policy, t);
	if (!err)
		err = check_freshness(policy, t);
	if (!err && (t->flags & FWGUARD_TICKET_F_TEST_ONLY) && !policy->allow_test_only) {
		fprintf(stderr, "updatectl: test-only ticket refused on a production device\n");
		err = -EPERM;
	}
	return err;
}
