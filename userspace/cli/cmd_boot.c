// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl boot-verify and mark-good: the boot half of the A/B scheme.
 *
 * boot-verify runs early at every boot, once per component in the policy:
 * a slot installed at the last boot is tried exactly once (the state moves
 * it from pending to trying before it is measured, so a crash during the
 * trial cannot loop); the booted slot is hashed, the digest extended into
 * the PCR, and the sealed record unsealed, which only succeeds when the PCR
 * holds the predicted value, i.e. the slot holds the sealed image. On a
 * mismatch the device falls back to the last good slot. Unsealing a second
 * record would need a fresh PCR, so the fallback slot is checked here
 * against its recorded digest and verified through the TPM at the next
 * boot.
 *
 * mark-good confirms a verified trial: the slot becomes the last good one
 * and the TPM's version floor is raised to its version, so older tickets
 * can no longer be installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tpm/tpm.h"
#include "userspace/lib/bundle_io.h"
#include "userspace/lib/config.h"
#include "userspace/lib/policy_conf.h"
#include "userspace/lib/runtime.h"
#include "userspace/lib/slots.h"
#include "userspace/cli/updatectl.h"


static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct boot_ctx {
	struct uc_config cfg;
	struct policy_conf pc;
	struct fwg_tpm *tpm;
	char boot_id[40];
	bool quiet;
};

/* SHA-256 of the first @len bytes of a partition. */
static int hash_partition(const char *devnode, uint64_t len, uint8_t digest[32])
{
	int fd, err;

	fd = open(devnode, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "updatectl: cannot open %s: %s\n", devnode, strerror(errno));
		return err;
	}
	err = bundle_stream(fd, 0, len, -1, 0, digest);
	if (err)
		fprintf(stderr, "updatectl: cannot read %s: %s\n", devnode, strerror(-err));
	close(fd);
	return err;
}

static int boot_open(struct boot_ctx *b, const char *config)
{
	int err;

	err = uc_config_read(&b->cfg, config);
	if (!err)
		err = policy_conf_load(b->cfg.policy, &b->pc);
	if (err)
		return -EINVAL;
	err = boot_id(b->boot_id, sizeof(b->boot_id));
	if (err)
		return err;
	err = uc_tpm_open(&b->cfg, &b->tpm);
	return err ? -ENODEV : 0;
}

static int measure_slot(struct boot_ctx *b, const struct pc_component *c, int idx,
			const struct slot_record *rec, uint8_t digest[32])
{
	struct pc_partition part;
	int err;

	err = pc_resolve("/sys/class/block", c->slot[idx].spec, &part);
	if (!err)
		err = hash_partition(part.devnode, rec->length, digest);
	return err;
}

/* Fall back from the failed slot; returns the exit code to report. */
static int fall_back(struct boot_ctx *b, const struct pc_component *c, struct slot_state *s,
		     int failed)
{
	int other = 1 - failed;
	struct slot_record *rec = &s->slot[other];
	uint8_t digest[32];

	s->verified_boot[0] = '\0';
	/* The slot no longer holds what was recorded: never boot it again. */
	s->slot[failed].valid = false;
	s->slot[failed].good = false;
	if (s->trying == failed) {
		s->trying = -1;
	} else if (rec->valid && rec->good && !measure_slot(b, c, other, rec, digest) &&
		   !memcmp(digest, rec->digest, sizeof(digest))) {
		s->active = other;
	} else {
		slot_state_save(b->cfg.state_dir, s);
		fprintf(stderr, "updatectl: %s: slot %s failed verification and slot %s holds no "
			"good image: no slot to fall back to\n", c->name, c->slot[failed].name,
			c->slot[other].name);
		return UC_EXIT_VERIFY;
	}
	if (slot_state_save(b->cfg.state_dir, s))
		return UC_EXIT_IO;
	fprintf(stderr, "updatectl: %s: slot %s does not match its sealed measurement "
		"(tampered or incomplete); falling back to slot %s (version %" PRIu64
		"); reboot to boot it\n", c->name, c->slot[failed].name,
		c->slot[s->active].name, s->slot[s->active].version);
	return UC_EXIT_FALLBACK;
}

