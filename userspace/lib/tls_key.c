// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TPM-held mutual-TLS client key through OpenSSL 3's tpm2 provider
 * (see tls_key.h and tpm/TPM.md "TLS client key"). The provider opens its
 * own connection to the TPM when it is loaded; fwguard's context, which
 * checked the key, is closed by then, so the two never hold TPM resources
 * at once (without a resource manager nothing keeps their sessions and
 * transient objects apart). The provider is loaded into the default library context only for
 * a TPM key, beside the default provider, and the default properties then
 * prefer the default provider, so hashing, ciphers, randomness and the
 * verification of the server's certificates stay in software; only the
 * key's own signature is asked of the tpm2 provider, explicitly.
 *
 * libssl 3.0 cannot be told to sign with the provider's key and verify
 * with the default provider: fetching by properties chooses one provider
 * for all signatures, and the tpm2 key exports its public half to the
 * default provider, which then fails for want of the private half. So the
 * SSL_CTX gets a bridge key: an EC_KEY holding the TPM key's public point
 * whose ECDSA method hands the digest libssl computed to the provider's
 * key (EVP_PKEY_sign with "?provider=tpm2"). That is the legacy EC_KEY
 * method API, deprecated in OpenSSL 3 but the one way into libssl 3.0.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* EC_KEY_METHOD: see above */
#include <errno.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpm/tpm.h"
#include "userspace/common/fileio.h"
#include "userspace/common/log.h"
#include "userspace/lib/ssl_error.h"
#include "userspace/lib/tls_key.h"

/* The tpm2 provider reads its TCTI from here (or from openssl.cnf). */
#define PROVIDER_TCTI_ENV	"TPM2OPENSSL_TCTI"

struct tls_key {
	OSSL_PROVIDER *tpm2;
	EVP_PKEY *pkey;		/* the tpm2 provider's */
	EVP_PKEY *bridge;	/* what the SSL_CTX signs with (see above) */
	uint32_t handle;
};

int tls_key_spec(const char *spec, uint32_t *handle)
{
	const char *h = spec + strlen(TLS_KEY_TPM_PREFIX);
	unsigned long v;
	char *end;

	if (strncmp(spec, TLS_KEY_TPM_PREFIX, strlen(TLS_KEY_TPM_PREFIX)))
		return 0;
	if (!*h) {
		fwg_log_error("client_key = tpm: names no handle (tpm:0x%08x is the documented one)",
			      FWG_TPM_TLS_KEY_HANDLE);
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(h, &end, 16);
	if (strncasecmp(h, "0x", 2) || errno || *end || v > UINT32_MAX ||
	    !fwg_tpm_tls_key_handle_valid((uint32_t)v)) {
		fwg_log_error("client_key = %s: not a persistent owner handle 0x81000000-0x817fffff "
			      "other than the SRK's 0x%08x", spec, FWG_TPM_SRK_HANDLE);
		return -EINVAL;
	}
	*handle = (uint32_t)v;
	return 1;
}

const char *tls_key_tcti(const char *tcti)
{
	if (!tcti || !*tcti)
		tcti = getenv(FWG_TCTI_ENV);
	if (!tcti || !*tcti)
		tcti = FWG_DEFAULT_TCTI;
	return tcti;
}

void tls_key_free(struct tls_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->bridge);
	EVP_PKEY_free(key->pkey);
	/* Unloading the tpm2 provider closes its TPM connection. */
	if (key->tpm2)
		OSSL_PROVIDER_unload(key->tpm2);
	/* The default provider stays: the rest of the process needs it. */
	free(key);
}

static EVP_PKEY *store_load_key(const char *uri)
{
	OSSL_STORE_CTX *store;
	OSSL_STORE_INFO *info;
	EVP_PKEY *pkey = NULL;

	store = OSSL_STORE_open_ex(uri, NULL, "?provider=tpm2", NULL, NULL, NULL, NULL, NULL);
	if (!store)
		return NULL;
	OSSL_STORE_expect(store, OSSL_STORE_INFO_PKEY);
	while (!pkey && !OSSL_STORE_eof(store)) {
		info = OSSL_STORE_load(store);
		if (!info)
			break;
		if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
			pkey = OSSL_STORE_INFO_get1_PKEY(info);
		OSSL_STORE_INFO_free(info);
	}
	OSSL_STORE_close(store);
	return pkey;
}

