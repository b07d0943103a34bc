// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl bundle create|inspect: the vendor-side bundle commands over
 * lib/bundle_create.c and lib/bundle_inspect.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ticket.h"
#include "userspace/cli/updatectl.h"
#include "userspace/common/hex.h"
#include "userspace/common/defaults.h"
#include "userspace/common/log.h"
#include "userspace/lib/bundle_create.h"
#include "userspace/lib/bundle_inspect.h"
#include "userspace/lib/json.h"

/* Seconds since the epoch, or YYYY-MM-DDTHH:MM:SSZ. */
static int parse_time(const char *opt, const char *s, uint64_t *out)
{
	struct tm tm = { 0 };
	const char *end;
	time_t t;

	if (strchr(s, '-') == NULL || *s == '-')
		return uc_parse_u64(opt, s, out);
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	t = end && !*end ? timegm(&tm) : (time_t)-1;
	if (t <= 0) {
		fwg_log_error("%s: expected seconds or YYYY-MM-DDTHH:MM:SSZ, got '%s'", opt, s);
		return -EINVAL;
	}
	*out = (uint64_t)t;
	return 0;
}

enum { OPT_IMAGE, OPT_COMPONENT, OPT_CLASS, OPT_VERSION, OPT_KEY, OPT_CERT, OPT_OUTPUT,
       OPT_SERIAL, OPT_NOT_BEFORE, OPT_NOT_AFTER, OPT_RAISE_FLOOR, OPT_TEST_ONLY,
       OPT_POLICY_KEY, OPT_PCR };

static const struct uc_option create_options[] = {
	[OPT_IMAGE] = { "image", "FILE", "the firmware image (required)" },
	[OPT_COMPONENT] = { "component", "NAME", "component it is for (required)" },
	[OPT_CLASS] = { "device-class", "CLASS", "device class it is for (required)" },
	[OPT_VERSION] = { "security-version", "N", "its security version (required)" },
	[OPT_KEY] = { "key", "KEY.pem|pkcs11:URI", "signing key (required)" },
	[OPT_CERT] = { "cert", "CERT.pem", "signing certificate (required)" },
	[OPT_OUTPUT] = { "output", "BUNDLE", "the bundle to write (required)" },
	[OPT_SERIAL] = { "serial", "S", "bind the ticket to one device" },
	[OPT_NOT_BEFORE] = { "not-before", "T", "valid from T (seconds or YYYY-MM-DDTHH:MM:SSZ)" },
	[OPT_NOT_AFTER] = { "not-after", "T", "valid until T" },
	[OPT_RAISE_FLOOR] = { "raise-floor", NULL, "raise the version floor on install" },
	[OPT_TEST_ONLY] = { "test-only", NULL, "for development devices only" },
	[OPT_POLICY_KEY] = { "policy-key", "KEY.pem", "also write BUNDLE.approval, signed with "
			     "this ECC P-256 key" },
	[OPT_PCR] = { "pcr", "N", "the devices' measurement PCR the approval is for (default 8)" },
	{ NULL },
};

static int create_request(const struct uc_args *a, struct bundle_create_request *r)
{
	static const int required[] = { OPT_IMAGE, OPT_COMPONENT, OPT_CLASS, OPT_VERSION,
					OPT_KEY, OPT_CERT, OPT_OUTPUT };
	size_t i;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!a->opt[required[i]]) {
			fwg_log_error("bundle create: --image, --component, --device-class, "
				      "--security-version, --key, --cert and --output are required");
			return -EINVAL;
		}
	*r = (struct bundle_create_request){
		.image = a->opt[OPT_IMAGE], .key = a->opt[OPT_KEY], .cert = a->opt[OPT_CERT],
		.output = a->opt[OPT_OUTPUT], .component = a->opt[OPT_COMPONENT],
		.device_class = a->opt[OPT_CLASS], .serial = a->opt[OPT_SERIAL],
		.flags = (a->opt[OPT_RAISE_FLOOR] ? FWGUARD_TICKET_F_RAISE_FLOOR : 0) |
			 (a->opt[OPT_TEST_ONLY] ? FWGUARD_TICKET_F_TEST_ONLY : 0),
	};
	r->policy_key = a->opt[OPT_POLICY_KEY];
	r->pcr = FWG_DEFAULT_PCR;
	if (a->opt[OPT_PCR]) {
		uint64_t pcr;

		if (uc_parse_u64("--pcr", a->opt[OPT_PCR], &pcr) || pcr > 23) {
			fwg_log_error("--pcr must be a PCR index 0..23");
			return -EINVAL;
		}
		r->pcr = (unsigned int)pcr;
	}
	if (uc_parse_u64("--security-version", a->opt[OPT_VERSION], &r->security_version) ||
	    (a->opt[OPT_NOT_BEFORE] &&
	     parse_time("--not-before", a->opt[OPT_NOT_BEFORE], &r->not_before)) ||
	    (a->opt[OPT_NOT_AFTER] &&
	     parse_time("--not-after", a->opt[OPT_NOT_AFTER], &r->not_after)))
		return -EINVAL;
	return 0;
}

