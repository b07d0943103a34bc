/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A simulated device for the A/B state machine tests: a fresh swtpm
 * (tests/tpm/swtpm.h), a state directory, image files standing in for the
 * slot partitions, and the library's state machine (abstate.c) driven
 * directly. The kernel's part of an install (write through the gate,
 * measure) is replaced by a plain write of the image file and its SHA-256;
 * a reboot restarts swtpm on its state (PCRs reset, NV kept) and takes a
 * new boot id. Header-only, shared by test_abstate.c and test_abmodel.c.
 */
#ifndef FWGUARD_TESTS_ABDEV_H
#define FWGUARD_TESTS_ABDEV_H

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/sha.h>

#include "tests/tpm/abmodel.h"
#include "tests/tpm/swtpm.h"
#include "tpm/tpm.h"
#include "userspace/lib/abstate.h"

#define AB_PCR		8
#define AB_SLOT_SIZE	65536u

/* What the kernel committed in this boot (FWGUARD_IOC_COMMITTED). */
struct abdev_commit {
	uint8_t ticket[16];
	int ci, slot;
	uint64_t len;
	uint8_t digest[FWG_DIGEST_SIZE];
};

#define ABDEV_COMMITS	64

struct abdev {
	struct swtpm t;
	struct policy_conf pc;
	struct fwg_tpm *tpm;
	struct ab_ctx m;
	struct ab_ops ops;
	struct uc_step step;
	char img[PC_MAX_COMPONENTS][2][400];
	unsigned int boot;
	unsigned int tickets;
	unsigned int writes;	/* image writes of abdev_install_ticket() */
	/* The kernel's memory of this boot: the tickets it consumed at COMMIT
	 * (refused again until reboot) and what each one wrote. */
	struct abdev_commit kernel[ABDEV_COMMITS];
	unsigned int commits;
	unsigned int tpm_timeout_s;	/* 0: the library's default */
};

static inline struct abdev_commit *abdev_kernel_find(struct abdev *d, const uint8_t ticket[16])
{
	unsigned int i;

	for (i = 0; i < d->commits; i++)
		if (!memcmp(d->kernel[i].ticket, ticket, 16))
			return &d->kernel[i];
	return NULL;
}

/* ab_ops.committed: the kernel's answer to FWGUARD_IOC_COMMITTED. */
static inline int abdev_committed(void *arg, const struct pc_component *c,
				  const uint8_t ticket[16], int *idx, uint64_t *len,
				  uint8_t digest[FWG_DIGEST_SIZE])
{
	struct abdev *d = arg;
	struct abdev_commit *k = abdev_kernel_find(d, ticket);

	if (!k)
		return 0;
	*idx = k->ci == (int)(c - d->pc.component) ? k->slot : -1;
	*len = k->len;
	memcpy(digest, k->digest, FWG_DIGEST_SIZE);
	return 1;
}

static inline int abdev_path(struct abdev *d, const struct pc_component *c, int idx,
			     const char **path)
{
	int ci = (int)(c - d->pc.component);

	if (ci < 0 || ci >= (int)d->pc.count)
		return -EINVAL;
	*path = d->img[ci][idx];
	return 0;
}

static inline int abdev_hash(void *arg, const struct pc_component *c, int idx, uint64_t len,
			     uint8_t digest[FWG_DIGEST_SIZE])
{
	static uint8_t buf[AB_SLOT_SIZE];
	const char *path;
	FILE *f;
	size_t n;

	if (abdev_path(arg, c, idx, &path) || len > sizeof(buf))
		return -EINVAL;
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	n = fread(buf, 1, (size_t)len, f);
	fclose(f);
	if (n != len)
		return -EIO;
	SHA256(buf, n, digest);
	return 0;
}

static inline int abdev_size(void *arg, const struct pc_component *c, int idx, uint64_t *len)
{
	const char *path;
	struct stat st;

	if (abdev_path(arg, c, idx, &path) || stat(path, &st))
		return -ENOENT;
	*len = (uint64_t)st.st_size;
	return 0;
}

