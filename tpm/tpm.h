/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fwguard TPM layer: the public interface of tpm/. One struct fwg_tpm owns
 * the TCTI and the ESYS context for the lifetime of one updatectl command;
 * everything else (PCR measurement and event log, sealing to the predicted
 * next-boot PCR value, unseal-and-compare, the NV security-version floor) is
 * an operation on that context. tpm/TPM.md documents the on-disk and in-TPM
 * formats these functions produce.
 *
 * All functions return 0 or a negative errno and write out-parameters only
 * on success. The errors a caller must tell apart are named below.
 */
#ifndef FWGUARD_TPM_H
#define FWGUARD_TPM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userspace/common/defaults.h"
#include "userspace/common/hex.h"

#define FWG_TPM_SRK_HANDLE		0x81000001u
/* Owner range of the TCG handle registry; "FW" in the low half. */
#define FWG_TPM_FLOOR_NV_INDEX		0x01004657u
/* "FX": the journal's NV extend index (journal.c, TPM.md "Journal"). */
#define FWG_TPM_JOURNAL_NV_INDEX	0x01004658u
/* Most increments one floor raise may cost, see TPM.md "Version floor". */
#define FWG_TPM_FLOOR_MAX_STEP		1024u

/* Most components measured into one PCR before the one being sealed. */
#define FWG_TPM_EARLIER_MAX		8
#define FWG_COMPONENT_MAX		32
#define FWG_SLOT_MAX			16

/* Errors with a meaning of their own. */
#define FWG_TPM_E_UNAVAILABLE	(-ENODEV)	/* no TPM, TCTI failed, connection lost */
#define FWG_TPM_E_PCR_MISMATCH	(-EKEYREJECTED)	/* PCR not in the sealed (predicted) state */
#define FWG_TPM_E_DIGEST_MISMATCH (-EMEDIUMTYPE) /* slot holds another image than sealed */
#define FWG_TPM_E_NO_BLOB	(-ENOENT)	/* nothing sealed for this component and slot */
#define FWG_TPM_E_BAD_BLOB	(-EBADMSG)	/* sealed blob corrupt or not ours */
#define FWG_TPM_E_NO_BANK	(-EOPNOTSUPP)	/* SHA-256 PCR bank not allocated */
#define FWG_TPM_E_STALE		(-ESTALE)	/* floor would move down */
#define FWG_TPM_E_NOT_PROVISIONED (-ENXIO)	/* floor or journal NV index missing */
/* The journal file does not replay to its NV index: truncated, rolled back, edited. */
#define FWG_TPM_E_JOURNAL	(-ENOTRECOVERABLE)
#define FWG_TPM_E_STATE_IO	(-EREMOTEIO)	/* the SRK pin file could not be read */
/* Not the provisioned TPM: its SRK is not the pinned one, or a response
 * failed the salted session's authentication (fake TPM, interposer). */
#define FWG_TPM_E_UNTRUSTED	(-EBADE)

struct fwg_tpm;

/* The vendor's ECC NIST P-256 policy key (public part): x and y, big endian. */
struct fwg_vendor_key {
	uint8_t x[32], y[32];
};

struct fwg_tpm_options {
	const char *tcti;	/* NULL or "": $FWGUARD_TCTI, else FWG_DEFAULT_TCTI */
	/*
	 * Set: every record is vendor-authorised (TPM.md "Vendor-authorised
	 * sealing"): sealing needs the vendor's approval, and records sealed
	 * without one, or against another key, are refused at unseal.
	 */
	const struct fwg_vendor_key *vendor_key;
	const char *state_dir;	/* NULL: FWG_DEFAULT_STATE_DIR */
	int pcr;		/* < 0: FWG_DEFAULT_PCR */
	bool allow_resettable_pcr; /* tests only: permit PCR 16 and 23 */
	/*
	 * Seconds the TPM has to answer one command, and to be reached;
	 * 0: FWG_DEFAULT_TPM_TIMEOUT_S. Past it the TPM is unavailable
	 * (FWG_TPM_E_UNAVAILABLE) for the rest of the context.
	 */
	unsigned int timeout_s;
};

