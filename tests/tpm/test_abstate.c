// SPDX-License-Identifier: GPL-2.0-only
/*
 * One test per defect of the A/B state machine (userspace/lib/STATE.md),
 * against swtpm and image files standing in for the partitions
 * (tests/tpm/abdev.h). Each test is named after the defect it guards.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include <openssl/evp.h>

#include "tests/tpm/abdev.h"
#include "userspace/common/fileio.h"
#include "userspace/common/hex.h"

FIXTURE(ab) {
	struct abdev d;
	struct uc_boot_component out[PC_MAX_COMPONENTS];
};

FIXTURE_SETUP(ab)
{
	ASSERT_EQ(0, abdev_setup(&self->d, 2));
}

FIXTURE_TEARDOWN(ab)
{
	abdev_teardown(&self->d);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) ? -EIO : 0;
}

/* comp0 slot a adopted at @v, then booted once: steady. */
static int adopt_and_boot(struct abdev *d, struct uc_boot_component *out, uint64_t v)
{
	int err = ab_adopt(&d->m, &d->pc.component[0], 0, v, 0);

	if (!err)
		err = abdev_reboot(d);
	return err ? err : abdev_verify(d, out);
}

/* Install @v into comp0, reboot, verify, mark good. */
static int update(struct abdev *d, struct uc_boot_component *out, uint64_t v)
{
	int err, t;

	err = abdev_install(d, 0, v, &t);
	if (!err)
		err = abdev_reboot(d);
	if (!err)
		err = abdev_verify(d, out);
	if (!err && !out[0].verified)
		err = -EKEYREJECTED;
	return err ? err : abdev_mark_good(d, out);
}

/* Defect 1: a second boot-verify in one boot changes nothing. */
TEST_F(ab, defect1_boot_verify_twice_in_one_boot)
{
	struct slot_state s;

	ASSERT_EQ(0, adopt_and_boot(&self->d, self->out, 2));
	ASSERT_EQ(0, update(&self->d, self->out, 3));		/* v3 in b, floor 3 */
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].verified);
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));	/* systemctl restart */
	EXPECT_TRUE(self->out[0].verified);
	EXPECT_FALSE(self->out[0].fell_back);
	EXPECT_EQ(3u, self->out[0].version);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_TRUE(s.slot[1].valid && s.slot[1].good);
	EXPECT_EQ(1, s.active);
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].verified);
	EXPECT_EQ(3u, self->out[0].version);
	EXPECT_STREQ("comp0_b", self->out[0].slot);
}

/* Defect 2: install during a trial never writes the last good slot. */
TEST_F(ab, defect2_install_during_trial_keeps_last_good)
{
	struct slot_state s;
	int t = -1;

	ASSERT_EQ(0, adopt_and_boot(&self->d, self->out, 2));
	ASSERT_EQ(0, abdev_install(&self->d, 0, 3, &t));
	ASSERT_EQ(1, t);
	ASSERT_EQ(0, abdev_install(&self->d, 0, 3, &t));	/* before the reboot: b again */
	ASSERT_EQ(1, t);
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].trial);
	t = -1;
	EXPECT_EQ(-EBUSY, abdev_install(&self->d, 0, 4, &t));	/* b runs its trial */
	EXPECT_EQ(-1, t);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_EQ(0, s.active);
	EXPECT_TRUE(s.slot[0].valid && s.slot[0].good);
	EXPECT_NE(s.active, s.pending);
	ASSERT_EQ(0, abdev_reboot(&self->d));	/* trial abandoned: a boots */
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].verified);
	EXPECT_STREQ("comp0_a", self->out[0].slot);
}

/* Defect 4: two components extended into one PCR both verify. */
TEST_F(ab, defect4_two_components_one_pcr)
{
	int t;

	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[1], 0, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].verified && self->out[1].verified);
	ASSERT_EQ(0, abdev_install(&self->d, 0, 3, &t));
	ASSERT_EQ(0, abdev_install(&self->d, 1, 3, &t));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].verified && self->out[1].verified);
	EXPECT_EQ(0, self->out[1].err);
	ASSERT_EQ(0, abdev_mark_good(&self->d, self->out));
	ASSERT_EQ(0, abdev_install(&self->d, 0, 4, &t));	/* comp0 only */
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].verified && self->out[1].verified);
	ASSERT_EQ(0, abdev_reboot(&self->d));	/* comp0's trial abandoned */
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].verified && self->out[1].verified);
	EXPECT_EQ(3u, self->out[0].version);
}

/* Defect 5: no fallback to, and no verified boot of, a slot below the floor. */
TEST_F(ab, defect5_no_rollback_through_fallback)
{
	struct slot_state s;

	ASSERT_EQ(0, adopt_and_boot(&self->d, self->out, 2));
	ASSERT_EQ(0, update(&self->d, self->out, 3));		/* floor 3; a holds v2 */
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_FALSE(s.slot[0].good);
	/* root points active= at the old slot */
	s.active = 0;
	ASSERT_EQ(0, slot_state_save(self->d.t.statedir, &s));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	abdev_verify(&self->d, self->out);
	EXPECT_FALSE(self->out[0].verified && self->out[0].version < 3);
	EXPECT_TRUE(self->out[0].fell_back);
	EXPECT_STREQ("comp0_b", self->out[0].slot);
	/* b tampered: nothing to fall back to, a is never verified */
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_EQ(0, abdev_fill(self->d.img[0][1], 99, 16));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	EXPECT_NE(0, abdev_verify(&self->d, self->out));
	EXPECT_FALSE(self->out[0].verified);
	ASSERT_EQ(0, abdev_reboot(&self->d));
	abdev_verify(&self->d, self->out);
	EXPECT_FALSE(self->out[0].verified);
}

