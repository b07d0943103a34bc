/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Device-side verification of a bundle's ticket before any of its image is
 * trusted: header, CMS signature against the trust store, payload parse,
 * header/ticket agreement, then this device's policy. Used on complete
 * bundles (verify, install) and on the first bytes of a download (fetch),
 * which is why it reads through pread() on a file that may still grow.
 */
#ifndef FWGUARD_BUNDLE_VERIFY_H
#define FWGUARD_BUNDLE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ticket.h"
#include "userspace/lib/bundle_format.h"
#include "userspace/lib/cms_verify.h"
#include "userspace/lib/ticket_policy.h"

struct bundle_ticket {
	struct bundle_header header;
	struct fwguard_ticket ticket;
	uint8_t *cms;			/* the DER ticket, for the kernel */
	uint32_t cms_len;
	uint64_t total_len;		/* header + CMS + image */
};

/*
 * Verify the ticket of the bundle open at @fd, of which @available bytes
 * can be read. @policy may be NULL to skip the device policy.
 * Returns 0 and fills @out (free with bundle_ticket_release()), -EAGAIN if
 * fewer than header + CMS bytes are available yet, -EBADMSG (malformed
 * header, CMS or payload, or header and ticket disagree), a signature
 * refusal from cms_verify_ticket() (-ENOKEY, -EKEYEXPIRED, -ENOTUNIQ,
 * -ENOPKG, -EKEYREJECTED, ...), a policy refusal from ticket_policy_check()
 * (-ENODEV, -ENOENT, -ESTALE, -ETIME, -EPERM), or another -errno. Every
 * refusal is logged once, naming @name.
 */
int bundle_ticket_read(int fd, uint64_t available, const char *name,
		       const struct cms_trust *trust, const struct ticket_policy *policy,
		       struct bundle_ticket *out);

void bundle_ticket_release(struct bundle_ticket *bt);

/*
 * The one way a signed ticket is read, in a bundle or on its own: verify
 * the DER CMS @der against @trust, then parse the payload it signs into @t.
 * Returns 0, a refusal from cms_verify_ticket() (logged there), or -EBADMSG
 * when the signed payload is not a ticket (logged naming @name).
 * @signature_ok, when not NULL, tells the two apart: true once the
 * signature has verified, so a caller can name the file whose signature
 * was refused.
 */
int ticket_verify_cms(const struct cms_trust *trust, const void *der, size_t der_len,
		      const char *name, struct fwguard_ticket *t, bool *signature_ok);

/* Parse a ticket payload into @t: 0, or -EBADMSG logged naming @name. */
int ticket_payload_parse(const void *payload, size_t len, const char *name,
			 struct fwguard_ticket *t);

#endif /* FWGUARD_BUNDLE_VERIFY_H */
