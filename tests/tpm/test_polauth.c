// SPDX-License-Identifier: GPL-2.0-only
/*
 * Vendor-authorised sealing against swtpm (tpm/TPM.md "Vendor-authorised
 * sealing"). The vendor signs, on its build host, the PolicyPCR digest
 * predicted for a release; the device seals under PolicyAuthorize against
 * the vendor key and the TPM checks the signature at every unseal. Root on
 * the running device holds the TPM and every file: it reseals the slot's
 * record for a tampered image in each way it can, and the next boot must
 * refuse every one of them.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <tss2/tss2_tctildr.h>

#include "kselftest_harness.h"

#include "tests/tpm/abdev.h"
#include "tpm/tpm-internal.h"
#include "tpm/tpm.h"
#include "userspace/cli/exit_codes.h"
#include "userspace/common/fileio.h"

#define PCR 8
/* Blob header offsets (TPM.md "Blob file"). */
#define BLOB_OFF_PREDICTED	24
#define BLOB_OFF_DIGEST		56

static struct fwg_tpm_subject subject_make(uint8_t seed, uint64_t version)
{
	struct fwg_tpm_subject s;
	int i;

	memset(&s, 0, sizeof(s));
	strcpy(s.component, "firmware");
	strcpy(s.slot, "b");
	s.version = version;
	for (i = 0; i < FWG_DIGEST_SIZE; i++)
		s.digest[i] = (uint8_t)(seed + i * 7);
	return s;
}

/* A P-256 key pair: PATH (private, PEM) and PATH.pub (public, PEM). */
static int write_ec_key(const char *path)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char pub[320];
	FILE *f = fopen(path, "w"), *g;
	int ok = pkey && f && PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);

	if (f)
		fclose(f);
	snprintf(pub, sizeof(pub), "%s.pub", path);
	g = fopen(pub, "w");
	ok = ok && g && PEM_write_PUBKEY(g, pkey);
	if (g)
		fclose(g);
	EVP_PKEY_free(pkey);
	return ok ? 0 : -EIO;
}

FIXTURE(polauth) {
	struct swtpm sw;
	struct fwg_tpm *tpm;		/* the device's updatectl, vendor key set */
	struct fwg_vendor_key vendor;
	char vendor_pem[300], root_pem[300], blob[512];
};

static int open_ctx(FIXTURE_DATA(polauth) *self, const struct fwg_vendor_key *key,
		    struct fwg_tpm **ret)
{
	struct fwg_tpm_options opts = {
		.tcti = self->sw.tcti, .state_dir = self->sw.statedir, .pcr = PCR,
		.vendor_key = key,
	};

	return fwg_tpm_open(&opts, ret);
}

static int device_connect(FIXTURE_DATA(polauth) *self)
{
	fwg_tpm_close(self->tpm);
	self->tpm = NULL;
	return open_ctx(self, &self->vendor, &self->tpm);
}

/* The next boot: PCRs reset, boot-verify measures what the slot holds. */
static int boot_measuring(FIXTURE_DATA(polauth) *self, const struct fwg_tpm_subject *slot)
{
	int err;

	fwg_tpm_close(self->tpm);
	self->tpm = NULL;
	err = swtpm_reboot(&self->sw);
	if (!err)
		err = device_connect(self);
	return err ? err : fwg_tpm_measure(self->tpm, slot);
}

FIXTURE_SETUP(polauth)
{
	setenv("TSS2_LOG", "all+NONE", 1);
	self->tpm = NULL;
	ASSERT_EQ(0, swtpm_setup_fresh(&self->sw, false));
	snprintf(self->vendor_pem, sizeof(self->vendor_pem), "%s/vendor.pem", self->sw.dir);
	snprintf(self->root_pem, sizeof(self->root_pem), "%s/root.pem", self->sw.dir);
	snprintf(self->blob, sizeof(self->blob), "%s/sealed/firmware@b.seal",
		 self->sw.statedir);
	ASSERT_EQ(0, write_ec_key(self->vendor_pem));
	ASSERT_EQ(0, write_ec_key(self->root_pem));
	ASSERT_EQ(0, fwg_vendor_key_read(self->vendor_pem, &self->vendor));
	ASSERT_EQ(0, device_connect(self));
	ASSERT_EQ(0, fwg_tpm_floor_provision(self->tpm));	/* the factory: floor 1 */
}

FIXTURE_TEARDOWN(polauth)
{
	fwg_tpm_close(self->tpm);
	swtpm_teardown(&self->sw);
}

/* Install of a genuine release: the vendor's approval, then the seal. */
static int install_genuine(FIXTURE_DATA(polauth) *self, const struct fwg_tpm_subject *s)
{
	struct fwg_tpm_approval a;
	int err = fwg_approval_sign(self->vendor_pem, PCR, s, &a);

	if (!err)
		err = fwg_tpm_measure(self->tpm, s);
	return err ? err : fwg_tpm_seal_approved(self->tpm, s, &a);
}

static int blob_edit(const char *path, size_t off, const uint8_t *bytes, size_t n)
{
	uint8_t buf[4096];
	size_t len;
	FILE *f = fopen(path, "r+b");

	if (!f)
		return -errno;
	len = fread(buf, 1, sizeof(buf), f);
	if (len < off + n + SHA256_DIGEST_LENGTH) {
		fclose(f);
		return -EINVAL;
	}
	memcpy(buf + off, bytes, n);
	/* Root recomputes the torn-file checksum: it is no protection. */
	SHA256(buf, len - SHA256_DIGEST_LENGTH, buf + len - SHA256_DIGEST_LENGTH);
	rewind(f);
	fwrite(buf, 1, len, f);
	fclose(f);
	return 0;
}

TEST_F(polauth, approved_record_unseals_in_the_next_boot)
{
	struct fwg_tpm_subject s = subject_make(1, 3), got;
	struct fwg_tpm_sealed_info info;

	ASSERT_EQ(0, install_genuine(self, &s));
	ASSERT_EQ(0, fwg_sealed_info_read(self->sw.statedir, "firmware", "b", &info));
	EXPECT_TRUE(info.authorized);
	ASSERT_EQ(0, boot_measuring(self, &s));
	ASSERT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", "b", s.digest, &got));
	EXPECT_EQ(3u, got.version);
	EXPECT_EQ(0, memcmp(got.digest, s.digest, FWG_DIGEST_SIZE));
	ASSERT_NOTHING_LOADED(self->tpm);
}