/* Defect 6: TPM failures are retried and never invalidate a slot. */
TEST_F(ab, defect6_tpm_errors_keep_slots_valid)
{
	char blob[600], saved[640];
	struct slot_state s;

	ASSERT_EQ(0, adopt_and_boot(&self->d, self->out, 2));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	self->d.m.fault_eio = 2;				/* NV_RATE, OBJECT_MEMORY... */
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));	/* retried */
	EXPECT_TRUE(self->out[0].verified);
	ASSERT_EQ(0, abdev_reboot(&self->d));
	self->d.m.fault_eio = 50;				/* a TPM that stays busy */
	EXPECT_EQ(-EIO, abdev_verify(&self->d, self->out));
	self->d.m.fault_eio = 0;
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_TRUE(s.slot[0].valid && s.slot[0].good);
	/* the sealed record missing */
	snprintf(blob, sizeof(blob), "%s/sealed/comp0@comp0_a.seal", self->d.t.statedir);
	snprintf(saved, sizeof(saved), "%s.saved", blob);
	ASSERT_EQ(0, rename(blob, saved));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	EXPECT_EQ(FWG_TPM_E_NO_BLOB, abdev_verify(&self->d, self->out));
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_TRUE(s.slot[0].valid && s.slot[0].good);
	ASSERT_EQ(0, rename(saved, blob));
	/* the TPM unreachable in the middle of boot-verify */
	ASSERT_EQ(0, abdev_reboot(&self->d));
	swtpm_kill(&self->d.t);
	EXPECT_NE(0, abdev_verify(&self->d, self->out));
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_TRUE(s.slot[0].valid && s.slot[0].good);
	ASSERT_EQ(0, swtpm_start(&self->d.t));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].verified);
}

/* Defect 7: a power cut at every persistent write of an install. */
TEST_F_TIMEOUT(ab, defect7_install_power_cut_points, 120)
{
	uint8_t ticket[16];
	struct slot_state s;
	uint64_t floor;
	int k, err, again, t;

	ASSERT_EQ(0, adopt_and_boot(&self->d, self->out, 2));
	for (k = 1; k < 12; k++) {
		abdev_ticket(&self->d, ticket);
		self->d.m.cut_at = k;
		self->d.m.persists = 0;
		err = abdev_install_ticket(&self->d, 0, 3, ticket, false, false, &t);
		ASSERT_TRUE(err == AB_E_CUT || err == 0);
		ASSERT_EQ(0, abdev_reboot(&self->d));
		ASSERT_EQ(0, abdev_verify(&self->d, self->out)) TH_LOG("cut at %d", k);
		EXPECT_TRUE(self->out[0].verified) TH_LOG("cut at %d", k);
		ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
		if (s.slot[1].valid) {		/* committed: finished once, then refused */
			again = abdev_install_ticket(&self->d, 0, 3, ticket, false, false, &t);
			EXPECT_TRUE(again == 0 || again == -EALREADY) TH_LOG("cut at %d", k);
			EXPECT_EQ(-EALREADY, abdev_install_ticket(&self->d, 0, 3, ticket,
								  false, false, &t));
		} else {			/* not committed: the retry works */
			EXPECT_EQ(0, abdev_install_ticket(&self->d, 0, 3, ticket, false,
							  false, &t)) TH_LOG("cut at %d", k);
		}
		ASSERT_EQ(0, abdev_reboot(&self->d));	/* abandon any trial */
		ASSERT_EQ(0, abdev_verify(&self->d, self->out));
		ASSERT_EQ(0, abdev_reboot(&self->d));
		ASSERT_EQ(0, abdev_verify(&self->d, self->out));
		if (err == 0)
			break;
	}
	EXPECT_GT(k, 3);
	/* a cut in the middle of the image write */
	abdev_ticket(&self->d, ticket);
	EXPECT_EQ(AB_E_CUT, abdev_install_ticket(&self->d, 0, 3, ticket, false, true, &t));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].verified);
	EXPECT_EQ(0, abdev_install_ticket(&self->d, 0, 3, ticket, false, false, &t));
	/* FWGUARD_TICKET_F_RAISE_FLOOR: the floor moves at commit */
	abdev_ticket(&self->d, ticket);
	ASSERT_EQ(0, abdev_install_ticket(&self->d, 0, 5, ticket, true, false, &t));
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_EQ(5u, floor);
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_EQ(5u, self->out[0].version);
}

/* Defect 9: a version jump over 1024 is confirmed; below the floor is refused. */
TEST_F(ab, defect9_mark_good_jump_and_below_floor)
{
	struct slot_state s;
	uint64_t floor;
	int t;

	ASSERT_EQ(0, adopt_and_boot(&self->d, self->out, 2));
	ASSERT_EQ(0, update(&self->d, self->out, 2100));
	EXPECT_TRUE(self->out[0].marked_good);
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_EQ(2100u, floor);
	ASSERT_EQ(0, abdev_install(&self->d, 0, 2101, &t));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].trial);
	ASSERT_EQ(0, fwg_tpm_floor_raise(self->d.tpm, 2102, &floor));	/* floor moved */
	EXPECT_EQ(FWG_TPM_E_STALE, abdev_mark_good(&self->d, self->out));
	EXPECT_FALSE(self->out[0].marked_good);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_FALSE(s.slot[s.trying].good);
}

