// SPDX-License-Identifier: GPL-2.0-only
/*
 * TPM faults during an install and a boot-verify (issue 14, "Faults"): the
 * library's install and boot-verify (tests/tpm/abdev.h: image files for
 * the slots, swtpm for the TPM) run in a child process whose TCTI goes
 * through a fault-injecting proxy (tests/tpm/tpmfault.h). A fault-free run
 * counts the TPM commands of the operation; then, from the same saved
 * device each time, swtpm is stopped before each command in turn, each
 * command in turn is left unanswered (the child's TPM timeout is then
 * CHILD_TPM_TIMEOUT_S), and each command in turn is answered with
 * TPM_RC_OBJECT_MEMORY, TPM_RC_NV_RATE or TPM_RC_LOCKOUT, once or from
 * then on. Each fault is checked for: its exit code (uc_exit_code(), as
 * updatectl maps it) and one-line message (an unanswered command: only
 * that line, naming the TCTI, within the timeout and a margin); that the
 * slot state, sealed records, ticket log and the TPM's floor changed only
 * as userspace/lib/STATE.md allows; and that the next normal operation
 * succeeds (a retry in the same boot for an error response or an
 * unanswered command, a reboot for a stopped TPM, then boot-verify,
 * install, mark-good).
 *
 * Usage: test_faults_tpm [all]   (no argument: a fixed slice for make check;
 * FAULTS=all in the environment: the full set, as make faults runs it)
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/tpm/abdev.h"
#include "tests/tpm/tpmfault.h"
#include "userspace/cli/command.h"
#include "userspace/common/log.h"

enum op { OP_INSTALL, OP_VERIFY };

/* The child's TPM timeout, and how long past it a run may take at most. */
#define CHILD_TPM_TIMEOUT_S	2
#define HANG_MARGIN_S		3
/* A child that has not reported by then is killed: the test never hangs. */
#define RUN_LIMIT_S		60

struct fault {
	const char *name;
	enum tf_kind kind;
	uint32_t rc;
	unsigned int count;	/* 1: once; 0: from then on */
};

static const struct fault faults[] = {
	{ "swtpm stopped", TF_STOP, 0, 1 },
	{ "no answer", TF_HANG, 0, 1 },
	{ "OBJECT_MEMORY once", TF_RC, TF_RC_OBJECT_MEMORY, 1 },
	{ "NV_RATE once", TF_RC, TF_RC_NV_RATE, 1 },
	{ "LOCKOUT once", TF_RC, TF_RC_LOCKOUT, 1 },
	{ "OBJECT_MEMORY from then on", TF_RC, TF_RC_OBJECT_MEMORY, 0 },
	{ "NV_RATE from then on", TF_RC, TF_RC_NV_RATE, 0 },
	{ "LOCKOUT from then on", TF_RC, TF_RC_LOCKOUT, 0 },
};
#define NFAULTS (sizeof(faults) / sizeof(faults[0]))

/* What one operation in the child did. */
struct run {
	int err, code;
	bool verified;
	char slot[PC_NAME_MAX + 1];
	char msg[512];
	unsigned int lines;	/* logged by the child */
	double seconds;		/* the child's run, fork to report */
};

struct bench {
	struct abdev d, base_d;
	struct tpmfault f;
	char base[320], errlog[320];
	uint8_t ticket[16];
	enum op op;
	uint64_t floor;
	struct slot_state s0;
	unsigned int tests, failed;
	unsigned long injected[NFAULTS], outcome_ok[NFAULTS], outcome_err[NFAULTS];
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) ? -EIO : 0;
}

/* Save the device (swtpm stopped) as the base every fault starts from. */
static int save_base(struct bench *b)
{
	fwg_tpm_close(b->d.tpm);
	b->d.tpm = NULL;
	swtpm_kill(&b->d.t);
	snprintf(b->base, sizeof(b->base), "%s.base", b->d.t.dir);
	snprintf(b->errlog, sizeof(b->errlog), "%s.err", b->d.t.dir);
	b->base_d = b->d;
	return sh("rm -rf '%s' && cp -a '%s' '%s'", b->base, b->d.t.dir, b->base);
}

static int restore_base(struct bench *b)
{
	int err;

	swtpm_kill(&b->d.t);
	fwg_tpm_close(b->d.tpm);
	err = sh("rm -rf '%s' && cp -a '%s' '%s'", b->d.t.dir, b->base, b->d.t.dir);
	b->d = b->base_d;
	b->d.tpm = NULL;
	return err ? err : swtpm_start(&b->d.t);
}

