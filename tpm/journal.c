// SPDX-License-Identifier: GPL-2.0-only
/*
 * The journal: <state_dir>/tickets, one entry per line (the tickets this
 * device consumed, the components it adopted: userspace/lib/ticket_log.c
 * and abstate.c say what an entry holds), anchored in the NV extend index
 * FWG_TPM_JOURNAL_NV_INDEX. Each entry is appended to the file, then
 * extended into the index, which so holds H(...H(H(0 || e1) || e2)...)
 * over the entries from the file's last "journal " line on (its genesis,
 * written at provisioning, naming the SHA-256 of the lines before it:
 * tickets logged before the journal existed). Root can edit the file, not
 * the index: a file truncated, rolled back or edited no longer replays to
 * the index's value, and every use of it fails closed (FWG_TPM_E_JOURNAL).
 * The last entry may be missing from the index (a cut between the append
 * and the extend): it counts as written, and the next append extends it
 * first. TPM.md "Journal".
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tpm/tpm-internal.h"
#include "userspace/common/fileio.h"

#define JOURNAL_MAX	(4u << 20)
#define GENESIS		"journal "
#define ENTRY_MAX	256

static const struct fwg_nv_desc journal_nv = {
	.index = FWG_TPM_JOURNAL_NV_INDEX, .type = TPM2_NT_EXTEND, .size = FWG_DIGEST_SIZE,
	.what = "journal", .legacy = false,
};

struct journal {
	char path[PATH_MAX];
	char *buf;		/* the file up to its last complete line, NUL-terminated */
	size_t len;
	size_t genesis;		/* offset of the last genesis line; len: none */
	size_t last;		/* offset of the last line; len: empty */
	bool torn;		/* bytes after the last newline: a cut append */
};

static size_t line_len(const struct journal *j, size_t off)
{
	return (size_t)(strchr(j->buf + off, '\n') - (j->buf + off));
}

static void journal_scan(struct journal *j)
{
	size_t off;

	j->genesis = j->last = j->len;
	for (off = 0; off < j->len; off += line_len(j, off) + 1) {
		j->last = off;
		if (!strncmp(j->buf + off, GENESIS, strlen(GENESIS)))
			j->genesis = off;
	}
}

static int journal_load(struct fwg_tpm *tpm, struct journal *j)
{
	uint8_t *raw = NULL;
	size_t n = 0;
	int err;

	memset(j, 0, sizeof(*j));
	if ((size_t)snprintf(j->path, sizeof(j->path), "%s/tickets",
			     fwg_tpm_state_dir(tpm)) >= sizeof(j->path))
		return -ENAMETOOLONG;
	err = fwg_read_file(j->path, JOURNAL_MAX, &raw, &n);
	if (err && err != -ENOENT) {
		fwg_tpm_log("cannot read the journal %s: %s", j->path, strerror(-err));
		return err == -EIO ? FWG_TPM_E_STATE_IO : err;	/* the disk, not the TPM */
	}
	j->buf = calloc(1, n + 1);
	if (!j->buf) {
		free(raw);
		return -ENOMEM;
	}
	if (n)
		memcpy(j->buf, raw, n);
	free(raw);
	if (memchr(j->buf, '\0', n)) {
		fwg_tpm_log("the journal %s holds a NUL byte", j->path);
		free(j->buf);
		return FWG_TPM_E_JOURNAL;
	}
	j->len = n;
	while (j->len && j->buf[j->len - 1] != '\n')
		j->len--;
	j->torn = j->len != n;
	j->buf[j->len] = '\0';
	journal_scan(j);
	return 0;
}

/* The index's value after the entries from the genesis line up to @end. */
static int journal_replay(const struct journal *j, size_t end, uint8_t v[FWG_DIGEST_SIZE])
{
	uint8_t next[FWG_DIGEST_SIZE];
	size_t off, n;
	int err = 0;

	memset(v, 0, FWG_DIGEST_SIZE);
	for (off = j->genesis; !err && off < end; off += n + 1) {
		n = line_len(j, off);
		err = fwg_sha256(v, FWG_DIGEST_SIZE, j->buf + off, n, next);
		memcpy(v, next, FWG_DIGEST_SIZE);
	}
	return err;
}

