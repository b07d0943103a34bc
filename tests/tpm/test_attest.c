// SPDX-License-Identifier: GPL-2.0-only
/*
 * Remote attestation against swtpm: `updatectl attest` quotes on the
 * device side (tpm/attest.c), the vendor side verifies (lib/
 * attest_verify.c) against releases signed with the test PKI
 * (tests/pki/mkpki). Each attack below must be refused by the check named
 * in its step: a replayed quote, a forged event log (entry changed,
 * removed, added, reordered, or its claims changed), a quote from another
 * TPM, an altered signature or attest, a digest no vendor release has, an
 * AK that is not restricted; and the positive path, install-like.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tss2/tss2_mu.h>
#include <tss2/tss2_tpm2_types.h>

#include "kselftest_harness.h"

#include "tests/tpm/swtpm.h"
#include "tpm/tpm.h"
#include "userspace/cli/exit_codes.h"
#include "userspace/lib/attest_verify.h"
#include "userspace/lib/bundle_create.h"

#define PCR 8
#define NONCE "00112233445566778899aabbccddeeff"
#define NONCE_OLD "ffeeddccbbaa99887766554433221100"
#define PKI FWGUARD_BUILD "/pki/"

FIXTURE(attest) {
	struct swtpm sw;
	struct fwg_tpm *tpm;
	char ak[400], releases[400], quote[400];
	uint8_t running[FWG_DIGEST_SIZE], update[FWG_DIGEST_SIZE];
	struct uc_step step;
};

static int open_tpm(struct swtpm *sw, struct fwg_tpm **tpm)
{
	struct fwg_tpm_options opts = {
		.tcti = sw->tcti, .state_dir = sw->statedir, .pcr = PCR,
	};

	return fwg_tpm_open(&opts, tpm);
}

static int write_bytes(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static int read_bytes(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		return -errno;
	*buf = malloc((size_t)st.st_size + 1);
	*len = (size_t)read(fd, *buf, (size_t)st.st_size);
	close(fd);
	return 0;
}

/* A vendor release of @component: an image, signed into a bundle. */
static int make_release(FIXTURE_DATA(attest) *self, const char *component,
			uint64_t version, uint8_t seed, const char *signer,
			uint8_t digest[FWG_DIGEST_SIZE])
{
	char image[500], bundle[500], key[200], crt[200];
	uint8_t bytes[4096];
	struct uc_step step;
	int err;

	memset(bytes, seed, sizeof(bytes));
	snprintf(image, sizeof(image), "%s/image-%u", self->sw.dir, seed);
	snprintf(bundle, sizeof(bundle), "%s/%s-%u.bundle", self->releases, component, seed);
	snprintf(key, sizeof(key), PKI "%s.key", signer);
	snprintf(crt, sizeof(crt), PKI "%s.crt", signer);
	err = write_bytes(image, bytes, sizeof(bytes));
	if (!err)
		err = fwg_sha256_file(image, digest);
	if (!err)
		err = bundle_create(&(struct bundle_create_request){
			.image = image, .key = key, .cert = crt, .output = bundle,
			.component = component, .device_class = "test-device",
			.security_version = version }, &step);
	return err;
}

static int measure(FIXTURE_DATA(attest) *self, const char *slot, uint64_t version,
		   const uint8_t digest[FWG_DIGEST_SIZE])
{
	struct fwg_tpm_subject s = { .version = version };

	strcpy(s.component, "fw");
	strcpy(s.slot, slot);
	memcpy(s.digest, digest, FWG_DIGEST_SIZE);
	return fwg_tpm_measure(self->tpm, &s);
}

static int quote_to(struct fwg_tpm *tpm, const char *nonce_hex, const char *path)
{
	uint8_t nonce[FWG_NONCE_MAX], *file = NULL;
	size_t len = strlen(nonce_hex) / 2, file_len = 0;
	struct fwg_quote q;
	int err;

	if (fwg_hex_decode(nonce_hex, nonce, len))
		return -EINVAL;
	err = fwg_tpm_quote(tpm, nonce, len, &q);
	if (err)
		return err;
	err = fwg_quote_encode(&q, &file, &file_len);
	if (!err)
		err = write_bytes(path, file, file_len);
	fwg_quote_release(&q);
	free(file);
	return err;
}

