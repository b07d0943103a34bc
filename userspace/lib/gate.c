// SPDX-License-Identifier: GPL-2.0-only
/*
 * Streaming an image through fwguard.ko (see gate.h). The module verifies
 * the ticket, hashes and writes every byte itself and compares at commit;
 * this file only feeds it and explains its answers. Closing the session fd
 * without a commit aborts the session, so every early return here leaves
 * the ticket unconsumed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/fwguard.h>

#include "userspace/common/log.h"
#include "userspace/common/fileio.h"
#include "userspace/lib/gate.h"
#include "userspace/lib/progress.h"

#define GATE_CHUNK (1024 * 1024)

const char *gate_strerror(int err, int commit)
{
	switch (-err) {
	case EPERM: return "not permitted (needs CAP_SYS_ADMIN in the initial namespace)";
	case ENOENT: return "target is not a protected partition (is the policy loaded?)";
	case ENOKEY: return "ticket signer is not trusted by the .fwguard keyring (or the keyring is not sealed)";
	case EKEYREJECTED: return "ticket signature is invalid";
	case EBADMSG: return commit ? "image does not match the ticket's digest or length"
				    : "ticket is malformed";
	case EACCES: return "ticket is for another component, device class or serial";
	case ETXTBSY: return "target is protected read-only until reboot (the active slot, or the fallback of a trial)";
	case ENOSPC: return "image is larger than the partition";
	case ESTALE: return "security version is below the floor (downgrade refused)";
	case ENOLINK: return "the kernel cannot read the version floor from the TPM counter 0x01004657 (missing, not a written counter, or no TPM)";
	case EALREADY: return "ticket was already used (replay refused)";
	case EKEYEXPIRED: return "ticket is outside its validity window";
	case EBUSY: return "another update session is open on this partition";
	case EXDEV: return "the disk has a path on an NVMe controller whose transport is not PCIe (refused)";
	case EFBIG: return "image is longer than the ticket allows";
	case EIO: return "disk write failed";
	default: return strerror(-err);
	}
}

int gate_begin(dev_t devt, const void *cms, size_t cms_len)
{
	struct fwguard_begin begin = {
		.size = sizeof(begin),
		.dev_major = major(devt),
		.dev_minor = minor(devt),
		.ticket = (uintptr_t)cms,
		.ticket_len = (uint32_t)cms_len,
	};
	int ctl, fd, err;

	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		err = -errno;
		fwg_log_error("cannot open %s: %s", FWGUARD_DEVICE, strerror(errno));
		return err;
	}
	fd = ioctl(ctl, FWGUARD_IOC_BEGIN, &begin);
	err = fd < 0 ? -errno : fd;
	close(ctl);
	if (err < 0)
		fwg_log_error("kernel refused the update session: %s",
			gate_strerror(err, 0));
	return err;
}

int gate_committed(const uint8_t ticket_id[16], dev_t *devt, uint64_t *written,
		   uint8_t digest[32])
{
	struct fwguard_committed q = { .size = sizeof(q) };
	int ctl, err;

	memcpy(q.ticket_id, ticket_id, sizeof(q.ticket_id));
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		if (errno == ENOENT)
			return 0;	/* not loaded: no session in this boot yet */
		err = -errno;
		fwg_log_error("cannot open %s: %s", FWGUARD_DEVICE, strerror(errno));
		return err;
	}
	err = ioctl(ctl, FWGUARD_IOC_COMMITTED, &q) ? -errno : 0;
	close(ctl);
	if (err == -ENOENT || err == -ENOTTY)
		return 0;	/* not committed, or a module that cannot tell */
	if (err) {
		fwg_log_error("cannot ask the kernel what it committed: %s", strerror(-err));
		return err;
	}
	*devt = makedev(q.dev_major, q.dev_minor);
	*written = q.written;
	memcpy(digest, q.digest, sizeof(q.digest));
	return 1;
}

static int stream(int session, int in_fd, uint64_t in_off, uint64_t len, int progress)
{
	struct progress bar = { .label = "writing" };
	uint64_t done = 0;
	char *buf;
	int err = 0;

	buf = malloc(GATE_CHUNK);
	if (!buf)
		return -ENOMEM;
	while (done < len) {
		size_t want = len - done < GATE_CHUNK ? (size_t)(len - done) : GATE_CHUNK;
		ssize_t n = pread(in_fd, buf, want, (off_t)(in_off + done));

		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			fwg_log_error("cannot read the image: %s",
				n < 0 ? strerror(errno) : "bundle is truncated");
			break;
		}
		err = write_all(session, buf, (size_t)n);
		if (err) {
			fwg_log_error("kernel refused image bytes at offset %llu: %s",
				(unsigned long long)done, gate_strerror(err, 0));
			break;
		}
		done += (uint64_t)n;
		if (progress)
			progress_draw(&bar, done, len);
	}
	free(buf);
	return err;
}

int gate_commit(int session, struct gate_result *res)
{
	struct fwguard_commit commit = { .size = sizeof(commit) };
	int err = 0;

	if (ioctl(session, FWGUARD_IOC_COMMIT, &commit) < 0) {
		err = -errno;
		fwg_log_error("kernel refused to commit the image: %s",
			gate_strerror(err, 1));
	}
	close(session);
	if (err)
		return err;
	res->written = commit.written;
	memcpy(res->digest, commit.digest, sizeof(res->digest));
	res->security_version = commit.security_version;
	return 0;
}

int gate_write_image(int session, int in_fd, uint64_t in_off, uint64_t len, int progress,
		     struct gate_result *res)
{
	int err;

	err = stream(session, in_fd, in_off, len, progress);
	if (err) {
		close(session);
		return err;
	}
	return gate_commit(session, res);
}
