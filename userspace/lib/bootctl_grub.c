// SPDX-License-Identifier: GPL-2.0-only
/*
 * The GRUB environment block, our own reading of its format: exactly 1024
 * bytes, starting with the line "# GRUB Environment Block", then lines
 * "name=value" (a backslash escapes a backslash or a newline in a value);
 * comment lines starting with '#' may come before the first variable; after
 * the last one '#' padding to the end. It is
 * either a file of exactly 1024 bytes (grub-editenv's form) or the first
 * 1024 bytes of a raw partition or of a larger image file. Both are
 * written in place, as GRUB's save_env writes them: all 1024 bytes in one
 * write, O_DIRECT when the device takes it, then fsync. The file is never
 * replaced by a rename: on a filesystem without a journal (ext2, vfat,
 * where grubenv lives) a power cut after the rename leaves the
 * allocation bitmaps behind the directory, and the next file created
 * there fails ("doubly allocated" inode, then ENOSPC: no later write of
 * the block, mark-good or install, could succeed; grub_powercut.sh, boot
 * 5). Overwriting the file's own block changes no metadata.
 *
 * A block is refused whole (-EBADMSG, nothing written) when anything in it
 * is out of place: no header, a NUL byte, a line that is neither comment
 * nor variable, an unterminated line, padding that is not '#', a variable
 * twice, or one of ours (fwg_order, fwg_a_ok, fwg_b_ok, fwg_a_left,
 * fwg_b_left) with a value GRUB's script would not produce. Every other
 * variable and comment is kept byte for byte.
 *
 * Power cut: the format has no checksum, so a torn in-place write must
 * not be able to look valid. Disks write a 512-byte sector whole or not
 * at all; a block (raw, or the file's: filesystem blocks are sector
 * aligned) is therefore only rewritten when nothing but its first sector
 * changes (our variables are written first, right after the comments, so
 * they stay in it), else refused with -EFBIG. A cut leaves the old or the
 * new first sector, each a whole block with the unchanged padding after it.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userspace/common/cleanup.h"
#include "userspace/common/log.h"
#include "userspace/lib/bootctl.h"

#define ENV_SIZE	1024
#define ENV_SECTOR	512
#define ENV_HEADER	"# GRUB Environment Block\n"
#define ENV_LINES_MAX	(ENV_SIZE / 2)
#define VALUE_MAX	64

struct env_line {
	uint16_t off, len;	/* the line in raw[], its newline included */
	uint16_t name_len;	/* 0: a comment line */
};

struct grubenv {
	const char *path;
	char raw[ENV_SIZE];
	struct env_line line[ENV_LINES_MAX];
	unsigned int n;
};

static const char *const owned[] = {
	"fwg_order", "fwg_a_ok", "fwg_b_ok", "fwg_a_left", "fwg_b_left",
};

static int corrupt(const struct grubenv *e, size_t at, const char *why)
{
	fwg_log_error("grubenv %s: not a valid GRUB environment block (byte %zu: %s); "
		      "nothing changed", e->path, at, why);
	return -EBADMSG;
}

static bool is_owned(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (strlen(owned[i]) == len && !memcmp(owned[i], name, len))
			return true;
	return false;
}

/* The end of the value starting at @pos (its newline), or 0. */
static size_t value_end(const struct grubenv *e, size_t pos)
{
	while (pos < ENV_SIZE && e->raw[pos] != '\n') {
		if (e->raw[pos] == '\\') {
			if (pos + 1 >= ENV_SIZE ||
			    (e->raw[pos + 1] != '\\' && e->raw[pos + 1] != '\n'))
				return 0;
			pos++;
		}
		pos++;
	}
	return pos < ENV_SIZE ? pos : 0;
}

static int find(const struct grubenv *e, const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < e->n; i++)
		if (e->line[i].name_len == len && !memcmp(e->raw + e->line[i].off, name, len))
			return (int)i;
	return -1;
}

