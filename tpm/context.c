// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TPM context: owns the TCTI (loaded with Tss2_TctiLdr from --tcti,
 * $FWGUARD_TCTI or device:/dev/tpmrm0, every call into it bounded by the
 * TPM timeout in transport.c), a counting pass-through TCTI on top of it,
 * and the ESYS context. Also home of return-code decoding, the
 * bounded retry policy and the few TPM queries that belong to no other file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tss2/tss2_rc.h>

#include "tpm/tpm-internal.h"

#define COUNTING_TCTI_MAGIC 0x6677677463746931ull	/* "fwgtcti1" */

void fwg_tpm_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fwg_log_verror("tpm: ", fmt, ap);
	va_end(ap);
}

/* Strip layer and handle/parameter/session numbers so codes compare. */
TSS2_RC fwg_tpm_rc_base(TSS2_RC rc)
{
	TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;

	if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER)
		return rc;
	rc &= 0xffff;
	if (rc & TPM2_RC_FMT1)
		return rc & (TPM2_RC_FMT1 | 0x3f);
	return rc;
}

/*
 * A TPM warning (format 0 with TPM_RC_WARN: OBJECT_MEMORY, NV_RATE,
 * LOCKOUT, RETRY...) describes the TPM's condition, not the command's
 * operands; the same command can succeed later. Never evidence that an
 * object or a signature is bad.
 */
bool fwg_tpm_rc_warning(TSS2_RC rc)
{
	TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
	TSS2_RC base = rc & 0xffff;

	return (layer == TSS2_TPM_RC_LAYER || layer == TSS2_RESMGR_TPM_RC_LAYER) &&
	       !(base & TPM2_RC_FMT1) && (base & 0xf00) == TPM2_RC_WARN;
}

/* Transport failures mean "no TPM"; anything else is a TPM-side failure. */
int fwg_tpm_rc_errno(TSS2_RC rc)
{
	TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
	TSS2_RC base = rc & 0xffff;

	if (layer == TSS2_TCTI_RC_LAYER)
		return FWG_TPM_E_UNAVAILABLE;
	/*
	 * ESYS refuses every command after an exchange failed below the TPM
	 * (the transport was lost or timed out): the TPM is still unavailable,
	 * which says nothing about the objects or the command at hand.
	 */
	if (rc == TSS2_ESYS_RC_BAD_SEQUENCE || rc == TSS2_SYS_RC_BAD_SEQUENCE)
		return FWG_TPM_E_UNAVAILABLE;
	/*
	 * The salted session did not authenticate: ESYS rejected the
	 * response HMAC, or the TPM rejected the command HMAC (a TPM that
	 * lacks the SRK's private key derives another session key; an
	 * interposer altered the command or a name ESYS holds). Our sessions
	 * carry empty authValues, so no wrong password can cause this.
	 */
	if (rc == TSS2_ESYS_RC_RSP_AUTH_FAILED)
		return FWG_TPM_E_UNTRUSTED;
	if ((layer == TSS2_TPM_RC_LAYER || layer == TSS2_RESMGR_TPM_RC_LAYER) &&
	    (base & TPM2_RC_FMT1) && (base & TPM2_RC_S) &&
	    ((base & (TPM2_RC_FMT1 | 0x3f)) == TPM2_RC_AUTH_FAIL ||
	     (base & (TPM2_RC_FMT1 | 0x3f)) == TPM2_RC_BAD_AUTH))
		return FWG_TPM_E_UNTRUSTED;
	if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER &&
	    (base == TSS2_BASE_RC_IO_ERROR || base == TSS2_BASE_RC_NO_CONNECTION))
		return FWG_TPM_E_UNAVAILABLE;
	return -EIO;
}

int fwg_tpm_fail(const char *what, TSS2_RC rc)
{
	int err = fwg_tpm_rc_errno(rc);

	/* A lost TPM was reported once, naming the TCTI, by transport.c. */
	if (err == FWG_TPM_E_UNAVAILABLE)
		return err;
	if (err == FWG_TPM_E_UNTRUSTED)
		fwg_tpm_log("%s: the session salted to the SRK did not authenticate "
			    "(%s): the TPM is not the one holding the SRK, or an "
			    "interposer altered the exchange", what, Tss2_RC_Decode(rc));
	else
		fwg_tpm_log("%s failed: %s", what, Tss2_RC_Decode(rc));
	return err;
}

