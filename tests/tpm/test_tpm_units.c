// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests of the tpm/ pieces that need no TPM: return-code decoding and
 * the bounded retry rule, name and hex validation, the event log parser and
 * replay, and the sealed-blob parser on malformed files. Each table row is
 * one refusal with its exact errno.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "tpm/tpm-internal.h"

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"
#define ONES64 "1111111111111111111111111111111111111111111111111111111111111111"
#define TWOS64 "2222222222222222222222222222222222222222222222222222222222222222"

TEST(rc_base_strips_layer_and_numbers)
{
	EXPECT_EQ(TPM2_RC_POLICY_FAIL, fwg_tpm_rc_base(TPM2_RC_POLICY_FAIL | TPM2_RC_S | TPM2_RC_1));
	EXPECT_EQ(TPM2_RC_HANDLE, fwg_tpm_rc_base(TPM2_RC_HANDLE | TPM2_RC_P | TPM2_RC_1));
	EXPECT_EQ(TPM2_RC_RETRY, fwg_tpm_rc_base(TSS2_RESMGR_TPM_RC_LAYER | TPM2_RC_RETRY));
	EXPECT_EQ(TSS2_TCTI_RC_IO_ERROR, fwg_tpm_rc_base(TSS2_TCTI_RC_IO_ERROR));
}

TEST(rc_errno_tells_unavailable_from_failure)
{
	EXPECT_EQ(FWG_TPM_E_UNAVAILABLE, fwg_tpm_rc_errno(TSS2_TCTI_RC_IO_ERROR));
	EXPECT_EQ(FWG_TPM_E_UNAVAILABLE, fwg_tpm_rc_errno(TSS2_TCTI_RC_NO_CONNECTION));
	EXPECT_EQ(FWG_TPM_E_UNAVAILABLE, fwg_tpm_rc_errno(TSS2_ESYS_RC_IO_ERROR));
	EXPECT_EQ(-EIO, fwg_tpm_rc_errno(TPM2_RC_POLICY_FAIL));
	EXPECT_EQ(-EIO, fwg_tpm_rc_errno(TSS2_ESYS_RC_MALFORMED_RESPONSE));
}

/* A salted session that did not authenticate, either way round. */
TEST(rc_errno_names_an_untrusted_tpm)
{
	EXPECT_EQ(FWG_TPM_E_UNTRUSTED, fwg_tpm_rc_errno(TSS2_ESYS_RC_RSP_AUTH_FAILED));
	EXPECT_EQ(FWG_TPM_E_UNTRUSTED, fwg_tpm_rc_errno(TPM2_RC_AUTH_FAIL | TPM2_RC_S | TPM2_RC_1));
	EXPECT_EQ(FWG_TPM_E_UNTRUSTED, fwg_tpm_rc_errno(TPM2_RC_BAD_AUTH | TPM2_RC_S | TPM2_RC_2));
	EXPECT_EQ(-EIO, fwg_tpm_rc_errno(TPM2_RC_POLICY_FAIL | TPM2_RC_S | TPM2_RC_1));
	EXPECT_EQ(-EIO, fwg_tpm_rc_errno(TPM2_RC_INTEGRITY | TPM2_RC_P | TPM2_RC_1));
}

TEST(retry_is_bounded_and_only_for_transient_codes)
{
	struct timespec a, b;
	unsigned int n = 0;

	EXPECT_FALSE(fwg_tpm_retry_wait(TSS2_RC_SUCCESS, 0));
	EXPECT_FALSE(fwg_tpm_retry_wait(TPM2_RC_POLICY_FAIL, 0));
	EXPECT_FALSE(fwg_tpm_retry_wait(TSS2_TCTI_RC_IO_ERROR, 0));
	EXPECT_TRUE(fwg_tpm_retry_wait(TPM2_RC_TESTING, 0));
	EXPECT_TRUE(fwg_tpm_retry_wait(TPM2_RC_YIELDED, 0));
	EXPECT_TRUE(fwg_tpm_retry_wait(TSS2_RESMGR_TPM_RC_LAYER | TPM2_RC_RETRY, 0));

	/* A TPM that answers RETRY forever costs FWG_TPM_RETRIES calls. */
	clock_gettime(CLOCK_MONOTONIC, &a);
	while (fwg_tpm_retry_wait(TPM2_RC_RETRY, n))
		n++;
	clock_gettime(CLOCK_MONOTONIC, &b);
	EXPECT_EQ(FWG_TPM_RETRIES - 1u, n);
	EXPECT_LT(b.tv_sec - a.tv_sec, 2);
}

