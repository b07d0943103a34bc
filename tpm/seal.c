// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sealing the expected image digest (with slot, version and component) to
 * the PCR value the next boot will produce, and unsealing it at boot to
 * compare with a fresh measurement. The sealed object is a keyed-hash
 * object under the storage parent with fixedTPM|fixedParent, no
 * userWithAuth and an authPolicy computed in software (no trial session:
 * four fewer TPM commands): PolicyPCR over the predicted value, or, on a
 * device with a vendor policy key, PolicyAuthorize against that key, which
 * the TPM satisfies only with the vendor's signed approval of the PolicyPCR
 * digest (TPM.md "Vendor-authorised sealing"). One blob per (component, slot), so
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
 * What a vendor-authorised record's policy session needs: the floor index
 * its PolicyNV names, and the TPM's ticket for the vendor's signature.
 */
struct record_auth {
	ESYS_TR nv;
	TPM2B_NAME name;
	TPMT_TK_VERIFIED *ticket;
};

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
	TPM2B_PUBLIC template;
	ESYS_TR parent = ESYS_TR_NONE, session;
	bool transient = false;
	int err;

	memset(&sensitive, 0, sizeof(sensitive));
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
	err = fwg_tpm_create(tpm, parent, session, &sensitive, &template, priv, pub,
			     "sealing to the predicted PCR value");
	OPENSSL_cleanse(&sensitive, sizeof(sensitive));
	fwg_tpm_release_parent(tpm, &parent, transient);
	return err;
}

/* Seal @subject under @policy; @info carries the record's header. */
static int seal_record(struct fwg_tpm *tpm, const struct fwg_tpm_subject *subject,
		       struct fwg_tpm_sealed_info *info,
		       const uint8_t policy[FWG_DIGEST_SIZE])
{
	uint8_t payload[128];
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_PRIVATE *priv = NULL;
	size_t payload_len;
	int err;

	payload_len = fwg_sealed_payload_build(subject, payload, sizeof(payload));
	if (!payload_len)
		return -EOVERFLOW;
	info->subject = *subject;
	info->pcr = tpm->pcr;
	info->sealed_at = (uint64_t)time(NULL);
	err = seal_create(tpm, policy, payload, payload_len, info, &pub, &priv);
	OPENSSL_cleanse(payload, sizeof(payload));
	if (!err)
		err = fwg_sealed_blob_store(tpm->state_dir, info, pub, priv);
	Esys_Free(pub);
	Esys_Free(priv);
	return err;
}

static int seal_check_subject(struct fwg_tpm *tpm, const struct fwg_tpm_subject *subject)
{
	if (!fwg_tpm_subject_name_valid(subject->component, FWG_COMPONENT_MAX) ||
	    !fwg_tpm_subject_name_valid(subject->slot, FWG_SLOT_MAX))
		return -EINVAL;
	/* A PolicyPCR over a bank the TPM lacks would be computed over
	 * nothing; refuse before creating anything. */
	return fwg_tpm_require_sha256_bank(tpm);
}

int fwg_tpm_seal_after(struct fwg_tpm *tpm, const struct fwg_tpm_subject *subject,
		       const uint8_t (*earlier)[FWG_DIGEST_SIZE], size_t n_earlier)
{
	struct fwg_tpm_sealed_info info = { .authorized = false };
	uint8_t policy[FWG_DIGEST_SIZE];
	int err;

	if (n_earlier > FWG_TPM_EARLIER_MAX)
		return -E2BIG;
	if (tpm->has_vendor_key) {
		/* A record the device would refuse at boot is worse than none. */
		fwg_tpm_log("'%s' slot %s: this device takes only vendor-approved "
			    "records, and none was given", subject->component,
			    subject->slot);
		return -ENOKEY;
	}
	err = seal_check_subject(tpm, subject);
	if (!err)
		err = fwg_tpm_predict_boot_pcr_after(earlier, n_earlier, subject->digest,
						     info.predicted_pcr);
	if (!err)
		err = fwg_tpm_policy_pcr(tpm->pcr, info.predicted_pcr, policy);
	if (!err)
		err = seal_record(tpm, subject, &info, policy);
	return err;
}