bool fwg_tpm_retry_wait(TSS2_RC rc, unsigned int attempt)
{
	TSS2_RC base = fwg_tpm_rc_base(rc);
	struct timespec pause;

	if (rc == TSS2_RC_SUCCESS || attempt + 1 >= FWG_TPM_RETRIES)
		return false;
	if (base != TPM2_RC_RETRY && base != TPM2_RC_TESTING &&
	    base != TPM2_RC_YIELDED)
		return false;
	pause.tv_sec = 0;
	pause.tv_nsec = 20L * 1000 * 1000 << attempt;	/* 20, 40, 80 ms */
	nanosleep(&pause, NULL);
	return true;
}

void fwg_tpm_flush(struct fwg_tpm *tpm, ESYS_TR *handle)
{
	TSS2_RC rc;

	if (*handle == ESYS_TR_NONE)
		return;
	rc = FWG_TPM_CALL(Esys_FlushContext(tpm->esys, *handle));
	if (rc != TSS2_RC_SUCCESS) {
		/* Nothing left to do: the resource manager or the next TPM
		 * reset reclaims it. Say so, since slots are scarce, unless
		 * the TPM is lost (reported once, by transport.c). */
		if (fwg_tpm_rc_errno(rc) != FWG_TPM_E_UNAVAILABLE)
			fwg_tpm_log("flushing transient handle failed: %s",
				    Tss2_RC_Decode(rc));
		Esys_TR_Close(tpm->esys, handle);
	}
	*handle = ESYS_TR_NONE;
}

static struct fwg_tpm *from_tcti(TSS2_TCTI_CONTEXT *tcti)
{
	return (struct fwg_tpm *)tcti;	/* counting_tcti is the first member */
}

static TSS2_RC counting_transmit(TSS2_TCTI_CONTEXT *tcti, size_t size,
				 const uint8_t *command)
{
	struct fwg_tpm *tpm = from_tcti(tcti);

	/* Header: tag (2), size (4), command code (4), big endian. */
	if (size >= 10)
		tpm->last_cc = (uint32_t)command[6] << 24 | (uint32_t)command[7] << 16 |
			       (uint32_t)command[8] << 8 | command[9];
	if (size >= 10 && tpm->commands < FWG_TPM_TRACE_MAX)
		tpm->trace[tpm->commands] = tpm->last_cc;
	tpm->sent_ns = fwg_tpm_now_ns();
	return fwg_tpm_transmit(tpm, size, command);
}

static TSS2_RC counting_receive(TSS2_TCTI_CONTEXT *tcti, size_t *size,
				uint8_t *response, int32_t timeout)
{
	struct fwg_tpm *tpm = from_tcti(tcti);
	TSS2_RC rc;

	rc = fwg_tpm_receive(tpm, size, response, timeout);
	/* ESYS first asks for the size with a NULL buffer: not a new command. */
	if (response == NULL || rc == TSS2_TCTI_RC_TRY_AGAIN)
		return rc;
	tpm->commands++;
	tpm->tpm_ns += fwg_tpm_now_ns() - tpm->sent_ns;
	if (tpm->rsp_hook && rc == TSS2_RC_SUCCESS)
		tpm->rsp_hook(tpm->rsp_hook_arg, tpm->last_cc, response, *size);
	if (tpm->hook)
		tpm->hook(tpm->hook_arg, tpm->commands);
	return rc;
}

static void counting_finalize(TSS2_TCTI_CONTEXT *tcti)
{
	/* The real TCTI is finalized by fwg_tpm_close(). */
}

/*
 * ESYS's synchronous calls use none of the four below. A lost context
 * passes none of them on: a call left behind may still be in its TCTI.
 */
static TSS2_TCTI_CONTEXT *below(TSS2_TCTI_CONTEXT *tcti)
{
	struct fwg_tpm *tpm = from_tcti(tcti);

	return tpm->lost ? NULL : tpm->tcti;
}