TEST_F(polauth, approval_of_another_image_or_key_is_not_sealed)
{
	struct fwg_tpm_subject s = subject_make(1, 3), other = subject_make(2, 3);
	struct fwg_tpm_approval a;

	ASSERT_EQ(0, fwg_approval_sign(self->vendor_pem, PCR, &other, &a));
	EXPECT_EQ(-EKEYREJECTED, fwg_tpm_seal_approved(self->tpm, &s, &a));
	other = s;
	other.version = 4;	/* the same image, another version */
	ASSERT_EQ(0, fwg_approval_sign(self->vendor_pem, PCR, &other, &a));
	EXPECT_EQ(-EKEYREJECTED, fwg_tpm_seal_approved(self->tpm, &s, &a));
	ASSERT_EQ(0, fwg_approval_sign(self->root_pem, PCR, &s, &a));
	EXPECT_EQ(-ENOKEY, fwg_tpm_seal_approved(self->tpm, &s, &a));
	/* Without an approval there is nothing to seal. */
	EXPECT_EQ(-ENOKEY, fwg_tpm_seal(self->tpm, &s));
	EXPECT_NE(0, access(self->blob, F_OK));
}

/* Root seals a PolicyPCR-only record for its image (the old format). */
TEST_F(polauth, root_reseal_without_approval_is_refused)
{
	struct fwg_tpm_subject genuine = subject_make(1, 3), tampered = subject_make(9, 3), got;
	struct fwg_tpm *root = NULL;

	ASSERT_EQ(0, install_genuine(self, &genuine));
	ASSERT_EQ(0, open_ctx(self, NULL, &root));
	ASSERT_EQ(0, fwg_tpm_seal(root, &tampered));
	fwg_tpm_close(root);
	ASSERT_EQ(0, boot_measuring(self, &tampered));
	EXPECT_EQ(FWG_TPM_E_BAD_BLOB,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "b", tampered.digest, &got));
	ASSERT_NOTHING_LOADED(self->tpm);
}

/* Root signs an approval for its image with a key of its own. */
TEST_F(polauth, root_reseal_with_its_own_key_is_refused)
{
	struct fwg_tpm_subject genuine = subject_make(1, 3), tampered = subject_make(9, 3), got;
	struct fwg_vendor_key root_key;
	struct fwg_tpm_approval a;
	struct fwg_tpm *root = NULL;

	ASSERT_EQ(0, install_genuine(self, &genuine));
	ASSERT_EQ(0, fwg_vendor_key_read(self->root_pem, &root_key));
	ASSERT_EQ(0, fwg_approval_sign(self->root_pem, PCR, &tampered, &a));
	ASSERT_EQ(0, open_ctx(self, &root_key, &root));
	ASSERT_EQ(0, fwg_tpm_seal_approved(root, &tampered, &a));
	fwg_tpm_close(root);
	ASSERT_EQ(0, boot_measuring(self, &tampered));
	EXPECT_EQ(FWG_TPM_E_BAD_BLOB,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "b", tampered.digest, &got));
	ASSERT_NOTHING_LOADED(self->tpm);
}

/*
 * Root keeps the genuine record (the vendor's PolicyAuthorize, the vendor's
 * signature) and rewrites its header to claim the tampered image, so that
 * every software check agrees: the TPM's VerifySignature is what refuses.
 */
TEST_F(polauth, root_rewrites_the_approved_record_the_tpm_refuses)
{
	struct fwg_tpm_subject genuine = subject_make(1, 3), tampered = subject_make(9, 3), got;
	uint8_t predicted[FWG_DIGEST_SIZE];

	ASSERT_EQ(0, install_genuine(self, &genuine));
	ASSERT_EQ(0, fwg_tpm_predict_boot_pcr(tampered.digest, predicted));
	ASSERT_EQ(0, blob_edit(self->blob, BLOB_OFF_DIGEST, tampered.digest, FWG_DIGEST_SIZE));
	ASSERT_EQ(0, blob_edit(self->blob, BLOB_OFF_PREDICTED, predicted, FWG_DIGEST_SIZE));
	ASSERT_EQ(0, boot_measuring(self, &tampered));
	EXPECT_EQ(FWG_TPM_E_BAD_BLOB,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "b", tampered.digest, &got));
	ASSERT_NOTHING_LOADED(self->tpm);
}

/* The genuine record, a tampered slot: the PCR is not what was approved. */
TEST_F(polauth, tampered_slot_under_the_genuine_record_is_a_pcr_mismatch)
{
	struct fwg_tpm_subject genuine = subject_make(1, 3), tampered = subject_make(9, 3), got;

	ASSERT_EQ(0, install_genuine(self, &genuine));
	ASSERT_EQ(0, boot_measuring(self, &tampered));
	EXPECT_EQ(FWG_TPM_E_PCR_MISMATCH,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "b", tampered.digest, &got));
	ASSERT_NOTHING_LOADED(self->tpm);
}

/* The vendor's approval of a release at @approved raises the floor to @to. */
static int vendor_raise(FIXTURE_DATA(polauth) *self, uint64_t to, uint64_t approved)
{
	struct fwg_tpm_subject r = subject_make(5, approved);
	struct fwg_tpm_approval a;
	uint64_t floor = 0;
	int err = fwg_approval_sign(self->vendor_pem, PCR, &r, &a);

	return err ? err : fwg_tpm_floor_raise_approved(self->tpm, to, &a, approved, &floor);
}

/*
 * Revocation: the vendor raises the floor past an approved release; its
 * record, genuine image and genuine approval and all, no longer unseals,
 * and root cannot lower the floor (the counter only counts up).
 */
TEST_F(polauth, approved_record_below_the_floor_is_refused_by_the_tpm)
{
	struct fwg_tpm_subject s = subject_make(1, 3), got;

	ASSERT_EQ(0, install_genuine(self, &s));
	ASSERT_EQ(0, boot_measuring(self, &s));
	ASSERT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", "b", s.digest, &got));
	ASSERT_EQ(0, vendor_raise(self, 3, 3));
	ASSERT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", "b", s.digest, &got));
	ASSERT_EQ(0, vendor_raise(self, 4, 4));
	EXPECT_EQ(FWG_TPM_E_STALE,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "b", s.digest, &got));
	/* Resealing the same approval gives the same policy: still refused. */
	{
		struct fwg_tpm_approval a;

		ASSERT_EQ(0, fwg_approval_sign(self->vendor_pem, PCR, &s, &a));
		ASSERT_EQ(0, fwg_tpm_seal_approved(self->tpm, &s, &a));
		EXPECT_EQ(FWG_TPM_E_STALE,
			  fwg_tpm_unseal_verify(self->tpm, "firmware", "b", s.digest, &got));
	}
	ASSERT_NOTHING_LOADED(self->tpm);
}

