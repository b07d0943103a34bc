// SPDX-License-Identifier: GPL-2.0-only
/*
 * Storage of the A/B slot state (see slots.h). The format is "key=value"
 * lines; unknown keys or out-of-range values mark the file corrupt rather
 * than being ignored, because a misread slot state could boot the wrong
 * image.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "userspace/common/log.h"
#include "userspace/common/fileio.h"
#include "userspace/common/hex.h"
#include "userspace/common/number.h"
#include "userspace/common/fileio.h"
#include "userspace/lib/slots.h"

static int state_path(const char *state_dir, const char *component, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/slots/%s", state_dir, component) >= size)
		return -ENAMETOOLONG;
	return 0;
}

static void state_init(struct slot_state *s, const char *component)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->component, sizeof(s->component), "%s", component);
	s->pending = -1;
	s->trying = -1;
	s->booted = -1;
}

static int parse_index(const char *v, int allow_none, int *out)
{
	if (!strcmp(v, "0") || !strcmp(v, "1")) {
		*out = v[0] - '0';
		return 0;
	}
	if (allow_none && !strcmp(v, "-1")) {
		*out = -1;
		return 0;
	}
	return -EBADMSG;
}

static int parse_slot_key(struct slot_record *r, const char *key, const char *v)
{
	uint64_t n;

	if (!strcmp(key, "digest"))
		return fwg_hex_decode_digest(v, r->digest) ? -EBADMSG : 0;
	if (!strcmp(key, "ticket")) {
		r->has_ticket = *v != '\0';
		return r->has_ticket && fwg_hex_decode(v, r->ticket, sizeof(r->ticket)) ?
		       -EBADMSG : 0;
	}
	if (fwg_parse_u64(v, &n))
		return -EBADMSG;
	if (!strcmp(key, "version"))
		r->version = n;
	else if (!strcmp(key, "length"))
		r->length = n;
	else if (!strcmp(key, "valid") && n <= 1)
		r->valid = n;
	else if (!strcmp(key, "good") && n <= 1)
		r->good = n;
	else
		return -EBADMSG;
	return 0;
}

static int parse_id(const char *v, char out[40])
{
	if (strlen(v) >= 40)
		return -EBADMSG;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

static int parse_line(struct slot_state *s, char *line)
{
	char *eq = strchr(line, '=');

	line[strcspn(line, "\n")] = '\0';
	if (!eq)
		return -EBADMSG;
	*eq++ = '\0';
	if (!strcmp(line, "active"))
		return parse_index(eq, 0, &s->active);
	if (!strcmp(line, "pending"))
		return parse_index(eq, 1, &s->pending);
	if (!strcmp(line, "trying"))
		return parse_index(eq, 1, &s->trying);
	if (!strcmp(line, "booted"))
		return parse_index(eq, 1, &s->booted);
	if (!strcmp(line, "verified_boot"))
		return parse_id(eq, s->verified_boot);
	if (!strcmp(line, "boot"))
		return parse_id(eq, s->boot);
	if (!strcmp(line, "measured_boot"))
		return parse_id(eq, s->measured_boot);
	if (!strcmp(line, "failed_boot"))
		return parse_id(eq, s->failed_boot);
	if ((!strncmp(line, "slot0.", 6) || !strncmp(line, "slot1.", 6)))
		return parse_slot_key(&s->slot[line[4] - '0'], line + 6, eq);
	return -EBADMSG;
}

int slot_state_load(const char *state_dir, const char *component, struct slot_state *out)
{
	struct slot_state s;
	char path[PATH_MAX], line[256];
	int err = 0;
	FILE *f;

	err = state_path(state_dir, component, path, sizeof(path));
	if (err)
		return err;
	state_init(&s, component);
	f = fopen(path, "re");
	if (!f) {
		if (errno != ENOENT) {
			err = -errno;
			fwg_log_error("cannot read %s: %s", path, strerror(errno));
			return err;
		}
		*out = s;
		return 0;
	}
	while (!err && fgets(line, sizeof(line), f))
		err = parse_line(&s, line);
	fclose(f);
	if (!err && (s.pending == s.active || (s.trying >= 0 && s.trying == s.active) ||
		     (s.pending >= 0 && s.trying >= 0)))
		err = -EBADMSG;
	if (err) {
		fwg_log_error("slot state %s is corrupt; refusing to guess", path);
		return err;
	}
	*out = s;
	return 0;
}

int slot_state_save(const char *state_dir, const struct slot_state *s)
{
	char path[PATH_MAX], dir[PATH_MAX], buf[1536], hex[2][65], tk[2][33];
	int len, i;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/slots", state_dir) >= sizeof(dir) ||
	    state_path(state_dir, s->component, path, sizeof(path)))
		return -ENAMETOOLONG;
	if (fwg_mkdir_p(dir, 0700))
		return -EIO;
	for (i = 0; i < 2; i++) {
		fwg_hex_encode(s->slot[i].digest, 32, hex[i]);
		tk[i][0] = '\0';
		if (s->slot[i].has_ticket)
			fwg_hex_encode(s->slot[i].ticket, 16, tk[i]);
	}
	len = snprintf(buf, sizeof(buf), "active=%d\npending=%d\ntrying=%d\nbooted=%d\n"
		       "verified_boot=%s\nboot=%s\nmeasured_boot=%s\nfailed_boot=%s\n", s->active,
		       s->pending, s->trying, s->booted, s->verified_boot, s->boot,
		       s->measured_boot, s->failed_boot);
	for (i = 0; i < 2; i++)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len,
				"slot%d.valid=%d\nslot%d.good=%d\nslot%d.version=%" PRIu64
				"\nslot%d.length=%" PRIu64 "\nslot%d.digest=%s\nslot%d.ticket=%s\n",
				i, s->slot[i].valid, i, s->slot[i].good, i, s->slot[i].version,
				i, s->slot[i].length, i, hex[i], i, tk[i]);
	return fwg_write_file_atomic(path, buf, (size_t)len);
}

int slot_state_booted(const struct slot_state *s)
{
	return s->trying >= 0 ? s->trying : s->active;
}

bool slot_state_exists(const char *state_dir, const char *component)
{
	char path[PATH_MAX];

	return !state_path(state_dir, component, path, sizeof(path)) && access(path, F_OK) == 0;
}

int boot_id(char *buf, size_t size)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)size, f))
		err = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return err;
}
