/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared set-up for the fwguard guest tests: provision the TPM floor
 * counter (floor 1), load fwguard.ko (provision
 * mode) unless it is loaded, provision and seal the .fwguard keyring with
 * the test signer, protect the scratch disk's fw_a (active) and fw_b slots,
 * and build signed tickets with the shared encoder and the vendor signer.
 *
 * All guest tests share one boot and the policy can only get stricter, so
 * the set-up is idempotent and the tests keep their global footprint small:
 * component "firmware", device class "fwguard-test", version floor at most
 * 1, committed security versions at most 2.
 */
#ifndef FWGUARD_TEST_UTIL_H
#define FWGUARD_TEST_UTIL_H

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <keyutils.h>
#include <linux/fwguard.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/ticket.h"
#include "tpm/tpm.h"
#include "userspace/lib/cms_sign.h"

#define FWG_COMPONENT	"firmware"
#define FWG_CLASS	"fwguard-test"
#define FWG_PKI		FWGUARD_BUILD "/pki"
#define FWG_SYSFS	"/sys/class/misc/fwguard"

struct fwg_part {
	char name[32];		/* "vda2" */
	char node[48];		/* "/dev/vda2" */
	char disk[48];		/* "/dev/vda" */
	unsigned int major, minor;
	uint64_t start;		/* first sector on the disk */
	uint64_t sectors;
};

static inline int fwg_read_u64(const char *path, uint64_t *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%" SCNu64, v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* The number after "@key " in a "key N" per line file, or -1. */
static inline long long fwg_key_value(const char *path, const char *key)
{
	size_t klen = strlen(key);
	long long v = -1;
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			v = strtoll(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

/* A "key N" line of the status file (handles, aliases), or -1. */
static inline long long fwg_status_value(const char *key)
{
	return fwg_key_value(FWG_SYSFS "/policy", key);
}

/* One of /sys/class/misc/fwguard/counters, or -1. */
static inline long long fwg_counter(const char *key)
{
	return fwg_key_value(FWG_SYSFS "/counters", key);
}

/* Write @val to a sysfs or procfs file. 0 or -errno. */
static inline int fwg_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Run a shell command built from @fmt; its exit status, or -1 if it died. */
static inline __attribute__((format(printf, 1, 2))) int fwg_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The disk (/dev/NAME) of the virtio device @vdev ("virtio2"), or -errno. */
static inline int fwg_virtio_disk(const char *vdev, char *disk, size_t len)
{
	char path[300];
	struct dirent *de;
	DIR *d;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/block", vdev);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && strlen(de->d_name) + 6 < len) {
			snprintf(disk, len, "/dev/%s", de->d_name);
			err = 0;
		}
	closedir(d);
	return err;
}

/* Whether the uevent file @path names GPT partition @partname; fills devt. */
static inline int fwg_uevent_match(const char *path, const char *partname, struct fwg_part *p)
{
	char line[256], want[96];
	int match = 0;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return 0;
	snprintf(want, sizeof(want), "PARTNAME=%s\n", partname);
	memset(p, 0, sizeof(*p));
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "MAJOR=%u", &p->major);
		sscanf(line, "MINOR=%u", &p->minor);
		match |= !strcmp(line, want);
	}
	fclose(f);
	return match;
}

/* Partition @partname (GPT name) of /dev/@disk, e.g. ("nvme0n1", "fw_b"). */
static inline int fwg_find_disk_part(const char *disk, const char *partname, struct fwg_part *p)
{
	const char *sep = isdigit((unsigned char)disk[strlen(disk) - 1]) ? "p" : "";
	char path[300];
	unsigned int i;

	for (i = 1; i < 16; i++) {
		snprintf(path, sizeof(path), "/sys/class/block/%s%s%u/uevent", disk, sep, i);
		if (!fwg_uevent_match(path, partname, p))
			continue;
		snprintf(p->name, sizeof(p->name), "%.20s%s%u", disk, sep, i);
		snprintf(p->node, sizeof(p->node), "/dev/%.30s", p->name);
		snprintf(p->disk, sizeof(p->disk), "/dev/%.30s", disk);
		snprintf(path, sizeof(path), "/sys/class/block/%s/start", p->name);
		if (fwg_read_u64(path, &p->start))
			return -EIO;
		snprintf(path, sizeof(path), "/sys/class/block/%s/size", p->name);
		return fwg_read_u64(path, &p->sectors) ? -EIO : 0;
	}
	return -ENOENT;
}

/* Find a partition of the scratch disk (vda) by its GPT name. */
static inline int fwg_find_part(const char *partname, struct fwg_part *p)
{
	return fwg_find_disk_part("vda", partname, p);
}

/* finit_module() of this build's fwguard.ko with @params: 0 or -errno. */
static inline int fwg_module_load(const char *params)
{
	char path[256];
	struct utsname uts;
	int fd, err = 0;

	uname(&uts);
	snprintf(path, sizeof(path), "%s/kmod/%s/fwguard.ko", FWGUARD_BUILD, uts.release);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "fwguard: cannot read %s: %s\n", path, strerror(-err));
		return err;
	}
	if (syscall(SYS_finit_module, fd, params, 0))
		err = -errno;
	close(fd);
	return err;
}

