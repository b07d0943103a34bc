// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests for the ticket payload parser and encoder (policy/ticket.c).
 * Malformed payloads are built from a valid field list by one named edit
 * each (drop a field, repeat one, change a value, patch a byte after
 * serialisation), so every case says in one place what is wrong with it and
 * which exact FWGUARD_TICKET_E* code the parser must return. Valid cases
 * check the decoded fields; round trips check that encode and parse are
 * inverse and that the encoding is canonical.
 */
#include <stdint.h>
#include <string.h>

#include "kselftest_harness.h"
#include "policy/ticket.h"

#define MAX_FIELDS	16
#define MAX_VALUE	80

struct field {
	uint16_t tag;
	uint16_t len;
	uint8_t val[MAX_VALUE];
};

/* A payload under construction: a field list, then its serialised bytes. */
struct builder {
	struct field fields[MAX_FIELDS];
	size_t nfields;
	uint8_t bytes[FWGUARD_TICKET_MAX_LEN + 64];
	size_t len;
};

static const uint8_t sample_id[FWGUARD_TICKET_ID_LEN] = {
	0x3c, 0x11, 0x9a, 0x5e, 0x07, 0xd2, 0x48, 0x6b,
	0xa1, 0xf0, 0x2d, 0x94, 0x77, 0x0e, 0xc3, 0x58,
};

static void sample_sha(uint8_t sha[FWGUARD_SHA256_LEN])
{
	for (int i = 0; i < FWGUARD_SHA256_LEN; i++)
		sha[i] = (uint8_t)(0xa0 + i);
}

static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static struct field *find(struct builder *b, uint16_t tag)
{
	for (size_t i = 0; i < b->nfields; i++)
		if (b->fields[i].tag == tag)
			return &b->fields[i];
	return NULL;
}

static void append_raw(struct builder *b, uint16_t tag, const void *val, size_t len)
{
	struct field *f = &b->fields[b->nfields++];

	f->tag = tag;
	f->len = (uint16_t)len;
	memcpy(f->val, val, len);
}

static void append_str(struct builder *b, uint16_t tag, const char *s)
{
	append_raw(b, tag, s, strlen(s));
}

static void append_int(struct builder *b, uint16_t tag, uint64_t v, unsigned int n)
{
	uint8_t buf[8];

	put_le(buf, v, n);
	append_raw(b, tag, buf, n);
}

/* Replace the value of an existing field (raw bytes, so NULs can be embedded). */
static void set_raw(struct builder *b, uint16_t tag, const void *val, size_t len)
{
	struct field *f = find(b, tag);

	f->len = (uint16_t)len;
	memcpy(f->val, val, len);
}

static void set_str(struct builder *b, uint16_t tag, const char *s)
{
	set_raw(b, tag, s, strlen(s));
}

static void set_int(struct builder *b, uint16_t tag, uint64_t v, unsigned int n)
{
	uint8_t buf[8];

	put_le(buf, v, n);
	set_raw(b, tag, buf, n);
}

static void drop(struct builder *b, uint16_t tag)
{
	struct field *f = find(b, tag);
	size_t i = (size_t)(f - b->fields);

	memmove(f, f + 1, (b->nfields - i - 1) * sizeof(*f));
	b->nfields--;
}

static void swap(struct builder *b, uint16_t tag1, uint16_t tag2)
{
	struct field *f1 = find(b, tag1), *f2 = find(b, tag2), t = *f1;

	*f1 = *f2;
	*f2 = t;
}

