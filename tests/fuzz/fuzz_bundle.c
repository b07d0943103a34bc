// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the bundle header parser (userspace/bundle_format.c).
 * Beyond "no crash, no sanitizer report": every refusal is a documented
 * code; every accepted header is exactly the encoder's output for the
 * lengths it decoded to (reserved bytes zero, CRC right, so there is one
 * valid encoding per pair of lengths); and the offsets derived from an
 * accepted header cannot overflow. Any violation aborts, which libFuzzer
 * and the replay driver both report as a finding.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "userspace/lib/bundle_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t encoded[BUNDLE_HEADER_LEN];
	struct bundle_header h;
	uint64_t end;
	int err;

	err = bundle_header_parse(data, size, &h);
	if (err) {
		if (err >= 0 || -err >= BUNDLE_ERROR_COUNT)
			abort();
		return 0;
	}
	if (size < BUNDLE_HEADER_LEN || h.header_len != BUNDLE_HEADER_LEN)
		abort();
	if (bundle_header_encode(h.cms_len, h.image_len, encoded) ||
	    memcmp(encoded, data, BUNDLE_HEADER_LEN))
		abort();
	end = bundle_image_offset(&h) + h.image_len;
	if (end < h.image_len || bundle_check_file_size(&h, end) ||
	    !bundle_check_file_size(&h, end - 1))
		abort();
	return 0;
}
