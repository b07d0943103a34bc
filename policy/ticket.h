/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fwguard update-ticket payload: the wire constants, the parsed object and
 * the error codes of the one parser that fwguard.ko and updatectl share.
 * The payload is the eContent of a CMS SignedData object and is specified
 * byte by byte in policy/FORMAT.md; this header must stay buildable both as
 * kernel code (__KERNEL__, <linux/types.h>) and as freestanding userspace C,
 * so it uses only fixed-width types that exist in both worlds.
 */
#ifndef FWGUARD_POLICY_TICKET_H
#define FWGUARD_POLICY_TICKET_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#define FWGUARD_TICKET_ID_LEN		16
#define FWGUARD_SHA256_LEN		32
#define FWGUARD_CLASS_MAX		63	/* max string bytes, excluding NUL */
#define FWGUARD_SERIAL_MAX		63
#define FWGUARD_COMPONENT_MAX		31

/* Fixed header: magic "FWGT", u16 version, u16 reserved (0), u32 body length. */
#define FWGUARD_TICKET_MAGIC		"FWGT"
#define FWGUARD_TICKET_MAGIC_LEN	4
#define FWGUARD_TICKET_VERSION		1
#define FWGUARD_TICKET_HDR_LEN		12
/* Each field: u16 tag, u16 length, then length value bytes. */
#define FWGUARD_TICKET_FIELD_HDR_LEN	4
/*
 * Largest payload the parser looks at. A valid version-1 payload carrying
 * every field at its maximum size is 293 bytes; the cap leaves room for
 * future versions while bounding what an attacker can make us walk.
 */
#define FWGUARD_TICKET_MAX_LEN		1024

/* Field tags. A valid payload carries its fields in strictly ascending order. */
enum fwguard_ticket_tag {
	FWGUARD_TICKET_TAG_ID			= 1,	/* 16 bytes, not all zero */
	FWGUARD_TICKET_TAG_DEVICE_CLASS		= 2,	/* string, 1..63 */
	FWGUARD_TICKET_TAG_SERIAL		= 3,	/* string, 1..63, optional */
	FWGUARD_TICKET_TAG_COMPONENT		= 4,	/* string, 1..31 */
	FWGUARD_TICKET_TAG_IMAGE_LEN		= 5,	/* u64, not zero */
	FWGUARD_TICKET_TAG_IMAGE_SHA256		= 6,	/* 32 bytes */
	FWGUARD_TICKET_TAG_SECURITY_VERSION	= 7,	/* u64 */
	FWGUARD_TICKET_TAG_NOT_BEFORE		= 8,	/* u64 seconds, not zero, optional */
	FWGUARD_TICKET_TAG_NOT_AFTER		= 9,	/* u64 seconds, not zero, optional */
	FWGUARD_TICKET_TAG_FLAGS		= 10,	/* u32, known bits only */
	FWGUARD_TICKET_TAG_MAX			= FWGUARD_TICKET_TAG_FLAGS,
};

/*
 * Ticket flags. The parser only refuses unknown bits; what a bit means is
 * decided by the consumers' decision functions (see FORMAT.md).
 */
#define FWGUARD_TICKET_F_RAISE_FLOOR	0x00000001u	/* commit raises the version floor */
#define FWGUARD_TICKET_F_TEST_ONLY	0x00000002u	/* for development devices only */
#define FWGUARD_TICKET_F_KNOWN		(FWGUARD_TICKET_F_RAISE_FLOOR | \
					 FWGUARD_TICKET_F_TEST_ONLY)

struct fwguard_ticket {
	uint8_t  id[FWGUARD_TICKET_ID_LEN];
	char     device_class[FWGUARD_CLASS_MAX + 1];	/* NUL-terminated */
	char     serial[FWGUARD_SERIAL_MAX + 1];	/* "" when not bound */
	char     component[FWGUARD_COMPONENT_MAX + 1];
	uint64_t image_len;
	uint8_t  image_sha256[FWGUARD_SHA256_LEN];
	uint64_t security_version;
	uint64_t not_before;	/* 0 = absent */
	uint64_t not_after;	/* 0 = absent */
	uint32_t flags;
};

/*
 * Error codes, returned negated. Each names one way a payload (or, for the
 * encoder, a struct) can be wrong, so that tests and logs can tell them apart.
 */
enum fwguard_ticket_error {
	FWGUARD_TICKET_EINVAL = 1,	/* NULL argument */
	FWGUARD_TICKET_ETRUNCATED,	/* input ends inside the header, body or a field header */
	FWGUARD_TICKET_ETRAILING,	/* bytes after the declared body */
	FWGUARD_TICKET_ETOOBIG,		/* declared body larger than FWGUARD_TICKET_MAX_LEN */
	FWGUARD_TICKET_EMAGIC,		/* not "FWGT" */
	FWGUARD_TICKET_EVERSION,	/* format version other than 1 */
	FWGUARD_TICKET_ERESERVED,	/* header reserved field not zero */
	FWGUARD_TICKET_EUNKNOWN,	/* unknown field tag */
	FWGUARD_TICKET_EDUPLICATE,	/* field present twice */
	FWGUARD_TICKET_EORDER,		/* fields not in ascending tag order */
	FWGUARD_TICKET_EOVERFLOW,	/* field length runs past the end of the body */
	FWGUARD_TICKET_ESIZE,		/* fixed-size field with the wrong length */
	FWGUARD_TICKET_ESTR_EMPTY,	/* string field of length 0 */
	FWGUARD_TICKET_ESTR_LONG,	/* string longer than its maximum */
	FWGUARD_TICKET_ESTR_NUL,	/* string contains a NUL byte */
	FWGUARD_TICKET_ESTR_CHARSET,	/* string byte outside the field's charset */
	FWGUARD_TICKET_EMISSING,	/* required field absent */
	FWGUARD_TICKET_EFLAGS,		/* unknown flag bits set */
	FWGUARD_TICKET_EWINDOW,		/* not_before later than not_after */
	FWGUARD_TICKET_EZERO_LEN,	/* image length 0 */
	FWGUARD_TICKET_EZERO_ID,	/* ticket id all zero */
	FWGUARD_TICKET_EZERO_TIME,	/* not_before / not_after present with value 0 */
	FWGUARD_TICKET_ENOSPC,		/* encoder: output buffer too small */
	FWGUARD_TICKET_ERROR_COUNT	/* not an error; keep last */
};

int fwguard_ticket_parse(const void *buf, size_t len, struct fwguard_ticket *out);
const char *fwguard_ticket_strerror(int err);
int fwguard_ticket_check_component(const char *s, size_t size);

#ifndef __KERNEL__
int fwguard_ticket_encode(const struct fwguard_ticket *t, void *buf, size_t cap,
			  size_t *len_out);
#endif

#endif /* FWGUARD_POLICY_TICKET_H */
