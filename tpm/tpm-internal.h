/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals shared by the tpm/ source files: the context layout, return-code
 * decoding, the bounded retry wrapper and small helpers. Nothing outside
 * tpm/ includes this header.
 */
#ifndef FWGUARD_TPM_INTERNAL_H
#define FWGUARD_TPM_INTERNAL_H

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tcti.h>

#include "tpm/tpm.h"
#include "userspace/common/fileio.h"
#include "userspace/common/log.h"

struct fwg_tpm {
	/*
	 * A pass-through TCTI stacked on the real one so that every command,
	 * including those ESYS sends on its own (ReadPublic behind
	 * Esys_TR_FromTPMPublic), is counted and timed in one place. Must
	 * stay the first member: ESYS hands its address back to us.
	 */
	TSS2_TCTI_CONTEXT_COMMON_V2 counting_tcti;
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	char *state_dir;
	unsigned int pcr;
	bool sha256_bank_checked;
	unsigned long commands;
	uint64_t tpm_ns;
	uint64_t sent_ns;
	uint32_t trace[FWG_TPM_TRACE_MAX];	/* command codes, in order */
	fwg_tpm_command_hook hook;
	void *hook_arg;
	uint32_t last_cc;		/* command code of the command in flight */
	fwg_tpm_response_hook rsp_hook;
	void *rsp_hook_arg;
	char *tcti_conf;		/* for messages naming the TPM */
	/*
	 * transport.c: each command must be answered within timeout_s of its
	 * transmit (deadline_ns, CLOCK_MONOTONIC). A context whose TPM did
	 * not answer in time, or whose transport failed, is lost: reported
	 * once (not while closing), and no command goes out again.
	 * tcti_left_behind: a call that did not end even when cancelled may
	 * still use the TCTI.
	 */
	unsigned int timeout_s;
	uint64_t deadline_ns;
	bool lost;
	bool closing;
	bool tcti_left_behind;
	/*
	 * The trust anchor (session.c): the storage key, checked against the
	 * provisioned pin, and an HMAC session salted to it with AES-128-CFB
	 * parameter encryption. Every command whose parameters or response
	 * matter runs in it, so a TPM without that key's private part cannot
	 * answer them.
	 */
	ESYS_TR srk;
	bool srk_transient;
	ESYS_TR session;
	bool pinned;
	struct fwg_tpm_srk_pin pin;
	bool has_vendor_key;		/* records must be vendor-authorised */
	struct fwg_vendor_key vendor_key;
	/*
	 * journal.c: the journal index's handle (checked when opened) and its
	 * value, read once per context in the salted session and then advanced
	 * by this context's own extends; ESYS frees the handle at close.
	 */
	bool journal_opened;
	ESYS_TR journal_nv;
	bool journal_known;
	uint8_t journal_value[FWG_DIGEST_SIZE];
};

#define FWG_TPM_RETRIES 4

/*
 * Run one ESYS call, resubmitting it a bounded number of times while the
 * TPM answers RETRY, TESTING or YIELDED. ESYS already resubmits a few times
 * itself; this outer loop adds a back-off so a TPM busy with self-tests
 * after power-on gets a moment.
 */
#define FWG_TPM_CALL(call) ({					\
	TSS2_RC rc_;						\
	unsigned int attempt_ = 0;				\
	do							\
		rc_ = (call);					\
	while (fwg_tpm_retry_wait(rc_, attempt_++));		\
	rc_;							\
})

bool fwg_tpm_retry_wait(TSS2_RC rc, unsigned int attempt);
TSS2_RC fwg_tpm_rc_base(TSS2_RC rc);
int fwg_tpm_rc_errno(TSS2_RC rc);
bool fwg_tpm_rc_warning(TSS2_RC rc);
/*
 * Log "@what failed: <rc>" once and return fwg_tpm_rc_errno(@rc); nothing is
 * logged for FWG_TPM_E_UNAVAILABLE, which the transport reported already.
 */
int fwg_tpm_fail(const char *what, TSS2_RC rc);
/* fwg_log_error() with a "tpm: " prefix, so TPM failures read as such. */
void fwg_tpm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fwg_tpm_flush(struct fwg_tpm *tpm, ESYS_TR *handle);
/*
 * transport.c: the real TCTI, every call bounded by the TPM timeout (see
 * there). Open logs its failure and returns 0 or FWG_TPM_E_UNAVAILABLE.
 */
int fwg_tpm_transport_open(struct fwg_tpm *tpm);
void fwg_tpm_transport_close(struct fwg_tpm *tpm);
TSS2_RC fwg_tpm_transmit(struct fwg_tpm *tpm, size_t size, const uint8_t *command);
TSS2_RC fwg_tpm_receive(struct fwg_tpm *tpm, size_t *size, uint8_t *response,
			int32_t timeout);
uint64_t fwg_tpm_now_ns(void);	/* CLOCK_MONOTONIC */
void fwg_tpm_pcr_selection(unsigned int pcr, TPML_PCR_SELECTION *sel);
int fwg_tpm_require_sha256_bank(struct fwg_tpm *tpm);
int fwg_tpm_storage_parent(struct fwg_tpm *tpm, ESYS_TR *parent, bool *transient);
int fwg_tpm_storage_parent_named(struct fwg_tpm *tpm, const TPM2B_NAME *want,
				 ESYS_TR *parent, bool *transient);
