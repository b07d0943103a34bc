// SPDX-License-Identifier: GPL-2.0-only
/*
 * The A/B state machine with a bootloader (STATE.md "bootloader"): the
 * grub backend on a real GRUB environment block (made and changed with
 * grub-editenv), swtpm and image files (tests/tpm/abdev.h). GRUB's part of
 * a boot is its documented protocol, played with grub-editenv by
 * grub_boot(): for each slot in fwg_order with fwg_<s>_ok=1, an unset
 * fwg_<s>_left boots it, a count above 0 is decremented and boots it, 0
 * skips it; no slot: halt. The slot it boots goes on the kernel command
 * line file the library reads instead of /proc/cmdline (the test seam: a
 * field of struct bootctl only a program linking the library can set).
 * The custom backend is checked with a script that records its calls.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"

/* abdev_setup()'s slot names fit; GCC cannot tell once it is inlined here. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "tests/tpm/abdev.h"
#include "userspace/common/fileio.h"
#include "userspace/lib/bootctl.h"

struct boot_fixture {
	struct abdev d;
	struct bootctl bc;
	char env[400], cmdline[400], calls[400];
	struct uc_boot_component out[PC_MAX_COMPONENTS];
};

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

/* The kernel command line of the next boot: fwguard.slot=@slot ("" for none). */
static int set_cmdline(struct boot_fixture *f, const char *slot)
{
	return sh("printf 'BOOT_IMAGE=/vmlinuz root=/dev/vda2 %s%s quiet\\n' >%s",
		  *slot ? "fwguard.slot=" : "", slot, f->cmdline);
}

/* GRUB's boot: the slot it boots (command line written), or -1: it halts. */
static int grub_boot(struct boot_fixture *f)
{
	struct bootctl_state st;
	int i, s;

	if (bootctl_read(&f->bc, &st))
		return -2;
	for (i = 0; i < 2; i++) {
		s = st.order[i];
		if (!st.ok[s] || st.left[s] == 0)
			continue;
		if (st.left[s] > 0 && sh("grub-editenv %s set fwg_%c_left=%d", f->env,
					 bootctl_slot_name(s), st.left[s] - 1))
			return -2;
		return set_cmdline(f, s ? "b" : "a") ? -2 : s;
	}
	set_cmdline(f, "");
	return -1;
}

static int env_state(struct boot_fixture *f, struct bootctl_state *st)
{
	return bootctl_read(&f->bc, st);
}

/* A device on GRUB: factory env boots a, confirmed; comp0 a adopted at @v, booted, verified. */
static int grub_device(struct boot_fixture *f, uint64_t v)
{
	int err;

	snprintf(f->env, sizeof(f->env), "%s/grubenv", f->d.t.dir);
	snprintf(f->cmdline, sizeof(f->cmdline), "%s/cmdline", f->d.t.dir);
	f->bc.kind = BOOTCTL_GRUB;
	snprintf(f->bc.path, sizeof(f->bc.path), "%s", f->env);
	snprintf(f->bc.component, sizeof(f->bc.component), "comp0");
	f->bc.tries = 3;
	f->bc.cmdline = f->cmdline;
	f->d.m.boot = &f->bc;
	err = sh("grub-editenv %s create && grub-editenv %s set fwg_order='a b' fwg_a_ok=1 "
		 "fwg_b_ok=0", f->env, f->env);
	if (!err)
		err = set_cmdline(f, "a");	/* the factory boot */
	if (!err)
		err = ab_adopt(&f->d.m, &f->d.pc.component[0], 0, v, 0);
	if (!err)
		err = abdev_reboot(&f->d);
	if (!err && grub_boot(f) != 0)
		err = -EIO;
	return err ? err : abdev_verify(&f->d, f->out);
}

FIXTURE(boot) {
	struct boot_fixture f;
};

FIXTURE_SETUP(boot)
{
	memset(&self->f, 0, sizeof(self->f));
	ASSERT_EQ(0, abdev_setup(&self->f.d, 1));
}

FIXTURE_TEARDOWN(boot)
{
	abdev_teardown(&self->f.d);
}