int fwg_tpm_seal_approved(struct fwg_tpm *tpm, const struct fwg_tpm_subject *subject,
			  const struct fwg_tpm_approval *approval)
{
	struct fwg_tpm_sealed_info info = { .authorized = true };
	struct fwg_approval_digests d;
	uint8_t policy[FWG_DIGEST_SIZE];
	struct record_auth fl;
	int err;

	if (!tpm->has_vendor_key) {
		fwg_tpm_log("no vendor policy key configured: cannot seal to a "
			    "vendor approval");
		return -ENOKEY;
	}
	if (approval->pcr != tpm->pcr) {
		fwg_tpm_log("the approval is for PCR %u, this device measures into "
			    "PCR %u", approval->pcr, tpm->pcr);
		return -EKEYREJECTED;
	}
	/* Checked here too, so that no record is sealed that never unseals. */
	err = fwg_approval_check(&tpm->vendor_key, approval, subject);
	if (err == -ENOKEY)
		fwg_tpm_log("'%s' version %" PRIu64 ": the approval is signed by "
			    "another key than the vendor policy key", subject->component,
			    subject->version);
	else if (err)
		fwg_tpm_log("'%s' version %" PRIu64 ": the vendor's approval does "
			    "not verify for this image", subject->component,
			    subject->version);
	if (!err)
		err = seal_check_subject(tpm, subject);
	if (!err)
		err = fwg_approval_digests(tpm->pcr, subject, &d);
	if (!err)
		err = fwg_approval_auth_policy(approval->key_name, d.policy_ref, policy);
	if (!err)
		err = fwg_tpm_floor_nv(tpm, &fl.nv, &fl.name);
	if (err)
		return err;
	Esys_TR_Close(tpm->esys, &fl.nv);
	/* Revocation: the record unseals only while floor <= its version. */
	err = fwg_policy_nv_floor(policy, subject->version, &fl.name);
	if (err)
		return err;
	memcpy(info.predicted_pcr, d.predicted, FWG_DIGEST_SIZE);
	info.vendor_key = tpm->vendor_key;
	info.approval = *approval;
	return seal_record(tpm, subject, &info, policy);
}

/*
 * Load only objects of exactly the shape the seal functions make: a blob
 * with userWithAuth or another policy would unseal without the PCR check.
 * (Without a vendor key, root can still seal a well-formed object to a
 * value of its choosing; check_record_authority() closes that.)
 */
/* The authPolicy a record of this header must carry (@fl: authorised only). */
static int record_policy(const struct fwg_tpm_sealed_info *info,
			 const struct record_auth *fl, uint8_t policy[FWG_DIGEST_SIZE])
{
	struct fwg_approval_digests d;
	int err;

	if (!info->authorized)
		return fwg_tpm_policy_pcr(info->pcr, info->predicted_pcr, policy);
	err = fwg_approval_digests(info->pcr, &info->subject, &d);
	if (err)
		return err;
	if (memcmp(d.predicted, info->predicted_pcr, FWG_DIGEST_SIZE))
		return FWG_TPM_E_BAD_BLOB;
	err = fwg_approval_auth_policy(info->approval.key_name, d.policy_ref, policy);
	return err ? err : fwg_policy_nv_floor(policy, info->subject.version, &fl->name);
}

static int check_sealed_public(const struct fwg_tpm_sealed_info *info,
			       const struct record_auth *fl, const TPM2B_PUBLIC *pub)
{
	uint8_t policy[FWG_DIGEST_SIZE];
	TPM2B_PUBLIC expect;
	int err;

	err = record_policy(info, fl, policy);
	if (err && err != FWG_TPM_E_BAD_BLOB)
		return err;
	sealed_template(policy, &expect);
	if (err || pub->publicArea.type != expect.publicArea.type ||
	    pub->publicArea.nameAlg != expect.publicArea.nameAlg ||
	    pub->publicArea.objectAttributes != expect.publicArea.objectAttributes ||
	    pub->publicArea.parameters.keyedHashDetail.scheme.scheme !=
	    TPM2_ALG_NULL ||
	    pub->publicArea.authPolicy.size != FWG_DIGEST_SIZE ||
	    memcmp(pub->publicArea.authPolicy.buffer, policy, FWG_DIGEST_SIZE)) {
		fwg_tpm_log("sealed object for '%s' is not bound to %s; refusing it",
			    info->subject.component, info->authorized ?
			    "PolicyAuthorize by its recorded vendor key, component and "
			    "version, and PolicyNV on the floor" :
			    "PolicyPCR over its recorded prediction");
		return FWG_TPM_E_BAD_BLOB;
	}
	return 0;
}

/*
 * Which records this context takes. With a vendor key, only records sealed
 * under PolicyAuthorize against that key: a PolicyPCR-only record (format
 * 1, sealed before the device had a vendor key, or by anyone who can reach
 * the TPM) proves nothing the vendor said.
 */