TEST(pcr_index_policy)
{
	EXPECT_EQ(0, fwg_tpm_check_pcr_index(8, false));
	EXPECT_EQ(0, fwg_tpm_check_pcr_index(0, false));
	EXPECT_EQ(-EPERM, fwg_tpm_check_pcr_index(16, false));
	EXPECT_EQ(-EPERM, fwg_tpm_check_pcr_index(23, false));
	EXPECT_EQ(0, fwg_tpm_check_pcr_index(16, true));
	EXPECT_EQ(-EINVAL, fwg_tpm_check_pcr_index(24, true));
	EXPECT_EQ(-EINVAL, fwg_tpm_check_pcr_index(-1, true));
}

TEST(subject_names)
{
	EXPECT_TRUE(fwg_tpm_subject_name_valid("firmware", FWG_COMPONENT_MAX));
	EXPECT_TRUE(fwg_tpm_subject_name_valid("boot-A_1.2", FWG_COMPONENT_MAX));
	EXPECT_FALSE(fwg_tpm_subject_name_valid("", FWG_COMPONENT_MAX));
	EXPECT_FALSE(fwg_tpm_subject_name_valid(".hidden", FWG_COMPONENT_MAX));
	EXPECT_FALSE(fwg_tpm_subject_name_valid("a/b", FWG_COMPONENT_MAX));
	EXPECT_FALSE(fwg_tpm_subject_name_valid("a b", FWG_COMPONENT_MAX));
	EXPECT_FALSE(fwg_tpm_subject_name_valid("a\nslot=x", FWG_COMPONENT_MAX));
	EXPECT_FALSE(fwg_tpm_subject_name_valid("12345678901234567", FWG_SLOT_MAX));
	EXPECT_TRUE(fwg_tpm_subject_name_valid("1234567890123456", FWG_SLOT_MAX));
}

TEST(hex_digest)
{
	uint8_t d[FWG_DIGEST_SIZE] = { 0 };

	EXPECT_EQ(0, fwg_hex_decode_digest(ONES64, d));
	EXPECT_EQ(0x11, d[31]);
	EXPECT_EQ(-EINVAL, fwg_hex_decode_digest("11", d));
	EXPECT_EQ(-EINVAL, fwg_hex_decode_digest(ONES64 "1", d));
	EXPECT_EQ(-EINVAL, fwg_hex_decode_digest("g111111111111111111111111111111111111111111111111111111111111111", d));
}

/* Event log: a scratch state directory per test. */

FIXTURE(log) {
	char dir[64];
	char path[128];
};

FIXTURE_SETUP(log)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/fwguard-tpm-unit.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/eventlog", self->dir);
}

FIXTURE_TEARDOWN(log)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

static void put(struct __test_metadata *_metadata, const char *path,
		const char *text)
{
	FILE *f = fopen(path, "w");

	ASSERT_NE(NULL, f);
	fputs(text, f);
	fclose(f);
}

#define REC(pcr, digest, before) \
	"v1 time=1 pcr=" pcr " alg=sha256 digest=" digest " before=" before \
	" after=" ZERO64 " component=fw slot=a version=1\n"