/* The genesis line names the lines before it. */
static bool genesis_holds(const struct journal *j)
{
	uint8_t d[FWG_DIGEST_SIZE];
	char hex[2 * FWG_DIGEST_SIZE + 1];

	if (j->genesis >= j->len || fwg_sha256(j->buf, j->genesis, NULL, 0, d))
		return false;
	fwg_hex_encode(d, sizeof(d), hex);
	return line_len(j, j->genesis) == strlen(GENESIS) + strlen(hex) &&
	       !memcmp(j->buf + j->genesis + strlen(GENESIS), hex, strlen(hex));
}

/* The index's value: read once per context, then advanced by its extends. */
static int journal_value(struct fwg_tpm *tpm, uint8_t have[FWG_DIGEST_SIZE])
{
	int err = 0;

	if (!tpm->journal_known)
		err = fwg_tpm_nv_read(tpm, tpm->journal_nv, FWG_DIGEST_SIZE, tpm->journal_value);
	tpm->journal_known = !err;
	if (!err)
		memcpy(have, tpm->journal_value, FWG_DIGEST_SIZE);
	return err;
}

/* The file replays to the index: all of it, or all but a last entry (*pending). */
static int journal_verify(struct fwg_tpm *tpm, const struct journal *j, bool *pending)
{
	uint8_t have[FWG_DIGEST_SIZE], want[FWG_DIGEST_SIZE];
	int err;

	*pending = false;
	err = journal_value(tpm, have);
	if (err || !genesis_holds(j))
		goto out;
	err = journal_replay(j, j->len, want);
	if (err || !memcmp(want, have, sizeof(have)))
		return err;
	*pending = j->last > j->genesis;
	if (*pending && !journal_replay(j, j->last, want) && !memcmp(want, have, sizeof(have)))
		return 0;
out:
	if (err)
		return err;
	fwg_tpm_log("the journal %s does not match the TPM's NV index 0x%08x: it was "
		    "truncated, rolled back or edited; refusing to use it (restore the "
		    "file, or see TPM.md \"Journal\")", j->path, FWG_TPM_JOURNAL_NV_INDEX);
	return FWG_TPM_E_JOURNAL;
}

static int journal_nv_open(struct fwg_tpm *tpm, bool quiet)
{
	ESYS_TR nv = ESYS_TR_NONE;
	bool written = false;
	int err;

	if (tpm->journal_opened)
		return 0;
	err = fwg_tpm_nv_open(tpm, &journal_nv, &nv, &written);
	if (!err && !written) {
		Esys_TR_Close(tpm->esys, &nv);
		err = FWG_TPM_E_NOT_PROVISIONED;
	}
	tpm->journal_opened = !err;
	if (!err)
		tpm->journal_nv = nv;
	if (err == FWG_TPM_E_NOT_PROVISIONED && !quiet)
		fwg_tpm_log("journal NV index 0x%08x is not defined or never initialised; run "
			    "'updatectl tpm provision'", FWG_TPM_JOURNAL_NV_INDEX);
	return err;
}

/* The verified journal; free @j->buf after. */
static int journal_open(struct fwg_tpm *tpm, struct journal *j, bool *pending, bool quiet)
{
	int err;

	err = journal_nv_open(tpm, quiet);
	if (err)
		return err;
	err = journal_load(tpm, j);
	if (!err) {
		err = journal_verify(tpm, j, pending);
		if (err)
			free(j->buf);
	}
	return err;
}

static int nv_extend(struct fwg_tpm *tpm, ESYS_TR nv, const char *data, size_t n)
{
	TPM2B_MAX_NV_BUFFER buf = { .size = (UINT16)n };
	ESYS_TR session;
	TSS2_RC rc;
	int err;

	if (n > sizeof(buf.buffer))
		return -E2BIG;
	memcpy(buf.buffer, data, n);
	/* In the salted session: a dropped or faked extend shows. */
	err = fwg_tpm_session(tpm, 0, &session);
	if (err)
		return err;
	rc = FWG_TPM_CALL(Esys_NV_Extend(tpm->esys, nv, nv, session, ESYS_TR_NONE,
					 ESYS_TR_NONE, &buf));
	if (rc != TSS2_RC_SUCCESS)
		return fwg_tpm_fail("extending the journal NV index", rc);
	return 0;
}

/* Extend the context's journal index, and its known value with it. */
static int journal_extend(struct fwg_tpm *tpm, const char *data, size_t n)
{
	int err = nv_extend(tpm, tpm->journal_nv, data, n);

	if (!err)
		err = fwg_sha256(tpm->journal_value, FWG_DIGEST_SIZE, data, n,
				 tpm->journal_value);
	if (err)
		tpm->journal_known = false;	/* read again before the next use */
	return err;
}

