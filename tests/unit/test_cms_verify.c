// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests for ticket signing and verification (userspace/cms_sign.c,
 * userspace/cms_verify.c) against the test PKI (tests/pki/mkpki, found via
 * $FWGUARD_PKI or <build>/pki). Every refusal the verifier promises has a
 * case asserting its exact errno and that nothing was written to the
 * caller's output. CMS objects the fwguard signer refuses to make (two
 * signers, RSA-2048, SHA-1, detached, no certificate) are built here with
 * OpenSSL directly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "kselftest_harness.h"
#include "ticket.h"
#include "userspace/common/log.h"
#include "userspace/lib/attest_verify.h"
#include "userspace/lib/bundle_format.h"
#include "userspace/lib/bundle_verify.h"
#include "userspace/lib/cms_sign.h"
#include "userspace/lib/cms_verify.h"

static const char *pki_file(const char *name)
{
	static char paths[8][512];
	static int next;
	const char *dir = getenv("FWGUARD_PKI");
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir ? dir : FWGUARD_BUILD "/pki", name);
	return p;
}

static size_t sample_payload(uint8_t *buf, size_t cap)
{
	struct fwguard_ticket t = {
		.id = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
		.device_class = "acme-pump-v2",
		.component = "bootloader",
		.image_len = 4096,
		.security_version = 5,
	};
	size_t len = 0;

	memset(t.image_sha256, 0x5a, sizeof(t.image_sha256));
	if (fwguard_ticket_encode(&t, buf, cap, &len))
		return 0;
	return len;
}

static void load_pair(const char *name, EVP_PKEY **key, X509 **cert)
{
	char file[64];
	BIO *in;

	snprintf(file, sizeof(file), "%s.key", name);
	in = BIO_new_file(pki_file(file), "r");
	*key = in ? PEM_read_bio_PrivateKey(in, NULL, NULL, NULL) : NULL;
	BIO_free(in);
	snprintf(file, sizeof(file), "%s.crt", name);
	in = BIO_new_file(pki_file(file), "r");
	*cert = in ? PEM_read_bio_X509(in, NULL, NULL, NULL) : NULL;
	BIO_free(in);
}

