// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parser for /etc/fwguard/policy.conf and resolution of its partition
 * specs (see policy_conf.h). Labels come from the kernel's PARTNAME in
 * sysfs; partition GUIDs are read from the disk's GPT directly, since
 * sysfs does not publish them and udev may not have run yet.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "userspace/common/fileio.h"
#include "userspace/common/log.h"
#include "userspace/lib/policy_conf.h"

static bool name_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > PC_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
			return false;
	return true;
}

static bool spec_valid(const char *s)
{
	const char *v;

	if (strlen(s) > PC_SPEC_MAX)
		return false;
	if (!strncmp(s, "PARTLABEL=", 10))
		v = s + 10;
	else if (!strncmp(s, "PARTUUID=", 9))
		v = s + 9;
	else
		return false;
	return *v && !strpbrk(v, " \t/");
}

static int parse_slot(char *word, struct pc_slot *slot)
{
	char *eq = strchr(word, '=');

	if (!eq)
		return -EINVAL;
	*eq = '\0';
	if (!name_valid(word) || !spec_valid(eq + 1))
		return -EINVAL;
	snprintf(slot->name, sizeof(slot->name), "%s", word);
	snprintf(slot->spec, sizeof(slot->spec), "%s", eq + 1);
	return 0;
}

static int parse_component(struct policy_conf *pc, char *rest)
{
	struct pc_component c = { 0 };
	char *save = NULL, *word;
	int n = 0;

	word = strtok_r(rest, " \t\n", &save);
	if (!word || !name_valid(word) || policy_conf_find(pc, word) ||
	    !strcmp(word, PC_BOOTLOADER))
		return -EINVAL;
	snprintf(c.name, sizeof(c.name), "%s", word);
	while ((word = strtok_r(NULL, " \t\n", &save))) {
		if (n == 2 || parse_slot(word, &c.slot[n]))
			return -EINVAL;
		n++;
	}
	if (n != 2 || !strcmp(c.slot[0].name, c.slot[1].name) ||
	    !strcmp(c.slot[0].spec, c.slot[1].spec) || pc->count == PC_MAX_COMPONENTS)
		return -EINVAL;
	pc->component[pc->count++] = c;
	return 0;
}

/* bootloader PART=PARTSPEC [PART=PARTSPEC]: once, one or two partitions. */
static int parse_bootloader(struct policy_conf *pc, char *rest)
{
	struct pc_component c = { .name = PC_BOOTLOADER };
	char *save = NULL, *word;
	unsigned int n = 0;

	if (pc->loader_parts)
		return -EINVAL;
	for (word = strtok_r(rest, " \t\n", &save); word; word = strtok_r(NULL, " \t\n", &save)) {
		if (n == PC_MAX_LOADER_PARTS || parse_slot(word, &c.slot[n]))
			return -EINVAL;
		n++;
	}
	if (!n || (n == 2 && (!strcmp(c.slot[0].name, c.slot[1].name) ||
			      !strcmp(c.slot[0].spec, c.slot[1].spec))))
		return -EINVAL;
	pc->bootloader = c;
	pc->loader_parts = n;
	return 0;
}

static bool keyword(const char *p, const char *word)
{
	size_t n = strlen(word);

	return !strncmp(p, word, n) && isspace((unsigned char)p[n]);
}

static int parse_line(void *ctx, char *line, const char *path, unsigned int lineno)
{
	char *p = line;
	int err;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p || *p == '#')
		return 0;
	if (keyword(p, PC_BOOTLOADER)) {
		err = parse_bootloader(ctx, p + strlen(PC_BOOTLOADER));
		if (err)
			fwg_log_error("%s:%u: expected one 'bootloader PART=PARTLABEL=x [PART=PARTUUID=y]'"
				" (one or two distinct partitions, names [A-Za-z0-9._-])", path, lineno);
		return err;
	}
	if (!keyword(p, "component"))
		err = -EINVAL;
	else
		err = parse_component(ctx, p + 9);
	if (err)
		fwg_log_error("%s:%u: expected 'component NAME SLOT=PARTLABEL=x SLOT=PARTUUID=y'"
			" (two distinct slots, names [A-Za-z0-9._-], NAME not 'bootloader')", path, lineno);
	return err;
}

int policy_conf_load(const char *path, struct policy_conf *out)
{
	struct policy_conf pc = { 0 };
	int err;

	err = fwg_read_lines(path, false, 512, parse_line, &pc);
	if (!err && !pc.count) {
		fwg_log_error("%s: no component defined", path);
		err = -EINVAL;
	}
	if (!err)
		*out = pc;
	return err;
}

const struct pc_component *policy_conf_find(const struct policy_conf *pc, const char *name)
{
	unsigned int i;

	for (i = 0; i < pc->count; i++)
		if (!strcmp(pc->component[i].name, name))
			return &pc->component[i];
	return NULL;
}

int pc_slot_index(const struct pc_component *c, const char *name)
{
	if (!strcmp(c->slot[0].name, name))
		return 0;
	if (!strcmp(c->slot[1].name, name))
		return 1;
	return -ENOENT;
}

