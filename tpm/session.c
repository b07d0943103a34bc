// SPDX-License-Identifier: GPL-2.0-only
/*
 * The trust anchor of a context: the storage key (SRK), checked against the
 * name provisioning recorded (the pin, <state-dir>/srk.pin), and one HMAC
 * session salted to that key with AES-128-CFB parameter encryption. The salt
 * is encrypted to the SRK's public key (ECDH for the ECC SRK), so only a TPM
 * holding the SRK's private key derives the session key; ESYS checks the
 * response HMAC of every command run in the session. A fake TPM (another
 * swtpm behind the tcti setting) shows another SRK name, or, if it copies
 * the genuine public area, cannot answer one authenticated command; an
 * interposer cannot alter a command or response unnoticed. TPM.md
 * "Sessions and the SRK pin" has the design.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_rc.h>

#include "tpm/tpm-internal.h"

#define PIN_FILE	"srk.pin"
#define PIN_MAX		256

bool fwg_tpm_name_equal(const TPM2B_NAME *a, const uint8_t *name, size_t size)
{
	return a->size == size && !memcmp(a->name, name, size);
}

static int pin_path(const char *state_dir, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s", state_dir, PIN_FILE) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* "v1 handle=0x81000001|transient name=<hex>\n" */
static int pin_parse(const char *text, struct fwg_tpm_srk_pin *pin)
{
	char handle[16], hex[2 * FWG_TPM_NAME_MAX + 2], end;
	size_t len;

	if (sscanf(text, "v1 handle=%15s name=%133s%c", handle, hex, &end) != 3 ||
	    end != '\n')
		return -EBADMSG;
	memset(pin, 0, sizeof(*pin));
	if (!strcmp(handle, "transient"))
		pin->handle = 0;
	else if (!strcmp(handle, "0x81000001"))
		pin->handle = FWG_TPM_SRK_HANDLE;
	else
		return -EBADMSG;
	len = strlen(hex);
	if (len % 2 || len < 2 * 34 || len > 2 * FWG_TPM_NAME_MAX ||
	    fwg_hex_decode(hex, pin->name, len / 2))
		return -EBADMSG;
	pin->name_size = (uint16_t)(len / 2);
	return 0;
}

int fwg_tpm_srk_pin_read(const char *state_dir, struct fwg_tpm_srk_pin *ret)
{
	char path[4096], text[PIN_MAX + 1];
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	err = pin_path(state_dir, path, sizeof(path));
	if (!err)
		err = fwg_read_file(path, PIN_MAX, &buf, &len);
	if (err && err != -ENOENT)
		fwg_tpm_log("cannot read the SRK pin %s: %s", path, strerror(-err));
	if (err)
		return err;
	memcpy(text, buf, len);
	text[len] = '\0';
	free(buf);
	err = pin_parse(text, ret);
	if (err)
		fwg_tpm_log("%s is not an SRK pin; refusing to trust any TPM", path);
	return err;
}

static void name_hex(const uint8_t *name, size_t size, char *out)
{
	fwg_hex_encode(name, size, out);
}

static int pin_write(const char *state_dir, const struct fwg_tpm_srk_pin *pin)
{
	char path[4096], hex[2 * FWG_TPM_NAME_MAX + 1], text[PIN_MAX];
	int len, err;

	name_hex(pin->name, pin->name_size, hex);
	len = snprintf(text, sizeof(text), "v1 handle=%s name=%s\n",
		       pin->handle ? "0x81000001" : "transient", hex);
	err = pin_path(state_dir, path, sizeof(path));
	if (!err)
		err = fwg_mkdir_p(state_dir, 0700);
	if (!err)
		err = fwg_write_file_atomic(path, text, (size_t)len);
	if (err)
		fwg_tpm_log("cannot record the SRK pin in %s: %s", path, strerror(-err));
	return err;
}

/* Names the TPM, both names and what it means: the one line an admin sees. */
static int untrusted(struct fwg_tpm *tpm, const char *what, const TPM2B_NAME *got)
{
	char want[2 * FWG_TPM_NAME_MAX + 1], have[2 * FWG_TPM_NAME_MAX + 1];

	name_hex(tpm->pin.name, tpm->pin.name_size, want);
	if (got)
		name_hex(got->name, got->size, have);
	fwg_tpm_log("TPM at '%s' is not the provisioned TPM: %s%s%s, provisioning "
		    "pinned %s (a fake TPM, a replaced SRK or a cleared TPM)",
		    tpm->tcti_conf, what, got ? " has name " : "", got ? have : "", want);
	return FWG_TPM_E_UNTRUSTED;
}

static int anchor_check(struct fwg_tpm *tpm, const char *what)
{
	TPM2B_NAME *name = NULL;
	TSS2_RC rc;
	int err = 0;

	if (!tpm->pinned)
		return 0;
	rc = Esys_TR_GetName(tpm->esys, tpm->srk, &name);
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("reading the SRK's name", rc);
	/* ESYS computes the name from the public area it will salt to. */
	if (!fwg_tpm_name_equal(name, tpm->pin.name, tpm->pin.name_size))
		err = untrusted(tpm, what, name);
	Esys_Free(name);
	return err;
}

