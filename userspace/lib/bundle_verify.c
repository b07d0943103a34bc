// SPDX-License-Identifier: GPL-2.0-only
/*
 * Verify, then parse, then decide, for a bundle on the device (see
 * bundle_verify.h). The signature is checked before the payload is parsed,
 * and the payload is parsed before any field of it is believed; the image
 * bytes are not touched here at all — the kernel measures them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userspace/common/log.h"
#include "userspace/lib/bundle_io.h"
#include "userspace/lib/bundle_verify.h"

static int read_header(int fd, uint64_t available, const char *name, struct bundle_header *h)
{
	uint8_t raw[BUNDLE_HEADER_LEN];
	int err;

	if (available < BUNDLE_HEADER_LEN)
		return -EAGAIN;
	err = bundle_pread_exact(fd, raw, sizeof(raw), 0);
	if (err)
		return err;
	err = bundle_header_parse(raw, sizeof(raw), h);
	if (err) {
		fwg_log_error("%s: bad bundle header: %s", name, bundle_strerror(err));
		return -EBADMSG;
	}
	return 0;
}

int ticket_payload_parse(const void *payload, size_t len, const char *name,
			 struct fwguard_ticket *t)
{
	int err = fwguard_ticket_parse(payload, len, t);

	if (err) {
		fwg_log_error("%s: ticket payload refused: %s", name,
			      fwguard_ticket_strerror(err));
		return -EBADMSG;
	}
	return 0;
}

int ticket_verify_cms(const struct cms_trust *trust, const void *der, size_t der_len,
		      const char *name, struct fwguard_ticket *t, bool *signature_ok)
{
	uint8_t payload[FWGUARD_TICKET_MAX_LEN];
	size_t payload_len = 0;
	int err;

	if (signature_ok)
		*signature_ok = false;
	err = cms_verify_ticket(trust, der, der_len, payload, sizeof(payload), &payload_len);
	if (err)
		return err;
	if (signature_ok)
		*signature_ok = true;
	return ticket_payload_parse(payload, payload_len, name, t);
}

static int verify_cms(const struct bundle_ticket *bt, const char *name,
		      const struct cms_trust *trust, struct fwguard_ticket *t)
{
	int err;

	err = ticket_verify_cms(trust, bt->cms, bt->cms_len, name, t, NULL);
	if (err)
		return err;
	err = bundle_check_ticket(&bt->header, t);
	if (err) {
		fwg_log_error("%s: %s", name, bundle_strerror(err));
		return -EBADMSG;
	}
	return 0;
}

int bundle_ticket_read(int fd, uint64_t available, const char *name,
		       const struct cms_trust *trust, const struct ticket_policy *policy,
		       struct bundle_ticket *out)
{
	struct bundle_ticket bt = { 0 };
	int err;

	err = read_header(fd, available, name, &bt.header);
	if (err)
		return err;
	if (available < (uint64_t)bt.header.header_len + bt.header.cms_len)
		return -EAGAIN;
	bt.cms_len = bt.header.cms_len;
	bt.cms = malloc(bt.cms_len);
	if (!bt.cms)
		return -ENOMEM;
	err = bundle_pread_exact(fd, bt.cms, bt.cms_len, bt.header.header_len);
	if (!err)
		err = verify_cms(&bt, name, trust, &bt.ticket);
	if (!err && policy)
		err = ticket_policy_check(policy, &bt.ticket);
	if (err) {
		free(bt.cms);
		return err;
	}
	bt.total_len = bundle_image_offset(&bt.header) + bt.header.image_len;
	*out = bt;
	return 0;
}

void bundle_ticket_release(struct bundle_ticket *bt)
{
	if (!bt)
		return;
	free(bt->cms);
	bt->cms = NULL;
}
