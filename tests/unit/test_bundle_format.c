// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests for the bundle header (userspace/bundle_format.c). Each
 * malformed header is the valid one with one named edit (a field value, a
 * raw byte, a length), with or without the CRC recomputed, so a case tests
 * exactly one check; every case names the BUNDLE_E* code it must produce and
 * checks that the output was left alone. The CRC here is an independent
 * implementation, so the tests also pin the CRC variant the format names.
 */
#include <stdint.h>
#include <string.h>

#include "kselftest_harness.h"
#include "userspace/lib/bundle_format.h"

#define SAMPLE_CMS	1961u
#define SAMPLE_IMAGE	3000000u

static uint32_t ref_crc32(const uint8_t *p, size_t n)
{
	uint32_t crc = ~0u;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return ~crc;
}

static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void fix_crc(uint8_t *h)
{
	put_le(h + 44, ref_crc32(h, 44), 4);
}

/* The valid header, written by hand from FORMAT.md rather than by the encoder. */
static void sample_header(uint8_t h[BUNDLE_HEADER_LEN])
{
	memset(h, 0, BUNDLE_HEADER_LEN);
	memcpy(h, "FWGB", 4);
	put_le(h + 4, 1, 2);
	put_le(h + 6, 48, 2);
	put_le(h + 8, SAMPLE_CMS, 4);
	put_le(h + 16, SAMPLE_IMAGE, 8);
	fix_crc(h);
}

TEST(encoder_matches_spec)
{
	uint8_t spec[BUNDLE_HEADER_LEN], enc[BUNDLE_HEADER_LEN];

	sample_header(spec);
	ASSERT_EQ(0, bundle_header_encode(SAMPLE_CMS, SAMPLE_IMAGE, enc));
	ASSERT_EQ(0, memcmp(spec, enc, sizeof(spec)));
}

TEST(valid_header_decodes)
{
	uint8_t h[BUNDLE_HEADER_LEN + 16];
	struct bundle_header out;

	memset(h, 0xee, sizeof(h));	/* what follows the header is not the parser's */
	sample_header(h);
	ASSERT_EQ(0, bundle_header_parse(h, sizeof(h), &out));
	EXPECT_EQ(1, out.version);
	EXPECT_EQ(48, out.header_len);
	EXPECT_EQ(SAMPLE_CMS, out.cms_len);
	EXPECT_EQ(SAMPLE_IMAGE, out.image_len);
	EXPECT_EQ(48 + SAMPLE_CMS, bundle_image_offset(&out));
}

TEST(boundaries_accepted)
{
	uint8_t h[BUNDLE_HEADER_LEN];
	struct bundle_header out;

	ASSERT_EQ(0, bundle_header_encode(BUNDLE_CMS_MAX, BUNDLE_IMAGE_MAX, h));
	ASSERT_EQ(0, bundle_header_parse(h, sizeof(h), &out));
	EXPECT_EQ(BUNDLE_CMS_MAX, out.cms_len);
	EXPECT_EQ(BUNDLE_IMAGE_MAX, out.image_len);
	ASSERT_EQ(0, bundle_header_encode(1, 1, h));
	ASSERT_EQ(0, bundle_header_parse(h, sizeof(h), &out));
}

TEST(null_arguments)
{
	uint8_t h[BUNDLE_HEADER_LEN];
	struct bundle_header out;

	sample_header(h);
	EXPECT_EQ(-BUNDLE_EINVAL, bundle_header_parse(NULL, sizeof(h), &out));
	EXPECT_EQ(-BUNDLE_EINVAL, bundle_header_parse(h, sizeof(h), NULL));
	EXPECT_EQ(-BUNDLE_EINVAL, bundle_header_encode(1, 1, NULL));
}

/* One malformation: set @width bytes at @off to @value, then maybe fix the CRC. */
FIXTURE(malformed) {
	uint8_t h[BUNDLE_HEADER_LEN];
};

FIXTURE_VARIANT(malformed) {
	size_t len;		/* bytes handed to the parser */
	size_t off;
	unsigned int width;	/* 0: no edit */
	uint64_t value;
	bool recrc;
	int expect;
};

#define BAD(name, l, o, w, v, c, e) \
	FIXTURE_VARIANT_ADD(malformed, name) { \
		.len = l, .off = o, .width = w, .value = v, .recrc = c, .expect = -(e) }

