// SPDX-License-Identifier: GPL-2.0-only
/*
 * The model-based test of the A/B state machine on a real device: one
 * guest boot of a run that tests/host/abmodel_guest.sh drives over several
 * boots of the same disk and swtpm state. The model (tests/tpm/abmodel.h,
 * shared with the host test) picks the events; each is a real one:
 * `updatectl install` of a bundle made here and signed by the test signer
 * (valid, replayed, below the floor, tampered) through fwguard.ko, a power
 * cut in the middle of an install or a mark-good (the host's --kill-when),
 * boot-verify (at boot and again), mark-good, a raw write by root, a slot
 * tampered while powered off, a reboot. An event that needs the power off ends the
 * boot; the model's state goes to $ABM_OUT for the next one.
 *
 * After every step: P1 and P2 (abmodel.h) against the TPM's floor and the
 * partitions' bytes; the model's prediction of the step (exit code, the
 * record it leaves, the bytes of the target slot, the last good slot left
 * untouched); the kernel's view (policy locked, its floor, its counters of
 * committed sessions and refused writes); `updatectl status --json`
 * against the slot state.
 *
 * Environment: ABM_IN, ABM_OUT (the model's state before and after this
 * boot), ABM_WORK (this boot's writable directory), ABM_CUT (the file
 * whose appearance cuts the power). updatectl reads the device's
 * /etc/fwguard/updatectl.conf, as this test does.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/random.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"
#include "tests/tpm/abmodel.h"
#include "userspace/cli/exit_codes.h"
#include "userspace/lib/config.h"
#include "userspace/lib/status.h"

#define ABM_COMP	"bootfw"
#define ABM_HEAD	(1024 * 1024)	/* bytes of a slot compared before and after */
#define ABM_OUT_MAX	8192

/*
 * Events of the guest: the host's adopt needs a factory image of its own.
 * A boot costs a guest boot, so the events that end one are rare, and
 * mark-good is frequent: a trial is confirmed (and the floor raised) only
 * by a mark-good in the boot that verified it.
 */
static const unsigned int guest_weights[ABM_EVENTS] = {
	[ABM_INSTALL] = 28, [ABM_REBOOT] = 12, [ABM_VERIFY_AGAIN] = 4,
	[ABM_MARK_GOOD] = 30, [ABM_TAMPER] = 4, [ABM_RAW_WRITE] = 6, [ABM_POWER_CUT] = 4,
};

struct guest {
	struct abm a;
	unsigned long todo;		/* steps left in this run */
	unsigned long boots;		/* boots before this one */
	unsigned long bundles;		/* bundles made so far (names) */
	char replay[300];		/* a bundle installed earlier, or "" */
	int verify_rc;			/* this boot's boot-verify */
	bool both_ro;			/* policy loaded with an update pending or on trial */
	char end[64];			/* how this boot ends */
	struct uc_config cfg;
	struct policy_conf pc;
	char boot[40];
	const char *work;
	char out[ABM_OUT_MAX];		/* the last command's output */
};

static int model_load(struct guest *g, const char *path)
{
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "seed %u\nfloor %" SCNu64 "\ntodo %lu\nsteps %lu\nboots %lu\nbundles %lu\n"
		   "replay %299s\n", &g->a.seed, &g->a.floor, &g->todo, &g->a.steps, &g->boots,
		   &g->bundles, g->replay);
	fclose(f);
	if (n == 7 && !strcmp(g->replay, "-"))
		g->replay[0] = '\0';
	return n == 7 ? 0 : -EINVAL;
}

static int model_save(const struct guest *g, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "seed %u\nfloor %" PRIu64 "\ntodo %lu\nsteps %lu\nboots %lu\nbundles %lu\n"
		"replay %s\nend %s\n", g->a.seed, g->a.floor, g->todo, g->a.steps, g->boots + 1,
		g->bundles, g->replay[0] ? g->replay : "-", g->end);
	return fclose(f) ? -errno : 0;
}

