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

static bool fault_after_hash;

/* The slot hash, then one transient TPM failure for the next TPM call. */
static int hash_then_fault(void *arg, const struct pc_component *c, int idx, uint64_t len,
			   uint8_t digest[FWG_DIGEST_SIZE])
{
	struct abdev *d = arg;
	int err = abdev_hash(arg, c, idx, len, digest);

	if (fault_after_hash) {
		fault_after_hash = false;
		d->m.fault_eio = 1;
	}
	return err;
}

/*
 * One transient TPM failure at the extend is not retried, and the
 * write-ahead measured_boot makes every later boot-verify of this boot skip
 * the extend: the trial slot can never be verified in this boot, so it is
 * never confirmed and is abandoned at the next boot (STATE.md: transient
 * errors are retried and change nothing).
 */
TEST_F(abattack, transient_error_at_extend_loses_the_boot)
{
	int t = -1;

	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_EQ(0, abdev_install(&self->d, 0, 3, &t));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	self->d.ops.hash = hash_then_fault;
	fault_after_hash = true;
	EXPECT_EQ(-EIO, abdev_verify(&self->d, self->out));	/* measure: -EIO once */
	ASSERT_FALSE(fault_after_hash);
	self->d.ops.hash = abdev_hash;
	EXPECT_EQ(0, abdev_verify(&self->d, self->out));	/* the TPM is back */
	EXPECT_TRUE(self->out[0].verified);
	EXPECT_EQ(0, abdev_mark_good(&self->d, self->out));
	EXPECT_TRUE(self->out[0].marked_good);
}

/*
 * Two components extend one PCR in policy order. A transient TPM error
 * that stops comp0 before its extend lets comp1 extend first; the retry
 * then extends comp0 after comp1, and neither unseal can succeed for the
 * rest of the boot (STATE.md: a TPM error is reported and changes nothing,
 * so a retry must be able to verify).
 */
TEST_F(abattack, transient_error_on_first_component_loses_shared_pcr)
{
	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[1], 0, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].verified && self->out[1].verified);
	ASSERT_EQ(0, abdev_reboot(&self->d));
	self->d.m.fault_eio = AB_TPM_ATTEMPTS;	/* comp0's floor read, all attempts */
	EXPECT_EQ(-EIO, abdev_verify(&self->d, self->out));
	EXPECT_EQ(-EIO, self->out[0].err);
	ASSERT_EQ(0, self->d.m.fault_eio);
	EXPECT_EQ(0, abdev_verify(&self->d, self->out));	/* the TPM is back */
	EXPECT_TRUE(self->out[0].verified);
	EXPECT_TRUE(self->out[1].verified);
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