/* Defect 10: a new device boots without error and adopts its factory image. */
TEST_F(ab, defect10_factory_state_and_adopt)
{
	struct slot_state s;

	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].factory && self->out[1].factory);
	EXPECT_FALSE(self->out[0].verified);
	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	EXPECT_EQ(-EEXIST, ab_adopt(&self->d.m, &self->d.pc.component[0], 1, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].verified);
	EXPECT_FALSE(self->out[0].trial);
	EXPECT_TRUE(self->out[1].factory);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_TRUE(s.slot[0].valid && s.slot[0].good);
	EXPECT_EQ((uint64_t)AB_SLOT_SIZE, s.slot[0].length);
}

/*
 * Finding 1: a fallback tells the caller to reboot into the other slot. A
 * second boot-verify in the same boot (systemctl restart) reports the same
 * result; it never measures or verifies the fallback slot, which did not
 * run in this boot, and mark-good then confirms nothing. Here the fallback
 * slot is an install whose trial boot hung before mark-good: it has never
 * completed a boot.
 */
TEST_F(ab, boot_verify_after_fallback_verifies_slot_not_booted)
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
	abdev_verify(&self->d, self->out);	/* same boot, a still runs */
	EXPECT_FALSE(self->out[0].verified);
	EXPECT_TRUE(self->out[0].fell_back);
	EXPECT_STREQ("comp0_b", self->out[0].slot);
	abdev_mark_good(&self->d, self->out);
	EXPECT_FALSE(self->out[0].marked_good);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_FALSE(s.slot[1].good);		/* b never completed a boot */
}

/*
 * Finding 2: mark-good takes the version it confirms, and raises the floor
 * to, from the sealed record the TPM guards, not from the slot state file,
 * which root can edit. An edited version between boot-verify and mark-good
 * is refused: the floor stays, and the next boot still has a slot.
 */
TEST_F(ab, mark_good_floor_from_edited_state_version)
{
	struct slot_state s;
	uint64_t floor;
	char why[256];
	int t = -1;

	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_EQ(0, abdev_install(&self->d, 0, 3, &t));
	ASSERT_EQ(1, t);
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].verified && self->out[0].trial);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	s.slot[1].version = 1000;		/* the state file edited */
	ASSERT_EQ(0, slot_state_save(self->d.t.statedir, &s));
	EXPECT_EQ(-EKEYREJECTED, abdev_mark_good(&self->d, self->out));
	EXPECT_FALSE(self->out[0].marked_good);
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_GE(3u, floor);			/* the sealed version, at most */
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_EQ(1, s.trying);			/* nothing changed */
	EXPECT_FALSE(s.slot[1].good);
	ASSERT_EQ(0, abdev_reboot(&self->d));
	abdev_verify(&self->d, self->out);
	EXPECT_TRUE(abdev_p1(&self->d, 0, why, sizeof(why)));
	TH_LOG("%s", why);
}

/*
 * Finding 1, found by the model: after a fallback, install writes the slot
 * that failed (it is no longer the last good one), still in this boot. A
 * second boot-verify must not verify the new image, which did not run, and
 * mark-good must not confirm it (it saved pending == active, a corrupt
 * state). The trial of the new image is the next boot's.
 */
TEST_F(ab, install_after_fallback_not_verified_in_same_boot)
{
	uint8_t ticket[16];
	struct slot_state s;
	int t = -1;

	ASSERT_EQ(0, adopt_and_boot(&self->d, self->out, 2));
	abdev_ticket(&self->d, ticket);
	ASSERT_EQ(0, abdev_install_ticket(&self->d, 0, 3, ticket, true, false, &t));
	ASSERT_EQ(0, abdev_reboot(&self->d));	/* trial of b, never confirmed */
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_EQ(0, abdev_reboot(&self->d));	/* a below the floor: fallback to b */
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].fell_back);
	ASSERT_EQ(0, abdev_install(&self->d, 0, 4, &t));
	ASSERT_EQ(0, t);			/* the slot that runs, failed */
	EXPECT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_FALSE(self->out[0].verified);
	EXPECT_TRUE(self->out[0].fell_back);
	EXPECT_STREQ("comp0_b", self->out[0].slot);
	EXPECT_EQ(-EKEYREJECTED, abdev_mark_good(&self->d, self->out));
	EXPECT_FALSE(self->out[0].marked_good);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_EQ(1, s.active);
	EXPECT_EQ(0, s.pending);
	ASSERT_EQ(0, abdev_reboot(&self->d));	/* the new image's trial */
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].verified && self->out[0].trial);
	EXPECT_EQ(4u, self->out[0].version);
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
 * Finding 3: one transient TPM failure at the extend is reported, and the
 * next boot-verify of this boot retries it: whether the extend happened is
 * read from the PCR, not from a write-ahead marker, so the trial slot is
 * verified and confirmed in this boot (STATE.md: transient errors change
 * nothing).
 */