/* An old-format record on a device that now has a vendor key. */
TEST_F(polauth, old_format_record_is_refused_until_resealed_with_approval)
{
	struct fwg_tpm_subject s = subject_make(1, 3), got;
	struct fwg_tpm_approval a;
	struct fwg_tpm *old = NULL;

	ASSERT_EQ(0, open_ctx(self, NULL, &old));
	ASSERT_EQ(0, fwg_tpm_measure(old, &s));
	ASSERT_EQ(0, fwg_tpm_seal(old, &s));
	fwg_tpm_close(old);
	ASSERT_EQ(0, boot_measuring(self, &s));
	EXPECT_EQ(FWG_TPM_E_BAD_BLOB,
		  fwg_tpm_unseal_verify(self->tpm, "firmware", "b", s.digest, &got));
	/* Migration: the vendor's approval of the release that runs. */
	ASSERT_EQ(0, fwg_approval_sign(self->vendor_pem, PCR, &s, &a));
	ASSERT_EQ(0, fwg_tpm_seal_approved(self->tpm, &s, &a));
	ASSERT_EQ(0, fwg_tpm_unseal_verify(self->tpm, "firmware", "b", s.digest, &got));
	ASSERT_NOTHING_LOADED(self->tpm);
}

/* `updatectl ARGS... [--config CONF [--tcti T --state-dir D]]`: its exit status. */
static int run_cli(FIXTURE_DATA(polauth) *self, const char *conf, const char *const *args)
{
	char *argv[32];
	int argc = 0, status, fd;
	pid_t pid;

	argv[argc++] = FWGUARD_BUILD "/bin/updatectl";
	while (*args && argc < 24)
		argv[argc++] = (char *)*args++;
	if (!strcmp(argv[1], "tpm")) {	/* bundle create reads no configuration */
		argv[argc++] = "--config";
		argv[argc++] = (char *)conf;
	}
	if (!strcmp(argv[1], "tpm") && strcmp(argv[2], "approve")) {	/* TPM commands */
		argv[argc++] = "--tcti";
		argv[argc++] = self->sw.tcti;
		argv[argc++] = "--state-dir";
		argv[argc++] = self->sw.statedir;
	}
	argv[argc] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#define DIGEST_A "1111111111111111111111111111111111111111111111111111111111111111"
#define DIGEST_X "9999999999999999999999999999999999999999999999999999999999999999"

/* The build host approves with `tpm approve`; the device seals with it. */
TEST_F(polauth, cli_approve_seal_and_unseal)
{
	char conf[320], none[320], approval[320], record[320];
	FILE *f;

	snprintf(record, sizeof(record), "%s/sealed/fw@a.seal", self->sw.statedir);
	snprintf(conf, sizeof(conf), "%s/updatectl.conf", self->sw.dir);
	snprintf(none, sizeof(none), "%s/plain.conf", self->sw.dir);
	snprintf(approval, sizeof(approval), "%s/fw-3.approval", self->sw.dir);
	f = fopen(conf, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "policy_key = %s.pub\n", self->vendor_pem);
	fclose(f);
	f = fopen(none, "w");
	ASSERT_NE(NULL, f);
	fclose(f);
	{
		const char *approve[] = { "tpm", "approve", "--key", self->vendor_pem, "--component",
					  "fw", "--version", "3", "--digest=" DIGEST_A,
					  "--out", approval, NULL };
		const char *measure[] = { "tpm", "measure", "--component", "fw", "--slot", "a",
					  "--version", "3", "--digest=" DIGEST_A, NULL };
		const char *seal_plain[] = { "tpm", "seal", "--component", "fw", "--slot", "a",
					     "--version", "3", "--digest=" DIGEST_A, NULL };
		const char *seal_other[] = { "tpm", "seal", "--component", "fw", "--slot", "a",
					     "--version", "3", "--digest=" DIGEST_X,
					     "--approval", approval, NULL };
		const char *seal[] = { "tpm", "seal", "--component", "fw", "--slot", "a",
				       "--version", "3", "--digest=" DIGEST_A,
				       "--approval", approval, NULL };
		const char *unseal[] = { "tpm", "unseal-verify", "--component", "fw", "--slot", "a",
					 "--digest=" DIGEST_A, NULL };

		EXPECT_EQ(UC_EXIT_OK, run_cli(self, none, approve));
		EXPECT_EQ(UC_EXIT_OK, run_cli(self, conf, measure));
		EXPECT_EQ(UC_EXIT_VERIFY, run_cli(self, conf, seal_plain));
		EXPECT_EQ(UC_EXIT_VERIFY, run_cli(self, conf, seal_other));
		EXPECT_NE(0, access(record, F_OK));	/* refusals seal nothing */
		EXPECT_EQ(UC_EXIT_OK, run_cli(self, conf, seal));
		EXPECT_EQ(UC_EXIT_OK, run_cli(self, conf, unseal));
		/* Root's PolicyPCR-only record, made with a configuration of
		 * its own, over the same slot. */
		EXPECT_EQ(UC_EXIT_OK, run_cli(self, none, seal_plain));
		EXPECT_EQ(UC_EXIT_IO, run_cli(self, conf, unseal));
	}
}

/*
 * Raising the floor only with the vendor's signature (tpm/TPM.md). The
 * fixture is the factory: provisioning in vendor mode with the platform
 * hierarchy open. Then the firmware closes it, and root, with every file,
 * the empty owner authorisation and a raw ESYS context of its own, tries
 * to move the floor.
 */
struct root_tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR nv;
};

static int root_open(FIXTURE_DATA(polauth) *self, struct root_tpm *r)
{
	memset(r, 0, sizeof(*r));
	r->nv = ESYS_TR_NONE;
	if (Tss2_TctiLdr_Initialize(self->sw.tcti, &r->tcti) != TSS2_RC_SUCCESS ||
	    Esys_Initialize(&r->esys, r->tcti, NULL) != TSS2_RC_SUCCESS ||
	    Esys_TR_FromTPMPublic(r->esys, FWG_TPM_FLOOR_NV_INDEX, ESYS_TR_NONE, ESYS_TR_NONE,
				  ESYS_TR_NONE, &r->nv) != TSS2_RC_SUCCESS)
		return -EIO;
	return 0;
}

static void root_close(struct root_tpm *r)
{
	if (r->esys && r->nv != ESYS_TR_NONE)
		Esys_TR_Close(r->esys, &r->nv);
	if (r->esys)
		Esys_Finalize(&r->esys);
	if (r->tcti)
		Tss2_TctiLdr_Finalize(&r->tcti);
}

/* What firmware does before the bootloader runs. */
static int close_platform(FIXTURE_DATA(polauth) *self)
{
	struct root_tpm r;
	int err = root_open(self, &r);

	if (!err && Esys_HierarchyControl(r.esys, ESYS_TR_RH_PLATFORM, ESYS_TR_PASSWORD,
					  ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_RH_PLATFORM,
					  TPM2_NO) != TSS2_RC_SUCCESS)
		err = -EIO;
	root_close(&r);
	return err;
}

