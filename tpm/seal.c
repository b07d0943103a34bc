// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sealing the expected image digest (with slot, version and component) to
 * the PCR value the next boot will produce, and unsealing it at boot to
 * compare with a fresh measurement. The sealed object is a keyed-hash
 * object under the storage parent with fixedTPM|fixedParent, no
 * userWithAuth and a PolicyPCR authPolicy computed in software (no trial
 * session: four fewer TPM commands). One blob per (component, slot), so
 * sealing the slot being installed leaves the other slot's record for a
 * fallback boot. The blob file and the sealed payload are written and read
 * by sealed_format.c; this file holds the TPM operations.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "tpm/tpm-internal.h"

/*
 * authPolicy = H(0^32 || TPM_CC_PolicyPCR || pcrs || H(predicted)), the
 * digest a policy session reaches after one TPM2_PolicyPCR over the SHA-256
 * value of our PCR (TPM 2.0 Part 3, 23.7).
 */
static int policy_pcr_digest(unsigned int pcr, const uint8_t predicted[FWG_DIGEST_SIZE],
			     uint8_t policy[FWG_DIGEST_SIZE])
{
	static const uint8_t zero[FWG_DIGEST_SIZE];
	uint8_t buf[4 + sizeof(TPML_PCR_SELECTION)], pcr_digest[FWG_DIGEST_SIZE];
	uint8_t start[FWG_DIGEST_SIZE + sizeof(buf) + FWG_DIGEST_SIZE];
	TPML_PCR_SELECTION sel;
	size_t off = 4;
	TSS2_RC rc;

	buf[0] = TPM2_CC_PolicyPCR >> 24;
	buf[1] = TPM2_CC_PolicyPCR >> 16 & 0xff;
	buf[2] = TPM2_CC_PolicyPCR >> 8 & 0xff;
	buf[3] = TPM2_CC_PolicyPCR & 0xff;
	fwg_tpm_pcr_selection(pcr, &sel);
	rc = Tss2_MU_TPML_PCR_SELECTION_Marshal(&sel, buf, sizeof(buf), &off);
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("marshalling the PCR selection", rc);
	if (fwg_sha256(predicted, FWG_DIGEST_SIZE, NULL, 0, pcr_digest))
		return -ENOMEM;
	memcpy(start, zero, sizeof(zero));
	memcpy(start + sizeof(zero), buf, off);
	memcpy(start + sizeof(zero) + off, pcr_digest, sizeof(pcr_digest));
	if (fwg_sha256(start, sizeof(zero) + off + sizeof(pcr_digest), NULL, 0,
		       policy))
		return -ENOMEM;
	/* Never seal to an empty or trivially satisfiable policy. */
	if (!memcmp(policy, zero, sizeof(zero)) || sel.count != 1)
		return -EINVAL;
	return 0;
}

static void sealed_template(const uint8_t policy[FWG_DIGEST_SIZE],
			    TPM2B_PUBLIC *pub)
{
	TPMT_PUBLIC *area = &pub->publicArea;

	memset(pub, 0, sizeof(*pub));
	area->type = TPM2_ALG_KEYEDHASH;
	area->nameAlg = TPM2_ALG_SHA256;
	/*
	 * No userWithAuth: the empty authValue must never unseal, only the
	 * PCR policy. adminWithPolicy: the admin role needs it too. noDA:
	 * a policy failure is the expected outcome of a tampered boot and
	 * must not walk the TPM towards lockout.
	 */
	area->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				 TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_NODA;
	area->parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
	area->authPolicy.size = FWG_DIGEST_SIZE;
	memcpy(area->authPolicy.buffer, policy, FWG_DIGEST_SIZE);
}

static int parent_name(struct fwg_tpm *tpm, ESYS_TR parent,
		       struct fwg_tpm_sealed_info *info)
{
	TPM2B_NAME *name = NULL;
	TSS2_RC rc;
	int err = 0;

	rc = Esys_TR_GetName(tpm->esys, parent, &name);
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("reading the storage parent's name", rc);
	if (name->size != sizeof(info->parent_name)) {
		fwg_tpm_log("storage parent name has %u bytes, not a SHA-256 name",
			    name->size);
		err = -EOPNOTSUPP;
	} else {
		info->parent_name_size = name->size;
		memcpy(info->parent_name, name->name, name->size);
	}
	Esys_Free(name);
	return err;
}