TEST_F(ab, transient_error_at_extend_loses_the_boot)
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
 * Finding 4: two components extend one PCR strictly in policy order. A
 * transient TPM error that stops comp0 before its extend holds comp1 back
 * (it must not extend first); the retry verifies both (STATE.md: a TPM
 * error is reported and changes nothing, so a retry can verify).
 */
TEST_F(ab, transient_error_on_first_component_loses_shared_pcr)
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
	EXPECT_EQ(-EAGAIN, self->out[1].err);	/* held back, not extended */
	ASSERT_EQ(0, self->d.m.fault_eio);
	EXPECT_EQ(0, abdev_verify(&self->d, self->out));	/* the TPM is back */
	EXPECT_TRUE(self->out[0].verified);
	EXPECT_TRUE(self->out[1].verified);
}

/*
 * Slot a (version 2) boots and verifies; b (version 3) is installed and
 * pending, never booted. The state file is edited to name b as the slot on
 * trial in this boot (trying=1, booted=1, pending=-1) while the PCR holds
 * a's measurement: mark-good refuses, the floor stays (finding 5).
 */
static void edit_booted(struct __test_metadata *_metadata, struct abdev *d, unsigned int ci,
			bool trial)
{
	struct slot_state s;

	ASSERT_EQ(0, abdev_state(d, ci, &s));
	s.booted = 1;
	if (trial) {
		s.pending = -1;
		s.trying = 1;
	}
	ASSERT_EQ(0, slot_state_save(d->t.statedir, &s));
}

TEST_F(ab, mark_good_slot_named_booted_by_edited_state)
{
	struct slot_state s;
	uint64_t floor;
	int t = -1;

	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_EQ(0, abdev_install(&self->d, 0, 3, &t));
	ASSERT_EQ(1, t);
	edit_booted(_metadata, &self->d, 0, true);
	EXPECT_EQ(FWG_TPM_E_PCR_MISMATCH, abdev_mark_good(&self->d, self->out));
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_EQ(2u, floor);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_FALSE(s.slot[1].good);
	EXPECT_EQ(0, s.active);
}

/* Only booted= edited: refused, never a saved state with pending == active. */
TEST_F(ab, mark_good_edited_booted_alone)
{
	struct slot_state s;
	uint64_t floor;
	int t = -1;

	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_EQ(0, abdev_install(&self->d, 0, 3, &t));
	edit_booted(_metadata, &self->d, 0, false);
	EXPECT_EQ(-EKEYREJECTED, abdev_mark_good(&self->d, self->out));
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_EQ(2u, floor);
	EXPECT_EQ(0, abdev_state(&self->d, 0, &s));	/* still loadable */
}

/* Two components on one PCR: comp1 measured after comp0, comp0's header path. */
TEST_F(ab, mark_good_edited_booted_shared_pcr)
{
	uint64_t floor;
	int t = -1;

	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[1], 0, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].verified && self->out[1].verified);
	ASSERT_EQ(0, abdev_install(&self->d, 0, 3, &t));
	edit_booted(_metadata, &self->d, 0, true);
	EXPECT_NE(0, abdev_mark_good(&self->d, self->out));
	EXPECT_FALSE(self->out[0].marked_good);
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_EQ(2u, floor);
}

/*
 * Finding (test_abattack, F2): factory state is "no slot state file", and
 * root can delete the file. With it gone, adopt took whatever a slot held
 * at any version not below the floor: the v2 image of slot a, left behind
 * below the floor 3 by a confirmed update, sealed as version 3 and
 * reported verified at the next boot (P2), and a version above any the
 * vendor signed (200 here) raised the floor so that no update ever
 * installed again. The adoption is recorded in the TPM-anchored journal:
 * boot-verify reports no factory state, adopt refuses anything but the
 * recorded adoption again, and the other component still adopts.
 */
TEST_F(ab, deleted_state_readopts_a_slot_below_the_floor)
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
	EXPECT_NE(0, abdev_verify(&self->d, self->out));
	EXPECT_FALSE(self->out[0].factory);
	EXPECT_FALSE(self->out[0].verified);
	EXPECT_TRUE(self->out[1].factory);
	EXPECT_NE(0, abdev_mark_good(&self->d, self->out));
	EXPECT_FALSE(self->out[0].factory);
	if (ab_adopt(&self->d.m, c, 0, 3, 0) == 0) {		/* a's v2 bytes as v3 */
		ASSERT_EQ(0, abdev_reboot(&self->d));
		abdev_verify(&self->d, self->out);
		EXPECT_FALSE(self->out[0].verified &&
			     !strcmp(self->out[0].slot, c->slot[0].name)) {
			TH_LOG("slot a (the v2 image) reported verified as version %llu",
			       (unsigned long long)self->out[0].version);
		}
		ASSERT_EQ(0, unlink(path));
	}
	ASSERT_EQ(0, abdev_reboot(&self->d));
	abdev_verify(&self->d, self->out);
	EXPECT_NE(0, ab_adopt(&self->d.m, c, 1, 200, 0));	/* the floor, for good */
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_LT(floor, (uint64_t)200);
	/* The other component, never adopted, still is. */
	EXPECT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[1], 0, 3, 0));
}

/*
 * An adoption cut at any of its persistent writes is completed by the
 * same adoption again (STATE.md "adopt"), also once the journal records
 * it; another version is refused then.
 */