BAD(empty,              0, 0, 0, 0, false, BUNDLE_ETRUNCATED);
BAD(one_byte,           1, 0, 0, 0, false, BUNDLE_ETRUNCATED);
BAD(one_short,         47, 0, 0, 0, false, BUNDLE_ETRUNCATED);
BAD(magic_reversed,    48, 0, 4, 0x46574742, true, BUNDLE_EMAGIC);	/* "BGWF" */
BAD(magic_ticket,      48, 0, 4, 0x54475746, true, BUNDLE_EMAGIC);	/* "FWGT": a bare ticket */
BAD(magic_zero,        48, 0, 4, 0, true, BUNDLE_EMAGIC);
BAD(version_0,         48, 4, 2, 0, true, BUNDLE_EVERSION);
BAD(version_2,         48, 4, 2, 2, true, BUNDLE_EVERSION);
BAD(version_ffff,      48, 4, 2, 0xffff, true, BUNDLE_EVERSION);
BAD(hdr_len_0,         48, 6, 2, 0, true, BUNDLE_EHDRLEN);
BAD(hdr_len_47,        48, 6, 2, 47, true, BUNDLE_EHDRLEN);
BAD(hdr_len_64,        48, 6, 2, 64, true, BUNDLE_EHDRLEN);
BAD(crc_flipped,       48, 44, 1, 0x5a, false, BUNDLE_ECRC);
BAD(crc_zero,          48, 44, 4, 0, false, BUNDLE_ECRC);
BAD(cms_len_no_recrc,  48, 8, 4, SAMPLE_CMS + 1, false, BUNDLE_ECRC);
BAD(image_len_no_recrc, 48, 16, 8, SAMPLE_IMAGE - 1, false, BUNDLE_ECRC);
BAD(reserved_no_recrc, 48, 30, 1, 1, false, BUNDLE_ECRC);
BAD(reserved0_low,     48, 12, 1, 1, true, BUNDLE_ERESERVED);
BAD(reserved0_high,    48, 15, 1, 0x80, true, BUNDLE_ERESERVED);
BAD(reserved1_first,   48, 24, 1, 1, true, BUNDLE_ERESERVED);
BAD(reserved1_last,    48, 43, 1, 0xff, true, BUNDLE_ERESERVED);
BAD(cms_empty,         48, 8, 4, 0, true, BUNDLE_ECMS_EMPTY);
BAD(cms_one_over,      48, 8, 4, BUNDLE_CMS_MAX + 1, true, BUNDLE_ECMS_TOOBIG);
BAD(cms_max_u32,       48, 8, 4, UINT32_MAX, true, BUNDLE_ECMS_TOOBIG);
BAD(image_empty,       48, 16, 8, 0, true, BUNDLE_EIMAGE_EMPTY);
BAD(image_one_over,    48, 16, 8, BUNDLE_IMAGE_MAX + 1, true, BUNDLE_EIMAGE_TOOBIG);
BAD(image_max_u64,     48, 16, 8, UINT64_MAX, true, BUNDLE_EIMAGE_TOOBIG);

FIXTURE_SETUP(malformed)
{
	sample_header(self->h);
	if (variant->width)
		put_le(self->h + variant->off, variant->value, variant->width);
	if (variant->recrc)
		fix_crc(self->h);
}

FIXTURE_TEARDOWN(malformed)
{
}

TEST_F(malformed, refused_with_exact_error)
{
	struct bundle_header out, untouched;

	memset(&out, 0xa5, sizeof(out));
	untouched = out;
	ASSERT_EQ(variant->expect, bundle_header_parse(self->h, variant->len, &out));
	ASSERT_EQ(0, memcmp(&out, &untouched, sizeof(out))) TH_LOG("out written on failure");
	ASSERT_NE(NULL, bundle_strerror(variant->expect));
}

TEST(encoder_refuses_what_parser_refuses)
{
	uint8_t h[BUNDLE_HEADER_LEN];

	EXPECT_EQ(-BUNDLE_ECMS_EMPTY, bundle_header_encode(0, 1, h));
	EXPECT_EQ(-BUNDLE_ECMS_TOOBIG, bundle_header_encode(BUNDLE_CMS_MAX + 1, 1, h));
	EXPECT_EQ(-BUNDLE_EIMAGE_EMPTY, bundle_header_encode(1, 0, h));
	EXPECT_EQ(-BUNDLE_EIMAGE_TOOBIG, bundle_header_encode(1, BUNDLE_IMAGE_MAX + 1, h));
}

TEST(file_size_must_be_exact)
{
	struct bundle_header h = { 1, 48, SAMPLE_CMS, SAMPLE_IMAGE };
	uint64_t exact = 48 + SAMPLE_CMS + (uint64_t)SAMPLE_IMAGE;

	EXPECT_EQ(0, bundle_check_file_size(&h, exact));
	EXPECT_EQ(-BUNDLE_EFILE_SIZE, bundle_check_file_size(&h, exact - 1));
	EXPECT_EQ(-BUNDLE_EFILE_SIZE, bundle_check_file_size(&h, exact + 1));
	EXPECT_EQ(-BUNDLE_EFILE_SIZE, bundle_check_file_size(&h, 48));
	EXPECT_EQ(-BUNDLE_EINVAL, bundle_check_file_size(NULL, exact));
}

TEST(image_length_must_match_ticket)
{
	struct bundle_header h = { 1, 48, SAMPLE_CMS, SAMPLE_IMAGE };
	struct fwguard_ticket t = { .image_len = SAMPLE_IMAGE };

	EXPECT_EQ(0, bundle_check_ticket(&h, &t));
	t.image_len = SAMPLE_IMAGE + 1;
	EXPECT_EQ(-BUNDLE_EIMAGE_MISMATCH, bundle_check_ticket(&h, &t));
	t.image_len = SAMPLE_IMAGE - 1;
	EXPECT_EQ(-BUNDLE_EIMAGE_MISMATCH, bundle_check_ticket(&h, &t));
	EXPECT_EQ(-BUNDLE_EINVAL, bundle_check_ticket(&h, NULL));
}

TEST(every_error_has_a_message)
{
	for (int e = 0; e < BUNDLE_ERROR_COUNT; e++) {
		ASSERT_NE(NULL, bundle_strerror(-e));
		ASSERT_NE(0, strcmp("unknown bundle error", bundle_strerror(-e))) TH_LOG("%d", e);
	}
	EXPECT_EQ(0, strcmp("unknown bundle error", bundle_strerror(-BUNDLE_ERROR_COUNT)));
}

TEST_HARNESS_MAIN