static void child_op(struct abdev *d, const char *tcti, enum op op, const uint8_t *ticket,
		     int fd)
{
	struct uc_boot_component out[PC_MAX_COMPONENTS];
	struct run r;
	int t;

	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(out));
	snprintf(d->t.tcti, sizeof(d->t.tcti), "%s", tcti);
	d->t.pid = 0;
	uc_step_enter(&d->step, UC_SRC_TPM, "tpm-open");
	r.err = abdev_tpm_open(d);
	if (!r.err && op == OP_INSTALL)
		r.err = abdev_install_ticket(d, 0, 2, ticket, false, false, &t);
	else if (!r.err)
		r.err = abdev_verify(d, out);
	r.code = uc_exit_code(d->step.source, r.err);
	r.verified = out[0].verified;
	snprintf(r.slot, sizeof(r.slot), "%s", out[0].slot);
	fwg_tpm_close(d->tpm);
	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	_exit(0);
}

/* The first line the child logged, without "program: " and the newline; the count. */
static unsigned int first_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	char line[480], *p;
	unsigned int lines = 0;

	buf[0] = '\0';
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		p = strstr(line, ": ");
		if (!lines++)
			snprintf(buf, n, "%s", p ? p + 2 : line);
	}
	fclose(f);
	return lines;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Run the operation in a child through the proxy. 0, or -EIO: no result. */
static int run_op(struct bench *b, struct run *r)
{
	struct pollfd pf;
	double start = now_s();
	int p[2], status = -1;
	pid_t pid;

	if (pipe(p))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int log = open(b->errlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		close(p[0]);
		dup2(log, 2);
		child_op(&b->d, b->f.tcti, b->op, b->ticket, p[1]);
	}
	close(p[1]);
	memset(r, 0, sizeof(*r));
	pf = (struct pollfd){ .fd = p[0], .events = POLLIN };
	if (poll(&pf, 1, RUN_LIMIT_S * 1000) == 1)
		status = tf_read_full(p[0], (uint8_t *)r, sizeof(*r));
	else if (pid > 0)
		kill(pid, SIGKILL);	/* hung: no result */
	r->seconds = now_s() - start;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	r->lines = first_line(b->errlog, r->msg, sizeof(r->msg));
	return pid < 0 || status ? -EIO : 0;
}

static bool record_same(const struct slot_record *a, const struct slot_record *b)
{
	return a->valid == b->valid && a->good == b->good && a->version == b->version &&
	       a->length == b->length && !memcmp(a->digest, b->digest, sizeof(a->digest)) &&
	       a->has_ticket == b->has_ticket && !memcmp(a->ticket, b->ticket, sizeof(a->ticket));
}

/* The file or directory @rel of the state directory is as in the base. */
static bool unchanged(struct bench *b, const char *rel)
{
	return !sh("a='%s/state/%s' b='%s/%s'; [ ! -e \"$a\" ] && [ ! -e \"$b\" ] || "
		   "diff -rqN \"$a\" \"$b\" >/dev/null 2>&1", b->base, rel, b->d.t.statedir, rel);
}

/*
 * The ticket log as in the base, or with this install's journal entry
 * appended (written after the kernel's commit, before the state's: the
 * repeated install rolls it forward, STATE.md "install").
 */
static bool log_unchanged_or_begun(struct bench *b)
{
	char hex[33];

	if (unchanged(b, "tickets"))
		return true;
	fwg_hex_encode(b->ticket, 16, hex);
	return !sh("a='%s/state/tickets' b='%s/tickets'; n=$(stat -c %%s \"$a\") && "
		   "head -c \"$n\" \"$b\" | cmp -s - \"$a\" && "
		   "[ \"$(tail -c +$((n + 1)) \"$b\" | wc -l)\" = 1 ] && "
		   "tail -c +$((n + 1)) \"$b\" | grep -qx 'install comp0 comp0_[ab] 2 [0-9]* [0-9a-f]* %s'",
		   b->base, b->d.t.statedir, hex);
}