static uint64_t floor_now(struct __test_metadata *_metadata, FIXTURE_DATA(polauth) *self)
{
	uint64_t floor = 0;

	EXPECT_EQ(0, device_connect(self));
	EXPECT_EQ(0, fwg_tpm_floor_read(self->tpm, &floor));
	return floor;
}

/* A policy session that has run PolicyCommandCode(NV_Increment). */
static ESYS_TR root_policy(struct root_tpm *r)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	ESYS_TR session = ESYS_TR_NONE;

	if (Esys_StartAuthSession(r->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				  ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym,
				  TPM2_ALG_SHA256, &session) != TSS2_RC_SUCCESS)
		return ESYS_TR_NONE;
	if (Esys_PolicyCommandCode(r->esys, session, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, TPM2_CC_NV_Increment) != TSS2_RC_SUCCESS) {
		Esys_FlushContext(r->esys, session);
		return ESYS_TR_NONE;
	}
	return session;
}

/* PolicyOR onto the floor's authPolicy (under @key_name), then NV_Increment. */
static TSS2_RC root_or_increment(struct root_tpm *r, ESYS_TR session,
				 const uint8_t key_name[FWG_TPM_NAME_SIZE])
{
	TPML_DIGEST list = { .count = 3 };
	TSS2_RC rc;
	int i;

	fwg_floor_policy_branches(list.digests[0].buffer, list.digests[1].buffer,
				  list.digests[2].buffer, key_name);
	for (i = 0; i < 3; i++)
		list.digests[i].size = FWG_DIGEST_SIZE;
	rc = Esys_PolicyOR(r->esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &list);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_NV_Increment(r->esys, r->nv, r->nv, session, ESYS_TR_NONE, ESYS_TR_NONE);
	Esys_FlushContext(r->esys, session);
	return rc;
}

/*
 * Root replays a floor approval by hand, past every check of updatectl:
 * the signature of @a by @key over a raise to @version on the platform
 * form, its ticket, and one increment under the vendor's branch.
 */
static TSS2_RC root_signed_increment(struct root_tpm *r, const struct fwg_vendor_key *key,
				     const struct fwg_tpm_approval *a, uint64_t version)
{
	TPMT_SIGNATURE sig = { .sigAlg = TPM2_ALG_ECDSA };
	TPM2B_DIGEST approved = { .size = FWG_DIGEST_SIZE }, ahash = { .size = FWG_DIGEST_SIZE };
	TPM2B_OPERAND operand = { .size = 8 };
	TPM2B_NONCE ref = { .size = FWG_DIGEST_SIZE };
	TPM2B_NAME name, key_name = { .size = FWG_TPM_NAME_SIZE };
	TPMT_TK_VERIFIED *ticket = NULL;
	ESYS_TR k = ESYS_TR_NONE, session;
	TPM2B_PUBLIC pub;
	TSS2_RC rc;
	int i;

	fwg_vendor_key_name(key, key_name.name);
	if (fwg_floor_vendor_name(key_name.name, FWG_FLOOR_FORM_PLATFORM, &name) ||
	    fwg_floor_approved(&name, version, approved.buffer, ahash.buffer) ||
	    fwg_floor_policy_ref(ref.buffer))
		return TSS2_BASE_RC_GENERAL_FAILURE;
	sig.signature.ecdsa.hash = TPM2_ALG_SHA256;
	sig.signature.ecdsa.signatureR.size = 32;
	memcpy(sig.signature.ecdsa.signatureR.buffer, a->floor_r[FWG_FLOOR_FORM_PLATFORM], 32);
	sig.signature.ecdsa.signatureS.size = 32;
	memcpy(sig.signature.ecdsa.signatureS.buffer, a->floor_s[FWG_FLOOR_FORM_PLATFORM], 32);
	fwg_vendor_key_public(key, &pub);
	rc = Esys_LoadExternal(r->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL, &pub,
			       ESYS_TR_RH_OWNER, &k);
	if (rc == TSS2_RC_SUCCESS) {
		rc = Esys_VerifySignature(r->esys, k, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					  &ahash, &sig, &ticket);
		Esys_FlushContext(r->esys, k);
	}
	if (rc != TSS2_RC_SUCCESS)
		return rc;
	session = root_policy(r);
	for (i = 0; i < 8; i++)
		operand.buffer[i] = (uint8_t)(version >> (56 - 8 * i));
	rc = session == ESYS_TR_NONE ? TSS2_BASE_RC_GENERAL_FAILURE :
	     Esys_PolicyNV(r->esys, r->nv, r->nv, session, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			   ESYS_TR_NONE, &operand, 0, TPM2_EO_UNSIGNED_LT);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicyAuthorize(r->esys, session, ESYS_TR_NONE, ESYS_TR_NONE,
					  ESYS_TR_NONE, &approved, &ref, &key_name, ticket);
	if (rc == TSS2_RC_SUCCESS)
		rc = root_or_increment(r, session, key_name.name);
	else if (session != ESYS_TR_NONE)
		Esys_FlushContext(r->esys, session);
	Esys_Free(ticket);
	return rc;
}