/* Run a command, keep its output (stdout and stderr) in g->out; its exit code. */
static __attribute__((format(printf, 2, 3))) int run(struct guest *g, const char *fmt, ...)
{
	char cmd[1024], path[400];
	va_list ap;
	FILE *f;
	size_t n;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/cmd.out", g->work);
	rc = fwg_sh("%s >%s 2>&1", cmd, path);
	f = fopen(path, "r");
	n = f ? fread(g->out, 1, sizeof(g->out) - 1, f) : 0;
	g->out[n] = '\0';
	if (f)
		fclose(f);
	printf("# [%lu] %s -> %d\n", g->a.steps, cmd, rc);
	return rc;
}

static int tpm_floor(struct guest *g, uint64_t *floor)
{
	struct fwg_tpm *tpm;
	int err = uc_tpm_open(&g->cfg, &tpm);

	if (!err) {
		err = fwg_tpm_floor_read(tpm, floor);
		fwg_tpm_close(tpm);
	}
	return err;
}

static const struct pc_component *comp(const struct guest *g)
{
	return &g->pc.component[0];
}

/* SHA-256 of the first ABM_HEAD bytes of slot @i. */
static int slot_head(struct guest *g, int i, uint8_t digest[FWG_DIGEST_SIZE])
{
	return uc_device_ops.hash(NULL, comp(g), i, ABM_HEAD, digest);
}

static int state(struct guest *g, struct slot_state *s)
{
	return slot_state_load(g->cfg.state_dir, ABM_COMP, s);
}

static bool fail(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct guest *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->a.why, sizeof(g->a.why), fmt, ap);
	va_end(ap);
	return false;
}

/* status --json agrees with the slot state and the TPM's floor. */
static bool status_agrees(struct guest *g, uint64_t floor)
{
	char want[200];
	struct slot_state s;
	int i;

	if (run(g, "updatectl status --json"))
		return fail(g, "status --json failed: %s", g->out);
	snprintf(want, sizeof(want), "\"floor\":%" PRIu64 ",", floor);
	if (!strstr(g->out, want))
		return fail(g, "status: no %s in %s", want, g->out);
	if (!slot_state_exists(g->cfg.state_dir, ABM_COMP))
		return true;
	if (state(g, &s))
		return fail(g, "slot state unreadable");
	for (i = 0; i < 2; i++) {
		snprintf(want, sizeof(want), "{\"name\":\"%s\",\"role\":\"%s\",\"valid\":%s,"
			 "\"good\":%s,\"version\":%" PRIu64 ",", comp(g)->slot[i].name,
			 uc_slot_role(&s, i), s.slot[i].valid ? "true" : "false",
			 s.slot[i].good ? "true" : "false", s.slot[i].version);
		if (!strstr(g->out, want))
			return fail(g, "status: no %s in %s", want, g->out);
	}
	return true;
}

/* The kernel's view: policy locked, its floor at most the TPM's, no open session. */
static bool kernel_agrees(struct guest *g, uint64_t floor)
{
	long long kfloor = fwg_status_value("floor");

	if (fwg_status_value("locked") != 1)
		return fail(g, "kernel: policy not locked");
	if (kfloor < 0 || (uint64_t)kfloor > floor)
		return fail(g, "kernel: floor %lld, the TPM's %" PRIu64, kfloor, floor);
	return true;
}

/* P2 of this boot: the slot it verified is not below the floor. */
static bool booted_not_below(struct guest *g, uint64_t floor)
{
	struct slot_state s;
	int b;

	if (!slot_state_exists(g->cfg.state_dir, ABM_COMP) || state(g, &s))
		return true;
	b = slot_state_booted(&s);
	if (strcmp(s.verified_boot, g->boot) || b < 0)
		return true;
	return abm_check_not_below(&g->a, "verified", comp(g)->slot[b].name,
				   s.slot[b].version, floor);
}

static bool check(struct guest *g)
{
	uint64_t floor;

	if (tpm_floor(g, &floor))
		return fail(g, "TPM floor unreadable");
	return abm_check(&g->a, g->cfg.state_dir, &uc_device_ops, &g->pc, floor) &&
	       booted_not_below(g, floor) && kernel_agrees(g, floor) && status_agrees(g, floor);
}

