// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests of the tpm/ library and `updatectl tpm` against a fresh swtpm
 * per test (tests/tpm/swtpm.h). A "reboot" restarts swtpm on the same state:
 * PCRs reset, NV survives, exactly what boot-verify sees on a device.
 */
#include <dirent.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "kselftest_harness.h"

#include "tests/tpm/swtpm.h"
#include "tpm/tpm.h"
#include "userspace/cli/exit_codes.h"

#define PCR 8

static void digest_fill(uint8_t digest[FWG_DIGEST_SIZE], uint8_t seed)
{
	int i;

	for (i = 0; i < FWG_DIGEST_SIZE; i++)
		digest[i] = (uint8_t)(seed + i * 7);
}

static struct fwg_tpm_subject subject_make(uint8_t seed, uint64_t version,
					   const char *slot)
{
	struct fwg_tpm_subject s;

	memset(&s, 0, sizeof(s));
	strcpy(s.component, "firmware");
	strcpy(s.slot, slot);
	s.version = version;
	digest_fill(s.digest, seed);
	return s;
}

static int file_bytes(const char *path, uint8_t *buf, size_t size, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		return -errno;
	*len = fread(buf, 1, size, f);
	fclose(f);
	return 0;
}

static int file_put(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return -errno;
	fwrite(buf, 1, len, f);
	fclose(f);
	return 0;
}

static int count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

FIXTURE(tpm) {
	struct swtpm sw;
	struct fwg_tpm *tpm;
	char blob[512];
};

static int tpm_connect(struct __test_metadata *_metadata,
		       FIXTURE_DATA(tpm) *self)
{
	struct fwg_tpm_options opts = {
		.tcti = self->sw.tcti,
		.state_dir = self->sw.statedir,
		.pcr = PCR,
	};

	fwg_tpm_close(self->tpm);
	self->tpm = NULL;
	return fwg_tpm_open(&opts, &self->tpm);
}

/* Reboot the TPM and reconnect, as a device's next boot would. */
static int tpm_reboot(struct __test_metadata *_metadata, FIXTURE_DATA(tpm) *self)
{
	int err;

	fwg_tpm_close(self->tpm);
	self->tpm = NULL;
	err = swtpm_reboot(&self->sw);
	if (err)
		return err;
	return tpm_connect(_metadata, self);
}

FIXTURE_SETUP(tpm)
{
	setenv("TSS2_LOG", "all+NONE", 1);
	self->tpm = NULL;
	ASSERT_EQ(0, swtpm_setup_fresh(&self->sw, false));
	ASSERT_EQ(0, tpm_connect(_metadata, self));
	snprintf(self->blob, sizeof(self->blob), "%s/sealed/firmware@b.seal",
		 self->sw.statedir);
}

FIXTURE_TEARDOWN(tpm)
{
	fwg_tpm_close(self->tpm);
	swtpm_teardown(&self->sw);
}

/* This boot's measurement of the image the device is running. */
static int boot_running(FIXTURE_DATA(tpm) *self)
{
	struct fwg_tpm_subject old = subject_make(0xee, 1, "a");

	return fwg_tpm_measure(self->tpm, &old);
}

/* Install side as install will run it: measure, seal. */
static int install(FIXTURE_DATA(tpm) *self, const struct fwg_tpm_subject *s)
{
	int err = fwg_tpm_measure(self->tpm, s);

	return err ? err : fwg_tpm_seal(self->tpm, s);
}

TEST_F(tpm, seal_then_unseal_after_predicted_extend)
{
	struct fwg_tpm_subject s = subject_make(1, 7, "b"), got;
	uint8_t pcr[FWG_DIGEST_SIZE], predicted[FWG_DIGEST_SIZE];

	ASSERT_EQ(0, install(self, &s));
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &s));
	/* The prediction is exactly what the TPM now holds. */
	ASSERT_EQ(0, fwg_tpm_pcr_read(self->tpm, pcr));
	ASSERT_EQ(0, fwg_tpm_predict_boot_pcr(s.digest, predicted));
	ASSERT_EQ(0, memcmp(pcr, predicted, sizeof(pcr)));
	ASSERT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", s.slot, s.digest, &got));
	EXPECT_STREQ("b", got.slot);
	EXPECT_STREQ("firmware", got.component);
	EXPECT_EQ(7ull, got.version);
	EXPECT_EQ(0, memcmp(got.digest, s.digest, FWG_DIGEST_SIZE));
	ASSERT_NOTHING_LOADED(self->tpm);
}

/* The sealed object on disk: no userWithAuth, fixed to this TPM and parent,
 * and an authPolicy that is exactly PolicyPCR over the predicted value. */
