/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device's mutual-TLS client key when it lives in the TPM
 * (client_key = tpm:HANDLE; tpm/TPM.md "TLS client key"). The key is
 * used through OpenSSL 3's tpm2 provider (Debian's tpm2-openssl) over the
 * TCTI fwguard uses, and handed to libcurl's SSL_CTX by fetch.c. Before
 * anything is sent the key is checked with fwguard's own TPM context (it
 * is there, and non-exportable) and against the client certificate (it is
 * the key the certificate was issued for), so a missing or foreign key
 * fails with one line and no request.
 */
#ifndef FWGUARD_TLS_KEY_H
#define FWGUARD_TLS_KEY_H

#include <stdbool.h>
#include <stdint.h>

#include "userspace/lib/config.h"
#include "userspace/lib/fetch.h"
#include "userspace/lib/step.h"

#define TLS_KEY_TPM_PREFIX	"tpm:"

struct tls_key;

/*
 * @spec is a client_key value. 0: a PEM file; 1: "tpm:HANDLE", *@handle
 * set; -EINVAL (logged): "tpm:" without a valid handle.
 */
int tls_key_spec(const char *spec, uint32_t *handle);

/* The TCTI the tpm2 provider is given: @tcti, else $FWGUARD_TCTI, else the default. */
const char *tls_key_tcti(const char *tcti);

/*
 * For a "tpm:" client_key of @cfg: check the key in the TPM and against
 * client_cert, load it through the tpm2 provider and set @tls->tpm_key;
 * *@ret (NULL for a file key) must be released with tls_key_free() once
 * every connection using it is closed. The failing step in @step:
 * USAGE (-EINVAL: bad spec), TPM (FWG_TPM_E_UNAVAILABLE: TPM unreachable;
 * FWG_TPM_E_NOT_PROVISIONED: no key at the handle; FWG_TPM_E_UNTRUSTED:
 * not a fwguard TLS key, or not the certificate's key, i.e. another
 * TPM's; -ENOPKG: no tpm2 provider), FILE (client_cert unreadable).
 */
int tls_key_load(const struct uc_config *cfg, struct fetch_tls *tls, struct tls_key **ret,
		 struct uc_step *step);
void tls_key_free(struct tls_key *key);

/*
 * The tpm2 provider over @tcti: load it and, with @handle non-zero, the key
 * persistent at @handle. -ENOPKG when the provider cannot be loaded (not
 * installed, or the TPM unreachable through it), and the key
 * cannot be loaded through it is -EIO. Logged.
 */
int tls_key_provider_open(const char *tcti, uint32_t handle, struct tls_key **ret);

/*
 * A PKCS#10 request for the key opened with @handle: subject CN=@cn, the
 * public point (@x, @y) (what the TPM reported), signed by the TPM with
 * ECDSA-SHA256 and verified before it is written (PEM) to @path.
 */
int tls_key_write_csr(struct tls_key *key, const uint8_t x[32], const uint8_t y[32],
		      const char *cn, const char *path);

#endif /* FWGUARD_TLS_KEY_H */
