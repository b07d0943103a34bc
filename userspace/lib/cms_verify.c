// SPDX-License-Identifier: GPL-2.0-only
/*
 * CMS ticket signature verification (OpenSSL 3). Owns the trust store and
 * the crypto policy for tickets: exactly one signer, SHA-256, RSA PKCS#1
 * v1.5 with at least 3072 bits (what Debian 6.1's in-kernel PKCS#7 verifier
 * can check), a signer certificate that chains to the trust store, is within
 * its validity period, is not a CA, and carries keyUsage digitalSignature and
 * extendedKeyUsage codeSigning (anyExtendedKeyUsage is not enough: a TLS or
 * e-mail certificate from the same CA must never be able to sign firmware).
 *
 * The checks run cheapest and most specific first, so each refusal reports
 * its own reason; the signature itself is checked last, by CMS_verify() with
 * OpenSSL's own chain check switched off because ours already ran with the
 * error mapping we want. Only the verified eContent leaves this file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "userspace/common/log.h"
#include "userspace/lib/bundle_format.h"
#include "userspace/lib/cms_verify.h"
#include "userspace/lib/ssl_error.h"

struct cms_trust {
	X509_STORE *store;
};

/**
 * cms_trust_load() - load trust anchors from a PEM file or a hashed directory
 * Return: 0, -EINVAL, -ENOENT (path missing), -EIO (unreadable or no
 * certificates), -ENOMEM.
 */
int cms_trust_load(const char *path, struct cms_trust **out)
{
	struct cms_trust *trust;
	struct stat st;
	int ok;

	if (!path || !out)
		return -EINVAL;
	if (stat(path, &st)) {
		fwg_log_error("trust store %s: %s", path, strerror(errno));
		return errno == ENOENT ? -ENOENT : -EIO;
	}
	trust = calloc(1, sizeof(*trust));
	if (!trust || !(trust->store = X509_STORE_new())) {
		free(trust);
		return -ENOMEM;
	}
	if (S_ISDIR(st.st_mode))
		ok = X509_STORE_load_path(trust->store, path);
	else
		ok = X509_STORE_load_file(trust->store, path);
	if (!ok) {
		ssl_log_error("trust store %s: cannot load", path);
		cms_trust_free(trust);
		return -EIO;
	}
	*out = trust;
	return 0;
}

void cms_trust_free(struct cms_trust *trust)
{
	if (!trust)
		return;
	X509_STORE_free(trust->store);
	free(trust);
}

/* DER only, nothing after it: trailing bytes would be unsigned baggage. */
static int parse_der(const void *der, size_t der_len, CMS_ContentInfo **out)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms;

	if (der_len > BUNDLE_CMS_MAX) {
		fwg_log_error("ticket CMS is %zu bytes, limit %u",
			der_len, BUNDLE_CMS_MAX);
		return -E2BIG;
	}
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	if (!cms) {
		ssl_log_error("ticket is not a DER CMS structure");
		return -EBADMSG;
	}
	if (p != (const unsigned char *)der + der_len) {
		fwg_log_error("ticket CMS has %zu trailing bytes",
			(size_t)((const unsigned char *)der + der_len - p));
		CMS_ContentInfo_free(cms);
		return -EBADMSG;
	}
	*out = cms;
	return 0;
}

static int check_structure(CMS_ContentInfo *cms)
{
	ASN1_OCTET_STRING **content;
	int nsigners;

	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		fwg_log_error("ticket CMS is not SignedData");
		return -EBADMSG;
	}
	if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data) {
		fwg_log_error("ticket CMS content type is not id-data");
		return -EBADMSG;
	}
	content = CMS_get0_content(cms);
	if (!content || !*content) {
		fwg_log_error("ticket CMS has detached content");
		return -EBADMSG;
	}
	nsigners = sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms));
	if (nsigners != 1) {
		fwg_log_error("ticket CMS has %d signers, exactly 1 required",
			nsigners < 0 ? 0 : nsigners);
		return -ENOTUNIQ;
	}
	return 0;
}

static int check_algorithms(X509_ALGOR *digest_alg, X509_ALGOR *sig_alg, EVP_PKEY *pkey)
{
	const ASN1_OBJECT *obj;
	int nid, bits;

	X509_ALGOR_get0(&obj, NULL, NULL, digest_alg);
	if (OBJ_obj2nid(obj) != NID_sha256) {
		fwg_log_error("ticket digest is %s, SHA-256 required",
			OBJ_nid2sn(OBJ_obj2nid(obj)));
		return -ENOPKG;
	}
	X509_ALGOR_get0(&obj, NULL, NULL, sig_alg);
	nid = OBJ_obj2nid(obj);
	if (nid != NID_rsaEncryption && nid != NID_sha256WithRSAEncryption) {
		fwg_log_error("ticket signature algorithm is %s, RSA required",
			OBJ_nid2sn(nid));
		return -ENOPKG;
	}
	if (!pkey || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		fwg_log_error("ticket signer key is not RSA");
		return -ENOPKG;
	}
	bits = EVP_PKEY_get_bits(pkey);
	if (bits < CMS_MIN_RSA_BITS) {
		fwg_log_error("ticket signer key is RSA-%d, at least RSA-%d required",
			bits, CMS_MIN_RSA_BITS);
		return -ENOPKG;
	}
	return 0;
}

