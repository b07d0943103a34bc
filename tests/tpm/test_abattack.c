// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sequences that break a property of the A/B state machine
 * (userspace/lib/STATE.md), against swtpm and image files standing in for
 * the partitions (tests/tpm/abdev.h). Each test fails while its hole exists.
 */
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "tests/tpm/abdev.h"

FIXTURE(abattack) {
	struct abdev d;
	struct uc_boot_component out[PC_MAX_COMPONENTS];
};

FIXTURE_SETUP(abattack)
{
	ASSERT_EQ(0, abdev_setup(&self->d, 2));
}

FIXTURE_TEARDOWN(abattack)
{
	abdev_teardown(&self->d);
}

/*
 * A fallback tells the caller to reboot into the other slot. A second
 * boot-verify in the same boot (systemctl restart) must report the same
 * result; today it measures and verifies the fallback slot, which did not
 * run in this boot, and mark-good then confirms it and raises the floor.
 * Here the fallback slot is an install whose trial boot hung before
 * mark-good: it has never completed a boot.
 */
TEST_F(abattack, boot_verify_after_fallback_verifies_slot_not_booted)
{
	uint8_t ticket[16];
	struct slot_state s;
	int t = -1;

	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].verified);
	abdev_ticket(&self->d, ticket);
	ASSERT_EQ(0, abdev_install_ticket(&self->d, 0, 3, ticket, true, false, &t));
	ASSERT_EQ(1, t);			/* b v3 pending, floor 3, a v2 below it */
	ASSERT_EQ(0, abdev_reboot(&self->d));	/* trial boot of b */
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].trial);	/* then it hangs before mark-good */
	ASSERT_EQ(0, abdev_reboot(&self->d));	/* a runs; trial abandoned */
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].fell_back);	/* a below the floor: reboot into b */
	ASSERT_FALSE(self->out[0].verified);
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));	/* same boot, a still runs */
	EXPECT_FALSE(self->out[0].verified);
	abdev_mark_good(&self->d, self->out);
	EXPECT_FALSE(self->out[0].marked_good);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_FALSE(s.slot[1].good);		/* b never completed a boot */
}

TEST_HARNESS_MAIN
