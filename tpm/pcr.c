// SPDX-License-Identifier: GPL-2.0-only
/*
 * The measurement PCR: reading it from the SHA-256 bank (which doubles as
 * the check that the bank is allocated at all: a TPM silently ignores
 * extends into banks it does not have, so a missing bank would otherwise
 * look like a PCR nobody touches), extending it with an image digest and
 * logging the event, and predicting the value the PCR will hold after the
 * next boot's measurement.
 */
#include <string.h>

#include <tss2/tss2_rc.h>

#include "tpm/tpm-internal.h"

void fwg_tpm_pcr_selection(unsigned int pcr, TPML_PCR_SELECTION *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->count = 1;
	sel->pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel->pcrSelections[0].sizeofSelect = 3;	/* PCRs 0..23 */
	sel->pcrSelections[0].pcrSelect[pcr / 8] = (uint8_t)(1u << (pcr % 8));
}

static bool selection_has_pcr(const TPML_PCR_SELECTION *sel, unsigned int pcr)
{
	uint32_t i;

	for (i = 0; i < sel->count && i < TPM2_NUM_PCR_BANKS; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];

		if (s->hash == TPM2_ALG_SHA256 && pcr / 8 < s->sizeofSelect &&
		    (s->pcrSelect[pcr / 8] & (1u << (pcr % 8))))
			return true;
	}
	return false;
}

int fwg_tpm_pcr_read(struct fwg_tpm *tpm, uint8_t value[FWG_DIGEST_SIZE])
{
	TPML_PCR_SELECTION sel, *sel_out = NULL;
	TPML_DIGEST *values = NULL;
	uint32_t update_counter;
	ESYS_TR session;
	TSS2_RC rc;
	int err;

	/* Audit: PCR_Read has no parameter to encrypt, but the session's
	 * response HMAC still proves the value came from the pinned TPM. */
	err = fwg_tpm_session(tpm, TPMA_SESSION_AUDIT, &session);
	if (err)
		return err;
	fwg_tpm_pcr_selection(tpm->pcr, &sel);
	rc = FWG_TPM_CALL(Esys_PCR_Read(tpm->esys, session, ESYS_TR_NONE,
					ESYS_TR_NONE, &sel, &update_counter,
					&sel_out, &values));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("reading PCR", rc);
	if (!selection_has_pcr(sel_out, tpm->pcr) || values->count != 1 ||
	    values->digests[0].size != FWG_DIGEST_SIZE) {
		fwg_tpm_log("PCR %u is not allocated in the SHA-256 bank; refusing "
			    "to measure or seal", tpm->pcr);
		err = FWG_TPM_E_NO_BANK;
		goto out;
	}
	tpm->sha256_bank_checked = true;
	memcpy(value, values->digests[0].buffer, FWG_DIGEST_SIZE);
out:
	Esys_Free(sel_out);
	Esys_Free(values);
	return err;
}

int fwg_tpm_require_sha256_bank(struct fwg_tpm *tpm)
{
	uint8_t ignored[FWG_DIGEST_SIZE];

	if (tpm->sha256_bank_checked)
		return 0;
	return fwg_tpm_pcr_read(tpm, ignored);
}

static int pcr_extend(struct fwg_tpm *tpm, const uint8_t digest[FWG_DIGEST_SIZE])
{
	TPML_DIGEST_VALUES values;
	ESYS_TR session;
	TSS2_RC rc;
	int err;

	/* The session authorises the extend: an interposer can neither alter
	 * the digest nor drop the command and answer for the TPM. */
	err = fwg_tpm_session(tpm, 0, &session);
	if (err)
		return err;
	memset(&values, 0, sizeof(values));
	values.count = 1;
	values.digests[0].hashAlg = TPM2_ALG_SHA256;
	memcpy(values.digests[0].digest.sha256, digest, FWG_DIGEST_SIZE);
	rc = FWG_TPM_CALL(Esys_PCR_Extend(tpm->esys, ESYS_TR_PCR0 + tpm->pcr,
					  session, ESYS_TR_NONE,
					  ESYS_TR_NONE, &values));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("extending PCR", rc);
	return 0;
}

/*
 * Read first: that both proves the SHA-256 bank exists and gives the
 * "before" value the event log records, so a verifier can find where a
 * boot's chain starts. Two commands in all.
 */
int fwg_tpm_measure(struct fwg_tpm *tpm, const struct fwg_tpm_subject *subject)
{
	uint8_t before[FWG_DIGEST_SIZE], after[FWG_DIGEST_SIZE];
	int err;

	err = fwg_tpm_pcr_read(tpm, before);
	if (err)
		return err;
	err = pcr_extend(tpm, subject->digest);
	if (err)
		return err;
	err = fwg_sha256(before, sizeof(before), subject->digest, FWG_DIGEST_SIZE,
			 after);
	if (err)
		return err;
	return fwg_eventlog_append(tpm->state_dir, tpm->pcr, subject, before, after);
}

/*
 * The boot sequence we predict (TPM.md "Prediction"): the PCR is all zero
 * after TPM reset; boot-verify extends it with the digests of the
 * components it verifies before this one (earlier, in order), then with
 * this component's digest, and unseals right then.
 */
int fwg_tpm_predict_boot_pcr_after(const uint8_t (*earlier)[FWG_DIGEST_SIZE],
				   size_t n_earlier,
				   const uint8_t digest[FWG_DIGEST_SIZE],
				   uint8_t predicted[FWG_DIGEST_SIZE])
{
	uint8_t acc[FWG_DIGEST_SIZE] = { 0 };
	size_t i;
	int err;

	if (n_earlier > FWG_TPM_EARLIER_MAX)
		return -E2BIG;
	for (i = 0; i < n_earlier; i++) {
		err = fwg_sha256(acc, sizeof(acc), earlier[i], FWG_DIGEST_SIZE, acc);
		if (err)
			return err;
	}
	err = fwg_sha256(acc, sizeof(acc), digest, FWG_DIGEST_SIZE, acc);
	if (err)
		return err;
	memcpy(predicted, acc, sizeof(acc));
	return 0;
}

int fwg_tpm_predict_boot_pcr(const uint8_t digest[FWG_DIGEST_SIZE],
			     uint8_t predicted[FWG_DIGEST_SIZE])
{
	return fwg_tpm_predict_boot_pcr_after(NULL, 0, digest, predicted);
}