TEST_F(tpm, sealed_object_attributes_and_policy)
{
	static const uint8_t policy_pcr_cc[4] = { 0x00, 0x00, 0x01, 0x7f };
	static const uint8_t selection[10] = { 0, 0, 0, 1, 0x00, 0x0b, 3, 0x00, 0x01, 0x00 };
	struct fwg_tpm_subject s = subject_make(1, 7, "b");
	uint8_t buf[4096], predicted[32], pcr_digest[32], expect[32], msg[32 + 4 + 10 + 32];
	TPM2B_PUBLIC pub;
	TPMA_OBJECT attrs;
	size_t len = 0, off = 182;

	ASSERT_EQ(0, fwg_tpm_seal(self->tpm, &s));
	ASSERT_EQ(0, file_bytes(self->blob, buf, sizeof(buf), &len));
	memset(&pub, 0, sizeof(pub));
	ASSERT_EQ(TSS2_RC_SUCCESS, Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, &pub));
	attrs = pub.publicArea.objectAttributes;
	EXPECT_EQ(TPM2_ALG_KEYEDHASH, pub.publicArea.type);
	EXPECT_TRUE(!!(attrs & TPMA_OBJECT_FIXEDTPM));
	EXPECT_TRUE(!!(attrs & TPMA_OBJECT_FIXEDPARENT));
	EXPECT_FALSE(!!(attrs & TPMA_OBJECT_USERWITHAUTH));
	EXPECT_TRUE(!!(attrs & TPMA_OBJECT_ADMINWITHPOLICY));

	/* Recompute the policy independently of the library. */
	memset(msg, 0, sizeof(msg));
	{
		uint8_t chain[64] = { 0 };

		memcpy(chain + 32, s.digest, 32);
		SHA256(chain, sizeof(chain), predicted);
	}
	SHA256(predicted, sizeof(predicted), pcr_digest);
	memcpy(msg + 32, policy_pcr_cc, 4);
	memcpy(msg + 36, selection, 10);
	memcpy(msg + 46, pcr_digest, 32);
	SHA256(msg, sizeof(msg), expect);
	ASSERT_EQ(32u, pub.publicArea.authPolicy.size);
	EXPECT_EQ(0, memcmp(pub.publicArea.authPolicy.buffer, expect, 32));
}

/* Two components sharing the PCR: the second is sealed after the first. */
TEST_F(tpm, shared_pcr_components_in_order)
{
	struct fwg_tpm_subject boot = subject_make(1, 7, "a");
	struct fwg_tpm_subject app = subject_make(2, 3, "a"), got;
	uint8_t earlier[1][FWG_DIGEST_SIZE];

	strcpy(app.component, "app");
	memcpy(earlier[0], boot.digest, FWG_DIGEST_SIZE);
	ASSERT_EQ(0, fwg_tpm_seal(self->tpm, &boot));
	ASSERT_EQ(0, fwg_tpm_seal_after(self->tpm, &app, earlier, 1));
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &boot));
	EXPECT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", boot.slot, boot.digest, &got));
	/* Before its own measurement the second one stays sealed. */
	EXPECT_EQ(FWG_TPM_E_PCR_MISMATCH,
		  fwg_tpm_unseal_verify(self->tpm, "app", app.slot, app.digest, &got));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &app));
	EXPECT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "app", app.slot, app.digest, &got));
	EXPECT_EQ(-E2BIG, fwg_tpm_seal_after(self->tpm, &app, earlier,
					     FWG_TPM_EARLIER_MAX + 1));
}

TEST_F(tpm, unseal_in_install_boot_is_pcr_mismatch)
{
	struct fwg_tpm_subject s = subject_make(1, 7, "b"), got;

	/* Same boot as the install: this boot measured the running image,
	 * so the PCR holds H(H(0|old)|new), not the predicted H(0|new), and
	 * the object must stay sealed until the reboot. */
	ASSERT_EQ(0, boot_running(self));
	ASSERT_EQ(0, install(self, &s));
	EXPECT_EQ(FWG_TPM_E_PCR_MISMATCH,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", s.slot, s.digest, &got));
}

TEST_F(tpm, unseal_after_other_digest_is_pcr_mismatch)
{
	struct fwg_tpm_subject s = subject_make(1, 7, "b");
	struct fwg_tpm_subject tampered = subject_make(2, 7, "b"), got;

	ASSERT_EQ(0, install(self, &s));
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &tampered));
	EXPECT_EQ(FWG_TPM_E_PCR_MISMATCH,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", s.slot, tampered.digest,
					&got));
	/* Comparing with the genuine digest does not help either. */
	EXPECT_EQ(FWG_TPM_E_PCR_MISMATCH,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", s.slot, s.digest, &got));
	/* The refused session and the loaded object were both flushed. */
	ASSERT_NOTHING_LOADED(self->tpm);
}

TEST_F(tpm, unseal_compares_with_fresh_measurement)
{
	struct fwg_tpm_subject s = subject_make(1, 7, "b"), got;
	uint8_t other[FWG_DIGEST_SIZE];

	ASSERT_EQ(0, install(self, &s));
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &s));
	digest_fill(other, 9);
	EXPECT_EQ(FWG_TPM_E_DIGEST_MISMATCH,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", s.slot, other, &got));
	ASSERT_NOTHING_LOADED(self->tpm);
}

TEST_F(tpm, unseal_missing_blob)
{
	struct fwg_tpm_subject got;
	uint8_t d[FWG_DIGEST_SIZE];

	digest_fill(d, 1);
	EXPECT_EQ(FWG_TPM_E_NO_BLOB,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "b", d, &got));
}

/* The blob file of one slot of "firmware". */
static void slot_blob(FIXTURE_DATA(tpm) *self, const char *slot, char *path,
		      size_t size)
{
	snprintf(path, size, "%s/sealed/firmware@%s.seal", self->sw.statedir, slot);
}

/*
 * A/B: install seals the new image of slot b while slot a's record must
 * survive, because a failed boot of b falls back to a and the next boot
 * unseals a's record. Sealing b must not touch a's record at all.
 */