TEST_F(ab, adopt_cut_at_each_write_completes_when_repeated)
{
	const struct pc_component *c = &self->d.pc.component[0];
	int cut, err, recorded = 0;

	for (cut = 1; cut < 8; cut++) {
		self->d.m.cut_at = cut;
		self->d.m.persists = 0;
		err = ab_adopt(&self->d.m, c, 0, 2, 0);
		self->d.m.cut_at = 0;
		if (!err)
			break;
		ASSERT_EQ(AB_E_CUT, err);
		ASSERT_EQ(0, abdev_reboot(&self->d));
		ASSERT_TRUE(ab_factory(&self->d.m, c));
		if (ab_adopt(&self->d.m, c, 0, 3, 0)) {	/* the journal has the cut one */
			recorded++;
			EXPECT_EQ(0, ab_adopt(&self->d.m, c, 0, 2, 0));
		}
		ASSERT_EQ(0, abdev_reboot(&self->d));
		EXPECT_EQ(0, abdev_verify(&self->d, self->out));
		EXPECT_TRUE(self->out[0].verified);
		abdev_teardown(&self->d);
		ASSERT_EQ(0, abdev_setup(&self->d, 2));
	}
	EXPECT_LT(cut, 8);
	EXPECT_GT(recorded, 0);
}

/*
 * Finding (test_abattack): the consumed-ticket log was a root-editable
 * file and the only record of a ticket whose slot was written again: with
 * the log truncated, that ticket installed a second time. The log is now
 * the TPM-anchored journal: truncated, rolled back or edited, every install
 * is refused (FWG_TPM_E_JOURNAL) and nothing changes.
 */
TEST_F(ab, truncated_ticket_log_replays_a_ticket)
{
	uint8_t t1[16], t2[16];
	char path[600], copy[700];
	struct slot_state before, after;
	FILE *f;
	int t = -1;

	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	abdev_ticket(&self->d, t1);
	abdev_ticket(&self->d, t2);
	snprintf(path, sizeof(path), "%s/tickets", self->d.t.statedir);
	snprintf(copy, sizeof(copy), "%s.old", path);
	ASSERT_EQ(0, abdev_install_ticket(&self->d, 0, 3, t1, false, false, &t));
	ASSERT_EQ(0, sh("cp %s %s", path, copy));
	ASSERT_EQ(0, abdev_install_ticket(&self->d, 0, 3, t2, false, false, &t));
	EXPECT_EQ(-EALREADY, abdev_install_ticket(&self->d, 0, 3, t1, false, false, &t));
	ASSERT_EQ(0, abdev_state(&self->d, 0, &before));
	f = fopen(path, "w");				/* truncated */
	ASSERT_NE(NULL, f);
	fclose(f);
	EXPECT_NE(0, abdev_install_ticket(&self->d, 0, 3, t1, false, false, &t));
	EXPECT_EQ(FWG_TPM_E_JOURNAL, abdev_install(&self->d, 0, 3, &t));
	ASSERT_EQ(0, sh("cp %s %s", copy, path));		/* rolled back */
	EXPECT_EQ(FWG_TPM_E_JOURNAL, abdev_install(&self->d, 0, 3, &t));
	ASSERT_EQ(0, sh("sed -i 's/^01/02/' %s", path));	/* edited */
	EXPECT_EQ(FWG_TPM_E_JOURNAL, abdev_install(&self->d, 0, 3, &t));
	ASSERT_EQ(0, abdev_state(&self->d, 0, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
}

/*
 * A cut between the journal's file append and its NV extend leaves the
 * last entry unextended: it still counts (the ticket is refused as a
 * replay), and the next install extends it first.
 */
TEST_F(ab, ticket_log_entry_cut_before_its_extend_counts)
{
	uint8_t t1[16];
	char path[600];
	int t = -1;

	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 2, 0));
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	abdev_ticket(&self->d, t1);
	snprintf(path, sizeof(path), "%s/tickets", self->d.t.statedir);
	ASSERT_EQ(0, sh("echo 010000000000000000000000000000ab >>%s", path));
	EXPECT_EQ(-EALREADY, abdev_install_ticket(&self->d, 0, 3, t1, false, false, &t));
	ASSERT_EQ(0, abdev_install(&self->d, 0, 3, &t));
	EXPECT_EQ(-EALREADY, abdev_install_ticket(&self->d, 0, 3, t1, false, false, &t));
	ASSERT_EQ(0, sh("printf 0123 >>%s", path));		/* a torn append */
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_EQ(0, abdev_mark_good(&self->d, self->out));
	EXPECT_EQ(0, abdev_install(&self->d, 0, 4, &t));
	EXPECT_EQ(-EALREADY, abdev_install_ticket(&self->d, 0, 4, t1, false, false, &t));
}

/*
 * Found by the guest model (tests/host/abmodel_guest.sh, seed 20261203):
 * on a device in factory state, boot-verify reports "factory state"; an
 * install then writes the other slot; a second boot-verify in the same
 * boot applied boot-start, took the slot just written as booted and on
 * trial, and verified it although this boot runs the factory image, and
 * mark-good confirmed it and raised the floor to its version: a slot that
 * never booted became the last good one. The install records the factory
 * boot (STATE.md: `boot` set, no booted slot), so the boot stays factory.
 */