static int check_record_authority(const struct fwg_tpm *tpm,
				  const struct fwg_tpm_sealed_info *info)
{
	if (!tpm->has_vendor_key)
		return 0;
	if (!info->authorized) {
		fwg_tpm_log("'%s' slot %s was sealed without the vendor's approval "
			    "(an old-format record, or one sealed on this device); "
			    "refusing it: install the slot's release again, or seal it "
			    "with the vendor's approval (updatectl tpm seal --approval)",
			    info->subject.component, info->subject.slot);
		return FWG_TPM_E_BAD_BLOB;
	}
	if (memcmp(&info->vendor_key, &tpm->vendor_key, sizeof(tpm->vendor_key))) {
		fwg_tpm_log("'%s' slot %s was sealed to another vendor key than the "
			    "configured one; refusing it", info->subject.component,
			    info->subject.slot);
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
		if (err == FWG_TPM_E_UNAVAILABLE || fwg_tpm_rc_warning(rc)) {
			/* No TPM, or one that cannot load now (object
			 * memory full, NV rate, lockout): not the blob. */
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

/* The vendor key's signature over aHash, as the TPM checks it. */
static int verify_approval(struct fwg_tpm *tpm, const struct fwg_tpm_sealed_info *info,
			   const TPM2B_DIGEST *ahash, TPMT_TK_VERIFIED **ticket)
{
	TPMT_SIGNATURE sig = { .sigAlg = TPM2_ALG_ECDSA };
	ESYS_TR key = ESYS_TR_NONE;
	TPM2B_PUBLIC pub;
	TSS2_RC rc;

	sig.signature.ecdsa.hash = TPM2_ALG_SHA256;
	sig.signature.ecdsa.signatureR.size = 32;
	memcpy(sig.signature.ecdsa.signatureR.buffer, info->approval.sig_r, 32);
	sig.signature.ecdsa.signatureS.size = 32;
	memcpy(sig.signature.ecdsa.signatureS.buffer, info->approval.sig_s, 32);
	fwg_vendor_key_public(&info->vendor_key, &pub);
	/*
	 * Public part only, in the owner hierarchy: a key loaded in the null
	 * hierarchy gets a null ticket, which PolicyAuthorize refuses.
	 */
	rc = FWG_TPM_CALL(Esys_LoadExternal(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE,
					    ESYS_TR_NONE, NULL, &pub, ESYS_TR_RH_OWNER,
					    &key));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("loading the vendor policy key", rc);
	rc = FWG_TPM_CALL(Esys_VerifySignature(tpm->esys, key, ESYS_TR_NONE,
					       ESYS_TR_NONE, ESYS_TR_NONE, ahash,
					       &sig, ticket));
	fwg_tpm_flush(tpm, &key);
	if (rc == TSS2_RC_SUCCESS)
		return 0;
	if (fwg_tpm_rc_errno(rc) == FWG_TPM_E_UNAVAILABLE || fwg_tpm_rc_warning(rc))
		return fwg_tpm_fail("verifying the vendor's approval", rc);
	fwg_tpm_log("'%s' slot %s: the TPM refuses the vendor's approval of "
		    "version %" PRIu64 " (not signed by the vendor key for this "
		    "image): %s", info->subject.component, info->subject.slot,
		    info->subject.version, Tss2_RC_Decode(rc));
	return FWG_TPM_E_BAD_BLOB;
}

/*
 * PolicyAuthorize: the session's PolicyPCR digest must be the one the
 * vendor approved. A PCR that holds another value than predicted (another
 * image was measured) fails here, on approvedPolicy.
 */
/*
 * The ticket first, before the sealed object is loaded, so that no more than
 * two objects are loaded at once (a transient SRK and one more): TPMs have
 * as few as three slots, and the salted session's SRK may hold one.
 */
static int approval_ticket(struct fwg_tpm *tpm, const struct fwg_tpm_sealed_info *info,
			   struct record_auth *auth)
{
	TPM2B_DIGEST ahash = { .size = FWG_DIGEST_SIZE };
	struct fwg_approval_digests d;
	int err;

	err = fwg_approval_digests(info->pcr, &info->subject, &d);
	if (err)
		return err;
	memcpy(ahash.buffer, d.ahash, FWG_DIGEST_SIZE);
	return verify_approval(tpm, info, &ahash, &auth->ticket);
}

static int policy_authorize(struct fwg_tpm *tpm, ESYS_TR session,
			    const struct fwg_tpm_sealed_info *info,
			    const struct record_auth *auth)
{
	TPM2B_DIGEST approved = { .size = FWG_DIGEST_SIZE };
	TPM2B_NONCE ref = { .size = FWG_DIGEST_SIZE };
	TPM2B_NAME name = { .size = FWG_TPM_NAME_SIZE };
	struct fwg_approval_digests d;
	TSS2_RC rc;
	int err;

	err = fwg_approval_digests(info->pcr, &info->subject, &d);
	if (err)
		return err;
	memcpy(approved.buffer, d.approved, FWG_DIGEST_SIZE);
	memcpy(ref.buffer, d.policy_ref, FWG_DIGEST_SIZE);
	memcpy(name.name, info->approval.key_name, FWG_TPM_NAME_SIZE);
	rc = FWG_TPM_CALL(Esys_PolicyAuthorize(tpm->esys, session, ESYS_TR_NONE,
					       ESYS_TR_NONE, ESYS_TR_NONE, &approved,
					       &ref, &name, auth->ticket));
	if (rc == TSS2_RC_SUCCESS)
		return 0;
	if (fwg_tpm_rc_base(rc) == TPM2_RC_VALUE) {
		fwg_tpm_log("PCR %u does not hold the value the vendor approved for "
			    "'%s' version %" PRIu64 ": the measured image is not the "
			    "released one, or the PCR was extended more than once "
			    "this boot (%s)", tpm->pcr, info->subject.component,
			    info->subject.version, Tss2_RC_Decode(rc));
		return FWG_TPM_E_PCR_MISMATCH;
	}
	return fwg_tpm_fail("PolicyAuthorize", rc);
}

/*
 * PolicyNV "floor <= version" against the counter: a record of a release the
 * floor has passed (revoked) fails here, in the TPM.
 */
static int policy_floor(struct fwg_tpm *tpm, ESYS_TR session,
			const struct fwg_tpm_sealed_info *info, const struct record_auth *fl)
{
	TPM2B_OPERAND operand = { .size = 8 };
	TSS2_RC rc;
	int i;

	for (i = 0; i < 8; i++)
		operand.buffer[i] = (uint8_t)(info->subject.version >> (56 - 8 * i));
	rc = FWG_TPM_CALL(Esys_PolicyNV(tpm->esys, fl->nv, fl->nv, session,
					ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
					&operand, 0, TPM2_EO_UNSIGNED_LE));
	if (rc == TSS2_RC_SUCCESS)
		return 0;
	if (fwg_tpm_rc_base(rc) == TPM2_RC_POLICY) {
		fwg_tpm_log("'%s' slot %s: version %" PRIu64 " is below the version "
			    "floor; the TPM no longer unseals its record (revoked)",
			    info->subject.component, info->subject.slot,
			    info->subject.version);
		return FWG_TPM_E_STALE;
	}
	return fwg_tpm_fail("PolicyNV on the version floor", rc);
}

static int policy_session_start(struct fwg_tpm *tpm, const struct fwg_tpm_sealed_info *info,
				const struct record_auth *fl, ESYS_TR *ret)
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
	if (info->authorized) {
		int err = policy_authorize(tpm, session, info, fl);

		if (!err)
			err = policy_floor(tpm, session, info, fl);
		if (err) {
			fwg_tpm_flush(tpm, &session);
			return err;
		}
	}
	/* Let the TPM drop the session with the Unseal: one flush fewer. */
	Esys_TRSess_SetAttributes(tpm->esys, session, 0,
				  TPMA_SESSION_CONTINUESESSION);
	*ret = session;
	return 0;
}

static int unseal_payload(struct fwg_tpm *tpm, ESYS_TR object,
			  const struct fwg_tpm_sealed_info *info,
			  const struct record_auth *fl, struct fwg_tpm_subject *ret)
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
		err = policy_session_start(tpm, info, fl, &session);
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

/* Check the object's policy, load it and unseal it (the floor for PolicyNV). */
static int unseal_record(struct fwg_tpm *tpm, const struct fwg_tpm_sealed_info *info,
			 const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv,
			 struct fwg_tpm_subject *sealed)
{
	struct record_auth fl = { .nv = ESYS_TR_NONE };
	ESYS_TR object = ESYS_TR_NONE;
	int err = 0;

	if (info->authorized)
		err = fwg_tpm_floor_nv(tpm, &fl.nv, &fl.name);
	if (!err)
		err = check_sealed_public(info, &fl, pub);
	if (!err && info->authorized)
		err = approval_ticket(tpm, info, &fl);
	if (!err)
		err = unseal_load(tpm, info, pub, priv, &object);
	if (!err)
		err = unseal_payload(tpm, object, info, &fl, sealed);
	fwg_tpm_flush(tpm, &object);
	if (fl.nv != ESYS_TR_NONE)
		Esys_TR_Close(tpm->esys, &fl.nv);
	Esys_Free(fl.ticket);
	return err;
}

int fwg_tpm_unseal_verify(struct fwg_tpm *tpm, const char *component,
			  const char *slot, const uint8_t measured[FWG_DIGEST_SIZE],
			  struct fwg_tpm_subject *ret)
{
	struct fwg_tpm_sealed_info info;
	struct fwg_tpm_subject sealed;
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
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
	err = check_record_authority(tpm, &info);
	if (!err)
		err = unseal_record(tpm, &info, &pub, &priv, &sealed);
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
