// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bundle header parser and encoder. A bundle is one file: this 48-byte
 * header, the DER CMS ticket, then the image (policy/FORMAT.md). The parser
 * reads only the bytes it is given, checks every field before publishing
 * anything, and refuses what it does not know instead of skipping it. It
 * does not look inside the CMS: the ticket's claims are trusted only after
 * cms_verify.c and the ticket parser have run, which is why the image length
 * is cross-checked against the ticket separately (bundle_check_ticket).
 */
#include <string.h>

#include <linux/fwguard.h>

#include "userspace/lib/bundle_format.h"

/* A bundle must never carry a ticket the kernel would refuse for its size alone. */
_Static_assert(BUNDLE_CMS_MAX == FWGUARD_TICKET_CMS_MAX, "bundle and uapi CMS caps differ");

#define OFF_MAGIC	0
#define OFF_VERSION	4
#define OFF_HDR_LEN	6
#define OFF_CMS_LEN	8
#define OFF_RESERVED0	12
#define OFF_IMAGE_LEN	16
#define OFF_RESERVED1	24
#define OFF_CRC		44
#define RESERVED1_LEN	(OFF_CRC - OFF_RESERVED1)

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * CRC-32 (IEEE 802.3, the one zlib and `gzip` use), bitwise: it runs over
 * 44 bytes once per bundle, so a table would buy nothing. It only catches
 * accidental corruption early with a clear message; integrity comes from the
 * signature over the ticket and the ticket's image digest.
 */
static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int bit;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static int all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Framing first: an unknown version may have a different layout entirely. */
static int check_framing(const uint8_t *p)
{
	if (memcmp(p + OFF_MAGIC, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN))
		return -BUNDLE_EMAGIC;
	if (get_le16(p + OFF_VERSION) != BUNDLE_VERSION)
		return -BUNDLE_EVERSION;
	if (get_le16(p + OFF_HDR_LEN) != BUNDLE_HEADER_LEN)
		return -BUNDLE_EHDRLEN;
	if (get_le32(p + OFF_CRC) != crc32_ieee(p, OFF_CRC))
		return -BUNDLE_ECRC;
	if (get_le32(p + OFF_RESERVED0) || !all_zero(p + OFF_RESERVED1, RESERVED1_LEN))
		return -BUNDLE_ERESERVED;
	return 0;
}

static int check_lengths(uint32_t cms_len, uint64_t image_len)
{
	if (!cms_len)
		return -BUNDLE_ECMS_EMPTY;
	if (cms_len > BUNDLE_CMS_MAX)
		return -BUNDLE_ECMS_TOOBIG;
	if (!image_len)
		return -BUNDLE_EIMAGE_EMPTY;
	if (image_len > BUNDLE_IMAGE_MAX)
		return -BUNDLE_EIMAGE_TOOBIG;
	return 0;
}

/**
 * bundle_header_parse() - validate a bundle header and decode it
 * @buf: the first bytes of the bundle; only BUNDLE_HEADER_LEN are read
 * @len: bytes available at @buf (more than the header is fine: the CMS follows)
 * @out: written only on success
 *
 * Return: 0, or a negated enum bundle_error.
 */
int bundle_header_parse(const void *buf, size_t len, struct bundle_header *out)
{
	const uint8_t *p = buf;
	uint32_t cms_len;
	uint64_t image_len;
	int err;

	if (!buf || !out)
		return -BUNDLE_EINVAL;
	if (len < BUNDLE_HEADER_LEN)
		return -BUNDLE_ETRUNCATED;
	err = check_framing(p);
	if (err)
		return err;
	cms_len = get_le32(p + OFF_CMS_LEN);
	image_len = get_le64(p + OFF_IMAGE_LEN);
	err = check_lengths(cms_len, image_len);
	if (err)
		return err;
	out->version = BUNDLE_VERSION;
	out->header_len = BUNDLE_HEADER_LEN;
	out->cms_len = cms_len;
	out->image_len = image_len;
	return 0;
}

/**
 * bundle_header_encode() - build the header for a CMS and an image
 * Return: 0, or a negated enum bundle_error when the lengths are out of range
 * (the writer refuses what the reader would refuse).
 */
int bundle_header_encode(uint32_t cms_len, uint64_t image_len,
			 uint8_t out[BUNDLE_HEADER_LEN])
{
	int err;

	if (!out)
		return -BUNDLE_EINVAL;
	err = check_lengths(cms_len, image_len);
	if (err)
		return err;
	memset(out, 0, BUNDLE_HEADER_LEN);
	memcpy(out + OFF_MAGIC, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN);
	put_le(out + OFF_VERSION, BUNDLE_VERSION, 2);
	put_le(out + OFF_HDR_LEN, BUNDLE_HEADER_LEN, 2);
	put_le(out + OFF_CMS_LEN, cms_len, 4);
	put_le(out + OFF_IMAGE_LEN, image_len, 8);
	put_le(out + OFF_CRC, crc32_ieee(out, OFF_CRC), 4);
	return 0;
}

uint64_t bundle_image_offset(const struct bundle_header *h)
{
	return (uint64_t)h->header_len + h->cms_len;
}

/*
 * A bundle has nothing after its image: trailing bytes would be unsigned
 * data riding along, a short file a broken download.
 */
int bundle_check_file_size(const struct bundle_header *h, uint64_t file_size)
{
	if (!h)
		return -BUNDLE_EINVAL;
	if (file_size != bundle_image_offset(h) + h->image_len)
		return -BUNDLE_EFILE_SIZE;
	return 0;
}

/* Call only with a ticket that came out of a verified CMS. */
int bundle_check_ticket(const struct bundle_header *h, const struct fwguard_ticket *t)
{
	if (!h || !t)
		return -BUNDLE_EINVAL;
	if (h->image_len != t->image_len)
		return -BUNDLE_EIMAGE_MISMATCH;
	return 0;
}

static const char *const bundle_errors[BUNDLE_ERROR_COUNT] = {
	[0]			= "success",
	[BUNDLE_EINVAL]		= "invalid argument",
	[BUNDLE_ETRUNCATED]	= "truncated bundle header",
	[BUNDLE_EMAGIC]		= "not a bundle (bad magic)",
	[BUNDLE_EVERSION]	= "unsupported bundle format version",
	[BUNDLE_EHDRLEN]	= "bundle header length is not 48",
	[BUNDLE_ERESERVED]	= "reserved bundle header bytes not zero",
	[BUNDLE_ECRC]		= "bundle header CRC mismatch",
	[BUNDLE_ECMS_EMPTY]	= "bundle has an empty ticket",
	[BUNDLE_ECMS_TOOBIG]	= "bundle ticket larger than 64 KiB",
	[BUNDLE_EIMAGE_EMPTY]	= "bundle has an empty image",
	[BUNDLE_EIMAGE_TOOBIG]	= "bundle image length out of range",
	[BUNDLE_EFILE_SIZE]	= "bundle file size does not match its header",
	[BUNDLE_EIMAGE_MISMATCH] = "bundle image length differs from the ticket's",
};

const char *bundle_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= BUNDLE_ERROR_COUNT)
		return "unknown bundle error";
	return bundle_errors[err];
}