static inline int fwg_module_ensure(void)
{
	int err;

	if (!access("/sys/module/fwguard", F_OK))
		return 0;
	err = fwg_module_load("keyring_mode=provision");
	return err == -EEXIST ? 0 : err;
}

static inline int fwg_read_file(const char *path, void **buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*buf = NULL;
	*len = 0;
	if (fstat(fd, &st) || !(*buf = malloc(st.st_size + 1))) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, *buf, st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(*buf);
		return -EIO;
	}
	((char *)*buf)[n] = 0;
	*len = n;
	return 0;
}

static inline key_serial_t fwg_keyring(void)
{
	return find_key_by_type_and_desc("keyring", FWGUARD_KEYRING, 0);
}

/* Add a DER certificate from the test PKI to .fwguard. */
static inline int fwg_add_cert(const char *name)
{
	char path[256];
	size_t len = 0;
	void *der = NULL;
	key_serial_t k;
	int err = 0;

	snprintf(path, sizeof(path), FWG_PKI "/%s.der", name);
	err = fwg_read_file(path, &der, &len);
	if (err) {
		fprintf(stderr, "fwg_setup: cannot read %s: %s\n", path, strerror(-err));
		return err;
	}
	k = add_key("asymmetric", "", der, len, fwg_keyring());
	if (k < 0)
		err = -errno;
	free(der);
	return err;
}

static inline int fwg_keyring_sealed(void)
{
	char buf[64] = "";
	FILE *f = fopen(FWG_SYSFS "/keyring", "r");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strstr(buf, " sealed") != NULL;
}

static inline int fwg_keys_ensure(void)
{
	int err;

	if (fwg_keyring_sealed())
		return 0;
	if (fwg_keyring() < 0)
		return -ENOKEY;
	err = fwg_add_cert("signer");
	if (err)
		return err;
	return keyctl_restrict_keyring(fwg_keyring(), NULL, NULL) ? -errno : 0;
}

static inline int fwg_protect(int ctl, const struct fwg_part *p, uint32_t flags)
{
	struct fwguard_protect req = {
		.size = sizeof(req), .flags = flags,
		.dev_major = p->major, .dev_minor = p->minor,
		.component = FWG_COMPONENT,
	};

	return ioctl(ctl, FWGUARD_IOC_PROTECT, &req) ? -errno : 0;
}

/* The current floor, from the status file (policy loads may not lower it). */
static inline uint64_t fwg_current_floor(void)
{
	char line[256];
	uint64_t floor = 0;
	FILE *f = fopen(FWG_SYSFS "/policy", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "floor %" SCNu64, &floor) == 1)
			break;
	fclose(f);
	return floor;
}

/*
 * The TPM floor counter (0x01004657) provisioned as `updatectl tpm
 * provision` defines it, and raised to at least @floor: with production=1
 * the module refuses BEGIN, COMMIT and RETIRE without it (kmod/README.md
 * "The TPM floor"). The guest's swtpm is fresh at every boot, so the first
 * call provisions it (floor 1). Returns 0 or -errno.
 */
static inline int fwg_tpm_floor_ensure(uint64_t floor)
{
	struct fwg_tpm_options opts = { .pcr = -1 };
	struct fwg_tpm *tpm = NULL;
	uint64_t cur = 0;
	int err;

	err = fwg_tpm_open(&opts, &tpm);
	if (err) {
		fprintf(stderr, "fwg_tpm_floor_ensure: cannot open the TPM: %d\n", err);
		return err;
	}
	err = fwg_tpm_floor_read_quiet(tpm, &cur);
	if (err == FWG_TPM_E_NOT_PROVISIONED)
		err = fwg_tpm_floor_provision(tpm) ?: fwg_tpm_floor_read(tpm, &cur);
	if (!err && cur < floor)
		err = fwg_tpm_floor_raise(tpm, floor, &cur);
	fwg_tpm_close(tpm);
	if (err)
		fprintf(stderr, "fwg_tpm_floor_ensure: floor %" PRIu64 ": %d\n", floor, err);
	return err;
}

/* Module loaded, keyring sealed, fw_a (active) and fw_b protected. */
static inline int fwg_setup(struct fwg_part *fw_a, struct fwg_part *fw_b)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .device_class = FWG_CLASS };
	int ctl, err;

	/* A device as provisioned: the TPM floor stands at 1. */
	err = fwg_tpm_floor_ensure(1);
	if (!err)
		err = fwg_module_ensure();
	if (!err)
		err = fwg_find_part("fw_a", fw_a);
	if (!err)
		err = fwg_find_part("fw_b", fw_b);
	if (!err)
		err = fwg_keys_ensure();
	if (err)
		return err;
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	pol.floor = fwg_current_floor();
	err = ioctl(ctl, FWGUARD_IOC_POLICY, &pol) ? -errno : 0;
	if (!err)
		err = fwg_protect(ctl, fw_a, FWGUARD_PROTECT_ACTIVE);
	if (!err)
		err = fwg_protect(ctl, fw_b, 0);
	close(ctl);
	return err;
}