/* The vendor's side, with the AK enrolled at setup. */
static int verify(FIXTURE_DATA(attest) *self, const char *nonce_hex,
		  struct attest_report *r)
{
	struct attest_verify_request req = {
		.ak_path = self->ak, .quote_path = self->quote,
		.releases_path = self->releases, .trust_path = PKI "root-ca.crt",
		.pcr = PCR, .nonce_len = strlen(nonce_hex) / 2,
	};
	struct attest_report ignored;
	int err;

	fwg_hex_decode(nonce_hex, req.nonce, req.nonce_len);
	self->step.name = "none";
	err = attest_verify(&req, r ? r : &ignored, &self->step);
	if (!err && !r)
		attest_report_free(&ignored);
	return err;
}

static int enrol_ak(struct fwg_tpm *tpm, const char *path)
{
	uint8_t pub[FWG_QUOTE_PART_MAX];
	uint16_t len = 0;
	int err = fwg_tpm_ak_public(tpm, pub, &len);

	return err ? err : write_bytes(path, pub, len);
}

FIXTURE_SETUP(attest)
{
	setenv("TSS2_LOG", "all+NONE", 1);
	self->tpm = NULL;
	ASSERT_EQ(0, access(PKI "signer.key", R_OK)) TH_LOG("no test PKI; run make pki");
	ASSERT_EQ(0, swtpm_setup_fresh(&self->sw, false));
	ASSERT_EQ(0, open_tpm(&self->sw, &self->tpm));
	snprintf(self->ak, sizeof(self->ak), "%s/ak.pub", self->sw.dir);
	snprintf(self->releases, sizeof(self->releases), "%s/releases", self->sw.dir);
	snprintf(self->quote, sizeof(self->quote), "%s/quote", self->sw.dir);
	ASSERT_EQ(0, mkdir(self->releases, 0700));
	ASSERT_EQ(0, enrol_ak(self->tpm, self->ak));
	ASSERT_EQ(0, make_release(self, "fw", 1, 0x11, "signer", self->running));
	ASSERT_EQ(0, make_release(self, "fw", 2, 0x22, "signer", self->update));
}

FIXTURE_TEARDOWN(attest)
{
	fwg_tpm_close(self->tpm);
	swtpm_teardown(&self->sw);
}

/* Boot measured the running image (v1, slot a), then install the update (v2, b). */
static int install_like(FIXTURE_DATA(attest) *self)
{
	int err = measure(self, "a", 1, self->running);

	return err ? err : measure(self, "b", 2, self->update);
}

TEST_F(attest, install_then_reboot_verifies)
{
	struct attest_report r;
	unsigned long before = 0, after = 0;

	ASSERT_EQ(0, install_like(self));
	fwg_tpm_stats(self->tpm, &before, NULL);
	ASSERT_EQ(0, quote_to(self->tpm, NONCE, self->quote));
	fwg_tpm_stats(self->tpm, &after, NULL);
	EXPECT_EQ(3ul, after - before);		/* CreatePrimary, Quote, FlushContext */
	ASSERT_NOTHING_LOADED(self->tpm);
	ASSERT_EQ(0, verify(self, NONCE, &r));
	ASSERT_EQ(2u, r.n_events);
	EXPECT_EQ(1ull, r.events[0].release->ticket.security_version);
	EXPECT_EQ(2ull, r.events[1].release->ticket.security_version);
	EXPECT_STREQ("b", r.events[1].ev.subject.slot);
	attest_report_free(&r);

	/* Next boot: the chain starts again with the new image alone. */
	fwg_tpm_close(self->tpm);
	self->tpm = NULL;
	ASSERT_EQ(0, swtpm_reboot(&self->sw));
	ASSERT_EQ(0, open_tpm(&self->sw, &self->tpm));
	ASSERT_EQ(0, measure(self, "b", 2, self->update));
	ASSERT_EQ(0, quote_to(self->tpm, NONCE_OLD, self->quote));
	ASSERT_EQ(0, verify(self, NONCE_OLD, &r));
	ASSERT_EQ(1u, r.n_events);
	EXPECT_EQ(0, memcmp(r.events[0].ev.subject.digest, self->update, FWG_DIGEST_SIZE));
	EXPECT_EQ(2u, r.reset_count);
	attest_report_free(&r);
}

