// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the ticket payload parser (policy/ticket.c). Besides
 * "no crash, no sanitizer report", it checks the property the format is
 * built on: every payload the parser accepts is the one canonical encoding
 * of the ticket it decodes to. So an accepted input is re-encoded, must come
 * back byte for byte, and must parse again to the same ticket; anything else
 * aborts, which libFuzzer and the replay driver both report as a finding.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/ticket.h"
#include "tests/fuzz/fuzz.h"

static bool same_ticket(const struct fwguard_ticket *a, const struct fwguard_ticket *b)
{
	return !memcmp(a->id, b->id, sizeof(a->id)) &&
	       !memcmp(a->device_class, b->device_class, sizeof(a->device_class)) &&
	       !memcmp(a->serial, b->serial, sizeof(a->serial)) &&
	       !memcmp(a->component, b->component, sizeof(a->component)) &&
	       a->image_len == b->image_len &&
	       !memcmp(a->image_sha256, b->image_sha256, sizeof(a->image_sha256)) &&
	       a->security_version == b->security_version &&
	       a->not_before == b->not_before && a->not_after == b->not_after &&
	       a->flags == b->flags;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwguard_ticket first, second;
	uint8_t encoded[FWGUARD_TICKET_MAX_LEN];
	size_t len;
	int err;

	err = fwguard_ticket_parse(data, size, &first);
	if (err) {
		/* Every refusal must be one of the documented, described codes. */
		if (err >= 0 || -err >= FWGUARD_TICKET_ERROR_COUNT ||
		    !strcmp(fwguard_ticket_strerror(err), "unknown error"))
			abort();
		return 0;
	}
	if (fwguard_ticket_encode(&first, encoded, sizeof(encoded), &len))
		abort();
	if (len != size || memcmp(encoded, data, len))
		abort();
	if (fwguard_ticket_parse(encoded, len, &second) || !same_ticket(&first, &second))
		abort();
	return 0;
}