/* Install completion sets the trial, GRUB counts it, mark-good confirms it in the env. */
TEST_F(boot, trial_set_counted_and_confirmed)
{
	struct boot_fixture *f = &self->f;
	struct bootctl_state st;
	struct slot_state s;
	int t;

	ASSERT_EQ(0, grub_device(f, 2));
	ASSERT_EQ(0, abdev_install(&f->d, 0, 3, &t));
	ASSERT_EQ(1, t);
	ASSERT_EQ(0, env_state(f, &st));
	EXPECT_EQ(1, st.order[0]);
	EXPECT_TRUE(st.ok[1]);
	EXPECT_EQ(3, st.left[1]);
	EXPECT_EQ(BOOTCTL_CONFIRMED, st.left[0]);
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(1, grub_boot(f));
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	EXPECT_TRUE(f->out[0].verified && f->out[0].trial);
	EXPECT_STREQ("comp0_b", f->out[0].slot);
	ASSERT_EQ(0, abdev_mark_good(&f->d, f->out));
	ASSERT_EQ(0, env_state(f, &st));
	EXPECT_EQ(1, st.order[0]);
	EXPECT_TRUE(st.ok[1]);
	EXPECT_EQ(BOOTCTL_CONFIRMED, st.left[1]);
	ASSERT_EQ(0, abdev_state(&f->d, 0, &s));
	EXPECT_EQ(1, s.active);
	ASSERT_EQ(0, abdev_reboot(&f->d));
	EXPECT_EQ(1, grub_boot(f));		/* confirmed: no counting */
	ASSERT_EQ(0, env_state(f, &st));
	EXPECT_EQ(BOOTCTL_CONFIRMED, st.left[1]);
}

/* State expects trial b, the command line says a: GRUB gave b up; the state follows. */
TEST_F(boot, cmdline_a_while_state_tries_b)
{
	struct boot_fixture *f = &self->f;
	struct slot_state s;
	int t, i;

	ASSERT_EQ(0, grub_device(f, 2));
	ASSERT_EQ(0, abdev_install(&f->d, 0, 3, &t));
	for (i = 0; i < 3; i++) {		/* b never reaches boot-verify */
		ASSERT_EQ(0, abdev_reboot(&f->d));
		ASSERT_EQ(1, grub_boot(f));
	}
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(0, grub_boot(f));		/* tries exhausted: GRUB boots a */
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	EXPECT_TRUE(f->out[0].verified);
	EXPECT_TRUE(f->out[0].fell_back);
	EXPECT_FALSE(f->out[0].trial);
	EXPECT_STREQ("comp0_a", f->out[0].slot);
	ASSERT_EQ(0, abdev_state(&f->d, 0, &s));
	EXPECT_EQ(0, s.active);
	EXPECT_EQ(-1, s.trying);
	EXPECT_EQ(-1, s.pending);
	EXPECT_TRUE(s.slot[1].valid);		/* never booted: no evidence against it */
	EXPECT_EQ(0, abdev_mark_good(&f->d, f->out));
	EXPECT_FALSE(f->out[0].marked_good);
}

/*
 * State says a (steady; b valid and good too), the command line says b (a
 * did not load, GRUB fell through): b is verified as a trial and confirmed.
 */
