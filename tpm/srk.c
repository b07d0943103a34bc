// SPDX-License-Identifier: GPL-2.0-only
/*
 * The storage parent for sealed objects: the persistent SRK at 0x81000001
 * when the platform provisioned one (TCG Provisioning Guidance), otherwise
 * a transient ECC P-256 primary derived from the same standard template.
 * Primaries are deterministic, so blobs sealed before `tpm provision
 * --persist-srk` keep loading afterwards; each blob records its parent's
 * name so that a persistent SRK from another template is told apart.
 * ECC only: RSA primary generation takes seconds on discrete TPMs.
 */
#include <string.h>

#include "tpm/tpm-internal.h"

/*
 * SRK template from the TCG "TPM 2.0 Provisioning Guidance": restricted
 * decryption key, AES-128-CFB for children, NIST P-256, empty unique.
 */
static void srk_template(TPM2B_PUBLIC *pub)
{
	TPMS_ECC_PARMS *ecc = &pub->publicArea.parameters.eccDetail;

	fwg_tpm_ecc_template(pub, TPMA_OBJECT_DECRYPT);
	ecc->symmetric.algorithm = TPM2_ALG_AES;
	ecc->symmetric.keyBits.aes = 128;
	ecc->symmetric.mode.aes = TPM2_ALG_CFB;
}

/**
 * fwg_tpm_ecc_template() - the shape of fwguard's primaries
 * @pub: filled in: a restricted NIST P-256 key, nameAlg SHA-256, fixedTPM,
 *       fixedParent, sensitiveDataOrigin, userWithAuth, noDA, no symmetric
 *       algorithm, no scheme, empty unique
 * @use: TPMA_OBJECT_DECRYPT (a storage key) or TPMA_OBJECT_SIGN_ENCRYPT
 */