/* Every field, each valid: the starting point of every malformed case. */
static void valid_full(struct builder *b)
{
	uint8_t sha[FWGUARD_SHA256_LEN];

	sample_sha(sha);
	b->nfields = 0;
	append_raw(b, FWGUARD_TICKET_TAG_ID, sample_id, sizeof(sample_id));
	append_str(b, FWGUARD_TICKET_TAG_DEVICE_CLASS, "acme-infusion-pump.v2");
	append_str(b, FWGUARD_TICKET_TAG_SERIAL, "SN:0042+A");
	append_str(b, FWGUARD_TICKET_TAG_COMPONENT, "bootloader");
	append_int(b, FWGUARD_TICKET_TAG_IMAGE_LEN, 0x123456789ull, 8);
	append_raw(b, FWGUARD_TICKET_TAG_IMAGE_SHA256, sha, sizeof(sha));
	append_int(b, FWGUARD_TICKET_TAG_SECURITY_VERSION, 0x0102030405060708ull, 8);
	append_int(b, FWGUARD_TICKET_TAG_NOT_BEFORE, 1700000000, 8);
	append_int(b, FWGUARD_TICKET_TAG_NOT_AFTER, 1900000000, 8);
	append_int(b, FWGUARD_TICKET_TAG_FLAGS, FWGUARD_TICKET_F_RAISE_FLOOR, 4);
}

static void serialise(struct builder *b)
{
	size_t off = FWGUARD_TICKET_HDR_LEN;

	memcpy(b->bytes, FWGUARD_TICKET_MAGIC, FWGUARD_TICKET_MAGIC_LEN);
	put_le(b->bytes + 4, FWGUARD_TICKET_VERSION, 2);
	put_le(b->bytes + 6, 0, 2);
	for (size_t i = 0; i < b->nfields; i++) {
		put_le(b->bytes + off, b->fields[i].tag, 2);
		put_le(b->bytes + off + 2, b->fields[i].len, 2);
		memcpy(b->bytes + off + 4, b->fields[i].val, b->fields[i].len);
		off += 4 + b->fields[i].len;
	}
	put_le(b->bytes + 8, off - FWGUARD_TICKET_HDR_LEN, 4);
	b->len = off;
}

/* Grow the payload by @n bytes and keep the header's body length in step. */
static void append_body_bytes(struct builder *b, const void *p, size_t n)
{
	memcpy(b->bytes + b->len, p, n);
	b->len += n;
	put_le(b->bytes + 8, b->len - FWGUARD_TICKET_HDR_LEN, 4);
}

/* Offset of the field header of @tag in the serialised bytes. */
static size_t field_offset(struct builder *b, uint16_t tag)
{
	size_t off = FWGUARD_TICKET_HDR_LEN;

	for (size_t i = 0; i < b->nfields && b->fields[i].tag != tag; i++)
		off += 4 + b->fields[i].len;
	return off;
}

static void repeat_str(char *dst, char c, size_t n)
{
	memset(dst, c, n);
	dst[n] = 0;
}

/* ---- edits on the field list (applied before serialisation) ---- */
#define T(x) FWGUARD_TICKET_TAG_##x

static void no_edit(struct builder *b) { }
static void drop_id(struct builder *b) { drop(b, T(ID)); }
static void drop_class(struct builder *b) { drop(b, T(DEVICE_CLASS)); }
static void drop_component(struct builder *b) { drop(b, T(COMPONENT)); }
static void drop_image_len(struct builder *b) { drop(b, T(IMAGE_LEN)); }
static void drop_sha(struct builder *b) { drop(b, T(IMAGE_SHA256)); }
static void drop_version(struct builder *b) { drop(b, T(SECURITY_VERSION)); }
static void drop_flags(struct builder *b) { drop(b, T(FLAGS)); }
static void drop_all(struct builder *b) { b->nfields = 0; }
static void unknown_tag_11(struct builder *b) { append_int(b, 11, 0, 4); }
static void unknown_tag_0(struct builder *b) { append_int(b, 0, 0, 4); }
static void unknown_tag_ffff(struct builder *b) { append_int(b, 0xffff, 0, 4); }
static void swap_class_component(struct builder *b)
{
	swap(b, T(DEVICE_CLASS), T(COMPONENT));
}

static void swap_after_before(struct builder *b) { swap(b, T(NOT_BEFORE), T(NOT_AFTER)); }

static void dup_class_adjacent(struct builder *b)
{
	struct field f = *find(b, T(DEVICE_CLASS));

	memmove(&b->fields[2], &b->fields[1], (b->nfields - 1) * sizeof(f));
	b->fields[1] = f;
	b->nfields++;
}

