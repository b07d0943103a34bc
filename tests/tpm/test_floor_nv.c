// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests of the version floor's NV index against swtpm, as root on the
 * running device would attack it. The test plays the factory (provisioning
 * with the platform hierarchy open) and then the firmware, which closes the
 * platform hierarchy with TPM2_HierarchyControl before the OS runs; every
 * attack after that goes through a raw ESYS context with the empty owner
 * and lockout authorisation root has, and must be refused by the TPM with
 * the floor unchanged.
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

#define FLOOR_COMMON (((TPMA_NV)TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT) | \
		      TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD | \
		      TPMA_NV_OWNERREAD | TPMA_NV_NO_DA)

FIXTURE(floornv) {
	struct swtpm sw;
	struct fwg_tpm *tpm;
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;	/* root's own context */
	char out[512];
};

static int connect_fwg(FIXTURE_DATA(floornv) *self)
{
	struct fwg_tpm_options opts = {
		.tcti = self->sw.tcti, .state_dir = self->sw.statedir, .pcr = 8,
	};

	fwg_tpm_close(self->tpm);
	self->tpm = NULL;
	return fwg_tpm_open(&opts, &self->tpm);
}

FIXTURE_SETUP(floornv)
{
	setenv("TSS2_LOG", "all+NONE", 1);
	self->tpm = NULL;
	self->esys = NULL;
	ASSERT_EQ(0, swtpm_setup_fresh(&self->sw, false));
	ASSERT_EQ(0, connect_fwg(self));
	ASSERT_EQ(TSS2_RC_SUCCESS, Tss2_TctiLdr_Initialize(self->sw.tcti, &self->tcti));
	ASSERT_EQ(TSS2_RC_SUCCESS, Esys_Initialize(&self->esys, self->tcti, NULL));
	snprintf(self->out, sizeof(self->out), "%s/cli.out", self->sw.dir);
}

FIXTURE_TEARDOWN(floornv)
{
	if (self->esys)
		Esys_Finalize(&self->esys);
	if (self->tcti)
		Tss2_TctiLdr_Finalize(&self->tcti);
	fwg_tpm_close(self->tpm);
	swtpm_teardown(&self->sw);
}

static TSS2_RC rc_base(TSS2_RC rc)
{
	if (rc & TPM2_RC_FMT1)
		return rc & (TPM2_RC_FMT1 | 0x3f);
	return rc & 0xfff;
}

/* What firmware does before the bootloader runs. */
static TSS2_RC close_platform(ESYS_CONTEXT *esys)
{
	return Esys_HierarchyControl(esys, ESYS_TR_RH_PLATFORM, ESYS_TR_PASSWORD,
				     ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_RH_PLATFORM,
				     TPM2_NO);
}

static ESYS_TR floor_handle(ESYS_CONTEXT *esys)
{
	ESYS_TR nv = ESYS_TR_NONE;

	if (Esys_TR_FromTPMPublic(esys, FWG_TPM_FLOOR_NV_INDEX, ESYS_TR_NONE,
				  ESYS_TR_NONE, ESYS_TR_NONE, &nv) != TSS2_RC_SUCCESS)
		return ESYS_TR_NONE;
	return nv;
}

/* A policy session that has run PolicyCommandCode(@cc). */
static ESYS_TR policy_for(ESYS_CONTEXT *esys, TPM2_CC cc)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	ESYS_TR session = ESYS_TR_NONE;

	if (Esys_StartAuthSession(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				  ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_POLICY,
				  &sym, TPM2_ALG_SHA256, &session) != TSS2_RC_SUCCESS)
		return ESYS_TR_NONE;
	if (Esys_PolicyCommandCode(esys, session, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, cc) != TSS2_RC_SUCCESS) {
		Esys_FlushContext(esys, session);
		return ESYS_TR_NONE;
	}
	return session;
}

static TSS2_RC undefine_special(ESYS_CONTEXT *esys, ESYS_TR nv)
{
	ESYS_TR session = policy_for(esys, TPM2_CC_NV_UndefineSpaceSpecial);
	TSS2_RC rc;

	if (session == ESYS_TR_NONE)
		return TSS2_BASE_RC_GENERAL_FAILURE;
	rc = Esys_NV_UndefineSpaceSpecial(esys, nv, ESYS_TR_RH_PLATFORM, session,
					  ESYS_TR_PASSWORD, ESYS_TR_NONE);
	if (rc != TSS2_RC_SUCCESS)
		Esys_FlushContext(esys, session);
	return rc;
}