TEST_F(ab, install_in_factory_boot_is_confirmed_without_booting)
{
	struct slot_state s;
	uint64_t floor;
	int t = -1;

	ASSERT_EQ(0, abdev_verify(&self->d, self->out));	/* factory state */
	ASSERT_TRUE(self->out[0].factory);
	ASSERT_EQ(0, abdev_install(&self->d, 0, 2, &t));
	abdev_verify(&self->d, self->out);			/* the same boot */
	EXPECT_FALSE(self->out[0].verified);
	EXPECT_TRUE(self->out[0].factory);
	abdev_mark_good(&self->d, self->out);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_FALSE(s.slot[t].good);
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_LT(floor, (uint64_t)2);
	/* The next boot tries it. */
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].verified && self->out[0].trial);
	ASSERT_EQ(0, abdev_mark_good(&self->d, self->out));
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_EQ((uint64_t)2, floor);
}

/*
 * The state directory, the TPM's NV, the slot images and the kernel's
 * memory of this boot saved as @name, or put back.
 */
static int snapshot(struct abdev *d, const char *name, bool restore)
{
	static struct { char name[16]; struct abdev_commit kernel[ABDEV_COMMITS];
			unsigned int commits; } saved[2];
	unsigned int i = !strcmp(name, "cut");

	if (restore) {
		memcpy(d->kernel, saved[i].kernel, sizeof(d->kernel));
		d->commits = saved[i].commits;
	} else {
		memcpy(saved[i].kernel, d->kernel, sizeof(d->kernel));
		saved[i].commits = d->commits;
	}
	fwg_tpm_close(d->tpm);
	d->tpm = NULL;
	swtpm_kill(&d->t);
	if (restore ? sh("rm -rf %s %s && cp -a %s/%s/tpm %s && cp -a %s/%s/state %s && "
			 "cp %s/%s/*.img %s/", d->t.tpmstate, d->t.statedir, d->t.dir, name,
			 d->t.tpmstate, d->t.dir, name, d->t.statedir, d->t.dir, name, d->t.dir) :
		      sh("rm -rf %s/%s && mkdir %s/%s && cp -a %s %s/%s/tpm && cp -a %s "
			 "%s/%s/state && cp %s/*.img %s/%s/", d->t.dir, name, d->t.dir, name,
			 d->t.tpmstate, d->t.dir, name, d->t.statedir, d->t.dir, name, d->t.dir,
			 d->t.dir, name))
		return -EIO;
	if (swtpm_start(&d->t))
		return -EIO;
	return abdev_tpm_open(d);
}

/* The journal holds @ticket's bare id (done: 2), another entry naming it (1), or nothing. */
static int journal_has(struct abdev *d, const uint8_t ticket[16])
{
	char hex[33];

	fwg_hex_encode(ticket, 16, hex);
	if (!sh("grep -qx %s %s/tickets", hex, d->t.statedir))
		return 2;
	return sh("grep -q %s %s/tickets", hex, d->t.statedir) ? 0 : 1;
}

static bool state_records(struct abdev *d, const uint8_t ticket[16])
{
	struct slot_state s;
	int i;

	if (abdev_state(d, 0, &s))
		return false;
	for (i = 0; i < 2; i++)
		if (s.slot[i].has_ticket && !memcmp(s.slot[i].ticket, ticket, 16))
			return true;
	return false;
}

/*
 * P6 with power cuts (issue 11 item 7, STATE.md "install" cut table): an
 * install cut at each of its persistent writes (the state with the target
 * invalid, the journal's install entry, the seal, the commit, the floor
 * raise, the journal's done entry) and in the middle of the image write.
 * First the process is killed there and the install repeated in the same
 * boot: it completes, the kernel writing nothing when it had committed the
 * image (it refuses the ticket until reboot), or it is refused once done.
 * Then the power comes back. From the cut, on copies of the device:
 * - root deletes the state file, or puts back its copy from before the
 *   install, and installs the same bundle again: once the ticket was
 *   recorded anywhere (journal or state), that never writes the slot again
 *   (rolled forward or refused), and afterwards it is refused;
 * - the install repeated completes (the slot written by the kernel is
 *   committed without writing it again), or is refused once it was done;
 *   after it, deleting or rolling back the state does not let it install
 *   again; the next boot verifies the new slot on trial and mark-good
 *   confirms it (P1, P2: the floor never falls, nothing below it verified).
 */
