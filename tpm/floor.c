// SPDX-License-Identifier: GPL-2.0-only
/*
 * The security-version floor, kept in a TPM NV counter index (TPM_NT_COUNTER)
 * at FWG_TPM_FLOOR_NV_INDEX. The floor is the counter's value; raising it to
 * version V means incrementing until it reads V. A counter is the one NV type
 * whose value the TPM itself keeps monotonic, even across undefine and
 * redefine (a new counter starts at or above the largest value any counter
 * on this TPM has held), so root with owner authorization cannot lower it.
 * TPM.md "Version floor" explains the choice against ordinary and bit-field
 * indices. Provisioning defines it in the platform hierarchy so that root,
 * once firmware has closed that hierarchy, cannot undefine or redefine it
 * (TPM.md "Version floor"). Every access first checks the index's name,
 * which covers its type, attributes and policy, so an impostor index at
 * our handle is refused, and so is the index of earlier provisionings.
 * With a vendor policy key the index is written only under its authPolicy,
 * and each raise needs the vendor's signed floor approval (TPM.md "Raising
 * the floor only with the vendor's signature").
 */
#include <inttypes.h>
#include <string.h>

#include <tss2/tss2_mu.h>

#include "tpm/tpm-internal.h"

/*
 * Every form of fwguard's NV indices (the floor counter, the journal's
 * extend index, journal.c) shares these: anyone may read and (with the
 * empty authValue) increment or extend it, and it never takes part in DA
 * lockout. There is no OWNERWRITE, no WRITEDEFINE and no WRITE_STCLEAR,
 * so neither the owner nor anyone else can write-lock it or write a
 * chosen value.
 */
#define NV_COMMON	(TPMA_NV_AUTHWRITE | TPMA_NV_AUTHREAD | TPMA_NV_OWNERREAD | TPMA_NV_NO_DA)
/*
 * The factory form: defined with platform authorisation (PLATFORMCREATE),
 * so the owner can neither undefine it nor TPM2_Clear it away, and with
 * POLICY_DELETE, so that NV_UndefineSpace refuses it outright and only
 * NV_UndefineSpaceSpecial, which needs platform authorisation and the
 * delete policy together, removes it. Firmware closes the platform
 * hierarchy before the OS runs, and with it every way to delete the index.
 */
#define NV_PLATFORM	(TPMA_NV_PLATFORMCREATE | TPMA_NV_POLICY_DELETE)
/*
 * The floor under a vendor key (TPM.md "Raising the floor only with the
 * vendor's signature"): written only through its authPolicy (POLICYWRITE,
 * no AUTHWRITE), which needs the vendor's signed approval of each raise.
 */
#define NV_VENDOR	(TPMA_NV_POLICYWRITE | TPMA_NV_AUTHREAD | TPMA_NV_OWNERREAD | TPMA_NV_NO_DA)

/*
 * FLOOR_FORM_OWNER: defined by the owner because the platform hierarchy
 * was already closed; root can undefine it. FLOOR_FORM_LEGACY: the index
 * of earlier provisionings (no authPolicy), refused until re-provisioned.
 */
enum floor_form {
	FLOOR_FORM_PLATFORM, FLOOR_FORM_OWNER, FLOOR_FORM_LEGACY,
	FLOOR_FORM_VENDOR_PLATFORM, FLOOR_FORM_VENDOR_OWNER,	/* vendor mode */
};

static bool form_vendor(enum floor_form form)
{
	return form == FLOOR_FORM_VENDOR_PLATFORM || form == FLOOR_FORM_VENDOR_OWNER;
}

static const struct fwg_nv_desc floor_nv = {
	.index = FWG_TPM_FLOOR_NV_INDEX, .type = TPM2_NT_COUNTER, .size = 8,
	.what = "version floor", .legacy = true, .vendor = true,
};
enum floor_state { FLOOR_WRITTEN, FLOOR_UNWRITTEN };

struct floor_kind {
	enum floor_form form;
	enum floor_state state;
	bool foreign;	/* a vendor form under another vendor key than the context's */
};

/*
 * authPolicy of the platform and owner forms:
 * SHA-256(0^32 || TPM_CC_PolicyCommandCode || TPM_CC_NV_UndefineSpaceSpecial).
 * It serves only NV_UndefineSpaceSpecial (no POLICYREAD, no POLICYWRITE);
 * NV_ChangeAuth, the other ADMIN command, cannot satisfy it.
 */
