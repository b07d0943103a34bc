// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest test: the swtpm attached as a TIS TPM 2.0 is reachable through the
 * kernel's resource manager (/dev/tpmrm0) with tpm2-tss, has a SHA-256 PCR
 * bank, and shows a fresh boot: firmware measured into PCR 0 while PCR 8,
 * fwguard's default measurement PCR, is still all zero.
 */
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "kselftest_harness.h"

FIXTURE(tpm)
{
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
};

FIXTURE_SETUP(tpm)
{
	TSS2_RC rc;

	rc = Tss2_TctiLdr_Initialize("device:/dev/tpmrm0", &self->tcti);
	ASSERT_EQ(TSS2_RC_SUCCESS, rc) TH_LOG("tcti: %s", Tss2_RC_Decode(rc));
	rc = Esys_Initialize(&self->esys, self->tcti, NULL);
	ASSERT_EQ(TSS2_RC_SUCCESS, rc) TH_LOG("esys: %s", Tss2_RC_Decode(rc));
}

FIXTURE_TEARDOWN(tpm)
{
	Esys_Finalize(&self->esys);
	Tss2_TctiLdr_Finalize(&self->tcti);
}

/* Read one SHA-256 PCR; returns the TSS return code. */
static TSS2_RC read_pcr(ESYS_CONTEXT *esys, unsigned int pcr, TPM2B_DIGEST *value)
{
	TPML_PCR_SELECTION sel = {
		.count = 1,
		.pcrSelections[0] = { .hash = TPM2_ALG_SHA256, .sizeofSelect = 3 },
	};
	TPML_PCR_SELECTION *out_sel = NULL;
	TPML_DIGEST *values = NULL;
	TSS2_RC rc;

	sel.pcrSelections[0].pcrSelect[pcr / 8] = 1 << (pcr % 8);
	rc = Esys_PCR_Read(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel,
			   NULL, &out_sel, &values);
	if (rc == TSS2_RC_SUCCESS) {
		if (values->count == 1)
			*value = values->digests[0];
		else
			rc = TSS2_ESYS_RC_BAD_VALUE;	/* bank not allocated */
	}
	Esys_Free(out_sel);
	Esys_Free(values);
	return rc;
}

TEST_F(tpm, sha256_bank_reads_fresh_boot)
{
	static const uint8_t zero[32];
	TPM2B_DIGEST pcr0, pcr8;
	TSS2_RC rc;

	rc = read_pcr(self->esys, 0, &pcr0);
	ASSERT_EQ(TSS2_RC_SUCCESS, rc) TH_LOG("PCR 0: %s", Tss2_RC_Decode(rc));
	rc = read_pcr(self->esys, 8, &pcr8);
	ASSERT_EQ(TSS2_RC_SUCCESS, rc) TH_LOG("PCR 8: %s", Tss2_RC_Decode(rc));

	ASSERT_EQ(32, pcr0.size);
	ASSERT_EQ(32, pcr8.size);
	EXPECT_NE(0, memcmp(pcr0.buffer, zero, 32)) TH_LOG("firmware measured nothing");
	EXPECT_EQ(0, memcmp(pcr8.buffer, zero, 32)) TH_LOG("PCR 8 not fresh");
}

TEST_F(tpm, get_random)
{
	TPM2B_DIGEST *bytes = NULL;
	TSS2_RC rc;

	rc = Esys_GetRandom(self->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
			    16, &bytes);
	ASSERT_EQ(TSS2_RC_SUCCESS, rc) TH_LOG("%s", Tss2_RC_Decode(rc));
	EXPECT_EQ(16, bytes->size);
	Esys_Free(bytes);
}

TEST_HARNESS_MAIN