/* Read "KEY=value" from a sysfs uevent file. */
static int uevent_value(const char *sysfs, const char *dev, const char *key, char *val, size_t size)
{
	char path[512], line[256];
	size_t klen = strlen(key);
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/uevent", sysfs, dev);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != '=')
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(val, size, "%s", line + klen + 1);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static void guid_to_string(const uint8_t g[16], char *out)
{
	sprintf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6],
		g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* GUID of partition number @partn from the GPT of whole disk @disk. */
static int gpt_partuuid(const char *disk, unsigned int partn, char *out)
{
	uint8_t hdr[92], entry[128];
	char node[300];
	int fd, ssz = 512, err = -ENOENT;
	uint64_t lba;
	uint32_t count, esize;

	if ((size_t)snprintf(node, sizeof(node), "/dev/%s", disk) >= sizeof(node))
		return -ENAMETOOLONG;
	fd = open(node, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKSSZGET, &ssz) < 0 || ssz < 512)
		ssz = 512;
	if (pread(fd, hdr, sizeof(hdr), ssz) != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr, "EFI PART", 8))
		goto out;
	lba = le64(hdr + 72);
	count = le32(hdr + 80);
	esize = le32(hdr + 84);
	if (partn == 0 || partn > count || esize < 128 || esize > 4096)
		goto out;
	if (pread(fd, entry, sizeof(entry), (off_t)(lba * (uint64_t)ssz + (uint64_t)(partn - 1) * esize)) !=
	    (ssize_t)sizeof(entry))
		goto out;
	guid_to_string(entry + 16, out);
	err = 0;
out:
	close(fd);
	return err;
}

/* The disk partition @dev is on: its parent directory in /sys/devices. */
static int partition_disk(const char *sysfs, const char *dev, char *disk, size_t size)
{
	char link[512], target[512];
	const char *name;
	ssize_t n;

	snprintf(link, sizeof(link), "%s/%s", sysfs, dev);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0 || !memchr(target, '/', (size_t)n))
		return -ENOENT;
	target[n] = '\0';
	*strrchr(target, '/') = '\0';
	name = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	if ((size_t)snprintf(disk, size, "%s", name) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* Does partition @dev (e.g. "vda2") match @spec? */
static bool partition_matches(const char *sysfs, const char *dev, const char *spec)
{
	char value[128], partn[16], guid[40], disk[64];

	if (!strncmp(spec, "PARTLABEL=", 10))
		return !uevent_value(sysfs, dev, "PARTNAME", value, sizeof(value)) &&
		       !strcmp(value, spec + 10);
	if (uevent_value(sysfs, dev, "PARTN", partn, sizeof(partn)) ||
	    partition_disk(sysfs, dev, disk, sizeof(disk)))
		return false;
	return !gpt_partuuid(disk, (unsigned int)atoi(partn), guid) &&
	       !strcasecmp(guid, spec + 9);
}

static int partition_fill(const char *sysfs, const char *dev, struct pc_partition *out)
{
	char value[64], path[512];
	unsigned int major, minor;
	unsigned long long sectors;
	FILE *f;

	if (uevent_value(sysfs, dev, "MAJOR", value, sizeof(value)))
		return -ENOENT;
	major = (unsigned int)atoi(value);
	if (uevent_value(sysfs, dev, "MINOR", value, sizeof(value)))
		return -ENOENT;
	minor = (unsigned int)atoi(value);
	snprintf(path, sizeof(path), "%s/%s/size", sysfs, dev);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%llu", &sectors) != 1)
		sectors = 0;
	fclose(f);
	if ((size_t)snprintf(out->devnode, sizeof(out->devnode), "/dev/%s", dev) >=
	    sizeof(out->devnode))
		return -ENAMETOOLONG;
	out->devt = makedev(major, minor);
	out->size_bytes = (uint64_t)sectors * 512;
	if (partition_disk(sysfs, dev, out->disk, sizeof(out->disk)))
		out->disk[0] = '\0';	/* unknown: preferred nowhere */
	return 0;
}

int pc_resolve_all(const char *sysfs, const char *spec, struct pc_partition *out,
		   unsigned int max, unsigned int *count)
{
	struct dirent *de;
	unsigned int n = 0;
	DIR *dir;

	*count = 0;
	dir = opendir(sysfs);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		char partn[16];

		if (de->d_name[0] == '.' ||
		    uevent_value(sysfs, de->d_name, "PARTN", partn, sizeof(partn)) ||
		    !partition_matches(sysfs, de->d_name, spec))
			continue;
		if (n < max && partition_fill(sysfs, de->d_name, &out[n]))
			continue;
		n++;
	}
	closedir(dir);
	*count = n;
	return n == 1 ? 0 : n ? -ENOTUNIQ : -ENOENT;
}

int pc_resolve(const char *sysfs, const char *spec, struct pc_partition *out)
{
	unsigned int n;
	int err;

	err = pc_resolve_all(sysfs, spec, out, 1, &n);
	if (err == -ENOTUNIQ)
		fwg_log_error("%s matches %u partitions; refusing to guess", spec, n);
	else if (err == -ENOENT)
		fwg_log_error("no partition matches %s", spec);
	return err;
}