static void dup_id_at_end(struct builder *b)
{
	append_raw(b, T(ID), sample_id, sizeof(sample_id));
}

static void dup_flags_identical(struct builder *b)
{
	append_int(b, T(FLAGS), FWGUARD_TICKET_F_RAISE_FLOOR, 4);
}

static void id_15_bytes(struct builder *b) { set_raw(b, T(ID), sample_id, 15); }
static void id_17_bytes(struct builder *b)
{
	uint8_t id[17] = { 1 };

	set_raw(b, T(ID), id, sizeof(id));
}

static void sha_31_bytes(struct builder *b)
{
	uint8_t sha[FWGUARD_SHA256_LEN];

	sample_sha(sha);
	set_raw(b, T(IMAGE_SHA256), sha, 31);
}

static void image_len_4_bytes(struct builder *b) { set_int(b, T(IMAGE_LEN), 4096, 4); }
static void version_0_bytes(struct builder *b) { set_raw(b, T(SECURITY_VERSION), "", 0); }
static void not_before_7_bytes(struct builder *b) { set_int(b, T(NOT_BEFORE), 1, 7); }
static void flags_8_bytes(struct builder *b) { set_int(b, T(FLAGS), 1, 8); }
static void class_empty(struct builder *b) { set_str(b, T(DEVICE_CLASS), ""); }
static void serial_empty(struct builder *b) { set_str(b, T(SERIAL), ""); }
static void component_empty(struct builder *b) { set_str(b, T(COMPONENT), ""); }

static void class_64(struct builder *b)
{
	char s[65];

	repeat_str(s, 'c', 64);
	set_str(b, T(DEVICE_CLASS), s);
}

static void serial_64(struct builder *b)
{
	char s[65];

	repeat_str(s, '7', 64);
	set_str(b, T(SERIAL), s);
}

static void component_32(struct builder *b)
{
	char s[33];

	repeat_str(s, 'k', 32);
	set_str(b, T(COMPONENT), s);
}

static void class_inner_nul(struct builder *b) { set_raw(b, T(DEVICE_CLASS), "ab\0cd", 5); }
static void component_final_nul(struct builder *b) { set_raw(b, T(COMPONENT), "boot\0", 5); }
static void serial_leading_nul(struct builder *b) { set_raw(b, T(SERIAL), "\0SN1", 4); }
static void class_space(struct builder *b) { set_str(b, T(DEVICE_CLASS), "acme pump"); }
static void class_slash(struct builder *b) { set_str(b, T(DEVICE_CLASS), "acme/pump"); }
static void class_colon(struct builder *b) { set_str(b, T(DEVICE_CLASS), "acme:pump"); }
static void class_high_bit(struct builder *b) { set_str(b, T(DEVICE_CLASS), "acme\x80pump"); }
static void component_leading_dot(struct builder *b) { set_str(b, T(COMPONENT), ".boot"); }
static void component_leading_dash(struct builder *b) { set_str(b, T(COMPONENT), "-boot"); }
static void component_dotdot(struct builder *b) { set_str(b, T(COMPONENT), ".."); }
static void serial_newline(struct builder *b) { set_str(b, T(SERIAL), "SN1\nSN2"); }
static void serial_quote(struct builder *b) { set_str(b, T(SERIAL), "SN\"1"); }
static void flags_bit2(struct builder *b) { set_int(b, T(FLAGS), 0x4, 4); }
static void flags_bit31(struct builder *b) { set_int(b, T(FLAGS), 0x80000000u, 4); }
static void window_inverted(struct builder *b)
{
	set_int(b, T(NOT_BEFORE), 1900000001, 8);
}

static void image_len_zero(struct builder *b) { set_int(b, T(IMAGE_LEN), 0, 8); }
static void id_zero(struct builder *b)
{
	uint8_t id[FWGUARD_TICKET_ID_LEN] = { 0 };

	set_raw(b, T(ID), id, sizeof(id));
}

static void not_before_zero(struct builder *b) { set_int(b, T(NOT_BEFORE), 0, 8); }
static void not_after_zero(struct builder *b) { set_int(b, T(NOT_AFTER), 0, 8); }

