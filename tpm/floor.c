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
 * FLOOR_FORM_OWNER: defined by the owner because the platform hierarchy
 * was already closed; root can undefine it. FLOOR_FORM_LEGACY: the index
 * of earlier provisionings (no authPolicy), refused until re-provisioned.
 */
enum floor_form { FLOOR_FORM_PLATFORM, FLOOR_FORM_OWNER, FLOOR_FORM_LEGACY };

static const struct fwg_nv_desc floor_nv = {
	.index = FWG_TPM_FLOOR_NV_INDEX, .type = TPM2_NT_COUNTER, .size = 8,
	.what = "version floor", .legacy = true,
};
enum floor_state { FLOOR_WRITTEN, FLOOR_UNWRITTEN };

struct floor_kind {
	enum floor_form form;
	enum floor_state state;
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

static int floor_public(const struct fwg_nv_desc *d, enum floor_form form, bool written,
			TPM2B_NV_PUBLIC *pub)
{
	TPMA_NV attrs = ((TPMA_NV)d->type << TPMA_NV_TPM2_NT_SHIFT) | NV_COMMON;

	if (form == FLOOR_FORM_PLATFORM)
		attrs |= NV_PLATFORM;
	memset(pub, 0, sizeof(*pub));
	pub->nvPublic.nvIndex = d->index;
	pub->nvPublic.nameAlg = TPM2_ALG_SHA256;
	pub->nvPublic.attributes = attrs | (written ? TPMA_NV_WRITTEN : 0);
	pub->nvPublic.dataSize = d->size;
	if (form == FLOOR_FORM_LEGACY)
		return 0;
	return floor_delete_policy(&pub->nvPublic.authPolicy);
}

/* Name of an NV index = nameAlg || H(TPMS_NV_PUBLIC) (TPM 2.0 Part 1, 16). */
static int floor_name(const struct fwg_nv_desc *d, enum floor_form form, bool written,
		      TPM2B_NAME *name)
{
	uint8_t buf[sizeof(TPMS_NV_PUBLIC)];
	TPM2B_NV_PUBLIC pub;
	size_t off = 0;
	TSS2_RC rc;
	int err;

	err = floor_public(d, form, written, &pub);
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

/* Which of our forms @actual names; -EEXIST for none (an impostor). */
static int floor_kind_of(const struct fwg_nv_desc *d, const TPM2B_NAME *actual,
			 struct floor_kind *ret)
{
	static const enum floor_form forms[] = {
		FLOOR_FORM_PLATFORM, FLOOR_FORM_OWNER, FLOOR_FORM_LEGACY,
	};
	TPM2B_NAME want;
	size_t i;
	int w, err;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if (forms[i] == FLOOR_FORM_LEGACY && !d->legacy)
			continue;
		for (w = 0; w < 2; w++) {
			err = floor_name(d, forms[i], w, &want);
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

static int floor_classify(struct fwg_tpm *tpm, const struct fwg_nv_desc *d, ESYS_TR nv,
			  struct floor_kind *ret)
{
	TPM2B_NAME *actual = NULL;
	TSS2_RC rc;
	int err;

	rc = Esys_TR_GetName(tpm->esys, nv, &actual);
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("reading an NV index name", rc);
	err = floor_kind_of(d, actual, ret);
	Esys_Free(actual);
	if (err == -EEXIST)
		fwg_tpm_log("NV index 0x%08x exists but is not fwguard's %s index "
			    "(type or attributes differ)", d->index, d->what);
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

/*
 * Platform first. The command goes with the password session: the TPM
 * answers TPM_RC_HIERARCHY or BAD_AUTH when firmware has disabled the
 * platform hierarchy or set its authorisation, which tells "closed" from
 * a failed HMAC (a fake TPM); nothing secret travels, and a public area an
 * interposer altered is refused by the name check of every later access.
 */
static int floor_define_platform(struct fwg_tpm *tpm, const struct fwg_nv_desc *d, ESYS_TR *ret)
{
	TPM2B_AUTH auth = { .size = 0 };
	TPM2B_NV_PUBLIC pub;
	TSS2_RC rc, base;
	int err;

	err = floor_public(d, FLOOR_FORM_PLATFORM, false, &pub);
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

static int floor_define_owner(struct fwg_tpm *tpm, const struct fwg_nv_desc *d, ESYS_TR *ret)
{
	TPM2B_AUTH auth = { .size = 0 };
	TPM2B_NV_PUBLIC pub;
	ESYS_TR session;
	TSS2_RC rc;
	int err;

	err = floor_public(d, FLOOR_FORM_OWNER, false, &pub);
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
	int err;

	err = floor_define_platform(tpm, d, ret);
	kind->form = FLOOR_FORM_PLATFORM;
	kind->state = FLOOR_UNWRITTEN;
	if (err != -EACCES)
		return err;
	fwg_tpm_log("the platform hierarchy is closed (firmware): defining the %s "
		    "in the owner hierarchy, where root can undefine it; define it "
		    "at the factory while the platform hierarchy is open", d->what);
	kind->form = FLOOR_FORM_OWNER;
	return floor_define_owner(tpm, d, ret);
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
	struct floor_kind kind = { FLOOR_FORM_PLATFORM, FLOOR_UNWRITTEN };
	ESYS_TR nv = ESYS_TR_NONE;
	int err;

	err = floor_open(tpm, &floor_nv, &nv, &kind);
	if (err == FWG_TPM_E_NOT_PROVISIONED)
		err = floor_define(tpm, &floor_nv, &nv, &kind);
	else if (!err && kind.form == FLOOR_FORM_LEGACY)
		err = floor_legacy(tpm, &nv);
	if (!err && kind.state == FLOOR_UNWRITTEN)
		err = floor_increment(tpm, nv, true);
	if (nv != ESYS_TR_NONE)
		Esys_TR_Close(tpm->esys, &nv);
	if (!err && platform)
		*platform = kind.form == FLOOR_FORM_PLATFORM;
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
			      bool *platform)
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
	if (kind.state != FLOOR_WRITTEN) {
		/* Fail closed: an unwritten counter has no floor to offer. */
		Esys_TR_Close(tpm->esys, &nv);
		fwg_tpm_log("version floor NV index 0x%08x was never initialised; "
			    "run 'updatectl tpm provision'", FWG_TPM_FLOOR_NV_INDEX);
		return FWG_TPM_E_NOT_PROVISIONED;
	}
	if (platform)
		*platform = kind.form == FLOOR_FORM_PLATFORM;
	*ret = nv;
	return 0;
}

int fwg_tpm_floor_nv(struct fwg_tpm *tpm, ESYS_TR *nv, TPM2B_NAME *name)
{
	TPM2B_NAME *got = NULL;
	ESYS_TR index = ESYS_TR_NONE;
	TSS2_RC rc;
	int err;

	err = floor_open_written(tpm, &index, false, NULL);
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

	err = floor_open_written(tpm, &nv, quiet, &created);
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

static int floor_step_to(struct fwg_tpm *tpm, ESYS_TR nv, uint64_t current,
			 uint64_t version)
{
	int err = 0;

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
	/* An interruption leaves the floor part-way up: still monotonic, and
	 * the next raise finishes the job. */
	while (!err && current < version) {
		err = floor_increment(tpm, nv, version - current == 1);
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

int fwg_tpm_floor_raise(struct fwg_tpm *tpm, uint64_t version, uint64_t *ret)
{
	ESYS_TR nv = ESYS_TR_NONE;
	uint64_t current = 0;
	int err;

	err = floor_open_written(tpm, &nv, false, NULL);
	if (err)
		return err;
	err = floor_value(tpm, nv, &current);
	if (!err)
		err = floor_step_to(tpm, nv, current, version);
	if (!err && version > current + 1)
		err = floor_confirm(tpm, nv, version);
	Esys_TR_Close(tpm->esys, &nv);
	if (!err)
		*ret = version;
	return err;
}
