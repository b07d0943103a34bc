// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fwguard event log: one text line per PCR extend, appended to
 * <state-dir>/eventlog, so that a verifier can recompute the measurement
 * PCR from the log and compare it with the TPM (format in TPM.md "Event
 * log"). Appends are a single write() on an O_APPEND descriptor followed by
 * fsync, so concurrent writers never interleave inside a line.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tpm/tpm-internal.h"
#include "userspace/common/number.h"

#define EVENTLOG_NAME	"eventlog"
#define EVENTLOG_MAX	FWG_EVENTLOG_MAX	/* bounded read; years of updates */
#define LINE_MAX_LEN	512

static int eventlog_path(const char *state_dir, char *buf, size_t size)
{
	if (snprintf(buf, size, "%s/%s", state_dir, EVENTLOG_NAME) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

int fwg_eventlog_append(const char *state_dir, unsigned int pcr,
			const struct fwg_tpm_subject *subject,
			const uint8_t before[FWG_DIGEST_SIZE],
			const uint8_t after[FWG_DIGEST_SIZE])
{
	char path[PATH_MAX], line[LINE_MAX_LEN];
	char digest_hex[2 * FWG_DIGEST_SIZE + 1], before_hex[2 * FWG_DIGEST_SIZE + 1];
	char after_hex[2 * FWG_DIGEST_SIZE + 1];
	int fd, len, err;
	ssize_t n;

	err = eventlog_path(state_dir, path, sizeof(path));
	if (!err)
		err = fwg_mkdir_p(state_dir, 0700);
	if (err) {
		fwg_tpm_log("cannot prepare state directory %s: %s", state_dir,
			    strerror(-err));
		return err;
	}
	fwg_hex_encode(subject->digest, FWG_DIGEST_SIZE, digest_hex);
	fwg_hex_encode(before, FWG_DIGEST_SIZE, before_hex);
	fwg_hex_encode(after, FWG_DIGEST_SIZE, after_hex);
	len = snprintf(line, sizeof(line),
		       "v1 time=%lld pcr=%u alg=sha256 digest=%s before=%s after=%s "
		       "component=%s slot=%s version=%" PRIu64 "\n",
		       (long long)time(NULL), pcr, digest_hex, before_hex, after_hex,
		       subject->component, subject->slot, subject->version);
	if (len < 0 || len >= (int)sizeof(line))
		return -EOVERFLOW;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	n = write(fd, line, (size_t)len);
	if (n != len)
		err = n < 0 ? -errno : -EIO;
	else if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	if (!err)
		return 0;
fail:
	/* The PCR was extended already; the log now lags the TPM and a
	 * replay will say so. Nothing to undo: PCRs only move forward. */
	fwg_tpm_log("PCR extended but event log %s not written: %s", path,
		    strerror(-err));
	return err;
}

struct event {
	unsigned int pcr;
	uint8_t before[FWG_DIGEST_SIZE];
	struct fwg_eventlog_event pub;
};

/* "key=value" with the expected key; returns the value or NULL. */
static const char *field(const char *token, const char *key)
{
	size_t klen = strlen(key);

	if (!token || strncmp(token, key, klen) || token[klen] != '=')
		return NULL;
	return token + klen + 1;
}

static bool is_decimal(const char *text)
{
	size_t i, len = strlen(text);

	if (len == 0 || len > 20)
		return false;
	for (i = 0; i < len; i++)
		if (text[i] < '0' || text[i] > '9')
			return false;
	return true;
}

/* Strict: exactly the v1 fields, in order, each well-formed. */
static int parse_event(char *line, struct event *ev)
{
	uint8_t after[FWG_DIGEST_SIZE];
	const char *keys[] = { "time", "pcr", "alg", "digest", "before", "after",
			       "component", "slot", "version" };
	const char *val[9];
	char *save = NULL, *tok;
	uint64_t pcr;
	size_t i;

	tok = strtok_r(line, " ", &save);
	if (!tok || strcmp(tok, "v1"))
		return -EBADMSG;
	for (i = 0; i < 9; i++) {
		val[i] = field(strtok_r(NULL, " ", &save), keys[i]);
		if (!val[i])
			return -EBADMSG;
	}
	if (strtok_r(NULL, " ", &save) || strcmp(val[2], "sha256"))
		return -EBADMSG;
	if (fwg_parse_u64(val[1], &pcr) || pcr > 23)
		return -EBADMSG;
	ev->pcr = (unsigned int)pcr;
	if (!is_decimal(val[0]) || !is_decimal(val[8]) ||
	    fwg_parse_u64(val[8], &ev->pub.subject.version) ||
	    !fwg_tpm_subject_name_valid(val[6], FWG_COMPONENT_MAX) ||
	    !fwg_tpm_subject_name_valid(val[7], FWG_SLOT_MAX) ||
	    fwg_hex_decode_digest(val[3], ev->pub.subject.digest) ||
	    fwg_hex_decode_digest(val[4], ev->before) ||
	    fwg_hex_decode_digest(val[5], after))
		return -EBADMSG;
	strcpy(ev->pub.subject.component, val[6]);
	strcpy(ev->pub.subject.slot, val[7]);
	return 0;
}

/* One line, NUL-terminated in place; a NUL inside it is no line of ours. */
static int next_event(char **line, const char *end, unsigned int lineno,
		      struct event *ev)
{
	char *nl = memchr(*line, '\n', (size_t)(end - *line));

	if (!nl) {
		fwg_tpm_log("event log line %u is not terminated", lineno);
		return -EBADMSG;
	}
	*nl = '\0';
	memset(ev, 0, sizeof(*ev));
	if (strlen(*line) != (size_t)(nl - *line) || parse_event(*line, ev)) {
		fwg_tpm_log("event log line %u is malformed", lineno);
		return -EBADMSG;
	}
	ev->pub.line = lineno;
	*line = nl + 1;
	return 0;
}

/*
 * Recompute the PCR for the current boot: a record whose "before" value is
 * all zero is the first extend after a TPM reset and restarts the chain.
 */
static int replay_buffer(char *text, size_t len, unsigned int pcr,
			 uint8_t value[FWG_DIGEST_SIZE], unsigned int *events,
			 fwg_eventlog_fn fn, void *ctx)
{
	static const uint8_t zero[FWG_DIGEST_SIZE];
	uint8_t acc[FWG_DIGEST_SIZE] = { 0 };
	unsigned int count = 0, lineno = 0;
	char *line = text;
	int err;

	while (line < text + len) {
		struct event ev;

		err = next_event(&line, text + len, ++lineno, &ev);
		if (err)
			return err;
		if (ev.pcr != pcr)
			continue;
		ev.pub.starts_chain = !memcmp(ev.before, zero, sizeof(zero));
		if (ev.pub.starts_chain) {
			memset(acc, 0, sizeof(acc));
			count = 0;
		}
		err = fwg_sha256(acc, sizeof(acc), ev.pub.subject.digest,
				 FWG_DIGEST_SIZE, acc);
		if (!err && fn)
			err = fn(ctx, &ev.pub);
		if (err)
			return err;
		count++;
	}
	memcpy(value, acc, FWG_DIGEST_SIZE);
	*events = count;
	return 0;
}

int fwg_eventlog_replay_text(const uint8_t *text, size_t len, unsigned int pcr,
			     uint8_t value[FWG_DIGEST_SIZE], unsigned int *events,
			     fwg_eventlog_fn fn, void *ctx)
{
	char *copy;
	int err;

	if (len > FWG_EVENTLOG_MAX)
		return -EBADMSG;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, text, len);
	err = replay_buffer(copy, len, pcr, value, events, fn, ctx);
	free(copy);
	return err;
}

int fwg_eventlog_read(const char *state_dir, uint8_t **buf, size_t *len)
{
	char path[PATH_MAX];
	int err;

	err = eventlog_path(state_dir, path, sizeof(path));
	if (err)
		return err;
	err = fwg_read_file(path, EVENTLOG_MAX, buf, len);
	if (err == -ENOENT) {
		*buf = NULL;
		*len = 0;
		return 0;
	}
	if (err)
		fwg_tpm_log("cannot read event log %s: %s", path, strerror(-err));
	return err;
}

int fwg_eventlog_replay(const char *state_dir, unsigned int pcr,
			uint8_t value[FWG_DIGEST_SIZE], unsigned int *events)
{
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	err = eventlog_path(state_dir, path, sizeof(path));
	if (err)
		return err;
	err = fwg_read_file(path, EVENTLOG_MAX, &buf, &len);
	if (err == -ENOENT) {
		memset(value, 0, FWG_DIGEST_SIZE);
		*events = 0;
		return 0;
	}
	if (err) {
		fwg_tpm_log("cannot read event log %s: %s", path, strerror(-err));
		return err;
	}
	err = replay_buffer((char *)buf, len, pcr, value, events, NULL, NULL);
	free(buf);
	return err;
}
