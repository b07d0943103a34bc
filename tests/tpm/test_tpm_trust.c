// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests of the trust anchor (tpm/session.c) against swtpm: the SRK pin
 * recorded at provisioning and the session salted to it. Each test is an
 * attack root or a bus interposer can mount: a fake TPM (a second swtpm with
 * seeds of its own) behind the tcti setting, one that even presents the
 * genuine SRK's public area, a replaced SRK at 0x81000001, and responses
 * altered on the way back. Each must be refused as FWG_TPM_E_UNTRUSTED (exit
 * 9), named in the message, with nothing changed in either TPM.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "kselftest_harness.h"

#include "tests/tpm/swtpm.h"
#include "tpm/tpm.h"
#include "userspace/cli/exit_codes.h"

#define PCR 8
#define DIGEST_A "1111111111111111111111111111111111111111111111111111111111111111"

static struct fwg_tpm_subject subject(uint8_t seed)
{
	struct fwg_tpm_subject s;

	memset(&s, 0, sizeof(s));
	strcpy(s.component, "firmware");
	strcpy(s.slot, "a");
	s.version = 1;
	memset(s.digest, seed, sizeof(s.digest));
	return s;
}

static bool file_has(const char *path, const char *needle)
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

FIXTURE(trust) {
	struct swtpm real, fake;
	char out[512];
};

FIXTURE_SETUP(trust)
{
	setenv("TSS2_LOG", "all+NONE", 1);
	memset(&self->real, 0, sizeof(self->real));
	memset(&self->fake, 0, sizeof(self->fake));
	ASSERT_EQ(0, swtpm_setup_fresh(&self->real, false));
	ASSERT_EQ(0, swtpm_setup_fresh(&self->fake, false));
	snprintf(self->out, sizeof(self->out), "%s/cli.out", self->real.dir);
}

FIXTURE_TEARDOWN(trust)
{
	swtpm_teardown(&self->fake);
	swtpm_teardown(&self->real);
}

/* `updatectl tpm ARGS --tcti TCTI --state-dir <real's>`, stdout and stderr
 * to self->out; its exit status. */