/* What one measurement or one sealed record is about. */
struct fwg_tpm_subject {
	char component[FWG_COMPONENT_MAX + 1];	/* [A-Za-z0-9._-]+ */
	char slot[FWG_SLOT_MAX + 1];		/* [A-Za-z0-9._-]+ */
	uint64_t version;			/* security version */
	uint8_t digest[FWG_DIGEST_SIZE];	/* SHA-256 of the image */
};

#define FWG_TPM_NAME_SIZE	(2 + FWG_DIGEST_SIZE)

/*
 * The vendor's approval of one release's measurement state: an ECDSA
 * P-256 signature by the vendor's policy key over
 * aHash = H(approvedPolicy || policyRef), where approvedPolicy is PolicyPCR
 * over the PCR value predicted after the release's extend and policyRef
 * names its component and security version (TPM.md).
 */
/* The floor index under a vendor key: defined by the platform, or by the owner. */
#define FWG_FLOOR_FORM_PLATFORM	0
#define FWG_FLOOR_FORM_OWNER	1
#define FWG_FLOOR_FORMS		2

struct fwg_tpm_approval {
	unsigned int pcr;
	uint8_t key_name[FWG_TPM_NAME_SIZE];	/* TPM name of the signing key */
	uint8_t sig_r[32], sig_s[32];
	/*
	 * The vendor's floor approval for the same release (approval file
	 * format 2, TPM.md "Raising the floor only with the vendor's
	 * signature"): "increment the floor while it is below this version",
	 * signed once for each form of the floor index.
	 */
	bool has_floor;
	uint8_t floor_r[FWG_FLOOR_FORMS][32], floor_s[FWG_FLOOR_FORMS][32];
};

/* What the vendor signs, derived from (PCR, component, version, digest). */
struct fwg_approval_digests {
	uint8_t predicted[FWG_DIGEST_SIZE];	/* PCR after the extend, from zero */
	uint8_t approved[FWG_DIGEST_SIZE];	/* PolicyPCR over it */
	uint8_t policy_ref[FWG_DIGEST_SIZE];
	uint8_t ahash[FWG_DIGEST_SIZE];		/* H(approved || policy_ref): signed */
};

/* A sealed record as stored in the state directory (no TPM needed). */
struct fwg_tpm_sealed_info {
	struct fwg_tpm_subject subject;
	/* Format 2: sealed under PolicyAuthorize with the vendor's approval. */
	bool authorized;
	struct fwg_vendor_key vendor_key;
	struct fwg_tpm_approval approval;
	unsigned int pcr;
	uint8_t predicted_pcr[FWG_DIGEST_SIZE];
	uint64_t sealed_at;	/* seconds since the epoch */
	uint16_t parent_name_size;
	uint8_t parent_name[2 + FWG_DIGEST_SIZE]; /* storage parent's TPM name */
};

/* The storage key provisioning recorded (<state-dir>/srk.pin, TPM.md). */
#define FWG_TPM_NAME_MAX	(2 + 64)
struct fwg_tpm_srk_pin {
	uint32_t handle;	/* FWG_TPM_SRK_HANDLE, or 0: the transient ECC primary */
	uint16_t name_size;
	uint8_t name[FWG_TPM_NAME_MAX];	/* TPM name: nameAlg || H(public) */
};

/* Command codes remembered per context (benchmark listing). */
#define FWG_TPM_TRACE_MAX	64

/* Called after every TPM command the context sends (tests, benchmarks). */
typedef void (*fwg_tpm_command_hook)(void *arg, unsigned long commands);
/* Sees (and may alter) every response before ESYS does: fault injection of
 * a bus interposer in tests. */
typedef void (*fwg_tpm_response_hook)(void *arg, uint32_t command_code,
				      uint8_t *response, size_t size);

