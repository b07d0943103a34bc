// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench-tpm: how many TPM commands, and how much time waiting for the TPM,
 * provisioning (the floor index, and the SRK when persisted),
 * one install-side sequence (extend + seal + NV floor increment) and one
 * boot-side sequence (extend + unseal-and-compare) and one attestation
 * (AK derivation + quote + event log) cost, against a
 * throw-away swtpm, in one run. Counts come from the counting TCTI in the
 * library context, so commands ESYS sends on its own are included. Run
 * once with the transient ECC primary and once with a persistent SRK.
 * A benchmark, not a test: it prints figures; it fails only if a step does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "tests/tpm/swtpm.h"
#include "tpm/tpm.h"

struct figures {
	unsigned long commands;
	uint64_t tpm_ns, wall_ns;
	uint32_t trace[FWG_TPM_TRACE_MAX];
	size_t traced;
};

static void figures_take(struct fwg_tpm *tpm, struct figures *f)
{
	fwg_tpm_stats(tpm, &f->commands, &f->tpm_ns);
	f->traced = fwg_tpm_command_trace(tpm, f->trace, FWG_TPM_TRACE_MAX);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The vendor's policy key of the vendor-approved rows (NULL: PolicyPCR). */
static const struct fwg_vendor_key *bench_vendor_key;
static char bench_vendor_pem[300];

static int open_tpm(const struct swtpm *sw, struct fwg_tpm **ret)
{
	struct fwg_tpm_options opts = {
		.tcti = sw->tcti, .state_dir = sw->statedir, .pcr = -1,
		.vendor_key = bench_vendor_key,
	};

	return fwg_tpm_open(&opts, ret);
}

/* Close a measured sequence: the closing flush counts too. */
static int sequence_end(struct fwg_tpm *tpm, struct figures *f, uint64_t start, int err)
{
	if (tpm)
		fwg_tpm_end_session(tpm);
	f->wall_ns = now_ns() - start;
	if (tpm)
		figures_take(tpm, f);
	fwg_tpm_close(tpm);
	return err;
}

/* One context per sequence, as one updatectl invocation would have. */
static int install_sequence(const struct swtpm *sw,
			    const struct fwg_tpm_subject *s, struct figures *f)
{
	struct fwg_tpm *tpm = NULL;
	uint64_t start = now_ns(), floor = 0;
	struct fwg_tpm_approval a;
	int err;

	err = open_tpm(sw, &tpm);
	if (!err)
		err = fwg_tpm_measure(tpm, s);
	if (!err && bench_vendor_key)
		err = fwg_approval_sign(bench_vendor_pem, FWG_DEFAULT_PCR, s, &a);
	if (!err)
		err = bench_vendor_key ? fwg_tpm_seal_approved(tpm, s, &a) :
					 fwg_tpm_seal(tpm, s);
	if (!err)
		err = bench_vendor_key ?
			fwg_tpm_floor_raise_approved(tpm, s->version, &a, s->version, &floor) :
			fwg_tpm_floor_raise(tpm, s->version, &floor);
	return sequence_end(tpm, f, start, err);
}

static int boot_sequence(const struct swtpm *sw, const struct fwg_tpm_subject *s,
			 struct figures *f)
{
	struct fwg_tpm_subject got;
	struct fwg_tpm *tpm = NULL;
	uint64_t start = now_ns();
	int err;

	err = open_tpm(sw, &tpm);
	if (!err)
		err = fwg_tpm_measure(tpm, s);
	if (!err)
		err = fwg_tpm_unseal_verify(tpm, s->component, s->slot, s->digest,
					    &got);
	return sequence_end(tpm, f, start, err);
}

/* What `updatectl attest` sends: the AK is derived, quotes, is flushed. */
static int attest_sequence(const struct swtpm *sw, struct figures *f)
{
	static const uint8_t nonce[FWG_NONCE_MIN] = { 0x42 };
	struct fwg_quote q;
	struct fwg_tpm *tpm = NULL;
	uint64_t start = now_ns();
	int err;

	err = open_tpm(sw, &tpm);
	if (!err)
		err = fwg_tpm_quote(tpm, nonce, sizeof(nonce), &q);
	f->wall_ns = now_ns() - start;
	if (!err)
		fwg_quote_release(&q);
	if (tpm)
		figures_take(tpm, f);
	fwg_tpm_close(tpm);
	return err;
}

/* SRK persist (if asked) and the floor index: define and first increment. */
static int provision(const struct swtpm *sw, bool persist_srk, struct figures *f)
{
	struct fwg_tpm *tpm = NULL;
	uint64_t start = now_ns();
	bool created;
	int err;

	err = open_tpm(sw, &tpm);
	if (!err && persist_srk)
		err = fwg_tpm_srk_persist(tpm, &created);
	if (!err)
		err = fwg_tpm_floor_provision(tpm);
	return sequence_end(tpm, f, start, err);
}

static void print_row(const char *what, const struct figures *f)
{
	size_t i;

	printf("  %-34s %3lu commands  swtpm %7.2f ms  wall %7.2f ms\n    ", what,
	       f->commands, f->tpm_ns / 1e6, f->wall_ns / 1e6);
	for (i = 0; i < f->traced; i++)
		printf("%s%s", i ? ", " : "", fwg_tpm_command_name(f->trace[i]));
	putchar('\n');
}

/* An ECC P-256 vendor policy key for the vendor-approved rows. */
static int vendor_key_make(const struct swtpm *sw, struct fwg_vendor_key *key)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	FILE *f;
	int ok;

	snprintf(bench_vendor_pem, sizeof(bench_vendor_pem), "%s/vendor.pem", sw->dir);
	f = fopen(bench_vendor_pem, "w");
	ok = pkey && f && PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
	if (f)
		fclose(f);
	EVP_PKEY_free(pkey);
	return ok ? fwg_vendor_key_read(bench_vendor_pem, key) : -EIO;
}