/* ---- edits on the serialised bytes ---- */
static void empty_input(struct builder *b) { b->len = 0; }
static void header_11_bytes(struct builder *b) { b->len = 11; }
static void short_bad_magic(struct builder *b) { memcpy(b->bytes, "XYZ", 3); b->len = 3; }
static void body_cut_1(struct builder *b) { b->len--; }
static void body_cut_half(struct builder *b) { b->len = FWGUARD_TICKET_HDR_LEN + 20; }
static void trailing_byte(struct builder *b) { b->bytes[b->len++] = 0; }
static void trailing_field(struct builder *b)
{
	/* A well-formed field, but outside the declared body: still trailing. */
	memcpy(b->bytes + b->len, "\x0b\x00\x00\x00", 4);
	b->len += 4;
}

static void body_len_too_big(struct builder *b)
{
	put_le(b->bytes + 8, FWGUARD_TICKET_MAX_LEN - FWGUARD_TICKET_HDR_LEN + 1, 4);
}

static void body_len_huge(struct builder *b) { put_le(b->bytes + 8, 0xffffffffu, 4); }
static void magic_first_byte(struct builder *b) { b->bytes[0] ^= 0x01; }
static void magic_lowercase(struct builder *b) { memcpy(b->bytes, "fwgt", 4); }
static void format_version_0(struct builder *b) { put_le(b->bytes + 4, 0, 2); }
static void format_version_2(struct builder *b) { put_le(b->bytes + 4, 2, 2); }
static void format_version_256(struct builder *b) { put_le(b->bytes + 4, 0x100, 2); }
static void reserved_set(struct builder *b) { put_le(b->bytes + 6, 1, 2); }
static void reserved_high(struct builder *b) { put_le(b->bytes + 6, 0x8000, 2); }

static void flags_len_past_end(struct builder *b)
{
	put_le(b->bytes + field_offset(b, T(FLAGS)) + 2, 5, 2);
}

static void class_len_ffff(struct builder *b)
{
	put_le(b->bytes + field_offset(b, T(DEVICE_CLASS)) + 2, 0xffff, 2);
}

static void half_field_header(struct builder *b)
{
	append_body_bytes(b, "\x0b\x00", 2);
}

static void three_byte_field_header(struct builder *b)
{
	append_body_bytes(b, "\x0b\x00\x04", 3);
}

FIXTURE(malformed) {
	struct builder b;
};

/*
 * @fields edits the valid field list, @bytes the serialised payload; either
 * may be NULL. @expected is the one code the parser must return.
 */
FIXTURE_VARIANT(malformed) {
	void (*fields)(struct builder *b);
	void (*bytes)(struct builder *b);
	int expected;
};

#define BAD_FIELDS(name, code) \
	FIXTURE_VARIANT_ADD(malformed, name) { \
		.fields = name, .expected = -FWGUARD_TICKET_##code, \
	}
#define BAD_BYTES(name, code) \
	FIXTURE_VARIANT_ADD(malformed, name) { \
		.bytes = name, .expected = -FWGUARD_TICKET_##code, \
	}