TEST_F(attest, replayed_quote_old_nonce_refused)
{
	ASSERT_EQ(0, install_like(self));
	ASSERT_EQ(0, quote_to(self->tpm, NONCE_OLD, self->quote));
	EXPECT_EQ(-ESTALE, verify(self, NONCE, NULL));
	EXPECT_STREQ("check-nonce", self->step.name);
}

TEST_F(attest, nothing_measured_this_boot_refused)
{
	ASSERT_EQ(0, quote_to(self->tpm, NONCE, self->quote));
	EXPECT_EQ(-EPERM, verify(self, NONCE, NULL));
	EXPECT_STREQ("replay-eventlog", self->step.name);
}

/* Rewrite the quote file as root could: any bytes, checksum recomputed. */
static int quote_edit(const char *path, int (*edit)(struct fwg_quote *q, void *arg),
		      void *arg)
{
	uint8_t *buf = NULL, *out = NULL;
	size_t len = 0, out_len = 0;
	struct fwg_quote q;
	int err;

	err = read_bytes(path, &buf, &len);
	if (!err)
		err = fwg_quote_decode(buf, len, &q);
	free(buf);
	if (err)
		return err;
	err = edit(&q, arg);
	if (!err)
		err = fwg_quote_encode(&q, &out, &out_len);
	if (!err)
		err = write_bytes(path, out, out_len);
	fwg_quote_release(&q);
	free(out);
	return err;
}

enum log_forgery { CHANGE_DIGEST, REMOVE_LAST, ADD_DUPLICATE, SWAP_FIRST_TWO, CHANGE_VERSION };

/* The log has two lines (install_like); forge it in one of five ways. */
static int forge_log(struct fwg_quote *q, void *arg)
{
	enum log_forgery how = *(enum log_forgery *)arg;
	char *text = calloc(1, 2 * q->eventlog_len + 2), *l1, *l2, *nl;
	size_t n1;

	memcpy(text, q->eventlog, q->eventlog_len);
	nl = strchr(text, '\n');
	if (!nl)
		return -EINVAL;
	n1 = (size_t)(nl + 1 - text);
	l1 = strndup(text, n1);
	l2 = strdup(nl + 1);
	switch (how) {
	case CHANGE_DIGEST:	/* the first digest is the v2 image's */
		memcpy(strstr(text, "digest=") + 7, strstr(l2, "digest=") + 7, 64);
		break;
	case REMOVE_LAST:
		text[n1] = '\0';
		break;
	case ADD_DUPLICATE:
		strcat(text, l2);
		break;
	case SWAP_FIRST_TWO:
		sprintf(text, "%s%s", l2, l1);
		break;
	case CHANGE_VERSION:	/* digests intact: only the claim changes */
		memcpy(strstr(text, " version=") + 9, "7", 1);
		break;
	}
	free(q->eventlog);
	q->eventlog = (uint8_t *)text;
	q->eventlog_len = strlen(text);
	free(l1);
	free(l2);
	return 0;
}

TEST_F(attest, forged_event_log_refused)
{
	static const enum log_forgery replay_breakers[] = {
		CHANGE_DIGEST, REMOVE_LAST, ADD_DUPLICATE, SWAP_FIRST_TWO,
	};
	enum log_forgery how;
	size_t i;

	ASSERT_EQ(0, install_like(self));
	for (i = 0; i < sizeof(replay_breakers) / sizeof(replay_breakers[0]); i++) {
		how = replay_breakers[i];
		ASSERT_EQ(0, quote_to(self->tpm, NONCE, self->quote));
		ASSERT_EQ(0, verify(self, NONCE, NULL));
		ASSERT_EQ(0, quote_edit(self->quote, forge_log, &how));
		EXPECT_EQ(-EKEYREJECTED, verify(self, NONCE, NULL)) TH_LOG("forgery %d", how);
		EXPECT_STREQ("replay-eventlog", self->step.name);
	}
	/* The digests replay, but the log lies about what they are. */
	how = CHANGE_VERSION;
	ASSERT_EQ(0, quote_to(self->tpm, NONCE, self->quote));
	ASSERT_EQ(0, quote_edit(self->quote, forge_log, &how));
	EXPECT_EQ(-EPERM, verify(self, NONCE, NULL));
	EXPECT_STREQ("check-releases", self->step.name);
}

