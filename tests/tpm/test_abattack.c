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

TEST_HARNESS_MAIN
