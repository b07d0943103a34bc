// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device's mutual-TLS client key (TPM.md "TLS client key"): an ECC
 * NIST P-256 signing key created under fwguard's storage parent with
 * fixedTPM and fixedParent, so that the TPM never lets its private part
 * out, neither in the clear nor wrapped for another TPM or parent, and
 * made persistent at a documented handle in the owner range. updatectl
 * fetch uses it through OpenSSL's tpm2 provider (userspace/lib/tls_key.c);
 * this file creates it and checks that what a handle holds is such a key.
 */
#include <string.h>

#include "tpm/tpm-internal.h"

/* What a key must have, and must not have, to be taken for the TLS key. */
#define TLS_KEY_REQUIRED (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
			  TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_SIGN_ENCRYPT)
#define TLS_KEY_REFUSED	 (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | \
			  TPMA_OBJECT_ENCRYPTEDDUPLICATION)

bool fwg_tpm_tls_key_handle_valid(uint32_t handle)
{
	/* Owner persistent objects; the SRK's handle is the SRK's. */
	return handle >= 0x81000000u && handle <= 0x817fffffu && handle != FWG_TPM_SRK_HANDLE;
}

/*
 * Unrestricted ECDSA-capable signing key: scheme NULL lets the signer pick
 * ECDSA with the hash TLS negotiates; empty authValue, noDA (its use is
 * gated by who can reach the TPM, not by a password a service would keep
 * in a root-readable file anyway).
 */
static void tls_key_template(TPM2B_PUBLIC *pub)
{
	fwg_tpm_ecc_template(pub, TPMA_OBJECT_SIGN_ENCRYPT);
	pub->publicArea.objectAttributes &= ~TPMA_OBJECT_RESTRICTED;
}

static int tls_key_check(uint32_t handle, const TPM2B_PUBLIC *pub, struct fwg_tpm_tls_key *ret)
{
	const TPMT_PUBLIC *area = &pub->publicArea;
	TPMA_OBJECT attrs = area->objectAttributes;
	const TPMS_ECC_POINT *q = &area->unique.ecc;

	if (area->type != TPM2_ALG_ECC ||
	    area->parameters.eccDetail.curveID != TPM2_ECC_NIST_P256 ||
	    q->x.size > 32 || q->y.size > 32) {
		fwg_tpm_log("the object at 0x%08x is not an ECC NIST P-256 key", handle);
		return FWG_TPM_E_UNTRUSTED;
	}
	if ((attrs & TLS_KEY_REQUIRED) != TLS_KEY_REQUIRED || (attrs & TLS_KEY_REFUSED)) {
		fwg_tpm_log("the key at 0x%08x is not a non-exportable signing key "
			    "(attributes 0x%08x; need fixedTPM, fixedParent, sensitiveDataOrigin, "
			    "sign, unrestricted)", handle, (unsigned int)attrs);
		return FWG_TPM_E_UNTRUSTED;
	}
	memset(ret, 0, sizeof(*ret));
	ret->handle = handle;
	ret->attributes = attrs;
	memcpy(ret->x + 32 - q->x.size, q->x.buffer, q->x.size);
	memcpy(ret->y + 32 - q->y.size, q->y.buffer, q->y.size);
	return 0;
}

/* -ENXIO (FWG_TPM_E_NOT_PROVISIONED) when nothing is at @handle, unlogged. */
static int tls_key_lookup(struct fwg_tpm *tpm, uint32_t handle, ESYS_TR *obj)
{
	TSS2_RC rc;

	rc = FWG_TPM_CALL(Esys_TR_FromTPMPublic(tpm->esys, handle, ESYS_TR_NONE,
						ESYS_TR_NONE, ESYS_TR_NONE, obj));
	if (fwg_tpm_rc_base(rc) == TPM2_RC_HANDLE)
		return FWG_TPM_E_NOT_PROVISIONED;
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("looking up the TLS client key", rc);
	return 0;
}

