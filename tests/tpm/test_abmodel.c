// SPDX-License-Identifier: GPL-2.0-only
/*
 * Model-based test of the A/B state machine (userspace/lib/STATE.md), the
 * model shared with the guest test in tests/tpm/abmodel.h:
 * random sequences of events (install, power cut at any persistent write
 * or in the middle of the image write, reboot, boot-verify, mark-good,
 * tampered slot, transient TPM errors, factory adoption) against the
 * library's code, swtpm and image files for the slots (tests/tpm/abdev.h).
 * After every step: P1 (every component in factory state or with a
 * verified-bootable slot) and P2 (nothing below the floor verified or
 * installed, the floor never falls). In one boot of three, P4: boot-verify
 * with transient TPM faults (at the extend, or earlier) and a retry
 * reports what a fault-free boot-verify of the same boot reports, and a
 * further boot-verify in the boot reports the same again.
 *
 * Usage: test_abmodel [SEED [SEQUENCES [STEPS]]]; defaults: the short
 * fixed-seed run of `make check`. Prints TAP.
 */
#include <stdlib.h>
#include <unistd.h>

#include "tests/tpm/abdev.h"

struct model {
	struct abdev d;
	struct abm a;		/* the shared model: seed, floor seen, checks */
	unsigned long faulted;	/* boots checked for P4 */
	unsigned long stale;	/* faulted boots whose fault-free run had a TPM error */
};

/* The host's events: the guest's raw writes and power cuts are the gate's. */
static const unsigned int host_weights[ABM_EVENTS] = {
	[ABM_INSTALL] = 25, [ABM_REBOOT] = 20, [ABM_VERIFY_AGAIN] = 7,
	[ABM_MARK_GOOD] = 16, [ABM_TAMPER] = 8, [ABM_ADOPT] = 14,
};

static unsigned int pick(struct model *m, unsigned int n)
{
	return abm_pick(&m->a, n);
}

/* A cut at a random persistent write of the next event, one time in @n. */
static void maybe_cut(struct model *m, unsigned int n)
{
	m->d.m.persists = 0;
	m->d.m.cut_at = pick(m, n) == 0 ? 1 + (int)pick(m, 8) : 0;
}

/* What boot-verify reported for one component (P4 compares these). */
struct outcome {
	bool verified, fell_back, factory;
	char slot[PC_NAME_MAX + 1];
	int err;
};

static void outcomes(const struct model *m, const struct uc_boot_component *out,
		     struct outcome *o)
{
	unsigned int i;

	for (i = 0; i < m->d.pc.count; i++) {
		o[i].verified = out[i].verified;
		o[i].fell_back = out[i].fell_back;
		o[i].factory = out[i].factory;
		snprintf(o[i].slot, sizeof(o[i].slot), "%s", out[i].slot);
		o[i].err = out[i].err;
	}
}

/* The TPM's NV and the state directory saved (or put back) in the same boot. */
static int same_boot_snapshot(struct model *m, bool restore)
{
	char cmd[2048];
	int err;

	fwg_tpm_close(m->d.tpm);
	m->d.tpm = NULL;
	swtpm_kill(&m->d.t);
	if (restore)
		snprintf(cmd, sizeof(cmd), "rm -rf %s %s && cp -a %s/snap/tpm %s && "
			 "cp -a %s/snap/state %s", m->d.t.tpmstate, m->d.t.statedir, m->d.t.dir,
			 m->d.t.tpmstate, m->d.t.dir, m->d.t.statedir);
	else
		snprintf(cmd, sizeof(cmd), "rm -rf %s/snap && mkdir %s/snap && cp -a %s "
			 "%s/snap/tpm && cp -a %s %s/snap/state", m->d.t.dir, m->d.t.dir,
			 m->d.t.tpmstate, m->d.t.dir, m->d.t.statedir, m->d.t.dir);
	err = system(cmd) ? -EIO : 0;
	if (!err)
		err = swtpm_start(&m->d.t) ? -EIO : 0;
	return err ? err : abdev_tpm_open(&m->d);
}

/* Transient TPM faults after the @fault_hashes-th slot hash (0: from the start). */
static unsigned int fault_hashes, fault_count;

static int hash_then_fault(void *arg, const struct pc_component *c, int idx, uint64_t len,
			   uint8_t digest[FWG_DIGEST_SIZE])
{
	struct abdev *d = arg;
	int err = abdev_hash(arg, c, idx, len, digest);

	if (fault_hashes && !--fault_hashes)
		d->m.fault_eio = (int)fault_count;
	return err;
}