/* Framing and header. */
BAD_BYTES(empty_input, ETRUNCATED);
BAD_BYTES(header_11_bytes, ETRUNCATED);
BAD_BYTES(short_bad_magic, ETRUNCATED);
BAD_BYTES(body_cut_1, ETRUNCATED);
BAD_BYTES(body_cut_half, ETRUNCATED);
BAD_BYTES(half_field_header, ETRUNCATED);
BAD_BYTES(three_byte_field_header, ETRUNCATED);
BAD_BYTES(trailing_byte, ETRAILING);
BAD_BYTES(trailing_field, ETRAILING);
BAD_BYTES(body_len_too_big, ETOOBIG);
BAD_BYTES(body_len_huge, ETOOBIG);
BAD_BYTES(magic_first_byte, EMAGIC);
BAD_BYTES(magic_lowercase, EMAGIC);
BAD_BYTES(format_version_0, EVERSION);
BAD_BYTES(format_version_2, EVERSION);
BAD_BYTES(format_version_256, EVERSION);
BAD_BYTES(reserved_set, ERESERVED);
BAD_BYTES(reserved_high, ERESERVED);
/* Field framing. */
BAD_FIELDS(unknown_tag_11, EUNKNOWN);
BAD_FIELDS(unknown_tag_0, EUNKNOWN);
BAD_FIELDS(unknown_tag_ffff, EUNKNOWN);
BAD_FIELDS(dup_class_adjacent, EDUPLICATE);
BAD_FIELDS(dup_id_at_end, EDUPLICATE);
BAD_FIELDS(dup_flags_identical, EDUPLICATE);
BAD_FIELDS(swap_class_component, EORDER);
BAD_FIELDS(swap_after_before, EORDER);
BAD_BYTES(flags_len_past_end, EOVERFLOW);
BAD_BYTES(class_len_ffff, EOVERFLOW);
/* Fixed-size fields. */
BAD_FIELDS(id_15_bytes, ESIZE);
BAD_FIELDS(id_17_bytes, ESIZE);
BAD_FIELDS(sha_31_bytes, ESIZE);
BAD_FIELDS(image_len_4_bytes, ESIZE);
BAD_FIELDS(version_0_bytes, ESIZE);
BAD_FIELDS(not_before_7_bytes, ESIZE);
BAD_FIELDS(flags_8_bytes, ESIZE);
/* Strings. */
BAD_FIELDS(class_empty, ESTR_EMPTY);
BAD_FIELDS(serial_empty, ESTR_EMPTY);
BAD_FIELDS(component_empty, ESTR_EMPTY);
BAD_FIELDS(class_64, ESTR_LONG);
BAD_FIELDS(serial_64, ESTR_LONG);
BAD_FIELDS(component_32, ESTR_LONG);
BAD_FIELDS(class_inner_nul, ESTR_NUL);
BAD_FIELDS(component_final_nul, ESTR_NUL);
BAD_FIELDS(serial_leading_nul, ESTR_NUL);
BAD_FIELDS(class_space, ESTR_CHARSET);
BAD_FIELDS(class_slash, ESTR_CHARSET);
BAD_FIELDS(class_colon, ESTR_CHARSET);
BAD_FIELDS(class_high_bit, ESTR_CHARSET);
BAD_FIELDS(component_leading_dot, ESTR_CHARSET);
BAD_FIELDS(component_leading_dash, ESTR_CHARSET);
BAD_FIELDS(component_dotdot, ESTR_CHARSET);
BAD_FIELDS(serial_newline, ESTR_CHARSET);
BAD_FIELDS(serial_quote, ESTR_CHARSET);
/* Required fields and values. */
BAD_FIELDS(drop_id, EMISSING);
BAD_FIELDS(drop_class, EMISSING);
BAD_FIELDS(drop_component, EMISSING);
BAD_FIELDS(drop_image_len, EMISSING);
BAD_FIELDS(drop_sha, EMISSING);
BAD_FIELDS(drop_version, EMISSING);
BAD_FIELDS(drop_flags, EMISSING);
BAD_FIELDS(drop_all, EMISSING);
BAD_FIELDS(flags_bit2, EFLAGS);
BAD_FIELDS(flags_bit31, EFLAGS);
BAD_FIELDS(window_inverted, EWINDOW);
BAD_FIELDS(image_len_zero, EZERO_LEN);
BAD_FIELDS(id_zero, EZERO_ID);
BAD_FIELDS(not_before_zero, EZERO_TIME);
BAD_FIELDS(not_after_zero, EZERO_TIME);

FIXTURE_SETUP(malformed)
{
	valid_full(&self->b);
}

FIXTURE_TEARDOWN(malformed)
{
}

/* The exact code, and the caller's object left untouched. */
TEST_F(malformed, refused)
{
	struct fwguard_ticket out, untouched;
	int err;

	if (variant->fields)
		variant->fields(&self->b);
	serialise(&self->b);
	if (variant->bytes)
		variant->bytes(&self->b);
	memset(&out, 0xa5, sizeof(out));
	untouched = out;
	err = fwguard_ticket_parse(self->b.bytes, self->b.len, &out);
	EXPECT_EQ(variant->expected, err) {
		TH_LOG("expected \"%s\", got \"%s\"",
		       fwguard_ticket_strerror(variant->expected),
		       fwguard_ticket_strerror(err));
	}
	EXPECT_EQ(0, memcmp(&out, &untouched, sizeof(out)));
}

