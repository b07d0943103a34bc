/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Vendor-side signing of ticket payloads as CMS SignedData (OpenSSL 3):
 * attached content, SHA-256, one RSA signer (>= 3072 bits) with signed
 * attributes, the signer certificate included, no S/MIME capabilities. This
 * is the structure the kernel's verify_pkcs7_signature() and cms_verify.c
 * accept.
 */
#ifndef FWGUARD_CMS_SIGN_H
#define FWGUARD_CMS_SIGN_H

#include <stddef.h>
#include <stdint.h>

struct cms_signer;

int cms_signer_load(const char *key_path, const char *cert_path, struct cms_signer **out);
void cms_signer_free(struct cms_signer *signer);

/* On success *der_out is malloc()ed; the caller frees it. */
int cms_sign_ticket(const struct cms_signer *signer, const void *payload, size_t len,
		    uint8_t **der_out, size_t *der_len);

#endif /* FWGUARD_CMS_SIGN_H */