/* Swap in the enrolled AK's public area, as if this quote were ours. */
static int claim_enrolled_ak(struct fwg_quote *q, void *arg)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = read_bytes(arg, &buf, &len);

	if (!err) {
		memcpy(q->ak_public, buf, len);
		q->ak_public_len = (uint16_t)len;
	}
	free(buf);
	return err;
}

TEST_F(attest, quote_from_another_tpm_refused)
{
	struct fwg_tpm_subject s = { .component = "fw", .slot = "a", .version = 1 };
	struct fwg_tpm *tpm2 = NULL;
	struct swtpm other;

	memcpy(s.digest, self->running, FWG_DIGEST_SIZE);
	memset(&other, 0, sizeof(other));
	ASSERT_EQ(0, swtpm_setup_fresh(&other, false));
	ASSERT_EQ(0, open_tpm(&other, &tpm2));
	/* The same release measured on another TPM: only the AK differs. */
	ASSERT_EQ(0, fwg_tpm_measure(tpm2, &s));
	ASSERT_EQ(0, quote_to(tpm2, NONCE, self->quote));
	fwg_tpm_close(tpm2);
	swtpm_teardown(&other);
	EXPECT_EQ(-EKEYREJECTED, verify(self, NONCE, NULL));
	EXPECT_STREQ("check-signer", self->step.name);
	/* Claiming to be the enrolled AK does not help: the signature is not its. */
	ASSERT_EQ(0, quote_edit(self->quote, claim_enrolled_ak, self->ak));
	EXPECT_EQ(-EKEYREJECTED, verify(self, NONCE, NULL));
	EXPECT_STREQ("check-signature", self->step.name);
}

static int flip_signature(struct fwg_quote *q, void *arg)
{
	q->signature[q->signature_len - 1] ^= 0x01;	/* last byte of S */
	return 0;
}

/* Point the quoted PCR digest elsewhere, as a forger of the log would need. */
static int flip_attest(struct fwg_quote *q, void *arg)
{
	q->attest[q->attest_len - 1] ^= 0x01;	/* last byte of pcrDigest */
	return 0;
}

TEST_F(attest, altered_signature_or_attest_refused)
{
	ASSERT_EQ(0, install_like(self));
	ASSERT_EQ(0, quote_to(self->tpm, NONCE, self->quote));
	ASSERT_EQ(0, quote_edit(self->quote, flip_signature, NULL));
	EXPECT_EQ(-EKEYREJECTED, verify(self, NONCE, NULL));
	EXPECT_STREQ("check-signature", self->step.name);

	ASSERT_EQ(0, quote_to(self->tpm, NONCE, self->quote));
	ASSERT_EQ(0, quote_edit(self->quote, flip_attest, NULL));
	EXPECT_EQ(-EKEYREJECTED, verify(self, NONCE, NULL));
	EXPECT_STREQ("check-signature", self->step.name);
}

TEST_F(attest, digest_not_in_any_release_refused)
{
	uint8_t tampered[FWG_DIGEST_SIZE];

	memcpy(tampered, self->update, sizeof(tampered));
	tampered[0] ^= 0xff;
	ASSERT_EQ(0, measure(self, "a", 1, self->running));
	ASSERT_EQ(0, measure(self, "b", 2, tampered));
	ASSERT_EQ(0, quote_to(self->tpm, NONCE, self->quote));
	EXPECT_EQ(-EPERM, verify(self, NONCE, NULL));
	EXPECT_STREQ("check-releases", self->step.name);
}