TEST_F(tpm, sealing_one_slot_keeps_the_other)
{
	struct fwg_tpm_subject a = subject_make(1, 3, "a");
	struct fwg_tpm_subject b = subject_make(2, 4, "b"), got;
	struct fwg_tpm_sealed_info info;
	uint8_t before[4096], after[4096];
	size_t before_len = 0, after_len = 0;
	char path_a[512], sealed_dir[512];

	slot_blob(self, "a", path_a, sizeof(path_a));
	ASSERT_EQ(0, fwg_tpm_seal(self->tpm, &a));
	ASSERT_EQ(0, file_bytes(path_a, before, sizeof(before), &before_len));
	ASSERT_EQ(0, fwg_tpm_seal(self->tpm, &b));
	ASSERT_EQ(0, file_bytes(path_a, after, sizeof(after), &after_len));
	ASSERT_EQ(before_len, after_len);
	EXPECT_EQ(0, memcmp(before, after, before_len));
	snprintf(sealed_dir, sizeof(sealed_dir), "%s/sealed", self->sw.statedir);
	EXPECT_EQ(2, count_entries(sealed_dir));

	/* Both records readable, each with its own slot, version and digest. */
	ASSERT_EQ(0, fwg_sealed_info_read(self->sw.statedir, "firmware", "a", &info));
	EXPECT_STREQ("a", info.subject.slot);
	EXPECT_EQ(3ull, info.subject.version);
	EXPECT_EQ(0, memcmp(info.subject.digest, a.digest, FWG_DIGEST_SIZE));
	ASSERT_EQ(0, fwg_sealed_info_read(self->sw.statedir, "firmware", "b", &info));
	EXPECT_STREQ("b", info.subject.slot);
	EXPECT_EQ(4ull, info.subject.version);
	EXPECT_EQ(0, memcmp(info.subject.digest, b.digest, FWG_DIGEST_SIZE));

	/* Fallback boot into a: a's record unseals, b's stays sealed. */
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &a));
	ASSERT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", "a", a.digest, &got));
	EXPECT_STREQ("a", got.slot);
	EXPECT_EQ(3ull, got.version);
	EXPECT_EQ(FWG_TPM_E_PCR_MISMATCH,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "b", b.digest, &got));

	/* Boot into b: the other way round. */
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &b));
	ASSERT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", "b", b.digest, &got));
	EXPECT_STREQ("b", got.slot);
	EXPECT_EQ(4ull, got.version);
	EXPECT_EQ(FWG_TPM_E_PCR_MISMATCH,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "a", a.digest, &got));
	ASSERT_NOTHING_LOADED(self->tpm);
}

TEST_F(tpm, unseal_never_sealed_slot_is_no_blob)
{
	struct fwg_tpm_subject a = subject_make(1, 3, "a");
	struct fwg_tpm_subject b = subject_make(2, 4, "b"), got;
	struct fwg_tpm_sealed_info info;

	ASSERT_EQ(0, fwg_tpm_seal(self->tpm, &a));
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &b));
	EXPECT_EQ(FWG_TPM_E_NO_BLOB,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "b", b.digest, &got));
	EXPECT_EQ(FWG_TPM_E_NO_BLOB,
		  fwg_sealed_info_read(self->sw.statedir, "firmware", "b", &info));
	/* Slot names follow the component rules: no separator, no path. */
	EXPECT_EQ(-EINVAL,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "a@b", b.digest, &got));
	EXPECT_EQ(-EINVAL,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "../a", b.digest, &got));
	EXPECT_EQ(-EINVAL,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "", b.digest, &got));
	ASSERT_NOTHING_LOADED(self->tpm);
}

/*
 * Slot a's record copied over slot b's file name: the TPM would unseal it
 * (same PCR policy), so only the recorded slot tells it was sealed for a.
 * It must not verify slot b.
 */
TEST_F(tpm, blob_copied_to_other_slot_refused)
{
	struct fwg_tpm_subject a = subject_make(1, 3, "a"), got;
	struct fwg_tpm_sealed_info info;
	char path_a[512], path_b[512];
	uint8_t buf[4096];
	size_t len = 0;

	slot_blob(self, "a", path_a, sizeof(path_a));
	slot_blob(self, "b", path_b, sizeof(path_b));
	ASSERT_EQ(0, fwg_tpm_seal(self->tpm, &a));
	ASSERT_EQ(0, file_bytes(path_a, buf, sizeof(buf), &len));
	ASSERT_EQ(0, file_put(path_b, buf, len));

	EXPECT_EQ(FWG_TPM_E_BAD_BLOB,
		  fwg_sealed_info_read(self->sw.statedir, "firmware", "b", &info));
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &a));
	EXPECT_EQ(FWG_TPM_E_BAD_BLOB,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "b", a.digest, &got));
	ASSERT_NOTHING_LOADED(self->tpm);
	/* The genuine record under its own name still verifies. */
	EXPECT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", "a", a.digest, &got));
}

/* Flip one byte of the TPM private area, then fix the file checksum so the
 * TPM's own integrity check is what has to catch it. */
static void corrupt_private(struct __test_metadata *_metadata, const char *path,
			    bool fix_checksum)
{
	uint8_t buf[4096];
	size_t len = 0;

	ASSERT_EQ(0, file_bytes(path, buf, sizeof(buf), &len));
	ASSERT_GT(len, 200u);
	buf[len - 32 - 40] ^= 0x01;
	if (fix_checksum) {
		EVP_Digest(buf, len - 32, buf + len - 32, NULL, EVP_sha256(), NULL);
	}
	ASSERT_EQ(0, file_put(path, buf, len));
}