/* A bundle of @len random bytes at version @v in @path; the image's SHA-256. */
static int make_bundle(struct guest *g, uint64_t v, size_t len, bool tampered, char *path,
		       size_t n, uint8_t digest[FWG_DIGEST_SIZE])
{
	char img[400];
	uint8_t *buf = malloc(len);
	size_t done = 0;
	FILE *f;

	snprintf(img, sizeof(img), "%s/b%lu.img", g->work, ++g->bundles);
	snprintf(path, n, "%s/b%lu.fwb", g->work, g->bundles);
	f = fopen(img, "wb");
	while (buf && done < len)
		done += (size_t)getrandom(buf + done, len - done, 0);
	if (!buf || !f || fwrite(buf, 1, len, f) != len) {
		free(buf);
		if (f)
			fclose(f);
		return -EIO;
	}
	fclose(f);
	SHA256(buf, len, digest);
	free(buf);
	if (run(g, "updatectl bundle create --image %s --component " ABM_COMP " --device-class "
		"infusion-pump --security-version %" PRIu64 " --key %s/signer.key --cert "
		"%s/signer.crt --output %s", img, v, FWG_PKI, FWG_PKI, path))
		return -EIO;
	/* The last image byte flipped: the ticket still verifies, the image not. */
	return tampered ? fwg_sh("printf '\\377' | dd of=%s bs=1 seek=$(($(stat -c %%s %s) - 1)) "
				 "conv=notrunc status=none", path, path) : 0;
}

/* The device before a step: what the step may not change is compared after it. */
struct before {
	bool exists;
	struct slot_state s;
	uint8_t head[2][FWG_DIGEST_SIZE];
	long long committed, refused_opens, refused_writes;
	uint64_t floor;
};

static bool snapshot(struct guest *g, struct before *b)
{
	memset(b, 0, sizeof(*b));
	b->exists = slot_state_exists(g->cfg.state_dir, ABM_COMP);
	if ((b->exists && state(g, &b->s)) || slot_head(g, 0, b->head[0]) ||
	    slot_head(g, 1, b->head[1]) || tpm_floor(g, &b->floor))
		return fail(g, "cannot read the device before the step");
	b->committed = fwg_counter("sessions_committed");
	b->refused_opens = fwg_counter("refused_opens");
	b->refused_writes = fwg_counter("refused_writes") + fwg_counter("refused_bios");
	return true;
}

/* Slot @i holds the bytes it held before. */
static bool unchanged(struct guest *g, const struct before *b, int i, const char *what)
{
	uint8_t head[FWG_DIGEST_SIZE];

	if (slot_head(g, i, head) || memcmp(head, b->head[i], sizeof(head)))
		return fail(g, "%s changed %s", what, comp(g)->slot[i].name);
	return true;
}

/* A refused install: exit @want (or any failure, -1), no byte and no session changed. */
static bool refused(struct guest *g, const struct before *b, int rc, int want, const char *what)
{
	if (rc == 0 || (want >= 0 && rc != want))
		return fail(g, "%s: exit %d, expected %d: %s", what, rc, want, g->out);
	if (fwg_counter("sessions_committed") != b->committed)
		return fail(g, "%s: the kernel committed a session", what);
	return want < 0 || (unchanged(g, b, 0, what) && unchanged(g, b, 1, what));
}

/* A completed install: the record, the partition and the kernel agree. */
static bool installed(struct guest *g, const struct before *b, uint64_t v, size_t len,
		      const uint8_t digest[FWG_DIGEST_SIZE], const char *path)
{
	uint8_t on_disk[FWG_DIGEST_SIZE];
	struct slot_state s;
	int t;

	if (state(g, &s) || s.pending < 0)
		return fail(g, "install: exit 0 but nothing pending");
	t = s.pending;
	if (b->exists && t == b->s.active)
		return fail(g, "install: wrote the last good slot %s", comp(g)->slot[t].name);
	if (s.slot[t].version != v || s.slot[t].length != len ||
	    memcmp(s.slot[t].digest, digest, FWG_DIGEST_SIZE))
		return fail(g, "install: the record of %s is not the image's", comp(g)->slot[t].name);
	if (uc_device_ops.hash(NULL, comp(g), t, len, on_disk) || memcmp(on_disk, digest, 32))
		return fail(g, "install: %s does not hold the image", comp(g)->slot[t].name);
	if (fwg_counter("sessions_committed") != b->committed + 1)
		return fail(g, "install: the kernel did not commit exactly one session");
	snprintf(g->replay, sizeof(g->replay), "%s", path);
	return abm_check_not_below(&g->a, "installed", ABM_COMP, v, b->floor);
}