/* The unedited baseline must parse, or every case above proves nothing. */
TEST(baseline_parses)
{
	struct builder b;
	struct fwguard_ticket t;
	uint8_t sha[FWGUARD_SHA256_LEN];

	valid_full(&b);
	no_edit(&b);
	serialise(&b);
	ASSERT_EQ(0, fwguard_ticket_parse(b.bytes, b.len, &t));
	sample_sha(sha);
	EXPECT_EQ(0, memcmp(t.id, sample_id, sizeof(sample_id)));
	EXPECT_STREQ("acme-infusion-pump.v2", t.device_class);
	EXPECT_STREQ("SN:0042+A", t.serial);
	EXPECT_STREQ("bootloader", t.component);
	EXPECT_EQ(0x123456789ull, t.image_len);
	EXPECT_EQ(0, memcmp(t.image_sha256, sha, sizeof(sha)));
	EXPECT_EQ(0x0102030405060708ull, t.security_version);
	EXPECT_EQ(1700000000ull, t.not_before);
	EXPECT_EQ(1900000000ull, t.not_after);
	EXPECT_EQ(FWGUARD_TICKET_F_RAISE_FLOOR, t.flags);
}

TEST(minimal_ticket)
{
	struct builder b;
	struct fwguard_ticket t;

	valid_full(&b);
	drop(&b, T(SERIAL));
	drop(&b, T(NOT_BEFORE));
	drop(&b, T(NOT_AFTER));
	set_int(&b, T(FLAGS), 0, 4);
	set_int(&b, T(SECURITY_VERSION), 0, 8);
	serialise(&b);
	ASSERT_EQ(0, fwguard_ticket_parse(b.bytes, b.len, &t));
	EXPECT_STREQ("", t.serial);
	EXPECT_EQ(0u, t.not_before);
	EXPECT_EQ(0u, t.not_after);
	EXPECT_EQ(0u, t.flags);
	EXPECT_EQ(0u, t.security_version);
}

TEST(longest_strings_and_all_flags)
{
	struct builder b;
	struct fwguard_ticket t;
	char cls[FWGUARD_CLASS_MAX + 1], ser[FWGUARD_SERIAL_MAX + 1];
	char comp[FWGUARD_COMPONENT_MAX + 1];

	repeat_str(cls, 'C', FWGUARD_CLASS_MAX);
	repeat_str(ser, '9', FWGUARD_SERIAL_MAX);
	repeat_str(comp, 'k', FWGUARD_COMPONENT_MAX);
	valid_full(&b);
	set_str(&b, T(DEVICE_CLASS), cls);
	set_str(&b, T(SERIAL), ser);
	set_str(&b, T(COMPONENT), comp);
	set_int(&b, T(FLAGS), FWGUARD_TICKET_F_KNOWN, 4);
	set_int(&b, T(IMAGE_LEN), UINT64_MAX, 8);
	set_int(&b, T(NOT_AFTER), UINT64_MAX, 8);
	serialise(&b);
	/* The largest valid version-1 payload; FORMAT.md quotes this size. */
	EXPECT_EQ(293u, b.len);
	ASSERT_EQ(0, fwguard_ticket_parse(b.bytes, b.len, &t));
	EXPECT_STREQ(cls, t.device_class);
	EXPECT_STREQ(ser, t.serial);
	EXPECT_STREQ(comp, t.component);
	EXPECT_EQ(FWGUARD_TICKET_F_KNOWN, t.flags);
	EXPECT_EQ(UINT64_MAX, t.image_len);
}