/* One line at @pos: a comment, a variable, or the padding (returns 1). */
static int parse_line(struct grubenv *e, size_t *pos)
{
	size_t p = *pos, name = 0, end;
	const char *nl;

	if (e->raw[p] == '#') {
		/* Comments only before the first variable (where grub-editenv
		 * puts its own); after one, '#' starts the padding. */
		nl = e->n && e->line[e->n - 1].name_len ? NULL :
			memchr(e->raw + p, '\n', ENV_SIZE - p);
		if (!nl) {
			for (; p < ENV_SIZE; p++)
				if (e->raw[p] != '#')
					return corrupt(e, p, "padding is not '#'");
			return 1;
		}
		end = (size_t)(nl - e->raw);
	} else {
		while (p + name < ENV_SIZE && (isalnum((unsigned char)e->raw[p + name]) ||
					       e->raw[p + name] == '_'))
			name++;
		if (!name || p + name >= ENV_SIZE || e->raw[p + name] != '=')
			return corrupt(e, p, "neither a variable nor a comment");
		end = value_end(e, p + name + 1);
		if (!end)
			return corrupt(e, p, "unterminated or badly escaped value");
		if (find(e, e->raw + p, name) >= 0)
			return corrupt(e, p, "a variable set twice");
	}
	if (e->n >= ENV_LINES_MAX)
		return corrupt(e, p, "too many lines");
	e->line[e->n++] = (struct env_line){ (uint16_t)p, (uint16_t)(end + 1 - p),
					     (uint16_t)name };
	*pos = end + 1;
	return 0;
}

static int env_parse(struct grubenv *e)
{
	size_t pos = strlen(ENV_HEADER);
	int err = 0;

	e->n = 0;
	if (memcmp(e->raw, ENV_HEADER, pos))
		return corrupt(e, 0, "no '# GRUB Environment Block' header");
	if (memchr(e->raw, '\0', ENV_SIZE))
		return corrupt(e, (size_t)((char *)memchr(e->raw, '\0', ENV_SIZE) - e->raw),
			       "a NUL byte (torn or erased)");
	while (pos < ENV_SIZE && !err)
		err = parse_line(e, &pos);
	return err < 0 ? err : 0;
}

/* The decoded value of @name, or -ENOENT. */
static int env_get(const struct grubenv *e, const char *name, char *out, size_t size)
{
	int i = find(e, name, strlen(name));
	size_t p, end, n = 0;

	if (i < 0)
		return -ENOENT;
	p = e->line[i].off + e->line[i].name_len + 1;
	end = e->line[i].off + e->line[i].len - 1;
	for (; p < end; p++) {
		if (e->raw[p] == '\\')
			p++;
		if (n + 1 >= size)
			return corrupt(e, e->line[i].off, "value of ours too long");
		out[n++] = e->raw[p];
	}
	out[n] = '\0';
	return 0;
}

static int env_form(struct grubenv *e, int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode) || (S_ISREG(st.st_mode) && st.st_size >= ENV_SIZE))
		return 0;
	if (S_ISREG(st.st_mode))
		return corrupt(e, (size_t)st.st_size, "shorter than 1024 bytes");
	fwg_log_error("grubenv %s: neither a file nor a block device", e->path);
	return -EINVAL;
}

static int env_load(struct grubenv *e, const char *path)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int err;

	memset(e, 0, sizeof(*e));
	e->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fwg_log_error("cannot open grubenv %s: %s", path, strerror(errno));
		return err;
	}
	err = env_form(e, fd);
	if (err)
		return err;
	n = pread(fd, e->raw, ENV_SIZE, 0);
	if (n < 0) {
		err = -errno;
		fwg_log_error("cannot read grubenv %s: %s", path, strerror(errno));
		return err;
	}
	if (n != ENV_SIZE)
		return corrupt(e, (size_t)n, "shorter than 1024 bytes");
	return env_parse(e);
}

static int get_order(const struct grubenv *e, struct bootctl_state *st)
{
	char v[VALUE_MAX];
	int err = env_get(e, "fwg_order", v, sizeof(v));

	st->order[0] = 0;
	st->order[1] = 1;
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	if (!strcmp(v, "b a")) {
		st->order[0] = 1;
		st->order[1] = 0;
	} else if (strcmp(v, "a b")) {
		return corrupt(e, 0, "fwg_order is neither \"a b\" nor \"b a\"");
	}
	return 0;
}

static int get_slot(const struct grubenv *e, int s, struct bootctl_state *st)
{
	char name[16], v[VALUE_MAX];
	unsigned long n;
	char *end;
	int err;

	snprintf(name, sizeof(name), "fwg_%c_ok", bootctl_slot_name(s));
	err = env_get(e, name, v, sizeof(v));
	if (!err && strcmp(v, "0") && strcmp(v, "1"))
		return corrupt(e, 0, "fwg_<slot>_ok is neither 0 nor 1");
	if (err && err != -ENOENT)
		return err;
	st->ok[s] = !err && !strcmp(v, "1");
	snprintf(name, sizeof(name), "fwg_%c_left", bootctl_slot_name(s));
	err = env_get(e, name, v, sizeof(v));
	st->left[s] = BOOTCTL_CONFIRMED;
	if (err == -ENOENT || (!err && !*v))
		return 0;
	if (err)
		return err;
	n = strtoul(v, &end, 10);
	if (*end || !isdigit((unsigned char)v[0]) || strlen(v) > 2 || n > BOOTCTL_TRIES_MAX)
		return corrupt(e, 0, "fwg_<slot>_left is not a try count");
	st->left[s] = (int)n;
	return 0;
}