static int floor_delete_policy(TPM2B_DIGEST *policy)
{
	const uint8_t zero[FWG_DIGEST_SIZE] = { 0 };
	const uint8_t cc[8] = {
		TPM2_CC_PolicyCommandCode >> 24, (TPM2_CC_PolicyCommandCode >> 16) & 0xff,
		(TPM2_CC_PolicyCommandCode >> 8) & 0xff, TPM2_CC_PolicyCommandCode & 0xff,
		TPM2_CC_NV_UndefineSpaceSpecial >> 24,
		(TPM2_CC_NV_UndefineSpaceSpecial >> 16) & 0xff,
		(TPM2_CC_NV_UndefineSpaceSpecial >> 8) & 0xff,
		TPM2_CC_NV_UndefineSpaceSpecial & 0xff,
	};

	policy->size = FWG_DIGEST_SIZE;
	return fwg_sha256(zero, sizeof(zero), cc, sizeof(cc), policy->buffer);
}

/* @key_name: the vendor key's, for the vendor forms (NULL otherwise). */
static int floor_public(const struct fwg_nv_desc *d, enum floor_form form, bool written,
			const uint8_t *key_name, TPM2B_NV_PUBLIC *pub)
{
	TPMA_NV attrs = ((TPMA_NV)d->type << TPMA_NV_TPM2_NT_SHIFT) |
			(form_vendor(form) ? NV_VENDOR : NV_COMMON);

	if (form == FLOOR_FORM_PLATFORM || form == FLOOR_FORM_VENDOR_PLATFORM)
		attrs |= NV_PLATFORM;
	memset(pub, 0, sizeof(*pub));
	pub->nvPublic.nvIndex = d->index;
	pub->nvPublic.nameAlg = TPM2_ALG_SHA256;
	pub->nvPublic.attributes = attrs | (written ? TPMA_NV_WRITTEN : 0);
	pub->nvPublic.dataSize = d->size;
	if (form == FLOOR_FORM_LEGACY)
		return 0;
	if (form_vendor(form))
		return key_name ? fwg_floor_auth_policy(key_name, &pub->nvPublic.authPolicy) :
				  -EINVAL;
	return floor_delete_policy(&pub->nvPublic.authPolicy);
}

/* Name of an NV index = nameAlg || H(TPMS_NV_PUBLIC) (TPM 2.0 Part 1, 16). */
static int floor_name(const struct fwg_nv_desc *d, enum floor_form form, bool written,
		      const uint8_t *key_name, TPM2B_NAME *name)
{
	uint8_t buf[sizeof(TPMS_NV_PUBLIC)];
	TPM2B_NV_PUBLIC pub;
	size_t off = 0;
	TSS2_RC rc;
	int err;

	err = floor_public(d, form, written, key_name, &pub);
	if (err)
		return err;
	rc = Tss2_MU_TPMS_NV_PUBLIC_Marshal(&pub.nvPublic, buf, sizeof(buf), &off);
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("marshalling an NV index public area", rc);
	name->size = 2 + FWG_DIGEST_SIZE;
	name->name[0] = TPM2_ALG_SHA256 >> 8;
	name->name[1] = TPM2_ALG_SHA256 & 0xff;
	return fwg_sha256(buf, off, NULL, 0, name->name + 2);
}

static bool name_is(const TPM2B_NAME *a, const TPM2B_NAME *b)
{
	return a->size == b->size && !memcmp(a->name, b->name, a->size);
}

int fwg_floor_vendor_name(const uint8_t key_name[FWG_TPM_NAME_SIZE], int form, TPM2B_NAME *name)
{
	return floor_name(&floor_nv, form == FWG_FLOOR_FORM_PLATFORM ?
			  FLOOR_FORM_VENDOR_PLATFORM : FLOOR_FORM_VENDOR_OWNER,
			  true, key_name, name);
}

/* The context's vendor key name, or NULL (legacy mode). */
static const uint8_t *ctx_key_name(struct fwg_tpm *tpm, uint8_t buf[FWG_TPM_NAME_SIZE])
{
	if (!tpm->has_vendor_key || fwg_vendor_key_name(&tpm->vendor_key, buf))
		return NULL;
	return buf;
}

/* Which of our forms @actual names; -EEXIST for none (an impostor). */
static int floor_kind_of(const struct fwg_nv_desc *d, const TPM2B_NAME *actual,
			 const uint8_t *key_name, struct floor_kind *ret)
{
	static const enum floor_form forms[] = {
		FLOOR_FORM_PLATFORM, FLOOR_FORM_OWNER, FLOOR_FORM_LEGACY,
		FLOOR_FORM_VENDOR_PLATFORM, FLOOR_FORM_VENDOR_OWNER,
	};
	TPM2B_NAME want;
	size_t i;
	int w, err;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (forms[i] == FLOOR_FORM_LEGACY && !d->legacy)
			continue;
		if (form_vendor(forms[i]) && (!d->vendor || !key_name))
			continue;
		for (w = 0; w < 2; w++) {
			err = floor_name(d, forms[i], w, key_name, &want);
			if (err)
				return err;
			if (name_is(actual, &want)) {
				ret->form = forms[i];
				ret->state = w ? FLOOR_WRITTEN : FLOOR_UNWRITTEN;
				return 0;
			}
		}
	}
	return -EEXIST;
}