void fwg_tpm_release_parent(struct fwg_tpm *tpm, ESYS_TR *parent, bool transient);
int fwg_tpm_srk_lookup(struct fwg_tpm *tpm, ESYS_TR *ret);
void fwg_tpm_ecc_template(TPM2B_PUBLIC *pub, TPMA_OBJECT use);
int fwg_tpm_create(struct fwg_tpm *tpm, ESYS_TR parent, ESYS_TR session,
		   const TPM2B_SENSITIVE_CREATE *sensitive, const TPM2B_PUBLIC *template,
		   TPM2B_PRIVATE **priv, TPM2B_PUBLIC **pub, const char *what);
int fwg_tpm_create_primary(struct fwg_tpm *tpm, ESYS_TR hierarchy,
			   const TPM2B_PUBLIC *template, ESYS_TR *ret,
			   TPM2B_PUBLIC **pub, const char *what);
int fwg_tpm_srk_create_primary(struct fwg_tpm *tpm, ESYS_TR *ret);
/* session.c: the salted session with @attrs (TPMA_SESSION_DECRYPT, _ENCRYPT,
 * _AUDIT) for the next command; the anchor is set up on first use. */
int fwg_tpm_session(struct fwg_tpm *tpm, TPMA_SESSION attrs, ESYS_TR *ret);
void fwg_tpm_session_close(struct fwg_tpm *tpm);
bool fwg_tpm_name_equal(const TPM2B_NAME *a, const uint8_t *name, size_t size);
int fwg_eventlog_append(const char *state_dir, unsigned int pcr,
			const struct fwg_tpm_subject *subject,
			const uint8_t before[FWG_DIGEST_SIZE],
			const uint8_t after[FWG_DIGEST_SIZE]);
/*
 * floor.c: the floor index, checked to be fwguard's written counter, and
 * its TPM name (for PolicyNV). Close @nv with Esys_TR_Close().
 */
int fwg_tpm_floor_nv(struct fwg_tpm *tpm, ESYS_TR *nv, TPM2B_NAME *name);

/* One of fwguard's NV indices (floor.c): the floor, the journal. */
struct fwg_nv_desc {
	uint32_t index;
	TPM2_NT type;		/* TPM2_NT_COUNTER, TPM2_NT_EXTEND */
	uint16_t size;
	const char *what;	/* for messages: "version floor" */
	bool legacy;		/* an earlier provisioning's form exists (the floor) */
	bool vendor;		/* has vendor forms, raised only with the vendor approval (the floor) */
};

/*
 * floor.c: open the index @d names after checking its name (type,
 * attributes, policy: an impostor is -EEXIST); FWG_TPM_E_NOT_PROVISIONED
 * when it does not exist. Define it, platform hierarchy first, as the
 * floor is. Read @size bytes in the salted session.
 */
int fwg_tpm_nv_open(struct fwg_tpm *tpm, const struct fwg_nv_desc *d, ESYS_TR *nv,
		    bool *written);
int fwg_tpm_nv_define(struct fwg_tpm *tpm, const struct fwg_nv_desc *d, ESYS_TR *nv);
int fwg_tpm_nv_read(struct fwg_tpm *tpm, ESYS_TR nv, uint16_t size, uint8_t *buf);
/* approval.c: H(@policy || TPM_CC_PolicyNV || H(version BE || 0 || UNSIGNED_LE)
 * || @nv_name), in place: "floor <= version", checked by the TPM. */
int fwg_policy_nv_floor(uint8_t policy[FWG_DIGEST_SIZE], uint64_t version,
			const TPM2B_NAME *nv_name);
/*
 * approval.c, the floor approval (TPM.md "Raising the floor only with the
 * vendor's signature"): the index's authPolicy under @key_name, the fixed
 * policyRef, the policy the vendor approves for a raise to @version on the
 * index named @nv_name, and H(approved || policyRef), which it signs.
 */
int fwg_floor_auth_policy(const uint8_t key_name[FWG_TPM_NAME_SIZE], TPM2B_DIGEST *policy);
void fwg_floor_policy_branches(uint8_t approve[FWG_DIGEST_SIZE], uint8_t del[FWG_DIGEST_SIZE],
			       uint8_t init[FWG_DIGEST_SIZE], const uint8_t key_name[FWG_TPM_NAME_SIZE]);
int fwg_floor_policy_ref(uint8_t ref[FWG_DIGEST_SIZE]);
int fwg_floor_approved(const TPM2B_NAME *nv_name, uint64_t version,
		       uint8_t approved[FWG_DIGEST_SIZE], uint8_t ahash[FWG_DIGEST_SIZE]);
/* floor.c: the TPM name of the vendor form @form of the (written) floor index. */
int fwg_floor_vendor_name(const uint8_t key_name[FWG_TPM_NAME_SIZE], int form, TPM2B_NAME *name);
/* approval.c: the public area LoadExternal gives the TPM for the key. */
void fwg_vendor_key_public(const struct fwg_vendor_key *key, TPM2B_PUBLIC *pub);
/* sealed_format.c: the blob file and the sealed payload. */
size_t fwg_sealed_payload_build(const struct fwg_tpm_subject *s, uint8_t *buf, size_t size);
int fwg_sealed_payload_parse(const uint8_t *buf, size_t len, struct fwg_tpm_subject *s);
int fwg_sealed_blob_load(const char *state_dir, const char *component, const char *slot,
			 struct fwg_tpm_sealed_info *info, TPM2B_PUBLIC *pub,
			 TPM2B_PRIVATE *priv);
int fwg_sealed_blob_store(const char *state_dir, const struct fwg_tpm_sealed_info *info,
			  const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv);
int fwg_sha256(const void *a, size_t alen, const void *b, size_t blen,
	       uint8_t out[FWG_DIGEST_SIZE]);

#endif /* FWGUARD_TPM_INTERNAL_H */
