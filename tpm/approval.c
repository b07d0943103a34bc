// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vendor's signed approval of a sealed record's PCR state (TPM.md
 * "Vendor-authorised sealing"), in software only: the policy digests both
 * sides compute (PolicyPCR over the predicted value, PolicyAuthorize
 * against the vendor's ECC P-256 policy key), the key's TPM name, signing
 * on the build host, checking on the device before anything is sealed, and
 * the approval file. The TPM checks the same signature again at every
 * unseal (seal.c); nothing here talks to the TPM. Also the floor
 * approval signed beside it: the floor index's authPolicy and what the
 * vendor approves for a raise (TPM.md "Raising the floor only with the
 * vendor's signature"), which floor.c presents to the TPM.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include "tpm/tpm-internal.h"

#define APPROVAL_MAGIC	"FWGA"
#define APPROVAL_FORMAT	1
#define APPROVAL_FORMAT_FLOOR	2	/* with the floor approval */
#define POLICY_REF_TAG	"fwguard approval v1"
#define FLOOR_REF_TAG	"fwguard floor v1"

static void put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * H(0^32 || TPM_CC_PolicyPCR || pcrs || H(predicted)): the digest a policy
 * session reaches after one TPM2_PolicyPCR over the SHA-256 value of @pcr
 * (TPM 2.0 Part 3, 23.7). Never all zero, never an empty selection.
 */
int fwg_tpm_policy_pcr(unsigned int pcr, const uint8_t predicted[FWG_DIGEST_SIZE],
		       uint8_t policy[FWG_DIGEST_SIZE])
{
	static const uint8_t zero[FWG_DIGEST_SIZE];
	uint8_t buf[FWG_DIGEST_SIZE + 4 + sizeof(TPML_PCR_SELECTION) + FWG_DIGEST_SIZE];
	TPML_PCR_SELECTION sel;
	size_t off = FWG_DIGEST_SIZE + 4;
	TSS2_RC rc;

	if (pcr > 23)
		return -EINVAL;
	memset(buf, 0, FWG_DIGEST_SIZE);
	put_u32be(buf + FWG_DIGEST_SIZE, TPM2_CC_PolicyPCR);
	fwg_tpm_pcr_selection(pcr, &sel);
	rc = Tss2_MU_TPML_PCR_SELECTION_Marshal(&sel, buf, sizeof(buf), &off);
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("marshalling the PCR selection", rc);
	if (fwg_sha256(predicted, FWG_DIGEST_SIZE, NULL, 0, buf + off) ||
	    fwg_sha256(buf, off + FWG_DIGEST_SIZE, NULL, 0, policy))
		return -ENOMEM;
	if (!memcmp(policy, zero, sizeof(zero)) || sel.count != 1)
		return -EINVAL;
	return 0;
}

/*
 * policyRef = H("fwguard approval v1" || 0 || component || 0 || version
 * (u64 BE)). PolicyAuthorize binds it into the sealed object's authPolicy
 * and the vendor's signature covers it, so the TPM itself holds a record
 * to the component and security version the vendor approved.
 */
static int policy_ref(const char *component, uint64_t version,
		      uint8_t ref[FWG_DIGEST_SIZE])
{
	uint8_t buf[sizeof(POLICY_REF_TAG) + FWG_COMPONENT_MAX + 1 + 8];
	size_t off = sizeof(POLICY_REF_TAG), len = strlen(component);
	int i;

	if (!fwg_tpm_subject_name_valid(component, FWG_COMPONENT_MAX))
		return -EINVAL;
	memcpy(buf, POLICY_REF_TAG, sizeof(POLICY_REF_TAG));	/* with its NUL */
	memcpy(buf + off, component, len + 1);
	off += len + 1;
	for (i = 0; i < 8; i++)
		buf[off++] = (uint8_t)(version >> (56 - 8 * i));
	return fwg_sha256(buf, off, NULL, 0, ref);
}

int fwg_approval_digests(unsigned int pcr, const struct fwg_tpm_subject *s,
			 struct fwg_approval_digests *ret)
{
	struct fwg_approval_digests d;
	int err;

	err = fwg_tpm_predict_boot_pcr(s->digest, d.predicted);
	if (!err)
		err = fwg_tpm_policy_pcr(pcr, d.predicted, d.approved);
	if (!err)
		err = policy_ref(s->component, s->version, d.policy_ref);
	if (!err)
		err = fwg_sha256(d.approved, FWG_DIGEST_SIZE, d.policy_ref,
				 FWG_DIGEST_SIZE, d.ahash);
	if (!err)
		*ret = d;
	return err;
}

/* The public area LoadExternal gives the TPM; its hash is the key's name. */
void fwg_vendor_key_public(const struct fwg_vendor_key *key, TPM2B_PUBLIC *pub)
{
	TPMT_PUBLIC *a = &pub->publicArea;

	memset(pub, 0, sizeof(*pub));
	a->type = TPM2_ALG_ECC;
	a->nameAlg = TPM2_ALG_SHA256;
	a->objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_USERWITHAUTH;
	a->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	a->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	a->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	a->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	a->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	a->unique.ecc.x.size = sizeof(key->x);
	memcpy(a->unique.ecc.x.buffer, key->x, sizeof(key->x));
	a->unique.ecc.y.size = sizeof(key->y);
	memcpy(a->unique.ecc.y.buffer, key->y, sizeof(key->y));
}

int fwg_vendor_key_name(const struct fwg_vendor_key *key, uint8_t name[FWG_TPM_NAME_SIZE])
{
	uint8_t buf[sizeof(TPMT_PUBLIC)];
	TPM2B_PUBLIC pub;
	size_t off = 0;
	TSS2_RC rc;

	fwg_vendor_key_public(key, &pub);
	rc = Tss2_MU_TPMT_PUBLIC_Marshal(&pub.publicArea, buf, sizeof(buf), &off);
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("marshalling the vendor key", rc);
	name[0] = TPM2_ALG_SHA256 >> 8;
	name[1] = TPM2_ALG_SHA256 & 0xff;
	return fwg_sha256(buf, off, NULL, 0, name + 2);
}

/*
 * authPolicy of a vendor-authorised record: PolicyAuthorize resets the
 * digest and extends it with H(0^32 || TPM_CC_PolicyAuthorize || keyName),
 * then with policyRef (Part 3, 23.16, PolicyUpdate). Only a session whose
 * digest the vendor signed, for this component and version, reaches it.
 */
int fwg_approval_auth_policy(const uint8_t key_name[FWG_TPM_NAME_SIZE],
			     const uint8_t ref[FWG_DIGEST_SIZE],
			     uint8_t policy[FWG_DIGEST_SIZE])
{
	uint8_t buf[FWG_DIGEST_SIZE + 4 + FWG_TPM_NAME_SIZE];

	memset(buf, 0, FWG_DIGEST_SIZE);
	put_u32be(buf + FWG_DIGEST_SIZE, TPM2_CC_PolicyAuthorize);
	memcpy(buf + FWG_DIGEST_SIZE + 4, key_name, FWG_TPM_NAME_SIZE);
	if (fwg_sha256(buf, sizeof(buf), NULL, 0, policy) ||
	    fwg_sha256(policy, FWG_DIGEST_SIZE, ref, FWG_DIGEST_SIZE, policy))
		return -ENOMEM;
	return 0;
}

/*
 * PolicyNV (Part 3, 23.9) onto @policy: args = H(operandB || offset (u16)
 * || operation (u16)), policy = H(policy || TPM_CC_PolicyNV || args ||
 * nvIndex name). operandB is the version as the counter holds it (u64 BE),
 * the offset 0.
 */
static int policy_nv(uint8_t policy[FWG_DIGEST_SIZE], uint64_t version, uint16_t operation,
		     const TPM2B_NAME *nv_name)
{
	uint8_t args_in[8 + 2 + 2], buf[FWG_DIGEST_SIZE + 4 + FWG_DIGEST_SIZE + sizeof(nv_name->name)];
	size_t off = 0;
	int i;

	if (nv_name->size > sizeof(nv_name->name))
		return -EINVAL;
	for (i = 0; i < 8; i++)
		args_in[i] = (uint8_t)(version >> (56 - 8 * i));
	args_in[8] = 0;
	args_in[9] = 0;
	args_in[10] = (uint8_t)(operation >> 8);
	args_in[11] = (uint8_t)(operation & 0xff);
	memcpy(buf, policy, FWG_DIGEST_SIZE);
	off = FWG_DIGEST_SIZE;
	put_u32be(buf + off, TPM2_CC_PolicyNV);
	off += 4;
	if (fwg_sha256(args_in, sizeof(args_in), NULL, 0, buf + off))
		return -ENOMEM;
	off += FWG_DIGEST_SIZE;
	memcpy(buf + off, nv_name->name, nv_name->size);
	off += nv_name->size;
	return fwg_sha256(buf, off, NULL, 0, policy);
}

/* The floor's PolicyNV with TPM_EO_UNSIGNED_LE: the index's value <= @version. */
int fwg_policy_nv_floor(uint8_t policy[FWG_DIGEST_SIZE], uint64_t version,
			const TPM2B_NAME *nv_name)
{
	return policy_nv(policy, version, TPM2_EO_UNSIGNED_LE, nv_name);
}

static int bn_to_32(const BIGNUM *bn, uint8_t out[32])
{
	return BN_bn2binpad(bn, out, 32) == 32 ? 0 : -EINVAL;
}

/* x and y of an ECC P-256 key (public or private); -ENOPKG for any other. */
static int vendor_key_from_pkey(EVP_PKEY *pkey, struct fwg_vendor_key *ret)
{
	char group[64] = "";
	BIGNUM *x = NULL, *y = NULL;
	struct fwg_vendor_key key;
	int err = -ENOPKG;

	if (EVP_PKEY_is_a(pkey, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
					   group, sizeof(group), NULL) &&
	    !strcmp(group, "prime256v1") &&
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) &&
	    !bn_to_32(x, key.x) && !bn_to_32(y, key.y)) {
		*ret = key;
		err = 0;
	}
	BN_free(x);
	BN_free(y);
	return err;
}

static EVP_PKEY *pkey_read(const char *path, bool private)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = BIO_new_file(path, "r");

	if (!bio)
		return NULL;
	pkey = private ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) :
			 PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!pkey && !private) {
		/* A private key file names its public key too. */
		(void)BIO_reset(bio);
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	}
	BIO_free(bio);
	return pkey;
}