static int verify_booted(struct boot_ctx *b, const struct pc_component *c, struct slot_state *s)
{
	int idx = slot_state_booted(s);
	struct slot_record *rec = &s->slot[idx];
	struct fwg_tpm_subject subject = { .version = rec->version }, sealed;
	double t0, t1;
	int err;

	if (!rec->valid) {
		fprintf(stderr, "updatectl: %s: slot %s holds no installed image to verify\n",
			c->name, c->slot[idx].name);
		return fall_back(b, c, s, idx);
	}
	snprintf(subject.component, sizeof(subject.component), "%s", c->name);
	snprintf(subject.slot, sizeof(subject.slot), "%s", c->slot[idx].name);
	t0 = now_s();
	err = measure_slot(b, c, idx, rec, subject.digest);
	if (err)
		return UC_EXIT_IO;
	t1 = now_s();
	err = fwg_tpm_measure(b->tpm, &subject);
	if (err)
		return UC_EXIT_TPM;
	err = fwg_tpm_unseal_verify(b->tpm, c->name, c->slot[idx].name, subject.digest,
				    &sealed);
	if (!err && strcmp(sealed.slot, c->slot[idx].name))
		err = FWG_TPM_E_PCR_MISMATCH;	/* sealed for the other slot */
	if (getenv("FWGUARD_TIMING"))	/* for the benchmark: where the time goes */
		fprintf(stderr, "timing: %s hash %.3f s, tpm %.3f s (%" PRIu64 " bytes)\n",
			c->slot[idx].name, t1 - t0, now_s() - t1, rec->length);
	if (err == FWG_TPM_E_UNAVAILABLE)
		return UC_EXIT_TPM;
	if (err)
		return fall_back(b, c, s, idx);
	snprintf(s->verified_boot, sizeof(s->verified_boot), "%s", b->boot_id);
	if (slot_state_save(b->cfg.state_dir, s))
		return UC_EXIT_IO;
	if (!b->quiet)
		printf("%s: slot %s verified (version %" PRIu64 ")%s\n", c->name, c->slot[idx].name,
		       rec->version, s->trying == idx ?
		       "; on trial: confirm with 'updatectl mark-good'" : "");
	return UC_EXIT_OK;
}

static int boot_verify_component(struct boot_ctx *b, const struct pc_component *c)
{
	struct slot_state s;
	int rc = UC_EXIT_OK, ret;

	if (slot_state_load(b->cfg.state_dir, c->name, &s))
		return UC_EXIT_VERIFY;
	if (s.trying >= 0) {
		fprintf(stderr, "updatectl: %s: trial of slot %s was never confirmed; "
			"back to slot %s\n", c->name, c->slot[s.trying].name, c->slot[s.active].name);
		s.trying = -1;
		rc = UC_EXIT_FALLBACK;
	}
	if (s.pending >= 0) {
		/* Boot once: a crash during the trial must not retry it. */
		s.trying = s.pending;
		s.pending = -1;
	}
	s.verified_boot[0] = '\0';
	if (slot_state_save(b->cfg.state_dir, &s))
		return UC_EXIT_IO;
	ret = verify_booted(b, c, &s);
	return ret != UC_EXIT_OK ? ret : rc;
}

static int mark_good_component(struct boot_ctx *b, const struct pc_component *c)
{
	struct slot_state s;
	uint64_t floor;
	int idx, err;

	if (slot_state_load(b->cfg.state_dir, c->name, &s))
		return UC_EXIT_VERIFY;
	if (s.trying < 0)
		return UC_EXIT_OK;	/* nothing on trial */
	idx = s.trying;
	if (strcmp(s.verified_boot, b->boot_id)) {
		fprintf(stderr, "updatectl: %s: slot %s has not been verified in this boot; "
			"run 'updatectl boot-verify' first\n", c->name, c->slot[idx].name);
		return UC_EXIT_VERIFY;
	}
	/* Floor first: a crash before the state is saved leaves a trial that is
	 * reverted at the next boot, and the old slot still boots. */
	err = fwg_tpm_floor_raise(b->tpm, s.slot[idx].version, &floor);
	if (err && err != FWG_TPM_E_STALE)
		return UC_EXIT_TPM;
	s.active = idx;
	s.trying = -1;
	s.slot[idx].good = true;
	if (slot_state_save(b->cfg.state_dir, &s))
		return UC_EXIT_IO;
	if (!b->quiet)
		printf("%s: slot %s (version %" PRIu64 ") is now the good slot\n", c->name,
		       c->slot[idx].name, s.slot[idx].version);
	return UC_EXIT_OK;
}

static int boot_command(int argc, char **argv, int (*fn)(struct boot_ctx *, const struct pc_component *))
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 }
	};
	const char *config = UC_CONFIG_DEFAULT;
	struct boot_ctx b = { 0 };
	int opt, lock, err, rc = UC_EXIT_OK, ret;
	unsigned int i;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:q", opts, NULL)) != -1) {
		if (opt == 'c')
			config = optarg;
		else if (opt == 'q')
			b.quiet = true;
		else
			return UC_EXIT_USAGE;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: updatectl %s [--config FILE] [--quiet]\n", argv[0]);
		return UC_EXIT_USAGE;
	}
	lock = uc_lock();
	if (lock < 0)
		return uc_lock_exit_code(lock);
	err = boot_open(&b, config);
	if (err)
		rc = err == -ENODEV ? UC_EXIT_TPM : UC_EXIT_USAGE;
	for (i = 0; !err && i < b.pc.count; i++) {
		ret = fn(&b, &b.pc.component[i]);
		if (ret != UC_EXIT_OK && (rc == UC_EXIT_OK || rc == UC_EXIT_FALLBACK))
			rc = ret;
	}
	fwg_tpm_close(b.tpm);
	close(lock);
	return rc;
}

int cmd_boot_verify(int argc, char **argv)
{
	return boot_command(argc, argv, boot_verify_component);
}

int cmd_mark_good(int argc, char **argv)
{
	return boot_command(argc, argv, mark_good_component);
}