/* Install: unchanged, the target invalidated (installing), or committed. */
static bool check_install(struct bench *b, const struct run *r, const struct slot_state *s,
			  char *why, size_t n)
{
	const struct slot_state *s0 = &b->s0;
	int a = s0->active, t = 1 - a;
	bool committed = s->slot[t].valid && s->slot[t].version == 2 && s->pending == t &&
			 s->slot[t].has_ticket && !memcmp(s->slot[t].ticket, b->ticket, 16);

	if (s->active != a || !record_same(&s->slot[a], &s0->slot[a]))
		snprintf(why, n, "the last good slot's state changed");
	else if (!unchanged(b, "sealed/comp0@comp0_a.seal"))
		snprintf(why, n, "the last good slot's sealed record changed");
	else if (strcmp(s->boot, s0->boot) || strcmp(s->verified_boot, s0->verified_boot) ||
		 s->trying != s0->trying || s->booted != s0->booted)
		snprintf(why, n, "the boot's record changed");
	else if (!r->err && !committed)
		snprintf(why, n, "install succeeded without its commit");
	else if (!committed && !log_unchanged_or_begun(b))
		snprintf(why, n, "ticket log changed without a commit (or its install entry)");
	else if (!committed && s->slot[t].valid && !record_same(&s->slot[t], &s0->slot[t]))
		snprintf(why, n, "the target slot is valid with another record");
	else
		return true;
	return false;
}

/* boot-verify: only the boot's record may change; slots and records never. */
static bool check_verify(struct bench *b, const struct run *r, const struct slot_state *s,
			 char *why, size_t n)
{
	const struct slot_state *s0 = &b->s0;
	bool verified_now = !strcmp(s->verified_boot, b->d.m.boot_id);

	if (s->active != s0->active || !record_same(&s->slot[0], &s0->slot[0]) ||
	    !record_same(&s->slot[1], &s0->slot[1]))
		snprintf(why, n, "a slot's state changed (active %d, valid %d/%d)", s->active,
			 s->slot[0].valid, s->slot[1].valid);
	else if (strcmp(s->failed_boot, s0->failed_boot))
		snprintf(why, n, "the boot was recorded as failed");
	else if (!unchanged(b, "sealed") || !unchanged(b, "tickets"))
		snprintf(why, n, "sealed records or the ticket log changed");
	else if (verified_now != !r->err)
		snprintf(why, n, "verified_boot %s with exit %d", s->verified_boot, r->code);
	else
		return true;
	return false;
}

static bool check_state(struct bench *b, const struct run *r, char *why, size_t n)
{
	struct slot_state s;
	uint64_t floor;

	if (abdev_tpm_open(&b->d) || abdev_floor(&b->d, &floor)) {
		snprintf(why, n, "the TPM's floor is unreadable after the fault");
		return false;
	}
	if (floor != b->floor) {
		snprintf(why, n, "floor %" PRIu64 ", was %" PRIu64, floor, b->floor);
		return false;
	}
	if (abdev_state(&b->d, 0, &s)) {
		snprintf(why, n, "the slot state does not load");
		return false;
	}
	return b->op == OP_INSTALL ? check_install(b, r, &s, why, n) :
				     check_verify(b, r, &s, why, n);
}

static bool b_same(const struct run *r, const struct run *ref, char *why, size_t n)
{
	if (r->verified == ref->verified && !strcmp(r->slot, ref->slot))
		return true;
	snprintf(why, n, "succeeded with %s%s, fault-free: %s%s", r->slot,
		 r->verified ? " verified" : "", ref->slot, ref->verified ? " verified" : "");
	return false;
}

/*
 * An unanswered command: the run ends within the timeout and a margin, and
 * its one line says which TPM did not respond in what time.
 */
static bool check_hang(const struct bench *b, const struct run *r, char *why, size_t n)
{
	char want[160], limit[32];

	snprintf(want, sizeof(want), "TPM via TCTI '%s' not responding: no answer to ",
		 b->f.tcti);
	snprintf(limit, sizeof(limit), " within %d s ", CHILD_TPM_TIMEOUT_S);
	if (r->seconds > CHILD_TPM_TIMEOUT_S + HANG_MARGIN_S)
		snprintf(why, n, "took %.1f s, limit %d s + %d s", r->seconds,
			 CHILD_TPM_TIMEOUT_S, HANG_MARGIN_S);
	else if (r->lines != 1 || !strstr(r->msg, want) || !strstr(r->msg, limit))
		snprintf(why, n, "%u lines, want 1 naming the TCTI and the limit", r->lines);
	else
		return true;
	return false;
}

/* The exit code and message of a failure; a success gives the fault-free result. */
static bool check_report(const struct bench *b, const struct fault *f, const struct run *r,
			 const struct run *ref, char *why, size_t n)
{
	if (!r->err)
		return b_same(r, ref, why, n);
	if (r->code != UC_EXIT_TPM)
		snprintf(why, n, "exit %d (%s), want %d (tpm)", r->code, uc_exit_name(r->code),
			 UC_EXIT_TPM);
	else if (!r->msg[0] || strchr(r->msg, '\n'))
		snprintf(why, n, "no one-line message");
	else if (f->kind == TF_HANG)
		return check_hang(b, r, why, n);
	else
		return true;
	return false;
}

