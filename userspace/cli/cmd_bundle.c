// SPDX-License-Identifier: GPL-2.0-only
/*
 * `updatectl bundle create|inspect`: the vendor-side bundle commands. This
 * file owns the command lines, the order of the steps and the output; the
 * framing is bundle_format.c's, the streaming and atomic writes
 * bundle_io.c's, the signatures cms_sign.c's and cms_verify.c's, the payload
 * the shared ticket parser's.
 *
 * create writes the image first, hashing each chunk as it copies it, so the
 * bytes in the bundle are exactly the bytes that were hashed even if the
 * source changes meanwhile; it can do so in one pass because the CMS length
 * does not depend on the digest value (a dry-run signature gives it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "ticket.h"
#include "userspace/common/fileio.h"
#include "userspace/common/hex.h"
#include "userspace/lib/bundle_format.h"
#include "userspace/lib/bundle_io.h"
#include "userspace/lib/cms_sign.h"
#include "userspace/lib/cms_verify.h"
#include "userspace/lib/ssl_error.h"
#include "userspace/cli/updatectl.h"

struct create_opts {
	const char *image, *component, *device_class, *serial, *key, *cert, *output;
	uint64_t security_version, not_before, not_after;
	uint32_t flags;
	bool have_version;
};

struct inspect_opts {
	const char *bundle, *trust;
	bool json;
};

/* What inspect learned, for printing. */
struct inspect_result {
	struct bundle_header hdr;
	struct fwguard_ticket ticket;
	bool verified;
};

static void bundle_usage(FILE *out)
{
	fprintf(out,
		"usage: updatectl bundle create --image FILE --component NAME --device-class CLASS\n"
		"                              --security-version N --key KEY.pem|pkcs11:URI --cert CERT.pem\n"
		"                              [--serial S] [--not-before T] [--not-after T]\n"
		"                              [--raise-floor] [--test-only] --output BUNDLE\n"
		"       updatectl bundle inspect BUNDLE [--trust CAFILE|CADIR] [--json]\n"
		"T is seconds since the epoch or YYYY-MM-DDTHH:MM:SSZ.\n");
}

/* Errno to exit code: files and disks are I/O, refusals of content are VERIFY. */
static int exit_code(int err)
{
	switch (err) {
	case 0:
		return UC_EXIT_OK;
	case -EIO: case -ENOENT: case -ENODATA: case -ENOSPC:
		return UC_EXIT_IO;
	case -ENOMEM:
		return UC_EXIT_FAILURE;
	default:
		return UC_EXIT_VERIFY;
	}
}

static int parse_u64(const char *opt, const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!*s || *s == '-' || *s == '+') {
		fprintf(stderr, "updatectl: %s: not a number: '%s'\n", opt, s);
		return -EINVAL;
	}
	v = strtoull(s, &end, 10);
	if (errno || *end) {
		fprintf(stderr, "updatectl: %s: not a number: '%s'\n", opt, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_time(const char *opt, const char *s, uint64_t *out)
{
	struct tm tm = { 0 };
	const char *end;
	time_t t;

	if (strchr(s, '-') == NULL || *s == '-')
		return parse_u64(opt, s, out);
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	t = end && !*end ? timegm(&tm) : (time_t)-1;
	if (t <= 0) {
		fprintf(stderr, "updatectl: %s: expected seconds or YYYY-MM-DDTHH:MM:SSZ, got '%s'\n",
			opt, s);
		return -EINVAL;
	}
	*out = (uint64_t)t;
	return 0;
}

enum { OPT_IMAGE = 256, OPT_COMPONENT, OPT_CLASS, OPT_SERIAL, OPT_VERSION, OPT_KEY,
       OPT_CERT, OPT_OUTPUT, OPT_NOT_BEFORE, OPT_NOT_AFTER, OPT_RAISE_FLOOR,
       OPT_TEST_ONLY, OPT_TRUST, OPT_JSON };

static const struct option create_options[] = {
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "component", required_argument, NULL, OPT_COMPONENT },
	{ "device-class", required_argument, NULL, OPT_CLASS },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "security-version", required_argument, NULL, OPT_VERSION },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "not-before", required_argument, NULL, OPT_NOT_BEFORE },
	{ "not-after", required_argument, NULL, OPT_NOT_AFTER },
	{ "raise-floor", no_argument, NULL, OPT_RAISE_FLOOR },
	{ "test-only", no_argument, NULL, OPT_TEST_ONLY },
	{ NULL, 0, NULL, 0 },
};