static TSS2_RC define_at_floor(ESYS_CONTEXT *esys, ESYS_TR hierarchy, TPMA_NV attrs)
{
	TPM2B_NV_PUBLIC pub = { .nvPublic = {
		.nvIndex = FWG_TPM_FLOOR_NV_INDEX, .nameAlg = TPM2_ALG_SHA256,
		.attributes = attrs, .dataSize = 8 } };
	TPM2B_AUTH auth = { .size = 0 };
	ESYS_TR nv = ESYS_TR_NONE;
	TSS2_RC rc;

	rc = Esys_NV_DefineSpace(esys, hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				 ESYS_TR_NONE, &auth, &pub, &nv);
	if (rc == TSS2_RC_SUCCESS)
		Esys_TR_Close(esys, &nv);
	return rc;
}

static uint64_t floor_now(struct __test_metadata *_metadata, FIXTURE_DATA(floornv) *self)
{
	uint64_t floor = 0;

	EXPECT_EQ(0, connect_fwg(self));
	EXPECT_EQ(0, fwg_tpm_floor_read(self->tpm, &floor));
	return floor;
}

/* Factory: provision with the platform hierarchy open, raise, close it. */
static void factory(struct __test_metadata *_metadata, FIXTURE_DATA(floornv) *self)
{
	uint64_t floor = 0;
	bool platform = false;

	ASSERT_EQ(0, fwg_tpm_floor_provision_report(self->tpm, &platform));
	ASSERT_TRUE(platform);
	ASSERT_EQ(0, fwg_tpm_floor_raise(self->tpm, 5, &floor));
	ASSERT_EQ(TSS2_RC_SUCCESS, close_platform(self->esys));
}

TEST_F(floornv, root_cannot_undefine_the_floor)
{
	ESYS_TR nv;

	factory(_metadata, self);
	nv = floor_handle(self->esys);
	ASSERT_NE(ESYS_TR_NONE, nv);
	/* tpm2_nvundefine -C o: POLICY_DELETE indexes take no plain undefine. */
	EXPECT_EQ(TPM2_RC_ATTRIBUTES,
		  rc_base(Esys_NV_UndefineSpace(self->esys, ESYS_TR_RH_OWNER, nv,
						ESYS_TR_PASSWORD, ESYS_TR_NONE,
						ESYS_TR_NONE)));
	EXPECT_EQ(TPM2_RC_HIERARCHY,
		  rc_base(Esys_NV_UndefineSpace(self->esys, ESYS_TR_RH_PLATFORM, nv,
						ESYS_TR_PASSWORD, ESYS_TR_NONE,
						ESYS_TR_NONE)));
	/* The delete policy is satisfied, but platform authorisation is gone. */
	EXPECT_EQ(TPM2_RC_HIERARCHY, rc_base(undefine_special(self->esys, nv)));
	EXPECT_EQ(5ull, floor_now(_metadata, self));
}

TEST_F(floornv, root_cannot_redefine_the_floor)
{
	ESYS_TR nv;

	factory(_metadata, self);
	/* An impostor at the handle, with owner auth and with platform auth. */
	EXPECT_EQ(TPM2_RC_NV_DEFINED,
		  rc_base(define_at_floor(self->esys, ESYS_TR_RH_OWNER, FLOOR_COMMON)));
	EXPECT_EQ(TPM2_RC_HIERARCHY,
		  rc_base(define_at_floor(self->esys, ESYS_TR_RH_PLATFORM,
					  FLOOR_COMMON | TPMA_NV_PLATFORMCREATE)));
	/* Undefine, then define: the first step already fails. */
	nv = floor_handle(self->esys);
	ASSERT_NE(ESYS_TR_NONE, nv);
	Esys_NV_UndefineSpace(self->esys, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD,
			      ESYS_TR_NONE, ESYS_TR_NONE);
	EXPECT_EQ(TPM2_RC_NV_DEFINED,
		  rc_base(define_at_floor(self->esys, ESYS_TR_RH_OWNER, FLOOR_COMMON)));
	EXPECT_EQ(5ull, floor_now(_metadata, self));
}

