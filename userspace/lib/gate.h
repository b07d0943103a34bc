/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * updatectl's side of the kernel gate: open an update session on a
 * protected partition with a ticket, stream an image through it, commit,
 * and the wording of every errno the gate can answer with.
 */
#ifndef FWGUARD_GATE_H
#define FWGUARD_GATE_H

#include <stdint.h>
#include <sys/types.h>

struct gate_result {
	uint64_t written;
	uint8_t digest[32];
	uint64_t security_version;
};

/*
 * Open an update session on partition @devt with the DER ticket @cms. The
 * kernel verifies the ticket here; nothing is written yet. Returns the
 * session fd, or the kernel's negative errno (logged).
 */
int gate_begin(dev_t devt, const void *cms, size_t cms_len);

/*
 * Stream @len bytes read from @in_fd at offset @in_off into @session and
 * commit; the session fd is closed in every case (without a commit that
 * aborts the session). @progress: draw a progress bar on stderr.
 * Returns 0 and fills @res, or the negative errno of the step that failed
 * (logged with the step and the kernel's reason).
 */
int gate_write_image(int session, int in_fd, uint64_t in_off, uint64_t len, int progress,
		     struct gate_result *res);

/*
 * Commit the image written into @session (by the caller, with write()):
 * the kernel compares what it hashed with the ticket. @session is closed.
 * Returns 0 and fills @res, or the kernel's negative errno (logged).
 */
int gate_commit(int session, struct gate_result *res);

/*
 * Whether a session committed the ticket @ticket_id in this boot
 * (FWGUARD_IOC_COMMITTED): 1 with the partition, length and digest; 0 when
 * not, or when the module is not loaded or too old to tell; else the
 * kernel's negative errno (logged). Read-only.
 */
int gate_committed(const uint8_t ticket_id[16], dev_t *devt, uint64_t *written,
		   uint8_t digest[32]);

/* One phrase for an errno of FWGUARD_IOC_BEGIN / COMMIT. */
const char *gate_strerror(int err, int commit);

#endif /* FWGUARD_GATE_H */