TEST_F(tpm, unseal_corrupt_blob_fails_cleanly)
{
	struct fwg_tpm_subject s = subject_make(1, 7, "b"), got;
	uint32_t lockout = 99;

	ASSERT_EQ(0, install(self, &s));
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &s));

	corrupt_private(_metadata, self->blob, true);
	EXPECT_EQ(FWG_TPM_E_BAD_BLOB,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", s.slot, s.digest, &got));
	corrupt_private(_metadata, self->blob, false);
	EXPECT_EQ(FWG_TPM_E_BAD_BLOB,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", s.slot, s.digest, &got));
	ASSERT_EQ(0, truncate(self->blob, 100));
	EXPECT_EQ(FWG_TPM_E_BAD_BLOB,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", s.slot, s.digest, &got));
	/* The TPM stays healthy and untouched by the failures. */
	ASSERT_NOTHING_LOADED(self->tpm);
	ASSERT_EQ(0, fwg_tpm_lockout_counter(self->tpm, &lockout));
	EXPECT_EQ(0u, lockout);
}

/* The clear prediction in the header must be the one the object is bound to:
 * status shows it, and an object bound elsewhere is refused. */
TEST_F(tpm, unseal_refuses_header_prediction_mismatch)
{
	struct fwg_tpm_subject s = subject_make(1, 7, "b"), got;
	uint8_t buf[4096];
	size_t len = 0;

	ASSERT_EQ(0, install(self, &s));
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &s));
	ASSERT_EQ(0, file_bytes(self->blob, buf, sizeof(buf), &len));
	buf[24] ^= 0x80;	/* predicted PCR value, offset 24 */
	EVP_Digest(buf, len - 32, buf + len - 32, NULL, EVP_sha256(), NULL);
	ASSERT_EQ(0, file_put(self->blob, buf, len));
	EXPECT_EQ(FWG_TPM_E_BAD_BLOB,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", s.slot, s.digest, &got));
	ASSERT_NOTHING_LOADED(self->tpm);
}

TEST_F(tpm, lockout_counter_stays_zero)
{
	struct fwg_tpm_subject s = subject_make(1, 7, "b"), got;
	struct fwg_tpm_subject bad = subject_make(3, 7, "b");
	uint64_t floor = 0;
	uint32_t lockout = 99;

	ASSERT_EQ(0, fwg_tpm_floor_provision(self->tpm));
	ASSERT_EQ(0, install(self, &s));
	ASSERT_EQ(0, fwg_tpm_floor_raise(self->tpm, 7, &floor));
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &s));
	ASSERT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", s.slot, s.digest, &got));
	/* A tampered boot's policy failure must not count either. */
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &bad));
	ASSERT_EQ(FWG_TPM_E_PCR_MISMATCH,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", s.slot, s.digest, &got));
	ASSERT_EQ(0, fwg_tpm_lockout_counter(self->tpm, &lockout));
	EXPECT_EQ(0u, lockout);
}

struct kill_after {
	struct swtpm *sw;
	unsigned long at;
};

static void kill_hook(void *arg, unsigned long commands)
{
	struct kill_after *k = arg;

	if (commands == k->at)
		swtpm_kill(k->sw);
}

TEST_F(tpm, swtpm_killed_mid_seal_keeps_old_blob)
{
	/* Both in slot b: the second seal would replace the first's record. */
	struct fwg_tpm_subject s1 = subject_make(1, 7, "b");
	struct fwg_tpm_subject s2 = subject_make(2, 8, "b");
	uint8_t before[4096], after[4096];
	size_t before_len = 0, after_len = 0;
	struct kill_after k = { .sw = &self->sw };
	char sealed_dir[512];
	unsigned long commands;

	ASSERT_EQ(0, fwg_tpm_seal(self->tpm, &s1));
	ASSERT_EQ(0, file_bytes(self->blob, before, sizeof(before), &before_len));

	/* Die right after the first command of the next seal (the storage
	 * parent lookup of a new session), before the TPM created anything. */
	fwg_tpm_end_session(self->tpm);
	fwg_tpm_stats(self->tpm, &commands, NULL);
	k.at = commands + 1;
	fwg_tpm_set_command_hook(self->tpm, kill_hook, &k);
	EXPECT_EQ(FWG_TPM_E_UNAVAILABLE, fwg_tpm_seal(self->tpm, &s2));
	fwg_tpm_set_command_hook(self->tpm, NULL, NULL);

	ASSERT_EQ(0, file_bytes(self->blob, after, sizeof(after), &after_len));
	ASSERT_EQ(before_len, after_len);
	EXPECT_EQ(0, memcmp(before, after, before_len));
	snprintf(sealed_dir, sizeof(sealed_dir), "%s/sealed", self->sw.statedir);
	EXPECT_EQ(1, count_entries(sealed_dir));	/* no temp file left */

	/* The old blob still unseals on the next boot. */
	ASSERT_EQ(0, swtpm_start(&self->sw));
	ASSERT_EQ(0, tpm_connect(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &s1));
	EXPECT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", s1.slot, s1.digest, &s2));
}

TEST_F(tpm, swtpm_killed_mid_unseal_is_unavailable)
{
	struct fwg_tpm_subject s = subject_make(1, 7, "a"), got;
	struct kill_after k = { .sw = &self->sw };
	unsigned long commands;

	ASSERT_EQ(0, install(self, &s));
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &s));
	fwg_tpm_stats(self->tpm, &commands, NULL);
	k.at = commands + 2;	/* after the Load */
	fwg_tpm_set_command_hook(self->tpm, kill_hook, &k);
	EXPECT_EQ(FWG_TPM_E_UNAVAILABLE,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", s.slot, s.digest, &got));
}