int fwg_vendor_key_read(const char *path, struct fwg_vendor_key *ret)
{
	EVP_PKEY *pkey = pkey_read(path, false);
	int err;

	/* A configuration error, never mistaken for a refused approval. */
	if (!pkey) {
		fwg_tpm_log("cannot read the vendor policy key %s (PEM public key)", path);
		return -EINVAL;
	}
	err = vendor_key_from_pkey(pkey, ret) ? -EINVAL : 0;
	if (err)
		fwg_tpm_log("vendor policy key %s is not an ECC NIST P-256 key", path);
	EVP_PKEY_free(pkey);
	return err;
}

static EVP_PKEY *pkey_from_vendor_key(const struct fwg_vendor_key *key)
{
	uint8_t point[65];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	point[0] = 0x04;	/* uncompressed */
	memcpy(point + 1, key->x, 32);
	memcpy(point + 33, key->y, 32);
	if (bld &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)))
		params = OSSL_PARAM_BLD_to_param(bld);
	ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL) : NULL;
	if (ctx && EVP_PKEY_fromdata_init(ctx) > 0)
		(void)EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

static int sig_from_der(const uint8_t *der, size_t len, struct fwg_tpm_approval *a)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *s;
	int err = -EBADMSG;

	if (sig) {
		ECDSA_SIG_get0(sig, &r, &s);
		if (!bn_to_32(r, a->sig_r) && !bn_to_32(s, a->sig_s))
			err = 0;
	}
	ECDSA_SIG_free(sig);
	return err;
}