static TSS2_RC counting_cancel(TSS2_TCTI_CONTEXT *tcti)
{
	return Tss2_Tcti_Cancel(below(tcti));
}

static TSS2_RC counting_get_poll_handles(TSS2_TCTI_CONTEXT *tcti,
					 TSS2_TCTI_POLL_HANDLE *handles,
					 size_t *count)
{
	return Tss2_Tcti_GetPollHandles(below(tcti), handles, count);
}

static TSS2_RC counting_set_locality(TSS2_TCTI_CONTEXT *tcti, uint8_t locality)
{
	return Tss2_Tcti_SetLocality(below(tcti), locality);
}

static TSS2_RC counting_make_sticky(TSS2_TCTI_CONTEXT *tcti, TPM2_HANDLE *handle,
				    uint8_t sticky)
{
	return Tss2_Tcti_MakeSticky(below(tcti), handle, sticky);
}

static void counting_tcti_init(struct fwg_tpm *tpm)
{
	TSS2_TCTI_CONTEXT_COMMON_V2 *c = &tpm->counting_tcti;

	c->v1.magic = COUNTING_TCTI_MAGIC;
	c->v1.version = 2;
	c->v1.transmit = counting_transmit;
	c->v1.receive = counting_receive;
	c->v1.finalize = counting_finalize;
	c->v1.cancel = counting_cancel;
	c->v1.getPollHandles = counting_get_poll_handles;
	c->v1.setLocality = counting_set_locality;
	c->makeSticky = counting_make_sticky;
}

int fwg_tpm_check_pcr_index(int pcr, bool allow_resettable)
{
	if (pcr < 0 || pcr > 23) {
		fwg_tpm_log("PCR %d out of range 0..23", pcr);
		return -EINVAL;
	}
	/* 16 (debug) and 23 (application) can be reset by any process,
	 * which would let root replay the predicted boot value at will. */
	if ((pcr == 16 || pcr == 23) && !allow_resettable) {
		fwg_tpm_log("PCR %d is resettable and refused outside tests", pcr);
		return -EPERM;
	}
	return 0;
}