TEST_F(boot, cmdline_b_while_state_says_a)
{
	struct boot_fixture *f = &self->f;
	struct slot_state s;
	int t;

	ASSERT_EQ(0, grub_device(f, 2));
	ASSERT_EQ(0, abdev_install(&f->d, 0, 2, &t));	/* b v2 */
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(1, grub_boot(f));
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	ASSERT_EQ(0, abdev_mark_good(&f->d, f->out));	/* b active, a good at the floor */
	ASSERT_EQ(0, abdev_install(&f->d, 0, 2, &t));	/* a v2 again */
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(0, grub_boot(f));
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	ASSERT_EQ(0, abdev_mark_good(&f->d, f->out));	/* a active, b good */
	ASSERT_EQ(0, abdev_state(&f->d, 0, &s));
	ASSERT_EQ(0, s.active);
	ASSERT_TRUE(s.slot[1].valid && s.slot[1].good);
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(0, set_cmdline(f, "b"));
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	EXPECT_TRUE(f->out[0].verified);
	EXPECT_FALSE(f->out[0].fell_back);
	EXPECT_STREQ("comp0_b", f->out[0].slot);
	ASSERT_EQ(0, abdev_state(&f->d, 0, &s));
	EXPECT_EQ(1, s.trying);
	EXPECT_EQ(0, s.active);
	ASSERT_EQ(0, abdev_mark_good(&f->d, f->out));
	EXPECT_TRUE(f->out[0].marked_good);
	ASSERT_EQ(0, abdev_state(&f->d, 0, &s));
	EXPECT_EQ(1, s.active);
}

/* The command line names a slot that holds nothing: fallback, the env gives it up. */
TEST_F(boot, cmdline_names_an_invalid_slot)
{
	struct boot_fixture *f = &self->f;
	struct bootctl_state st;
	struct slot_state s;

	ASSERT_EQ(0, grub_device(f, 2));
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(0, set_cmdline(f, "b"));
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	EXPECT_FALSE(f->out[0].verified);
	EXPECT_TRUE(f->out[0].fell_back);
	EXPECT_STREQ("comp0_a", f->out[0].slot);
	ASSERT_EQ(0, env_state(f, &st));
	EXPECT_FALSE(st.ok[1]);
	EXPECT_EQ(0, st.order[0]);
	ASSERT_EQ(0, abdev_state(&f->d, 0, &s));
	EXPECT_EQ(0, s.active);
	ASSERT_EQ(0, abdev_reboot(&f->d));
	EXPECT_EQ(0, grub_boot(f));
}

/* A slot below the floor is refused whatever the env says; GRUB goes back to b. */
TEST_F(boot, below_floor_refused_whatever_the_env_says)
{
	struct boot_fixture *f = &self->f;
	struct bootctl_state st;
	struct slot_state s;
	int t;

	ASSERT_EQ(0, grub_device(f, 2));
	ASSERT_EQ(0, abdev_install(&f->d, 0, 3, &t));
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(1, grub_boot(f));
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	ASSERT_EQ(0, abdev_mark_good(&f->d, f->out));	/* floor 3; a holds v2 */
	ASSERT_EQ(0, sh("grub-editenv %s set fwg_order='a b' fwg_a_ok=1", f->env));
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(0, grub_boot(f));		/* an edited env boots a */
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	EXPECT_FALSE(f->out[0].verified);
	EXPECT_TRUE(f->out[0].fell_back);
	EXPECT_STREQ("comp0_b", f->out[0].slot);
	ASSERT_EQ(0, abdev_state(&f->d, 0, &s));
	EXPECT_FALSE(s.slot[0].valid);
	EXPECT_EQ(1, s.active);
	ASSERT_EQ(0, env_state(f, &st));
	EXPECT_FALSE(st.ok[0]);
	ASSERT_EQ(0, abdev_reboot(&f->d));
	EXPECT_EQ(1, grub_boot(f));
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	EXPECT_TRUE(f->out[0].verified);
}

/* No fwguard.slot=: boot-verify refuses to guess from the state; nothing changes. */
TEST_F(boot, no_slot_on_cmdline_changes_nothing)
{
	struct boot_fixture *f = &self->f;
	uint8_t *before, *after;
	size_t n1, n2;
	char path[600];

	ASSERT_EQ(0, grub_device(f, 2));
	snprintf(path, sizeof(path), "%s/slots/comp0", f->d.t.statedir);
	ASSERT_EQ(0, fwg_read_file(path, 65536, &before, &n1));
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(0, set_cmdline(f, ""));
	EXPECT_EQ(-ENODATA, abdev_verify(&f->d, f->out));
	ASSERT_EQ(0, sh("printf 'fwguard.slot=a fwguard.slot=b\\n' >%s", f->cmdline));
	EXPECT_EQ(-EBADMSG, abdev_verify(&f->d, f->out));
	ASSERT_EQ(0, fwg_read_file(path, 65536, &after, &n2));
	EXPECT_TRUE(n1 == n2 && !memcmp(before, after, n1));
	free(before);
	free(after);
}