/* Boot-verify after a reboot, then mark-good of a trial: a slot verified (P1). */
static int boot_and_confirm(struct abdev *d, bool reboot, const char **what)
{
	struct uc_boot_component out[PC_MAX_COMPONENTS];
	int err = reboot ? abdev_reboot(d) : 0;

	*what = "boot-verify";
	if (!err)
		err = abdev_verify(d, out);
	if (!err && !out[0].verified)
		err = -EKEYREJECTED;
	*what = "mark-good";
	if (!err && out[0].trial)
		err = abdev_mark_good(d, out);
	return err;
}

/*
 * The next normal operations: after a stopped TPM a reboot (the device
 * lost its TPM), after an error response the same boot; then the
 * interrupted operation again (or the next one), a boot, and mark-good.
 */
static int recover(struct bench *b, const struct fault *f, const char **what)
{
	struct slot_state s;
	int err, t;

	if (f->kind == TF_STOP) {
		err = boot_and_confirm(&b->d, true, what);
		if (err)
			return err;
	}
	if (abdev_state(&b->d, 0, &s))
		return -EBADMSG;
	if (b->op == OP_VERIFY && f->kind != TF_STOP)
		err = boot_and_confirm(&b->d, false, what);
	else
		err = 0;
	*what = "install";
	if (err)
		return err;
	if (b->op == OP_VERIFY || s.pending >= 0 || s.active != b->s0.active) {
		err = abdev_install(&b->d, 0, 3, &t);	/* committed, or confirmed */
	} else {
		err = abdev_install_ticket(&b->d, 0, 2, b->ticket, false, false, &t);
	}
	return err ? err : boot_and_confirm(&b->d, true, what);
}

/*
 * What the kernel's resource manager does when a process closes
 * /dev/tpmrm0: flush what it left loaded. swtpm's socket has no resource
 * manager, and a FlushContext the fault answered never reached the TPM.
 */
static void flush_leftovers(struct bench *b)
{
	sh("tpm2_flushcontext -T '%s' -t >/dev/null 2>&1; "
	   "tpm2_flushcontext -T '%s' -l >/dev/null 2>&1", b->d.t.tcti, b->d.t.tcti);
}

static const char *cc_name(uint32_t cc)
{
	static const struct { uint32_t cc; const char *name; } names[] = {
		{ 0x121, "HierarchyControl" }, { 0x12a, "NV_DefineSpace" },
		{ 0x131, "CreatePrimary" }, { 0x134, "NV_Increment" }, { 0x137, "NV_Write" },
		{ 0x14e, "NV_Read" }, { 0x153, "Create" }, { 0x157, "Load" },
		{ 0x15e, "Unseal" }, { 0x161, "ContextLoad" }, { 0x162, "ContextSave" },
		{ 0x165, "FlushContext" }, { 0x169, "NV_ReadPublic" }, { 0x16b, "PolicyAuthorize" },
		{ 0x173, "ReadPublic" }, { 0x176, "StartAuthSession" }, { 0x17a, "GetCapability" },
		{ 0x17e, "PCR_Read" }, { 0x17f, "PolicyPCR" }, { 0x182, "PCR_Extend" },
		{ 0x189, "PolicyGetDigest" }, { 0x18c, "PolicyNV" }, { 0x144, "Startup" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].cc == cc)
			return names[i].name;
	return "?";
}

static const char *op_name(enum op op)
{
	return op == OP_INSTALL ? "install" : "boot-verify";
}

static void run_fault(struct bench *b, unsigned int fi, unsigned int k, const struct run *ref)
{
	const struct fault *f = &faults[fi];
	char why[300] = "", why2[300] = "";
	const char *what = "";
	struct run r;
	bool ok;
	int err;

	err = restore_base(b);
	if (!err) {
		tf_arm(&b->f, f->kind, k, f->count, f->rc);
		b->d.tpm_timeout_s = f->kind == TF_HANG ? CHILD_TPM_TIMEOUT_S : 0;
		err = run_op(b, &r);
		b->d.tpm_timeout_s = 0;
	}
	if (!err && !b->d.t.pid)
		err = swtpm_start(&b->d.t);
	if (!err)
		flush_leftovers(b);
	ok = !err && check_report(b, f, &r, ref, why, sizeof(why));
	if (!err && !check_state(b, &r, why2, sizeof(why2)))
		ok = false;
	if (ok) {
		err = recover(b, f, &what);
		if (err)
			snprintf(why, sizeof(why), "next %s failed: %s", what, strerror(-err));
		ok = !err;
	} else if (err) {
		snprintf(why, sizeof(why), "no result: %s", strerror(-err));
	}
	b->injected[fi]++;
	if (r.err)
		b->outcome_err[fi]++;
	else
		b->outcome_ok[fi]++;
	b->tests++;
	b->failed += !ok;
	printf("%sok %u %s: %s at command %u (%s): exit %d (%s)%s%s%s\n", ok ? "" : "not ",
	       b->tests, op_name(b->op), f->name, k, cc_name(b->f.cc[k]), r.code, uc_exit_name(r.code),
	       r.msg[0] ? ", \"" : "", r.msg, r.msg[0] ? "\"" : "");
	if (why[0])
		printf("# %s\n", why);
	if (why2[0])
		printf("# %s\n", why2);
	fflush(stdout);
}

