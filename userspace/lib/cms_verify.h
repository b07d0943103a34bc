/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace verification of CMS ticket signatures (OpenSSL 3). Only the
 * cryptographic question "did a code-signing key that chains to our trust
 * store sign exactly these bytes?" is answered here; what the bytes say is
 * decided by the ticket parser and ticket_policy.c.
 *
 * Error codes (negated errno values), each logged once with the OpenSSL
 * reason when there is one:
 *   -EINVAL       bad argument
 *   -E2BIG        CMS larger than BUNDLE_CMS_MAX, or content larger than @cap
 *   -EBADMSG      not DER SignedData, truncated, trailing bytes, detached or
 *                 non-"data" content, signer certificate not included
 *   -ENOTUNIQ     not exactly one signer
 *   -ENOPKG       digest not SHA-256, signature not RSA PKCS#1 v1.5, or RSA
 *                 key shorter than 3072 bits
 *   -ENOKEY       signer does not chain to the trust store
 *   -EKEYEXPIRED  signer or an issuer is outside its validity period
 *   -EACCES       signer lacks keyUsage digitalSignature or extendedKeyUsage
 *                 codeSigning, or is a CA certificate
 *   -EKEYREJECTED signature or content digest does not verify
 *   -ENOENT, -EIO trust store could not be loaded
 *   -ENOMEM       allocation failed
 */
#ifndef FWGUARD_CMS_VERIFY_H
#define FWGUARD_CMS_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#define CMS_MIN_RSA_BITS	3072

struct cms_trust;

int cms_trust_load(const char *path, struct cms_trust **out);
void cms_trust_free(struct cms_trust *trust);

int cms_verify_ticket(const struct cms_trust *trust, const void *der, size_t der_len,
		      uint8_t *content, size_t cap, size_t *content_len);

/* Display only: returns the content without checking any signature. */
int cms_ticket_content_unverified(const void *der, size_t der_len, uint8_t *content,
				  size_t cap, size_t *content_len);

#endif /* FWGUARD_CMS_VERIFY_H */
