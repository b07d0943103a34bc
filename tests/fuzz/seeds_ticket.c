// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes the seed corpus for fuzz_ticket into the directory given as the
 * only argument (`make fuzz-seeds` points it at tests/fuzz/corpus/ticket).
 * The seeds are a few valid tickets from the encoder, covering every
 * optional field and the size limits, plus one near-miss for each framing
 * rule, so the fuzzer starts next to both the accepting and the refusing
 * paths. The output is deterministic; rerunning it changes no file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "policy/ticket.h"

struct seed_buf {
	uint8_t bytes[FWGUARD_TICKET_MAX_LEN + 16];
	size_t len;
};

static int write_seed(const char *dir, const char *name, const struct seed_buf *s)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, s->bytes, s->len) != (ssize_t)s->len) {
		perror(path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return close(fd);
}

static void base_ticket(struct fwguard_ticket *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < FWGUARD_TICKET_ID_LEN; i++)
		t->id[i] = (uint8_t)(0x10 + 7 * i);
	strcpy(t->device_class, "acme-pump.v2");
	strcpy(t->component, "bootloader");
	t->image_len = 4 << 20;
	for (int i = 0; i < FWGUARD_SHA256_LEN; i++)
		t->image_sha256[i] = (uint8_t)(0xe3 ^ i);
	t->security_version = 7;
}

static int encode(const struct fwguard_ticket *t, struct seed_buf *s)
{
	int err = fwguard_ticket_encode(t, s->bytes, sizeof(s->bytes), &s->len);

	if (err)
		fprintf(stderr, "encode: %s\n", fwguard_ticket_strerror(err));
	return err;
}

/* Append bytes inside the declared body, updating its length. */
static void grow_body(struct seed_buf *s, const void *p, size_t n)
{
	uint32_t body;

	memcpy(s->bytes + s->len, p, n);
	s->len += n;
	body = (uint32_t)(s->len - FWGUARD_TICKET_HDR_LEN);
	for (int i = 0; i < 4; i++)
		s->bytes[8 + i] = (uint8_t)(body >> (8 * i));
}

static int write_valid(const char *dir, struct seed_buf *full)
{
	struct fwguard_ticket t;
	struct seed_buf s;

	base_ticket(&t);
	if (encode(&t, &s) || write_seed(dir, "valid-minimal", &s))
		return -1;
	strcpy(t.serial, "SN:0042+A");
	t.not_before = 1700000000;
	t.not_after = 1900000000;
	t.flags = FWGUARD_TICKET_F_RAISE_FLOOR;
	if (encode(&t, full) || write_seed(dir, "valid-full", full))
		return -1;
	memset(t.device_class, 'C', FWGUARD_CLASS_MAX);
	memset(t.serial, 'S', FWGUARD_SERIAL_MAX);
	memset(t.component, 'k', FWGUARD_COMPONENT_MAX);
	t.flags = FWGUARD_TICKET_F_KNOWN;
	t.not_before = t.not_after;
	if (encode(&t, &s) || write_seed(dir, "valid-longest", &s))
		return -1;
	base_ticket(&t);
	t.not_after = 1900000000;
	if (encode(&t, &s) || write_seed(dir, "valid-not-after-only", &s))
		return -1;
	return 0;
}

static int write_near_misses(const char *dir, const struct seed_buf *full)
{
	static const uint8_t not_before_field[12] = { 8, 0, 8, 0, 1 };
	struct seed_buf s;
	int err = 0;

	s = *full;
	s.len--;
	err |= write_seed(dir, "bad-truncated", &s);
	s = *full;
	s.bytes[s.len++] = 0;
	err |= write_seed(dir, "bad-trailing", &s);
	s = *full;
	s.bytes[4] = 2;
	err |= write_seed(dir, "bad-version", &s);
	s = *full;
	s.bytes[s.len - 8] = 11;	/* the flags field is last: make its tag unknown */
	err |= write_seed(dir, "bad-unknown-tag", &s);
	s = *full;
	grow_body(&s, full->bytes + full->len - 8, 8);
	err |= write_seed(dir, "bad-duplicate", &s);
	s = *full;
	grow_body(&s, not_before_field, sizeof(not_before_field));
	err |= write_seed(dir, "bad-order", &s);
	s = *full;
	s.bytes[FWGUARD_TICKET_HDR_LEN + 4 + FWGUARD_TICKET_ID_LEN + 4 + 2] = ' ';
	err |= write_seed(dir, "bad-charset", &s);
	return err ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct seed_buf full;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	if (write_valid(argv[1], &full) || write_near_misses(argv[1], &full))
		return 1;
	return 0;
}
