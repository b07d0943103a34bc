// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests for the stored A/B slot state (userspace/lib/slots.c): a
 * saved state reads back exactly; a component never installed gets the
 * initial state; every corruption (unknown key, out-of-range index, a
 * pending or trying slot equal to the active one, a bad digest) is
 * refused with -EBADMSG rather than guessed, and the output is untouched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "userspace/lib/slots.h"

FIXTURE(slots) {
	char dir[64];
};

FIXTURE_SETUP(slots)
{
	strcpy(self->dir, "/tmp/fwguard-slots.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(slots)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

TEST_F(slots, never_installed_is_initial_state)
{
	struct slot_state s;

	ASSERT_EQ(0, slot_state_load(self->dir, "bootfw", &s));
	EXPECT_EQ(0, s.active);
	EXPECT_EQ(-1, s.pending);
	EXPECT_EQ(-1, s.trying);
	EXPECT_FALSE(s.slot[0].valid);
	EXPECT_FALSE(s.slot[1].valid);
	EXPECT_EQ(0, slot_state_booted(&s));
}

TEST_F(slots, saved_state_reads_back)
{
	struct slot_state s, got;

	ASSERT_EQ(0, slot_state_load(self->dir, "bootfw", &s));
	s.active = 1;
	s.trying = 0;
	strcpy(s.verified_boot, "0b1d");
	s.slot[0] = (struct slot_record){ .valid = true, .version = 7, .length = 4096 };
	memset(s.slot[0].digest, 0xab, sizeof(s.slot[0].digest));
	s.slot[1] = (struct slot_record){ .valid = true, .good = true, .version = 6 };
	ASSERT_EQ(0, slot_state_save(self->dir, &s));
	ASSERT_EQ(0, slot_state_load(self->dir, "bootfw", &got));
	EXPECT_EQ(0, memcmp(&s, &got, sizeof(s)));
	EXPECT_EQ(0, slot_state_booted(&got));	/* the slot on trial */
}

static int load_text(const char *dir, const char *text, struct slot_state *s)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/slots", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/slots/bootfw", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	fclose(f);
	return slot_state_load(dir, "bootfw", s);
}

TEST_F(slots, corrupt_state_refused)
{
	static const char *const bad[] = {
		"active=2\n",			/* not a slot */
		"active=-1\n",			/* there is always an active slot */
		"pending=0\n",			/* pending equal to active (0) */
		"active=1\ntrying=1\n",		/* trying equal to active */
		"trying=x\n",
		"colour=blue\n",		/* unknown key */
		"active\n",			/* no '=' */
		"slot2.valid=1\n",		/* no such slot */
		"slot0.valid=2\n",		/* not a boolean */
		"slot0.version=-1\n",		/* not a number */
		"slot0.length=12x\n",
		"slot0.digest=abcd\n",		/* not 64 hex digits */
		"slot1.colour=1\n",
		"verified_boot=0123456789012345678901234567890123456789\n",	/* too long */
	};
	struct slot_state s;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&s, 0x5a, sizeof(s));
		EXPECT_EQ(-EBADMSG, load_text(self->dir, bad[i], &s)) {
			TH_LOG("accepted: %s", bad[i]);
		}
		EXPECT_EQ(0x5a5a5a5a, s.active);
	}
}

TEST_HARNESS_MAIN