TEST_F(tpm, floor_only_moves_up)
{
	uint64_t floor = 0, start = 0;

	EXPECT_EQ(FWG_TPM_E_NOT_PROVISIONED, fwg_tpm_floor_read(self->tpm, &floor));
	ASSERT_EQ(0, fwg_tpm_floor_provision(self->tpm));
	ASSERT_EQ(0, fwg_tpm_floor_provision(self->tpm));	/* idempotent */
	ASSERT_EQ(0, fwg_tpm_floor_read(self->tpm, &start));
	EXPECT_EQ(1ull, start);

	ASSERT_EQ(0, fwg_tpm_floor_raise(self->tpm, 5, &floor));
	EXPECT_EQ(5ull, floor);
	EXPECT_EQ(FWG_TPM_E_STALE, fwg_tpm_floor_raise(self->tpm, 4, &floor));
	EXPECT_EQ(FWG_TPM_E_STALE, fwg_tpm_floor_raise(self->tpm, 0, &floor));
	EXPECT_EQ(-E2BIG, fwg_tpm_floor_raise(self->tpm,
					      5 + FWG_TPM_FLOOR_MAX_STEP + 1, &floor));
	ASSERT_EQ(0, fwg_tpm_floor_raise(self->tpm, 5, &floor));	/* no-op */
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_floor_read(self->tpm, &floor));
	EXPECT_EQ(5ull, floor);
}

TEST_F(tpm, eventlog_replays_to_pcr)
{
	struct fwg_tpm_subject a = subject_make(1, 7, "a");
	struct fwg_tpm_subject b = subject_make(2, 8, "b");
	uint8_t pcr[FWG_DIGEST_SIZE], replayed[FWG_DIGEST_SIZE];
	unsigned int events = 0;

	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &a));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &b));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &a));
	ASSERT_EQ(0, fwg_eventlog_replay(self->sw.statedir, PCR, replayed, &events));
	ASSERT_EQ(0, fwg_tpm_pcr_read(self->tpm, pcr));
	EXPECT_EQ(3u, events);
	EXPECT_EQ(0, memcmp(pcr, replayed, sizeof(pcr)));

	/* A new boot starts a new chain in the same log. */
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &b));
	ASSERT_EQ(0, fwg_eventlog_replay(self->sw.statedir, PCR, replayed, &events));
	ASSERT_EQ(0, fwg_tpm_pcr_read(self->tpm, pcr));
	EXPECT_EQ(1u, events);
	EXPECT_EQ(0, memcmp(pcr, replayed, sizeof(pcr)));
}

TEST_F(tpm, resettable_pcrs_refused)
{
	struct fwg_tpm_options opts = { .tcti = self->sw.tcti,
					.state_dir = self->sw.statedir, .pcr = 16 };
	struct fwg_tpm *t = NULL;

	EXPECT_EQ(-EPERM, fwg_tpm_open(&opts, &t));
	opts.pcr = 23;
	EXPECT_EQ(-EPERM, fwg_tpm_open(&opts, &t));
	opts.allow_resettable_pcr = true;
	ASSERT_EQ(0, fwg_tpm_open(&opts, &t));
	fwg_tpm_close(t);
}

TEST_F(tpm, tcti_from_environment)
{
	struct fwg_tpm_options opts = { .state_dir = self->sw.statedir, .pcr = -1 };
	uint8_t pcr[FWG_DIGEST_SIZE];
	struct fwg_tpm *t = NULL;

	setenv(FWG_TCTI_ENV, self->sw.tcti, 1);
	ASSERT_EQ(0, fwg_tpm_open(&opts, &t));
	EXPECT_EQ((unsigned int)FWG_DEFAULT_PCR, fwg_tpm_pcr_index(t));
	EXPECT_EQ(0, fwg_tpm_pcr_read(t, pcr));
	fwg_tpm_close(t);
	unsetenv(FWG_TCTI_ENV);
}

/* A raw ESYS context on the fixture's swtpm, for playing the attacker. */
static ESYS_CONTEXT *raw_esys(struct swtpm *sw, TSS2_TCTI_CONTEXT **tcti)
{
	ESYS_CONTEXT *esys = NULL;

	if (Tss2_TctiLdr_Initialize(sw->tcti, tcti) != TSS2_RC_SUCCESS)
		return NULL;
	if (Esys_Initialize(&esys, *tcti, NULL) != TSS2_RC_SUCCESS) {
		Tss2_TctiLdr_Finalize(tcti);
		return NULL;
	}
	return esys;
}

static void raw_close(ESYS_CONTEXT *esys, TSS2_TCTI_CONTEXT *tcti)
{
	Esys_Finalize(&esys);
	Tss2_TctiLdr_Finalize(&tcti);
}

TEST_F(tpm, floor_impostor_index_refused)
{
	TPM2B_NV_PUBLIC pub = { .nvPublic = {
		.nvIndex = FWG_TPM_FLOOR_NV_INDEX, .nameAlg = TPM2_ALG_SHA256,
		.attributes = TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD | TPMA_NV_NO_DA,
		.dataSize = 8 } };
	TPM2B_MAX_NV_BUFFER zeros = { .size = 8 };
	TPM2B_AUTH auth = { .size = 0 };
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_CONTEXT *esys;
	ESYS_TR nv = ESYS_TR_NONE;
	uint64_t floor = 77;

	/* Root defines an ordinary index full of zeros at our handle. */
	esys = raw_esys(&self->sw, &tcti);
	ASSERT_NE(NULL, esys);
	ASSERT_EQ(TSS2_RC_SUCCESS,
		  Esys_NV_DefineSpace(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
				      ESYS_TR_NONE, ESYS_TR_NONE, &auth, &pub, &nv));
	ASSERT_EQ(TSS2_RC_SUCCESS,
		  Esys_NV_Write(esys, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &zeros, 0));
	raw_close(esys, tcti);

	EXPECT_EQ(-EEXIST, fwg_tpm_floor_read(self->tpm, &floor));
	EXPECT_EQ(-EEXIST, fwg_tpm_floor_raise(self->tpm, 3, &floor));
	EXPECT_EQ(-EEXIST, fwg_tpm_floor_provision(self->tpm));
	EXPECT_EQ(77ull, floor);
}