/* SignedData made with OpenSSL directly, by signers the fwguard signer would refuse. */
static size_t sign_raw(const char *const *names, int n, const EVP_MD *md, unsigned int extra,
		       const uint8_t *payload, size_t len, uint8_t **der)
{
	const unsigned int flags = CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL | extra;
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	BIO *in = BIO_new_mem_buf(payload, (int)len);
	int ok = cms && in, der_len = 0;

	for (int i = 0; ok && i < n; i++) {
		EVP_PKEY *key;
		X509 *cert;

		load_pair(names[i], &key, &cert);
		ok = key && cert && CMS_add1_signer(cms, cert, key, md, flags);
		EVP_PKEY_free(key);
		X509_free(cert);
	}
	if (ok && CMS_final(cms, in, NULL, flags))
		der_len = i2d_CMS_ContentInfo(cms, der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return der_len > 0 ? (size_t)der_len : 0;
}

FIXTURE(cms) {
	uint8_t payload[FWGUARD_TICKET_MAX_LEN];
	size_t payload_len;
	struct cms_trust *trust;
	uint8_t *der;
	size_t der_len;
	uint8_t out[FWGUARD_TICKET_MAX_LEN];
	size_t out_len;
};

FIXTURE_SETUP(cms)
{
	ASSERT_EQ(0, access(pki_file("signer.key"), R_OK)) TH_LOG("no test PKI; run make pki");
	self->payload_len = sample_payload(self->payload, sizeof(self->payload));
	ASSERT_LT((size_t)0, self->payload_len);
	ASSERT_EQ(0, cms_trust_load(pki_file("root-ca.crt"), &self->trust));
	memset(self->out, 0xa5, sizeof(self->out));
	self->out_len = 0xa5a5;
}

FIXTURE_TEARDOWN(cms)
{
	cms_trust_free(self->trust);
	OPENSSL_free(self->der);
}

static int sign_as(FIXTURE_DATA(cms) *self, const char *name)
{
	struct cms_signer *signer;
	char key[64], crt[64];
	int err;

	snprintf(key, sizeof(key), "%s.key", name);
	snprintf(crt, sizeof(crt), "%s.crt", name);
	err = cms_signer_load(pki_file(key), pki_file(crt), &signer);
	if (err)
		return err;
	err = cms_sign_ticket(signer, self->payload, self->payload_len, &self->der,
			      &self->der_len);
	cms_signer_free(signer);
	return err;
}

static int verify(FIXTURE_DATA(cms) *self)
{
	return cms_verify_ticket(self->trust, self->der, self->der_len, self->out,
				 sizeof(self->out), &self->out_len);
}

/* Refusals must leave the caller's buffer and length alone. */
static bool untouched(FIXTURE_DATA(cms) *self)
{
	for (size_t i = 0; i < sizeof(self->out); i++)
		if (self->out[i] != 0xa5)
			return false;
	return self->out_len == 0xa5a5;
}

TEST_F(cms, valid_ticket_verifies_and_returns_content)
{
	struct fwguard_ticket t;

	ASSERT_EQ(0, sign_as(self, "signer"));
	ASSERT_EQ(0, verify(self));
	ASSERT_EQ(self->payload_len, self->out_len);
	ASSERT_EQ(0, memcmp(self->payload, self->out, self->out_len));
	ASSERT_EQ(0, fwguard_ticket_parse(self->out, self->out_len, &t));
	EXPECT_STREQ("acme-pump-v2", t.device_class);
}

TEST_F(cms, trust_directory_works_like_file)
{
	struct cms_trust *dir;

	ASSERT_EQ(0, sign_as(self, "signer"));
	ASSERT_EQ(0, cms_trust_load(pki_file("trust"), &dir));
	EXPECT_EQ(0, cms_verify_ticket(dir, self->der, self->der_len, self->out,
				       sizeof(self->out), &self->out_len));
	cms_trust_free(dir);
}

TEST_F(cms, missing_trust_store)
{
	struct cms_trust *t = (void *)1;

	EXPECT_EQ(-ENOENT, cms_trust_load(pki_file("no-such-ca.crt"), &t));
	EXPECT_EQ((void *)1, t);
	EXPECT_EQ(-EIO, cms_trust_load(pki_file("signer.key"), &t));
}

TEST_F(cms, untrusted_ca)
{
	ASSERT_EQ(0, sign_as(self, "other-signer"));
	EXPECT_EQ(-ENOKEY, verify(self));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, trust_store_of_another_ca)
{
	struct cms_trust *other;

	ASSERT_EQ(0, sign_as(self, "signer"));
	ASSERT_EQ(0, cms_trust_load(pki_file("other-ca.crt"), &other));
	EXPECT_EQ(-ENOKEY, cms_verify_ticket(other, self->der, self->der_len, self->out,
					     sizeof(self->out), &self->out_len));
	cms_trust_free(other);
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, expired_signer)
{
	ASSERT_EQ(0, sign_as(self, "expired-signer"));
	EXPECT_EQ(-EKEYEXPIRED, verify(self));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, wrong_key_usage)
{
	ASSERT_EQ(0, sign_as(self, "wrong-usage-signer"));
	EXPECT_EQ(-EACCES, verify(self));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, wrong_extended_key_usage)
{
	ASSERT_EQ(0, sign_as(self, "wrong-eku-signer"));
	EXPECT_EQ(-EACCES, verify(self));
	EXPECT_TRUE(untouched(self));
}

/* A CA certificate with signing usage: only the CA:TRUE check refuses it. */
TEST_F(cms, ca_certificate_as_signer)
{
	ASSERT_EQ(0, sign_as(self, "ca-signer"));
	EXPECT_EQ(-EACCES, verify(self));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, rsa2048_signer_refused_by_verifier)
{
	const char *names[] = { "rsa2048-signer" };

	self->der_len = sign_raw(names, 1, EVP_sha256(), 0, self->payload, self->payload_len,
				 &self->der);
	ASSERT_LT((size_t)0, self->der_len);
	EXPECT_EQ(-ENOPKG, verify(self));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, rsa2048_signer_refused_by_signer)
{
	EXPECT_EQ(-ENOPKG, sign_as(self, "rsa2048-signer"));
	EXPECT_EQ(NULL, self->der);
}

TEST_F(cms, sha1_digest)
{
	const char *names[] = { "signer" };

	self->der_len = sign_raw(names, 1, EVP_sha1(), 0, self->payload, self->payload_len,
				 &self->der);
	ASSERT_LT((size_t)0, self->der_len);
	EXPECT_EQ(-ENOPKG, verify(self));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, two_signers)
{
	/* Two keys from the trusted CA; OpenSSL will not add the same signer twice. */
	const char *names[] = { "signer", "expired-signer" };

	self->der_len = sign_raw(names, 2, EVP_sha256(), 0, self->payload, self->payload_len,
				 &self->der);
	ASSERT_LT((size_t)0, self->der_len);
	EXPECT_EQ(-ENOTUNIQ, verify(self));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, detached_content)
{
	const char *names[] = { "signer" };

	self->der_len = sign_raw(names, 1, EVP_sha256(), CMS_DETACHED, self->payload,
				 self->payload_len, &self->der);
	ASSERT_LT((size_t)0, self->der_len);
	EXPECT_EQ(-EBADMSG, verify(self));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, signer_certificate_not_included)
{
	const char *names[] = { "signer" };

	self->der_len = sign_raw(names, 1, EVP_sha256(), CMS_NOCERTS, self->payload,
				 self->payload_len, &self->der);
	ASSERT_LT((size_t)0, self->der_len);
	EXPECT_EQ(-EBADMSG, verify(self));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, flipped_byte_in_content)
{
	uint8_t *at;

	ASSERT_EQ(0, sign_as(self, "signer"));
	at = memmem(self->der, self->der_len, self->payload, self->payload_len);
	ASSERT_NE(NULL, at);
	at[self->payload_len - 1] ^= 0x01;	/* inside the last field's value */
	EXPECT_EQ(-EKEYREJECTED, verify(self));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, flipped_byte_in_signature)
{
	ASSERT_EQ(0, sign_as(self, "signer"));
	/* No unsigned attributes: the SignerInfo, and so the DER, ends with the signature. */
	self->der[self->der_len - 17] ^= 0x80;
	EXPECT_EQ(-EKEYREJECTED, verify(self));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, truncated_cms)
{
	size_t full;

	ASSERT_EQ(0, sign_as(self, "signer"));
	full = self->der_len;
	for (size_t cut = 1; cut < full; cut += cut < 64 ? 1 : 97) {
		self->der_len = full - cut;
		ASSERT_EQ(-EBADMSG, verify(self)) TH_LOG("cut %zu of %zu bytes", cut, full);
	}
	self->der_len = 0;
	EXPECT_EQ(-EBADMSG, verify(self));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, trailing_bytes)
{
	uint8_t *longer;

	ASSERT_EQ(0, sign_as(self, "signer"));
	longer = OPENSSL_realloc(self->der, self->der_len + 1);
	ASSERT_NE(NULL, longer);
	self->der = longer;
	self->der[self->der_len++] = 0;
	EXPECT_EQ(-EBADMSG, verify(self));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, not_der)
{
	static const uint8_t garbage[] = "FWGT this is not a CMS structure";

	EXPECT_EQ(-EBADMSG, cms_verify_ticket(self->trust, garbage, sizeof(garbage), self->out,
					      sizeof(self->out), &self->out_len));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, oversized_cms)
{
	uint8_t *big = calloc(1, BUNDLE_CMS_MAX + 1);

	ASSERT_NE(NULL, big);
	EXPECT_EQ(-E2BIG, cms_verify_ticket(self->trust, big, BUNDLE_CMS_MAX + 1, self->out,
					    sizeof(self->out), &self->out_len));
	free(big);
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, content_larger_than_caller_buffer)
{
	ASSERT_EQ(0, sign_as(self, "signer"));
	EXPECT_EQ(-E2BIG, cms_verify_ticket(self->trust, self->der, self->der_len, self->out,
					    self->payload_len - 1, &self->out_len));
	EXPECT_TRUE(untouched(self));
}

TEST_F(cms, unverified_extraction_for_display)
{
	ASSERT_EQ(0, sign_as(self, "other-signer"));
	ASSERT_EQ(0, cms_ticket_content_unverified(self->der, self->der_len, self->out,
						   sizeof(self->out), &self->out_len));
	ASSERT_EQ(self->payload_len, self->out_len);
	EXPECT_EQ(0, memcmp(self->payload, self->out, self->out_len));
}

/*
 * ticket_verify_cms(): the one read of a signed ticket, shared by install
 * and fetch (in a bundle), bundle inspect and the attestation releases (a
 * bare DER ticket). A signature refusal and a signed payload that is not a
 * ticket are told apart, each with its own errno.
 */
TEST_F(cms, verify_then_parse_a_signed_ticket)
{
	struct fwguard_ticket t;
	bool signature_ok = false;

	ASSERT_EQ(0, sign_as(self, "signer"));
	ASSERT_EQ(0, ticket_verify_cms(self->trust, self->der, self->der_len, "t", &t,
				       &signature_ok));
	EXPECT_TRUE(signature_ok);
	EXPECT_STREQ("bootloader", t.component);
	EXPECT_EQ(5ull, t.security_version);
	EXPECT_EQ(0, ticket_verify_cms(self->trust, self->der, self->der_len, "t", &t, NULL));
}

TEST_F(cms, verify_then_parse_refuses_an_untrusted_signer_before_parsing)
{
	struct fwguard_ticket t;
	bool signature_ok = true;

	ASSERT_EQ(0, sign_as(self, "other-signer"));
	EXPECT_EQ(-ENOKEY, ticket_verify_cms(self->trust, self->der, self->der_len, "t", &t,
					     &signature_ok));
	EXPECT_FALSE(signature_ok);
}

TEST_F(cms, verify_then_parse_refuses_a_signed_payload_that_is_no_ticket)
{
	struct fwguard_ticket t;
	bool signature_ok = false;

	memset(self->payload, 0x42, 64);
	self->payload_len = 64;
	ASSERT_EQ(0, sign_as(self, "signer"));
	EXPECT_EQ(-EBADMSG, ticket_verify_cms(self->trust, self->der, self->der_len,
					      "release x", &t, &signature_ok));
	EXPECT_TRUE(signature_ok);
	EXPECT_EQ(0, strncmp(fwg_log_first(), "release x: ticket payload refused: ", 35))
		TH_LOG("logged: %s", fwg_log_first());
}

/* @self's DER ticket written to @file, loaded as the releases; stderr to @err_path. */
static int load_release(FIXTURE_DATA(cms) *self, const char *file, const char *err_path,
			struct attest_releases *r)
{
	int fd, saved, err;

	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, self->der, self->der_len) != (ssize_t)self->der_len)
		return -EIO;
	close(fd);
	fflush(stderr);
	saved = dup(2);
	fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	err = attest_releases_load(file, self->trust, r);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	return err;
}