/* Install and boot again, with records sealed to the vendor's approval. */
static int run_approved(struct swtpm *sw, const struct fwg_tpm_subject *s,
			struct figures *install, struct figures *boot)
{
	static struct fwg_vendor_key key;
	struct fwg_tpm_subject next = *s;
	int err = vendor_key_make(sw, &key);

	/* The next release, so that the floor moves by one as above. */
	next.version++;
	bench_vendor_key = &key;
	if (!err)
		err = install_sequence(sw, &next, install);
	if (!err)
		err = swtpm_reboot(sw);
	if (!err)
		err = boot_sequence(sw, &next, boot);
	bench_vendor_key = NULL;
	return err;
}

static int run(bool persist_srk)
{
	struct figures install_va, boot_va;
	struct fwg_tpm_subject s;
	struct figures prov, install, boot, attest;
	struct swtpm sw;
	int err;

	memset(&sw, 0, sizeof(sw));
	memset(&s, 0, sizeof(s));
	strcpy(s.component, "firmware");
	strcpy(s.slot, "b");
	s.version = 2;
	memset(s.digest, 0x5a, sizeof(s.digest));

	err = swtpm_setup_fresh(&sw, false);
	if (!err)
		err = provision(&sw, persist_srk, &prov);
	if (!err)
		err = install_sequence(&sw, &s, &install);
	if (!err)
		err = swtpm_reboot(&sw);
	if (!err)
		err = boot_sequence(&sw, &s, &boot);
	if (!err)
		err = attest_sequence(&sw, &attest);
	if (!err)
		err = swtpm_reboot(&sw);
	if (!err)
		err = run_approved(&sw, &s, &install_va, &boot_va);
	swtpm_teardown(&sw);
	if (err) {
		fprintf(stderr, "bench-tpm: a step failed: %s\n", strerror(-err));
		return 1;
	}
	printf("storage parent: %s\n", persist_srk ?
	       "persistent SRK 0x81000001" : "transient ECC P-256 primary");
	print_row(persist_srk ? "provision (persist SRK + floor)" : "provision (floor)", &prov);
	print_row("install (extend + seal + NV incr)", &install);
	print_row("boot (extend + unseal + compare)", &boot);
	print_row("attest (AK + quote + event log)", &attest);
	print_row("install, vendor-approved record", &install_va);
	print_row("boot, vendor-approved record", &boot_va);
	return 0;
}

int main(void)
{
	setenv("TSS2_LOG", "all+NONE", 0);
	if (run(false) || run(true))
		return 1;
	return 0;
}
