// SPDX-License-Identifier: GPL-2.0-only
/*
 * The quote file `updatectl attest` writes and `updatectl attest verify`
 * reads (layout in TPM.md "Quote file"): framing only, no TPM commands and
 * no trust. The parts inside are checked by the verifier, which believes
 * nothing here before the AK's signature over the TPMS_ATTEST verified;
 * the trailing SHA-256 only catches torn or truncated copies early.
 */
#include <stdlib.h>
#include <string.h>

#include "tpm/tpm-internal.h"

#define QUOTE_MAGIC		"FWGQUOT1"
#define QUOTE_MAGIC_LEN		8
#define QUOTE_FORMAT		1
#define QUOTE_HEADER_LEN	16
#define QUOTE_BANK_SHA256	0x000b

struct cursor {
	const uint8_t *p;
	size_t left;
};

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	put_u16(p, (uint16_t)(v >> 16));
	put_u16(p + 2, (uint16_t)v);
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)get_u16(p) << 16 | get_u16(p + 2);
}

static uint8_t *put_part(uint8_t *p, const uint8_t *part, uint16_t len)
{
	put_u16(p, len);
	memcpy(p + 2, part, len);
	return p + 2 + len;
}

int fwg_quote_encode(const struct fwg_quote *q, uint8_t **buf, size_t *len)
{
	size_t total;
	uint8_t *out, *p;
	int err;

	if (q->pcr > 23 || q->eventlog_len > FWG_EVENTLOG_MAX)
		return -EINVAL;
	total = QUOTE_HEADER_LEN + 6u + q->ak_public_len + q->attest_len +
		q->signature_len + 4u + q->eventlog_len + FWG_DIGEST_SIZE;
	out = calloc(1, total);
	if (!out)
		return -ENOMEM;
	memcpy(out, QUOTE_MAGIC, QUOTE_MAGIC_LEN);
	put_u16(out + 8, QUOTE_FORMAT);
	put_u16(out + 10, (uint16_t)q->pcr);
	put_u16(out + 12, QUOTE_BANK_SHA256);
	p = put_part(out + QUOTE_HEADER_LEN, q->ak_public, q->ak_public_len);
	p = put_part(p, q->attest, q->attest_len);
	p = put_part(p, q->signature, q->signature_len);
	put_u32(p, (uint32_t)q->eventlog_len);
	if (q->eventlog_len)
		memcpy(p + 4, q->eventlog, q->eventlog_len);
	p += 4 + q->eventlog_len;
	err = fwg_sha256(out, (size_t)(p - out), NULL, 0, p);
	if (err) {
		free(out);
		return err;
	}
	*buf = out;
	*len = total;
	return 0;
}

static int take_part(struct cursor *c, uint8_t *part, uint16_t *len)
{
	uint16_t n;

	if (c->left < 2)
		return -EBADMSG;
	n = get_u16(c->p);
	if (n == 0 || n > FWG_QUOTE_PART_MAX || c->left - 2 < n)
		return -EBADMSG;
	memcpy(part, c->p + 2, n);
	*len = n;
	c->p += 2 + n;
	c->left -= 2 + (size_t)n;
	return 0;
}

static int take_eventlog(struct cursor *c, struct fwg_quote *q)
{
	uint32_t n;

	if (c->left < 4)
		return -EBADMSG;
	n = get_u32(c->p);
	if (n > FWG_EVENTLOG_MAX || c->left - 4 < n)
		return -EBADMSG;
	if (n) {
		q->eventlog = malloc(n);
		if (!q->eventlog)
			return -ENOMEM;
		memcpy(q->eventlog, c->p + 4, n);
	}
	q->eventlog_len = n;
	c->p += 4 + (size_t)n;
	c->left -= 4 + (size_t)n;
	return 0;
}

static int check_header(const uint8_t *buf, size_t len, unsigned int *pcr)
{
	uint8_t sum[FWG_DIGEST_SIZE];
	int err;

	if (len < QUOTE_HEADER_LEN + FWG_DIGEST_SIZE ||
	    memcmp(buf, QUOTE_MAGIC, QUOTE_MAGIC_LEN) ||
	    get_u16(buf + 8) != QUOTE_FORMAT || get_u16(buf + 10) > 23 ||
	    get_u16(buf + 12) != QUOTE_BANK_SHA256 || get_u16(buf + 14) != 0)
		return -EBADMSG;
	err = fwg_sha256(buf, len - FWG_DIGEST_SIZE, NULL, 0, sum);
	if (err)
		return err;
	if (memcmp(sum, buf + len - FWG_DIGEST_SIZE, FWG_DIGEST_SIZE))
		return -EBADMSG;
	*pcr = get_u16(buf + 10);
	return 0;
}

int fwg_quote_decode(const uint8_t *buf, size_t len, struct fwg_quote *ret)
{
	struct fwg_quote *q;
	struct cursor c;
	int err;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	err = check_header(buf, len, &q->pcr);
	if (!err) {
		c.p = buf + QUOTE_HEADER_LEN;
		c.left = len - QUOTE_HEADER_LEN - FWG_DIGEST_SIZE;
		err = take_part(&c, q->ak_public, &q->ak_public_len);
	}
	if (!err)
		err = take_part(&c, q->attest, &q->attest_len);
	if (!err)
		err = take_part(&c, q->signature, &q->signature_len);
	if (!err)
		err = take_eventlog(&c, q);
	if (!err && c.left)
		err = -EBADMSG;		/* bytes nobody accounts for */
	if (!err)
		*ret = *q;
	else
		fwg_quote_release(q);
	free(q);
	return err;
}

void fwg_quote_release(struct fwg_quote *q)
{
	if (!q)
		return;
	free(q->eventlog);
	q->eventlog = NULL;
	q->eventlog_len = 0;
}

/* TPM name of an object: nameAlg (SHA-256) || SHA-256(TPMT_PUBLIC). */
int fwg_tpm_public_name(const uint8_t *tpm2b_public, size_t len,
			uint8_t name[FWG_TPM_NAME_SIZE])
{
	if (len < 2 || get_u16(tpm2b_public) != len - 2)
		return -EBADMSG;
	put_u16(name, QUOTE_BANK_SHA256);
	return fwg_sha256(tpm2b_public + 2, len - 2, NULL, 0, name + 2);
}