static int p4_compare(struct model *m, const struct outcome *want, const struct outcome *got,
		      const char *run)
{
	unsigned int i;

	for (i = 0; i < m->d.pc.count; i++) {
		const struct outcome *w = &want[i], *g = &got[i];

		/* A trial abandoned at boot-start is reported by that run only. */
		if (w->verified == g->verified && (w->verified || w->fell_back == g->fell_back) &&
		    w->factory == g->factory && !strcmp(w->slot, g->slot) && w->err == g->err)
			continue;
		snprintf(m->a.why, sizeof(m->a.why), "P4: comp%u %s: verified %d fell_back %d slot '%s' "
			 "err %d; expected verified %d fell_back %d slot '%s' err %d", i, run,
			 g->verified, g->fell_back, g->slot, g->err, w->verified, w->fell_back,
			 w->slot, w->err);
		return -EPROTO;
	}
	return 0;
}

/*
 * P4, in one boot: boot-verify with transient TPM faults (at a component's
 * extend, or at its first TPM operations), then again without, reports
 * what a fault-free boot-verify of the same boot reports (its run on a
 * snapshot of the TPM's NV and the state taken right after the reboot);
 * and a further boot-verify reports the same again. Not checked when the
 * fault-free run reports a TPM error itself (a record left stale by a power
 * cut: the reseal at its end repairs it for a later run, so there is no
 * single reference outcome).
 */
static int faulted_boot(struct model *m, struct uc_boot_component *out)
{
	struct outcome clean[PC_MAX_COMPONENTS], retried[PC_MAX_COMPONENTS];
	bool stale = false;
	unsigned int i;
	int err;

	err = same_boot_snapshot(m, false);
	if (err)
		return err;
	abdev_verify(&m->d, out);
	outcomes(m, out, clean);
	for (i = 0; i < m->d.pc.count; i++)
		stale |= clean[i].err != 0;
	err = same_boot_snapshot(m, true);
	if (err)
		return err;
	fault_hashes = pick(m, 3);	/* 0: the first TPM operations */
	fault_count = 1 + pick(m, AB_TPM_ATTEMPTS + 1);
	if (!fault_hashes)
		m->d.m.fault_eio = (int)fault_count;
	m->d.ops.hash = hash_then_fault;
	abdev_verify(&m->d, out);	/* may fail: transient */
	m->d.ops.hash = abdev_hash;
	m->d.m.fault_eio = 0;
	fault_hashes = 0;
	abdev_verify(&m->d, out);
	outcomes(m, out, retried);
	if (stale) {
		m->stale++;	/* the fault-free run failed too: no reference */
		return 0;
	}
	m->faulted++;
	err = p4_compare(m, clean, retried, "after a transient fault and a retry");
	if (err)
		return err;
	abdev_verify(&m->d, out);
	outcomes(m, out, clean);
	return p4_compare(m, retried, clean, "on a second boot-verify in the boot");
}

static int boot_and_verify(struct model *m, const char **what)
{
	struct uc_boot_component out[PC_MAX_COMPONENTS];
	uint64_t floor;
	unsigned int i;
	int err;

	if (abdev_reboot(&m->d))
		return -EIO;
	if (pick(m, 3) == 0) {
		err = faulted_boot(m, out);
		if (err)
			return err;
	} else {
		maybe_cut(m, 4);
		err = abdev_verify(&m->d, out);
	}
	if (err == AB_E_CUT) {
		*what = "power cut in boot-verify";
		return boot_and_verify(m, what);
	}
	if (abdev_floor(&m->d, &floor))
		return -EIO;
	for (i = 0; i < m->d.pc.count; i++)
		if (out[i].verified &&
		    !abm_check_not_below(&m->a, "verified", out[i].name, out[i].version, floor))
			return -EPROTO;
	return 0;
}

static int ev_install(struct model *m, const char **what)
{
	unsigned int ci = pick(m, m->d.pc.count);
	bool raise = pick(m, 8) == 0, cut_write = pick(m, 10) == 0;
	enum abm_version kind;
	uint8_t ticket[16];
	uint64_t v, floor;
	int err, t;

	if (abdev_floor(&m->d, &floor))
		return -EIO;
	v = abm_install_version(&m->a, floor, &kind);
	abdev_ticket(&m->d, ticket);
	maybe_cut(m, 3);
	*what = "install";
	err = abdev_install_ticket(&m->d, ci, v, ticket, raise, cut_write, &t);
	if (err == AB_E_CUT) {
		*what = "install cut by power loss";
		return boot_and_verify(m, what);
	}
	if (!err && !abm_check_not_below(&m->a, "installed", m->d.pc.component[ci].name, v, floor))
		return -EPROTO;
	return 0;
}

static int ev_mark_good(struct model *m, const char **what)
{
	struct uc_boot_component out[PC_MAX_COMPONENTS];

	maybe_cut(m, 4);
	*what = "mark-good";
	if (abdev_mark_good(&m->d, out) == AB_E_CUT) {
		*what = "mark-good cut by power loss";
		return boot_and_verify(m, what);
	}
	return 0;
}