TEST_F(floornv, root_clearing_the_tpm_keeps_the_floor)
{
	factory(_metadata, self);
	fwg_tpm_end_session(self->tpm);	/* Clear flushes what it holds */
	/* The lockout authorisation is empty: root can clear the TPM, which
	 * deletes every owner-created index, but not this one. */
	ASSERT_EQ(TSS2_RC_SUCCESS, Esys_Clear(self->esys, ESYS_TR_RH_LOCKOUT,
					      ESYS_TR_PASSWORD, ESYS_TR_NONE,
					      ESYS_TR_NONE));
	EXPECT_EQ(5ull, floor_now(_metadata, self));
}

TEST_F(floornv, root_cannot_lock_the_floor_or_change_its_auth)
{
	TPM2B_AUTH secret = { .size = 4, .buffer = { 1, 2, 3, 4 } };
	ESYS_TR nv, session;
	uint64_t floor = 0;

	factory(_metadata, self);
	nv = floor_handle(self->esys);
	ASSERT_NE(ESYS_TR_NONE, nv);
	/* Either would stop every later legitimate raise. */
	EXPECT_EQ(TPM2_RC_ATTRIBUTES,
		  rc_base(Esys_NV_WriteLock(self->esys, nv, nv, ESYS_TR_PASSWORD,
					    ESYS_TR_NONE, ESYS_TR_NONE)));
	session = policy_for(self->esys, TPM2_CC_NV_ChangeAuth);
	ASSERT_NE(ESYS_TR_NONE, session);
	EXPECT_EQ(TPM2_RC_POLICY_FAIL,
		  rc_base(Esys_NV_ChangeAuth(self->esys, nv, session, ESYS_TR_NONE,
					     ESYS_TR_NONE, &secret)));
	Esys_FlushContext(self->esys, session);
	/* The legitimate raise still works. */
	ASSERT_EQ(0, connect_fwg(self));
	ASSERT_EQ(0, fwg_tpm_floor_raise(self->tpm, 6, &floor));
	EXPECT_EQ(6ull, floor_now(_metadata, self));
}

/* Without the firmware's step the factory itself may remove the index:
 * it is the closed platform hierarchy that stops root. */
TEST_F(floornv, factory_can_undefine_with_platform_auth_and_policy)
{
	uint64_t floor = 0;
	bool platform = false;
	ESYS_TR nv;

	ASSERT_EQ(0, fwg_tpm_floor_provision_report(self->tpm, &platform));
	ASSERT_TRUE(platform);
	nv = floor_handle(self->esys);
	ASSERT_NE(ESYS_TR_NONE, nv);
	/* The owner cannot, even now. */
	EXPECT_EQ(TPM2_RC_ATTRIBUTES,
		  rc_base(Esys_NV_UndefineSpace(self->esys, ESYS_TR_RH_OWNER, nv,
						ESYS_TR_PASSWORD, ESYS_TR_NONE,
						ESYS_TR_NONE)));
	EXPECT_EQ(TSS2_RC_SUCCESS, undefine_special(self->esys, nv));
	ASSERT_EQ(0, connect_fwg(self));
	EXPECT_EQ(FWG_TPM_E_NOT_PROVISIONED, fwg_tpm_floor_read(self->tpm, &floor));
}

/* Firmware closed the platform hierarchy before provisioning ran. */
TEST_F(floornv, closed_platform_falls_back_to_owner_and_says_so)
{
	bool platform = true;
	uint64_t floor = 0;

	ASSERT_EQ(TSS2_RC_SUCCESS, close_platform(self->esys));
	ASSERT_EQ(0, fwg_tpm_floor_provision_report(self->tpm, &platform));
	EXPECT_FALSE(platform);
	ASSERT_EQ(0, fwg_tpm_floor_read(self->tpm, &floor));
	EXPECT_EQ(1ull, floor);
}