int fwg_tpm_tls_key_read(struct fwg_tpm *tpm, uint32_t handle, struct fwg_tpm_tls_key *ret)
{
	ESYS_TR obj = ESYS_TR_NONE;
	TPM2B_PUBLIC *pub = NULL;
	TSS2_RC rc;
	int err;

	if (!fwg_tpm_tls_key_handle_valid(handle)) {
		fwg_tpm_log("0x%08x is not a handle for the TLS client key (0x81000000-0x817fffff, "
			    "not the SRK's 0x%08x)", handle, FWG_TPM_SRK_HANDLE);
		return -EINVAL;
	}
	err = tls_key_lookup(tpm, handle, &obj);
	if (err == FWG_TPM_E_NOT_PROVISIONED)
		fwg_tpm_log("this TPM holds no TLS client key at 0x%08x (never created here, "
			    "evicted, or the TPM was cleared)", handle);
	if (err)
		return err;
	rc = FWG_TPM_CALL(Esys_ReadPublic(tpm->esys, obj, ESYS_TR_NONE, ESYS_TR_NONE,
					  ESYS_TR_NONE, &pub, NULL, NULL));
	Esys_TR_Close(tpm->esys, &obj);
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("reading the TLS client key's public area", rc);
	err = tls_key_check(handle, pub, ret);
	Esys_Free(pub);
	return err;
}

/* Create the key under the storage parent and make it persistent at @handle. */
static int tls_key_make(struct fwg_tpm *tpm, uint32_t handle, struct fwg_tpm_tls_key *ret)
{
	TPM2B_SENSITIVE_CREATE sensitive;
	TPM2B_PUBLIC template, *pub = NULL;
	TPM2B_PRIVATE *priv = NULL;
	ESYS_TR parent = ESYS_TR_NONE, obj = ESYS_TR_NONE, persistent = ESYS_TR_NONE;
	ESYS_TR session;
	bool transient = false;
	TSS2_RC rc;
	int err;

	memset(&sensitive, 0, sizeof(sensitive));
	tls_key_template(&template);
	err = fwg_tpm_storage_parent(tpm, &parent, &transient);
	if (!err)
		err = fwg_tpm_session(tpm, 0, &session);
	if (err)
		goto out;
	err = fwg_tpm_create(tpm, parent, session, &sensitive, &template, &priv, &pub,
			     "creating the TLS client key");
	if (err)
		goto out;
	rc = FWG_TPM_CALL(Esys_Load(tpm->esys, parent, session, ESYS_TR_NONE, ESYS_TR_NONE,
				    priv, pub, &obj));
	if (rc != TSS2_RC_SUCCESS) {
		err = fwg_tpm_fail("loading the TLS client key", rc);
		goto out;
	}
	rc = FWG_TPM_CALL(Esys_EvictControl(tpm->esys, ESYS_TR_RH_OWNER, obj, session,
					    ESYS_TR_NONE, ESYS_TR_NONE, handle, &persistent));
	if (rc != TSS2_RC_SUCCESS) {
		err = fwg_tpm_fail("making the TLS client key persistent", rc);
		goto out;
	}
	Esys_TR_Close(tpm->esys, &persistent);
	err = tls_key_check(handle, pub, ret);
out:
	fwg_tpm_flush(tpm, &obj);
	fwg_tpm_release_parent(tpm, &parent, transient);
	Esys_Free(pub);
	Esys_Free(priv);
	return err;
}

int fwg_tpm_tls_key_create(struct fwg_tpm *tpm, uint32_t handle, struct fwg_tpm_tls_key *ret,
			   bool *created)
{
	ESYS_TR obj = ESYS_TR_NONE;
	int err;

	if (!fwg_tpm_tls_key_handle_valid(handle))
		return fwg_tpm_tls_key_read(tpm, handle, ret);	/* logs, -EINVAL */
	err = tls_key_lookup(tpm, handle, &obj);
	if (!err) {
		/* Kept, never replaced: the vendor may have certified it. */
		Esys_TR_Close(tpm->esys, &obj);
		err = fwg_tpm_tls_key_read(tpm, handle, ret);
		if (err == FWG_TPM_E_UNTRUSTED) {
			fwg_tpm_log("0x%08x holds another object; evict it first or choose "
				    "another handle", handle);
			return -EEXIST;
		}
		if (!err)
			*created = false;
		return err;
	}
	if (err != FWG_TPM_E_NOT_PROVISIONED)
		return err;
	err = tls_key_make(tpm, handle, ret);
	if (!err)
		*created = true;
	return err;
}