static inline int abdev_tpm_open(struct abdev *d)
{
	struct fwg_tpm_options o = { .tcti = d->t.tcti, .state_dir = d->t.statedir,
				     .pcr = AB_PCR, .timeout_s = d->tpm_timeout_s };
	int err = fwg_tpm_open(&o, &d->tpm);

	d->m.tpm = d->tpm;
	snprintf(d->m.boot_id, sizeof(d->m.boot_id), "boot-%u", d->boot);
	return err;
}

/* Power off and on: swtpm restarted on its NV, a new boot id. */
static inline int abdev_reboot(struct abdev *d)
{
	fwg_tpm_close(d->tpm);
	d->tpm = NULL;
	d->boot++;
	d->commits = 0;	/* the kernel forgets what it committed */
	d->m.cut_at = 0;
	d->m.fault_eio = 0;
	if (swtpm_reboot(&d->t))
		return -EIO;
	return abdev_tpm_open(d);
}

/* The bytes abdev_fill() writes. */
static inline void abdev_pattern(unsigned int seed, size_t len, uint8_t *buf)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)((seed * 2654435761u) >> ((i % 4) * 8)) ^ (uint8_t)i;
}

static inline int abdev_fill(const char *path, unsigned int seed, size_t len)
{
	static uint8_t buf[AB_SLOT_SIZE];
	FILE *f = fopen(path, "r+b");
	size_t i;

	if (!f)
		f = fopen(path, "wb");
	if (!f)
		return -errno;
	abdev_pattern(seed, len, buf);
	i = fwrite(buf, 1, len, f);
	fclose(f);
	return i == len ? 0 : -EIO;
}

static inline int abdev_setup(struct abdev *d, unsigned int components)
{
	unsigned int i;
	int err, s;

	memset(d, 0, sizeof(*d));
	err = swtpm_setup_fresh(&d->t, false);
	if (err)
		return err;
	mkdir(d->t.statedir, 0700);
	d->pc.count = components;
	for (i = 0; i < components; i++) {
		struct pc_component *c = &d->pc.component[i];

		snprintf(c->name, sizeof(c->name), "comp%u", i);
		for (s = 0; s < 2; s++) {
			snprintf(c->slot[s].name, sizeof(c->slot[s].name), "%.16s_%c", c->name,
				 'a' + s);
			snprintf(d->img[i][s], sizeof(d->img[i][s]), "%s/%s.img", d->t.dir,
				 c->slot[s].name);
			err = abdev_fill(d->img[i][s], 1000 + i * 2 + (unsigned int)s,
					 AB_SLOT_SIZE);
			if (err)
				return err;
		}
	}
	d->ops.hash = abdev_hash;
	d->ops.size = abdev_size;
	d->ops.committed = abdev_committed;
	d->ops.arg = d;
	d->m.state_dir = d->t.statedir;
	d->m.pc = &d->pc;
	d->m.ops = &d->ops;
	d->m.step = &d->step;
	d->boot = 1;
	err = abdev_tpm_open(d);
	return err ? err : fwg_tpm_floor_provision(d->tpm);
}

static inline void abdev_teardown(struct abdev *d)
{
	fwg_tpm_close(d->tpm);
	swtpm_teardown(&d->t);
}

/* boot-verify of every component, as uc_boot_verify() runs it. */
static inline int abdev_verify(struct abdev *d, struct uc_boot_component out[])
{
	unsigned int i;
	int err, first = 0;

	for (i = 0; i < d->pc.count; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].name, sizeof(out[i].name), "%s", d->pc.component[i].name);
		err = ab_boot_verify(&d->m, &d->pc.component[i], &out[i]);
		out[i].err = err;
		if (err == AB_E_CUT)
			return err;
		if (err && !first)
			first = err;
	}
	err = ab_boot_verify_done(&d->m);
	return err ? err : first;
}

static inline int abdev_mark_good(struct abdev *d, struct uc_boot_component out[])
{
	unsigned int i;
	int err, first = 0;

	for (i = 0; i < d->pc.count; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		err = ab_mark_good(&d->m, &d->pc.component[i], &out[i]);
		if (err == AB_E_CUT)
			return err;
		if (err && !first)
			first = err;
	}
	return first;
}