/* Finds the signer certificate among the certificates the CMS carries. */
static int find_signer(CMS_ContentInfo *cms, X509 **signer_out)
{
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	X509_ALGOR *digest_alg, *sig_alg;
	EVP_PKEY *pkey;
	X509 *signer;
	int err;

	if (CMS_set1_signers_certs(cms, NULL, 0) != 1) {
		ssl_log_error("ticket signer certificate not found in the CMS");
		return -EBADMSG;
	}
	CMS_SignerInfo_get0_algs(si, &pkey, &signer, &digest_alg, &sig_alg);
	err = check_algorithms(digest_alg, sig_alg, pkey);
	if (err)
		return err;
	*signer_out = signer;
	return 0;
}

static int map_chain_error(int verr)
{
	switch (verr) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return -EKEYEXPIRED;
	default:
		return -ENOKEY;
	}
}

static int check_chain(const struct cms_trust *trust, CMS_ContentInfo *cms, X509 *signer)
{
	STACK_OF(X509) *untrusted = CMS_get1_certs(cms);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int err = 0, verr;

	if (!ctx || !X509_STORE_CTX_init(ctx, trust->store, signer, untrusted)) {
		err = -ENOMEM;
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		verr = X509_STORE_CTX_get_error(ctx);
		fwg_log_error("ticket signer certificate refused: %s",
			X509_verify_cert_error_string(verr));
		err = map_chain_error(verr);
	}
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	ERR_clear_error();
	return err;
}

static int check_usage(X509 *signer)
{
	uint32_t flags = X509_get_extension_flags(signer);

	if (flags & EXFLAG_CA) {
		fwg_log_error("ticket signer is a CA certificate");
		return -EACCES;
	}
	if (!(flags & EXFLAG_KUSAGE) || !(X509_get_key_usage(signer) & KU_DIGITAL_SIGNATURE)) {
		fwg_log_error("ticket signer lacks keyUsage digitalSignature");
		return -EACCES;
	}
	if (!(flags & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(signer) & XKU_CODE_SIGN)) {
		fwg_log_error("ticket signer lacks extendedKeyUsage codeSigning");
		return -EACCES;
	}
	return 0;
}

/* The signature and the messageDigest attribute; chain checks already ran. */
static int check_signature(CMS_ContentInfo *cms, uint8_t *content, size_t cap,
			   size_t *content_len)
{
	BIO *out = BIO_new(BIO_s_mem());
	const unsigned char *bytes;
	long n;
	int err = 0;

	if (!out)
		return -ENOMEM;
	if (CMS_verify(cms, NULL, NULL, NULL, out,
		       CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		ssl_log_error("ticket signature does not verify");
		err = -EKEYREJECTED;
		goto out;
	}
	n = BIO_get_mem_data(out, (char **)&bytes);
	if (n < 0 || (size_t)n > cap) {
		fwg_log_error("ticket content is %ld bytes, limit %zu", n, cap);
		err = -E2BIG;
		goto out;
	}
	memcpy(content, bytes, (size_t)n);
	*content_len = (size_t)n;
out:
	BIO_free(out);
	return err;
}

/**
 * cms_verify_ticket() - verify a DER CMS ticket and return its content
 * @trust: trust anchors from cms_trust_load()
 * @der, @der_len: the CMS as found in the bundle
 * @content, @cap: receives the verified eContent (only on success)
 * @content_len: its length (only on success)
 *
 * Return: 0 or a negated errno listed in cms_verify.h.
 */
int cms_verify_ticket(const struct cms_trust *trust, const void *der, size_t der_len,
		      uint8_t *content, size_t cap, size_t *content_len)
{
	CMS_ContentInfo *cms = NULL;
	X509 *signer;
	int err;

	if (!trust || !der || !content || !content_len)
		return -EINVAL;
	ERR_clear_error();
	err = parse_der(der, der_len, &cms);
	if (err)
		return err;
	err = check_structure(cms);
	if (!err)
		err = find_signer(cms, &signer);
	if (!err)
		err = check_chain(trust, cms, signer);
	if (!err)
		err = check_usage(signer);
	if (!err)
		err = check_signature(cms, content, cap, content_len);
	CMS_ContentInfo_free(cms);
	return err;
}

/**
 * cms_ticket_content_unverified() - the eContent of a ticket, unchecked
 *
 * For display only (`bundle inspect` without a trust store): nothing that
 * decides anything may use these bytes.
 *
 * Return: 0, -EINVAL, -E2BIG, -EBADMSG.
 */
int cms_ticket_content_unverified(const void *der, size_t der_len, uint8_t *content,
				  size_t cap, size_t *content_len)
{
	CMS_ContentInfo *cms = NULL;
	ASN1_OCTET_STRING **econtent;
	int err, n;

	if (!der || !content || !content_len)
		return -EINVAL;
	err = parse_der(der, der_len, &cms);
	if (err)
		return err;
	err = check_structure(cms);
	if (err)
		goto out;
	econtent = CMS_get0_content(cms);
	n = ASN1_STRING_length(*econtent);
	if (n < 0 || (size_t)n > cap) {
		fwg_log_error("ticket content is %d bytes, limit %zu", n, cap);
		err = -E2BIG;
		goto out;
	}
	memcpy(content, ASN1_STRING_get0_data(*econtent), (size_t)n);
	*content_len = (size_t)n;
out:
	CMS_ContentInfo_free(cms);
	return err;
}