/*
 * Vendor mode, an index that is none of our forms under the context's key:
 * one NV_ReadPublic tells whether it is the vendor form under another
 * vendor key (a rotated key, or root's own). Such a counter still only
 * counts up, so it is read (and records name it); raising it needs that
 * other key's approval, which fwg_tpm_floor_raise_approved() refuses.
 */
static int floor_foreign(struct fwg_tpm *tpm, const struct fwg_nv_desc *d, ESYS_TR nv,
			 struct floor_kind *ret)
{
	static const enum floor_form forms[] = {
		FLOOR_FORM_VENDOR_PLATFORM, FLOOR_FORM_VENDOR_OWNER,
	};
	TPM2B_NV_PUBLIC *got = NULL, want;
	uint8_t key_name[FWG_TPM_NAME_SIZE] = { 0 };
	TSS2_RC rc;
	size_t i;
	int err = -EEXIST;

	rc = FWG_TPM_CALL(Esys_NV_ReadPublic(tpm->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE,
					     ESYS_TR_NONE, &got, NULL));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("reading an NV index public area", rc);
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]) && err; i++) {
		if (floor_public(d, forms[i], false, key_name, &want))
			break;
		if (got->nvPublic.nvIndex == d->index &&
		    got->nvPublic.nameAlg == TPM2_ALG_SHA256 &&
		    (got->nvPublic.attributes & ~TPMA_NV_WRITTEN) == want.nvPublic.attributes &&
		    got->nvPublic.dataSize == d->size &&
		    got->nvPublic.authPolicy.size == FWG_DIGEST_SIZE) {
			ret->form = forms[i];
			ret->state = got->nvPublic.attributes & TPMA_NV_WRITTEN ?
				     FLOOR_WRITTEN : FLOOR_UNWRITTEN;
			ret->foreign = true;
			err = 0;
		}
	}
	Esys_Free(got);
	return err;
}

static int floor_classify(struct fwg_tpm *tpm, const struct fwg_nv_desc *d, ESYS_TR nv,
			  struct floor_kind *ret)
{
	uint8_t key_buf[FWG_TPM_NAME_SIZE];
	TPM2B_NAME *actual = NULL;
	TSS2_RC rc;
	int err;

	rc = Esys_TR_GetName(tpm->esys, nv, &actual);
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("reading an NV index name", rc);
	ret->foreign = false;
	err = floor_kind_of(d, actual, ctx_key_name(tpm, key_buf), ret);
	Esys_Free(actual);
	if (err == -EEXIST && d->vendor && tpm->has_vendor_key)
		err = floor_foreign(tpm, d, nv, ret);
	if (err == -EEXIST)
		fwg_tpm_log("NV index 0x%08x exists but is not fwguard's %s index "
			    "(type or attributes differ%s)", d->index, d->what,
			    d->vendor && !tpm->has_vendor_key ?
			    ", or it was provisioned under a vendor policy key: set policy_key" :
			    d->vendor ? ", or it was provisioned under another vendor key" : "");
	return err;
}

/* -ENXIO when the index does not exist. */
static int floor_open(struct fwg_tpm *tpm, const struct fwg_nv_desc *d, ESYS_TR *ret,
		      struct floor_kind *kind)
{
	ESYS_TR nv = ESYS_TR_NONE, session;
	TSS2_RC rc;
	int err;

	/* The anchor first: a fake TPM is named as such, not as unprovisioned. */
	err = fwg_tpm_session(tpm, 0, &session);
	if (err)
		return err;
	rc = FWG_TPM_CALL(Esys_TR_FromTPMPublic(tpm->esys, d->index,
						ESYS_TR_NONE, ESYS_TR_NONE,
						ESYS_TR_NONE, &nv));
	if (fwg_tpm_rc_base(rc) == TPM2_RC_HANDLE)
		return FWG_TPM_E_NOT_PROVISIONED;
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("looking up an NV index", rc);
	err = floor_classify(tpm, d, nv, kind);
	if (err) {
		Esys_TR_Close(tpm->esys, &nv);
		return err;
	}
	*ret = nv;
	return 0;
}

int fwg_tpm_nv_read(struct fwg_tpm *tpm, ESYS_TR nv, uint16_t size, uint8_t *buf)
{
	TPM2B_MAX_NV_BUFFER *data = NULL;
	ESYS_TR session;
	TSS2_RC rc;
	int err;

	/* In the session the TPM checks the index name ESYS holds (from the
	 * unauthenticated NV_ReadPublic) and vouches for the value read. */
	err = fwg_tpm_session(tpm, TPMA_SESSION_ENCRYPT, &session);
	if (err)
		return err;
	rc = FWG_TPM_CALL(Esys_NV_Read(tpm->esys, nv, nv, session,
				       ESYS_TR_NONE, ESYS_TR_NONE, size, 0, &data));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("reading an NV index", rc);
	if (data->size != size) {
		fwg_tpm_log("NV read returned %u bytes, not %u", data->size, size);
		Esys_Free(data);
		return -EIO;
	}
	memcpy(buf, data->buffer, size);
	Esys_Free(data);
	return 0;
}