static int ev_verify_again(struct model *m, const char **what)
{
	struct uc_boot_component out[PC_MAX_COMPONENTS];

	*what = "boot-verify again in the same boot";
	maybe_cut(m, 4);
	abdev_verify(&m->d, out);
	return 0;
}

/* Tamper with a slot while the other one can still boot. */
static int ev_tamper(struct model *m, const char **what)
{
	unsigned int ci = pick(m, m->d.pc.count);
	int i = (int)pick(m, 2);

	*what = "tamper skipped";
	if (!abdev_slot_ok(&m->d, ci, 1 - i))
		return 0;
	*what = "tamper";
	return abdev_fill(m->d.img[ci][i], 7 + pick(m, 1000), 16);
}

static int ev_adopt(struct model *m, const char **what)
{
	unsigned int ci = pick(m, m->d.pc.count);
	uint64_t floor;

	if (abdev_floor(&m->d, &floor))
		return -EIO;
	maybe_cut(m, 3);
	*what = "adopt";
	if (ab_adopt(&m->d.m, &m->d.pc.component[ci], (int)pick(m, 2), floor + pick(m, 2), 0) ==
	    AB_E_CUT) {
		*what = "adopt cut by power loss";
		return boot_and_verify(m, what);
	}
	return 0;
}

static int step(struct model *m, const char **what)
{
	if (pick(m, 10) == 0)
		m->d.m.fault_eio = 1 + (int)pick(m, 4);	/* then any event */
	switch (abm_next_event(&m->a, host_weights)) {
	case ABM_INSTALL:
		return ev_install(m, what);
	case ABM_REBOOT:
		*what = "reboot";
		return boot_and_verify(m, what);
	case ABM_VERIFY_AGAIN:
		return ev_verify_again(m, what);
	case ABM_MARK_GOOD:
		return ev_mark_good(m, what);
	case ABM_TAMPER:
		return ev_tamper(m, what);
	default:
		return ev_adopt(m, what);
	}
}

static int check(struct model *m)
{
	uint64_t floor;

	m->d.m.cut_at = 0;
	m->d.m.fault_eio = 0;
	if (abdev_floor(&m->d, &floor)) {
		snprintf(m->a.why, sizeof(m->a.why), "floor unreadable");
		return -EIO;
	}
	return abm_check(&m->a, m->d.t.statedir, &m->d.ops, &m->d.pc, floor) ? 0 : -EPROTO;
}

static int sequence(struct model *m, unsigned int steps)
{
	const char *what = "";
	unsigned int i;
	int err;

	err = abdev_setup(&m->d, 1 + pick(m, 2));
	if (err) {
		snprintf(m->a.why, sizeof(m->a.why), "setup failed: %s", strerror(-err));
		return err;
	}
	m->a.floor = 0;
	for (i = 0; i < steps; i++) {
		err = step(m, &what);
		if (!err)
			err = check(m);
		m->a.steps++;
		if (getenv("MODEL_TRACE")) {
			struct slot_state st;
			unsigned int c;

			for (c = 0; c < m->d.pc.count; c++)
				if (!abdev_state(&m->d, c, &st))
					fprintf(stderr, "# %u %s: c%u a%d p%d t%d v%d/%d g%d/%d "
						"%" PRIu64 "/%" PRIu64 " floor %" PRIu64 "\n", i + 1,
						what, c, st.active, st.pending, st.trying,
						st.slot[0].valid, st.slot[1].valid, st.slot[0].good,
						st.slot[1].good, st.slot[0].version,
						st.slot[1].version, m->a.floor);
		}
		if (err) {
			fprintf(stderr, "# step %u (%s): %s\n", i + 1, what, m->a.why);
			break;
		}
	}
	abdev_teardown(&m->d);
	return err;
}

int main(int argc, char **argv)
{
	unsigned int seed = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 0) : 20261202;
	unsigned int n = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 0) : 6;
	unsigned int steps = argc > 3 ? (unsigned int)strtoul(argv[3], NULL, 0) : 30;
	struct model m = { .a.seed = seed };
	unsigned int i;
	int err = 0;

	printf("1..1\n");
	fflush(stdout);
	for (i = 0; i < n && !err; i++) {
		err = sequence(&m, steps);
		if (err)
			fprintf(stderr, "# sequence %u of seed %u failed\n", i + 1, seed);
	}
	printf("# model: seed %u, %u sequences, %lu steps, %lu boots with transient faults "
	       "checked (P4), %lu not (the fault-free run failed too)\n", seed, i, m.a.steps,
	       m.faulted, m.stale);
	printf("%sok 1 A/B state machine model: P1, P2 after every step, P4 in faulted boots "
	       "(seed %u, %u sequences, %lu steps)\n", err ? "not " : "", seed, i, m.a.steps);
	return err ? 1 : 0;
}