/* context.c */
int fwg_tpm_open(const struct fwg_tpm_options *opts, struct fwg_tpm **ret);
void fwg_tpm_close(struct fwg_tpm *tpm);
unsigned int fwg_tpm_pcr_index(const struct fwg_tpm *tpm);
const char *fwg_tpm_state_dir(const struct fwg_tpm *tpm);
void fwg_tpm_stats(const struct fwg_tpm *tpm, unsigned long *commands, uint64_t *tpm_ns);
size_t fwg_tpm_command_trace(const struct fwg_tpm *tpm, uint32_t *codes,
			     size_t max);
const char *fwg_tpm_command_name(uint32_t code);
void fwg_tpm_set_command_hook(struct fwg_tpm *tpm, fwg_tpm_command_hook hook, void *arg);
void fwg_tpm_set_response_hook(struct fwg_tpm *tpm, fwg_tpm_response_hook hook, void *arg);
const char *fwg_tpm_tcti(const struct fwg_tpm *tpm);
/* The TCTI is not the kernel's TPM device (flagged in status and errors). */
bool fwg_tpm_tcti_is_foreign(const char *tcti);
int fwg_tpm_lockout_counter(struct fwg_tpm *tpm, uint32_t *ret);
int fwg_tpm_loaded_handles(struct fwg_tpm *tpm, uint32_t *objects,
			   uint32_t *sessions);
int fwg_tpm_check_pcr_index(int pcr, bool allow_resettable);
bool fwg_tpm_subject_name_valid(const char *name, size_t max);

/* pcr.c */
int fwg_tpm_pcr_read(struct fwg_tpm *tpm, uint8_t value[FWG_DIGEST_SIZE]);
/* On a file errno (-EROFS, -ENOSPC, ...) the PCR *was* extended and only
 * the event log lags: do not measure again. */
int fwg_tpm_measure(struct fwg_tpm *tpm, const struct fwg_tpm_subject *subject);
int fwg_tpm_predict_boot_pcr(const uint8_t digest[FWG_DIGEST_SIZE],
			     uint8_t predicted[FWG_DIGEST_SIZE]);
int fwg_tpm_predict_boot_pcr_after(const uint8_t (*earlier)[FWG_DIGEST_SIZE],
				   size_t n_earlier,
				   const uint8_t digest[FWG_DIGEST_SIZE],
				   uint8_t predicted[FWG_DIGEST_SIZE]);

/* eventlog.c */
int fwg_eventlog_replay(const char *state_dir, unsigned int pcr,
			uint8_t value[FWG_DIGEST_SIZE], unsigned int *events);

/* seal.c (TPM operations) and sealed_format.c (the files) */
int fwg_tpm_seal(struct fwg_tpm *tpm, const struct fwg_tpm_subject *subject);
/* For a PCR shared by several components: earlier = the digests boot-verify
 * extends into it before this component's, in order. */
int fwg_tpm_seal_after(struct fwg_tpm *tpm, const struct fwg_tpm_subject *subject,
		       const uint8_t (*earlier)[FWG_DIGEST_SIZE], size_t n_earlier);
/* Records are kept per (component, slot): sealing one slot never touches
 * the record of the other, which a fallback boot still needs. */
int fwg_tpm_unseal_verify(struct fwg_tpm *tpm, const char *component,
			  const char *slot, const uint8_t measured[FWG_DIGEST_SIZE],
			  struct fwg_tpm_subject *ret);
int fwg_sealed_info_read(const char *state_dir, const char *component,
			 const char *slot, struct fwg_tpm_sealed_info *ret);
/* <state_dir>/sealed/<component>@<slot>.seal */
int fwg_sealed_blob_path(const char *state_dir, const char *component,
			 const char *slot, char **ret);
/* Called per record file: @err is fwg_sealed_info_read()'s, @info valid if 0. */
typedef void (*fwg_sealed_record_fn)(void *ctx, const char *component, const char *slot,
				     int err, const struct fwg_tpm_sealed_info *info);
/* Every record in the state directory, sorted by file name. 0 or -errno. */
int fwg_sealed_list(const char *state_dir, fwg_sealed_record_fn fn, void *ctx);