void fwg_tpm_ecc_template(TPM2B_PUBLIC *pub, TPMA_OBJECT use)
{
	TPMT_PUBLIC *area = &pub->publicArea;

	memset(pub, 0, sizeof(*pub));
	area->type = TPM2_ALG_ECC;
	area->nameAlg = TPM2_ALG_SHA256;
	area->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				 TPMA_OBJECT_SENSITIVEDATAORIGIN |
				 TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA |
				 TPMA_OBJECT_RESTRICTED | use;
	area->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	area->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	area->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	area->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

/* 0: *ret holds the persistent SRK; -ENOENT: none at that handle. */
int fwg_tpm_srk_lookup(struct fwg_tpm *tpm, ESYS_TR *ret)
{
	ESYS_TR handle = ESYS_TR_NONE;
	TSS2_RC rc;

	rc = FWG_TPM_CALL(Esys_TR_FromTPMPublic(tpm->esys, FWG_TPM_SRK_HANDLE,
						ESYS_TR_NONE, ESYS_TR_NONE,
						ESYS_TR_NONE, &handle));
	if (fwg_tpm_rc_base(rc) == TPM2_RC_HANDLE)
		return -ENOENT;
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("looking up the persistent SRK", rc);
	*ret = handle;
	return 0;
}

/**
 * fwg_tpm_create_primary() - derive a primary key from a hierarchy's seed
 * @tpm: context
 * @hierarchy: ESYS_TR_RH_OWNER or ESYS_TR_RH_ENDORSEMENT (empty auth)
 * @template: the key's public template
 * @ret: the loaded transient object; flush it with fwg_tpm_flush()
 * @pub: if not NULL, the public area (free with Esys_Free)
 * @what: what is derived, for the error message
 */
/*
 * TPM2_Create of @template under the loaded @parent in @session, with no
 * outside info and no creation PCRs; @what names it in the error line.
 */
int fwg_tpm_create(struct fwg_tpm *tpm, ESYS_TR parent, ESYS_TR session,
		   const TPM2B_SENSITIVE_CREATE *sensitive, const TPM2B_PUBLIC *template,
		   TPM2B_PRIVATE **priv, TPM2B_PUBLIC **pub, const char *what)
{
	TPM2B_DATA outside_info;
	TPML_PCR_SELECTION creation_pcr;
	TSS2_RC rc;

	memset(&outside_info, 0, sizeof(outside_info));
	memset(&creation_pcr, 0, sizeof(creation_pcr));
	rc = FWG_TPM_CALL(Esys_Create(tpm->esys, parent, session, ESYS_TR_NONE, ESYS_TR_NONE,
				      sensitive, template, &outside_info, &creation_pcr,
				      priv, pub, NULL, NULL, NULL));
	return rc == TSS2_RC_SUCCESS ? 0 : fwg_tpm_fail(what, rc);
}

int fwg_tpm_create_primary(struct fwg_tpm *tpm, ESYS_TR hierarchy,
			   const TPM2B_PUBLIC *template, ESYS_TR *ret,
			   TPM2B_PUBLIC **pub, const char *what)
{
	TPM2B_SENSITIVE_CREATE sensitive;
	TPM2B_DATA outside_info;
	TPML_PCR_SELECTION creation_pcr;
	ESYS_TR handle = ESYS_TR_NONE;
	TSS2_RC rc;

	memset(&sensitive, 0, sizeof(sensitive));
	memset(&outside_info, 0, sizeof(outside_info));
	memset(&creation_pcr, 0, sizeof(creation_pcr));
	rc = FWG_TPM_CALL(Esys_CreatePrimary(tpm->esys, hierarchy,
					     ESYS_TR_PASSWORD, ESYS_TR_NONE,
					     ESYS_TR_NONE, &sensitive, template,
					     &outside_info, &creation_pcr,
					     &handle, pub, NULL, NULL, NULL));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail(what, rc);
	*ret = handle;
	return 0;
}

int fwg_tpm_srk_create_primary(struct fwg_tpm *tpm, ESYS_TR *ret)
{
	TPM2B_PUBLIC template;

	srk_template(&template);
	return fwg_tpm_create_primary(tpm, ESYS_TR_RH_OWNER, &template, ret, NULL,
				      "creating the ECC storage primary");
}

/*
 * The anchor's storage key (session.c): the pinned SRK, or without a pin the
 * persistent SRK if there is one, else the transient primary. It is owned by
 * the context; fwg_tpm_release_parent() leaves it alone.
 */
int fwg_tpm_storage_parent(struct fwg_tpm *tpm, ESYS_TR *parent, bool *transient)
{
	ESYS_TR session;
	int err;

	err = fwg_tpm_session(tpm, 0, &session);
	if (err)
		return err;
	*parent = tpm->srk;
	*transient = false;
	return 0;
}

static bool parent_has_name(struct fwg_tpm *tpm, ESYS_TR parent,
			    const TPM2B_NAME *want)
{
	TPM2B_NAME *name = NULL;
	bool same;

	if (Esys_TR_GetName(tpm->esys, parent, &name) != TSS2_RC_SUCCESS)
		return false;
	same = name->size == want->size && !memcmp(name->name, want->name, want->size);
	Esys_Free(name);
	return same;
}

/*
 * The parent a blob was sealed under. With a pin only the pinned SRK: a blob
 * wrapped by any other key is not ours. Without one, the anchor's key if it
 * is that key, otherwise the transient ECC primary if that is: a persistent
 * SRK made from another template (an RSA SRK provisioned by the platform,
 * say) is not the transient primary, so the name decides, not the handle.
 */
int fwg_tpm_storage_parent_named(struct fwg_tpm *tpm, const TPM2B_NAME *want,
				 ESYS_TR *parent, bool *transient)
{
	ESYS_TR handle = ESYS_TR_NONE;
	int err;

	err = fwg_tpm_storage_parent(tpm, &handle, transient);
	if (err)
		return err;
	if (parent_has_name(tpm, handle, want)) {
		*parent = handle;
		return 0;
	}
	if (tpm->pinned || tpm->srk_transient) {
		fwg_tpm_log("sealed blob belongs to a storage key other than %s (SRK "
			    "replaced, TPM cleared, or another TPM)",
			    tpm->pinned ? "the provisioned SRK" : "this TPM's");
		return FWG_TPM_E_BAD_BLOB;
	}
	err = fwg_tpm_srk_create_primary(tpm, &handle);
	if (err)
		return err;
	if (!parent_has_name(tpm, handle, want)) {
		fwg_tpm_flush(tpm, &handle);
		fwg_tpm_log("sealed blob belongs to a storage parent this TPM no "
			    "longer has (SRK replaced, TPM cleared, or another TPM)");
		return FWG_TPM_E_BAD_BLOB;
	}
	*parent = handle;
	*transient = true;
	return 0;
}

void fwg_tpm_release_parent(struct fwg_tpm *tpm, ESYS_TR *parent, bool transient)
{
	if (*parent == ESYS_TR_NONE)
		return;
	if (*parent == tpm->srk) {	/* the anchor's, closed with the context */
		*parent = ESYS_TR_NONE;
		return;
	}
	if (transient) {
		fwg_tpm_flush(tpm, parent);
		return;
	}
	/* A persistent handle stays in the TPM; drop only our reference. */
	Esys_TR_Close(tpm->esys, parent);
	*parent = ESYS_TR_NONE;
}

int fwg_tpm_srk_present(struct fwg_tpm *tpm, bool *ret)
{
	ESYS_TR handle = ESYS_TR_NONE;
	int err;

	err = fwg_tpm_srk_lookup(tpm, &handle);
	if (err && err != -ENOENT)
		return err;
	if (!err)
		Esys_TR_Close(tpm->esys, &handle);
	*ret = !err;
	return 0;
}

/*
 * Make the anchor's key persistent at 0x81000001. Without a persistent SRK
 * the anchor is the transient primary, so that very object is evicted; the
 * session salted to it stays valid.
 */
int fwg_tpm_srk_persist(struct fwg_tpm *tpm, bool *created)
{
	ESYS_TR persistent = ESYS_TR_NONE, session;
	TSS2_RC rc;
	int err;

	err = fwg_tpm_session(tpm, 0, &session);
	if (err)
		return err;
	if (!tpm->srk_transient) {
		*created = false;
		return 0;
	}
	rc = FWG_TPM_CALL(Esys_EvictControl(tpm->esys, ESYS_TR_RH_OWNER, tpm->srk,
					    session, ESYS_TR_NONE, ESYS_TR_NONE,
					    FWG_TPM_SRK_HANDLE, &persistent));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("persisting the SRK at 0x81000001", rc);
	fwg_tpm_flush(tpm, &tpm->srk);
	tpm->srk = persistent;
	tpm->srk_transient = false;
	*created = true;
	return 0;
}
