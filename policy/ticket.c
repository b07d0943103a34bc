// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fwguard ticket payload parser (and, in userspace only, its encoder).
 * This one file is compiled into fwguard.ko and into updatectl, so the bytes
 * the kernel trusts are the bytes the fuzzer exercised. It therefore calls no
 * library function, allocates nothing, bounds every loop by a constant or by
 * the input length, checks every length against what remains before reading,
 * and writes the caller's object only after the whole payload validated. The
 * format is specified in policy/FORMAT.md; the parser checks syntax and the
 * payload's own consistency, never device state: matching the device class,
 * serial, clock and version floor is the callers' decision.
 */
#include "ticket.h"

/* Required fields; the others (serial, not_before, not_after) are optional. */
#define TAG_BIT(tag)	(1u << (tag))
#define REQUIRED_TAGS	(TAG_BIT(FWGUARD_TICKET_TAG_ID) |			\
			 TAG_BIT(FWGUARD_TICKET_TAG_DEVICE_CLASS) |		\
			 TAG_BIT(FWGUARD_TICKET_TAG_COMPONENT) |		\
			 TAG_BIT(FWGUARD_TICKET_TAG_IMAGE_LEN) |		\
			 TAG_BIT(FWGUARD_TICKET_TAG_IMAGE_SHA256) |		\
			 TAG_BIT(FWGUARD_TICKET_TAG_SECURITY_VERSION) |	\
			 TAG_BIT(FWGUARD_TICKET_TAG_FLAGS))

/* Which bytes a string field may hold; see FORMAT.md "Strings". */
enum charset {
	CHARSET_NAME,	/* device class, component: [A-Za-z0-9._-] */
	CHARSET_SERIAL,	/* serial: [A-Za-z0-9._:+-] */
};

static const char magic[FWGUARD_TICKET_MAGIC_LEN] = FWGUARD_TICKET_MAGIC;

static void zero_bytes(void *dst, size_t n)
{
	uint8_t *d = dst;
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = 0;
}

static void copy_bytes(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = s[i];
}

static bool all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
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