/* `updatectl tpm floor --raise V [--approval FILE]`; stderr to @err. */
static int cli_raise(FIXTURE_DATA(polauth) *self, const char *conf, uint64_t v,
		     const char *approval, const char *err)
{
	char cmd[2048];
	int status;

	snprintf(cmd, sizeof(cmd), "%s/bin/updatectl tpm floor --raise %" PRIu64 " %s%s "
		 "--config %s --tcti '%s' --state-dir %s >/dev/null 2>%s", FWGUARD_BUILD, v,
		 approval ? "--approval " : "", approval ? approval : "", conf, self->sw.tcti,
		 self->sw.statedir, err);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int lines_in(const char *path)
{
	FILE *f = fopen(path, "r");
	int c, n = 0;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void vendor_conf(FIXTURE_DATA(polauth) *self, char *conf, size_t size)
{
	FILE *f;

	snprintf(conf, size, "%s/vendor.conf", self->sw.dir);
	f = fopen(conf, "w");
	if (f) {
		fprintf(f, "policy_key = %s.pub\n", self->vendor_pem);
		fclose(f);
	}
}

/* tpm2-tools as root has them: `tpm2_nvincrement`, `tpm2_nvwrite`; exit status. */
static int tools(FIXTURE_DATA(polauth) *self, const char *args)
{
	char cmd[1024];
	int status;

	snprintf(cmd, sizeof(cmd), "TSS2_LOG=all+NONE %s -T '%s' >/dev/null 2>&1", args,
		 self->sw.tcti);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(polauth, unsigned_floor_raise_is_refused_by_updatectl_and_by_the_tpm)
{
	char conf[320], err[320], cmd[640], data[320];
	uint8_t key_name[FWG_TPM_NAME_SIZE];
	struct root_tpm r;
	ESYS_TR session;
	uint64_t floor = 0;
	FILE *f;

	ASSERT_EQ(0, close_platform(self));
	ASSERT_EQ(1u, floor_now(_metadata, self));
	vendor_conf(self, conf, sizeof(conf));
	snprintf(err, sizeof(err), "%s/raise.err", self->sw.dir);

	/* updatectl: one line, exit 3 (verify), the TPM not asked to increment. */
	EXPECT_EQ(-ENOKEY, fwg_tpm_floor_raise(self->tpm, 5, &floor));
	EXPECT_EQ(UC_EXIT_VERIFY, cli_raise(self, conf, 5, NULL, err));
	EXPECT_EQ(1, lines_in(err));
	EXPECT_EQ(1u, floor_now(_metadata, self));

	/* The TPM itself, to root's own tools and commands. */
	snprintf(data, sizeof(data), "%s/eight", self->sw.dir);
	f = fopen(data, "w");
	ASSERT_NE(NULL, f);
	fwrite("\0\0\0\0\0\0\0\x63", 1, 8, f);
	fclose(f);
	EXPECT_NE(0, tools(self, "tpm2_nvincrement -C 0x01004657 0x01004657"));
	EXPECT_NE(0, tools(self, "tpm2_nvincrement -C o 0x01004657"));
	snprintf(cmd, sizeof(cmd), "tpm2_nvwrite -C 0x01004657 -i %s 0x01004657", data);
	EXPECT_NE(0, tools(self, cmd));
	snprintf(cmd, sizeof(cmd), "tpm2_nvwrite -C o -i %s 0x01004657", data);
	EXPECT_NE(0, tools(self, cmd));
	EXPECT_EQ(1u, floor_now(_metadata, self));

	ASSERT_EQ(0, root_open(self, &r));
	EXPECT_NE(TSS2_RC_SUCCESS, Esys_NV_Increment(r.esys, r.nv, r.nv, ESYS_TR_PASSWORD,
						     ESYS_TR_NONE, ESYS_TR_NONE));
	EXPECT_NE(TSS2_RC_SUCCESS, Esys_NV_Increment(r.esys, ESYS_TR_RH_OWNER, r.nv,
						     ESYS_TR_PASSWORD, ESYS_TR_NONE,
						     ESYS_TR_NONE));
	EXPECT_NE(TSS2_RC_SUCCESS, Esys_NV_Increment(r.esys, ESYS_TR_RH_PLATFORM, r.nv,
						     ESYS_TR_PASSWORD, ESYS_TR_NONE,
						     ESYS_TR_NONE));
	/* The provisioning branch again: the counter is written, so no. */
	ASSERT_EQ(0, fwg_vendor_key_name(&self->vendor, key_name));
	session = root_policy(&r);
	ASSERT_NE(ESYS_TR_NONE, session);
	if (Esys_PolicyNvWritten(r.esys, session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				 TPM2_NO) == TSS2_RC_SUCCESS) {
		EXPECT_NE(TSS2_RC_SUCCESS, root_or_increment(&r, session, key_name));
	} else {
		Esys_FlushContext(r.esys, session);
	}
	root_close(&r);
	EXPECT_EQ(1u, floor_now(_metadata, self));
	ASSERT_NOTHING_LOADED(self->tpm);
}

TEST_F(polauth, signed_floor_raise_works_and_stops_at_the_approved_version)
{
	struct fwg_tpm_subject r3 = subject_make(5, 3), r5 = subject_make(6, 5);
	char conf[320], err[320], file5[320];
	uint8_t buf[FWG_APPROVAL_FILE_SIZE];
	struct fwg_tpm_approval a3, a5;
	unsigned long before = 0, after = 0;
	struct root_tpm r;
	uint64_t floor = 0;

	ASSERT_EQ(0, close_platform(self));
	vendor_conf(self, conf, sizeof(conf));
	snprintf(err, sizeof(err), "%s/raise.err", self->sw.dir);
	snprintf(file5, sizeof(file5), "%s/fw-5.approval", self->sw.dir);
	ASSERT_EQ(0, fwg_approval_sign(self->vendor_pem, PCR, &r3, &a3));
	ASSERT_EQ(0, fwg_approval_sign(self->vendor_pem, PCR, &r5, &a5));
	ASSERT_EQ(0, device_connect(self));

	/*
	 * The library, to a version at or below the approved one. A raise by
	 * one costs 12 commands (TPM.md "Command counts"): NV_ReadPublic,
	 * NV_Read, LoadExternal, VerifySignature, FlushContext, StartAuthSession,
	 * PolicyCommandCode, PolicyNV, PolicyAuthorize, PolicyOR, NV_Increment,
	 * NV_Read.
	 */
	ASSERT_EQ(0, fwg_tpm_floor_read(self->tpm, &floor));	/* the session first */
	fwg_tpm_stats(self->tpm, &before, NULL);
	ASSERT_EQ(0, fwg_tpm_floor_raise_approved(self->tpm, 2, &a3, 3, &floor));
	fwg_tpm_stats(self->tpm, &after, NULL);
	EXPECT_EQ(12u, after - before);
	EXPECT_EQ(2u, floor_now(_metadata, self));
	ASSERT_EQ(0, fwg_tpm_floor_raise_approved(self->tpm, 3, &a3, 3, &floor));
	EXPECT_EQ(3u, floor_now(_metadata, self));
	ASSERT_NOTHING_LOADED(self->tpm);

	/* The command line, with the approval file of release 5. */
	ASSERT_EQ(0, fwg_write_file_atomic(file5, buf, fwg_approval_encode(&a5, buf)));
	EXPECT_EQ(UC_EXIT_VERIFY, cli_raise(self, conf, 4, file5, err));	/* not 5's */
	EXPECT_EQ(1, lines_in(err));
	EXPECT_EQ(3u, floor_now(_metadata, self));
	EXPECT_EQ(UC_EXIT_OK, cli_raise(self, conf, 5, file5, err));
	EXPECT_EQ(5u, floor_now(_metadata, self));

	/* Replays at the TPM, by hand: neither approval moves it past 5. */
	ASSERT_EQ(0, root_open(self, &r));
	EXPECT_NE(TSS2_RC_SUCCESS, root_signed_increment(&r, &self->vendor, &a3, 3));
	EXPECT_NE(TSS2_RC_SUCCESS, root_signed_increment(&r, &self->vendor, &a5, 5));
	root_close(&r);
	EXPECT_EQ(5u, floor_now(_metadata, self));

	/* Floor never falls, and an approval says how far it goes. */
	EXPECT_EQ(FWG_TPM_E_STALE, fwg_tpm_floor_raise_approved(self->tpm, 4, &a5, 5, &floor));
	EXPECT_EQ(-EKEYREJECTED, fwg_tpm_floor_raise_approved(self->tpm, 6, &a5, 5, &floor));
	EXPECT_EQ(-EKEYREJECTED, fwg_tpm_floor_raise_approved(self->tpm, 6, &a5, 6, &floor));
	EXPECT_EQ(5u, floor_now(_metadata, self));
	ASSERT_NOTHING_LOADED(self->tpm);
}

TEST_F(polauth, floor_approval_of_another_key_or_version_is_refused)
{
	struct fwg_tpm_subject r2 = subject_make(5, 2), r9 = subject_make(7, 9);
	struct fwg_tpm_approval a2, mine;
	struct fwg_vendor_key root_key;
	struct root_tpm r;
	uint64_t floor = 0;

	ASSERT_EQ(0, close_platform(self));
	ASSERT_EQ(0, fwg_approval_sign(self->vendor_pem, PCR, &r2, &a2));
	ASSERT_EQ(0, fwg_approval_sign(self->root_pem, PCR, &r9, &mine));
	ASSERT_EQ(0, fwg_vendor_key_read(self->root_pem, &root_key));
	ASSERT_EQ(0, device_connect(self));

	/* Root's own key: refused by updatectl, and by the TPM by hand. */
	EXPECT_EQ(-ENOKEY, fwg_tpm_floor_raise_approved(self->tpm, 9, &mine, 9, &floor));
	ASSERT_EQ(0, root_open(self, &r));
	EXPECT_NE(TSS2_RC_SUCCESS, root_signed_increment(&r, &root_key, &mine, 9));
	root_close(&r);
	EXPECT_EQ(1u, floor_now(_metadata, self));

	/* The vendor's approval of version 2 goes to 2 and no further. */
	EXPECT_EQ(-EKEYREJECTED, fwg_tpm_floor_raise_approved(self->tpm, 3, &a2, 2, &floor));
	EXPECT_EQ(-EKEYREJECTED, fwg_tpm_floor_raise_approved(self->tpm, 3, &a2, 3, &floor));
	EXPECT_EQ(1u, floor_now(_metadata, self));
	ASSERT_EQ(0, root_open(self, &r));
	EXPECT_EQ(TSS2_RC_SUCCESS, root_signed_increment(&r, &self->vendor, &a2, 2));
	EXPECT_NE(TSS2_RC_SUCCESS, root_signed_increment(&r, &self->vendor, &a2, 2));
	/* Claiming approval for 3 with the signature for 2: VerifySignature refuses. */
	EXPECT_NE(TSS2_RC_SUCCESS, root_signed_increment(&r, &self->vendor, &a2, 3));
	root_close(&r);
	EXPECT_EQ(2u, floor_now(_metadata, self));
	ASSERT_NOTHING_LOADED(self->tpm);
}

/*
 * The same attack through the A/B state machine (userspace/lib/STATE.md),
 * on image files standing in for the slots (tests/tpm/abdev.h): root
 * writes a tampered image into the slot that verified, reseals its record
 * for that image and edits the slot state to match. boot-verify must not
 * verify it, and mark-good must not confirm it.
 */
FIXTURE(abvendor) {
	struct abdev d;
	struct fwg_vendor_key key;
	char pem[400];
	struct uc_boot_component out[PC_MAX_COMPONENTS];
};

static int abvendor_open(FIXTURE_DATA(abvendor) *self)
{
	struct fwg_tpm_options o = { .tcti = self->d.t.tcti, .state_dir = self->d.t.statedir,
				     .pcr = AB_PCR, .vendor_key = &self->key };

	fwg_tpm_close(self->d.tpm);
	self->d.tpm = NULL;
	self->d.m.tpm = NULL;
	if (fwg_tpm_open(&o, &self->d.tpm))
		return -EIO;
	self->d.m.tpm = self->d.tpm;
	return 0;
}

static int abvendor_reboot(FIXTURE_DATA(abvendor) *self)
{
	int err = abdev_reboot(&self->d);

	return err ? err : abvendor_open(self);
}

/* The vendor's approval of what slot @idx of component 0 holds now. */
static int abvendor_approve(FIXTURE_DATA(abvendor) *self, int idx, uint64_t len, uint64_t v,
			    struct fwg_tpm_approval *a)
{
	struct fwg_tpm_subject rel;
	int err;

	memset(&rel, 0, sizeof(rel));
	strcpy(rel.component, self->d.pc.component[0].name);
	rel.version = v;
	err = abdev_hash(&self->d, &self->d.pc.component[0], idx, len, rel.digest);
	return err ? err : fwg_approval_sign(self->pem, AB_PCR, &rel, a);
}

FIXTURE_SETUP(abvendor)
{
	struct fwg_tpm_approval a;

	ASSERT_EQ(0, abdev_setup(&self->d, 1));
	snprintf(self->pem, sizeof(self->pem), "%s/vendor.pem", self->d.t.dir);
	ASSERT_EQ(0, write_ec_key(self->pem));
	ASSERT_EQ(0, fwg_vendor_key_read(self->pem, &self->key));
	ASSERT_EQ(0, abvendor_open(self));
	/* Factory: the running slot adopted with the vendor's approval. */
	ASSERT_EQ(0, abvendor_approve(self, 0, AB_SLOT_SIZE, 1, &a));
	self->d.m.approval = &a;
	ASSERT_EQ(0, ab_adopt(&self->d.m, &self->d.pc.component[0], 0, 1, 0));
	self->d.m.approval = NULL;
}

FIXTURE_TEARDOWN(abvendor)
{
	abdev_teardown(&self->d);
}

/* Install version 2 as install.c does, with its approval; the slot written. */
static int abvendor_install(FIXTURE_DATA(abvendor) *self, int *target)
{
	const struct pc_component *c = &self->d.pc.component[0];
	uint8_t ticket[16], digest[FWG_DIGEST_SIZE];
	struct fwg_tpm_approval a;
	struct ab_install in;
	uint64_t len = AB_SLOT_SIZE / 2;
	int err;

	abdev_ticket(&self->d, ticket);
	err = ab_install_plan(&self->d.m, c, 2, ticket, false, &in);
	if (!err)
		err = ab_install_start(&self->d.m, &in);
	if (!err)
		err = abdev_fill(self->d.img[0][in.target], 77, (size_t)len);
	if (!err)
		err = abdev_hash(&self->d, c, in.target, len, digest);
	if (!err)
		err = abvendor_approve(self, in.target, len, 2, &a);
	self->d.m.approval = &a;
	if (!err)
		err = ab_install_commit(&self->d.m, &in, len, digest);
	self->d.m.approval = NULL;
	*target = in.target;
	return err;
}

TEST_F(abvendor, boot_verify_refuses_roots_record_for_a_tampered_slot)
{
	const struct pc_component *c = &self->d.pc.component[0];
	struct fwg_tpm_subject tampered;
	struct fwg_tpm_options plain = { .tcti = self->d.t.tcti,
					 .state_dir = self->d.t.statedir, .pcr = AB_PCR };
	struct fwg_tpm *root = NULL;
	struct slot_state s;
	int t = -1;

	ASSERT_EQ(0, abvendor_reboot(self));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].verified);
	ASSERT_EQ(0, abvendor_install(self, &t));
	ASSERT_EQ(0, abvendor_reboot(self));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));	/* the trial verifies */
	ASSERT_TRUE(self->out[0].verified);
	ASSERT_EQ(0, abdev_mark_good(&self->d, self->out));

	/* Root: a tampered image in the good slot, a record and a state to match. */
	ASSERT_EQ(0, abdev_fill(self->d.img[0][t], 666, AB_SLOT_SIZE / 2));
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	memset(&tampered, 0, sizeof(tampered));
	strcpy(tampered.component, c->name);
	strcpy(tampered.slot, c->slot[t].name);
	tampered.version = s.slot[t].version;
	ASSERT_EQ(0, abdev_hash(&self->d, c, t, s.slot[t].length, tampered.digest));
	memcpy(s.slot[t].digest, tampered.digest, FWG_DIGEST_SIZE);
	ASSERT_EQ(0, slot_state_save(self->d.t.statedir, &s));
	ASSERT_EQ(0, fwg_tpm_open(&plain, &root));
	ASSERT_EQ(0, fwg_tpm_seal(root, &tampered));
	fwg_tpm_close(root);

	ASSERT_EQ(0, abvendor_reboot(self));
	EXPECT_NE(0, abdev_verify(&self->d, self->out));
	EXPECT_FALSE(self->out[0].verified);
	EXPECT_EQ(FWG_TPM_E_BAD_BLOB, self->out[0].err);
	abdev_mark_good(&self->d, self->out);
	EXPECT_FALSE(self->out[0].marked_good);
}