static int floor_value(struct fwg_tpm *tpm, ESYS_TR nv, uint64_t *ret)
{
	uint8_t buf[8];
	uint64_t value = 0;
	int i, err;

	err = fwg_tpm_nv_read(tpm, nv, sizeof(buf), buf);
	if (err)
		return err;
	for (i = 0; i < 8; i++)
		value = value << 8 | buf[i];
	*ret = value;
	return 0;
}

/*
 * @authenticated: in the salted session, so that a dropped or faked
 * increment shows. Long raises send the steps before the last one with the
 * plain password session (a salted HMAC costs swtpm and ESYS several times
 * a bare increment) and confirm the end value with an authenticated read.
 */
static int floor_increment(struct fwg_tpm *tpm, ESYS_TR nv, bool authenticated)
{
	ESYS_TR session = ESYS_TR_PASSWORD;
	TSS2_RC rc;
	int err;

	if (authenticated) {
		err = fwg_tpm_session(tpm, 0, &session);
		if (err)
			return err;
	}
	rc = FWG_TPM_CALL(Esys_NV_Increment(tpm->esys, nv, nv, session,
					    ESYS_TR_NONE, ESYS_TR_NONE));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("incrementing the version floor", rc);
	return 0;
}

/* What a raise under the vendor's floor approval needs in the TPM. */
struct floor_grant {
	TPM2B_DIGEST approved;		/* the policy the vendor signed */
	TPMT_TK_VERIFIED *ticket;	/* VerifySignature's ticket for it */
	uint8_t key_name[FWG_TPM_NAME_SIZE];
	uint64_t version;		/* "while the floor is below this" */
};

/* The vendor's branch after PolicyCommandCode: PolicyNV, then PolicyAuthorize. */
static TSS2_RC floor_policy_vendor(struct fwg_tpm *tpm, ESYS_TR nv, ESYS_TR session,
				   const struct floor_grant *g, const char **what)
{
	TPM2B_OPERAND operand = { .size = 8 };
	TPM2B_NONCE ref = { .size = FWG_DIGEST_SIZE };
	TPM2B_NAME name = { .size = FWG_TPM_NAME_SIZE };
	TSS2_RC rc;
	int i;

	for (i = 0; i < 8; i++)
		operand.buffer[i] = (uint8_t)(g->version >> (56 - 8 * i));
	*what = "PolicyNV (version floor below the approved version)";
	rc = FWG_TPM_CALL(Esys_PolicyNV(tpm->esys, nv, nv, session, ESYS_TR_PASSWORD,
					ESYS_TR_NONE, ESYS_TR_NONE, &operand, 0,
					TPM2_EO_UNSIGNED_LT));
	if (rc != TSS2_RC_SUCCESS)
		return rc;
	(void)fwg_floor_policy_ref(ref.buffer);
	memcpy(name.name, g->key_name, FWG_TPM_NAME_SIZE);
	*what = "PolicyAuthorize (the vendor's floor approval)";
	return FWG_TPM_CALL(Esys_PolicyAuthorize(tpm->esys, session, ESYS_TR_NONE, ESYS_TR_NONE,
						 ESYS_TR_NONE, &g->approved, &ref, &name,
						 g->ticket));
}

/*
 * One NV_Increment of a vendor-form floor in its own policy session:
 * @g set, the vendor's branch (PolicyCommandCode, PolicyNV "floor <
 * version", PolicyAuthorize); @g NULL, the provisioning branch
 * (PolicyCommandCode, PolicyNvWritten(NO)), which the TPM grants only
 * while the counter was never written. Then PolicyOR onto the index's
 * authPolicy. The session is consumed by the increment (continueSession
 * clear), or flushed on failure.
 */