TEST_F_TIMEOUT(ab, install_cut_at_each_point_consumes_the_ticket_once, 600)
{
	char spath[600], pre[700], post[700];
	uint64_t floor = 0, f2, v = 2;
	int k, err, t, how, done, points = 0, raise;
	unsigned int writes;
	uint8_t ticket[16];
	bool consumed, completed, kernel;
	char why[300];

	snprintf(spath, sizeof(spath), "%s/slots/comp0", self->d.t.statedir);
	snprintf(pre, sizeof(pre), "%s/pre-install", self->d.t.dir);
	snprintf(post, sizeof(post), "%s/post-install", self->d.t.dir);
	ASSERT_EQ(0, adopt_and_boot(&self->d, self->out, 2));
	for (raise = 0; raise < 2; raise++) {
		for (k = 0; k < 12; k++) {
			abdev_ticket(&self->d, ticket);
			v++;
			ASSERT_EQ(0, sh("cp %s %s", spath, pre));
			self->d.m.cut_at = k;
			self->d.m.persists = 0;
			err = abdev_install_ticket(&self->d, 0, v, ticket, raise, !k, &t);
			ASSERT_TRUE(err == AB_E_CUT || (k && err == 0)) TH_LOG("cut %d: %d", k, err);
			completed = !err;
			points++;
			/* killed, not powered off: repeated in the same boot */
			ASSERT_EQ(0, snapshot(&self->d, "kill", false));
			self->d.m.cut_at = 0;
			kernel = abdev_kernel_find(&self->d, ticket) != NULL;
			done = journal_has(&self->d, ticket) == 2;
			writes = self->d.writes;
			err = abdev_install_ticket(&self->d, 0, v, ticket, raise, false, &t);
			EXPECT_EQ(done ? -EALREADY : 0, err)
				TH_LOG("cut %d: repeat in the same boot (kernel committed: %d)", k, kernel);
			if (kernel)
				EXPECT_EQ(writes, self->d.writes)
					TH_LOG("cut %d: the kernel wrote a committed ticket again", k);
			EXPECT_EQ(2, journal_has(&self->d, ticket)) TH_LOG("cut %d: not done", k);
			EXPECT_TRUE(state_records(&self->d, ticket)) TH_LOG("cut %d: not recorded", k);
			ASSERT_TRUE(abdev_p1(&self->d, 0, why, sizeof(why))) TH_LOG("cut %d: %s", k, why);
			ASSERT_EQ(0, snapshot(&self->d, "kill", true));
			ASSERT_EQ(0, abdev_reboot(&self->d));
			ASSERT_TRUE(abdev_p1(&self->d, 0, why, sizeof(why))) TH_LOG("cut %d: %s", k, why);
			ASSERT_EQ(0, abdev_floor(&self->d, &f2));
			EXPECT_GE(f2, floor);
			floor = f2;
			ASSERT_EQ(0, snapshot(&self->d, "cut", false));
			consumed = journal_has(&self->d, ticket) || state_records(&self->d, ticket);
			done = journal_has(&self->d, ticket) == 2;
			/* root deletes the state (0) or rolls it back (1), then the same bundle */
			for (how = 0; how < 2; how++) {
				ASSERT_EQ(0, snapshot(&self->d, "cut", true));
				ASSERT_EQ(0, how ? sh("cp %s %s", pre, spath) : sh("rm -f %s", spath));
				writes = self->d.writes;
				err = abdev_install_ticket(&self->d, 0, v, ticket, raise, false, &t);
				if (consumed)
					EXPECT_EQ(writes, self->d.writes)
						TH_LOG("cut %d, state %s: a consumed ticket wrote its slot "
						       "again (err %d)", k, how ? "rolled back" :
						       "deleted", err);
				if (!err || consumed) {	/* and never again */
					writes = self->d.writes;
					ASSERT_EQ(0, how ? sh("cp %s %s", pre, spath) : sh("rm -f %s", spath));
					EXPECT_NE(0, abdev_install_ticket(&self->d, 0, v, ticket, raise,
									  false, &t))
						TH_LOG("cut %d, state %s twice", k,
						       how ? "rolled back" : "deleted");
					EXPECT_EQ(writes, self->d.writes);
				}
			}
			/* the install repeated completes, unless it was done */
			ASSERT_EQ(0, snapshot(&self->d, "cut", true));
			err = abdev_install_ticket(&self->d, 0, v, ticket, raise, false, &t);
			EXPECT_EQ(done ? -EALREADY : 0, err) TH_LOG("cut %d: repeat", k);
			ASSERT_TRUE(abdev_p1(&self->d, 0, why, sizeof(why))) TH_LOG("cut %d: %s", k, why);
			ASSERT_EQ(0, sh("cp %s %s", spath, post));
			ASSERT_EQ(0, unlink(spath));
			EXPECT_EQ(-EALREADY, abdev_install_ticket(&self->d, 0, v, ticket, raise, false,
								  &t)) TH_LOG("cut %d: deleted after", k);
			ASSERT_EQ(0, sh("cp %s %s", pre, spath));
			EXPECT_EQ(-EALREADY, abdev_install_ticket(&self->d, 0, v, ticket, raise, false,
								  &t)) TH_LOG("cut %d: rolled back after", k);
			ASSERT_EQ(0, sh("cp %s %s", post, spath));
			/* boot-verify of the next boot tries the new slot; mark-good confirms it */
			ASSERT_EQ(0, abdev_reboot(&self->d));
			ASSERT_EQ(0, abdev_verify(&self->d, self->out)) TH_LOG("cut %d", k);
			EXPECT_TRUE(self->out[0].verified && self->out[0].trial) TH_LOG("cut %d", k);
			EXPECT_EQ(v, self->out[0].version) TH_LOG("cut %d", k);
			ASSERT_EQ(0, abdev_floor(&self->d, &f2));
			EXPECT_GE(self->out[0].version, f2);
			ASSERT_EQ(0, abdev_mark_good(&self->d, self->out)) TH_LOG("cut %d", k);
			EXPECT_TRUE(self->out[0].marked_good);
			ASSERT_TRUE(abdev_p1(&self->d, 0, why, sizeof(why))) TH_LOG("cut %d: %s", k, why);
			ASSERT_EQ(0, abdev_floor(&self->d, &floor));
			EXPECT_EQ(v, floor);
			if (completed)
				break;	/* the install ran to its end */
		}
	}
	TH_LOG("%d cut points", points);
	EXPECT_GE(points, 12);
}