TEST_F(tpm, floor_redefined_counter_does_not_go_down)
{
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_CONTEXT *esys;
	ESYS_TR nv = ESYS_TR_NONE;
	uint64_t floor = 0;

	/* Firmware closed the platform hierarchy before provisioning, so the
	 * counter is owner-created (test_floor_nv.c has the platform one). */
	esys = raw_esys(&self->sw, &tcti);
	ASSERT_NE(NULL, esys);
	ASSERT_EQ(TSS2_RC_SUCCESS,
		  Esys_HierarchyControl(esys, ESYS_TR_RH_PLATFORM, ESYS_TR_PASSWORD,
					ESYS_TR_NONE, ESYS_TR_NONE,
					ESYS_TR_RH_PLATFORM, TPM2_NO));
	ASSERT_EQ(0, fwg_tpm_floor_provision(self->tpm));
	ASSERT_EQ(0, fwg_tpm_floor_raise(self->tpm, 9, &floor));

	/* Root, holding owner authorization, deletes the counter... */
	ASSERT_EQ(TSS2_RC_SUCCESS,
		  Esys_TR_FromTPMPublic(esys, FWG_TPM_FLOOR_NV_INDEX, ESYS_TR_NONE,
					ESYS_TR_NONE, ESYS_TR_NONE, &nv));
	ASSERT_EQ(TSS2_RC_SUCCESS,
		  Esys_NV_UndefineSpace(esys, ESYS_TR_RH_OWNER, nv,
					ESYS_TR_PASSWORD, ESYS_TR_NONE,
					ESYS_TR_NONE));
	raw_close(esys, tcti);

	/* ...and provisions it again: the TPM starts it above the old value. */
	ASSERT_EQ(FWG_TPM_E_NOT_PROVISIONED, fwg_tpm_floor_read(self->tpm, &floor));
	ASSERT_EQ(0, fwg_tpm_floor_provision(self->tpm));
	ASSERT_EQ(0, fwg_tpm_floor_read(self->tpm, &floor));
	EXPECT_LE(9ull, floor);
	TH_LOG("floor after undefine and redefine: %llu", (unsigned long long)floor);
}

/*
 * Root persists another storage key at the SRK handle, as platforms that
 * provision their own (often RSA) SRK do. An ECC key with a different
 * unique field stands in for it: a different key, but quick to make.
 */
static int persist_foreign_srk(struct swtpm *sw)
{
	TPM2B_PUBLIC tmpl = { .publicArea = {
		.type = TPM2_ALG_ECC, .nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				    TPMA_OBJECT_SENSITIVEDATAORIGIN |
				    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA |
				    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
		.parameters.eccDetail = {
			.symmetric = { .algorithm = TPM2_ALG_AES,
				       .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB },
			.scheme.scheme = TPM2_ALG_NULL,
			.curveID = TPM2_ECC_NIST_P256,
			.kdf.scheme = TPM2_ALG_NULL },
		.unique.ecc.x = { .size = 7, .buffer = "foreign" } } };
	TPM2B_SENSITIVE_CREATE sens = { .size = 0 };
	TPM2B_DATA outside = { .size = 0 };
	TPML_PCR_SELECTION none = { .count = 0 };
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_TR key = ESYS_TR_NONE, persistent = ESYS_TR_NONE;
	ESYS_CONTEXT *esys = raw_esys(sw, &tcti);
	TSS2_RC rc;

	if (!esys)
		return -ENODEV;
	rc = Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
				ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl, &outside,
				&none, &key, NULL, NULL, NULL, NULL);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_EvictControl(esys, ESYS_TR_RH_OWNER, key, ESYS_TR_PASSWORD,
				       ESYS_TR_NONE, ESYS_TR_NONE,
				       FWG_TPM_SRK_HANDLE, &persistent);
	if (key != ESYS_TR_NONE)
		Esys_FlushContext(esys, key);
	raw_close(esys, tcti);
	return rc == TSS2_RC_SUCCESS ? 0 : -EIO;
}

TEST_F(tpm, sealed_blob_follows_its_parent)
{
	struct fwg_tpm_subject a = subject_make(1, 7, "a");
	struct fwg_tpm_subject got;
	bool created = false;

	/* a: sealed under the transient ECC primary. */
	ASSERT_EQ(0, install(self, &a));
	/* The same key made persistent: a still loads, now via 0x81000001. */
	ASSERT_EQ(0, fwg_tpm_srk_persist(self->tpm, &created));
	ASSERT_TRUE(created);
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &a));
	EXPECT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", a.slot, a.digest, &got));
	ASSERT_NOTHING_LOADED(self->tpm);
	EXPECT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", a.slot, a.digest, &got));
}