TEST_F(log, replay_chains_per_boot_and_pcr)
{
	uint8_t value[FWG_DIGEST_SIZE], expect[FWG_DIGEST_SIZE] = { 0 };
	uint8_t ones[FWG_DIGEST_SIZE], twos[FWG_DIGEST_SIZE];
	unsigned int events = 0;

	fwg_hex_decode_digest(ONES64, ones);
	fwg_hex_decode_digest(TWOS64, twos);
	/* Old boot (ones), new boot: twos, then a PCR 9 record, then ones. */
	put(_metadata, self->path,
	    REC("8", ONES64, ZERO64) REC("8", TWOS64, ZERO64)
	    REC("9", ONES64, ZERO64) REC("8", ONES64, ONES64));
	ASSERT_EQ(0, fwg_eventlog_replay(self->dir, 8, value, &events));
	EXPECT_EQ(2u, events);
	ASSERT_EQ(0, fwg_sha256(expect, sizeof(expect), twos, sizeof(twos), expect));
	ASSERT_EQ(0, fwg_sha256(expect, sizeof(expect), ones, sizeof(ones), expect));
	EXPECT_EQ(0, memcmp(value, expect, sizeof(value)));
}

TEST_F(log, replay_missing_log_is_reset_value)
{
	uint8_t value[FWG_DIGEST_SIZE], zero[FWG_DIGEST_SIZE] = { 0 };
	unsigned int events = 9;

	ASSERT_EQ(0, fwg_eventlog_replay(self->dir, 8, value, &events));
	EXPECT_EQ(0u, events);
	EXPECT_EQ(0, memcmp(value, zero, sizeof(zero)));
}

TEST_F(log, replay_refuses_malformed_lines)
{
	static const char *const bad[] = {
		REC("8", ONES64, ZERO64) "v1 time=1 pcr=8",		/* torn tail */
		"v2 time=1 pcr=8 alg=sha256 digest=" ONES64 " before=" ZERO64
		" after=" ZERO64 " component=fw slot=a version=1\n",	/* version */
		"v1 time=1 pcr=8 alg=sha1 digest=" ONES64 " before=" ZERO64
		" after=" ZERO64 " component=fw slot=a version=1\n",	/* bank */
		"v1 time=1 pcr=24 alg=sha256 digest=" ONES64 " before=" ZERO64
		" after=" ZERO64 " component=fw slot=a version=1\n",	/* pcr */
		"v1 time=1 pcr=8 alg=sha256 digest=" ONES64 "1 before=" ZERO64
		" after=" ZERO64 " component=fw slot=a version=1\n",	/* digest */
		"v1 time=1 pcr=8 alg=sha256 digest=" ONES64 " before=" ZERO64
		" after=" ZERO64 " component=fw slot=a version=1 x=1\n", /* extra */
		"v1 time=1 pcr=8 alg=sha256 before=" ZERO64 " digest=" ONES64
		" after=" ZERO64 " component=fw slot=a version=1\n",	/* order */
		"\n",							/* empty */
		"v1 time=x pcr=8 alg=sha256 digest=" ONES64 " before=" ZERO64
		" after=" ZERO64 " component=fw slot=a version=1\n",	/* time */
		"v1 time=1 pcr=8 alg=sha256 digest=" ONES64 " before=" ZERO64
		" after=" ZERO64 " component=f/w slot=a version=1\n",	/* name */
		"v1 time=1 pcr=8 alg=sha256 digest=" ONES64 " before=" ZERO64
		" after=zz component=fw slot=a version=1\n",		/* after */
		"v1 time=1 pcr=8 alg=sha256 digest=" ONES64 " before=" ZERO64
		" after=" ZERO64 " component=fw slot=a version=-1\n",	/* version */
	};
	uint8_t value[FWG_DIGEST_SIZE];
	unsigned int events;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(_metadata, self->path, bad[i]);
		EXPECT_EQ(-EBADMSG, fwg_eventlog_replay(self->dir, 8, value, &events))
			TH_LOG("case %zu", i);
	}
}