/* A device adopted at version 1 and verified; for boot-verify, v2 installed and rebooted. */
static int prepare(struct bench *b, enum op op)
{
	struct uc_boot_component out[PC_MAX_COMPONENTS];
	int err, t;

	b->op = op;
	err = abdev_setup(&b->d, 1);
	if (!err)
		err = ab_adopt(&b->d.m, &b->d.pc.component[0], 0, 1, 0);
	if (!err)
		err = abdev_reboot(&b->d);
	if (!err)
		err = abdev_verify(&b->d, out);
	abdev_ticket(&b->d, b->ticket);
	if (!err && op == OP_VERIFY)
		err = abdev_install_ticket(&b->d, 0, 2, b->ticket, false, false, &t);
	if (!err && op == OP_VERIFY)
		err = abdev_reboot(&b->d);
	if (!err)
		err = abdev_floor(&b->d, &b->floor);
	if (!err)
		err = abdev_state(&b->d, 0, &b->s0);
	return err ? err : save_base(b);
}

/* The fault-free run: how many TPM commands, and what it reports. */
static int reference(struct bench *b, struct run *ref, unsigned int *n)
{
	int err = restore_base(b);

	if (!err) {
		tf_arm(&b->f, TF_NONE, 0, 0, 0);
		err = run_op(b, ref);
	}
	*n = b->f.commands;
	if (!err && ref->err)
		fprintf(stderr, "# fault-free %s failed: %s\n", op_name(b->op), ref->msg);
	return err ? err : ref->err ? -EPROTO : 0;
}

static void run_op_faults(struct bench *b, enum op op, bool all)
{
	unsigned int fi, k, n = 0, first_load;
	struct run ref;
	int err;

	memset(&b->d, 0, sizeof(b->d));
	err = prepare(b, op);
	if (!err)
		err = tf_start(&b->f, &b->d.t);
	if (!err)
		err = reference(b, &ref, &n);
	if (err || !n) {
		printf("not ok %u %s: set-up failed: %s\n", ++b->tests, op_name(op), strerror(-err));
		b->failed++;
		return;
	}
	printf("# %s: %u TPM commands fault-free (%s%s)\n", op_name(op), n, ref.slot,
	       ref.verified ? " verified" : "");
	for (first_load = 0; first_load < n && b->f.cc[first_load] != 0x157; first_load++)
		;
	for (fi = 0; fi < NFAULTS; fi++) {
		if (all) {
			for (k = 0; k < n; k++)
				run_fault(b, fi, k, &ref);
			continue;
		}
		/* The slice: one command spread over the run, and the first
		 * Load (a TPM out of object memory refuses it most often). */
		run_fault(b, fi, (fi * 7 + 3) % n, &ref);
		if (first_load < n && first_load != (fi * 7 + 3) % n)
			run_fault(b, fi, first_load, &ref);
	}
	tf_stop(&b->f);
	abdev_teardown(&b->d);
	sh("rm -rf '%s' '%s'", b->base, b->errlog);
}

int main(int argc, char **argv)
{
	static struct bench b;
	const char *env = getenv("FAULTS");
	bool all = (argc > 1 && !strcmp(argv[1], "all")) || (env && !strcmp(env, "all"));
	time_t start = time(NULL);
	unsigned int fi;

	setvbuf(stdout, NULL, _IOLBF, 0);
	run_op_faults(&b, OP_INSTALL, all);
	run_op_faults(&b, OP_VERIFY, all);
	for (fi = 0; fi < NFAULTS; fi++)
		printf("# %-28s injected %lu: %lu failed cleanly, %lu succeeded\n", faults[fi].name,
		       b.injected[fi], b.outcome_err[fi], b.outcome_ok[fi]);
	printf("# TPM faults: %u run, %u failed, %ld s\n", b.tests, b.failed,
	       (long)(time(NULL) - start));
	printf("1..%u\n", b.tests);
	return b.failed ? 1 : 0;
}