static int env_state(const struct grubenv *e, struct bootctl_state *st)
{
	int err = get_order(e, st);

	if (!err)
		err = get_slot(e, 0, st);
	return err ? err : get_slot(e, 1, st);
}

int bootctl_grub_read(const char *path, struct bootctl_state *st)
{
	struct grubenv e;
	int err = env_load(&e, path);

	return err ? err : env_state(&e, st);
}

/* Append @len bytes; -EFBIG when the block is full. */
static int put(char *out, size_t *pos, const char *s, size_t len)
{
	if (*pos + len > ENV_SIZE)
		return -EFBIG;
	memcpy(out + *pos, s, len);
	*pos += len;
	return 0;
}

static int put_ours(const struct bootctl_state *st, char *out, size_t *pos)
{
	char line[64];
	int err, s, n;

	n = snprintf(line, sizeof(line), "fwg_order=%c %c\n", bootctl_slot_name(st->order[0]),
		     bootctl_slot_name(st->order[1]));
	err = put(out, pos, line, (size_t)n);
	for (s = 0; !err && s < 2; s++) {
		n = snprintf(line, sizeof(line), "fwg_%c_ok=%d\n", bootctl_slot_name(s),
			     st->ok[s] ? 1 : 0);
		err = put(out, pos, line, (size_t)n);
	}
	for (s = 0; !err && s < 2; s++) {
		if (st->left[s] == BOOTCTL_CONFIRMED)
			continue;	/* unset: confirmed */
		n = snprintf(line, sizeof(line), "fwg_%c_left=%d\n", bootctl_slot_name(s),
			     st->left[s]);
		err = put(out, pos, line, (size_t)n);
	}
	return err;
}

/* Header, the comments, our variables, everyone else's, padding. */
static int env_build(const struct grubenv *e, const struct bootctl_state *st,
		     char out[ENV_SIZE])
{
	size_t pos = 0;
	unsigned int i;
	int err;

	err = put(out, &pos, ENV_HEADER, strlen(ENV_HEADER));
	for (i = 0; !err && i < e->n; i++)
		if (!e->line[i].name_len)
			err = put(out, &pos, e->raw + e->line[i].off, e->line[i].len);
	if (!err)
		err = put_ours(st, out, &pos);
	for (i = 0; !err && i < e->n; i++)
		if (e->line[i].name_len &&
		    !is_owned(e->raw + e->line[i].off, e->line[i].name_len))
			err = put(out, &pos, e->raw + e->line[i].off, e->line[i].len);
	if (err) {
		fwg_log_error("grubenv %s: the variables do not fit in 1024 bytes", e->path);
		return err;
	}
	memset(out + pos, '#', ENV_SIZE - pos);
	return 0;
}

/* All 1024 bytes at offset 0 in one write, O_DIRECT when it is taken, then fsync. */
static int write_in_place(const char *path, const char *block)
{
	_cleanup_close_ int fd = -1;
	void *buf = NULL;
	ssize_t n;
	int err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC | O_DIRECT);
	if (fd < 0 && errno == EINVAL)	/* tmpfs and others: no O_DIRECT */
		fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || posix_memalign(&buf, 4096, 4096))
		return fd < 0 ? -errno : -ENOMEM;
	memcpy(buf, block, ENV_SIZE);
	n = pwrite(fd, buf, ENV_SIZE, 0);
	if (n < 0 && errno == EINVAL) {	/* a logical block above 1024 bytes */
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_DIRECT) == 0)
			n = pwrite(fd, buf, ENV_SIZE, 0);
	}
	if (n != ENV_SIZE)
		err = n < 0 ? -errno : -EIO;
	if (!err && fsync(fd))
		err = -errno;
	free(buf);
	return err;
}

int bootctl_grub_write(const char *path, const struct bootctl_state *st)
{
	struct grubenv e;
	char next[ENV_SIZE];
	int err;

	err = env_load(&e, path);
	if (!err)
		err = env_build(&e, st, next);
	if (err)
		return err;
	if (memcmp(e.raw + ENV_SECTOR, next + ENV_SECTOR, ENV_SIZE - ENV_SECTOR)) {
		fwg_log_error("grubenv %s: the change reaches past the first 512-byte sector, "
			      "which a power cut could tear; nothing changed (keep the other "
			      "variables short)", path);
		return -EFBIG;
	}
	err = write_in_place(path, next);
	if (err)
		fwg_log_error("cannot write grubenv %s: %s", path, strerror(-err));
	return err;
}