static int seal_create(struct fwg_tpm *tpm, const uint8_t policy[FWG_DIGEST_SIZE],
		       const uint8_t *payload, size_t payload_len,
		       struct fwg_tpm_sealed_info *info,
		       TPM2B_PUBLIC **pub, TPM2B_PRIVATE **priv)
{
	TPM2B_SENSITIVE_CREATE sensitive;
	TPM2B_DATA outside_info;
	TPML_PCR_SELECTION creation_pcr;
	TPM2B_PUBLIC template;
	ESYS_TR parent = ESYS_TR_NONE, session;
	bool transient = false;
	TSS2_RC rc;
	int err;

	memset(&sensitive, 0, sizeof(sensitive));
	memset(&outside_info, 0, sizeof(outside_info));
	memset(&creation_pcr, 0, sizeof(creation_pcr));
	sensitive.sensitive.data.size = (UINT16)payload_len;
	memcpy(sensitive.sensitive.data.buffer, payload, payload_len);
	sealed_template(policy, &template);

	err = fwg_tpm_storage_parent(tpm, &parent, &transient);
	if (err)
		return err;
	err = parent_name(tpm, parent, info);
	/* Decrypt: the sensitive payload travels encrypted to the TPM. */
	if (!err)
		err = fwg_tpm_session(tpm, TPMA_SESSION_DECRYPT, &session);
	if (err) {
		fwg_tpm_release_parent(tpm, &parent, transient);
		return err;
	}
	rc = FWG_TPM_CALL(Esys_Create(tpm->esys, parent, session,
				      ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
				      &template, &outside_info, &creation_pcr,
				      priv, pub, NULL, NULL, NULL));
	OPENSSL_cleanse(&sensitive, sizeof(sensitive));
	if (rc != TSS2_RC_SUCCESS)
		err = fwg_tpm_fail("sealing to the predicted PCR value", rc);
	fwg_tpm_release_parent(tpm, &parent, transient);
	return err;
}

int fwg_tpm_seal_after(struct fwg_tpm *tpm, const struct fwg_tpm_subject *subject,
		       const uint8_t (*earlier)[FWG_DIGEST_SIZE], size_t n_earlier)
{
	struct fwg_tpm_sealed_info info = { .subject = *subject };
	uint8_t payload[128], policy[FWG_DIGEST_SIZE];
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_PRIVATE *priv = NULL;
	size_t payload_len;
	int err;

	if (!fwg_tpm_subject_name_valid(subject->component, FWG_COMPONENT_MAX) ||
	    !fwg_tpm_subject_name_valid(subject->slot, FWG_SLOT_MAX))
		return -EINVAL;
	if (n_earlier > FWG_TPM_EARLIER_MAX)
		return -E2BIG;
	payload_len = fwg_sealed_payload_build(subject, payload, sizeof(payload));
	if (!payload_len)
		return -EOVERFLOW;
	/* A PolicyPCR over a bank the TPM lacks would be computed over
	 * nothing; refuse before creating anything. */
	err = fwg_tpm_require_sha256_bank(tpm);
	if (err)
		return err;
	info.pcr = tpm->pcr;
	info.sealed_at = (uint64_t)time(NULL);
	err = fwg_tpm_predict_boot_pcr_after(earlier, n_earlier, subject->digest,
					     info.predicted_pcr);
	if (!err)
		err = policy_pcr_digest(tpm->pcr, info.predicted_pcr, policy);
	if (!err)
		err = seal_create(tpm, policy, payload, payload_len, &info, &pub,
				  &priv);
	OPENSSL_cleanse(payload, sizeof(payload));
	if (!err)
		err = fwg_sealed_blob_store(tpm->state_dir, &info, pub, priv);
	Esys_Free(pub);
	Esys_Free(priv);
	return err;
}

/*
 * Load only objects of exactly the shape fwg_tpm_seal() makes: a blob with
 * userWithAuth or another policy would unseal without the PCR check.
 * (Root can still seal a well-formed object to a value of its choosing;
 * closing that needs PolicyAuthorize with a vendor key, DESIGN.md 5.)
 */