static int cli(FIXTURE_DATA(trust) *self, const char *tcti, const char *const *args)
{
	char *argv[24];
	int argc = 0, status, fd;
	pid_t pid;

	argv[argc++] = FWGUARD_BUILD "/bin/updatectl";
	argv[argc++] = "tpm";
	while (*args && argc < 18)
		argv[argc++] = (char *)*args++;
	argv[argc++] = "--tcti";
	argv[argc++] = (char *)tcti;
	argv[argc++] = "--state-dir";
	argv[argc++] = self->real.statedir;
	argv[argc] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fd = open(self->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#define CLI(self, tcti, ...) cli(self, tcti, (const char *const[]){ __VA_ARGS__, NULL })

/* A library context on @tcti with the real TPM's state directory (its pin). */
static int open_on(FIXTURE_DATA(trust) *self, const char *tcti, struct fwg_tpm **ret)
{
	struct fwg_tpm_options opts = {
		.tcti = tcti, .state_dir = self->real.statedir, .pcr = PCR,
	};

	return fwg_tpm_open(&opts, ret);
}

/* A TPM's PCR, read in a context with an unpinned state dir of its own. */
static void assert_pcr_zero(struct __test_metadata *_metadata, const char *tcti,
			    const char *state_dir)
{
	struct fwg_tpm_options opts = { .tcti = tcti, .state_dir = state_dir,
					.pcr = PCR };
	uint8_t pcr[FWG_DIGEST_SIZE], zero[FWG_DIGEST_SIZE] = { 0 };
	struct fwg_tpm *t = NULL;

	ASSERT_EQ(0, fwg_tpm_open(&opts, &t));
	ASSERT_EQ(0, fwg_tpm_pcr_read(t, pcr));
	EXPECT_EQ(0, memcmp(pcr, zero, sizeof(pcr)));
	fwg_tpm_close(t);
}

static void pin_file(FIXTURE_DATA(trust) *self, char *path, size_t size)
{
	snprintf(path, size, "%s/srk.pin", self->real.statedir);
}

TEST_F(trust, provision_pins_the_srk_and_the_real_tpm_passes)
{
	struct fwg_tpm_subject s = subject(0x5a), got;
	struct fwg_tpm_srk_pin pin;
	struct fwg_tpm *t = NULL;
	char path[512];

	ASSERT_EQ(UC_EXIT_OK, CLI(self, self->real.tcti, "provision", "--persist-srk"));
	EXPECT_TRUE(file_has(self->out, "SRK pinned (0x81000001): 000b"));
	pin_file(self, path, sizeof(path));
	EXPECT_TRUE(file_has(path, "v1 handle=0x81000001 name=000b"));
	ASSERT_EQ(0, fwg_tpm_srk_pin_read(self->real.statedir, &pin));
	EXPECT_EQ(34, pin.name_size);
	/* A second provision keeps the pin. */
	ASSERT_EQ(UC_EXIT_OK, CLI(self, self->real.tcti, "provision"));
	ASSERT_EQ(UC_EXIT_OK, CLI(self, self->real.tcti, "status", "--json"));
	EXPECT_TRUE(file_has(self->out, "\"tcti_foreign\":true"));
	EXPECT_TRUE(file_has(self->out, "\"srk_pin\":{\"handle\":\"0x81000001\""));

	/* The positive path under the pin: measure, seal, reboot, unseal. */
	ASSERT_EQ(0, open_on(self, self->real.tcti, &t));
	EXPECT_TRUE(fwg_tpm_srk_pinned(t, NULL));
	ASSERT_EQ(0, fwg_tpm_measure(t, &s));
	ASSERT_EQ(0, fwg_tpm_seal(t, &s));
	fwg_tpm_close(t);
	ASSERT_EQ(0, swtpm_reboot(&self->real));
	ASSERT_EQ(0, open_on(self, self->real.tcti, &t));
	ASSERT_EQ(0, fwg_tpm_measure(t, &s));
	EXPECT_EQ(0, fwg_tpm_unseal_verify(t, "firmware", "a", s.digest, &got));
	EXPECT_EQ(1ull, got.version);
	fwg_tpm_close(t);
}

/* Root points the tcti setting at a swtpm of its own. */
TEST_F(trust, fake_tpm_via_tcti_is_detected_and_named)
{
	struct fwg_tpm_subject s = subject(0x5a);
	struct fwg_tpm *t = NULL;
	uint64_t floor = 77;
	char named[256];

	ASSERT_EQ(UC_EXIT_OK, CLI(self, self->real.tcti, "provision"));
	EXPECT_EQ(UC_EXIT_UNTRUSTED, CLI(self, self->fake.tcti, "measure", "--component",
					 "fw", "--slot", "a", "--version", "1",
					 "--digest=" DIGEST_A));
	snprintf(named, sizeof(named), "TPM at '%s' is not the provisioned TPM: its "
		 "ECC storage primary has name 000b", self->fake.tcti);
	EXPECT_TRUE(file_has(self->out, named));
	EXPECT_TRUE(file_has(self->out, "provisioning pinned 000b"));
	EXPECT_EQ(UC_EXIT_UNTRUSTED, CLI(self, self->fake.tcti, "floor", "--json"));
	EXPECT_TRUE(file_has(self->out, "\"code\":9,\"name\":\"untrusted\""));
	EXPECT_EQ(UC_EXIT_UNTRUSTED, CLI(self, self->fake.tcti, "status"));

	ASSERT_EQ(0, open_on(self, self->fake.tcti, &t));
	EXPECT_EQ(FWG_TPM_E_UNTRUSTED, fwg_tpm_measure(t, &s));
	EXPECT_EQ(FWG_TPM_E_UNTRUSTED, fwg_tpm_seal(t, &s));
	EXPECT_EQ(FWG_TPM_E_UNTRUSTED, fwg_tpm_floor_read(t, &floor));
	EXPECT_EQ(77ull, floor);
	fwg_tpm_close(t);
	/* Nothing reached the fake TPM's PCR; the real one still answers. */
	assert_pcr_zero(_metadata, self->fake.tcti, self->fake.statedir);
	EXPECT_EQ(UC_EXIT_OK, CLI(self, self->real.tcti, "floor"));
}

struct splice {
	uint8_t rsp[1024];
	size_t len;
	bool record, replaced;
};

/* Record the real TPM's ReadPublic answer / play it in the fake's. */
static void readpublic_hook(void *arg, uint32_t cc, uint8_t *rsp, size_t size)
{
	struct splice *sp = arg;

	if (cc != TPM2_CC_ReadPublic || size > sizeof(sp->rsp))
		return;
	if (sp->record) {
		memcpy(sp->rsp, rsp, size);
		sp->len = size;
	} else if (size == sp->len) {
		memcpy(rsp, sp->rsp, size);
		sp->replaced = true;
	}
}

static int persist_own_srk(struct swtpm *sw)
{
	struct fwg_tpm_options o = { .tcti = sw->tcti, .state_dir = sw->statedir,
				     .pcr = PCR };
	struct fwg_tpm *t = NULL;
	bool created;
	int err;

	err = fwg_tpm_open(&o, &t);
	if (!err)
		err = fwg_tpm_srk_persist(t, &created);
	fwg_tpm_close(t);
	return err;
}

/*
 * The fake TPM answers the SRK lookup with the genuine SRK's public area
 * (public, so root has it): the name matches the pin, but the salt is
 * encrypted to a key the fake lacks, so the session cannot be completed.
 */
TEST_F(trust, fake_tpm_with_the_genuine_srk_public_cannot_answer)
{
	struct splice sp = { .record = true };
	uint8_t pcr[FWG_DIGEST_SIZE];
	struct fwg_tpm *t = NULL;
	int err;

	ASSERT_EQ(UC_EXIT_OK, CLI(self, self->real.tcti, "provision", "--persist-srk"));
	ASSERT_EQ(0, open_on(self, self->real.tcti, &t));
	fwg_tpm_set_response_hook(t, readpublic_hook, &sp);
	ASSERT_EQ(0, fwg_tpm_pcr_read(t, pcr));
	fwg_tpm_close(t);
	ASSERT_LT(0u, sp.len);

	/* The fake has a persistent key at 0x81000001 of the same shape. */
	ASSERT_EQ(0, persist_own_srk(&self->fake));
	sp.record = false;
	ASSERT_EQ(0, open_on(self, self->fake.tcti, &t));
	fwg_tpm_set_response_hook(t, readpublic_hook, &sp);
	err = fwg_tpm_pcr_read(t, pcr);
	EXPECT_TRUE(sp.replaced);
	EXPECT_EQ(FWG_TPM_E_UNTRUSTED, err);
	fwg_tpm_close(t);
}

/* Root evicts the provisioned SRK and persists a key of its own there. */
static int replace_srk(struct swtpm *sw)
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
		.unique.ecc.x = { .size = 4, .buffer = "root" } } };
	TPM2B_SENSITIVE_CREATE sens = { .size = 0 };
	TPM2B_DATA outside = { .size = 0 };
	TPML_PCR_SELECTION none = { .count = 0 };
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_CONTEXT *esys = NULL;
	ESYS_TR key = ESYS_TR_NONE, old = ESYS_TR_NONE, out = ESYS_TR_NONE;
	TSS2_RC rc;

	if (Tss2_TctiLdr_Initialize(sw->tcti, &tcti) != TSS2_RC_SUCCESS)
		return -ENODEV;
	rc = Esys_Initialize(&esys, tcti, NULL);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_TR_FromTPMPublic(esys, FWG_TPM_SRK_HANDLE, ESYS_TR_NONE,
					   ESYS_TR_NONE, ESYS_TR_NONE, &old);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_EvictControl(esys, ESYS_TR_RH_OWNER, old, ESYS_TR_PASSWORD,
				       ESYS_TR_NONE, ESYS_TR_NONE, FWG_TPM_SRK_HANDLE, &out);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_CreatePrimary(esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
					ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl, &outside,
					&none, &key, NULL, NULL, NULL, NULL);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_EvictControl(esys, ESYS_TR_RH_OWNER, key, ESYS_TR_PASSWORD,
				       ESYS_TR_NONE, ESYS_TR_NONE, FWG_TPM_SRK_HANDLE, &out);
	if (key != ESYS_TR_NONE)
		Esys_FlushContext(esys, key);
	Esys_Finalize(&esys);
	Tss2_TctiLdr_Finalize(&tcti);
	return rc == TSS2_RC_SUCCESS ? 0 : -EIO;
}