static bool ev_install(struct guest *g)
{
	uint8_t digest[FWG_DIGEST_SIZE];
	unsigned int how = abm_pick(&g->a, 6);
	size_t len = 65536 + abm_pick(&g->a, 65536);
	enum abm_version kind;
	struct before b;
	char path[300];
	uint64_t v;
	int rc;

	if (!snapshot(g, &b))
		return false;
	v = abm_install_version(&g->a, b.floor, &kind);
	if (how == 0 && g->replay[0]) {
		rc = run(g, "updatectl install --quiet %s", g->replay);
		return refused(g, &b, rc, UC_EXIT_VERIFY, "install of a replayed bundle") &&
		       unchanged(g, &b, b.s.active, "a replayed install");
	}
	if (make_bundle(g, v, len, how == 1, path, sizeof(path), digest))
		return fail(g, "cannot make a bundle: %s", g->out);
	rc = run(g, "updatectl install --quiet %s", path);
	if (b.exists && !unchanged(g, &b, b.s.active, "an install"))
		return false;
	if (how == 1)
		return refused(g, &b, rc, -1, "install of a tampered image");
	if (kind == ABM_V_BELOW)
		return refused(g, &b, rc, UC_EXIT_VERIFY, "install below the floor");
	if (rc == UC_EXIT_VERIFY)	/* a trial runs, or the active slot is unusable */
		return refused(g, &b, rc, rc, "a refused install");
	/* Both slots read-only until reboot: the last good one was the fallback. */
	if (rc == UC_EXIT_KERNEL && g->both_ro)
		return refused(g, &b, rc, rc, "an install after a trial's policy load");
	if (rc)
		return fail(g, "install v%" PRIu64 ": exit %d: %s", v, rc, g->out);
	return installed(g, &b, v, len, digest, path);
}

/* The state machine refuses an install now: a trial runs, or no good slot. */
static bool install_refused(const struct before *b)
{
	const struct slot_record *r = &b->s.slot[b->s.active];

	return b->exists && (b->s.trying == 1 - b->s.active || !r->valid || r->version < b->floor);
}

/* Is the command still running, and has the kernel not written yet (@bios)? */
static bool cut_wait(pid_t pid, unsigned int delay_ms, unsigned int elapsed_ms, long long bios)
{
	if (waitpid(pid, NULL, WNOHANG) == pid)
		return false;	/* finished or refused: the cut comes after it */
	if (delay_ms)
		return elapsed_ms < delay_ms;
	return fwg_counter("allowed_session_bios") <= bios;
}

/*
 * Cut the power in the middle of an install (once the kernel wrote part of
 * the image, or at a random time), or of a mark-good when the state machine
 * would refuse the install.
 */
static bool ev_power_cut(struct guest *g)
{
	uint8_t digest[FWG_DIGEST_SIZE];
	unsigned int delay_ms = abm_pick(&g->a, 3) ? 0 : 1 + abm_pick(&g->a, 1500);
	long long bios = fwg_counter("allowed_session_bios");
	enum abm_version kind;
	struct before b;
	char path[300], cmd[400];
	unsigned int i;
	pid_t pid;

	if (!snapshot(g, &b))
		return false;
	if (install_refused(&b)) {	/* cut a mark-good instead, at a random time */
		delay_ms = 1 + abm_pick(&g->a, 800);
		snprintf(cmd, sizeof(cmd), "updatectl mark-good");
	} else if (make_bundle(g, abm_install_version(&g->a, b.floor, &kind), 24 << 20, false,
			       path, sizeof(path), digest)) {
		return fail(g, "cannot make a bundle: %s", g->out);
	} else {
		snprintf(cmd, sizeof(cmd), "updatectl install --quiet %s", path);
	}
	snprintf(g->end, sizeof(g->end), "cut");
	g->todo--;
	g->a.steps++;
	if (model_save(g, getenv("ABM_OUT")))
		return fail(g, "cannot save the model");
	printf("# [%lu] power cut during %s (%s)\n", g->a.steps - 1, cmd,
	       delay_ms ? "after a delay" : "in the image write");
	pid = fork();
	if (pid == 0)
		_exit(fwg_sh("%s >%s/cut.out 2>&1", cmd, g->work));
	for (i = 0; pid > 0 && i < 6000 && cut_wait(pid, delay_ms, i * 10, bios); i++)
		usleep(10000);
	fwg_sh("touch %s", getenv("ABM_CUT"));
	sleep(300);
	return fail(g, "the power was not cut");
}