/*
 * A grub.cfg that puts an environment variable on the kernel command line
 * before its own fwguard.slot=: root sets it to "fwguard.slot=b --" and
 * makes GRUB boot a, below the floor. A "--" does not end the search (the
 * slot named after it is still on the line): two slots, refused, nothing
 * changed, instead of verifying b while a runs.
 */
TEST_F(boot, slot_hidden_after_double_dash_refused)
{
	struct boot_fixture *f = &self->f;
	uint8_t *before, *after;
	size_t n1, n2;
	char path[600];
	int t;

	ASSERT_EQ(0, grub_device(f, 2));
	ASSERT_EQ(0, abdev_install(&f->d, 0, 3, &t));
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(1, grub_boot(f));
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	ASSERT_EQ(0, abdev_mark_good(&f->d, f->out));	/* floor 3; a holds v2 */
	ASSERT_EQ(0, abdev_reboot(&f->d));
	snprintf(path, sizeof(path), "%s/slots/comp0", f->d.t.statedir);
	ASSERT_EQ(0, fwg_read_file(path, 65536, &before, &n1));
	ASSERT_EQ(0, sh("printf 'BOOT_IMAGE=/vmlinuz fwguard.slot=b -- fwguard.slot=a\\n' >%s",
			f->cmdline));
	EXPECT_EQ(-EBADMSG, abdev_verify(&f->d, f->out));
	EXPECT_FALSE(f->out[0].verified);
	ASSERT_EQ(0, fwg_read_file(path, 65536, &after, &n2));
	EXPECT_TRUE(n1 == n2 && !memcmp(before, after, n1));
	free(before);
	free(after);
}

/* write_cmdline_of(f, LEN, SLOT): a LEN-byte line that ends in fwguard.slot=SLOT. */
static int write_cmdline_of(struct boot_fixture *f, size_t len, const char *slot)
{
	char line[4096];
	size_t tail = strlen("fwguard.slot=") + strlen(slot);
	FILE *fp;
	int err;

	if (len >= sizeof(line) || len < tail + 1)
		return -1;
	memset(line, 'x', len - tail - 1);
	line[len - tail - 1] = ' ';
	snprintf(line + len - tail, sizeof(line) - (len - tail), "fwguard.slot=%s", slot);
	fp = fopen(f->cmdline, "w");
	if (!fp)
		return -1;
	err = fprintf(fp, "%s\n", line) < 0;
	return fclose(fp) || err ? -1 : 0;
}

/*
 * Words put before the bootloader's own (GRUB expands globs in an
 * environment variable on its linux line) can make the line longer than
 * the kernel keeps and push GRUB's fwguard.slot= off its end, leaving a
 * slot word of root's choosing. A line as long as the kernel's limit is
 * refused, nothing changed; one byte shorter is read.
 */
TEST_F(boot, cmdline_at_the_kernel_limit_refused)
{
	struct boot_fixture *f = &self->f;
	uint8_t *before, *after;
	size_t n1, n2;
	char path[600];

	ASSERT_EQ(0, grub_device(f, 2));
	ASSERT_EQ(0, abdev_reboot(&f->d));
	snprintf(path, sizeof(path), "%s/slots/comp0", f->d.t.statedir);
	ASSERT_EQ(0, fwg_read_file(path, 65536, &before, &n1));
	ASSERT_EQ(0, write_cmdline_of(f, 2047, "a"));
	EXPECT_EQ(-EBADMSG, abdev_verify(&f->d, f->out));
	EXPECT_FALSE(f->out[0].verified);
	ASSERT_EQ(0, fwg_read_file(path, 65536, &after, &n2));
	EXPECT_TRUE(n1 == n2 && !memcmp(before, after, n1));
	ASSERT_EQ(0, write_cmdline_of(f, 2046, "a"));
	EXPECT_EQ(0, abdev_verify(&f->d, f->out));
	EXPECT_TRUE(f->out[0].verified);
	free(before);
	free(after);
}