static int floor_policy_increment(struct fwg_tpm *tpm, ESYS_TR nv, const struct floor_grant *g)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	TPML_DIGEST list = { .count = 3 };
	ESYS_TR session = ESYS_TR_NONE;
	uint8_t key_buf[FWG_TPM_NAME_SIZE];
	const uint8_t *key_name = g ? g->key_name : ctx_key_name(tpm, key_buf);
	const char *what = "starting a policy session";
	TSS2_RC rc;
	int i;

	if (!key_name)
		return -EINVAL;
	fwg_floor_policy_branches(list.digests[0].buffer, list.digests[1].buffer,
				  list.digests[2].buffer, key_name);
	for (i = 0; i < 3; i++)
		list.digests[i].size = FWG_DIGEST_SIZE;
	rc = FWG_TPM_CALL(Esys_StartAuthSession(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE,
						ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
						NULL, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256,
						&session));
	if (rc == TSS2_RC_SUCCESS) {
		what = "PolicyCommandCode";
		rc = FWG_TPM_CALL(Esys_PolicyCommandCode(tpm->esys, session, ESYS_TR_NONE,
							 ESYS_TR_NONE, ESYS_TR_NONE,
							 TPM2_CC_NV_Increment));
	}
	if (rc == TSS2_RC_SUCCESS && !g) {
		what = "PolicyNvWritten";
		rc = FWG_TPM_CALL(Esys_PolicyNvWritten(tpm->esys, session, ESYS_TR_NONE,
						       ESYS_TR_NONE, ESYS_TR_NONE, TPM2_NO));
	}
	if (rc == TSS2_RC_SUCCESS && g)
		rc = floor_policy_vendor(tpm, nv, session, g, &what);
	if (rc == TSS2_RC_SUCCESS) {
		what = "PolicyOR";
		rc = FWG_TPM_CALL(Esys_PolicyOR(tpm->esys, session, ESYS_TR_NONE,
						ESYS_TR_NONE, ESYS_TR_NONE, &list));
	}
	if (rc == TSS2_RC_SUCCESS) {
		Esys_TRSess_SetAttributes(tpm->esys, session, 0, TPMA_SESSION_CONTINUESESSION);
		what = "incrementing the version floor";
		rc = FWG_TPM_CALL(Esys_NV_Increment(tpm->esys, nv, nv, session,
						    ESYS_TR_NONE, ESYS_TR_NONE));
		if (rc == TSS2_RC_SUCCESS)
			return 0;
	}
	fwg_tpm_flush(tpm, &session);
	return fwg_tpm_fail(what, rc);
}

/*
 * Platform first. The command goes with the password session: the TPM
 * answers TPM_RC_HIERARCHY or BAD_AUTH when firmware has disabled the
 * platform hierarchy or set its authorisation, which tells "closed" from
 * a failed HMAC (a fake TPM); nothing secret travels, and a public area an
 * interposer altered is refused by the name check of every later access.
 */
static int floor_define_platform(struct fwg_tpm *tpm, const struct fwg_nv_desc *d,
				 enum floor_form form, const uint8_t *key_name, ESYS_TR *ret)
{
	TPM2B_AUTH auth = { .size = 0 };
	TPM2B_NV_PUBLIC pub;
	TSS2_RC rc, base;
	int err;

	err = floor_public(d, form, false, key_name, &pub);
	if (err)
		return err;
	rc = FWG_TPM_CALL(Esys_NV_DefineSpace(tpm->esys, ESYS_TR_RH_PLATFORM,
					      ESYS_TR_PASSWORD, ESYS_TR_NONE,
					      ESYS_TR_NONE, &auth, &pub, ret));
	base = fwg_tpm_rc_base(rc);
	if (base == TPM2_RC_HIERARCHY || base == TPM2_RC_BAD_AUTH ||
	    base == TPM2_RC_AUTH_FAIL)
		return -EACCES;
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("defining an NV index (platform)", rc);
	return 0;
}

static int floor_define_owner(struct fwg_tpm *tpm, const struct fwg_nv_desc *d,
			      enum floor_form form, const uint8_t *key_name, ESYS_TR *ret)
{
	TPM2B_AUTH auth = { .size = 0 };
	TPM2B_NV_PUBLIC pub;
	ESYS_TR session;
	TSS2_RC rc;
	int err;

	err = floor_public(d, form, false, key_name, &pub);
	if (!err)
		err = fwg_tpm_session(tpm, TPMA_SESSION_DECRYPT, &session);
	if (err)
		return err;
	rc = FWG_TPM_CALL(Esys_NV_DefineSpace(tpm->esys, ESYS_TR_RH_OWNER,
					      session, ESYS_TR_NONE,
					      ESYS_TR_NONE, &auth, &pub, ret));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("defining an NV index", rc);
	return 0;
}

static int floor_define(struct fwg_tpm *tpm, const struct fwg_nv_desc *d, ESYS_TR *ret,
			struct floor_kind *kind)
{
	uint8_t key_buf[FWG_TPM_NAME_SIZE];
	const uint8_t *key_name = d->vendor ? ctx_key_name(tpm, key_buf) : NULL;
	int err;

	/* In vendor mode the floor is defined so that only the vendor raises it. */
	kind->form = key_name ? FLOOR_FORM_VENDOR_PLATFORM : FLOOR_FORM_PLATFORM;
	kind->state = FLOOR_UNWRITTEN;
	kind->foreign = false;
	err = floor_define_platform(tpm, d, kind->form, key_name, ret);
	if (err != -EACCES)
		return err;
	fwg_tpm_log("the platform hierarchy is closed (firmware): defining the %s "
		    "in the owner hierarchy, where root can undefine it; define it "
		    "at the factory while the platform hierarchy is open", d->what);
	kind->form = key_name ? FLOOR_FORM_VENDOR_OWNER : FLOOR_FORM_OWNER;
	return floor_define_owner(tpm, d, kind->form, key_name, ret);
}

