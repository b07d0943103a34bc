// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl tpm tls-key create: the device's mutual-TLS client key in the
 * TPM (tpm/tlskey.c) and the certificate request the vendor's CA signs
 * (lib/tls_key.c, signed by the TPM through OpenSSL's tpm2 provider).
 * Provisioning steps and what root can still do: tpm/TPM.md "TLS client
 * key". Inputs and the provider are checked before the TPM is changed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "userspace/cli/tpm_commands.h"
#include "userspace/cli/updatectl.h"
#include "userspace/common/log.h"
#include "userspace/lib/tls_key.h"

enum { OPT_STATE_DIR, OPT_HANDLE, OPT_CN, OPT_OUT };

static const struct uc_option tlskey_options[] = {
	[OPT_STATE_DIR] = { "state-dir", "DIR", "state directory (default: the configuration's)" },
	[OPT_HANDLE] = { "handle", "H", "persistent handle (default: client_key's tpm:H, else 0x81004654)" },
	[OPT_CN] = { "cn", "NAME", "the request's subject CN (default: serial)" },
	[OPT_OUT] = { "out", "FILE", "write the certificate request (PEM) here" },
	{ NULL },
};

static int parse_handle(const struct uc_args *a, uint32_t *handle)
{
	const char *h = a->opt[OPT_HANDLE];
	unsigned long v;
	char *end;

	if (h) {
		errno = 0;
		v = strtoul(h, &end, 16);
		if (strncasecmp(h, "0x", 2) || errno || *end || v > UINT32_MAX ||
		    !fwg_tpm_tls_key_handle_valid((uint32_t)v)) {
			fwg_log_error("--handle must be a persistent owner handle 0x81000000-0x817fffff "
				      "other than the SRK's 0x%08x", FWG_TPM_SRK_HANDLE);
			return -EINVAL;
		}
		*handle = (uint32_t)v;
		return 0;
	}
	*handle = FWG_TPM_TLS_KEY_HANDLE;
	/* A configuration that names a TPM key names its handle. */
	return tls_key_spec(a->cfg.client_key, handle) < 0 ? -EINVAL : 0;
}

static void create_report(const struct uc_args *a, uint32_t handle, bool created,
			  const struct fwg_tpm_tls_key *key, const char *cn)
{
	struct json_writer w;

	if (a->json) {
		json_doc_begin(&w, stdout);
		json_kv_u64(&w, "handle", handle);
		json_kv_string(&w, "key", created ? "created" : "already present");
		json_kv_u64(&w, "attributes", key->attributes);
		json_kv_hex(&w, "x", key->x, sizeof(key->x));
		json_kv_hex(&w, "y", key->y, sizeof(key->y));
		json_kv_string(&w, "csr", a->opt[OPT_OUT]);
		json_doc_end(&w);
		return;
	}
	printf("TLS client key at 0x%08x: %s (fixedTPM, fixedParent)\n", handle,
	       created ? "created" : "already present");
	printf("certificate request for CN=%s: %s\n", cn, a->opt[OPT_OUT]);
	printf("configure: client_key = tpm:0x%08x\n", handle);
}

static int create_inputs(const struct uc_args *a, const char *cn, uint32_t *handle)
{
	if (!a->opt[OPT_OUT]) {
		fwg_log_error("tpm tls-key create: --out FILE (the certificate request) is required");
		return -EINVAL;
	}
	if (!cn || !*cn || strlen(cn) > 64) {
		fwg_log_error("tpm tls-key create: --cn NAME (1-64 bytes) is required when serial "
			      "is not configured");
		return -EINVAL;
	}
	return parse_handle(a, handle);
}

static int create_run(const struct uc_args *a, struct uc_step *step)
{
	const char *cn = a->opt[OPT_CN] ? a->opt[OPT_CN] : a->cfg.serial;
	struct fwg_tpm_options opts = {
		.tcti = a->cfg.tcti, .pcr = -1, .timeout_s = a->cfg.tpm_timeout_s,
		.state_dir = a->opt[OPT_STATE_DIR] ? a->opt[OPT_STATE_DIR] : a->cfg.state_dir,
	};
	const char *tcti = tls_key_tcti(a->cfg.tcti);
	struct fwg_tpm_tls_key key;
	struct tls_key *prov = NULL;
	struct fwg_tpm *tpm = NULL;
	bool created = false;
	uint32_t handle;
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "parse-options");
	err = create_inputs(a, cn, &handle);
	if (err)
		return err;
	/* The TPM first, then the provider, each closed before the next. */
	uc_step_enter(step, UC_SRC_TPM, "tpm-open");
	err = fwg_tpm_open(&opts, &tpm);
	fwg_tpm_close(tpm);
	tpm = NULL;
	if (err)
		return err;
	/* No provider, no key: nothing is created that fetch could not use. */
	uc_step_enter(step, UC_SRC_TPM, "tls-provider");
	err = tls_key_provider_open(tcti, 0, &prov);
	tls_key_free(prov);
	prov = NULL;
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_TPM, "create-tls-key");
	err = fwg_tpm_open(&opts, &tpm);
	if (!err)
		err = fwg_tpm_tls_key_create(tpm, handle, &key, &created);
	fwg_tpm_close(tpm);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_TPM, "sign-request");
	err = tls_key_provider_open(tcti, handle, &prov);
	if (!err)
		err = tls_key_write_csr(prov, key.x, key.y, cn, a->opt[OPT_OUT]);
	tls_key_free(prov);
	if (err)
		return err;
	create_report(a, handle, created, &key, cn);
	return UC_EXIT_OK;
}

static const struct uc_command UC_COMMAND(tlskey_create, "create", "", 0, 0,
	UC_CMD_TPM | UC_CMD_JSON, tlskey_options, create_run,
	"create the non-exportable TLS client key and write its CSR: --out FILE [--cn NAME] [--handle H]");

const struct uc_command UC_GROUP(uc_cmd_tpm_tls_key, "tls-key",
	"the mutual-TLS client key held in the TPM", &tlskey_create);