/* Root's forgery: a quote of this boot's PCR for @entry, kept where mark-good keeps it. */
static int forge_quote(struct abdev *d, const char *entry)
{
	uint8_t nonce[FWG_DIGEST_SIZE], *buf = NULL;
	char path[600];
	struct fwg_quote q = { 0 };
	size_t len = 0;
	int err;

	if (EVP_Digest(entry, strlen(entry), nonce, NULL, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	err = fwg_tpm_quote(d->tpm, nonce, sizeof(nonce), &q);
	if (!err)
		err = fwg_quote_encode(&q, &buf, &len);
	fwg_quote_release(&q);
	snprintf(path, sizeof(path), "%s/confirmations", d->t.statedir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/confirmations/comp0", d->t.statedir);
	if (!err)
		err = fwg_write_file_atomic(path, buf, len);
	free(buf);
	return err;
}

/*
 * A `good` entry root appends to the journal (its NV index takes an empty
 * authValue) does not confirm an install: policy load and mark-good count
 * it only with a quote, by this TPM's attestation key, of a boot whose PCR
 * measured the installed image once (STATE.md "policy load"). Root's own
 * quote of a boot that runs the other slot, before and after extending the
 * new image's digest itself, does not count; the quote mark-good keeps in
 * the boot that verified the slot does, for that entry only.
 */
TEST_F(ab, forged_good_entry_does_not_confirm)
{
	struct fwg_tpm_subject sub = { .component = "comp0", .slot = "comp0_b", .version = 3 };
	const struct pc_component *c = &self->d.pc.component[0];
	char good[256], line[256], thex[33];
	struct slot_state s;
	uint8_t ticket[16];
	int t;

	ASSERT_EQ(0, adopt_and_boot(&self->d, self->out, 2));
	abdev_ticket(&self->d, ticket);
	ASSERT_EQ(0, abdev_install_ticket(&self->d, 0, 3, ticket, false, false, &t));
	ASSERT_EQ(1, t);
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	fwg_hex_encode(ticket, 16, thex);
	snprintf(good, sizeof(good), "good comp0 comp0_b 3 %s", thex);
	ASSERT_EQ(0, fwg_tpm_journal_add(self->d.tpm, good));
	EXPECT_NE(0, ab_confirmation_check(self->d.tpm, self->d.t.statedir, c, good,
					   s.slot[1].digest, &self->d.step)) TH_LOG("no quote");
	/* this boot runs comp0_a: its quote shows comp0_a's measurement */
	ASSERT_EQ(0, forge_quote(&self->d, good));
	EXPECT_NE(0, ab_confirmation_check(self->d.tpm, self->d.t.statedir, c, good,
					   s.slot[1].digest, &self->d.step)) TH_LOG("quote of slot a");
	/* root extends comp0_b's digest (and logs it): comp0 measured twice */
	memcpy(sub.digest, s.slot[1].digest, FWG_DIGEST_SIZE);
	ASSERT_EQ(0, fwg_tpm_measure(self->d.tpm, &sub));
	ASSERT_EQ(0, forge_quote(&self->d, good));
	EXPECT_NE(0, ab_confirmation_check(self->d.tpm, self->d.t.statedir, c, good,
					   s.slot[1].digest, &self->d.step)) TH_LOG("extended twice");
	/* the boot that tries comp0_b verifies it; mark-good writes its own */
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].verified && self->out[0].trial);
	ASSERT_EQ(0, abdev_mark_good(&self->d, self->out));
	ASSERT_EQ(1, fwg_tpm_journal_find(self->d.tpm, "good comp0", line, sizeof(line)));
	EXPECT_STREQ(good, line);
	EXPECT_EQ(0, ab_confirmation_check(self->d.tpm, self->d.t.statedir, c, line,
					   s.slot[1].digest, &self->d.step));
	/* the quote counts for that entry and that image only */
	EXPECT_NE(0, ab_confirmation_check(self->d.tpm, self->d.t.statedir, c,
					   "good comp0 comp0_b 4 00000000000000000000000000000000",
					   s.slot[1].digest, &self->d.step));
	EXPECT_NE(0, ab_confirmation_check(self->d.tpm, self->d.t.statedir, c, line,
					   s.slot[0].digest, &self->d.step));
	/* a later boot checks the same quote: it still counts */
	ASSERT_EQ(0, abdev_reboot(&self->d));
	EXPECT_EQ(0, ab_confirmation_check(self->d.tpm, self->d.t.statedir, c, line,
					   s.slot[1].digest, &self->d.step));
}

TEST_HARNESS_MAIN

/*
 * One transient TPM failure at the seal of an install is retried like every
 * TPM step but the extend (STATE.md: retried three times): the install
 * completes, and the slot verifies at the next boot.
 */
TEST_F(ab, transient_error_at_install_seal_is_retried)
{
	int t = -1;

	ASSERT_EQ(0, adopt_and_boot(&self->d, self->out, 2));
	self->d.ops.hash = hash_then_fault;
	fault_after_hash = true;
	EXPECT_EQ(0, abdev_install(&self->d, 0, 3, &t));
	ASSERT_FALSE(fault_after_hash);
	EXPECT_EQ(0, self->d.m.fault_eio);
	self->d.ops.hash = abdev_hash;
	ASSERT_EQ(0, abdev_reboot(&self->d));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].verified && self->out[0].trial);
	EXPECT_EQ(3u, self->out[0].version);
}
