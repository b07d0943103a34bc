// SPDX-License-Identifier: GPL-2.0-only
/*
 * Verify a quote from `updatectl attest` on the vendor side (see
 * attest_verify.h). Verify, then parse, then decide: the quote file's
 * framing is read first, but nothing in the TPMS_ATTEST is believed
 * before the enrolled AK's signature over exactly those bytes verified,
 * and the event log is believed only as far as it replays to the PCR
 * digest the TPM signed. Each check is its own step, so a refusal names
 * the check that failed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <tss2/tss2_mu.h>

#include "userspace/common/fileio.h"
#include "userspace/common/hex.h"
#include "userspace/common/log.h"
#include "userspace/lib/attest_verify.h"
#include "userspace/lib/cms_verify.h"

#define QUOTE_FILE_MAX	(FWG_EVENTLOG_MAX + 4 * FWG_QUOTE_PART_MAX)

/* What an AK must be for its quotes to mean anything (TPM.md). */
#define AK_ATTRS_REQUIRED (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |	\
			   TPMA_OBJECT_SENSITIVEDATAORIGIN |			\
			   TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT)

struct enrolled_ak {
	TPM2B_PUBLIC pub;
	uint8_t name[FWG_TPM_NAME_SIZE];
	uint8_t qualified_name[FWG_TPM_NAME_SIZE];
	EVP_PKEY *pkey;
};

/*
 * The qualified name the TPM puts in qualifiedSigner: for a primary it is
 * nameAlg || H(hierarchy handle || name), so it also proves the AK is a
 * primary of the endorsement hierarchy, as fwguard derives it.
 */
static int ak_qualified_name(struct enrolled_ak *ak)
{
	uint8_t msg[4 + FWG_TPM_NAME_SIZE] = { 0x40, 0x00, 0x00, 0x0b };	/* TPM_RH_ENDORSEMENT */

	memcpy(msg + 4, ak->name, FWG_TPM_NAME_SIZE);
	memcpy(ak->qualified_name, ak->name, 2);
	if (EVP_Digest(msg, sizeof(msg), ak->qualified_name + 2, NULL, EVP_sha256(),
		       NULL) != 1)
		return -ENOMEM;
	return 0;
}

static int ak_check_template(const TPMT_PUBLIC *p)
{
	const TPMS_ECC_PARMS *ecc = &p->parameters.eccDetail;

	if (p->type != TPM2_ALG_ECC || p->nameAlg != TPM2_ALG_SHA256 ||
	    ecc->curveID != TPM2_ECC_NIST_P256 || ecc->scheme.scheme != TPM2_ALG_ECDSA ||
	    ecc->scheme.details.ecdsa.hashAlg != TPM2_ALG_SHA256 ||
	    p->unique.ecc.x.size > 32 || p->unique.ecc.y.size > 32) {
		fwg_log_error("AK is not an ECDSA P-256 / SHA-256 key");
		return -ENOPKG;
	}
	if ((p->objectAttributes & AK_ATTRS_REQUIRED) != AK_ATTRS_REQUIRED ||
	    (p->objectAttributes & TPMA_OBJECT_DECRYPT)) {
		fwg_log_error("AK is not a restricted, fixedTPM signing key: its "
			      "signature would not prove the TPM made the quote");
		return -ENOPKG;
	}
	return 0;
}

static int ak_pkey(const TPMS_ECC_POINT *pt, EVP_PKEY **out)
{
	uint8_t point[1 + 64] = { 0x04 };
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY_CTX *check = NULL;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[3];
	int err = -ENOPKG;

	memcpy(point + 1 + 32 - pt->x.size, pt->x.buffer, pt->x.size);
	memcpy(point + 1 + 64 - pt->y.size, pt->y.buffer, pt->y.size);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point,
						      sizeof(point));
	params[2] = OSSL_PARAM_construct_end();
	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1 &&
	    (check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) &&
	    EVP_PKEY_public_check(check) == 1) {
		*out = pkey;
		pkey = NULL;
		err = 0;
	} else {
		fwg_log_error("AK public point is not on P-256");
	}
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	return err;
}

static int ak_load(const struct attest_verify_request *req, struct enrolled_ak *ak,
		   struct uc_step *step)
{
	const char *path = req->ak_path ? req->ak_path : "of this TPM";
	uint8_t *buf = NULL;
	size_t len = 0, off = 0;
	int err;

