// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device side of remote attestation: the attestation key (AK) and
 * TPM2_Quote over fwguard's PCR. The AK is a restricted ECC P-256 ECDSA
 * signing primary in the endorsement hierarchy, derived from a fixed
 * template each time it is needed (TPM.md "Attestation"): the same key for
 * as long as the endorsement seed lives, so there is no persistent handle
 * that root could evict or fill with a key of its own, and TPM2_Clear does
 * not change it. Because it is restricted, the TPM signs with it only what
 * the TPM itself produced (TPMS_ATTEST starting with TPM_GENERATED_VALUE),
 * so nobody with access to the TPM can make it sign a quote of PCR values
 * the TPM does not hold.
 */
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "tpm/tpm-internal.h"

/* unique.ecc.x of the AK template: keeps our AK apart from other primaries
 * of the same shape in the endorsement hierarchy. */
static const char ak_label[] = "fwguard attestation key v1";

static void ak_template(TPM2B_PUBLIC *pub)
{
	TPMT_PUBLIC *area = &pub->publicArea;

	fwg_tpm_ecc_template(pub, TPMA_OBJECT_SIGN_ENCRYPT);
	area->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	area->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	area->unique.ecc.x.size = sizeof(ak_label) - 1;
	memcpy(area->unique.ecc.x.buffer, ak_label, sizeof(ak_label) - 1);
}

/* The AK, loaded as a transient object; flush it with fwg_tpm_flush(). */
static int ak_create(struct fwg_tpm *tpm, ESYS_TR *ret, TPM2B_PUBLIC **pub)
{
	TPM2B_PUBLIC template;

	ak_template(&template);
	return fwg_tpm_create_primary(tpm, ESYS_TR_RH_ENDORSEMENT, &template, ret, pub,
				      "deriving the attestation key (endorsement hierarchy)");
}

static int public_marshal(const TPM2B_PUBLIC *pub, uint8_t *buf, size_t cap,
			  uint16_t *len)
{
	size_t off = 0;

	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, cap, &off) != TSS2_RC_SUCCESS)
		return -EOVERFLOW;
	*len = (uint16_t)off;
	return 0;
}

int fwg_tpm_ak_public(struct fwg_tpm *tpm, uint8_t buf[FWG_QUOTE_PART_MAX],
		      uint16_t *len)
{
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR ak = ESYS_TR_NONE;
	int err;

	err = ak_create(tpm, &ak, &pub);
	if (err)
		return err;
	fwg_tpm_flush(tpm, &ak);
	err = public_marshal(pub, buf, FWG_QUOTE_PART_MAX, len);
	Esys_Free(pub);
	return err;
}

static int quote_store(struct fwg_quote *q, const TPM2B_ATTEST *attest,
		       const TPMT_SIGNATURE *sig)
{
	size_t off = 0;

	if (attest->size > sizeof(q->attest))
		return -EOVERFLOW;
	memcpy(q->attest, attest->attestationData, attest->size);
	q->attest_len = attest->size;
	if (Tss2_MU_TPMT_SIGNATURE_Marshal(sig, q->signature, sizeof(q->signature),
					   &off) != TSS2_RC_SUCCESS)
		return -EOVERFLOW;
	q->signature_len = (uint16_t)off;
	return 0;
}

static int quote_sign(struct fwg_tpm *tpm, ESYS_TR ak, const uint8_t *nonce,
		      size_t nonce_len, struct fwg_quote *q)
{
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };	/* the key's own */
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	TPML_PCR_SELECTION sel;
	TPM2B_DATA qualifying;
	TSS2_RC rc;
	int err;

	memset(&qualifying, 0, sizeof(qualifying));
	qualifying.size = (uint16_t)nonce_len;
	memcpy(qualifying.buffer, nonce, nonce_len);
	fwg_tpm_pcr_selection(tpm->pcr, &sel);
	rc = FWG_TPM_CALL(Esys_Quote(tpm->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				     ESYS_TR_NONE, &qualifying, &scheme, &sel,
				     &attest, &sig));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("quoting the PCR", rc);
	err = quote_store(q, attest, sig);
	Esys_Free(attest);
	Esys_Free(sig);
	return err;
}

/*
 * CreatePrimary(AK), Quote, FlushContext, then the event log. The log is
 * read after the quote: an extend that lands in between shows up at the
 * verifier as a log that does not replay to the quoted PCR (quote again).
 */
int fwg_tpm_quote(struct fwg_tpm *tpm, const uint8_t *nonce, size_t nonce_len,
		  struct fwg_quote *ret)
{
	struct fwg_quote q = { .pcr = tpm->pcr };
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR ak = ESYS_TR_NONE;
	int err;

	if (nonce_len < FWG_NONCE_MIN || nonce_len > FWG_NONCE_MAX)
		return -EINVAL;
	err = ak_create(tpm, &ak, &pub);
	if (err)
		return err;
	err = quote_sign(tpm, ak, nonce, nonce_len, &q);
	fwg_tpm_flush(tpm, &ak);
	if (!err)
		err = public_marshal(pub, q.ak_public, sizeof(q.ak_public),
				     &q.ak_public_len);
	Esys_Free(pub);
	if (!err)
		err = fwg_eventlog_read(tpm->state_dir, &q.eventlog, &q.eventlog_len);
	if (err) {
		fwg_quote_release(&q);
		return err;
	}
	*ret = q;
	return 0;
}