/* The storage key: the pinned one, or without a pin the SRK if any. */
static int anchor_key(struct fwg_tpm *tpm)
{
	int err = -ENOENT;

	if (!tpm->pinned || tpm->pin.handle)
		err = fwg_tpm_srk_lookup(tpm, &tpm->srk);
	if (err == -ENOENT && tpm->pinned && tpm->pin.handle)
		return untrusted(tpm, "no SRK at 0x81000001", NULL);
	if (err == -ENOENT) {
		err = fwg_tpm_srk_create_primary(tpm, &tpm->srk);
		tpm->srk_transient = !err;
	}
	if (err) {
		tpm->srk = ESYS_TR_NONE;
		return err;
	}
	return anchor_check(tpm, tpm->srk_transient ? "its ECC storage primary" :
			    "its SRK at 0x81000001");
}

static int anchor_start(struct fwg_tpm *tpm)
{
	TPMT_SYM_DEF sym = {
		.algorithm = TPM2_ALG_AES,
		.keyBits = { .aes = 128 },
		.mode = { .aes = TPM2_ALG_CFB },
	};
	TSS2_RC rc;
	int err;

	err = anchor_key(tpm);
	if (err) {
		fwg_tpm_session_close(tpm);
		return err;
	}
	rc = FWG_TPM_CALL(Esys_StartAuthSession(tpm->esys, tpm->srk, ESYS_TR_NONE,
						ESYS_TR_NONE, ESYS_TR_NONE,
						ESYS_TR_NONE, NULL, TPM2_SE_HMAC,
						&sym, TPM2_ALG_SHA256, &tpm->session));
	if (rc != TSS2_RC_SUCCESS) {
		tpm->session = ESYS_TR_NONE;
		err = fwg_tpm_fail("starting the session salted to the SRK", rc);
		fwg_tpm_session_close(tpm);
	}
	return err;
}

int fwg_tpm_session(struct fwg_tpm *tpm, TPMA_SESSION attrs, ESYS_TR *ret)
{
	const TPMA_SESSION mask = TPMA_SESSION_CONTINUESESSION | TPMA_SESSION_DECRYPT |
				  TPMA_SESSION_ENCRYPT | TPMA_SESSION_AUDIT;
	int err;

	if (tpm->session == ESYS_TR_NONE) {
		err = anchor_start(tpm);
		if (err)
			return err;
	}
	Esys_TRSess_SetAttributes(tpm->esys, tpm->session,
				  TPMA_SESSION_CONTINUESESSION | attrs, mask);
	*ret = tpm->session;
	return 0;
}

void fwg_tpm_session_close(struct fwg_tpm *tpm)
{
	fwg_tpm_flush(tpm, &tpm->session);
	if (tpm->srk == ESYS_TR_NONE)
		return;
	if (tpm->srk_transient)
		fwg_tpm_flush(tpm, &tpm->srk);
	else
		Esys_TR_Close(tpm->esys, &tpm->srk);
	tpm->srk = ESYS_TR_NONE;
	tpm->srk_transient = false;
}

void fwg_tpm_end_session(struct fwg_tpm *tpm)
{
	fwg_tpm_session_close(tpm);
}

bool fwg_tpm_srk_pinned(const struct fwg_tpm *tpm, struct fwg_tpm_srk_pin *ret)
{
	if (tpm->pinned && ret)
		*ret = tpm->pin;
	return tpm->pinned;
}

/*
 * Provisioning records the key the anchor proved. An existing pin stays:
 * the anchor was already checked against it, and a pin that changes on
 * request would let anyone who can run provision re-pin a fake TPM.
 */
int fwg_tpm_srk_pin_record(struct fwg_tpm *tpm, struct fwg_tpm_srk_pin *ret)
{
	struct fwg_tpm_srk_pin pin = { 0 };
	TPM2B_NAME *name = NULL;
	ESYS_TR session;
	TSS2_RC rc;
	int err;

	err = fwg_tpm_session(tpm, 0, &session);
	if (err || tpm->pinned) {
		if (!err)
			*ret = tpm->pin;
		return err;
	}
	rc = Esys_TR_GetName(tpm->esys, tpm->srk, &name);
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("reading the SRK's name", rc);
	pin.handle = tpm->srk_transient ? 0 : FWG_TPM_SRK_HANDLE;
	pin.name_size = name->size <= FWG_TPM_NAME_MAX ? name->size : 0;
	memcpy(pin.name, name->name, pin.name_size);
	Esys_Free(name);
	if (pin.name_size < 34)
		return -EOPNOTSUPP;
	err = pin_write(tpm->state_dir, &pin);
	if (err)
		return err;
	tpm->pin = pin;
	tpm->pinned = true;
	*ret = pin;
	return 0;
}