/* Append @line and a newline durably, after dropping a torn tail. */
static int journal_append(const struct journal *j, const char *line)
{
	int fd, err = 0;

	fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (j->torn && ftruncate(fd, (off_t)j->len) < 0)
		err = -errno;
	if (!err)
		err = write_all(fd, line, strlen(line));
	if (!err)
		err = write_all(fd, "\n", 1);
	if (!err && fsync(fd) < 0)
		err = -errno;
	close(fd);
	if (err)
		fwg_tpm_log("cannot append to the journal %s: %s", j->path, strerror(-err));
	return err == -EIO ? FWG_TPM_E_STATE_IO : err;	/* the disk, not the TPM */
}

int fwg_tpm_journal_find(struct fwg_tpm *tpm, const char *prefix, char *line, size_t size)
{
	size_t off, n, plen = strlen(prefix);
	struct journal j;
	bool pending;
	int err, found = 0;

	err = journal_open(tpm, &j, &pending, true);
	if (err)
		return err;
	for (off = 0; off < j.len; off += n + 1) {
		n = line_len(&j, off);
		if (n < plen || memcmp(j.buf + off, prefix, plen) ||
		    (n > plen && j.buf[off + plen] != ' '))
			continue;
		found = 1;
		if (line && size)
			snprintf(line, size, "%.*s", (int)n, j.buf + off);
	}
	free(j.buf);
	return found;
}

static bool entry_valid(const char *entry)
{
	size_t i, n = strlen(entry);

	if (!n || n >= ENTRY_MAX || !strncmp(entry, GENESIS, strlen(GENESIS)))
		return false;
	for (i = 0; i < n; i++)
		if (entry[i] < 0x20 || entry[i] > 0x7e)
			return false;
	return true;
}

int fwg_tpm_journal_add(struct fwg_tpm *tpm, const char *entry)
{
	struct journal j;
	bool pending;
	int err;

	if (!entry_valid(entry))
		return -EINVAL;
	err = journal_open(tpm, &j, &pending, false);
	if (err)
		return err;
	if (pending)	/* a cut after the last append: extend it first */
		err = journal_extend(tpm, j.buf + j.last, line_len(&j, j.last));
	if (!err)
		err = journal_append(&j, entry);
	if (!err)
		err = journal_extend(tpm, entry, strlen(entry));
	free(j.buf);
	return err;
}

/*
 * A fresh index: the file's last line is a genesis line when an earlier
 * provisioning was cut before its extend; else a new one goes at the end,
 * naming everything before it.
 */
static int journal_start(struct fwg_tpm *tpm, ESYS_TR nv)
{
	char line[sizeof(GENESIS) + 2 * FWG_DIGEST_SIZE];
	uint8_t d[FWG_DIGEST_SIZE];
	struct journal j;
	int err;

	err = journal_load(tpm, &j);
	if (err)
		return err;
	if (j.genesis >= j.len || j.genesis != j.last || !genesis_holds(&j)) {
		err = fwg_sha256(j.buf, j.len, NULL, 0, d);
		memcpy(line, GENESIS, strlen(GENESIS));
		fwg_hex_encode(d, sizeof(d), line + strlen(GENESIS));
		if (!err)
			err = fwg_mkdir_p(fwg_tpm_state_dir(tpm), 0700);
		if (!err)
			err = journal_append(&j, line);
	} else {
		snprintf(line, sizeof(line), "%.*s", (int)line_len(&j, j.last), j.buf + j.last);
	}
	free(j.buf);
	return err ? err : nv_extend(tpm, nv, line, strlen(line));
}

int fwg_tpm_journal_provision(struct fwg_tpm *tpm)
{
	ESYS_TR nv = ESYS_TR_NONE;
	bool written = false;
	int err;

	err = fwg_tpm_nv_open(tpm, &journal_nv, &nv, &written);
	if (err == FWG_TPM_E_NOT_PROVISIONED)
		err = fwg_tpm_nv_define(tpm, &journal_nv, &nv);
	if (!err && !written)
		err = journal_start(tpm, nv);
	if (nv != ESYS_TR_NONE)
		Esys_TR_Close(tpm->esys, &nv);
	return err;
}