/* Root writes a slot: through the partition, and through the disk. */
static bool ev_raw_write(struct guest *g)
{
	int i = (int)abm_pick(&g->a, 2), fd, rc = 0;
	struct fwg_part p;
	struct before b;
	void *buf;

	if (!snapshot(g, &b) || fwg_find_part(comp(g)->slot[i].name, &p))
		return fail(g, "raw write: cannot find %s", comp(g)->slot[i].name);
	printf("# [%lu] raw writes to %s\n", g->a.steps, p.node);
	fd = open(p.node, O_WRONLY | O_CLOEXEC);
	if (fd >= 0 || errno != EPERM)
		return fail(g, "open(%s, O_WRONLY): %d errno %d, expected EPERM", p.node, fd, errno);
	fd = open(p.disk, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || posix_memalign(&buf, 4096, 4096))
		return fail(g, "cannot open %s", p.disk);
	memset(buf, 0x5a, 4096);
	rc = (int)pwrite(fd, buf, 4096, (off_t)(p.start * 512 + 4096));
	free(buf);
	close(fd);
	if (rc >= 0)
		return fail(g, "raw write through %s into %s succeeded", p.disk, p.node);
	if (fwg_counter("refused_opens") <= b.refused_opens ||
	    fwg_counter("refused_writes") + fwg_counter("refused_bios") <= b.refused_writes)
		return fail(g, "raw write: the kernel's refusal counters did not move");
	return unchanged(g, &b, 0, "a raw write") && unchanged(g, &b, 1, "a raw write");
}

static bool ev_mark_good(struct guest *g)
{
	struct before b;
	struct slot_state s;
	uint64_t floor;
	int rc, k;

	if (!snapshot(g, &b))
		return false;
	rc = run(g, "updatectl mark-good --json");
	if (!b.exists || strcmp(b.s.verified_boot, g->boot))
		return true;	/* nothing verified in this boot: refused or a no-op */
	k = slot_state_booted(&b.s);
	if (rc)
		return fail(g, "mark-good of the verified %s: exit %d: %s",
			    comp(g)->slot[k].name, rc, g->out);
	if (state(g, &s) || tpm_floor(g, &floor))
		return fail(g, "mark-good: state or floor unreadable");
	if (s.active != k || !s.slot[k].good || s.trying >= 0)
		return fail(g, "mark-good: %s not active and good", comp(g)->slot[k].name);
	if (floor < b.s.slot[k].version)
		return fail(g, "mark-good: floor %" PRIu64 " below the confirmed version %" PRIu64,
			    floor, b.s.slot[k].version);
	return true;
}

/* boot-verify is idempotent in a boot: the same result again. */
static bool ev_verify_again(struct guest *g)
{
	int rc = run(g, "updatectl boot-verify --json");

	if (rc != g->verify_rc)
		return fail(g, "boot-verify again: exit %d, first %d: %s", rc, g->verify_rc, g->out);
	return true;
}