static int check_sealed_public(const struct fwg_tpm_sealed_info *info,
			       const TPM2B_PUBLIC *pub)
{
	uint8_t policy[FWG_DIGEST_SIZE];
	TPM2B_PUBLIC expect;
	int err;

	err = policy_pcr_digest(info->pcr, info->predicted_pcr, policy);
	if (err)
		return err;
	sealed_template(policy, &expect);
	if (pub->publicArea.type != expect.publicArea.type ||
	    pub->publicArea.nameAlg != expect.publicArea.nameAlg ||
	    pub->publicArea.objectAttributes != expect.publicArea.objectAttributes ||
	    pub->publicArea.parameters.keyedHashDetail.scheme.scheme !=
	    TPM2_ALG_NULL ||
	    pub->publicArea.authPolicy.size != FWG_DIGEST_SIZE ||
	    memcmp(pub->publicArea.authPolicy.buffer, policy, FWG_DIGEST_SIZE)) {
		fwg_tpm_log("sealed object for '%s' is not bound to PolicyPCR over "
			    "its recorded prediction; refusing it",
			    info->subject.component);
		return FWG_TPM_E_BAD_BLOB;
	}
	return 0;
}

static int unseal_load(struct fwg_tpm *tpm, const struct fwg_tpm_sealed_info *info,
		       const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv,
		       ESYS_TR *ret)
{
	ESYS_TR parent = ESYS_TR_NONE, object = ESYS_TR_NONE, session;
	TPM2B_NAME want = { .size = info->parent_name_size };
	bool transient = false;
	TSS2_RC rc;
	int err;

	memcpy(want.name, info->parent_name, sizeof(info->parent_name));
	err = fwg_tpm_storage_parent_named(tpm, &want, &parent, &transient);
	if (!err)
		err = fwg_tpm_session(tpm, 0, &session);
	if (err) {
		fwg_tpm_release_parent(tpm, &parent, transient);
		return err;
	}
	rc = FWG_TPM_CALL(Esys_Load(tpm->esys, parent, session,
				    ESYS_TR_NONE, ESYS_TR_NONE, priv, pub, &object));
	if (rc != TSS2_RC_SUCCESS) {
		err = fwg_tpm_rc_errno(rc);
		if (err == FWG_TPM_E_UNAVAILABLE) {
			fwg_tpm_fail("loading the sealed object", rc);
		} else {
			/* The TPM checks the blob's integrity HMAC and
			 * its binding to this parent: a refusal means
			 * the blob was altered or is not from this TPM. */
			fwg_tpm_log("sealed blob rejected by the TPM (corrupt or "
				    "from another TPM): %s", Tss2_RC_Decode(rc));
			err = FWG_TPM_E_BAD_BLOB;
		}
	}
	fwg_tpm_release_parent(tpm, &parent, transient);
	if (!err)
		*ret = object;
	return err;
}

static int policy_session_start(struct fwg_tpm *tpm, ESYS_TR *ret)
{
	TPMT_SYM_DEF symmetric = { .algorithm = TPM2_ALG_NULL };
	TPML_PCR_SELECTION sel;
	TPM2B_DIGEST empty = { .size = 0 };
	ESYS_TR session = ESYS_TR_NONE;
	TSS2_RC rc;

	rc = FWG_TPM_CALL(Esys_StartAuthSession(tpm->esys, ESYS_TR_NONE,
						ESYS_TR_NONE, ESYS_TR_NONE,
						ESYS_TR_NONE, ESYS_TR_NONE, NULL,
						TPM2_SE_POLICY, &symmetric,
						TPM2_ALG_SHA256, &session));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("starting a policy session", rc);
	/*
	 * Empty pcrDigest: the TPM hashes the PCR as it is now, and the
	 * mismatch (if any) surfaces as a policy failure at Unseal, where it
	 * cannot be confused with anything else.
	 */
	fwg_tpm_pcr_selection(tpm->pcr, &sel);
	rc = FWG_TPM_CALL(Esys_PolicyPCR(tpm->esys, session, ESYS_TR_NONE,
					 ESYS_TR_NONE, ESYS_TR_NONE, &empty, &sel));
	if (rc != TSS2_RC_SUCCESS) {
		fwg_tpm_flush(tpm, &session);
		return fwg_tpm_fail("PolicyPCR", rc);
	}
	/* Let the TPM drop the session with the Unseal: one flush fewer. */
	Esys_TRSess_SetAttributes(tpm->esys, session, 0,
				  TPMA_SESSION_CONTINUESESSION);
	*ret = session;
	return 0;
}