/* ECDSA P-256 over @digest as it is (the TPM verifies the digest, not a hash of it). */
static int ecdsa_sign(EVP_PKEY *pkey, const uint8_t digest[FWG_DIGEST_SIZE],
		      uint8_t r[32], uint8_t s[32])
{
	struct fwg_tpm_approval tmp;
	uint8_t der[128];
	size_t der_len = sizeof(der);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	int err = 0;

	if (!ctx || EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_sign(ctx, der, &der_len, digest, FWG_DIGEST_SIZE) <= 0)
		err = -EIO;
	EVP_PKEY_CTX_free(ctx);
	if (!err)
		err = sig_from_der(der, der_len, &tmp);
	if (!err) {
		memcpy(r, tmp.sig_r, 32);
		memcpy(s, tmp.sig_s, 32);
	}
	return err;
}

/* 0 when (@r, @s) is @key's signature over @digest, else -EKEYREJECTED. */
static int ecdsa_verify(const struct fwg_vendor_key *key, const uint8_t digest[FWG_DIGEST_SIZE],
			const uint8_t r_in[32], const uint8_t s_in[32])
{
	uint8_t der[128], *p = der;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(r_in, 32, NULL), *sv = BN_bin2bn(s_in, 32, NULL);
	EVP_PKEY *pkey = pkey_from_vendor_key(key);
	EVP_PKEY_CTX *ctx = NULL;
	int err = 0, der_len = 0;

	if (!sig || !r || !sv || !pkey || !ECDSA_SIG_set0(sig, r, sv))
		err = -ENOMEM;
	else
		r = sv = NULL;	/* owned by sig now */
	if (!err && i2d_ECDSA_SIG(sig, NULL) <= (int)sizeof(der))
		der_len = i2d_ECDSA_SIG(sig, &p);
	if (!err) {
		ctx = EVP_PKEY_CTX_new(pkey, NULL);
		if (!ctx || der_len <= 0 || EVP_PKEY_verify_init(ctx) <= 0 ||
		    EVP_PKEY_verify(ctx, der, (size_t)der_len, digest, FWG_DIGEST_SIZE) != 1)
			err = -EKEYREJECTED;
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	ECDSA_SIG_free(sig);
	BN_free(r);
	BN_free(sv);
	return err;
}

/* H(0^32 || TPM_CC_PolicyCommandCode || @cc): a session limited to @cc. */
static int policy_command_code(uint32_t cc, uint8_t policy[FWG_DIGEST_SIZE])
{
	uint8_t buf[FWG_DIGEST_SIZE + 8];

	memset(buf, 0, FWG_DIGEST_SIZE);
	put_u32be(buf + FWG_DIGEST_SIZE, TPM2_CC_PolicyCommandCode);
	put_u32be(buf + FWG_DIGEST_SIZE + 4, cc);
	return fwg_sha256(buf, sizeof(buf), NULL, 0, policy);
}

int fwg_floor_policy_ref(uint8_t ref[FWG_DIGEST_SIZE])
{
	return fwg_sha256(FLOOR_REF_TAG, sizeof(FLOOR_REF_TAG), NULL, 0, ref);	/* with its NUL */
}

/*
 * The three branches of the vendor floor index's PolicyOR:
 * @approve: PolicyAuthorize(vendor key, floor policyRef), any policy the
 *	vendor signed (a raise, below);
 * @del: PolicyCommandCode(NV_UndefineSpaceSpecial), the delete policy of
 *	every floor form (with platform authorisation only);
 * @init: PolicyCommandCode(NV_Increment), PolicyNvWritten(NO), the first
 *	increment of provisioning, possible once: a counter stays written.
 */
void fwg_floor_policy_branches(uint8_t approve[FWG_DIGEST_SIZE], uint8_t del[FWG_DIGEST_SIZE],
			       uint8_t init[FWG_DIGEST_SIZE],
			       const uint8_t key_name[FWG_TPM_NAME_SIZE])
{
	uint8_t ref[FWG_DIGEST_SIZE], buf[FWG_DIGEST_SIZE + 5];

	(void)fwg_floor_policy_ref(ref);
	(void)fwg_approval_auth_policy(key_name, ref, approve);
	(void)policy_command_code(TPM2_CC_NV_UndefineSpaceSpecial, del);
	(void)policy_command_code(TPM2_CC_NV_Increment, buf);
	put_u32be(buf + FWG_DIGEST_SIZE, TPM2_CC_PolicyNvWritten);
	buf[FWG_DIGEST_SIZE + 4] = TPM2_NO;
	(void)fwg_sha256(buf, sizeof(buf), NULL, 0, init);
}

/* PolicyOR (Part 3, 23.6): H(0^32 || TPM_CC_PolicyOR || branch digests). */
int fwg_floor_auth_policy(const uint8_t key_name[FWG_TPM_NAME_SIZE], TPM2B_DIGEST *policy)
{
	uint8_t buf[FWG_DIGEST_SIZE + 4 + 3 * FWG_DIGEST_SIZE];
	uint8_t *b = buf + FWG_DIGEST_SIZE + 4;

	memset(buf, 0, FWG_DIGEST_SIZE);
	put_u32be(buf + FWG_DIGEST_SIZE, TPM2_CC_PolicyOR);
	fwg_floor_policy_branches(b, b + FWG_DIGEST_SIZE, b + 2 * FWG_DIGEST_SIZE, key_name);
	policy->size = FWG_DIGEST_SIZE;
	return fwg_sha256(buf, sizeof(buf), NULL, 0, policy->buffer);
}

/*
 * What the vendor approves for a raise to @version: PolicyCommandCode
 * (NV_Increment), then PolicyNV(index @nv_name, operandB = @version (u64
 * BE), offset 0, TPM_EO_UNSIGNED_LT): "one increment, while the floor is
 * below @version". @ahash = H(approved || floor policyRef), the signed
 * digest.
 */
int fwg_floor_approved(const TPM2B_NAME *nv_name, uint64_t version,
		       uint8_t approved[FWG_DIGEST_SIZE], uint8_t ahash[FWG_DIGEST_SIZE])
{
	uint8_t ref[FWG_DIGEST_SIZE];
	int err;

	if (nv_name->size > sizeof(nv_name->name))
		return -EINVAL;
	if (policy_command_code(TPM2_CC_NV_Increment, approved))
		return -ENOMEM;
	err = policy_nv(approved, version, TPM2_EO_UNSIGNED_LT, nv_name);
	if (err || fwg_floor_policy_ref(ref))
		return err ?: -ENOMEM;
	return fwg_sha256(approved, FWG_DIGEST_SIZE, ref, FWG_DIGEST_SIZE, ahash);
}

/* The signed digest of a raise to @version on the vendor form @form. */
static int floor_ahash(const uint8_t key_name[FWG_TPM_NAME_SIZE], int form, uint64_t version,
		       uint8_t ahash[FWG_DIGEST_SIZE])
{
	uint8_t approved[FWG_DIGEST_SIZE];
	TPM2B_NAME name;
	int err;

	err = fwg_floor_vendor_name(key_name, form, &name);
	return err ? err : fwg_floor_approved(&name, version, approved, ahash);
}

int fwg_approval_sign(const char *key_path, unsigned int pcr,
		      const struct fwg_tpm_subject *s, struct fwg_tpm_approval *ret)
{
	struct fwg_approval_digests d;
	struct fwg_vendor_key key;
	struct fwg_tpm_approval a = { .pcr = pcr };
	uint8_t ahash[FWG_DIGEST_SIZE];
	EVP_PKEY *pkey;
	int err, form;

	err = fwg_approval_digests(pcr, s, &d);
	if (err)
		return err;
	pkey = pkey_read(key_path, true);
	if (!pkey) {
		fwg_tpm_log("cannot read the vendor policy signing key %s", key_path);
		return -ENOKEY;
	}
	err = vendor_key_from_pkey(pkey, &key);
	if (err)
		fwg_tpm_log("policy signing key %s is not an ECC NIST P-256 key", key_path);
	if (!err)
		err = fwg_vendor_key_name(&key, a.key_name);
	if (!err)
		err = ecdsa_sign(pkey, d.ahash, a.sig_r, a.sig_s);
	/* The floor approval of the same version, for either form of the index. */
	for (form = 0; !err && form < FWG_FLOOR_FORMS; form++) {
		err = floor_ahash(a.key_name, form, s->version, ahash);
		if (!err)
			err = ecdsa_sign(pkey, ahash, a.floor_r[form], a.floor_s[form]);
	}
	EVP_PKEY_free(pkey);
	a.has_floor = true;
	if (!err)
		*ret = a;
	return err;
}

int fwg_approval_check(const struct fwg_vendor_key *key, const struct fwg_tpm_approval *a,
		       const struct fwg_tpm_subject *s)
{
	uint8_t name[FWG_TPM_NAME_SIZE];
	struct fwg_approval_digests d;
	int err;

	err = fwg_vendor_key_name(key, name);
	if (!err && memcmp(name, a->key_name, sizeof(name)))
		err = -ENOKEY;	/* signed by another key than the configured one */
	if (!err)
		err = fwg_approval_digests(a->pcr, s, &d);
	return err ? err : ecdsa_verify(key, d.ahash, a->sig_r, a->sig_s);
}

int fwg_floor_approval_check(const struct fwg_vendor_key *key, const struct fwg_tpm_approval *a,
			     uint64_t version, int form)
{
	uint8_t name[FWG_TPM_NAME_SIZE], ahash[FWG_DIGEST_SIZE];
	int err;

	if (!a || !a->has_floor || form < 0 || form >= FWG_FLOOR_FORMS)
		return -ENOKEY;
	err = fwg_vendor_key_name(key, name);
	if (!err && memcmp(name, a->key_name, sizeof(name)))
		return -ENOKEY;
	if (!err)
		err = floor_ahash(name, form, version, ahash);
	return err ? err : ecdsa_verify(key, ahash, a->floor_r[form], a->floor_s[form]);
}

/*
 * The approval file (TPM.md): "FWGA", u16 format, u16 PCR, key name, r, s;
 * format 2 then the floor approval's r, s for the platform and the owner
 * form of the floor index.
 */
size_t fwg_approval_encode(const struct fwg_tpm_approval *a, uint8_t buf[FWG_APPROVAL_FILE_SIZE])
{
	size_t off = 8 + FWG_TPM_NAME_SIZE + 64;
	int form;

	memcpy(buf, APPROVAL_MAGIC, 4);
	buf[4] = 0;
	buf[5] = a->has_floor ? APPROVAL_FORMAT_FLOOR : APPROVAL_FORMAT;
	buf[6] = 0;
	buf[7] = (uint8_t)a->pcr;
	memcpy(buf + 8, a->key_name, FWG_TPM_NAME_SIZE);
	memcpy(buf + 8 + FWG_TPM_NAME_SIZE, a->sig_r, 32);
	memcpy(buf + 8 + FWG_TPM_NAME_SIZE + 32, a->sig_s, 32);
	if (!a->has_floor)
		return off;
	for (form = 0; form < FWG_FLOOR_FORMS; form++) {
		memcpy(buf + off, a->floor_r[form], 32);
		memcpy(buf + off + 32, a->floor_s[form], 32);
		off += 64;
	}
	return off;
}

int fwg_approval_decode(const uint8_t *buf, size_t len, struct fwg_tpm_approval *ret)
{
	struct fwg_tpm_approval a;
	size_t off = FWG_APPROVAL_FILE_SIZE_V1;
	int form;

	if ((len != FWG_APPROVAL_FILE_SIZE_V1 && len != FWG_APPROVAL_FILE_SIZE) ||
	    memcmp(buf, APPROVAL_MAGIC, 4) || buf[4] != 0 ||
	    buf[5] != (len == FWG_APPROVAL_FILE_SIZE ? APPROVAL_FORMAT_FLOOR : APPROVAL_FORMAT) ||
	    buf[6] != 0 || buf[7] > 23 ||
	    buf[8] != (TPM2_ALG_SHA256 >> 8) || buf[9] != (TPM2_ALG_SHA256 & 0xff))
		return -EBADMSG;
	memset(&a, 0, sizeof(a));
	a.pcr = buf[7];
	memcpy(a.key_name, buf + 8, FWG_TPM_NAME_SIZE);
	memcpy(a.sig_r, buf + 8 + FWG_TPM_NAME_SIZE, 32);
	memcpy(a.sig_s, buf + 8 + FWG_TPM_NAME_SIZE + 32, 32);
	a.has_floor = len == FWG_APPROVAL_FILE_SIZE;
	for (form = 0; a.has_floor && form < FWG_FLOOR_FORMS; form++) {
		memcpy(a.floor_r[form], buf + off, 32);
		memcpy(a.floor_s[form], buf + off + 32, 32);
		off += 64;
	}
	*ret = a;
	return 0;
}

/*
 * The approval file at @path, read and decoded. Logs nothing: a missing
 * approval is a usage error to one caller and a refused release to
 * another.
 */
int fwg_approval_read(const char *path, struct fwg_tpm_approval *ret)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	err = fwg_read_file(path, FWG_APPROVAL_FILE_SIZE, &buf, &len);
	if (!err)
		err = fwg_approval_decode(buf, len, ret);
	free(buf);
	return err == -EFBIG ? -EBADMSG : err;	/* longer than an approval file */
}