/* What the process fetches while the tpm2 provider is loaded: software. */
#define TPM2_PROPERTIES "?provider=default"

/* Hashing, ciphers, key generation and exchange stay in software. */
static int software_first(void)
{
	const OSSL_PROVIDER *prov[5] = { NULL };
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "AES-128-CFB", NULL);
	EVP_KEYMGMT *km = EVP_KEYMGMT_fetch(NULL, "EC", NULL);
	EVP_KEYEXCH *kx = EVP_KEYEXCH_fetch(NULL, "ECDH", NULL);
	EVP_RAND *rand = EVP_RAND_fetch(NULL, "CTR-DRBG", NULL);
	int err = 0;
	size_t i;

	prov[0] = md ? EVP_MD_get0_provider(md) : NULL;
	prov[1] = cipher ? EVP_CIPHER_get0_provider(cipher) : NULL;
	prov[2] = km ? EVP_KEYMGMT_get0_provider(km) : NULL;
	prov[3] = kx ? EVP_KEYEXCH_get0_provider(kx) : NULL;
	prov[4] = rand ? EVP_RAND_get0_provider(rand) : NULL;
	for (i = 0; i < 5; i++)
		if (!prov[i] || strcmp(OSSL_PROVIDER_get0_name(prov[i]), "default"))
			err = -ENOPKG;
	EVP_MD_free(md);
	EVP_CIPHER_free(cipher);
	EVP_KEYMGMT_free(km);
	EVP_KEYEXCH_free(kx);
	EVP_RAND_free(rand);
	if (err)
		ssl_log_error("with the tpm2 provider loaded, hashing, ciphers or key exchange "
			      "would not stay in OpenSSL's default provider");
	return err;
}

int tls_key_provider_open(const char *tcti, uint32_t handle, struct tls_key **ret)
{
	static OSSL_PROVIDER *deflt;
	struct tls_key *key = calloc(1, sizeof(*key));
	char uri[32];
	int err;

	if (!key)
		return -ENOMEM;
	ssl_log_clear();
	if (setenv(PROVIDER_TCTI_ENV, tcti, 1)) {
		free(key);
		return -ENOMEM;
	}
	/*
	 * Loading any provider stops the default one from loading by itself:
	 * load it first, once, and keep it for the process.
	 */
	if (!deflt)
		deflt = OSSL_PROVIDER_load(NULL, "default");
	if (!deflt || !EVP_set_default_properties(NULL, TPM2_PROPERTIES)) {
		ssl_log_error("cannot load OpenSSL's default provider");
		tls_key_free(key);
		return -ENOMEM;
	}
	key->tpm2 = OSSL_PROVIDER_load(NULL, "tpm2");
	if (!key->tpm2) {
		ssl_log_error("cannot load OpenSSL's tpm2 provider (Debian package tpm2-openssl) "
			      "over TCTI '%s'", tcti);
		tls_key_free(key);
		return -ENOPKG;
	}
	err = software_first();
	if (err) {
		tls_key_free(key);
		return err;
	}
	if (handle) {
		snprintf(uri, sizeof(uri), "handle:0x%08x", handle);
		key->pkey = store_load_key(uri);
		if (!key->pkey) {
			ssl_log_error("the tpm2 provider cannot load the key at 0x%08x", handle);
			tls_key_free(key);
			return -EIO;
		}
		key->handle = handle;
	}
	*ret = key;
	return 0;
}