TEST_F(trust, replaced_srk_is_detected)
{
	struct fwg_tpm_subject s = subject(0x5a), got;
	struct fwg_tpm *t = NULL;

	ASSERT_EQ(UC_EXIT_OK, CLI(self, self->real.tcti, "provision", "--persist-srk"));
	ASSERT_EQ(UC_EXIT_OK, CLI(self, self->real.tcti, "seal", "--component", "firmware",
				  "--slot", "a", "--version", "1",
				  "--digest=5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
				  "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"));
	ASSERT_EQ(0, replace_srk(&self->real));
	ASSERT_EQ(0, swtpm_reboot(&self->real));
	EXPECT_EQ(UC_EXIT_UNTRUSTED, CLI(self, self->real.tcti, "floor"));
	EXPECT_TRUE(file_has(self->out, "is not the provisioned TPM: its SRK at "
			     "0x81000001 has name 000b"));
	ASSERT_EQ(0, open_on(self, self->real.tcti, &t));
	EXPECT_EQ(FWG_TPM_E_UNTRUSTED, fwg_tpm_measure(t, &s));
	EXPECT_EQ(FWG_TPM_E_UNTRUSTED, fwg_tpm_unseal_verify(t, "firmware", "a", s.digest,
							     &got));
	fwg_tpm_close(t);
	/* The PCR was not extended through a key root controls. */
	assert_pcr_zero(_metadata, self->real.tcti, self->fake.statedir);
}

struct tamper {
	uint32_t cc;
	bool done;
};