TEST(equal_window_and_single_bounds)
{
	struct builder b;
	struct fwguard_ticket t;

	valid_full(&b);
	set_int(&b, T(NOT_BEFORE), 1800000000, 8);
	set_int(&b, T(NOT_AFTER), 1800000000, 8);
	serialise(&b);
	EXPECT_EQ(0, fwguard_ticket_parse(b.bytes, b.len, &t));

	valid_full(&b);
	drop(&b, T(NOT_BEFORE));
	serialise(&b);
	ASSERT_EQ(0, fwguard_ticket_parse(b.bytes, b.len, &t));
	EXPECT_EQ(0u, t.not_before);
	EXPECT_EQ(1900000000ull, t.not_after);

	valid_full(&b);
	drop(&b, T(NOT_AFTER));
	serialise(&b);
	ASSERT_EQ(0, fwguard_ticket_parse(b.bytes, b.len, &t));
	EXPECT_EQ(1700000000ull, t.not_before);
	EXPECT_EQ(0u, t.not_after);
}

TEST(null_arguments)
{
	struct builder b;
	struct fwguard_ticket t;
	size_t n = 7;

	valid_full(&b);
	serialise(&b);
	EXPECT_EQ(-FWGUARD_TICKET_EINVAL, fwguard_ticket_parse(NULL, b.len, &t));
	EXPECT_EQ(-FWGUARD_TICKET_EINVAL, fwguard_ticket_parse(b.bytes, b.len, NULL));
	ASSERT_EQ(0, fwguard_ticket_parse(b.bytes, b.len, &t));
	EXPECT_EQ(-FWGUARD_TICKET_EINVAL, fwguard_ticket_encode(NULL, b.bytes, 512, &n));
	EXPECT_EQ(-FWGUARD_TICKET_EINVAL, fwguard_ticket_encode(&t, NULL, 512, &n));
	EXPECT_EQ(-FWGUARD_TICKET_EINVAL, fwguard_ticket_encode(&t, b.bytes, 512, NULL));
	EXPECT_EQ(7u, n);
}

TEST(strerror_phrases)
{
	for (int code = 1; code < FWGUARD_TICKET_ERROR_COUNT; code++) {
		const char *s = fwguard_ticket_strerror(-code);

		EXPECT_STRNE("unknown error", s);
		EXPECT_STREQ(s, fwguard_ticket_strerror(code));
		for (int other = 1; other < code; other++)
			EXPECT_STRNE(fwguard_ticket_strerror(-other), s);
	}
	EXPECT_STREQ("unknown error", fwguard_ticket_strerror(-FWGUARD_TICKET_ERROR_COUNT));
	EXPECT_STREQ("unknown error", fwguard_ticket_strerror(-1000));
	EXPECT_STREQ("unknown error", fwguard_ticket_strerror(-2147483647 - 1));
}

static void sample_ticket(struct fwguard_ticket *t)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->id, sample_id, sizeof(t->id));
	strcpy(t->device_class, "acme-infusion-pump.v2");
	strcpy(t->serial, "SN:0042+A");
	strcpy(t->component, "bootloader");
	t->image_len = 0x123456789ull;
	sample_sha(t->image_sha256);
	t->security_version = 0x0102030405060708ull;
	t->not_before = 1700000000;
	t->not_after = 1900000000;
	t->flags = FWGUARD_TICKET_F_RAISE_FLOOR;
}

static bool same_ticket(const struct fwguard_ticket *a, const struct fwguard_ticket *b)
{
	return !memcmp(a->id, b->id, sizeof(a->id)) &&
	       !strcmp(a->device_class, b->device_class) &&
	       !strcmp(a->serial, b->serial) && !strcmp(a->component, b->component) &&
	       a->image_len == b->image_len &&
	       !memcmp(a->image_sha256, b->image_sha256, sizeof(a->image_sha256)) &&
	       a->security_version == b->security_version &&
	       a->not_before == b->not_before && a->not_after == b->not_after &&
	       a->flags == b->flags;
}