/*
 * The owner-created index of earlier provisionings, with no authPolicy. It
 * is ours, but root can undefine it, so it is refused until it is replaced.
 * Not automatically: the TPM starts a redefined counter one above the
 * old value, which would put the running version below the floor.
 */
static int floor_legacy(struct fwg_tpm *tpm, ESYS_TR *nv)
{
	Esys_TR_Close(tpm->esys, nv);
	fwg_tpm_log("version floor NV index 0x%08x is of an earlier provisioning, "
		    "which root can undefine; re-provision: 'tpm2_nvundefine 0x%08x "
		    "-C o', then 'updatectl tpm provision' (floor becomes old + 1)",
		    FWG_TPM_FLOOR_NV_INDEX, FWG_TPM_FLOOR_NV_INDEX);
	return -EEXIST;
}

/*
 * Define the index and increment it once: an unwritten counter cannot be
 * read, and leaving it unwritten would make "undefine, redefine" look like
 * a fresh device with no floor at all.
 */
int fwg_tpm_floor_provision_report(struct fwg_tpm *tpm, bool *platform)
{
	struct floor_kind kind = { FLOOR_FORM_PLATFORM, FLOOR_UNWRITTEN, false };
	ESYS_TR nv = ESYS_TR_NONE;
	int err;

	err = floor_open(tpm, &floor_nv, &nv, &kind);
	if (err == FWG_TPM_E_NOT_PROVISIONED)
		err = floor_define(tpm, &floor_nv, &nv, &kind);
	else if (!err && kind.form == FLOOR_FORM_LEGACY)
		err = floor_legacy(tpm, &nv);
	if (!err && kind.foreign) {
		fwg_tpm_log("version floor NV index 0x%08x was provisioned under another "
			    "vendor policy key than policy_key", FWG_TPM_FLOOR_NV_INDEX);
		if (kind.state == FLOOR_UNWRITTEN)
			err = -EEXIST;
	}
	if (!err && kind.state == FLOOR_UNWRITTEN)
		err = form_vendor(kind.form) ? floor_policy_increment(tpm, nv, NULL) :
					       floor_increment(tpm, nv, true);
	if (nv != ESYS_TR_NONE)
		Esys_TR_Close(tpm->esys, &nv);
	if (!err && platform)
		*platform = kind.form == FLOOR_FORM_PLATFORM ||
			    kind.form == FLOOR_FORM_VENDOR_PLATFORM;
	return err ? err : fwg_tpm_journal_provision(tpm);
}

int fwg_tpm_floor_provision(struct fwg_tpm *tpm)
{
	return fwg_tpm_floor_provision_report(tpm, NULL);
}

int fwg_tpm_nv_open(struct fwg_tpm *tpm, const struct fwg_nv_desc *d, ESYS_TR *nv,
		    bool *written)
{
	struct floor_kind kind;
	int err;

	err = floor_open(tpm, d, nv, &kind);
	if (!err)
		*written = kind.state == FLOOR_WRITTEN;
	return err;
}

int fwg_tpm_nv_define(struct fwg_tpm *tpm, const struct fwg_nv_desc *d, ESYS_TR *nv)
{
	struct floor_kind kind;

	return floor_define(tpm, d, nv, &kind);
}

/*
 * @quiet: an undefined index is not logged (factory state asks first).
 * @platform (may be NULL): set when the index is the platform-created form.
 */
static int floor_open_written(struct fwg_tpm *tpm, ESYS_TR *ret, bool quiet,
			      bool *platform, enum floor_form *form, bool *foreign)
{
	struct floor_kind kind;
	ESYS_TR nv = ESYS_TR_NONE;
	int err;

	err = floor_open(tpm, &floor_nv, &nv, &kind);
	if (err == FWG_TPM_E_NOT_PROVISIONED && !quiet)
		fwg_tpm_log("version floor NV index 0x%08x is not defined; run "
			    "'updatectl tpm provision'", FWG_TPM_FLOOR_NV_INDEX);
	if (err)
		return err;
	if (kind.form == FLOOR_FORM_LEGACY)
		return floor_legacy(tpm, &nv);
	if (form)
		*form = kind.form;
	if (foreign)
		*foreign = kind.foreign;
	if (kind.state != FLOOR_WRITTEN) {
		/* Fail closed: an unwritten counter has no floor to offer. */
		Esys_TR_Close(tpm->esys, &nv);
		fwg_tpm_log("version floor NV index 0x%08x was never initialised; "
			    "run 'updatectl tpm provision'", FWG_TPM_FLOOR_NV_INDEX);
		return FWG_TPM_E_NOT_PROVISIONED;
	}
	if (platform)
		*platform = kind.form == FLOOR_FORM_PLATFORM ||
			    kind.form == FLOOR_FORM_VENDOR_PLATFORM;
	*ret = nv;
	return 0;
}