/* Ask the host to change a byte of slot @i while the power is off. */
static bool ev_tamper(struct guest *g)
{
	int i = (int)abm_pick(&g->a, 2);
	uint64_t floor;

	if (tpm_floor(g, &floor))
		return fail(g, "TPM floor unreadable");
	if (!abm_slot_ok(g->cfg.state_dir, &uc_device_ops, comp(g), 1 - i, floor)) {
		printf("# [%lu] tamper skipped: %s is the only bootable slot\n", g->a.steps,
		       comp(g)->slot[1 - i].name);
		return true;
	}
	snprintf(g->end, sizeof(g->end), "tamper %d", i + 1);	/* its partition number */
	return true;
}

static bool step(struct guest *g)
{
	switch (abm_next_event(&g->a, guest_weights)) {
	case ABM_INSTALL:
		return ev_install(g);
	case ABM_REBOOT:
		snprintf(g->end, sizeof(g->end), "reboot");
		return true;
	case ABM_VERIFY_AGAIN:
		return ev_verify_again(g);
	case ABM_MARK_GOOD:
		return ev_mark_good(g);
	case ABM_TAMPER:
		return ev_tamper(g);
	case ABM_RAW_WRITE:
		return ev_raw_write(g);
	default:
		return ev_power_cut(g);
	}
}

/* A device's boot: boot-verify, then the policy and the keys for the kernel. */
static bool boot_start(struct guest *g)
{
	struct slot_state s;
	uint64_t floor;

	if (!g->boots && run(g, "updatectl tpm provision"))
		return fail(g, "tpm provision: %s", g->out);
	g->verify_rc = run(g, "updatectl boot-verify --json");
	if (g->verify_rc != UC_EXIT_OK && g->verify_rc != UC_EXIT_FALLBACK)
		return fail(g, "boot-verify: exit %d: %s", g->verify_rc, g->out);
	if (slot_state_exists(g->cfg.state_dir, ABM_COMP) && state(g, &s))
		return fail(g, "cannot read the slot state before policy load");
	g->both_ro = slot_state_exists(g->cfg.state_dir, ABM_COMP) && (s.trying >= 0 || s.pending >= 0);
	if (run(g, "updatectl policy load") ||
	    run(g, "updatectl keys add %s/signer.der", FWG_PKI) || run(g, "updatectl keys seal"))
		return fail(g, "policy or keys: %s", g->out);
	if (tpm_floor(g, &floor) || fwg_status_value("floor") != (long long)floor)
		return fail(g, "kernel: floor %lld after policy load, the TPM's %" PRIu64,
			    fwg_status_value("floor"), floor);
	return true;
}

static int guest_open(struct guest *g)
{
	const char *in = getenv("ABM_IN");

	g->work = getenv("ABM_WORK");
	if (!in || !g->work || !getenv("ABM_OUT") || !getenv("ABM_CUT") || model_load(g, in))
		return -EINVAL;
	if (boot_id(g->boot, sizeof(g->boot)) ||
	    uc_config_read(&g->cfg, "/etc/fwguard/updatectl.conf"))
		return -EIO;
	return policy_conf_load(g->cfg.policy, &g->pc);
}

FIXTURE(device) {
	struct guest g;
};

FIXTURE_SETUP(device)
{
	memset(&self->g, 0, sizeof(self->g));
	setvbuf(stdout, NULL, _IOLBF, 0);	/* the trace survives a power cut */
	ASSERT_EQ(0, guest_open(&self->g));
}

FIXTURE_TEARDOWN(device)
{
}

TEST_F_TIMEOUT(device, model_steps_of_one_boot, 900)
{
	struct guest *g = &self->g;
	bool ok = boot_start(g) && check(g);

	while (ok && g->todo && !g->end[0]) {
		ok = step(g) && check(g);
		g->a.steps++;
		g->todo--;
	}
	if (ok && !g->end[0])
		snprintf(g->end, sizeof(g->end), "done");
	if (!ok) {
		TH_LOG("step %lu of boot %lu: %s", g->a.steps, g->boots + 1, g->a.why);
		snprintf(g->end, sizeof(g->end), "failed");
	}
	printf("# model: seed state %u, %lu steps so far, %lu left, boot ends: %s\n", g->a.seed,
	       g->a.steps, g->todo, g->end);
	ASSERT_EQ(0, model_save(g, getenv("ABM_OUT")));
	ASSERT_TRUE(ok);
}

TEST_HARNESS_MAIN
