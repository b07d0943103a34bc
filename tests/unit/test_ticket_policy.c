// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests for the userspace ticket decision (userspace/ticket_policy.c):
 * one case per refusal, each asserting its errno, plus the boundaries that
 * must still be accepted (version equal to the floor, now equal to either
 * end of the validity window).
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "userspace/lib/ticket_policy.h"

FIXTURE(policy) {
	struct fwguard_ticket t;
	struct ticket_policy p;
};

FIXTURE_SETUP(policy)
{
	memset(&self->t, 0, sizeof(self->t));
	strcpy(self->t.device_class, "acme-pump-v2");
	strcpy(self->t.component, "bootloader");
	self->t.image_len = 4096;
	self->t.security_version = 10;
	self->p = (struct ticket_policy){
		.device_class = "acme-pump-v2",
		.serial = "SN-0001",
		.component = "bootloader",
		.version_floor = 10,
		.now = 2000000000,
	};
}

FIXTURE_TEARDOWN(policy)
{
}

TEST_F(policy, matching_ticket_accepted)
{
	EXPECT_EQ(0, ticket_policy_check(&self->p, &self->t));
	self->p.component = NULL;	/* any component */
	EXPECT_EQ(0, ticket_policy_check(&self->p, &self->t));
}

TEST_F(policy, null_arguments)
{
	EXPECT_EQ(-EINVAL, ticket_policy_check(NULL, &self->t));
	EXPECT_EQ(-EINVAL, ticket_policy_check(&self->p, NULL));
	self->p.device_class = NULL;
	EXPECT_EQ(-EINVAL, ticket_policy_check(&self->p, &self->t));
}

TEST_F(policy, other_device_class)
{
	strcpy(self->t.device_class, "acme-pump-v3");
	EXPECT_EQ(-ENODEV, ticket_policy_check(&self->p, &self->t));
}

TEST_F(policy, serial_binding)
{
	strcpy(self->t.serial, "SN-0001");
	EXPECT_EQ(0, ticket_policy_check(&self->p, &self->t));
	strcpy(self->t.serial, "SN-0002");
	EXPECT_EQ(-ENODEV, ticket_policy_check(&self->p, &self->t));
	strcpy(self->t.serial, "SN-0001");
	self->p.serial = NULL;	/* a device that cannot prove its serial */
	EXPECT_EQ(-ENODEV, ticket_policy_check(&self->p, &self->t));
}

TEST_F(policy, other_component)
{
	strcpy(self->t.component, "rootfs");
	EXPECT_EQ(-ENOENT, ticket_policy_check(&self->p, &self->t));
}

TEST_F(policy, version_floor)
{
	self->t.security_version = 9;
	EXPECT_EQ(-ESTALE, ticket_policy_check(&self->p, &self->t));
	self->t.security_version = 10;
	EXPECT_EQ(0, ticket_policy_check(&self->p, &self->t));
}

TEST_F(policy, validity_window)
{
	self->t.not_before = self->p.now + 1;
	EXPECT_EQ(-ETIME, ticket_policy_check(&self->p, &self->t));
	self->t.not_before = self->p.now;
	EXPECT_EQ(0, ticket_policy_check(&self->p, &self->t));
	self->t.not_after = self->p.now - 1;
	EXPECT_EQ(-ETIME, ticket_policy_check(&self->p, &self->t));
	self->t.not_after = self->p.now;
	EXPECT_EQ(0, ticket_policy_check(&self->p, &self->t));
}

TEST_F(policy, test_only_ticket)
{
	self->t.flags = FWGUARD_TICKET_F_TEST_ONLY;
	EXPECT_EQ(-EPERM, ticket_policy_check(&self->p, &self->t));
	self->p.allow_test_only = true;
	EXPECT_EQ(0, ticket_policy_check(&self->p, &self->t));
}

TEST_HARNESS_MAIN