/* GRUB boots the trial again (no mark-good yet): still on trial, counted by GRUB. */
TEST_F(boot, trial_booted_again_stays_on_trial)
{
	struct boot_fixture *f = &self->f;
	struct bootctl_state st;

	int t;

	ASSERT_EQ(0, grub_device(f, 2));
	ASSERT_EQ(0, abdev_install(&f->d, 0, 3, &t));
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(1, grub_boot(f));
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	ASSERT_EQ(0, abdev_reboot(&f->d));		/* crash before mark-good */
	ASSERT_EQ(1, grub_boot(f));
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	EXPECT_TRUE(f->out[0].verified && f->out[0].trial);
	EXPECT_FALSE(f->out[0].fell_back);
	ASSERT_EQ(0, env_state(f, &st));
	EXPECT_EQ(1, st.left[1]);
	ASSERT_EQ(0, abdev_mark_good(&f->d, f->out));
	EXPECT_TRUE(f->out[0].marked_good);
}

/*
 * Factory adoption on the disk as it leaves the factory: both slots ok,
 * order "a b". Adopting the running slot takes it as the only verified
 * one, so the bootloader must give the other up: nothing ever measured
 * or sealed it. When the adopted slot then fails verification, GRUB
 * halts (the safe state) instead of booting the unverified one.
 */
TEST_F(boot, adopt_gives_the_other_slot_up)
{
	struct boot_fixture *f = &self->f;
	struct bootctl_state st;
	int s;

	for (s = 0; s < 2; s++) {
		if (s) {	/* a device adopting b: a fresh TPM and state, same env */
			abdev_teardown(&f->d);
			ASSERT_EQ(0, abdev_setup(&f->d, 1));
		}
		snprintf(f->env, sizeof(f->env), "%s/grubenv", f->d.t.dir);
		snprintf(f->cmdline, sizeof(f->cmdline), "%s/cmdline", f->d.t.dir);
		f->bc.kind = BOOTCTL_GRUB;
		snprintf(f->bc.path, sizeof(f->bc.path), "%s", f->env);
		snprintf(f->bc.component, sizeof(f->bc.component), "comp0");
		f->bc.tries = 3;
		f->bc.cmdline = f->cmdline;
		f->d.m.boot = &f->bc;
		ASSERT_EQ(0, sh("grub-editenv %s create && grub-editenv %s set fwg_order='a b' "
				"fwg_a_ok=1 fwg_b_ok=1", f->env, f->env));
		ASSERT_EQ(0, set_cmdline(f, s ? "b" : "a"));
		ASSERT_EQ(0, ab_adopt(&f->d.m, &f->d.pc.component[0], s, 2, 0));
		ASSERT_EQ(0, env_state(f, &st));
		EXPECT_EQ(s, st.order[0]) TH_LOG("adopted %c", bootctl_slot_name(s));
		EXPECT_TRUE(st.ok[s]);
		EXPECT_EQ(BOOTCTL_CONFIRMED, st.left[s]);
		EXPECT_FALSE(st.ok[1 - s]) TH_LOG("adopted %c: the other slot still bootable",
						  bootctl_slot_name(s));
	}
	/* Slot b adopted and booted; its bytes change: fallback finds nothing, GRUB halts. */
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(1, grub_boot(f));
	ASSERT_EQ(0, abdev_fill(f->d.img[0][1], 77, 100));
	EXPECT_EQ(-EKEYREJECTED, abdev_verify(&f->d, f->out));
	ASSERT_EQ(0, abdev_reboot(&f->d));
	EXPECT_EQ(-1, grub_boot(f));
}

/*
 * Adoption gives the other slot up, so it takes only the slot the
 * bootloader booted: adopting the other would leave GRUB nothing but an
 * image nobody saw boot. Refused, nothing changed: still factory state,
 * the env as it was; no fwguard.slot= on the line is refused too.
 */