static bool file_has(const char *path, const char *text)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return strstr(buf, text) != NULL;
}

/* `updatectl attest verify --releases` given bare DER tickets, not bundles. */
TEST_F(cms, release_as_bare_der_ticket)
{
	char dir[] = "/tmp/fwguard-release.XXXXXX", file[64], err_path[64];
	struct attest_releases r = { 0 };

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/fw.der", dir);
	snprintf(err_path, sizeof(err_path), "%s/stderr", dir);

	ASSERT_EQ(0, sign_as(self, "signer"));
	ASSERT_EQ(0, load_release(self, file, err_path, &r));
	ASSERT_EQ((size_t)1, r.n);
	EXPECT_STREQ("bootloader", r.v[0].ticket.component);
	attest_releases_free(&r);

	OPENSSL_free(self->der);
	self->der = NULL;
	ASSERT_EQ(0, sign_as(self, "other-signer"));
	EXPECT_EQ(-ENOKEY, load_release(self, file, err_path, &r));
	EXPECT_TRUE(file_has(err_path, "release /tmp/fwguard-release."));
	EXPECT_TRUE(file_has(err_path, "/fw.der: not a vendor-signed ticket"));
	EXPECT_FALSE(file_has(err_path, "payload refused"));

	OPENSSL_free(self->der);
	self->der = NULL;
	memset(self->payload, 0x42, 64);
	self->payload_len = 64;
	ASSERT_EQ(0, sign_as(self, "signer"));
	EXPECT_EQ(-EBADMSG, load_release(self, file, err_path, &r));
	EXPECT_TRUE(file_has(err_path, "/fw.der: ticket payload refused: "));
	EXPECT_FALSE(file_has(err_path, "not a vendor-signed ticket"));
	EXPECT_EQ((size_t)0, r.n);

	unlink(file);
	unlink(err_path);
	rmdir(dir);
}

TEST(signer_key_must_match_certificate)
{
	struct cms_signer *s = NULL;

	EXPECT_EQ(-EINVAL, cms_signer_load(pki_file("other-signer.key"), pki_file("signer.crt"),
					   &s));
	EXPECT_EQ(NULL, s);
	EXPECT_EQ(-ENOENT, cms_signer_load(pki_file("nope.key"), pki_file("signer.crt"), &s));
	EXPECT_EQ(-EINVAL, cms_signer_load(pki_file("signer.crt"), pki_file("signer.crt"), &s));
}

TEST_HARNESS_MAIN
