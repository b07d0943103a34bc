// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sequences that break a property of the A/B state machine
 * (userspace/lib/STATE.md), against swtpm and image files standing in for
 * the partitions (tests/tpm/abdev.h). Each test fails while its hole exists.
 */
#include <stdlib.h>
#include <string.h>
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
 * The consumed-ticket log is the only record of a ticket whose slot was
 * written again: with the log truncated, that ticket installs a second
 * time (STATE.md: install refuses a consumed ticket).
 */
TEST_F(abattack, truncated_ticket_log_replays_a_ticket)
{
	uint8_t t1[16], t2[16];
	char path[600];
	FILE *f;
	int t = -1;

	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	abdev_ticket(&self->d, t1);
	abdev_ticket(&self->d, t2);
	ASSERT_EQ(0, abdev_install_ticket(&self->d, 0, 3, t1, false, false, &t));
	ASSERT_EQ(0, abdev_install_ticket(&self->d, 0, 3, t2, false, false, &t));
	EXPECT_EQ(-EALREADY, abdev_install_ticket(&self->d, 0, 3, t1, false, false, &t));
	snprintf(path, sizeof(path), "%s/tickets", self->d.t.statedir);
	f = fopen(path, "w");				/* truncated */
	ASSERT_NE(NULL, f);
	fclose(f);
	EXPECT_NE(0, abdev_install_ticket(&self->d, 0, 3, t1, false, false, &t));
}

/*
 * Found by the guest model (tests/host/abmodel_guest.sh): on a device in
 * factory state, boot-verify reports "factory state" and records no boot;
 * an install then writes the other slot; a second boot-verify in the same
 * boot applies boot-start, takes the slot just written as booted and on
 * trial, and verifies it although this boot runs the factory image, and
 * mark-good confirms it and raises the floor to its version: a slot that
 * never booted becomes the last good one (STATE.md: boot-verify verifies
 * the slot the boot runs; a second run in a boot skips boot-start).
 */
TEST_F(abattack, install_in_factory_boot_is_confirmed_without_booting)
{
	struct slot_state s;
	uint64_t floor;
	int t = -1;

	ASSERT_EQ(0, abdev_verify(&self->d, self->out));	/* factory state */
	ASSERT_TRUE(self->out[0].factory);
	ASSERT_EQ(0, abdev_install(&self->d, 0, 2, &t));
	abdev_verify(&self->d, self->out);			/* the same boot */
	EXPECT_FALSE(self->out[0].verified);
	abdev_mark_good(&self->d, self->out);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_FALSE(s.slot[t].good);
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_LT(floor, (uint64_t)2);
}

/*
 * Factory state is "no slot state file" (STATE.md), and the file is root's
 * to delete. With it gone, adopt takes whatever a slot holds at any version
 * not below the floor: the v2 image of slot a, left behind below the floor
 * 3 by a confirmed update, is sealed as version 3 and reported verified at
 * the next boot (P2: nothing below the floor is booted and reported
 * verified), and a version above any the vendor signed (200 here) raises the
 * floor so that no update ever installs again.
 */
TEST_F(abattack, deleted_state_readopts_a_slot_below_the_floor)
{
	const struct pc_component *c = &self->d.pc.component[0];
	char path[600];
	uint64_t floor;
	int t = -1;

	ASSERT_EQ(0, ab_adopt(&self->d.m, c, 0, 2, 0));		/* a: v2 */
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_EQ(0, abdev_install(&self->d, 0, 3, &t));		/* b: v3 */
	ASSERT_EQ(1, t);
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].verified);
	ASSERT_EQ(0, abdev_mark_good(&self->d, self->out));
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	ASSERT_EQ((uint64_t)3, floor);

	snprintf(path, sizeof(path), "%s/slots/%s", self->d.t.statedir, c->name);
	ASSERT_EQ(0, unlink(path));				/* root */
	ASSERT_EQ(0, abdev_reboot(&self->d));
	abdev_verify(&self->d, self->out);
	EXPECT_FALSE(self->out[0].factory);
	if (ab_adopt(&self->d.m, c, 0, 3, 0) == 0) {		/* a's v2 bytes as v3 */
		ASSERT_EQ(0, abdev_reboot(&self->d));
		abdev_verify(&self->d, self->out);
		EXPECT_FALSE(self->out[0].verified &&
			     !strcmp(self->out[0].slot, c->slot[0].name)) {
			TH_LOG("slot a (the v2 image) reported verified as version %llu",
			       (unsigned long long)self->out[0].version);
		}
	}
	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	abdev_verify(&self->d, self->out);
	EXPECT_NE(0, ab_adopt(&self->d.m, c, 1, 200, 0));	/* the floor, for good */
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_LT(floor, (uint64_t)200);
}

TEST_HARNESS_MAIN