TEST_F(boot, adopt_refuses_a_slot_not_booted)
{
	struct boot_fixture *f = &self->f;
	struct bootctl_state st;

	snprintf(f->env, sizeof(f->env), "%s/grubenv", f->d.t.dir);
	snprintf(f->cmdline, sizeof(f->cmdline), "%s/cmdline", f->d.t.dir);
	f->bc.kind = BOOTCTL_GRUB;
	snprintf(f->bc.path, sizeof(f->bc.path), "%s", f->env);
	snprintf(f->bc.component, sizeof(f->bc.component), "comp0");
	f->bc.tries = 3;
	f->bc.cmdline = f->cmdline;
	f->d.m.boot = &f->bc;
	ASSERT_EQ(0, sh("grub-editenv %s create && grub-editenv %s set fwg_order='a b' "
			"fwg_a_ok=1 fwg_b_ok=1", f->env, f->env));
	ASSERT_EQ(0, set_cmdline(f, "a"));
	EXPECT_EQ(-EINVAL, ab_adopt(&f->d.m, &f->d.pc.component[0], 1, 2, 0));
	ASSERT_EQ(0, set_cmdline(f, ""));
	EXPECT_EQ(-ENODATA, ab_adopt(&f->d.m, &f->d.pc.component[0], 0, 2, 0));
	EXPECT_TRUE(ab_factory(&f->d.m, &f->d.pc.component[0]));
	ASSERT_EQ(0, env_state(f, &st));
	EXPECT_EQ(0, st.order[0]);
	EXPECT_TRUE(st.ok[0] && st.ok[1]);
	EXPECT_EQ(BOOTCTL_CONFIRMED, st.left[0]);
	EXPECT_EQ(BOOTCTL_CONFIRMED, st.left[1]);
	ASSERT_EQ(0, set_cmdline(f, "a"));
	EXPECT_EQ(0, ab_adopt(&f->d.m, &f->d.pc.component[0], 0, 2, 0));
}

/* Both slots bad: GRUB halts (the documented safe state), never boots either. */
TEST_F(boot, both_slots_bad_halts)
{
	struct boot_fixture *f = &self->f;

	ASSERT_EQ(0, grub_device(f, 2));
	ASSERT_EQ(0, abdev_fill(f->d.img[0][0], 77, 100));	/* a tampered; b empty */
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(0, grub_boot(f));
	EXPECT_EQ(-EKEYREJECTED, abdev_verify(&f->d, f->out));
	ASSERT_EQ(0, abdev_reboot(&f->d));
	EXPECT_EQ(-1, grub_boot(f));
}

/*
 * Every bootloader write sits where a cut keeps the rule of STATE.md: the
 * env never lets GRUB boot a slot the state does not hold valid (or being
 * rewritten). Cut an install and a fallback at each persistent write; then
 * whatever GRUB boots is valid in the state, and a verify succeeds.
 */
TEST_F(boot, power_cut_at_each_write_boots_only_valid_slots)
{
	struct boot_fixture *f = &self->f;
	struct slot_state s;
	int cut, t, err, b, cuts = 0;

	ASSERT_EQ(0, grub_device(f, 2));
	for (cut = 1; cut < 12; cut++) {
		f->d.m.cut_at = cut;
		f->d.m.persists = 0;
		err = abdev_install(&f->d, 0, 2, &t);
		cuts += err == AB_E_CUT;
		ASSERT_TRUE(err == 0 || err == AB_E_CUT);
		ASSERT_EQ(0, abdev_reboot(&f->d));
		b = grub_boot(f);
		ASSERT_GE(b, 0);
		ASSERT_EQ(0, abdev_state(&f->d, 0, &s));
		EXPECT_TRUE(s.slot[b].valid) TH_LOG("cut %d: GRUB boots invalid slot %d", cut, b);
		ASSERT_EQ(0, abdev_verify(&f->d, f->out));
		EXPECT_TRUE(f->out[0].verified) TH_LOG("cut %d", cut);
		ASSERT_EQ(0, abdev_mark_good(&f->d, f->out));
		if (err == 0)
			break;
	}
	EXPECT_GE(cuts, 4);
}