static int create_option(struct create_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case OPT_IMAGE: o->image = arg; return 0;
	case OPT_COMPONENT: o->component = arg; return 0;
	case OPT_CLASS: o->device_class = arg; return 0;
	case OPT_SERIAL: o->serial = arg; return 0;
	case OPT_KEY: o->key = arg; return 0;
	case OPT_CERT: o->cert = arg; return 0;
	case OPT_OUTPUT: o->output = arg; return 0;
	case OPT_RAISE_FLOOR: o->flags |= FWGUARD_TICKET_F_RAISE_FLOOR; return 0;
	case OPT_TEST_ONLY: o->flags |= FWGUARD_TICKET_F_TEST_ONLY; return 0;
	case OPT_VERSION:
		o->have_version = true;
		return parse_u64("--security-version", arg, &o->security_version);
	case OPT_NOT_BEFORE: return parse_time("--not-before", arg, &o->not_before);
	case OPT_NOT_AFTER: return parse_time("--not-after", arg, &o->not_after);
	default: return -EINVAL;
	}
}

static int parse_create_args(int argc, char **argv, struct create_opts *o)
{
	int opt;

	optind = 0;
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "", create_options, NULL)) != -1)
		if (create_option(o, opt, optarg))
			return -EINVAL;
	if (optind != argc) {
		fprintf(stderr, "updatectl: bundle create: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->image || !o->component || !o->device_class || !o->have_version || !o->key ||
	    !o->cert || !o->output) {
		fprintf(stderr, "updatectl: bundle create: --image, --component, --device-class, "
			"--security-version, --key, --cert and --output are required\n");
		return -EINVAL;
	}
	return 0;
}

static int copy_field(const char *opt, char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size) {
		fprintf(stderr, "updatectl: %s: longer than %zu bytes\n", opt, size - 1);
		return -EINVAL;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

/* Everything but the digest, which the single streaming pass fills in. */
static int build_ticket(const struct create_opts *o, uint64_t image_len,
			struct fwguard_ticket *t)
{
	memset(t, 0, sizeof(*t));
	if (copy_field("--device-class", t->device_class, sizeof(t->device_class),
		       o->device_class) ||
	    copy_field("--component", t->component, sizeof(t->component), o->component) ||
	    (o->serial && copy_field("--serial", t->serial, sizeof(t->serial), o->serial)))
		return -EINVAL;
	if (RAND_bytes(t->id, sizeof(t->id)) != 1) {
		ssl_log_error("no random ticket id");
		return -EIO;
	}
	t->image_len = image_len;
	t->security_version = o->security_version;
	t->not_before = o->not_before;
	t->not_after = o->not_after;
	t->flags = o->flags;
	return 0;
}

static int sign_ticket(const struct cms_signer *signer, const struct fwguard_ticket *t,
		       uint8_t **cms, size_t *cms_len)
{
	uint8_t payload[FWGUARD_TICKET_MAX_LEN];
	size_t payload_len;
	int err;

	err = fwguard_ticket_encode(t, payload, sizeof(payload), &payload_len);
	if (err) {
		fprintf(stderr, "updatectl: cannot encode ticket: %s\n",
			fwguard_ticket_strerror(err));
		return -EINVAL;
	}
	return cms_sign_ticket(signer, payload, payload_len, cms, cms_len);
}

static int open_image(const char *path, int *fd_out, uint64_t *len_out)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "updatectl: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return errno == ENOENT ? -ENOENT : -EIO;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
		fprintf(stderr, "updatectl: %s: not a non-empty regular file\n", path);
		close(fd);
		return -EINVAL;
	}
	*fd_out = fd;
	*len_out = (uint64_t)st.st_size;
	return 0;
}