int fwg_tpm_floor_nv(struct fwg_tpm *tpm, ESYS_TR *nv, TPM2B_NAME *name)
{
	TPM2B_NAME *got = NULL;
	ESYS_TR index = ESYS_TR_NONE;
	TSS2_RC rc;
	int err;

	err = floor_open_written(tpm, &index, false, NULL, NULL, NULL);
	if (err)
		return err;
	rc = Esys_TR_GetName(tpm->esys, index, &got);
	if (rc != TSS2_RC_SUCCESS) {
		Esys_TR_Close(tpm->esys, &index);
		return fwg_tpm_fail("reading the floor index name", rc);
	}
	*name = *got;
	Esys_Free(got);
	*nv = index;
	return 0;
}

static int floor_read(struct fwg_tpm *tpm, uint64_t *ret, bool quiet, bool *platform)
{
	ESYS_TR nv = ESYS_TR_NONE;
	bool created = false;
	int err;

	err = floor_open_written(tpm, &nv, quiet, &created, NULL, NULL);
	if (err)
		return err;
	err = floor_value(tpm, nv, ret);
	Esys_TR_Close(tpm->esys, &nv);
	if (!err && platform)
		*platform = created;
	return err;
}

int fwg_tpm_floor_read(struct fwg_tpm *tpm, uint64_t *ret)
{
	return floor_read(tpm, ret, false, NULL);
}

int fwg_tpm_floor_read_report(struct fwg_tpm *tpm, uint64_t *ret, bool *platform)
{
	return floor_read(tpm, ret, false, platform);
}

int fwg_tpm_floor_read_quiet(struct fwg_tpm *tpm, uint64_t *ret)
{
	return floor_read(tpm, ret, true, NULL);
}

static int floor_step_check(uint64_t current, uint64_t version)
{
	if (version < current) {
		fwg_tpm_log("refusing to lower the version floor from %" PRIu64
			    " to %" PRIu64, current, version);
		return FWG_TPM_E_STALE;
	}
	if (version - current > FWG_TPM_FLOOR_MAX_STEP) {
		fwg_tpm_log("raising the version floor from %" PRIu64 " to %" PRIu64
			    " takes more than %u increments; refused",
			    current, version, FWG_TPM_FLOOR_MAX_STEP);
		return -E2BIG;
	}
	return 0;
}

static int floor_step_to(struct fwg_tpm *tpm, ESYS_TR nv, uint64_t current,
			 uint64_t version, const struct floor_grant *g)
{
	int err = floor_step_check(current, version);

	/* An interruption leaves the floor part-way up: still monotonic, and
	 * the next raise finishes the job. */
	while (!err && current < version) {
		err = g ? floor_policy_increment(tpm, nv, g) :
			  floor_increment(tpm, nv, version - current == 1);
		current++;
	}
	return err;
}

/* After a raise of more than one step: did every increment happen? */
static int floor_confirm(struct fwg_tpm *tpm, ESYS_TR nv, uint64_t version)
{
	uint64_t value = 0;
	int err;

	err = floor_value(tpm, nv, &value);
	if (!err && value != version) {
		fwg_tpm_log("version floor reads %" PRIu64 " after raising it to %" PRIu64
			    ": increments were lost on the way to the TPM",
			    value, version);
		err = FWG_TPM_E_UNTRUSTED;
	}
	return err;
}

/*
 * Vendor mode, in software, before the TPM is asked for anything: an
 * approval with a floor part, by the configured key, for a release at or
 * above the target, whose signature verifies for the index's form. On
 * the legacy form (provisioned before the key was set) either form's
 * signature will do: the TPM checks nothing there.
 */
static int floor_approval_ok(struct fwg_tpm *tpm, enum floor_form form,
			     const struct fwg_tpm_approval *a, uint64_t approved,
			     uint64_t version)
{
	int f = form == FLOOR_FORM_VENDOR_OWNER ? FWG_FLOOR_FORM_OWNER : FWG_FLOOR_FORM_PLATFORM;
	int err;

	if (!a || !a->has_floor) {
		fwg_tpm_log("raising the version floor to %" PRIu64 " needs the vendor's "
			    "signed floor approval of that release (approval file format 2: "
			    "'updatectl tpm approve'); refused", version);
		return -ENOKEY;
	}
	if (version > approved) {
		fwg_tpm_log("the vendor's floor approval allows raising the version floor "
			    "to %" PRIu64 " at most, not to %" PRIu64 "; refused",
			    approved, version);
		return -EKEYREJECTED;
	}
	if (!form_vendor(form)) {
		/* The index takes any increment; the check is updatectl's alone. */
		err = fwg_floor_approval_check(&tpm->vendor_key, a, approved,
					       FWG_FLOOR_FORM_PLATFORM);
		if (err)
			err = fwg_floor_approval_check(&tpm->vendor_key, a, approved,
						       FWG_FLOOR_FORM_OWNER);
	} else {
		err = fwg_floor_approval_check(&tpm->vendor_key, a, approved, f);
	}
	if (err == -ENOKEY)
		fwg_tpm_log("the floor approval is signed by another key than the "
			    "configured policy_key; refused");
	else if (err)
		fwg_tpm_log("the floor approval is not the vendor's signature for "
			    "version %" PRIu64 "; refused", approved);
	return err;
}