/* An interposer flips the last byte of the response parameters of @cc. */
static void tamper_hook(void *arg, uint32_t cc, uint8_t *rsp, size_t size)
{
	struct tamper *tp = arg;
	size_t end = size;

	if (cc != tp->cc || tp->done || size < 11 || rsp[6] | rsp[7] | rsp[8] | rsp[9])
		return;
	if (rsp[0] == 0x80 && rsp[1] == 0x02 && size >= 14)	/* TPM_ST_SESSIONS */
		end = 14 + ((size_t)rsp[10] << 24 | (size_t)rsp[11] << 16 |
			    (size_t)rsp[12] << 8 | rsp[13]);
	if (end > size || end <= 10)
		return;
	rsp[end - 1] ^= 0x01;
	tp->done = true;
}

static void tampered(struct __test_metadata *_metadata, FIXTURE_DATA(trust) *self,
		     uint32_t cc)
{
	struct fwg_tpm_subject s = subject(0x5a), got;
	struct tamper tp = { .cc = cc };
	uint8_t pcr[FWG_DIGEST_SIZE];
	struct fwg_tpm *t = NULL;
	uint64_t floor = 77;
	int err;

	ASSERT_EQ(0, open_on(self, self->real.tcti, &t));
	ASSERT_EQ(0, fwg_tpm_floor_provision(t));
	ASSERT_EQ(0, fwg_tpm_seal(t, &s));
	fwg_tpm_close(t);
	ASSERT_EQ(0, swtpm_reboot(&self->real));
	ASSERT_EQ(0, open_on(self, self->real.tcti, &t));
	ASSERT_EQ(0, fwg_tpm_measure(t, &s));
	fwg_tpm_set_response_hook(t, tamper_hook, &tp);
	if (cc == TPM2_CC_NV_Read)
		err = fwg_tpm_floor_read(t, &floor);
	else if (cc == TPM2_CC_PCR_Read)
		err = fwg_tpm_pcr_read(t, pcr);
	else
		err = fwg_tpm_unseal_verify(t, "firmware", "a", s.digest, &got);
	EXPECT_TRUE(tp.done);
	EXPECT_EQ(FWG_TPM_E_UNTRUSTED, err);
	EXPECT_EQ(77ull, floor);
	fwg_tpm_close(t);
}

TEST_F(trust, interposer_altering_the_floor_read_is_detected)
{
	tampered(_metadata, self, TPM2_CC_NV_Read);
}

TEST_F(trust, interposer_altering_a_pcr_read_is_detected)
{
	tampered(_metadata, self, TPM2_CC_PCR_Read);
}

TEST_F(trust, interposer_altering_the_unsealed_record_is_detected)
{
	tampered(_metadata, self, TPM2_CC_Unseal);
}

struct sniff {
	bool unsealed, in_clear;
};

/* A passive probe on the bus: is the sealed record readable in the answer? */
static void sniff_hook(void *arg, uint32_t cc, uint8_t *rsp, size_t size)
{
	struct sniff *sn = arg;

	if (cc != TPM2_CC_Unseal)
		return;
	sn->unsealed = true;
	sn->in_clear |= memmem(rsp, size, "FWGS", 4) != NULL;
}

TEST_F(trust, unsealed_record_never_crosses_the_bus_in_clear)
{
	struct fwg_tpm_subject s = subject(0x5a), got;
	struct sniff sn = { 0 };
	struct fwg_tpm *t = NULL;

	ASSERT_EQ(UC_EXIT_OK, CLI(self, self->real.tcti, "provision"));
	ASSERT_EQ(0, open_on(self, self->real.tcti, &t));
	ASSERT_EQ(0, fwg_tpm_seal(t, &s));
	fwg_tpm_close(t);
	ASSERT_EQ(0, swtpm_reboot(&self->real));
	ASSERT_EQ(0, open_on(self, self->real.tcti, &t));
	ASSERT_EQ(0, fwg_tpm_measure(t, &s));
	fwg_tpm_set_response_hook(t, sniff_hook, &sn);
	EXPECT_EQ(0, fwg_tpm_unseal_verify(t, "firmware", "a", s.digest, &got));
	EXPECT_TRUE(sn.unsealed);
	EXPECT_FALSE(sn.in_clear);
	fwg_tpm_close(t);
}

/* A pin that does not parse trusts no TPM, not even the real one. */
TEST_F(trust, corrupt_pin_trusts_no_tpm)
{
	char path[512];
	FILE *f;

	ASSERT_EQ(UC_EXIT_OK, CLI(self, self->real.tcti, "provision"));
	pin_file(self, path, sizeof(path));
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs("v1 handle=0x81000001 name=zz\n", f);
	fclose(f);
	EXPECT_EQ(UC_EXIT_UNTRUSTED, CLI(self, self->real.tcti, "floor"));
	EXPECT_TRUE(file_has(self->out, "is not an SRK pin"));
}

TEST_HARNESS_MAIN