/*
 * Install version @v into component @ci as install.c does, the kernel's
 * write replaced by writing the image file (none when the state machine
 * resumes a begun install: the slot holds the image). @cut_write: power
 * lost in the middle of the image write. Returns 0, AB_E_CUT or -errno;
 * @target set.
 */
static inline int abdev_install_ticket(struct abdev *d, unsigned int ci, uint64_t v,
				       const uint8_t ticket[16], bool raise, bool cut_write,
				       int *target)
{
	static uint8_t image[AB_SLOT_SIZE];
	const struct pc_component *c = &d->pc.component[ci];
	unsigned int seed = (unsigned int)(v * 7 + ticket[0]);
	uint8_t digest[FWG_DIGEST_SIZE];
	size_t len = AB_SLOT_SIZE / 2 + (size_t)(v % 1000);
	struct ab_install in;
	int err;

	abdev_pattern(seed, len, image);
	SHA256(image, len, digest);
	err = ab_install_plan_image(&d->m, c, v, ticket, raise, len, digest, &in);
	/* BEGIN: the kernel refuses a ticket it consumed in this boot */
	if (!err && !in.resume && abdev_kernel_find(d, ticket))
		err = -EALREADY;
	if (!err)
		err = ab_install_start(&d->m, &in);
	if (err)
		return err;
	*target = in.target;
	if (in.resume)
		return ab_install_commit(&d->m, &in, len, digest);
	d->writes++;
	err = abdev_fill(d->img[ci][in.target], seed, cut_write ? len / 2 : len);
	if (!err && cut_write)
		return AB_E_CUT;
	if (!err)
		err = abdev_hash(d, c, in.target, len, digest);
	if (!err && d->commits < ABDEV_COMMITS) {	/* COMMIT: consumed until reboot */
		struct abdev_commit *k = &d->kernel[d->commits++];

		memcpy(k->ticket, ticket, 16);
		k->ci = (int)ci;
		k->slot = in.target;
		k->len = len;
		memcpy(k->digest, digest, FWG_DIGEST_SIZE);
	}
	return err ? err : ab_install_commit(&d->m, &in, len, digest);
}

static inline void abdev_ticket(struct abdev *d, uint8_t ticket[16])
{
	memset(ticket, 0, 16);
	d->tickets++;
	memcpy(ticket, &d->tickets, sizeof(d->tickets));
	ticket[15] = 0xab;
}

static inline int abdev_install(struct abdev *d, unsigned int ci, uint64_t v, int *target)
{
	uint8_t ticket[16];

	abdev_ticket(d, ticket);
	return abdev_install_ticket(d, ci, v, ticket, false, false, target);
}

static inline int abdev_state(struct abdev *d, unsigned int ci, struct slot_state *s)
{
	return slot_state_load(d->t.statedir, d->pc.component[ci].name, s);
}

static inline int abdev_floor(struct abdev *d, uint64_t *floor)
{
	return fwg_tpm_floor_read(d->tpm, floor);
}

/* Slot @i of component @ci is verified-bootable (STATE.md). */
static inline bool abdev_slot_ok(struct abdev *d, unsigned int ci, int i)
{
	uint64_t floor;

	return !abdev_floor(d, &floor) &&
	       abm_slot_ok(d->t.statedir, &d->ops, &d->pc.component[ci], i, floor);
}

/* P1 for component @ci: factory state, or a verified-bootable slot. */
static inline bool abdev_p1(struct abdev *d, unsigned int ci, char *why, size_t n)
{
	uint64_t floor;

	if (abdev_floor(d, &floor)) {
		snprintf(why, n, "%s: floor unreadable", d->pc.component[ci].name);
		return false;
	}
	return abm_p1(d->t.statedir, &d->ops, &d->pc.component[ci], floor, why, n);
}

#endif /* FWGUARD_TESTS_ABDEV_H */