/*
 * The TPM's ticket for the floor approval: LoadExternal of the vendor key
 * in the owner hierarchy (a null-hierarchy key gets a null ticket, which
 * PolicyAuthorize refuses), VerifySignature, FlushContext.
 */
static int floor_grant_get(struct fwg_tpm *tpm, enum floor_form form,
			   const struct fwg_tpm_approval *a, uint64_t approved,
			   struct floor_grant *g)
{
	int f = form == FLOOR_FORM_VENDOR_OWNER ? FWG_FLOOR_FORM_OWNER : FWG_FLOOR_FORM_PLATFORM;
	TPMT_SIGNATURE sig = { .sigAlg = TPM2_ALG_ECDSA };
	TPM2B_DIGEST ahash = { .size = FWG_DIGEST_SIZE };
	ESYS_TR key = ESYS_TR_NONE;
	TPM2B_PUBLIC pub;
	TPM2B_NAME name;
	TSS2_RC rc;
	int err;

	g->version = approved;
	memcpy(g->key_name, a->key_name, FWG_TPM_NAME_SIZE);
	err = fwg_floor_vendor_name(g->key_name, f, &name);
	if (!err)
		err = fwg_floor_approved(&name, approved, g->approved.buffer, ahash.buffer);
	if (err)
		return err;
	g->approved.size = FWG_DIGEST_SIZE;
	sig.signature.ecdsa.hash = TPM2_ALG_SHA256;
	sig.signature.ecdsa.signatureR.size = 32;
	memcpy(sig.signature.ecdsa.signatureR.buffer, a->floor_r[f], 32);
	sig.signature.ecdsa.signatureS.size = 32;
	memcpy(sig.signature.ecdsa.signatureS.buffer, a->floor_s[f], 32);
	fwg_vendor_key_public(&tpm->vendor_key, &pub);
	rc = FWG_TPM_CALL(Esys_LoadExternal(tpm->esys, ESYS_TR_NONE, ESYS_TR_NONE,
					    ESYS_TR_NONE, NULL, &pub, ESYS_TR_RH_OWNER, &key));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("loading the vendor policy key", rc);
	rc = FWG_TPM_CALL(Esys_VerifySignature(tpm->esys, key, ESYS_TR_NONE, ESYS_TR_NONE,
					       ESYS_TR_NONE, &ahash, &sig, &g->ticket));
	fwg_tpm_flush(tpm, &key);
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("verifying the vendor's floor approval", rc);
	return 0;
}

int fwg_tpm_floor_raise_approved(struct fwg_tpm *tpm, uint64_t version,
				 const struct fwg_tpm_approval *a, uint64_t approved,
				 uint64_t *ret)
{
	struct floor_grant g = { .ticket = NULL };
	enum floor_form form = FLOOR_FORM_PLATFORM;
	ESYS_TR nv = ESYS_TR_NONE;
	uint64_t current = 0;
	bool granted = false, foreign = false;
	int err;

	err = floor_open_written(tpm, &nv, false, NULL, &form, &foreign);
	if (err)
		return err;
	err = floor_value(tpm, nv, &current);
	if (!err)
		err = floor_step_check(current, version);
	if (!err && version > current && foreign) {
		fwg_tpm_log("version floor NV index 0x%08x was provisioned under another "
			    "vendor policy key; only that key's approval raises it; refused",
			    FWG_TPM_FLOOR_NV_INDEX);
		err = -ENOKEY;
	} else if (!err && version > current && tpm->has_vendor_key) {
		err = floor_approval_ok(tpm, form, a, approved, version);
		if (!err && form_vendor(form))
			err = floor_grant_get(tpm, form, a, approved, &g);
		granted = !err && form_vendor(form);
	}
	if (!err)
		err = floor_step_to(tpm, nv, current, version, granted ? &g : NULL);
	if (!err && (version > current + 1 || (granted && version > current)))
		err = floor_confirm(tpm, nv, version);
	Esys_Free(g.ticket);
	Esys_TR_Close(tpm->esys, &nv);
	if (!err)
		*ret = version;
	return err;
}

int fwg_tpm_floor_raise(struct fwg_tpm *tpm, uint64_t version, uint64_t *ret)
{
	return fwg_tpm_floor_raise_approved(tpm, version, NULL, 0, ret);
}