	uc_step_enter(step, UC_SRC_INPUT, "read-ak");
	if (!req->ak_path) {
		buf = malloc(req->ak_public_len ? req->ak_public_len : 1);
		if (!buf)
			return -ENOMEM;
		memcpy(buf, req->ak_public, req->ak_public_len);
		len = req->ak_public_len;
	} else {
		err = fwg_read_file(path, FWG_QUOTE_PART_MAX, &buf, &len);
		if (err) {
			fwg_log_error("AK %s: %s", path, strerror(-err));
			return err;
		}
	}
	memset(&ak->pub, 0, sizeof(ak->pub));
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, &ak->pub) != TSS2_RC_SUCCESS ||
	    off != len || fwg_tpm_public_name(buf, len, ak->name)) {
		fwg_log_error("AK %s: not a TPM2B_PUBLIC (updatectl tpm ak-public)", path);
		free(buf);
		return -EBADMSG;
	}
	free(buf);
	uc_step_enter(step, UC_SRC_VERIFY, "check-ak");
	err = ak_check_template(&ak->pub.publicArea);
	if (!err)
		err = ak_qualified_name(ak);
	if (!err)
		err = ak_pkey(&ak->pub.publicArea.unique.ecc, &ak->pkey);
	return err;
}

static int quote_load(const char *path, struct fwg_quote *q, struct uc_step *step)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	uc_step_enter(step, UC_SRC_INPUT, "read-quote");
	err = fwg_read_file(path, QUOTE_FILE_MAX, &buf, &len);
	if (err) {
		fwg_log_error("quote %s: %s", path, strerror(-err));
		return err;
	}
	uc_step_enter(step, UC_SRC_VERIFY, "parse-quote");
	err = fwg_quote_decode(buf, len, q);
	free(buf);
	if (err == -EBADMSG)
		fwg_log_error("quote %s: not a well-formed fwguard quote file", path);
	return err;
}

/* The quote names the AK that made it; say so plainly if it is not ours. */
static int check_signer(const struct enrolled_ak *ak, const struct fwg_quote *q)
{
	uint8_t name[FWG_TPM_NAME_SIZE];
	char hex[2 * FWG_TPM_NAME_SIZE + 1];

	if (fwg_tpm_public_name(q->ak_public, q->ak_public_len, name)) {
		fwg_log_error("quote carries a malformed AK public area");
		return -EBADMSG;
	}
	if (memcmp(name, ak->name, sizeof(name))) {
		fwg_hex_encode(name, sizeof(name), hex);
		fwg_log_error("quote was made by another AK (another TPM?): name %s is "
			      "not the enrolled one", hex);
		return -EKEYREJECTED;
	}
	return 0;
}

static int signature_der(const TPMT_SIGNATURE *sig, unsigned char **der, int *der_len)
{
	const TPMS_SIGNATURE_ECC *ecc = &sig->signature.ecdsa;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r, *s;

	if (!es)
		return -ENOMEM;
	r = BN_bin2bn(ecc->signatureR.buffer, ecc->signatureR.size, NULL);
	s = BN_bin2bn(ecc->signatureS.buffer, ecc->signatureS.size, NULL);
	if (!r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return -ENOMEM;
	}
	*der = NULL;
	*der_len = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	return *der_len > 0 ? 0 : -ENOMEM;
}

static int signature_unmarshal(const struct fwg_quote *q, TPMT_SIGNATURE *sig)
{
	size_t off = 0;

	memset(sig, 0, sizeof(*sig));
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(q->signature, q->signature_len, &off, sig) !=
	    TSS2_RC_SUCCESS || off != q->signature_len) {
		fwg_log_error("quote signature is malformed");
		return -EBADMSG;
	}
	if (sig->sigAlg != TPM2_ALG_ECDSA || sig->signature.ecdsa.hash != TPM2_ALG_SHA256 ||
	    !sig->signature.ecdsa.signatureR.size || sig->signature.ecdsa.signatureR.size > 32 ||
	    !sig->signature.ecdsa.signatureS.size || sig->signature.ecdsa.signatureS.size > 32) {
		fwg_log_error("quote signature is not ECDSA with SHA-256");
		return -EKEYREJECTED;
	}
	return 0;
}

static int check_signature(const struct enrolled_ak *ak, const struct fwg_quote *q)
{
	EVP_MD_CTX *md = NULL;
	unsigned char *der = NULL;
	TPMT_SIGNATURE sig;
	int der_len = 0, err;

	err = signature_unmarshal(q, &sig);
	if (!err)
		err = signature_der(&sig, &der, &der_len);
	if (err)
		return err;
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, ak->pkey) != 1)
		err = -ENOMEM;
	else if (EVP_DigestVerify(md, der, (size_t)der_len, q->attest, q->attest_len) != 1)
		err = -EKEYREJECTED;
	if (err == -EKEYREJECTED)
		fwg_log_error("quote signature does not verify with the enrolled AK");
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return err;
}