bool fwg_tpm_subject_name_valid(const char *name, size_t max)
{
	size_t len = strnlen(name, max + 1);
	size_t i;

	if (len == 0 || len > max || name[0] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static void quiet_tss_logging(void)
{
	/* We decode and report every failure once ourselves; the TSS's own
	 * ERROR lines would repeat them in a different voice. An explicit
	 * TSS2_LOG from the user still wins. */
	setenv("TSS2_LOG", "all+NONE", 0);
}

static int context_connect(struct fwg_tpm *tpm)
{
	TSS2_RC rc;
	int err;

	err = fwg_tpm_transport_open(tpm);
	if (err)
		return err;
	counting_tcti_init(tpm);
	rc = Esys_Initialize(&tpm->esys, (TSS2_TCTI_CONTEXT *)&tpm->counting_tcti,
			     NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tpm->esys = NULL;
		return fwg_tpm_fail("ESYS initialisation", rc);
	}
	return 0;
}

/* A pin that exists but does not parse trusts no TPM (fail closed). */
static int pin_load(struct fwg_tpm *tpm)
{
	int err = fwg_tpm_srk_pin_read(tpm->state_dir, &tpm->pin);

	if (err == -ENOENT)
		return 0;
	/*
	 * Fail closed either way: a pin that does not parse trusts no TPM; a
	 * pin the disk cannot deliver (a read error) is reported as that, not
	 * as a TPM that is not the provisioned one.
	 */
	if (err == -EIO)
		return FWG_TPM_E_STATE_IO;
	if (err)
		return err == -ENOMEM ? err : FWG_TPM_E_UNTRUSTED;
	tpm->pinned = true;
	return 0;
}

/*
 * Only the kernel's TPM device is expected in production. Any other TCTI
 * (a socket, a command) is honoured, since the string is no boundary: root
 * can as well mount a vTPM proxy or CUSE device at /dev/tpmrm0. The SRK pin
 * is the check; this only flags the setting in status and errors.
 */
bool fwg_tpm_tcti_is_foreign(const char *tcti)
{
	return strcmp(tcti, "device:/dev/tpmrm0") && strcmp(tcti, "device:/dev/tpm0") &&
	       strcmp(tcti, "device") && strcmp(tcti, "device:");
}

const char *fwg_tpm_tcti(const struct fwg_tpm *tpm)
{
	return tpm->tcti_conf;
}

const struct fwg_vendor_key *fwg_tpm_vendor_key(const struct fwg_tpm *tpm)
{
	return tpm->has_vendor_key ? &tpm->vendor_key : NULL;
}

int fwg_tpm_open(const struct fwg_tpm_options *opts, struct fwg_tpm **ret)
{
	const char *tcti_conf = opts->tcti;
	int pcr = opts->pcr < 0 ? FWG_DEFAULT_PCR : opts->pcr;
	struct fwg_tpm *tpm;
	int err;

	err = fwg_tpm_check_pcr_index(pcr, opts->allow_resettable_pcr);
	if (err)
		return err;
	if (!tcti_conf || !*tcti_conf)
		tcti_conf = getenv(FWG_TCTI_ENV);
	if (!tcti_conf || !*tcti_conf)
		tcti_conf = FWG_DEFAULT_TCTI;

	tpm = calloc(1, sizeof(*tpm));
	if (!tpm)
		return -ENOMEM;
	tpm->pcr = (unsigned int)pcr;
	tpm->timeout_s = opts->timeout_s ? opts->timeout_s : FWG_DEFAULT_TPM_TIMEOUT_S;
	tpm->srk = ESYS_TR_NONE;
	tpm->session = ESYS_TR_NONE;
	if (opts->vendor_key) {
		tpm->has_vendor_key = true;
		tpm->vendor_key = *opts->vendor_key;
	}
	tpm->state_dir = strdup(opts->state_dir ? opts->state_dir :
				FWG_DEFAULT_STATE_DIR);
	tpm->tcti_conf = strdup(tcti_conf);
	if (!tpm->state_dir || !tpm->tcti_conf) {
		fwg_tpm_close(tpm);
		return -ENOMEM;
	}
	err = pin_load(tpm);
	if (err) {
		fwg_tpm_close(tpm);
		return err;
	}
	quiet_tss_logging();
	err = context_connect(tpm);
	if (err) {
		fwg_tpm_close(tpm);
		return err;
	}
	*ret = tpm;
	return 0;
}

void fwg_tpm_close(struct fwg_tpm *tpm)
{
	if (!tpm)
		return;
	if (tpm->esys) {
		/* Nothing depends on these flushes: a TPM lost now goes unsaid. */
		tpm->closing = true;
		fwg_tpm_session_close(tpm);
		Esys_Finalize(&tpm->esys);
	}
	fwg_tpm_transport_close(tpm);
	free(tpm->state_dir);
	free(tpm->tcti_conf);
	free(tpm);
}

unsigned int fwg_tpm_pcr_index(const struct fwg_tpm *tpm)
{
	return tpm->pcr;
}

const char *fwg_tpm_state_dir(const struct fwg_tpm *tpm)
{
	return tpm->state_dir;
}

void fwg_tpm_stats(const struct fwg_tpm *tpm, unsigned long *commands,
		   uint64_t *tpm_ns)
{
	if (commands)
		*commands = tpm->commands;
	if (tpm_ns)
		*tpm_ns = tpm->tpm_ns;
}

size_t fwg_tpm_command_trace(const struct fwg_tpm *tpm, uint32_t *codes,
			     size_t max)
{
	size_t n = tpm->commands < FWG_TPM_TRACE_MAX ? tpm->commands :
		   FWG_TPM_TRACE_MAX;

	if (n > max)
		n = max;
	memcpy(codes, tpm->trace, n * sizeof(*codes));
	return n;
}

/* Names of the commands this library sends; others print as hex. */
const char *fwg_tpm_command_name(uint32_t code)
{
	static const struct { uint32_t code; const char *name; } names[] = {
		{ TPM2_CC_PCR_Read, "PCR_Read" },
		{ TPM2_CC_PCR_Extend, "PCR_Extend" },
		{ TPM2_CC_ReadPublic, "ReadPublic" },
		{ TPM2_CC_CreatePrimary, "CreatePrimary" },
		{ TPM2_CC_Create, "Create" },
		{ TPM2_CC_Load, "Load" },
		{ TPM2_CC_StartAuthSession, "StartAuthSession" },
		{ TPM2_CC_PolicyPCR, "PolicyPCR" },
		{ TPM2_CC_LoadExternal, "LoadExternal" },
		{ TPM2_CC_VerifySignature, "VerifySignature" },
		{ TPM2_CC_PolicyAuthorize, "PolicyAuthorize" },
		{ TPM2_CC_PolicyNV, "PolicyNV" },
		{ TPM2_CC_Unseal, "Unseal" },
		{ TPM2_CC_FlushContext, "FlushContext" },
		{ TPM2_CC_NV_ReadPublic, "NV_ReadPublic" },
		{ TPM2_CC_NV_Read, "NV_Read" },
		{ TPM2_CC_NV_Increment, "NV_Increment" },
		{ TPM2_CC_NV_DefineSpace, "NV_DefineSpace" },
		{ TPM2_CC_NV_Extend, "NV_Extend" },
		{ TPM2_CC_PolicyOR, "PolicyOR" },
		{ TPM2_CC_PolicyNvWritten, "PolicyNvWritten" },
		{ TPM2_CC_PolicyCommandCode, "PolicyCommandCode" },
		{ TPM2_CC_EvictControl, "EvictControl" },
		{ TPM2_CC_GetCapability, "GetCapability" },
		{ TPM2_CC_Quote, "Quote" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == code)
			return names[i].name;
	return "other";
}

void fwg_tpm_set_response_hook(struct fwg_tpm *tpm, fwg_tpm_response_hook hook,
			       void *arg)
{
	tpm->rsp_hook = hook;
	tpm->rsp_hook_arg = arg;
}

void fwg_tpm_set_command_hook(struct fwg_tpm *tpm, fwg_tpm_command_hook hook,
			      void *arg)
{
	tpm->hook = hook;
	tpm->hook_arg = arg;
}

int fwg_tpm_lockout_counter(struct fwg_tpm *tpm, uint32_t *ret)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMS_TAGGED_PROPERTY *prop;
	TPMI_YES_NO more;
	TSS2_RC rc;
	int err = 0;

	rc = FWG_TPM_CALL(Esys_GetCapability(tpm->esys, ESYS_TR_NONE,
					     ESYS_TR_NONE, ESYS_TR_NONE,
					     TPM2_CAP_TPM_PROPERTIES,
					     TPM2_PT_LOCKOUT_COUNTER, 1,
					     &more, &cap));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("reading the lockout counter", rc);
	prop = &cap->data.tpmProperties.tpmProperty[0];
	if (cap->data.tpmProperties.count < 1 ||
	    prop->property != TPM2_PT_LOCKOUT_COUNTER) {
		fwg_tpm_log("TPM did not report TPM_PT_LOCKOUT_COUNTER");
		err = -EIO;
	} else {
		*ret = prop->value;
	}
	Esys_Free(cap);
	return err;
}

static int count_handles(struct fwg_tpm *tpm, TPM2_HT type, uint32_t *ret)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;

	rc = FWG_TPM_CALL(Esys_GetCapability(tpm->esys, ESYS_TR_NONE,
					     ESYS_TR_NONE, ESYS_TR_NONE,
					     TPM2_CAP_HANDLES, (UINT32)type << 24,
					     TPM2_MAX_CAP_HANDLES, &more, &cap));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("listing loaded handles", rc);
	*ret = cap->data.handles.count;
	Esys_Free(cap);
	return 0;
}

/* Loaded transient objects and sessions: proves nothing leaks. */
int fwg_tpm_loaded_handles(struct fwg_tpm *tpm, uint32_t *objects,
			   uint32_t *sessions)
{
	uint32_t o = 0, s = 0;
	int err;

	err = count_handles(tpm, TPM2_HT_TRANSIENT, &o);
	if (!err)
		err = count_handles(tpm, TPM2_HT_LOADED_SESSION, &s);
	if (err)
		return err;
	*objects = o;
	*sessions = s;
	return 0;
}