/*
 * A fallback cut between its env write and its save, to a slot whose trial
 * ran out of tries: the env must still let GRUB boot that slot. (With
 * bad(f) written alone first, GRUB found both slots unbootable and halted
 * for good, while b was valid at the floor.) Mark-good of b is cut after
 * the floor raise, before its save; a, below the floor, then falls back.
 */
TEST_F(boot, fallback_cut_keeps_the_other_slot_bootable)
{
	struct boot_fixture *f = &self->f;
	int i, t;

	ASSERT_EQ(0, grub_device(f, 1));
	ASSERT_EQ(0, abdev_install(&f->d, 0, 2, &t));
	for (i = 0; i < 3; i++) {	/* b's three tries, never confirmed */
		ASSERT_EQ(0, abdev_reboot(&f->d));
		ASSERT_EQ(1, grub_boot(f));
		ASSERT_EQ(0, abdev_verify(&f->d, f->out));
		EXPECT_TRUE(f->out[0].verified);
	}
	f->d.m.cut_at = 2;		/* floor raised to 2, state not saved */
	f->d.m.persists = 0;
	ASSERT_EQ(AB_E_CUT, abdev_mark_good(&f->d, f->out));
	f->d.m.cut_at = 0;
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(0, grub_boot(f));	/* no tries left for b: a, below the floor */
	f->d.m.cut_at = 3;		/* boot-start saved, env written, not the fallback's save */
	f->d.m.persists = 0;
	ASSERT_EQ(AB_E_CUT, abdev_verify(&f->d, f->out));
	f->d.m.cut_at = 0;
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(1, grub_boot(f)) TH_LOG("GRUB must boot b, valid at the floor, not halt");
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	EXPECT_TRUE(f->out[0].verified);
	EXPECT_STREQ("comp0_b", f->out[0].slot);
	ASSERT_EQ(0, abdev_mark_good(&f->d, f->out));
}

/* The custom backend: every call boot-verify, install and mark-good make. */
TEST_F(boot, custom_backend_calls_in_order)
{
	struct boot_fixture *f = &self->f;
	uint8_t *log;
	size_t n;
	int t;
	const char *want = "mark-bad b\nset-trial b 2\nbooted\nmark-good b\n";

	snprintf(f->calls, sizeof(f->calls), "%s/calls", f->d.t.dir);
	snprintf(f->bc.path, sizeof(f->bc.path), "%s/bootctl", f->d.t.dir);
	ASSERT_EQ(0, sh("printf '#!/bin/sh\\necho \"$*\" >>%s\\n[ \"$1\" = booted ] && echo b\\n"
			"exit 0\\n' >%s && chmod 755 %s", f->calls, f->bc.path, f->bc.path));
	f->bc.kind = BOOTCTL_CUSTOM;
	snprintf(f->bc.component, sizeof(f->bc.component), "comp0");
	f->bc.tries = 2;
	ASSERT_EQ(0, ab_adopt(&f->d.m, &f->d.pc.component[0], 0, 2, 0));
	f->d.m.boot = &f->bc;
	ASSERT_EQ(0, abdev_install(&f->d, 0, 3, &t));
	ASSERT_EQ(0, abdev_reboot(&f->d));
	ASSERT_EQ(0, abdev_verify(&f->d, f->out));
	EXPECT_TRUE(f->out[0].verified && f->out[0].trial);
	ASSERT_EQ(0, abdev_mark_good(&f->d, f->out));
	ASSERT_EQ(0, fwg_read_file(f->calls, 4096, &log, &n));
	EXPECT_EQ(strlen(want), n);
	EXPECT_EQ(0, memcmp(want, log, n < strlen(want) ? n : strlen(want)));
	free(log);
	ASSERT_EQ(0, sh("printf '#!/bin/sh\\nexit 1\\n' >%s", f->bc.path));
	EXPECT_EQ(-EIO, abdev_install(&f->d, 0, 4, &t));	/* mark-bad fails: nothing written */
}

TEST_HARNESS_MAIN
