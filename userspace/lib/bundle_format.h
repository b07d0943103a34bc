/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fwguard bundle header: the fixed little-endian header that starts every
 * bundle file and says where the CMS ticket and the image lie. The layout is
 * specified byte by byte in policy/FORMAT.md ("Bundle layout"). This header
 * owns only the framing; what the ticket says is the ticket parser's and the
 * policy's business.
 */
#ifndef FWGUARD_BUNDLE_FORMAT_H
#define FWGUARD_BUNDLE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "ticket.h"

#define BUNDLE_MAGIC		"FWGB"
#define BUNDLE_MAGIC_LEN	4
#define BUNDLE_VERSION		1
#define BUNDLE_HEADER_LEN	48
/*
 * A version-1 ticket with one RSA-4096 signer and its certificate is about
 * 3 KiB; the cap keeps a hostile header from making us allocate much while
 * leaving room for a certificate chain.
 */
#define BUNDLE_CMS_MAX		(64u * 1024u)
/* Keeps every offset in the file representable in a signed off_t. */
#define BUNDLE_IMAGE_MAX	(UINT64_C(1) << 62)

struct bundle_header {
	uint16_t version;
	uint16_t header_len;
	uint32_t cms_len;
	uint64_t image_len;
};

/* Errors, returned negated; bundle_strerror() names them. */
enum bundle_error {
	BUNDLE_EINVAL = 1,	/* NULL argument */
	BUNDLE_ETRUNCATED,	/* fewer than BUNDLE_HEADER_LEN bytes */
	BUNDLE_EMAGIC,		/* not "FWGB" */
	BUNDLE_EVERSION,	/* format version other than 1 */
	BUNDLE_EHDRLEN,		/* header length field not 48 */
	BUNDLE_ERESERVED,	/* a reserved byte is not zero */
	BUNDLE_ECRC,		/* header CRC-32 does not match */
	BUNDLE_ECMS_EMPTY,	/* CMS length 0 */
	BUNDLE_ECMS_TOOBIG,	/* CMS length above BUNDLE_CMS_MAX */
	BUNDLE_EIMAGE_EMPTY,	/* image length 0 */
	BUNDLE_EIMAGE_TOOBIG,	/* image length above BUNDLE_IMAGE_MAX */
	BUNDLE_EFILE_SIZE,	/* file size is not header + CMS + image */
	BUNDLE_EIMAGE_MISMATCH,	/* header image length differs from the ticket's */
	BUNDLE_ERROR_COUNT	/* not an error; keep last */
};

int bundle_header_parse(const void *buf, size_t len, struct bundle_header *out);
int bundle_header_encode(uint32_t cms_len, uint64_t image_len,
			 uint8_t out[BUNDLE_HEADER_LEN]);
int bundle_check_file_size(const struct bundle_header *h, uint64_t file_size);
int bundle_check_ticket(const struct bundle_header *h, const struct fwguard_ticket *t);
uint64_t bundle_image_offset(const struct bundle_header *h);
const char *bundle_strerror(int err);

#endif /* FWGUARD_BUNDLE_FORMAT_H */