/*
 * mark-good raises the floor with the floor approval the slot's record
 * keeps from its install (blob format 3); a record approved before the
 * floor approval existed (approval file format 1) verifies, but the
 * floor stays where it is and the slot is not confirmed.
 */
static int abvendor_install_v(FIXTURE_DATA(abvendor) *self, uint64_t v, bool with_floor,
			      int *target)
{
	const struct pc_component *c = &self->d.pc.component[0];
	uint8_t ticket[16], digest[FWG_DIGEST_SIZE];
	struct fwg_tpm_approval a;
	struct ab_install in;
	uint64_t len = AB_SLOT_SIZE / 2;
	int err;

	abdev_ticket(&self->d, ticket);
	err = ab_install_plan(&self->d.m, c, v, ticket, false, &in);
	if (!err)
		err = ab_install_start(&self->d.m, &in);
	if (!err)
		err = abdev_fill(self->d.img[0][in.target], (int)(70 + v), (size_t)len);
	if (!err)
		err = abdev_hash(&self->d, c, in.target, len, digest);
	if (!err)
		err = abvendor_approve(self, in.target, len, v, &a);
	a.has_floor = with_floor;
	self->d.m.approval = &a;
	if (!err)
		err = ab_install_commit(&self->d.m, &in, len, digest);
	self->d.m.approval = NULL;
	*target = in.target;
	return err;
}