/* The P-256 point of the leaf certificate of @path. */
static int cert_point(const char *path, uint8_t x[32], uint8_t y[32])
{
	BIGNUM *bx = NULL, *by = NULL;
	char group[32] = "";
	EVP_PKEY *pub;
	X509 *cert;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		fwg_log_error("client_cert %s: %s", path, strerror(errno));
		return err;
	}
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!cert) {
		ssl_log_error("client_cert %s: not a PEM certificate", path);
		return -EBADMSG;
	}
	pub = X509_get0_pubkey(cert);
	if (!pub || !EVP_PKEY_is_a(pub, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group,
					    sizeof(group), NULL) ||
	    strcmp(group, "prime256v1") ||
	    !EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_EC_PUB_X, &bx) ||
	    !EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_EC_PUB_Y, &by) ||
	    BN_bn2binpad(bx, x, 32) != 32 || BN_bn2binpad(by, y, 32) != 32)
		err = -EKEYREJECTED;	/* not a P-256 key: not the TPM's */
	BN_free(bx);
	BN_free(by);
	X509_free(cert);
	ssl_log_clear();
	return err;
}

static int bridge_index = -1;

/* ECDSA of @dgst by the TPM key behind @eckey; DER into @sig (ECDSA_size()). */
static int bridge_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
		       unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *eckey)
{
	EVP_PKEY *pkey = EC_KEY_get_ex_data(eckey, bridge_index);
	const EVP_MD *md = dlen == 32 ? EVP_sha256() : dlen == 48 ? EVP_sha384() :
			   dlen == 64 ? EVP_sha512() : NULL;
	size_t len = (size_t)ECDSA_size(eckey);
	EVP_PKEY_CTX *ctx;
	int ok;

	(void)type; (void)kinv; (void)r;
	if (!pkey || !md)
		return 0;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, "?provider=tpm2");
	ok = ctx && EVP_PKEY_sign_init(ctx) > 0 && EVP_PKEY_CTX_set_signature_md(ctx, md) > 0 &&
	     EVP_PKEY_sign(ctx, sig, &len, dgst, (size_t)dlen) > 0;
	EVP_PKEY_CTX_free(ctx);
	if (ok)
		*siglen = (unsigned int)len;
	return ok;
}

static ECDSA_SIG *bridge_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
				  const BIGNUM *r, EC_KEY *eckey)
{
	unsigned char der[160];
	const unsigned char *p = der;
	unsigned int len = 0;

	if ((size_t)ECDSA_size(eckey) > sizeof(der) ||
	    !bridge_sign(0, dgst, dlen, der, &len, kinv, r, eckey))
		return NULL;
	return d2i_ECDSA_SIG(NULL, &p, len);
}

/* The bridge key for @key: the TPM's point, signing through the provider. */
static int bridge_new(struct tls_key *key, const uint8_t x[32], const uint8_t y[32])
{
	static EC_KEY_METHOD *method;
	BIGNUM *bx = BN_bin2bn(x, 32, NULL), *by = BN_bin2bn(y, 32, NULL);
	EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
	EVP_PKEY *pkey = EVP_PKEY_new();
	int err = -ENOMEM;

	if (!method) {
		method = EC_KEY_METHOD_new(EC_KEY_get_default_method());
		if (method)
			EC_KEY_METHOD_set_sign(method, bridge_sign, NULL, bridge_sign_sig);
	}
	if (bridge_index < 0)
		bridge_index = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (method && bridge_index >= 0 && bx && by && ec && pkey &&
	    EC_KEY_set_public_key_affine_coordinates(ec, bx, by) &&
	    EC_KEY_set_method(ec, method) && EC_KEY_set_ex_data(ec, bridge_index, key->pkey) &&
	    EVP_PKEY_assign_EC_KEY(pkey, ec)) {
		ec = NULL;	/* the EVP_PKEY's now */
		key->bridge = pkey;
		pkey = NULL;
		err = 0;
	} else {
		ssl_log_error("cannot set up the TPM key for TLS");
	}
	EVP_PKEY_free(pkey);
	EC_KEY_free(ec);
	BN_free(bx);
	BN_free(by);
	return err;
}