static int create_run(const struct uc_args *a, struct uc_step *step)
{
	struct bundle_create_request req;
	int err;

	uc_step_enter(step, UC_SRC_USAGE, "parse-options");
	err = create_request(a, &req);
	if (!err)
		err = bundle_create(&req, step);
	return err;
}

static const struct uc_command UC_COMMAND(bundle_create_cmd, "create", "", 0, 0,
	0, create_options, create_run, "build a signed bundle from an image");

static void format_time(char *dst, size_t size, uint64_t secs)
{
	struct tm tm;
	time_t t = (time_t)secs;

	if (!secs || secs > INT64_MAX || !gmtime_r(&t, &tm) ||
	    !strftime(dst, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(dst, size, "-");
}

static void print_json(FILE *out, const struct bundle_inspect_result *r)
{
	const struct fwguard_ticket *t = &r->ticket;
	struct json_writer w;

	json_doc_begin(&w, out);
	json_kv_u64(&w, "format_version", r->hdr.version);
	json_kv_u64(&w, "ticket_size", r->hdr.cms_len);
	json_kv_hex(&w, "ticket_id", t->id, sizeof(t->id));
	json_kv_string(&w, "device_class", t->device_class);
	json_kv_string(&w, "serial", t->serial[0] ? t->serial : NULL);
	json_kv_string(&w, "component", t->component);
	json_kv_u64(&w, "image_len", t->image_len);
	json_kv_hex(&w, "image_sha256", t->image_sha256, sizeof(t->image_sha256));
	json_kv_u64(&w, "security_version", t->security_version);
	if (t->not_before)
		json_kv_u64(&w, "not_before", t->not_before);
	else
		json_kv_null(&w, "not_before");
	if (t->not_after)
		json_kv_u64(&w, "not_after", t->not_after);
	else
		json_kv_null(&w, "not_after");
	json_kv_u64(&w, "flags", t->flags);
	json_kv_bool(&w, "verified", r->verified);
	json_doc_end(&w);
}

static void print_human(FILE *out, const char *path, const char *trust,
			const struct bundle_inspect_result *r)
{
	const struct fwguard_ticket *t = &r->ticket;
	char id[2 * FWGUARD_TICKET_ID_LEN + 1], digest[2 * FWGUARD_SHA256_LEN + 1];
	char nb[32], na[32];

	fwg_hex_encode(t->id, sizeof(t->id), id);
	fwg_hex_encode(t->image_sha256, sizeof(t->image_sha256), digest);
	format_time(nb, sizeof(nb), t->not_before);
	format_time(na, sizeof(na), t->not_after);
	fprintf(out, "Bundle:           %s (format %u, ticket %" PRIu32 " bytes)\n",
		path, r->hdr.version, r->hdr.cms_len);
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
		fprintf(out, "Verified:         signature (%s) and image digest\n", trust);
	else
		fprintf(out, "Verified:         NO (no --trust given)\n");
}

enum { OPT_TRUST };

static const struct uc_option inspect_options[] = {
	[OPT_TRUST] = { "trust", "CAFILE|CADIR", "verify the signature and the image digest" },
	{ NULL },
};

static int inspect_run(const struct uc_args *a, struct uc_step *step)
{
	struct bundle_inspect_result r;
	int err;

	err = bundle_inspect(a->operands[0], a->opt[OPT_TRUST], &r, step);
	if (err)
		return err;
	if (a->json)
		print_json(stdout, &r);
	else
		print_human(stdout, a->operands[0], a->opt[OPT_TRUST], &r);
	return fflush(stdout) ? UC_EXIT_IO : UC_EXIT_OK;
}

static const struct uc_command UC_COMMAND(bundle_inspect_cmd, "inspect", "BUNDLE", 1, 1,
	UC_CMD_JSON, inspect_options, inspect_run, "show a bundle's ticket; verify it with --trust");

const struct uc_command UC_GROUP(uc_cmd_bundle, "bundle",
	"create or inspect update bundles (vendor side)",
	&bundle_create_cmd, &bundle_inspect_cmd);