TEST_F(abvendor, mark_good_raises_the_floor_only_with_the_vendor_floor_approval)
{
	uint64_t floor = 0;
	int t = -1;

	ASSERT_EQ(0, abvendor_reboot(self));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_EQ(0, abvendor_install_v(self, 2, false, &t));
	ASSERT_EQ(0, abvendor_reboot(self));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].verified);
	EXPECT_EQ(-ENOKEY, abdev_mark_good(&self->d, self->out));
	EXPECT_FALSE(self->out[0].marked_good);
	ASSERT_EQ(0, fwg_tpm_floor_read(self->d.tpm, &floor));
	EXPECT_EQ(1u, floor);

	/* The release again, now with its floor approval: confirmed, floor 2. */
	ASSERT_EQ(0, abvendor_reboot(self));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_EQ(0, abvendor_install_v(self, 3, true, &t));
	ASSERT_EQ(0, abvendor_reboot(self));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	ASSERT_TRUE(self->out[0].verified);
	ASSERT_EQ(0, abdev_mark_good(&self->d, self->out));
	EXPECT_TRUE(self->out[0].marked_good);
	ASSERT_EQ(0, fwg_tpm_floor_read(self->d.tpm, &floor));
	EXPECT_EQ(3u, floor);
}

/* An install without the vendor's approval seals nothing. */
TEST_F(abvendor, install_without_approval_is_refused)
{
	const struct pc_component *c = &self->d.pc.component[0];
	uint8_t ticket[16], digest[FWG_DIGEST_SIZE];
	struct ab_install in;
	struct slot_state s;

	ASSERT_EQ(0, abvendor_reboot(self));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	abdev_ticket(&self->d, ticket);
	ASSERT_EQ(0, ab_install_plan(&self->d.m, c, 2, ticket, false, &in));
	ASSERT_EQ(0, ab_install_start(&self->d.m, &in));
	ASSERT_EQ(0, abdev_hash(&self->d, c, in.target, AB_SLOT_SIZE, digest));
	EXPECT_EQ(-ENOKEY, ab_install_commit(&self->d.m, &in, AB_SLOT_SIZE, digest));
	ASSERT_EQ(0, abdev_state(&self->d, 0, &s));
	EXPECT_FALSE(s.slot[in.target].valid);
	EXPECT_EQ(-1, s.pending);
}

/*
 * A device with a vendor policy key adopts its factory image only with the
 * vendor's approval of that image's digest at the version adopted: without
 * one, or with one for another version or another image, adopt is refused
 * and changes nothing (still factory state, the floor where it was, no
 * journal record), so the right adoption still follows and verifies.
 */