TEST_F(tpm, foreign_srk_does_not_strand_old_blobs)
{
	struct fwg_tpm_subject a = subject_make(1, 7, "a"), got;
	bool present = false;

	ASSERT_EQ(0, install(self, &a));
	ASSERT_EQ(0, persist_foreign_srk(&self->sw));
	ASSERT_EQ(0, fwg_tpm_srk_present(self->tpm, &present));
	ASSERT_TRUE(present);
	ASSERT_EQ(0, tpm_reboot(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_measure(self->tpm, &a));
	/* The key at 0x81000001 is not a's parent: the ECC primary is. */
	EXPECT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", a.slot, a.digest, &got));
	ASSERT_NOTHING_LOADED(self->tpm);
}

/* The command line: exit codes, and bad input changes nothing. */

/*
 * Run `updatectl tpm a1...` (the built binary: tests link the library, not
 * the command layer) with its stdout sent to the file out; its exit status.
 */
static int run_cli_to(FIXTURE_DATA(tpm) *self, const char *out, const char *a1,
		      const char *a2, const char *a3, const char *a4,
		      const char *a5, const char *a6, const char *a7,
		      const char *a8)
{
	const char *extra[] = { a1, a2, a3, a4, a5, a6, a7, a8 };
	char *argv[24];
	int argc = 0, status, fd;
	size_t i;
	pid_t pid;

	argv[argc++] = FWGUARD_BUILD "/bin/updatectl";
	argv[argc++] = "tpm";
	for (i = 0; i < 8 && extra[i]; i++)
		argv[argc++] = (char *)extra[i];
	argv[argc++] = "--tcti";
	argv[argc++] = self->sw.tcti;
	argv[argc++] = "--state-dir";
	argv[argc++] = self->sw.statedir;
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

static int run_cli(FIXTURE_DATA(tpm) *self, const char *a1, const char *a2,
		   const char *a3, const char *a4, const char *a5, const char *a6,
		   const char *a7, const char *a8)
{
	return run_cli_to(self, "/dev/null", a1, a2, a3, a4, a5, a6, a7, a8);
}

#define DIGEST_A "1111111111111111111111111111111111111111111111111111111111111111"
#define DIGEST_B "2222222222222222222222222222222222222222222222222222222222222222"

TEST_F(tpm, cli_flow_and_exit_codes)
{
	EXPECT_EQ(UC_EXIT_OK, run_cli(self, "provision", NULL, NULL, NULL, NULL,
				      NULL, NULL, NULL));
	EXPECT_EQ(UC_EXIT_OK, run_cli(self, "measure", "--component", "fw",
				      "--slot", "b", "--version", "2",
				      "--digest=" DIGEST_B));
	EXPECT_EQ(UC_EXIT_OK, run_cli(self, "measure", "--component", "fw",
				      "--slot", "a", "--version", "3",
				      "--digest=" DIGEST_A));
	EXPECT_EQ(UC_EXIT_OK, run_cli(self, "seal", "--component", "fw",
				      "--slot", "a", "--version", "3",
				      "--digest=" DIGEST_A));
	EXPECT_EQ(UC_EXIT_OK, run_cli(self, "status", "--json", NULL, NULL, NULL,
				      NULL, NULL, NULL));
	EXPECT_EQ(UC_EXIT_OK, run_cli(self, "replay", NULL, NULL, NULL, NULL,
				      NULL, NULL, NULL));
	EXPECT_EQ(UC_EXIT_VERIFY, run_cli(self, "unseal-verify", "--component",
					  "fw", "--slot", "a", "--digest=" DIGEST_A,
					  NULL, NULL));
	ASSERT_EQ(0, swtpm_reboot(&self->sw));
	EXPECT_EQ(UC_EXIT_OK, run_cli(self, "measure", "--component", "fw",
				      "--slot", "a", "--version", "3",
				      "--digest=" DIGEST_A));
	EXPECT_EQ(UC_EXIT_OK, run_cli(self, "unseal-verify", "--component", "fw",
				      "--slot", "a", "--digest=" DIGEST_A, NULL,
				      NULL));
	EXPECT_EQ(UC_EXIT_VERIFY, run_cli(self, "unseal-verify", "--component",
					  "fw", "--slot", "a", "--digest=" DIGEST_B,
					  NULL, NULL));
	EXPECT_EQ(UC_EXIT_IO, run_cli(self, "unseal-verify", "--component",
				      "fw", "--slot", "b", "--digest=" DIGEST_B,
				      NULL, NULL));
	EXPECT_EQ(UC_EXIT_IO, run_cli(self, "unseal-verify", "--component",
				      "other", "--slot", "a", "--digest=" DIGEST_A,
				      NULL, NULL));
	EXPECT_EQ(UC_EXIT_OK, run_cli(self, "floor", "--raise", "3", NULL, NULL,
				      NULL, NULL, NULL));
	EXPECT_EQ(UC_EXIT_VERIFY, run_cli(self, "floor", "--raise", "2", NULL,
					  NULL, NULL, NULL, NULL));
	swtpm_kill(&self->sw);
	EXPECT_EQ(UC_EXIT_TPM, run_cli(self, "status", NULL, NULL, NULL, NULL,
				       NULL, NULL, NULL));
}

TEST_F(tpm, cli_bad_input_changes_nothing)
{
	uint8_t pcr[FWG_DIGEST_SIZE], zero[FWG_DIGEST_SIZE] = { 0 };

	EXPECT_EQ(UC_EXIT_USAGE, run_cli(self, "measure", "--component", "fw",
					 "--slot", "a", "--version", "x",
					 "--digest=" DIGEST_A));
	EXPECT_EQ(UC_EXIT_USAGE, run_cli(self, "measure", "--component", "f/w",
					 "--slot", "a", "--version", "1",
					 "--digest=" DIGEST_A));
	EXPECT_EQ(UC_EXIT_USAGE, run_cli(self, "seal", "--component", "fw",
					 "--slot", "a", "--version", "1",
					 "--digest=abc"));
	EXPECT_EQ(UC_EXIT_USAGE, run_cli(self, "seal", "--component", "fw",
					 "--slot", "a", "--version", "1", NULL));
	EXPECT_EQ(UC_EXIT_USAGE, run_cli(self, "measure", "--component", "fw",
					 "--slot", "a", "--version", "1",
					 "--pcr=16"));
	EXPECT_EQ(UC_EXIT_USAGE, run_cli(self, "unseal-verify", "--component", "fw",
					 "--digest=" DIGEST_A, NULL, NULL, NULL,
					 NULL));
	EXPECT_EQ(UC_EXIT_USAGE, run_cli(self, "unseal-verify", "--component", "fw",
					 "--slot", "a@b", "--digest=" DIGEST_A,
					 NULL, NULL));
	EXPECT_EQ(UC_EXIT_USAGE, run_cli(self, "floor", "--raise", "-1", NULL,
					 NULL, NULL, NULL, NULL));
	EXPECT_EQ(UC_EXIT_USAGE, run_cli(self, "frobnicate", NULL, NULL, NULL,
					 NULL, NULL, NULL, NULL));
	EXPECT_EQ(UC_EXIT_USAGE, run_cli(self, "status", "extra", NULL, NULL,
					 NULL, NULL, NULL, NULL));
	/* Nothing on disk, nothing in the PCR, no floor defined. */
	EXPECT_EQ(0, count_entries(self->sw.statedir));
	ASSERT_EQ(0, fwg_tpm_pcr_read(self->tpm, pcr));
	EXPECT_EQ(0, memcmp(pcr, zero, sizeof(pcr)));
	EXPECT_EQ(FWG_TPM_E_NOT_PROVISIONED, fwg_tpm_floor_read(self->tpm, &(uint64_t){ 0 }));
}

static bool file_contains(const char *path, const char *needle)
{
	char buf[8192];
	size_t len;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	return strstr(buf, needle) != NULL;
}

/* status lists one record per component and slot, found by file name. */
TEST_F(tpm, cli_status_lists_every_slot)
{
	char out[512], stray[512];

	snprintf(out, sizeof(out), "%s/status.out", self->sw.statedir);
	EXPECT_EQ(UC_EXIT_OK, run_cli(self, "seal", "--component", "fw",
				      "--slot", "a", "--version", "3",
				      "--digest=" DIGEST_A));
	EXPECT_EQ(UC_EXIT_OK, run_cli(self, "seal", "--component", "fw",
				      "--slot", "b", "--version", "4",
				      "--digest=" DIGEST_B));
	/* Neither a record name nor ours: not listed. */
	snprintf(stray, sizeof(stray), "%s/sealed/fw.seal.tmp123456",
		 self->sw.statedir);
	ASSERT_EQ(0, file_put(stray, (const uint8_t *)"x", 1));
	ASSERT_EQ(UC_EXIT_OK, run_cli_to(self, out, "status", "--json", NULL, NULL,
					 NULL, NULL, NULL, NULL));
	EXPECT_TRUE(file_contains(out, "\"sealed\":[{\"component\":\"fw\","
				  "\"slot\":\"a\",\"state\":\"ok\",\"version\":3,"));
	EXPECT_TRUE(file_contains(out, "},{\"component\":\"fw\",\"slot\":\"b\","
				  "\"state\":\"ok\",\"version\":4,"));
	EXPECT_FALSE(file_contains(out, "tmp"));
	ASSERT_EQ(UC_EXIT_OK, run_cli_to(self, out, "status", NULL, NULL, NULL,
					 NULL, NULL, NULL, NULL));
	EXPECT_TRUE(file_contains(out, "sealed fw slot a: version 3 digest " DIGEST_A));
	EXPECT_TRUE(file_contains(out, "sealed fw slot b: version 4 digest " DIGEST_B));
}

/* A TPM with only the SHA-1 bank allocated: refuse, write nothing. */
TEST(sha1_only_bank_refused)
{
	struct fwg_tpm_subject s = subject_make(1, 7, "a");
	struct fwg_tpm_options opts = { .pcr = PCR };
	struct fwg_tpm *t = NULL;
	struct swtpm sw;
	uint8_t pcr[FWG_DIGEST_SIZE];

	setenv("TSS2_LOG", "all+NONE", 1);
	memset(&sw, 0, sizeof(sw));
	ASSERT_EQ(0, swtpm_setup_fresh(&sw, true));
	opts.tcti = sw.tcti;
	opts.state_dir = sw.statedir;
	if (fwg_tpm_open(&opts, &t) == 0) {
		EXPECT_EQ(FWG_TPM_E_NO_BANK, fwg_tpm_seal(t, &s));
		EXPECT_EQ(FWG_TPM_E_NO_BANK, fwg_tpm_measure(t, &s));
		EXPECT_EQ(FWG_TPM_E_NO_BANK, fwg_tpm_pcr_read(t, pcr));
		EXPECT_EQ(0, count_entries(sw.statedir));
		fwg_tpm_close(t);
	} else {
		TH_LOG("cannot open the SHA-1-only TPM");
		_metadata->passed = 0;
	}
	swtpm_teardown(&sw);
}

TEST_HARNESS_MAIN