/* SeaBIOS (the guests' firmware) sets a random platform authorisation. */
TEST_F(floornv, platform_auth_set_by_firmware_falls_back_to_owner)
{
	TPM2B_AUTH random = { .size = 20, .buffer = { 0x5e, 0xab, 0x10, 0x5 } };
	bool platform = true;
	uint64_t floor = 0;

	ASSERT_EQ(TSS2_RC_SUCCESS,
		  Esys_HierarchyChangeAuth(self->esys, ESYS_TR_RH_PLATFORM,
					   ESYS_TR_PASSWORD, ESYS_TR_NONE,
					   ESYS_TR_NONE, &random));
	ASSERT_EQ(0, fwg_tpm_floor_provision_report(self->tpm, &platform));
	EXPECT_FALSE(platform);
	ASSERT_EQ(0, fwg_tpm_floor_read(self->tpm, &floor));
	EXPECT_EQ(1ull, floor);
}

static int cli(FIXTURE_DATA(floornv) *self, const char *a1, const char *a2)
{
	char *argv[12];
	int argc = 0, status, fd;
	pid_t pid;

	argv[argc++] = FWGUARD_BUILD "/bin/updatectl";
	argv[argc++] = "tpm";
	argv[argc++] = (char *)a1;
	if (a2)
		argv[argc++] = (char *)a2;
	argv[argc++] = "--tcti";
	argv[argc++] = self->sw.tcti;
	argv[argc++] = "--state-dir";
	argv[argc++] = self->sw.statedir;
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

static bool out_has(FIXTURE_DATA(floornv) *self, const char *needle)
{
	char buf[8192];
	size_t len;
	FILE *f = fopen(self->out, "r");

	if (!f)
		return false;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	return strstr(buf, needle) != NULL;
}

/* What an operator at the factory checks: which form provisioning made. */
TEST_F(floornv, provision_and_status_name_the_hierarchy)
{
	EXPECT_EQ(UC_EXIT_OK, cli(self, "provision", "--json"));
	EXPECT_TRUE(out_has(self, "\"floor_hierarchy\":\"platform\""));
	EXPECT_EQ(UC_EXIT_OK, cli(self, "status", "--json"));
	EXPECT_TRUE(out_has(self, "\"floor_hierarchy\":\"platform\""));
}

TEST_F(floornv, status_names_the_owner_fallback)
{
	ASSERT_EQ(TSS2_RC_SUCCESS, close_platform(self->esys));
	EXPECT_EQ(UC_EXIT_OK, cli(self, "provision", NULL));
	EXPECT_TRUE(out_has(self, "owner hierarchy: root can undefine it"));
	EXPECT_TRUE(out_has(self, "the platform hierarchy is closed"));
	EXPECT_EQ(UC_EXIT_OK, cli(self, "status", "--json"));
	EXPECT_TRUE(out_has(self, "\"floor_hierarchy\":\"owner\""));
}

/* The owner-created index earlier provisionings defined. */
TEST_F(floornv, index_of_an_earlier_provisioning_is_refused_with_advice)
{
	ESYS_TR nv;
	uint64_t floor = 77;
	int i;

	ASSERT_EQ(TSS2_RC_SUCCESS, define_at_floor(self->esys, ESYS_TR_RH_OWNER,
						   FLOOR_COMMON));
	nv = floor_handle(self->esys);
	ASSERT_NE(ESYS_TR_NONE, nv);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(TSS2_RC_SUCCESS, Esys_NV_Increment(self->esys, nv, nv,
							     ESYS_TR_PASSWORD,
							     ESYS_TR_NONE, ESYS_TR_NONE));
	EXPECT_EQ(-EEXIST, fwg_tpm_floor_read(self->tpm, &floor));
	EXPECT_EQ(-EEXIST, fwg_tpm_floor_raise(self->tpm, 9, &floor));
	EXPECT_EQ(-EEXIST, fwg_tpm_floor_provision(self->tpm));
	EXPECT_EQ(77ull, floor);
	EXPECT_EQ(UC_EXIT_TPM, cli(self, "floor", NULL));
	EXPECT_TRUE(out_has(self, "of an earlier provisioning"));
	EXPECT_TRUE(out_has(self, "re-provision"));
	/* The advice works, and the floor does not fall. */
	ASSERT_EQ(TSS2_RC_SUCCESS,
		  Esys_NV_UndefineSpace(self->esys, ESYS_TR_RH_OWNER, nv,
					ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE));
	EXPECT_EQ(UC_EXIT_OK, cli(self, "provision", NULL));
	EXPECT_TRUE(out_has(self, "platform hierarchy: root cannot undefine it"));
	EXPECT_EQ(4ull, floor_now(_metadata, self));
}

TEST_HARNESS_MAIN