TEST_F(attest, release_not_signed_by_vendor_refused)
{
	uint8_t digest[FWG_DIGEST_SIZE];

	/* Root's own "release" of the tampered image, signed by another CA. */
	ASSERT_EQ(0, make_release(self, "fw", 3, 0x33, "other-signer", digest));
	ASSERT_EQ(0, measure(self, "a", 3, digest));
	ASSERT_EQ(0, quote_to(self->tpm, NONCE, self->quote));
	EXPECT_EQ(-ENOKEY, verify(self, NONCE, NULL));
	EXPECT_STREQ("load-releases", self->step.name);
}

/* An unrestricted key signs anything, so its "quotes" prove nothing. */
TEST_F(attest, unrestricted_ak_refused)
{
	uint8_t *buf = NULL;
	size_t len = 0, off = 0;
	TPM2B_PUBLIC pub;

	ASSERT_EQ(0, install_like(self));
	ASSERT_EQ(0, quote_to(self->tpm, NONCE, self->quote));
	ASSERT_EQ(0, read_bytes(self->ak, &buf, &len));
	memset(&pub, 0, sizeof(pub));
	ASSERT_EQ(TSS2_RC_SUCCESS, Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, &pub));
	pub.publicArea.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
	off = 0;
	ASSERT_EQ(TSS2_RC_SUCCESS, Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, buf, len, &off));
	ASSERT_EQ(0, write_bytes(self->ak, buf, off));
	free(buf);
	EXPECT_EQ(-ENOPKG, verify(self, NONCE, NULL));
	EXPECT_STREQ("check-ak", self->step.name);
}

/* The command line: exit codes, JSON on success and failure, bad input. */
static int run_cli(FIXTURE_DATA(attest) *self, const char *out, char *const *args)
{
	char *argv[32];
	int argc = 0, status, fd;
	pid_t pid;

	argv[argc++] = FWGUARD_BUILD "/bin/updatectl";
	while (*args && argc < 30)
		argv[argc++] = *args++;
	argv[argc] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static bool file_has(const char *path, const char *needle)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	bool found;

	if (read_bytes(path, &buf, &len))
		return false;
	buf[len] = '\0';
	found = strstr((char *)buf, needle) != NULL;
	free(buf);
	return found;
}

TEST_F(attest, cli_attest_and_verify)
{
	char out[400];
	char *attest_bad[] = { "attest", "--tcti", self->sw.tcti, "--state-dir",
			       self->sw.statedir, "--nonce", "abcd", "--out", self->quote, NULL };
	char *attest[] = { "attest", "--tcti", self->sw.tcti, "--state-dir",
			   self->sw.statedir, "--nonce", NONCE, "--out", self->quote, NULL };
	char *verify_ok[] = { "attest", "verify", "--json", "--ak", self->ak, "--nonce", NONCE,
			      "--releases", self->releases, "--trust", PKI "root-ca.crt",
			      self->quote, NULL };
	char *verify_old[] = { "attest", "verify", "--json", "--ak", self->ak, "--nonce",
			       NONCE_OLD, "--releases", self->releases, "--trust",
			       PKI "root-ca.crt", self->quote, NULL };

	snprintf(out, sizeof(out), "%s/out.json", self->sw.dir);
	ASSERT_EQ(0, install_like(self));
	EXPECT_EQ(UC_EXIT_USAGE, run_cli(self, out, attest_bad));
	EXPECT_NE(0, access(self->quote, F_OK));	/* bad input wrote nothing */
	ASSERT_EQ(UC_EXIT_OK, run_cli(self, out, attest));
	ASSERT_EQ(UC_EXIT_OK, run_cli(self, out, verify_ok));
	EXPECT_TRUE(file_has(out, "{\"verified\":true,\"pcr\":8,"));
	EXPECT_TRUE(file_has(out, "\"slot\":\"b\",\"version\":2,"));
	EXPECT_EQ(UC_EXIT_VERIFY, run_cli(self, out, verify_old));
	EXPECT_TRUE(file_has(out, "{\"error\":{\"code\":3,\"name\":\"verify\","
			     "\"step\":\"check-nonce\","));
}

TEST_HARNESS_MAIN