/*
 * Vendor-authorised sealing: the record's authPolicy is PolicyAuthorize
 * against the context's vendor key, and @approval (checked in software
 * first: -EKEYREJECTED, -ENOKEY for another key) is kept in the blob for
 * the TPM to check at every unseal. -ENOKEY: no vendor key configured.
 */
int fwg_tpm_seal_approved(struct fwg_tpm *tpm, const struct fwg_tpm_subject *subject,
			  const struct fwg_tpm_approval *approval);
/* The context's vendor key, or NULL: records are not vendor-authorised. */
const struct fwg_vendor_key *fwg_tpm_vendor_key(const struct fwg_tpm *tpm);

/* approval.c: no TPM commands. */
#define FWG_APPROVAL_FILE_SIZE_V1	(8 + FWG_TPM_NAME_SIZE + 64)	/* format 1 */
#define FWG_APPROVAL_FILE_SIZE	(FWG_APPROVAL_FILE_SIZE_V1 + FWG_FLOOR_FORMS * 64)	/* the largest */
int fwg_tpm_policy_pcr(unsigned int pcr, const uint8_t predicted[FWG_DIGEST_SIZE],
		       uint8_t policy[FWG_DIGEST_SIZE]);
int fwg_approval_digests(unsigned int pcr, const struct fwg_tpm_subject *s,
			 struct fwg_approval_digests *ret);
int fwg_approval_auth_policy(const uint8_t key_name[FWG_TPM_NAME_SIZE],
			     const uint8_t ref[FWG_DIGEST_SIZE],
			     uint8_t policy[FWG_DIGEST_SIZE]);
/* A PEM public (or private) key file; -EINVAL: unreadable, or not ECC NIST P-256. */
int fwg_vendor_key_read(const char *path, struct fwg_vendor_key *ret);
int fwg_vendor_key_name(const struct fwg_vendor_key *key, uint8_t name[FWG_TPM_NAME_SIZE]);
/* Build host: sign (component, version, digest) for @pcr with a PEM key. */
int fwg_approval_sign(const char *key_path, unsigned int pcr,
		      const struct fwg_tpm_subject *s, struct fwg_tpm_approval *ret);
/* 0, -ENOKEY (signed by another key) or -EKEYREJECTED (not for @s). */
int fwg_approval_check(const struct fwg_vendor_key *key, const struct fwg_tpm_approval *a,
		       const struct fwg_tpm_subject *s);
/* Format 2 when @a has the floor approval, else format 1; returns the length. */
size_t fwg_approval_encode(const struct fwg_tpm_approval *a, uint8_t buf[FWG_APPROVAL_FILE_SIZE]);
/*
 * The floor part of @a for raising the floor to at most @version on the
 * index form @form, checked in software against @key: 0, -ENOKEY (none, or
 * another key), -EKEYREJECTED (not the vendor's signature for @version).
 */
int fwg_floor_approval_check(const struct fwg_vendor_key *key, const struct fwg_tpm_approval *a,
			     uint64_t version, int form);
int fwg_approval_decode(const uint8_t *buf, size_t len, struct fwg_tpm_approval *ret);
/* The file @path: 0, -EBADMSG (not an approval file) or the errno of reading it. */
int fwg_approval_read(const char *path, struct fwg_tpm_approval *ret);

/* floor.c */
int fwg_tpm_floor_provision(struct fwg_tpm *tpm);
/*
 * As fwg_tpm_floor_provision(); @platform (may be NULL) tells whether the
 * index is the platform-created one root cannot undefine (TPM.md "Version
 * floor"), or the owner-created one defined when the platform hierarchy
 * was already closed. The index of an earlier provisioning is -EEXIST.
 */
