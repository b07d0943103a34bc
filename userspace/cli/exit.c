// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one mapping from failures to exit codes (the table in updatectl(8)).
 * A failure is the step's source plus the errno; within a source a few
 * errnos mean something else than the source's default: a trust store that
 * cannot be read is I/O, not a refused signature; a PCR mismatch is a
 * refused verification, not a TPM failure. Running out of memory is an
 * unexpected failure from any source.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tpm/tpm.h"
#include "userspace/cli/command.h"
#include "userspace/common/log.h"
#include "userspace/lib/json.h"

/* A file named on the command line: missing or unreadable, or not what it should be. */
static int input_exit(int err)
{
	switch (err) {
	case -EINVAL: case -ENOPKG: case -EBADMSG: case -ENAMETOOLONG:
		return UC_EXIT_USAGE;
	default:
		return UC_EXIT_IO;
	}
}

/* The stored slot state: refused when corrupt, I/O when unreadable. */
static int state_exit(int err)
{
	return err == -EBADMSG ? UC_EXIT_VERIFY : UC_EXIT_IO;
}

static int network_exit(int err)
{
	switch (err) {
	case -EINVAL: case -ENAMETOOLONG:
		return UC_EXIT_USAGE;		/* not an https URL, no server_url */
	case -EFBIG:
		return UC_EXIT_VERIFY;		/* more bytes than the ticket allows */
	default:
		return UC_EXIT_IO;		/* TLS, HTTP, timeouts, disk */
	}
}

static int verify_exit(int err)
{
	switch (err) {
	case -ENOENT: case -EIO: case -ENODATA: case -ENOSPC:
		return UC_EXIT_IO;		/* trust store or bundle unreadable */
	default:
		return UC_EXIT_VERIFY;
	}
}

static int tpm_exit(int err)
{
	switch (err) {
	case -EINVAL: case -EPERM:
		return UC_EXIT_USAGE;		/* PCR index, names */
	case FWG_TPM_E_UNTRUSTED:
		return UC_EXIT_UNTRUSTED;	/* fake TPM, replaced SRK, interposer */
	case FWG_TPM_E_PCR_MISMATCH: case FWG_TPM_E_DIGEST_MISMATCH:
	case FWG_TPM_E_STALE: case -E2BIG:
	case -ENOKEY:	/* no vendor approval, or one by another key */
	case FWG_TPM_E_JOURNAL:	/* the journal file does not replay to its index */
		return UC_EXIT_VERIFY;
	case FWG_TPM_E_NO_BLOB: case FWG_TPM_E_BAD_BLOB: case FWG_TPM_E_STATE_IO: case -EACCES:
	case -ENOSPC: case -EROFS: case -ENAMETOOLONG:
		return UC_EXIT_IO;		/* sealed records and the event log */
	default:
		return UC_EXIT_TPM;		/* unreachable, no bank, TPM-side failure */
	}
}

/* The update session: the kernel's refusal of a ticket or image is a refusal. */
static int gate_exit(int err)
{
	switch (err) {
	case -EPERM: case -ETXTBSY: case -EBUSY: case -ENOENT: case -ENODEV:
		return UC_EXIT_KERNEL;
	case -EIO: case -ENOSPC:
		return UC_EXIT_IO;
	default:
		return UC_EXIT_VERIFY;
	}
}

/* The bootloader: a bad setting is usage, a record it cannot trust a refusal. */
static int boot_exit(int err)
{
	switch (err) {
	case -EINVAL:
		return UC_EXIT_USAGE;		/* bootloader, paths, a slot name */
	case -EBADMSG: case -ENODATA:
		return UC_EXIT_VERIFY;		/* corrupt env, no or two fwguard.slot= */
	default:
		return UC_EXIT_IO;		/* env unreadable or unwritable, exec failed */
	}
}

int uc_exit_code(enum uc_source source, int err)
{
	if (!err)
		return UC_EXIT_OK;
	if (err == -ENOMEM)
		return UC_EXIT_FAILURE;
	switch (source) {
	case UC_SRC_USAGE: return UC_EXIT_USAGE;
	case UC_SRC_INPUT: return input_exit(err);
	case UC_SRC_FILE: return UC_EXIT_IO;
	case UC_SRC_STATE: return state_exit(err);
	case UC_SRC_LOCK: return err == -EBUSY ? UC_EXIT_BUSY : UC_EXIT_FAILURE;
	case UC_SRC_NETWORK: return network_exit(err);
	case UC_SRC_VERIFY: return verify_exit(err);
	case UC_SRC_TPM: return tpm_exit(err);
	case UC_SRC_KERNEL: return UC_EXIT_KERNEL;
	case UC_SRC_GATE: return gate_exit(err);
	case UC_SRC_BOOT: return boot_exit(err);
	}
	return UC_EXIT_FAILURE;
}

const char *uc_exit_name(int code)
{
	static const char *const names[] = {
		[UC_EXIT_OK] = "ok", [UC_EXIT_FAILURE] = "failure", [UC_EXIT_USAGE] = "usage",
		[UC_EXIT_VERIFY] = "verify", [UC_EXIT_TPM] = "tpm", [UC_EXIT_KERNEL] = "kernel",
		[UC_EXIT_IO] = "io", [UC_EXIT_BUSY] = "busy", [UC_EXIT_FALLBACK] = "fallback",
		[UC_EXIT_UNTRUSTED] = "untrusted",
	};

	if (code < 0 || code >= (int)(sizeof(names) / sizeof(names[0])) || !names[code])
		return "failure";
	return names[code];
}

int uc_fail(const struct uc_args *args, const struct uc_step *step, int err)
{
	int code = uc_exit_code(step->source, err);
	const char *message = fwg_log_first();
	struct json_writer w;

	if (!args->json)
		return code;
	json_doc_begin(&w, stdout);
	json_key(&w, "error");
	json_object_begin(&w);
	json_kv_int(&w, "code", code);
	json_kv_string(&w, "name", uc_exit_name(code));
	json_kv_string(&w, "step", step->name);
	json_kv_string(&w, "message", *message ? message : strerror(-err));
	json_object_end(&w);
	json_doc_end(&w);
	return code;
}