/*
 * Image at its final offset first (hashed while copied), then the ticket
 * that names its digest, then the header: all into the temporary file.
 */
static int write_bundle(const struct cms_signer *signer, struct fwguard_ticket *t,
			int image_fd, struct bundle_out *out)
{
	uint8_t hdr[BUNDLE_HEADER_LEN], *cms = NULL;
	size_t cms_len, dry_len;
	int err;

	err = sign_ticket(signer, t, &cms, &dry_len);
	if (err)
		return err;
	OPENSSL_free(cms);
	cms = NULL;
	err = bundle_stream(image_fd, 0, t->image_len, out->fd, BUNDLE_HEADER_LEN + dry_len,
			    t->image_sha256);
	if (!err)
		err = sign_ticket(signer, t, &cms, &cms_len);
	if (!err && cms_len != dry_len) {
		fprintf(stderr, "updatectl: ticket size changed while signing (%zu, then %zu)\n",
			dry_len, cms_len);
		err = -EAGAIN;
	}
	if (!err)
		err = bundle_header_encode((uint32_t)cms_len, t->image_len, hdr) ? -EINVAL : 0;
	if (!err)
		err = bundle_pwrite_all(out->fd, hdr, sizeof(hdr), 0);
	if (!err)
		err = bundle_pwrite_all(out->fd, cms, cms_len, BUNDLE_HEADER_LEN);
	OPENSSL_free(cms);
	return err;
}

static int do_create(const struct create_opts *o)
{
	struct cms_signer *signer = NULL;
	struct bundle_out out = { .fd = -1 };
	struct fwguard_ticket t;
	uint64_t image_len;
	int image_fd = -1, err;

	err = cms_signer_load(o->key, o->cert, &signer);
	if (err)
		return err == -ENOENT ? -ENOENT : -EINVAL;
	err = open_image(o->image, &image_fd, &image_len);
	if (!err)
		err = build_ticket(o, image_len, &t);
	if (!err)
		err = bundle_out_open(o->output, &out);
	if (!err)
		err = write_bundle(signer, &t, image_fd, &out);
	if (!err)
		err = bundle_out_commit(&out);
	else
		bundle_out_abort(&out);
	if (image_fd >= 0)
		close(image_fd);
	cms_signer_free(signer);
	return err;
}

static int bundle_create(int argc, char **argv)
{
	struct create_opts o = { 0 };
	int err;

	if (parse_create_args(argc, argv, &o)) {
		bundle_usage(stderr);
		return UC_EXIT_USAGE;
	}
	err = do_create(&o);
	if (err == -EINVAL)
		return UC_EXIT_USAGE;
	return exit_code(err);
}

static const struct option inspect_options[] = {
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static int parse_inspect_args(int argc, char **argv, struct inspect_opts *o)
{
	int opt;

	optind = 0;
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "", inspect_options, NULL)) != -1) {
		if (opt == OPT_TRUST)
			o->trust = optarg;
		else if (opt == OPT_JSON)
			o->json = true;
		else
			return -EINVAL;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "updatectl: bundle inspect: expected exactly one BUNDLE\n");
		return -EINVAL;
	}
	o->bundle = argv[optind];
	return 0;
}

static int bundle_refused(const char *path, int bundle_err)
{
	fprintf(stderr, "updatectl: %s: %s\n", path, bundle_strerror(bundle_err));
	return -EBADMSG;
}