/* Signed bytes only from here on. */
static int attest_parse(const struct fwg_quote *q, const struct enrolled_ak *ak,
			TPMS_ATTEST *a)
{
	size_t off = 0;

	memset(a, 0, sizeof(*a));
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(q->attest, q->attest_len, &off, a) !=
	    TSS2_RC_SUCCESS || off != q->attest_len) {
		fwg_log_error("signed TPMS_ATTEST is malformed");
		return -EBADMSG;
	}
	if (a->magic != TPM2_GENERATED_VALUE || a->type != TPM2_ST_ATTEST_QUOTE) {
		fwg_log_error("signed structure is not a TPM-generated quote "
			      "(magic 0x%08x, type 0x%04x)", a->magic, a->type);
		return -EBADMSG;
	}
	if (a->qualifiedSigner.size != FWG_TPM_NAME_SIZE ||
	    memcmp(a->qualifiedSigner.name, ak->qualified_name, FWG_TPM_NAME_SIZE)) {
		fwg_log_error("quote names another signing key than the enrolled AK "
			      "as a primary of the endorsement hierarchy");
		return -EKEYREJECTED;
	}
	return 0;
}

static int check_nonce(const struct attest_verify_request *req, const TPMS_ATTEST *a)
{
	if (a->extraData.size != req->nonce_len ||
	    CRYPTO_memcmp(a->extraData.buffer, req->nonce, req->nonce_len)) {
		fwg_log_error("quote is not for this nonce (replayed or made for "
			      "another request)");
		return -ESTALE;
	}
	return 0;
}

static int check_selection(const struct attest_verify_request *req,
			   const struct fwg_quote *q, const TPMS_ATTEST *a)
{
	const TPML_PCR_SELECTION *sel = &a->attested.quote.pcrSelect;
	const TPMS_PCR_SELECTION *s = &sel->pcrSelections[0];
	uint8_t want[3] = { 0 };

	want[req->pcr / 8] = (uint8_t)(1u << (req->pcr % 8));
	if (q->pcr != req->pcr || sel->count != 1 || s->hash != TPM2_ALG_SHA256 ||
	    s->sizeofSelect != 3 || memcmp(s->pcrSelect, want, 3) ||
	    a->attested.quote.pcrDigest.size != FWG_DIGEST_SIZE) {
		fwg_log_error("quote does not cover exactly PCR %u of the SHA-256 bank",
			      req->pcr);
		return -EPROTO;
	}
	return 0;
}

struct chain {
	struct attest_event *v;
	size_t n, cap;
};

/* Keep only this boot's chain: a record that starts a chain drops the rest. */
static int chain_add(void *ctx, const struct fwg_eventlog_event *ev)
{
	struct chain *c = ctx;
	struct attest_event *grown;

	if (ev->starts_chain)
		c->n = 0;
	if (c->n == c->cap) {
		grown = realloc(c->v, (c->cap ? 2 * c->cap : 16) * sizeof(*c->v));
		if (!grown)
			return -ENOMEM;
		c->v = grown;
		c->cap = c->cap ? 2 * c->cap : 16;
	}
	c->v[c->n++] = (struct attest_event){ .ev = *ev };
	return 0;
}