/* Sealed blob parser: garbage of every length is "corrupt", never a crash. */
TEST_F(log, sealed_blob_garbage_is_corrupt)
{
	struct fwg_tpm_sealed_info info;
	char sealed[128], blob[160];
	uint8_t buf[600];
	size_t len, i;
	FILE *f;

	snprintf(sealed, sizeof(sealed), "%s/sealed", self->dir);
	ASSERT_EQ(0, mkdir(sealed, 0700));
	snprintf(blob, sizeof(blob), "%s/fw@a.seal", sealed);
	EXPECT_EQ(FWG_TPM_E_NO_BLOB, fwg_sealed_info_read(self->dir, "fw", "a", &info));
	EXPECT_EQ(-EINVAL, fwg_sealed_info_read(self->dir, "../x", "a", &info));
	EXPECT_EQ(-EINVAL, fwg_sealed_info_read(self->dir, "fw", "../x", &info));
	srand(1);
	for (len = 0; len < sizeof(buf); len += 37) {
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rand();
		if (len >= 8)
			memcpy(buf, "FWGSEAL1", 8);
		f = fopen(blob, "wb");
		ASSERT_NE(NULL, f);
		fwrite(buf, 1, len, f);
		fclose(f);
		EXPECT_EQ(FWG_TPM_E_BAD_BLOB,
			  fwg_sealed_info_read(self->dir, "fw", "a", &info))
			TH_LOG("length %zu", len);
	}
	/* Bigger than any blob we write. */
	f = fopen(blob, "wb");
	ASSERT_NE(NULL, f);
	for (i = 0; i < 5000; i++)
		fputc('x', f);
	fclose(f);
	EXPECT_EQ(FWG_TPM_E_BAD_BLOB, fwg_sealed_info_read(self->dir, "fw", "a", &info));
}

/* One file per component and slot; '@' cannot occur in either name. */
TEST(sealed_blob_path_per_slot)
{
	char *path = (char *)"unset";

	ASSERT_EQ(0, fwg_sealed_blob_path("/var/lib/fwguard", "fw", "b", &path));
	EXPECT_STREQ("/var/lib/fwguard/sealed/fw@b.seal", path);
	free(path);
	path = (char *)"unset";
	EXPECT_EQ(-EINVAL, fwg_sealed_blob_path("/s", "fw", "a@b", &path));
	EXPECT_EQ(-EINVAL, fwg_sealed_blob_path("/s", "fw@a", "b", &path));
	EXPECT_EQ(-EINVAL, fwg_sealed_blob_path("/s", "fw", "a/b", &path));
	EXPECT_EQ(-EINVAL, fwg_sealed_blob_path("/s", "fw", "..", &path));
	EXPECT_EQ(-EINVAL, fwg_sealed_blob_path("/s", "fw", "", &path));
	EXPECT_EQ(-EINVAL, fwg_sealed_blob_path("/s", "fw", "12345678901234567", &path));
	EXPECT_STREQ("unset", path);	/* untouched on failure */
}

TEST_F(log, atomic_write_replaces_and_leaves_no_temp)
{
	char path[160];
	uint8_t *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/f", self->dir);
	ASSERT_EQ(0, fwg_write_file_atomic(path, "old", 3));
	ASSERT_EQ(0, fwg_write_file_atomic(path, "newer", 5));
	ASSERT_EQ(0, fwg_read_file(path, 16, &buf, &len));
	EXPECT_EQ(5u, len);
	EXPECT_EQ(0, memcmp(buf, "newer", 5));
	free(buf);
	EXPECT_EQ(-EFBIG, fwg_read_file(path, 4, &buf, &len));
	/* Only "f" and nothing else in the directory. */
	snprintf(path, sizeof(path), "ls -A %s | wc -l | grep -qx 1", self->dir);
	EXPECT_EQ(0, system(path));
}

TEST_HARNESS_MAIN