static int unseal_payload(struct fwg_tpm *tpm, ESYS_TR object,
			  struct fwg_tpm_subject *ret)
{
	ESYS_TR session = ESYS_TR_NONE, salted;
	TPM2B_SENSITIVE_DATA *out = NULL;
	TSS2_RC rc;
	int err;

	/*
	 * The policy session authorises; the salted session rides along in
	 * the second slot to encrypt the unsealed record on the way back and
	 * to authenticate the answer (the policy session has no key).
	 */
	err = fwg_tpm_session(tpm, TPMA_SESSION_ENCRYPT, &salted);
	if (!err)
		err = policy_session_start(tpm, &session);
	if (err)
		return err;
	rc = FWG_TPM_CALL(Esys_Unseal(tpm->esys, object, session, salted,
				      ESYS_TR_NONE, &out));
	if (rc != TSS2_RC_SUCCESS) {
		/* A failed command leaves the session loaded. */
		fwg_tpm_flush(tpm, &session);
		if (fwg_tpm_rc_base(rc) == TPM2_RC_POLICY_FAIL) {
			fwg_tpm_log("PCR %u does not hold the value sealed for the "
				    "next boot: the measured image is not the one "
				    "installed, or the PCR was extended more than "
				    "once this boot (%s)", tpm->pcr, Tss2_RC_Decode(rc));
			return FWG_TPM_E_PCR_MISMATCH;
		}
		return fwg_tpm_fail("unsealing", rc);
	}
	/* The TPM dropped the session (continueSession clear); ESYS keeps
	 * its bookkeeping until told. */
	Esys_TR_Close(tpm->esys, &session);
	err = fwg_sealed_payload_parse(out->buffer, out->size, ret);
	if (err)
		fwg_tpm_log("unsealed record is malformed");
	OPENSSL_cleanse(out, sizeof(*out));
	Esys_Free(out);
	return err;
}

static bool subject_equal(const struct fwg_tpm_subject *a,
			  const struct fwg_tpm_subject *b)
{
	return !strcmp(a->component, b->component) && !strcmp(a->slot, b->slot) &&
	       a->version == b->version &&
	       !memcmp(a->digest, b->digest, FWG_DIGEST_SIZE);
}

int fwg_tpm_unseal_verify(struct fwg_tpm *tpm, const char *component,
			  const char *slot, const uint8_t measured[FWG_DIGEST_SIZE],
			  struct fwg_tpm_subject *ret)
{
	struct fwg_tpm_sealed_info info;
	struct fwg_tpm_subject sealed;
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	ESYS_TR object = ESYS_TR_NONE;
	int err;

	if (!fwg_tpm_subject_name_valid(component, FWG_COMPONENT_MAX) ||
	    !fwg_tpm_subject_name_valid(slot, FWG_SLOT_MAX))
		return -EINVAL;
	err = fwg_sealed_blob_load(tpm->state_dir, component, slot, &info, &pub, &priv);
	if (err)
		return err;
	if (info.pcr != tpm->pcr) {
		fwg_tpm_log("'%s' slot %s was sealed to PCR %u, not PCR %u",
			    component, slot, info.pcr, tpm->pcr);
		return -EINVAL;
	}
	err = check_sealed_public(&info, &pub);
	if (!err)
		err = unseal_load(tpm, &info, &pub, &priv, &object);
	if (err)
		return err;
	err = unseal_payload(tpm, object, &sealed);
	fwg_tpm_flush(tpm, &object);
	if (err)
		return err;
	/* The clear-text header must agree with what the TPM guarded. */
	if (!subject_equal(&sealed, &info.subject)) {
		fwg_tpm_log("sealed blob header for '%s' slot %s disagrees with "
			    "its sealed content", component, slot);
		return FWG_TPM_E_BAD_BLOB;
	}
	if (CRYPTO_memcmp(sealed.digest, measured, FWG_DIGEST_SIZE)) {
		fwg_tpm_log("'%s' slot %s: measured digest differs from the sealed "
			    "one", component, sealed.slot);
		return FWG_TPM_E_DIGEST_MISMATCH;
	}
	*ret = sealed;
	return 0;
}

int fwg_tpm_seal(struct fwg_tpm *tpm, const struct fwg_tpm_subject *subject)
{
	return fwg_tpm_seal_after(tpm, subject, NULL, 0);
}
