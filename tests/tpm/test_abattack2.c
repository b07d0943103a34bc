// SPDX-License-Identifier: GPL-2.0-only
/*
 * More sequences that break a property of the A/B state machine
 * (userspace/lib/STATE.md), against swtpm and image files standing in for
 * the partitions (tests/tpm/abdev.h). Each test fails while its hole exists.
 */
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"

/* abdev_setup()'s slot names fit; GCC cannot tell once it is inlined here. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "tests/tpm/abdev.h"

FIXTURE(abattack2) {
	struct abdev d;
	struct uc_boot_component out[PC_MAX_COMPONENTS];
};

FIXTURE_SETUP(abattack2)
{
	ASSERT_EQ(0, abdev_setup(&self->d, 1));
}

FIXTURE_TEARDOWN(abattack2)
{
	abdev_teardown(&self->d);
}

/*
 * Slot a (version 2) boots and verifies; b (version 3) is installed and
 * pending, never booted. Root edits the state file so that it names b as
 * the slot on trial in this boot (trying=1, booted=1, pending=-1), the PCR
 * still holding a's measurement. mark-good must confirm only the slot that
 * was verified in this boot (STATE.md "mark-good": booted slot verified in
 * this boot; for a PCR with one component the record is unsealed again):
 * it must refuse, and the floor must not rise to a version that never ran.
 */
TEST_F(abattack2, mark_good_confirms_slot_named_by_edited_state)
{
	struct slot_state s;
	uint64_t floor;
	int t = -1;

	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].verified);
	ASSERT_EQ(0, abdev_install(&self->d, 0, 3, &t));
	ASSERT_EQ(1, t);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	s.pending = -1;
	s.trying = 1;
	s.booted = 1;
	ASSERT_EQ(0, slot_state_save(self->d.t.statedir, &s));
	EXPECT_NE(0, abdev_mark_good(&self->d, self->out));
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_EQ(2u, floor);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_FALSE(s.slot[1].good);
}

/* The same with only booted= edited: mark-good must not save pending == active. */
TEST_F(abattack2, mark_good_with_edited_booted_saves_corrupt_state)
{
	struct slot_state s;
	uint64_t floor;
	int t = -1;

	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_EQ(0, abdev_install(&self->d, 0, 3, &t));
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	s.booted = 1;
	ASSERT_EQ(0, slot_state_save(self->d.t.statedir, &s));
	EXPECT_NE(0, abdev_mark_good(&self->d, self->out));
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_EQ(2u, floor);
	EXPECT_EQ(0, abdev_state(&self->d, 0, &s));
}

TEST_HARNESS_MAIN
