// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ticket signing (vendor side, OpenSSL 3). Owns the signing key and the
 * shape of the SignedData we emit. The shape is kept to what Linux 6.1's
 * PKCS#7 parser understands: SHA-256 digest, RSA PKCS#1 v1.5, one
 * SignerInfo identified by issuer and serial, signed attributes limited to
 * contentType, signingTime and messageDigest (no S/MIME capabilities), the
 * content attached and taken as binary (no MIME canonicalisation, which
 * would change the signed bytes). The key is loaded through OSSL_STORE, so
 * besides a PEM file it may be any URI a loaded provider handles: a PKCS#11
 * URI ("pkcs11:token=...;object=...") works when OpenSSL's configuration or
 * the "pkcs11" provider (pkcs11-provider) is available; the certificate is
 * always a PEM file.
 *
 * The signer refuses keys the verifier would refuse (non-RSA, under 3072
 * bits) so a vendor learns about it at build time, not on the device.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <openssl/x509.h>

#include "userspace/common/log.h"
#include "userspace/lib/cms_sign.h"
#include "userspace/lib/cms_verify.h"
#include "userspace/lib/ssl_error.h"

struct cms_signer {
	EVP_PKEY *key;
	X509 *cert;
};

void cms_signer_free(struct cms_signer *signer)
{
	if (!signer)
		return;
	EVP_PKEY_free(signer->key);
	X509_free(signer->cert);
	free(signer);
}

static int read_cert(const char *path, struct cms_signer *s)
{
	BIO *in = BIO_new_file(path, "r");

	if (!in) {
		ssl_log_error("cannot open %s", path);
		return -ENOENT;
	}
	s->cert = PEM_read_bio_X509(in, NULL, NULL, NULL);
	BIO_free(in);
	if (!s->cert) {
		ssl_log_error("%s: no PEM certificate", path);
		return -EINVAL;
	}
	return 0;
}

/* The first private key the store yields for @uri (a file path or a provider URI). */
static EVP_PKEY *store_first_key(OSSL_STORE_CTX *store)
{
	OSSL_STORE_INFO *info;
	EVP_PKEY *key = NULL;

	while (!key && !OSSL_STORE_eof(store)) {
		info = OSSL_STORE_load(store);
		if (!info)
			break;
		if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
			key = OSSL_STORE_INFO_get1_PKEY(info);
		OSSL_STORE_INFO_free(info);
	}
	return key;
}

static int read_key(const char *uri, struct cms_signer *s)
{
	OSSL_STORE_CTX *store;

	bool pkcs11 = !strncmp(uri, "pkcs11:", 7);

	if (!pkcs11 && access(uri, R_OK)) {
		fwg_log_error("cannot open %s: %s", uri, strerror(errno));
		return -ENOENT;
	}
	/* openssl.cnf may already have loaded it; otherwise try by its usual name. */
	if (pkcs11 && !OSSL_PROVIDER_available(NULL, "pkcs11") &&
	    !OSSL_PROVIDER_try_load(NULL, "pkcs11", 1)) {
		ssl_log_error("cannot use %s: OpenSSL pkcs11 provider not available", uri);
		return -EINVAL;
	}
	store = OSSL_STORE_open(uri, NULL, NULL, NULL, NULL);
	if (!store) {
		ssl_log_error("cannot open key %s", uri);
		return pkcs11 ? -EINVAL : -ENOENT;
	}
	s->key = store_first_key(store);
	OSSL_STORE_close(store);
	if (!s->key) {
		ssl_log_error("%s: no private key", uri);
		return -EINVAL;
	}
	ERR_clear_error();
	return 0;
}

static int check_signer(const struct cms_signer *s, const char *cert_path)
{
	int bits;

	if (X509_check_private_key(s->cert, s->key) != 1) {
		ssl_log_error("key does not match certificate %s", cert_path);
		return -EINVAL;
	}
	bits = EVP_PKEY_get_bits(s->key);
	if (EVP_PKEY_get_base_id(s->key) != EVP_PKEY_RSA || bits < CMS_MIN_RSA_BITS) {
		fwg_log_error("signing key must be RSA with at least %d bits",
			CMS_MIN_RSA_BITS);
		return -ENOPKG;
	}
	return 0;
}

/**
 * cms_signer_load() - load a private key (PEM file or provider URI) and its
 * PEM certificate
 * Return: 0, -EINVAL (bad argument, unparsable or mismatching files),
 * -ENOENT (unreadable file), -ENOPKG (key not RSA >= 3072), -ENOMEM.
 */
int cms_signer_load(const char *key_path, const char *cert_path, struct cms_signer **out)
{
	struct cms_signer *s;
	int err;

	if (!key_path || !cert_path || !out)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	err = read_key(key_path, s);
	if (!err)
		err = read_cert(cert_path, s);
	if (!err)
		err = check_signer(s, cert_path);
	if (err) {
		cms_signer_free(s);
		return err;
	}
	*out = s;
	return 0;
}

static int to_der(CMS_ContentInfo *cms, uint8_t **der_out, size_t *der_len)
{
	unsigned char *der = NULL;
	int n = i2d_CMS_ContentInfo(cms, &der);

	if (n <= 0) {
		ssl_log_error("cannot encode the ticket CMS");
		return -ENOMEM;
	}
	*der_out = der;
	*der_len = (size_t)n;
	return 0;
}

/**
 * cms_sign_ticket() - wrap a ticket payload into CMS SignedData
 * Return: 0, -EINVAL, -ENOMEM, -EIO (OpenSSL refused to sign).
 */
int cms_sign_ticket(const struct cms_signer *signer, const void *payload, size_t len,
		    uint8_t **der_out, size_t *der_len)
{
	const unsigned int flags = CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL;
	CMS_ContentInfo *cms = NULL;
	BIO *in = NULL;
	int err = -EIO;

	if (!signer || !payload || !len || len > INT32_MAX || !der_out || !der_len)
		return -EINVAL;
	in = BIO_new_mem_buf(payload, (int)len);
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (!in || !cms) {
		err = -ENOMEM;
		goto out;
	}
	if (!CMS_add1_signer(cms, signer->cert, signer->key, EVP_sha256(), flags) ||
	    !CMS_final(cms, in, NULL, flags)) {
		ssl_log_error("cannot sign the ticket");
		goto out;
	}
	err = to_der(cms, der_out, der_len);
out:
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	return err;
}