TEST_F(abvendor, adopt_needs_the_vendor_approval_of_digest_and_version)
{
	const struct pc_component *c = &self->d.pc.component[0];
	struct fwg_tpm_approval a;
	uint64_t floor;

	abdev_teardown(&self->d);			/* a new device */
	ASSERT_EQ(0, abdev_setup(&self->d, 1));
	snprintf(self->pem, sizeof(self->pem), "%s/vendor.pem", self->d.t.dir);
	ASSERT_EQ(0, write_ec_key(self->pem));
	ASSERT_EQ(0, fwg_vendor_key_read(self->pem, &self->key));
	ASSERT_EQ(0, abvendor_open(self));
	ASSERT_TRUE(ab_factory(&self->d.m, c));
	self->d.m.approval = NULL;
	EXPECT_NE(0, ab_adopt(&self->d.m, c, 0, 5, 0));			/* none */
	ASSERT_EQ(0, abvendor_approve(self, 0, AB_SLOT_SIZE, 4, &a));
	self->d.m.approval = &a;
	EXPECT_NE(0, ab_adopt(&self->d.m, c, 0, 5, 0));			/* version 4 */
	ASSERT_EQ(0, abvendor_approve(self, 1, AB_SLOT_SIZE, 5, &a));
	EXPECT_NE(0, ab_adopt(&self->d.m, c, 0, 5, 0));			/* slot b's image */
	EXPECT_TRUE(ab_factory(&self->d.m, c));
	ASSERT_EQ(0, abdev_floor(&self->d, &floor));
	EXPECT_EQ(1u, floor);
	ASSERT_EQ(0, abvendor_approve(self, 0, AB_SLOT_SIZE, 5, &a));
	EXPECT_EQ(0, ab_adopt(&self->d.m, c, 0, 5, 0));
	self->d.m.approval = NULL;
	ASSERT_EQ(0, abvendor_reboot(self));
	ASSERT_EQ(0, abdev_verify(&self->d, self->out));
	EXPECT_TRUE(self->out[0].verified);
	EXPECT_EQ(5u, self->out[0].version);
}

/* bundle create --policy-key: the approval beside the bundle seals its image. */
TEST_F(polauth, cli_bundle_create_writes_the_approval)
{
	char conf[320], image[320], bundle[320], approval[340], digest[80];
	uint8_t bytes[4096], d[SHA256_DIGEST_LENGTH];
	FILE *f;
	int i;

	snprintf(conf, sizeof(conf), "%s/updatectl.conf", self->sw.dir);
	snprintf(image, sizeof(image), "%s/fw.img", self->sw.dir);
	snprintf(bundle, sizeof(bundle), "%s/fw.fwb", self->sw.dir);
	snprintf(approval, sizeof(approval), "%s/fw.fwb.approval", self->sw.dir);
	f = fopen(conf, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "policy_key = %s.pub\n", self->vendor_pem);
	fclose(f);
	for (i = 0; i < (int)sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 31);
	f = fopen(image, "wb");
	ASSERT_NE(NULL, f);
	fwrite(bytes, 1, sizeof(bytes), f);
	fclose(f);
	SHA256(bytes, sizeof(bytes), d);
	strcpy(digest, "--digest=");
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++)
		sprintf(digest + 9 + 2 * i, "%02x", d[i]);
	{
		const char *create_bad[] = { "bundle", "create", "--image", image, "--component",
					     "fw", "--device-class", "demo", "--security-version",
					     "4", "--key", FWGUARD_BUILD "/pki/signer.key",
					     "--cert", FWGUARD_BUILD "/pki/signer.crt", "--output",
					     bundle, "--policy-key", FWGUARD_BUILD "/pki/signer.key",
					     NULL };
		const char *create[] = { "bundle", "create", "--image", image, "--component",
					 "fw", "--device-class", "demo", "--security-version", "4",
					 "--key", FWGUARD_BUILD "/pki/signer.key", "--cert",
					 FWGUARD_BUILD "/pki/signer.crt", "--output", bundle,
					 "--policy-key", self->vendor_pem, NULL };
		const char *measure[] = { "tpm", "measure", "--component", "fw", "--slot", "b",
					  "--version", "4", digest, NULL };
		const char *seal[] = { "tpm", "seal", "--component", "fw", "--slot", "b",
				       "--version", "4", digest, "--approval", approval, NULL };
		const char *unseal[] = { "tpm", "unseal-verify", "--component", "fw", "--slot",
					 "b", digest, NULL };

		/* An RSA key is no policy key: nothing is written. */
		EXPECT_EQ(UC_EXIT_USAGE, run_cli(self, conf, create_bad));
		EXPECT_NE(0, access(bundle, F_OK));
		ASSERT_EQ(UC_EXIT_OK, run_cli(self, conf, create));
		ASSERT_EQ(0, access(approval, F_OK));
		EXPECT_EQ(UC_EXIT_OK, run_cli(self, conf, measure));
		EXPECT_EQ(UC_EXIT_OK, run_cli(self, conf, seal));
		EXPECT_EQ(UC_EXIT_OK, run_cli(self, conf, unseal));
	}
}

TEST(approval_file_round_trip_and_refusals)
{
	struct fwg_tpm_approval a = { .pcr = 8 }, b;
	uint8_t buf[FWG_APPROVAL_FILE_SIZE];
	size_t len;
	int floor;

	a.key_name[0] = 0x00;
	a.key_name[1] = 0x0b;
	memset(a.sig_r, 0x11, 32);
	memset(a.sig_s, 0x22, 32);
	for (floor = 0; floor < 2; floor++) {
		a.has_floor = floor;
		memset(a.floor_r, floor ? 0x33 : 0, sizeof(a.floor_r));
		memset(a.floor_s, floor ? 0x44 : 0, sizeof(a.floor_s));
		len = fwg_approval_encode(&a, buf);
		ASSERT_EQ((size_t)(floor ? FWG_APPROVAL_FILE_SIZE : FWG_APPROVAL_FILE_SIZE_V1), len);
		ASSERT_EQ(0, fwg_approval_decode(buf, len, &b));
		EXPECT_EQ(a.pcr, b.pcr);
		EXPECT_EQ(0, memcmp(a.key_name, b.key_name, sizeof(a.key_name)));
		EXPECT_EQ(0, memcmp(a.sig_r, b.sig_r, 32));
		EXPECT_EQ(0, memcmp(a.sig_s, b.sig_s, 32));
		EXPECT_EQ(a.has_floor, b.has_floor);
		EXPECT_EQ(0, memcmp(a.floor_r, b.floor_r, sizeof(a.floor_r)));
		EXPECT_EQ(0, memcmp(a.floor_s, b.floor_s, sizeof(a.floor_s)));
		EXPECT_EQ(-EBADMSG, fwg_approval_decode(buf, len - 1, &b));
		buf[5] ^= 3;	/* format 1 with the length of 2, or the reverse */
		EXPECT_EQ(-EBADMSG, fwg_approval_decode(buf, len, &b));
		buf[5] ^= 3;
		buf[7] = 24;	/* no such PCR */
		EXPECT_EQ(-EBADMSG, fwg_approval_decode(buf, len, &b));
	}
}

TEST_HARNESS_MAIN