static int read_header(int fd, const char *path, struct bundle_header *hdr)
{
	uint8_t buf[BUNDLE_HEADER_LEN];
	struct stat st;
	size_t n;
	int err;

	if (fstat(fd, &st)) {
		fprintf(stderr, "updatectl: %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	n = (uint64_t)st.st_size < sizeof(buf) ? (size_t)st.st_size : sizeof(buf);
	err = bundle_pread_exact(fd, buf, n, 0);
	if (err)
		return err;
	err = bundle_header_parse(buf, n, hdr);
	if (!err)
		err = bundle_check_file_size(hdr, (uint64_t)st.st_size);
	return err ? bundle_refused(path, err) : 0;
}

/* Verified content when a trust store is given, raw content for display otherwise. */
static int read_ticket(int fd, const struct inspect_opts *o, const struct bundle_header *hdr,
		       struct fwguard_ticket *t)
{
	uint8_t payload[FWGUARD_TICKET_MAX_LEN], *cms = malloc(hdr->cms_len);
	struct cms_trust *trust = NULL;
	size_t payload_len = 0;
	int err = cms ? 0 : -ENOMEM;

	if (!err)
		err = bundle_pread_exact(fd, cms, hdr->cms_len, hdr->header_len);
	if (!err && o->trust)
		err = cms_trust_load(o->trust, &trust);
	if (!err && trust)
		err = cms_verify_ticket(trust, cms, hdr->cms_len, payload, sizeof(payload),
					&payload_len);
	else if (!err)
		err = cms_ticket_content_unverified(cms, hdr->cms_len, payload, sizeof(payload),
						    &payload_len);
	if (!err) {
		err = fwguard_ticket_parse(payload, payload_len, t);
		if (err) {
			fprintf(stderr, "updatectl: %s: ticket payload refused: %s\n", o->bundle,
				fwguard_ticket_strerror(err));
			err = -EBADMSG;
		}
	}
	cms_trust_free(trust);
	free(cms);
	return err;
}

static int check_image(int fd, const char *path, const struct bundle_header *hdr,
		       const struct fwguard_ticket *t)
{
	uint8_t digest[FWGUARD_SHA256_LEN];
	int err = bundle_check_ticket(hdr, t);

	if (err)
		return bundle_refused(path, err);
	err = bundle_stream(fd, bundle_image_offset(hdr), hdr->image_len, -1, 0, digest);
	if (err)
		return err;
	if (memcmp(digest, t->image_sha256, sizeof(digest))) {
		fprintf(stderr, "updatectl: %s: image SHA-256 does not match the ticket\n", path);
		return -EBADMSG;
	}
	return 0;
}

static int do_inspect(const struct inspect_opts *o, struct inspect_result *r)
{
	int fd = open(o->bundle, O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0) {
		fprintf(stderr, "updatectl: %s: %s\n", o->bundle, strerror(errno));
		return errno == ENOENT ? -ENOENT : -EIO;
	}
	err = read_header(fd, o->bundle, &r->hdr);
	if (!err)
		err = read_ticket(fd, o, &r->hdr, &r->ticket);
	if (!err && o->trust)
		err = check_image(fd, o->bundle, &r->hdr, &r->ticket);
	r->verified = !err && o->trust;
	close(fd);
	return err;
}

static void format_time(char *dst, size_t size, uint64_t secs)
{
	struct tm tm;
	time_t t = (time_t)secs;

	if (!secs || secs > INT64_MAX || !gmtime_r(&t, &tm) ||
	    !strftime(dst, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(dst, size, "-");
}

/* Ticket strings are restricted to [A-Za-z0-9._:+-]; escaping is belt and braces. */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void json_field(FILE *out, const char *name, const char *value, bool last)
{
	fprintf(out, "  \"%s\": ", name);
	if (value)
		json_string(out, value);
	else
		fputs("null", out);
	fputs(last ? "\n" : ",\n", out);
}

static void json_u64(FILE *out, const char *name, uint64_t v, bool null_if_zero)
{
	if (null_if_zero && !v)
		fprintf(out, "  \"%s\": null,\n", name);
	else
		fprintf(out, "  \"%s\": %" PRIu64 ",\n", name, v);
}

static void print_json(FILE *out, const struct inspect_result *r)
{
	const struct fwguard_ticket *t = &r->ticket;
	char id[2 * FWGUARD_TICKET_ID_LEN + 1], digest[2 * FWGUARD_SHA256_LEN + 1];

	fwg_hex_encode(t->id, sizeof(t->id), id);
	fwg_hex_encode(t->image_sha256, sizeof(t->image_sha256), digest);
	fprintf(out, "{\n  \"format_version\": %u,\n", r->hdr.version);
	json_u64(out, "ticket_size", r->hdr.cms_len, false);
	json_field(out, "ticket_id", id, false);
	json_field(out, "device_class", t->device_class, false);
	json_field(out, "serial", t->serial[0] ? t->serial : NULL, false);
	json_field(out, "component", t->component, false);
	json_u64(out, "image_len", t->image_len, false);
	json_field(out, "image_sha256", digest, false);
	json_u64(out, "security_version", t->security_version, false);
	json_u64(out, "not_before", t->not_before, true);
	json_u64(out, "not_after", t->not_after, true);
	json_u64(out, "flags", t->flags, false);
	fprintf(out, "  \"verified\": %s\n}\n", r->verified ? "true" : "false");
}

static void print_human(FILE *out, const struct inspect_opts *o, const struct inspect_result *r)
{
	const struct fwguard_ticket *t = &r->ticket;
	char id[2 * FWGUARD_TICKET_ID_LEN + 1], digest[2 * FWGUARD_SHA256_LEN + 1];
	char nb[32], na[32];

	fwg_hex_encode(t->id, sizeof(t->id), id);
	fwg_hex_encode(t->image_sha256, sizeof(t->image_sha256), digest);
	format_time(nb, sizeof(nb), t->not_before);
	format_time(na, sizeof(na), t->not_after);
	fprintf(out, "Bundle:           %s (format %u, ticket %" PRIu32 " bytes)\n",
		o->bundle, r->hdr.version, r->hdr.cms_len);
	fprintf(out, "Ticket id:        %s\n", id);
	fprintf(out, "Device class:     %s\n", t->device_class);
	fprintf(out, "Serial:           %s\n", t->serial[0] ? t->serial : "(any)");
	fprintf(out, "Component:        %s\n", t->component);
	fprintf(out, "Image length:     %" PRIu64 "\n", t->image_len);
	fprintf(out, "Image SHA-256:    %s\n", digest);
	fprintf(out, "Security version: %" PRIu64 "\n", t->security_version);
	fprintf(out, "Not before:       %s\n", nb);
	fprintf(out, "Not after:        %s\n", na);
	fprintf(out, "Flags:            0x%08" PRIx32 "%s%s\n", t->flags,
		t->flags & FWGUARD_TICKET_F_RAISE_FLOOR ? " raise-floor" : "",
		t->flags & FWGUARD_TICKET_F_TEST_ONLY ? " test-only" : "");
	if (r->verified)
		fprintf(out, "Verified:         signature (%s) and image digest\n", o->trust);
	else
		fprintf(out, "Verified:         NO (no --trust given)\n");
}

static int bundle_inspect(int argc, char **argv)
{
	struct inspect_opts o = { 0 };
	struct inspect_result r;
	int err;

	if (parse_inspect_args(argc, argv, &o)) {
		bundle_usage(stderr);
		return UC_EXIT_USAGE;
	}
	err = do_inspect(&o, &r);
	if (err)
		return exit_code(err);
	if (o.json)
		print_json(stdout, &r);
	else
		print_human(stdout, &o, &r);
	return fflush(stdout) ? UC_EXIT_IO : UC_EXIT_OK;
}

int cmd_bundle(int argc, char **argv)
{
	if (argc < 2) {
		bundle_usage(stderr);
		return UC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "create"))
		return bundle_create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "inspect"))
		return bundle_inspect(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		bundle_usage(stdout);
		return UC_EXIT_OK;
	}
	fprintf(stderr, "updatectl: bundle: unknown subcommand '%s'\n", argv[1]);
	bundle_usage(stderr);
	return UC_EXIT_USAGE;
}