int fwg_tpm_floor_provision_report(struct fwg_tpm *tpm, bool *platform);
int fwg_tpm_floor_read(struct fwg_tpm *tpm, uint64_t *ret);
/* As fwg_tpm_floor_read(); @platform: the index is the platform-created form. */
int fwg_tpm_floor_read_report(struct fwg_tpm *tpm, uint64_t *ret, bool *platform);
/* As fwg_tpm_floor_read(), but an undefined index is returned unlogged. */
int fwg_tpm_floor_read_quiet(struct fwg_tpm *tpm, uint64_t *ret);
int fwg_tpm_floor_raise(struct fwg_tpm *tpm, uint64_t version, uint64_t *ret);
/*
 * Raise the floor to @version with the vendor's floor approval @a of
 * release version @approved (>= @version; TPM.md "Raising the floor only
 * with the vendor's signature"). With a vendor key in the context the
 * approval is required (-ENOKEY without one or by another key,
 * -EKEYREJECTED for another version) and, on the vendor form of the
 * index, checked by the TPM itself. Without a vendor key @a is ignored
 * (fwg_tpm_floor_raise() is this with no approval).
 */
int fwg_tpm_floor_raise_approved(struct fwg_tpm *tpm, uint64_t version,
				 const struct fwg_tpm_approval *a, uint64_t approved,
				 uint64_t *ret);

/*
 * journal.c: <state_dir>/tickets, one entry per line, anchored in the NV
 * extend index FWG_TPM_JOURNAL_NV_INDEX (TPM.md "Journal"). Every call
 * first checks that the file replays to the index: FWG_TPM_E_JOURNAL
 * (logged) when it does not, FWG_TPM_E_NOT_PROVISIONED (logged by add
 * only) without the index.
 */
/* Defines the index (platform hierarchy first) and starts it; idempotent.
 * fwg_tpm_floor_provision() calls it. */
int fwg_tpm_journal_provision(struct fwg_tpm *tpm);
/* 1 when an entry is @prefix, or @prefix followed by a space (the last such
 * entry copied to @line, may be NULL), 0 when none is, or -errno. */
int fwg_tpm_journal_find(struct fwg_tpm *tpm, const char *prefix, char *line, size_t size);
/* Append @entry (printable ASCII, no newline, < 256 bytes) durably, then
 * extend it into the index. -EINVAL for an entry that is not one. */
int fwg_tpm_journal_add(struct fwg_tpm *tpm, const char *entry);

/* eventlog.c: one event of a replay, as the log records it. */
struct fwg_eventlog_event {
	unsigned int line;		/* 1-based line number in the log */
	bool starts_chain;		/* "before" is zero: first extend after a TPM reset */
	struct fwg_tpm_subject subject;	/* component, slot, version, digest extended */
};

/* Called for each event of the PCR replayed, in log order; non-zero stops. */
typedef int (*fwg_eventlog_fn)(void *ctx, const struct fwg_eventlog_event *ev);

/* Longest event log read or carried in a quote. */
#define FWG_EVENTLOG_MAX	(16u << 20)

/* The replay of fwg_eventlog_replay() over a log in memory (the verifier's
 * copy); @fn may be NULL. 0, -EBADMSG (malformed line) or @fn's error. */
int fwg_eventlog_replay_text(const uint8_t *text, size_t len, unsigned int pcr,
			     uint8_t value[FWG_DIGEST_SIZE], unsigned int *events,
			     fwg_eventlog_fn fn, void *ctx);
/* The whole log, malloc()ed (empty, *buf NULL, if there is none). */
int fwg_eventlog_read(const char *state_dir, uint8_t **buf, size_t *len);

/*
 * attest.c and quote_format.c: remote attestation (TPM.md "Attestation").
 * A quote is what `updatectl attest` writes for a verifier: the AK's
 * public area, the TPMS_ATTEST the TPM signed, the signature and the event
 * log, each as the TSS marshals it.
 */
#define FWG_NONCE_MIN		16	/* bytes of the verifier's nonce */
#define FWG_NONCE_MAX		32
#define FWG_QUOTE_PART_MAX	1024

struct fwg_quote {
	unsigned int pcr;
	uint16_t ak_public_len, attest_len, signature_len;
	uint8_t ak_public[FWG_QUOTE_PART_MAX];	/* TPM2B_PUBLIC */
	uint8_t attest[FWG_QUOTE_PART_MAX];	/* TPMS_ATTEST, the signed bytes */
	uint8_t signature[FWG_QUOTE_PART_MAX];	/* TPMT_SIGNATURE */
	uint8_t *eventlog;			/* the device's event log */
	size_t eventlog_len;
};

