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

#include "userspace/common/log.h"
#include "userspace/lib/ticket_policy.h"

static int check_binding(const struct ticket_policy *p, const struct fwguard_ticket *t)
{
	if (strcmp(t->device_class, p->device_class)) {
		fwg_log_error("ticket is for device class '%s', this is '%s'",
			t->device_class, p->device_class);
		return -ENODEV;
	}
	/* A ticket bound to a serial never applies to a device that cannot prove one. */
	if (t->serial[0] && (!p->serial || strcmp(t->serial, p->serial))) {
		fwg_log_error("ticket is bound to serial '%s', this device is '%s'",
			t->serial, p->serial ? p->serial : "(unknown)");
		return -ENODEV;
	}
	if (p->component && strcmp(t->component, p->component)) {
		fwg_log_error("ticket is for component '%s', not '%s'",
			t->component, p->component);
		return -ENOENT;
	}
	return 0;
}

static int check_freshness(const struct ticket_policy *p, const struct fwguard_ticket *t)
{
	if (t->security_version < p->version_floor) {
		fwg_log_error("ticket security version %" PRIu64
			" is below the floor %" PRIu64 "",
			t->security_version, p->version_floor);
		return -ESTALE;
	}
	if (t->not_before && p->now < t->not_before) {
		fwg_log_error("ticket not valid before %" PRIu64 " (now %" PRIu64 ")",
			t->not_before, p->now);
		return -ETIME;
	}
	if (t->not_after && p->now > t->not_after) {
		fwg_log_error("ticket expired at %" PRIu64 " (now %" PRIu64 ")",
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
		fwg_log_error("test-only ticket refused on a production device");
		err = -EPERM;
	}
	return err;
}