static int check_replay(const struct fwg_quote *q, const TPMS_ATTEST *a, struct chain *c)
{
	uint8_t value[FWG_DIGEST_SIZE], digest[FWG_DIGEST_SIZE];
	unsigned int events = 0;
	int err;

	err = fwg_eventlog_replay_text(q->eventlog, q->eventlog_len, q->pcr, value,
				       &events, chain_add, c);
	if (err == -EBADMSG)
		fwg_log_error("event log in the quote is malformed");
	if (err)
		return err;
	if (EVP_Digest(value, sizeof(value), digest, NULL, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	if (CRYPTO_memcmp(digest, a->attested.quote.pcrDigest.buffer, sizeof(digest))) {
		fwg_log_error("event log does not replay to the quoted PCR %u (entries "
			      "changed, added, removed or reordered)", q->pcr);
		return -EKEYREJECTED;
	}
	if (!c->n) {
		fwg_log_error("nothing was measured into PCR %u this boot", q->pcr);
		return -EPERM;
	}
	return 0;
}

static const struct attest_release *release_match(const struct attest_releases *r,
						  const struct fwg_tpm_subject *s,
						  const struct attest_release **same_digest)
{
	size_t i;

	*same_digest = NULL;
	for (i = 0; i < r->n; i++) {
		const struct fwguard_ticket *t = &r->v[i].ticket;

		if (memcmp(t->image_sha256, s->digest, FWG_DIGEST_SIZE))
			continue;
		*same_digest = &r->v[i];
		if (!strcmp(t->component, s->component) && t->security_version == s->version)
			return &r->v[i];
	}
	return NULL;
}

static int check_releases(const struct attest_releases *r, struct chain *c)
{
	const struct attest_release *same;
	char hex[FWG_DIGEST_HEX_LEN + 1];
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct fwg_tpm_subject *s = &c->v[i].ev.subject;

		c->v[i].release = release_match(r, s, &same);
		if (c->v[i].release)
			continue;
		fwg_hex_encode(s->digest, FWG_DIGEST_SIZE, hex);
		if (same)
			fwg_log_error("event log line %u: %s is release %s (%s version %llu), "
				      "not %s version %llu as logged", c->v[i].ev.line, hex,
				      same->file, same->ticket.component,
				      (unsigned long long)same->ticket.security_version,
				      s->component, (unsigned long long)s->version);
		else
			fwg_log_error("event log line %u: %s (%s version %llu) is not a "
				      "vendor-signed release", c->v[i].ev.line, hex,
				      s->component, (unsigned long long)s->version);
		return -EPERM;
	}
	return 0;
}

static int load_releases(const struct attest_verify_request *req,
			 struct attest_releases *r, struct uc_step *step)
{
	struct cms_trust *trust = NULL;
	int err;

	uc_step_enter(step, UC_SRC_VERIFY, "load-trust");
	err = cms_trust_load(req->trust_path, &trust);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_VERIFY, "load-releases");
	err = attest_releases_load(req->releases_path, trust, r);
	cms_trust_free(trust);
	return err;
}

static void report_fill(struct attest_report *out, const struct enrolled_ak *ak,
			const TPMS_ATTEST *a, unsigned int pcr)
{
	out->pcr = pcr;
	memcpy(out->ak_name, ak->name, sizeof(out->ak_name));
	memcpy(out->pcr_digest, a->attested.quote.pcrDigest.buffer, FWG_DIGEST_SIZE);
	out->clock = a->clockInfo.clock;
	out->reset_count = a->clockInfo.resetCount;
	out->restart_count = a->clockInfo.restartCount;
	out->firmware_version = a->firmwareVersion;
}

/* The quote itself: who signed it, that the TPM made it, for what. */
static int verify_quote(const struct attest_verify_request *req,
			const struct enrolled_ak *ak, const struct fwg_quote *q,
			TPMS_ATTEST *a, struct uc_step *step)
{
	int err;

	uc_step_enter(step, UC_SRC_VERIFY, "check-signer");
	err = check_signer(ak, q);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_VERIFY, "check-signature");
	err = check_signature(ak, q);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_VERIFY, "parse-attest");
	err = attest_parse(q, ak, a);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_VERIFY, "check-nonce");
	err = check_nonce(req, a);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_VERIFY, "check-pcr-selection");
	return check_selection(req, q, a);
}

int attest_verify(const struct attest_verify_request *req, struct attest_report *out,
		  struct uc_step *step)
{
	struct attest_report r = { 0 };
	struct enrolled_ak ak = { 0 };
	struct fwg_quote q = { 0 };
	struct chain c = { 0 };
	TPMS_ATTEST a;
	int err;

	err = ak_load(req, &ak, step);
	if (!err && req->releases_path)
		err = load_releases(req, &r.releases, step);
	if (!err)
		err = quote_load(req->quote_path, &q, step);
	if (!err)
		err = verify_quote(req, &ak, &q, &a, step);
	if (!err) {
		uc_step_enter(step, UC_SRC_VERIFY, "replay-eventlog");
		err = check_replay(&q, &a, &c);
	}
	if (!err && req->releases_path) {
		uc_step_enter(step, UC_SRC_VERIFY, "check-releases");
		err = check_releases(&r.releases, &c);
	}
	fwg_quote_release(&q);
	EVP_PKEY_free(ak.pkey);
	if (err) {
		free(c.v);
		attest_releases_free(&r.releases);
		return err;
	}
	report_fill(&r, &ak, &a, req->pcr);
	r.events = c.v;
	r.n_events = c.n;
	*out = r;
	return 0;
}

void attest_report_free(struct attest_report *r)
{
	if (!r)
		return;
	free(r->events);
	r->events = NULL;
	attest_releases_free(&r->releases);
}