static inline void fwg_ticket_init(struct fwguard_ticket *t, const void *image,
				   size_t len, uint64_t version)
{
	memset(t, 0, sizeof(*t));
	if (getrandom(t->id, sizeof(t->id), 0) != sizeof(t->id))
		t->id[0] = 1;
	t->id[15] |= 1;
	snprintf(t->device_class, sizeof(t->device_class), FWG_CLASS);
	snprintf(t->component, sizeof(t->component), FWG_COMPONENT);
	t->image_len = len;
	SHA256(image, len, t->image_sha256);
	t->security_version = version;
}

/* Encode and sign a ticket with the test PKI's @signer; *der is malloc()ed. */
static inline int fwg_ticket_sign(const struct fwguard_ticket *t, const char *signer,
				  uint8_t **der, size_t *der_len)
{
	uint8_t payload[FWGUARD_TICKET_MAX_LEN];
	char key[256], crt[256];
	struct cms_signer *s;
	size_t len;
	int err;

	err = fwguard_ticket_encode(t, payload, sizeof(payload), &len);
	if (err)
		return -EINVAL;
	snprintf(key, sizeof(key), FWG_PKI "/%s.key", signer);
	snprintf(crt, sizeof(crt), FWG_PKI "/%s.crt", signer);
	err = cms_signer_load(key, crt, &s);
	if (err)
		return err;
	err = cms_sign_ticket(s, payload, len, der, der_len);
	cms_signer_free(s);
	return err;
}

/* BEGIN on @p with a CMS ticket; returns the session fd or -errno. */
static inline int fwg_begin_der(const struct fwg_part *p, const uint8_t *der, size_t len)
{
	struct fwguard_begin b = {
		.size = sizeof(b), .dev_major = p->major, .dev_minor = p->minor,
		.ticket = (uintptr_t)der, .ticket_len = (uint32_t)len,
	};
	int ctl, fd;

	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	fd = ioctl(ctl, FWGUARD_IOC_BEGIN, &b);
	if (fd < 0)
		fd = -errno;
	close(ctl);
	return fd;
}

static inline int fwg_begin(const struct fwg_part *p, const struct fwguard_ticket *t,
			    const char *signer)
{
	uint8_t *der;
	size_t len;
	int fd;

	fd = fwg_ticket_sign(t, signer, &der, &len);
	if (fd)
		return fd;
	fd = fwg_begin_der(p, der, len);
	free(der);
	return fd;
}

/* Write all of @buf to a session fd in @chunk-sized writes. */
static inline int fwg_stream(int fd, const uint8_t *buf, size_t len, size_t chunk)
{
	size_t off = 0;

	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		ssize_t w = write(fd, buf + off, n);

		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	return 0;
}

static inline int fwg_commit(int fd, struct fwguard_commit *c)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	return ioctl(fd, FWGUARD_IOC_COMMIT, c) ? -errno : 0;
}

static inline uint8_t *fwg_pattern(size_t len, unsigned int seed)
{
	uint8_t *buf = malloc(len);
	size_t i;

	for (i = 0; buf && i < len; i++)
		buf[i] = (uint8_t)(i * 131 + seed * 7 + (i >> 9));
	return buf;
}

/* pread through O_DIRECT, bypassing every cache; @len a multiple of 4096. */
static inline int fwg_read_direct(const char *node, uint64_t off, void *out, size_t len)
{
	void *buf;
	ssize_t n;
	int fd;

	if (posix_memalign(&buf, 4096, len))
		return -ENOMEM;
	fd = open(node, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	n = pread(fd, buf, len, (off_t)off);
	close(fd);
	if (n == (ssize_t)len)
		memcpy(out, buf, len);
	free(buf);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* O_DIRECT write of @len bytes of @byte at @off; returns 0 or -errno. */
static inline int fwg_write_direct(const char *node, uint64_t off, int byte, size_t len)
{
	void *buf;
	ssize_t n;
	int fd, err = 0;

	if (posix_memalign(&buf, 4096, len))
		return -ENOMEM;
	memset(buf, byte, len);
	fd = open(node, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	n = pwrite(fd, buf, len, (off_t)off);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	free(buf);
	return err;
}

/* Does the kernel log hold @needle within a few seconds? */
static inline int fwg_dmesg_wait(const char *needle)
{
	int i, len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), found = 0;
	char *buf;

	if (len <= 0)
		return -1;
	buf = calloc(1, len + 1);
	if (!buf)
		return -1;
	for (i = 0; i < 30 && !found; i++) {
		int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);

		buf[n > 0 ? n : 0] = 0;
		found = n > 0 && strstr(buf, needle);
		if (!found)
			usleep(100000);
	}
	free(buf);
	return found;
}

#endif /* FWGUARD_TEST_UTIL_H */