/* encode -> parse gives the ticket back; the bytes match the hand-built ones. */
TEST(round_trip_canonical)
{
	struct fwguard_ticket t, back;
	struct builder b;
	uint8_t buf[FWGUARD_TICKET_MAX_LEN];
	size_t n = 0;

	sample_ticket(&t);
	ASSERT_EQ(0, fwguard_ticket_encode(&t, buf, sizeof(buf), &n));
	ASSERT_EQ(0, fwguard_ticket_parse(buf, n, &back));
	EXPECT_TRUE(same_ticket(&t, &back));
	valid_full(&b);
	serialise(&b);
	ASSERT_EQ(b.len, n);
	EXPECT_EQ(0, memcmp(b.bytes, buf, n));
}

TEST(round_trip_minimal)
{
	struct fwguard_ticket t, back;
	uint8_t buf[FWGUARD_TICKET_MAX_LEN];
	size_t n = 0;

	sample_ticket(&t);
	t.serial[0] = 0;
	t.not_before = 0;
	t.not_after = 0;
	t.flags = 0;
	ASSERT_EQ(0, fwguard_ticket_encode(&t, buf, sizeof(buf), &n));
	/* header + id + class + component + len + sha + version + flags */
	EXPECT_EQ(12u + 20 + 25 + 14 + 12 + 36 + 12 + 8, n);
	ASSERT_EQ(0, fwguard_ticket_parse(buf, n, &back));
	EXPECT_TRUE(same_ticket(&t, &back));
}

TEST(encode_buffer_too_small)
{
	struct fwguard_ticket t;
	uint8_t buf[FWGUARD_TICKET_MAX_LEN], copy[sizeof(buf)];
	size_t need = 0, n = 1234;

	sample_ticket(&t);
	ASSERT_EQ(0, fwguard_ticket_encode(&t, buf, sizeof(buf), &need));
	memset(buf, 0x5a, sizeof(buf));
	memcpy(copy, buf, sizeof(buf));
	EXPECT_EQ(-FWGUARD_TICKET_ENOSPC, fwguard_ticket_encode(&t, buf, need - 1, &n));
	EXPECT_EQ(-FWGUARD_TICKET_ENOSPC, fwguard_ticket_encode(&t, buf, 0, &n));
	EXPECT_EQ(1234u, n);
	EXPECT_EQ(0, memcmp(buf, copy, sizeof(buf)));
	EXPECT_EQ(0, fwguard_ticket_encode(&t, buf, need, &n));
	EXPECT_EQ(need, n);
}

/* The encoder refuses what the parser would refuse, with the same code. */
TEST(encode_refuses_invalid)
{
	struct fwguard_ticket t;
	uint8_t buf[FWGUARD_TICKET_MAX_LEN];
	size_t n = 99;

#define EXPECT_ENCODE(code, edit) do { \
		sample_ticket(&t); \
		edit; \
		EXPECT_EQ(-FWGUARD_TICKET_##code, \
			  fwguard_ticket_encode(&t, buf, sizeof(buf), &n)); \
	} while (0)

	EXPECT_ENCODE(EZERO_ID, memset(t.id, 0, sizeof(t.id)));
	EXPECT_ENCODE(ESTR_EMPTY, t.device_class[0] = 0);
	EXPECT_ENCODE(ESTR_EMPTY, t.component[0] = 0);
	EXPECT_ENCODE(ESTR_LONG, memset(t.device_class, 'a', sizeof(t.device_class)));
	EXPECT_ENCODE(ESTR_LONG, memset(t.serial, 'a', sizeof(t.serial)));
	EXPECT_ENCODE(ESTR_LONG, memset(t.component, 'a', sizeof(t.component)));
	EXPECT_ENCODE(ESTR_CHARSET, strcpy(t.component, "boot loader"));
	EXPECT_ENCODE(ESTR_CHARSET, strcpy(t.device_class, "-x"));
	EXPECT_ENCODE(ESTR_CHARSET, strcpy(t.serial, "SN 1"));
	EXPECT_ENCODE(EZERO_LEN, t.image_len = 0);
	EXPECT_ENCODE(EFLAGS, t.flags = 0x10);
	EXPECT_ENCODE(EWINDOW, t.not_before = t.not_after + 1);
	EXPECT_EQ(99u, n);
#undef EXPECT_ENCODE
}

TEST_HARNESS_MAIN