int tls_key_load(const struct uc_config *cfg, struct fetch_tls *tls, struct tls_key **ret,
		 struct uc_step *step)
{
	struct fwg_tpm_options opts = { .tcti = cfg->tcti, .state_dir = cfg->state_dir, .pcr = -1,
					.timeout_s = cfg->tpm_timeout_s };
	struct fwg_tpm_tls_key tk;
	struct fwg_tpm *tpm = NULL;
	uint8_t cx[32], cy[32];
	uint32_t handle = 0;
	int err;

	*ret = NULL;
	uc_step_enter(step, UC_SRC_USAGE, "tls-key");
	err = tls_key_spec(cfg->client_key, &handle);
	if (err <= 0)
		return err;	/* a PEM file: libcurl reads it */
	uc_step_enter(step, UC_SRC_TPM, "tls-key");
	err = fwg_tpm_open(&opts, &tpm);
	if (!err)
		err = fwg_tpm_tls_key_read(tpm, handle, &tk);
	fwg_tpm_close(tpm);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_FILE, "client-cert");
	err = cert_point(cfg->client_cert, cx, cy);
	if (err == -EKEYREJECTED || (!err && (memcmp(cx, tk.x, 32) || memcmp(cy, tk.y, 32)))) {
		uc_step_enter(step, UC_SRC_TPM, "tls-key");
		fwg_log_error("client_cert %s was not issued for the key at 0x%08x in this TPM "
			      "(another device's certificate, or another TPM)", cfg->client_cert,
			      handle);
		return FWG_TPM_E_UNTRUSTED;
	}
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_TPM, "tls-provider");
	err = tls_key_provider_open(tls_key_tcti(cfg->tcti), handle, ret);
	if (!err)
		err = bridge_new(*ret, tk.x, tk.y);
	if (err) {
		tls_key_free(*ret);
		*ret = NULL;
		return err;
	}
	tls->tpm_key = (*ret)->bridge;
	return 0;
}

/* A public-only P-256 key (default provider) from the TPM's point. */
static EVP_PKEY *public_key(const uint8_t x[32], const uint8_t y[32])
{
	uint8_t point[65] = { 0x04 };
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	memcpy(point + 1, x, 32);
	memcpy(point + 33, y, 32);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", "provider=default");
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

int tls_key_write_csr(struct tls_key *key, const uint8_t x[32], const uint8_t y[32],
		      const char *cn, const char *path)
{
	EVP_PKEY *pub = public_key(x, y);
	X509_REQ *req = X509_REQ_new();
	BIO *mem = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long len;
	int err = -ENOMEM;

	if (!pub || !req || !mem || !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_REQ_set_pubkey(req, pub)) {
		ssl_log_error("cannot build the certificate request");
		goto out;
	}
	/* Signed as libssl signs: hashed here, the digest signed by the TPM. */
	if (!key->bridge && bridge_new(key, x, y))
		goto out;
	if (X509_REQ_sign(req, key->bridge, EVP_sha256()) <= 0) {
		ssl_log_error("the TPM did not sign the certificate request with the key at 0x%08x",
			      key->handle);
		err = -EIO;
		goto out;
	}
	/* The request is the TPM key's: its signature checks under the point read. */
	if (X509_REQ_verify(req, pub) != 1) {
		ssl_log_error("the certificate request signed by the key at 0x%08x does not verify "
			      "under its public key", key->handle);
		err = FWG_TPM_E_UNTRUSTED;
		goto out;
	}
	if (!PEM_write_bio_X509_REQ(mem, req) || (len = BIO_get_mem_data(mem, &pem)) <= 0) {
		ssl_log_error("cannot encode the certificate request");
		goto out;
	}
	err = fwg_write_file_atomic(path, pem, (size_t)len);
	if (err)
		fwg_log_error("%s: %s", path, strerror(-err));
out:
	BIO_free(mem);
	X509_REQ_free(req);
	EVP_PKEY_free(pub);
	return err;
}