/* The AK's TPM2B_PUBLIC (what the vendor enrols). */
int fwg_tpm_ak_public(struct fwg_tpm *tpm, uint8_t buf[FWG_QUOTE_PART_MAX],
		      uint16_t *len);
/* TPM2_Quote of the context's PCR with @nonce as qualifyingData, plus the
 * event log. -EINVAL for a nonce outside FWG_NONCE_MIN..MAX bytes. */
int fwg_tpm_quote(struct fwg_tpm *tpm, const uint8_t *nonce, size_t nonce_len,
		  struct fwg_quote *ret);
/* The quote file: encode into a malloc()ed buffer; decode strictly
 * (-EBADMSG for anything but exactly one well-formed quote file). */
int fwg_quote_encode(const struct fwg_quote *q, uint8_t **buf, size_t *len);
int fwg_quote_decode(const uint8_t *buf, size_t len, struct fwg_quote *ret);
void fwg_quote_release(struct fwg_quote *q);
/* The TPM name of a TPM2B_PUBLIC with nameAlg SHA-256. 0 or -EBADMSG. */
int fwg_tpm_public_name(const uint8_t *tpm2b_public, size_t len,
			uint8_t name[FWG_TPM_NAME_SIZE]);

/* srk.c */
int fwg_tpm_srk_persist(struct fwg_tpm *tpm, bool *created);
int fwg_tpm_srk_present(struct fwg_tpm *tpm, bool *ret);

/* session.c: the SRK pin. -ENOENT: none recorded. */
int fwg_tpm_srk_pin_read(const char *state_dir, struct fwg_tpm_srk_pin *ret);
/* Provisioning: record the storage key this TPM proved (kept if present). */
int fwg_tpm_srk_pin_record(struct fwg_tpm *tpm, struct fwg_tpm_srk_pin *ret);
/* The pin this context checks against; false when there is none. */
bool fwg_tpm_srk_pinned(const struct fwg_tpm *tpm, struct fwg_tpm_srk_pin *ret);
/* Flush the salted session (and a transient SRK) now rather than at close;
 * the next command starts a new one. */
void fwg_tpm_end_session(struct fwg_tpm *tpm);

/*
 * tlskey.c: the device's mutual-TLS client key (TPM.md "TLS client key"),
 * persistent at FWG_TPM_TLS_KEY_HANDLE unless configured elsewhere.
 */
#define FWG_TPM_TLS_KEY_HANDLE	0x81004654u	/* "FT": fwguard TLS */
struct fwg_tpm_tls_key {
	uint32_t handle;
	uint32_t attributes;		/* TPMA_OBJECT */
	uint8_t x[32], y[32];		/* the public point, big endian */
};
/* In the owner's persistent range and not the SRK's handle. */
bool fwg_tpm_tls_key_handle_valid(uint32_t handle);
/*
 * Create the key under the storage parent and make it persistent at
 * @handle; a TLS key already there is kept (*created false), anything
 * else there is -EEXIST. Logged.
 */
int fwg_tpm_tls_key_create(struct fwg_tpm *tpm, uint32_t handle, struct fwg_tpm_tls_key *ret,
			   bool *created);
/*
 * The key at @handle: FWG_TPM_E_NOT_PROVISIONED when there is none,
 * FWG_TPM_E_UNTRUSTED when the object there is not a non-exportable
 * P-256 signing key (not fixedTPM, fixedParent, sensitiveDataOrigin,
 * unrestricted sign), -EINVAL for a handle outside the range. Logged.
 */
int fwg_tpm_tls_key_read(struct fwg_tpm *tpm, uint32_t handle, struct fwg_tpm_tls_key *ret);

/* sha256.c */
int fwg_sha256_file(const char *path, uint8_t digest[FWG_DIGEST_SIZE]);

#endif /* FWGUARD_TPM_H */
