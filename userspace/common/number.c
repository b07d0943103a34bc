// SPDX-License-Identifier: GPL-2.0-only
/* Decimal numbers (see number.h): strtoull() accepts signs and spaces, we do not. */
#include <errno.h>
#include <stdlib.h>

#include "userspace/common/number.h"

int fwg_parse_u64(const char *text, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!text || text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}