static bool is_alnum(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool in_charset(uint8_t c, enum charset cs)
{
	if (is_alnum(c) || c == '.' || c == '_' || c == '-')
		return true;
	return cs == CHARSET_SERIAL && (c == ':' || c == '+');
}

/*
 * Names end up in log lines, audit records, JSON and file names: refusing
 * everything outside a small charset (and a leading '.' or '-', which reads
 * as a hidden file or an option) is simpler than escaping it everywhere.
 */
static int check_string(const uint8_t *s, size_t len, size_t max, enum charset cs)
{
	size_t i;

	if (len == 0)
		return -FWGUARD_TICKET_ESTR_EMPTY;
	if (len > max)
		return -FWGUARD_TICKET_ESTR_LONG;
	for (i = 0; i < len; i++)
		if (s[i] == 0)
			return -FWGUARD_TICKET_ESTR_NUL;
	if (!is_alnum(s[0]))
		return -FWGUARD_TICKET_ESTR_CHARSET;
	for (i = 1; i < len; i++)
		if (!in_charset(s[i], cs))
			return -FWGUARD_TICKET_ESTR_CHARSET;
	return 0;
}

/* @dst has room for @max + 1 bytes and is already zeroed. */
static int parse_string(char *dst, const uint8_t *val, uint16_t len, size_t max,
			enum charset cs)
{
	int err = check_string(val, len, max, cs);

	if (err)
		return err;
	copy_bytes(dst, val, len);
	return 0;
}

static int parse_u64(uint64_t *dst, const uint8_t *val, uint16_t len)
{
	if (len != 8)
		return -FWGUARD_TICKET_ESIZE;
	*dst = get_le64(val);
	return 0;
}

/* A present optional time of 0 would read as "absent": refuse the ambiguity. */
static int parse_time(uint64_t *dst, const uint8_t *val, uint16_t len)
{
	int err = parse_u64(dst, val, len);

	if (!err && *dst == 0)
		err = -FWGUARD_TICKET_EZERO_TIME;
	return err;
}

static int parse_id(struct fwguard_ticket *t, const uint8_t *val, uint16_t len)
{
	if (len != FWGUARD_TICKET_ID_LEN)
		return -FWGUARD_TICKET_ESIZE;
	/* An all-zero id is what an encoder that forgot to fill it produces. */
	if (all_zero(val, len))
		return -FWGUARD_TICKET_EZERO_ID;
	copy_bytes(t->id, val, len);
	return 0;
}

static int parse_image_len(struct fwguard_ticket *t, const uint8_t *val, uint16_t len)
{
	int err = parse_u64(&t->image_len, val, len);

	if (!err && t->image_len == 0)
		err = -FWGUARD_TICKET_EZERO_LEN;
	return err;
}

static int parse_flags(struct fwguard_ticket *t, const uint8_t *val, uint16_t len)
{
	if (len != 4)
		return -FWGUARD_TICKET_ESIZE;
	t->flags = get_le32(val);
	/* A bit we do not know may be a restriction we would fail to apply. */
	if (t->flags & ~FWGUARD_TICKET_F_KNOWN)
		return -FWGUARD_TICKET_EFLAGS;
	return 0;
}

static int parse_field(struct fwguard_ticket *t, uint16_t tag, const uint8_t *val,
		       uint16_t len)
{
	switch (tag) {
	case FWGUARD_TICKET_TAG_ID:
		return parse_id(t, val, len);
	case FWGUARD_TICKET_TAG_DEVICE_CLASS:
		return parse_string(t->device_class, val, len, FWGUARD_CLASS_MAX,
				    CHARSET_NAME);
	case FWGUARD_TICKET_TAG_SERIAL:
		return parse_string(t->serial, val, len, FWGUARD_SERIAL_MAX,
				    CHARSET_SERIAL);
	case FWGUARD_TICKET_TAG_COMPONENT:
		return parse_string(t->component, val, len, FWGUARD_COMPONENT_MAX,
				    CHARSET_NAME);
	case FWGUARD_TICKET_TAG_IMAGE_LEN:
		return parse_image_len(t, val, len);
	case FWGUARD_TICKET_TAG_IMAGE_SHA256:
		if (len != FWGUARD_SHA256_LEN)
			return -FWGUARD_TICKET_ESIZE;
		copy_bytes(t->image_sha256, val, len);
		return 0;
	case FWGUARD_TICKET_TAG_SECURITY_VERSION:
		return parse_u64(&t->security_version, val, len);
	case FWGUARD_TICKET_TAG_NOT_BEFORE:
		return parse_time(&t->not_before, val, len);
	case FWGUARD_TICKET_TAG_NOT_AFTER:
		return parse_time(&t->not_after, val, len);
	case FWGUARD_TICKET_TAG_FLAGS:
		return parse_flags(t, val, len);
	default:
		return -FWGUARD_TICKET_EUNKNOWN;
	}
}

/*
 * Validate the fixed header and return the body length. The version is
 * checked right after the magic, before anything else is interpreted, so
 * a later format may change everything that follows it.
 */
static int parse_header(const uint8_t *p, size_t len, uint32_t *body_len)
{
	size_t i;

	if (len < FWGUARD_TICKET_HDR_LEN)
		return -FWGUARD_TICKET_ETRUNCATED;
	for (i = 0; i < FWGUARD_TICKET_MAGIC_LEN; i++)
		if (p[i] != (uint8_t)magic[i])
			return -FWGUARD_TICKET_EMAGIC;
	if (get_le16(p + 4) != FWGUARD_TICKET_VERSION)
		return -FWGUARD_TICKET_EVERSION;
	if (get_le16(p + 6) != 0)
		return -FWGUARD_TICKET_ERESERVED;
	*body_len = get_le32(p + 8);
	if (*body_len > FWGUARD_TICKET_MAX_LEN - FWGUARD_TICKET_HDR_LEN)
		return -FWGUARD_TICKET_ETOOBIG;
	if (*body_len > len - FWGUARD_TICKET_HDR_LEN)
		return -FWGUARD_TICKET_ETRUNCATED;
	if (*body_len < len - FWGUARD_TICKET_HDR_LEN)
		return -FWGUARD_TICKET_ETRAILING;
	return 0;
}

/*
 * Walk the fields. Tags must strictly ascend, which gives every ticket
 * exactly one encoding (the signed bytes and the parsed object correspond
 * one to one) and bounds the walk to FWGUARD_TICKET_TAG_MAX fields: the
 * field after the last possible one is necessarily unknown, a duplicate or
 * out of order, and is refused as such.
 */
static int parse_body(const uint8_t *p, uint32_t body_len, struct fwguard_ticket *t,
		      uint32_t *seen)
{
	uint32_t off = 0;
	uint16_t tag, len, last = 0;
	unsigned int n;
	int err;

	for (n = 0; n <= FWGUARD_TICKET_TAG_MAX && off < body_len; n++) {
		if (body_len - off < FWGUARD_TICKET_FIELD_HDR_LEN)
			return -FWGUARD_TICKET_ETRUNCATED;
		tag = get_le16(p + off);
		len = get_le16(p + off + 2);
		off += FWGUARD_TICKET_FIELD_HDR_LEN;
		if (tag == 0 || tag > FWGUARD_TICKET_TAG_MAX)
			return -FWGUARD_TICKET_EUNKNOWN;
		if (*seen & TAG_BIT(tag))
			return -FWGUARD_TICKET_EDUPLICATE;
		if (tag < last)
			return -FWGUARD_TICKET_EORDER;
		if (len > body_len - off)
			return -FWGUARD_TICKET_EOVERFLOW;
		err = parse_field(t, tag, p + off, len);
		if (err)
			return err;
		*seen |= TAG_BIT(tag);
		last = tag;
		off += len;
	}
	/* Unreachable (see above); should it ever be reached, refuse, never accept. */
	if (off != body_len)
		return -FWGUARD_TICKET_EORDER;
	return 0;
}

/**
 * fwguard_ticket_parse() - validate a ticket payload and decode it
 * @buf: the payload, i.e. the verified eContent of the CMS ticket
 * @len: its length in bytes
 * @out: where the decoded ticket goes; written only on success
 *
 * Checks the payload's syntax and self-consistency as specified in
 * policy/FORMAT.md. Whether the ticket applies to this device (class,
 * serial, clock, version floor, replay) is for the caller to decide.
 *
 * Return: 0 on success, or a negated FWGUARD_TICKET_E* code naming the
 * first problem found.
 */
int fwguard_ticket_parse(const void *buf, size_t len, struct fwguard_ticket *out)
{
	struct fwguard_ticket t;
	uint32_t body_len, seen = 0;
	int err;

	if (!buf || !out)
		return -FWGUARD_TICKET_EINVAL;
	err = parse_header(buf, len, &body_len);
	if (err)
		return err;
	zero_bytes(&t, sizeof(t));
	err = parse_body((const uint8_t *)buf + FWGUARD_TICKET_HDR_LEN, body_len, &t,
			 &seen);
	if (err)
		return err;
	if ((seen & REQUIRED_TAGS) != REQUIRED_TAGS)
		return -FWGUARD_TICKET_EMISSING;
	if (t.not_before && t.not_after && t.not_before > t.not_after)
		return -FWGUARD_TICKET_EWINDOW;
	copy_bytes(out, &t, sizeof(t));
	return 0;
}

static const char *const error_phrases[FWGUARD_TICKET_ERROR_COUNT] = {
	[0]				= "success",
	[FWGUARD_TICKET_EINVAL]		= "invalid argument",
	[FWGUARD_TICKET_ETRUNCATED]	= "payload truncated",
	[FWGUARD_TICKET_ETRAILING]	= "trailing bytes after payload",
	[FWGUARD_TICKET_ETOOBIG]	= "payload too large",
	[FWGUARD_TICKET_EMAGIC]		= "bad magic",
	[FWGUARD_TICKET_EVERSION]	= "unknown format version",
	[FWGUARD_TICKET_ERESERVED]	= "reserved header bits set",
	[FWGUARD_TICKET_EUNKNOWN]	= "unknown field",
	[FWGUARD_TICKET_EDUPLICATE]	= "duplicate field",
	[FWGUARD_TICKET_EORDER]		= "fields out of order",
	[FWGUARD_TICKET_EOVERFLOW]	= "field length overflows payload",
	[FWGUARD_TICKET_ESIZE]		= "field has wrong size",
	[FWGUARD_TICKET_ESTR_EMPTY]	= "empty string",
	[FWGUARD_TICKET_ESTR_LONG]	= "string too long",
	[FWGUARD_TICKET_ESTR_NUL]	= "string contains NUL",
	[FWGUARD_TICKET_ESTR_CHARSET]	= "string has invalid character",
	[FWGUARD_TICKET_EMISSING]	= "required field missing",
	[FWGUARD_TICKET_EFLAGS]		= "unknown flag bits",
	[FWGUARD_TICKET_EWINDOW]	= "not-before later than not-after",
	[FWGUARD_TICKET_EZERO_LEN]	= "zero image length",
	[FWGUARD_TICKET_EZERO_ID]	= "zero ticket id",
	[FWGUARD_TICKET_EZERO_TIME]	= "zero validity time",
	[FWGUARD_TICKET_ENOSPC]		= "buffer too small",
};

/**
 * fwguard_ticket_strerror() - describe a ticket error code
 * @err: a code returned by fwguard_ticket_parse() or fwguard_ticket_encode(),
 *       negated or not
 *
 * Return: a short constant phrase; "unknown error" for codes not defined.
 */
const char *fwguard_ticket_strerror(int err)
{
	unsigned int code = err < 0 ? -(unsigned int)err : (unsigned int)err;

	if (code >= FWGUARD_TICKET_ERROR_COUNT || !error_phrases[code])
		return "unknown error";
	return error_phrases[code];
}

/* Length of a NUL-terminated array member, or @cap when it has no NUL. */
static size_t bounded_strlen(const char *s, size_t cap)
{
	size_t n;

	for (n = 0; n < cap && s[n]; n++)
		;
	return n;
}

static int check_member(const char *s, size_t size, size_t max, enum charset cs,
			size_t *len)
{
	*len = bounded_strlen(s, size);
	if (*len == size)
		return -FWGUARD_TICKET_ESTR_LONG;
	return check_string((const uint8_t *)s, *len, max, cs);
}

/**
 * fwguard_ticket_check_component() - is a name one a ticket's component can be?
 * @s: NUL-terminated name in a field of @size bytes
 * @size: size of the field
 *
 * For the kernel's PROTECT: a range's component is only useful if a ticket
 * can name it, so both sides accept the same names.
 *
 * Return: 0, or the negated FWGUARD_TICKET_E* code the parser would give.
 */
int fwguard_ticket_check_component(const char *s, size_t size)
{
	size_t len;

	if (!s)
		return -FWGUARD_TICKET_EINVAL;
	return check_member(s, size, FWGUARD_COMPONENT_MAX, CHARSET_NAME, &len);
}

#ifndef __KERNEL__
/*
 * The encoder serves updatectl and the tests only; the kernel never builds
 * tickets. It refuses exactly what the parser would refuse, so that
 * encode() succeeding implies parse() of its output succeeding.
 */

/* Writes nothing when @buf is NULL: the first pass only measures. */
struct ticket_writer {
	uint8_t *buf;
	size_t off;
};

static void put_bytes(struct ticket_writer *w, const void *src, size_t n)
{
	if (w->buf)
		copy_bytes(w->buf + w->off, src, n);
	w->off += n;
}

static void put_le(struct ticket_writer *w, uint64_t v, unsigned int n)
{
	uint8_t b[8];
	unsigned int i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put_bytes(w, b, n);
}

static void put_field(struct ticket_writer *w, uint16_t tag, const void *val, size_t len)
{
	put_le(w, tag, 2);
	put_le(w, len, 2);
	put_bytes(w, val, len);
}

static void put_field_le(struct ticket_writer *w, uint16_t tag, uint64_t v, unsigned int n)
{
	put_le(w, tag, 2);
	put_le(w, n, 2);
	put_le(w, v, n);
}

struct ticket_lengths {
	size_t class_len, serial_len, component_len;
};

static int check_ticket(const struct fwguard_ticket *t, struct ticket_lengths *l)
{
	int err;

	if (all_zero(t->id, sizeof(t->id)))
		return -FWGUARD_TICKET_EZERO_ID;
	err = check_member(t->device_class, sizeof(t->device_class), FWGUARD_CLASS_MAX,
			   CHARSET_NAME, &l->class_len);
	if (err)
		return err;
	l->serial_len = bounded_strlen(t->serial, sizeof(t->serial));
	if (l->serial_len) {	/* "" means not bound to a serial */
		err = check_member(t->serial, sizeof(t->serial), FWGUARD_SERIAL_MAX,
				   CHARSET_SERIAL, &l->serial_len);
		if (err)
			return err;
	}
	err = check_member(t->component, sizeof(t->component), FWGUARD_COMPONENT_MAX,
			   CHARSET_NAME, &l->component_len);
	if (err)
		return err;
	if (t->image_len == 0)
		return -FWGUARD_TICKET_EZERO_LEN;
	if (t->flags & ~FWGUARD_TICKET_F_KNOWN)
		return -FWGUARD_TICKET_EFLAGS;
	if (t->not_before && t->not_after && t->not_before > t->not_after)
		return -FWGUARD_TICKET_EWINDOW;
	return 0;
}

static void write_ticket(struct ticket_writer *w, const struct fwguard_ticket *t,
			 const struct ticket_lengths *l, uint32_t body_len)
{
	put_bytes(w, magic, FWGUARD_TICKET_MAGIC_LEN);
	put_le(w, FWGUARD_TICKET_VERSION, 2);
	put_le(w, 0, 2);
	put_le(w, body_len, 4);
	put_field(w, FWGUARD_TICKET_TAG_ID, t->id, sizeof(t->id));
	put_field(w, FWGUARD_TICKET_TAG_DEVICE_CLASS, t->device_class, l->class_len);
	if (l->serial_len)
		put_field(w, FWGUARD_TICKET_TAG_SERIAL, t->serial, l->serial_len);
	put_field(w, FWGUARD_TICKET_TAG_COMPONENT, t->component, l->component_len);
	put_field_le(w, FWGUARD_TICKET_TAG_IMAGE_LEN, t->image_len, 8);
	put_field(w, FWGUARD_TICKET_TAG_IMAGE_SHA256, t->image_sha256,
		  sizeof(t->image_sha256));
	put_field_le(w, FWGUARD_TICKET_TAG_SECURITY_VERSION, t->security_version, 8);
	if (t->not_before)
		put_field_le(w, FWGUARD_TICKET_TAG_NOT_BEFORE, t->not_before, 8);
	if (t->not_after)
		put_field_le(w, FWGUARD_TICKET_TAG_NOT_AFTER, t->not_after, 8);
	put_field_le(w, FWGUARD_TICKET_TAG_FLAGS, t->flags, 4);
}

/**
 * fwguard_ticket_encode() - serialise a ticket in its one canonical encoding
 * @t: the ticket; strings NUL-terminated, serial "" when not bound, times 0
 *     when absent
 * @buf: output buffer (untouched when the ticket is refused or does not fit)
 * @cap: its size
 * @len_out: bytes written, set only on success
 *
 * Return: 0, -FWGUARD_TICKET_EINVAL for NULL arguments,
 * -FWGUARD_TICKET_ENOSPC when @cap is too small, or the code the parser
 * would return for an invalid field.
 */
int fwguard_ticket_encode(const struct fwguard_ticket *t, void *buf, size_t cap,
			  size_t *len_out)
{
	struct ticket_writer w = { .buf = NULL, .off = 0 };
	struct ticket_lengths l;
	size_t total;
	int err;

	if (!t || !buf || !len_out)
		return -FWGUARD_TICKET_EINVAL;
	err = check_ticket(t, &l);
	if (err)
		return err;
	write_ticket(&w, t, &l, 0);
	total = w.off;
	if (total > cap)
		return -FWGUARD_TICKET_ENOSPC;
	w.buf = buf;
	w.off = 0;
	write_ticket(&w, t, &l, (uint32_t)(total - FWGUARD_TICKET_HDR_LEN));
	*len_out = total;
	return 0;
}
#endif /* !__KERNEL__ */
