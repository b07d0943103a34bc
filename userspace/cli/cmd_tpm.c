// SPDX-License-Identifier: GPL-2.0-only
/*
 * `updatectl tpm`: the admin and internal TPM steps over the tpm/ library.
 * Every subcommand runs in fixed phases: parse options, validate and prepare
 * every input (digests, names, versions) without touching the TPM or the
 * state directory, then act, then report. So bad input never changes
 * anything. Exit codes: 0 ok, 2 usage, 3 PCR/digest mismatch or floor
 * refusal, 4 TPM unavailable or failed, 6 sealed blob missing/corrupt or
 * other file error (see tpm/TPM.md "Command line").
 */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpm/tpm.h"
#include "userspace/cli/updatectl.h"

struct tpm_args {
	struct fwg_tpm_options opts;
	const char *subcommand;
	const char *component, *slot, *version, *digest, *file, *raise;
	const char *after[FWG_TPM_EARLIER_MAX];
	size_t n_after;
	bool json, persist_srk;
};

struct tpm_subcommand {
	const char *name;
	int (*run)(const struct tpm_args *args);
	const char *synopsis;
};

static void tpm_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void tpm_error(const char *fmt, ...)
{
	va_list ap;

	fputs("updatectl tpm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int exit_code(int err)
{
	switch (err) {
	case 0:
		return UC_EXIT_OK;
	case -EINVAL:
	case -EPERM:
		return UC_EXIT_USAGE;
	case FWG_TPM_E_PCR_MISMATCH:
	case FWG_TPM_E_DIGEST_MISMATCH:
	case FWG_TPM_E_STALE:
	case -E2BIG:
		return UC_EXIT_VERIFY;
	case FWG_TPM_E_NO_BLOB:
	case FWG_TPM_E_BAD_BLOB:
	case -EACCES:
	case -ENOSPC:
	case -EROFS:
	case -ENAMETOOLONG:
		return UC_EXIT_IO;
	default:
		/* Unavailable, missing bank, TPM-side failures, unprovisioned. */
		return UC_EXIT_TPM;
	}
}

/* Option parsing and input validation: nothing here touches the TPM. */

static bool parse_u64(const char *text, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!text || !*text || text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

/* Component, slot and digest always; the version where one is recorded. */
static int subject_from_args(const struct tpm_args *args, bool need_version,
			     struct fwg_tpm_subject *subject)
{
	struct fwg_tpm_subject s;
	int err;

	memset(&s, 0, sizeof(s));
	if (!args->component ||
	    !fwg_tpm_subject_name_valid(args->component, FWG_COMPONENT_MAX)) {
		tpm_error("--component must be 1-%d characters of [A-Za-z0-9._-]",
			  FWG_COMPONENT_MAX);
		return -EINVAL;
	}
	strcpy(s.component, args->component);
	if (!args->slot || !fwg_tpm_subject_name_valid(args->slot, FWG_SLOT_MAX)) {
		tpm_error("--slot must be 1-%d characters of [A-Za-z0-9._-]",
			  FWG_SLOT_MAX);
		return -EINVAL;
	}
	strcpy(s.slot, args->slot);
	if (need_version && !parse_u64(args->version, &s.version)) {
		tpm_error("--version must be a decimal security version");
		return -EINVAL;
	}
	if (!!args->digest == !!args->file) {
		tpm_error("give exactly one of --digest HEX and --file PATH");
		return -EINVAL;
	}
	if (args->digest && fwg_hex_decode_digest(args->digest, s.digest)) {
		tpm_error("--digest must be 64 hex digits (SHA-256)");
		return -EINVAL;
	}
	if (args->file) {
		err = fwg_sha256_file(args->file, s.digest);
		if (err) {
			tpm_error("cannot hash %s: %s", args->file, strerror(-err));
			return err;
		}
	}
	*subject = s;
	return 0;
}

static int tpm_open(const struct tpm_args *args, struct fwg_tpm **ret)
{
	int err = fwg_tpm_open(&args->opts, ret);

	if (err == -ENOMEM)
		tpm_error("out of memory");
	return err;
}

static void print_hex(const uint8_t *buf, size_t len)
{
	char hex[2 * FWG_DIGEST_SIZE + 1];

	fwg_hex_encode(buf, len, hex);
	fputs(hex, stdout);
}

/* The subcommands. */

static int run_measure(const struct tpm_args *args)
{
	struct fwg_tpm_subject subject;
	struct fwg_tpm *tpm = NULL;
	int err;

	err = subject_from_args(args, true, &subject);
	if (!err)
		err = tpm_open(args, &tpm);
	if (!err)
		err = fwg_tpm_measure(tpm, &subject);
	if (!err) {
		printf("extended PCR %u with %s slot %s version %" PRIu64 ": ",
		       fwg_tpm_pcr_index(tpm), subject.component, subject.slot,
		       subject.version);
		print_hex(subject.digest, FWG_DIGEST_SIZE);
		putchar('\n');
	}
	fwg_tpm_close(tpm);
	return err;
}

static int earlier_from_args(const struct tpm_args *args,
			     uint8_t earlier[][FWG_DIGEST_SIZE])
{
	size_t i;

	for (i = 0; i < args->n_after; i++) {
		if (fwg_hex_decode_digest(args->after[i], earlier[i])) {
			tpm_error("--after must be 64 hex digits (SHA-256)");
			return -EINVAL;
		}
	}
	return 0;
}

static int run_seal(const struct tpm_args *args)
{
	uint8_t predicted[FWG_DIGEST_SIZE], earlier[FWG_TPM_EARLIER_MAX][FWG_DIGEST_SIZE];
	struct fwg_tpm_subject subject;
	struct fwg_tpm *tpm = NULL;
	int err;

	err = subject_from_args(args, true, &subject);
	if (!err)
		err = earlier_from_args(args, earlier);
	if (!err)
		err = tpm_open(args, &tpm);
	if (!err)
		err = fwg_tpm_seal_after(tpm, &subject, earlier, args->n_after);
	if (!err)
		err = fwg_tpm_predict_boot_pcr_after(earlier, args->n_after,
						     subject.digest, predicted);
	if (!err) {
		printf("sealed %s slot %s version %" PRIu64 " to PCR %u = ",
		       subject.component, subject.slot, subject.version,
		       fwg_tpm_pcr_index(tpm));
		print_hex(predicted, FWG_DIGEST_SIZE);
		putchar('\n');
	}
	fwg_tpm_close(tpm);
	return err;
}

static int run_unseal_verify(const struct tpm_args *args)
{
	struct fwg_tpm_subject measured, sealed;
	struct fwg_tpm *tpm = NULL;
	int err;

	err = subject_from_args(args, false, &measured);
	if (!err)
		err = tpm_open(args, &tpm);
	if (!err)
		err = fwg_tpm_unseal_verify(tpm, measured.component, measured.slot,
					    measured.digest, &sealed);
	if (!err && args->json)
		printf("{\"component\":\"%s\",\"slot\":\"%s\",\"version\":%" PRIu64
		       ",\"verified\":true}\n", sealed.component, sealed.slot,
		       sealed.version);
	else if (!err)
		printf("verified %s slot %s version %" PRIu64 "\n",
		       sealed.component, sealed.slot, sealed.version);
	fwg_tpm_close(tpm);
	return err;
}

static int run_provision(const struct tpm_args *args)
{
	struct fwg_tpm *tpm = NULL;
	bool created = false;
	uint64_t floor = 0;
	int err;

	err = tpm_open(args, &tpm);
	if (!err && args->persist_srk) {
		err = fwg_tpm_srk_persist(tpm, &created);
		if (!err)
			printf("SRK at 0x%08x: %s\n", FWG_TPM_SRK_HANDLE,
			       created ? "created" : "already present");
	}
	if (!err)
		err = fwg_tpm_floor_provision(tpm);
	if (!err)
		err = fwg_tpm_floor_read(tpm, &floor);
	if (!err)
		printf("version floor NV index 0x%08x: %" PRIu64 "\n",
		       FWG_TPM_FLOOR_NV_INDEX, floor);
	fwg_tpm_close(tpm);
	return err;
}

static int run_floor(const struct tpm_args *args)
{
	struct fwg_tpm *tpm = NULL;
	uint64_t version = 0, floor = 0;
	int err = 0;

	if (args->raise && !parse_u64(args->raise, &version)) {
		tpm_error("--raise must be a decimal security version");
		return -EINVAL;
	}
	err = tpm_open(args, &tpm);
	if (!err && args->raise)
		err = fwg_tpm_floor_raise(tpm, version, &floor);
	else if (!err)
		err = fwg_tpm_floor_read(tpm, &floor);
	if (!err && args->json)
		printf("{\"floor\":%" PRIu64 "}\n", floor);
	else if (!err)
		printf("%" PRIu64 "\n", floor);
	fwg_tpm_close(tpm);
	return err;
}

static void print_replay(const struct tpm_args *args, unsigned int pcr,
			 unsigned int events, const uint8_t replayed[FWG_DIGEST_SIZE],
			 const uint8_t actual[FWG_DIGEST_SIZE], bool match)
{
	if (args->json) {
		printf("{\"pcr\":%u,\"events\":%u,\"replayed\":\"", pcr, events);
		print_hex(replayed, FWG_DIGEST_SIZE);
		printf("\",\"pcr_value\":\"");
		print_hex(actual, FWG_DIGEST_SIZE);
		printf("\",\"match\":%s}\n", match ? "true" : "false");
		return;
	}
	printf("%u events replay to ", events);
	print_hex(replayed, FWG_DIGEST_SIZE);
	printf("; PCR %u holds ", pcr);
	print_hex(actual, FWG_DIGEST_SIZE);
	printf(": %s\n", match ? "match" : "MISMATCH");
}

static int run_replay(const struct tpm_args *args)
{
	uint8_t replayed[FWG_DIGEST_SIZE], actual[FWG_DIGEST_SIZE];
	struct fwg_tpm *tpm = NULL;
	unsigned int events = 0;
	bool match;
	int err;

	err = tpm_open(args, &tpm);
	if (!err)
		err = fwg_eventlog_replay(fwg_tpm_state_dir(tpm),
					  fwg_tpm_pcr_index(tpm), replayed, &events);
	if (!err)
		err = fwg_tpm_pcr_read(tpm, actual);
	if (!err) {
		match = !memcmp(replayed, actual, sizeof(actual));
		print_replay(args, fwg_tpm_pcr_index(tpm), events, replayed, actual,
			     match);
		if (!match) {
			tpm_error("event log does not replay to the PCR value");
			err = FWG_TPM_E_PCR_MISMATCH;
		}
	}
	fwg_tpm_close(tpm);
	return err;
}

/* Status: every section reports what it can; only "no TPM" fails it. */

static void status_sealed_record(const char *state_dir, const char *component,
				 const char *slot, bool json, bool *first)
{
	struct fwg_tpm_sealed_info info;
	int err = fwg_sealed_info_read(state_dir, component, slot, &info);

	if (json) {
		printf("%s{\"component\":\"%s\",\"slot\":\"%s\"", *first ? "" : ",",
		       component, slot);
		if (err) {
			printf(",\"state\":\"corrupt\"}");
		} else {
			printf(",\"state\":\"ok\",\"version\":%" PRIu64
			       ",\"pcr\":%u,\"sealed_at\":%" PRIu64 ",\"digest\":\"",
			       info.subject.version, info.pcr, info.sealed_at);
			print_hex(info.subject.digest, FWG_DIGEST_SIZE);
			printf("\",\"predicted_pcr\":\"");
			print_hex(info.predicted_pcr, FWG_DIGEST_SIZE);
			printf("\"}");
		}
	} else if (err) {
		printf("sealed %s slot %s: corrupt\n", component, slot);
	} else {
		printf("sealed %s slot %s: version %" PRIu64 " digest ", component,
		       slot, info.subject.version);
		print_hex(info.subject.digest, FWG_DIGEST_SIZE);
		printf(" PCR %u predicted ", info.pcr);
		print_hex(info.predicted_pcr, FWG_DIGEST_SIZE);
		putchar('\n');
	}
	*first = false;
}

/*
 * Split "<component>@<slot>.seal" into its names; false for anything else
 * (temporary files of an interrupted write, foreign files). '@' is outside
 * the name charset, so the split is unambiguous.
 */
static bool sealed_file_names(const char *fname, char component[FWG_COMPONENT_MAX + 1],
			      char slot[FWG_SLOT_MAX + 1])
{
	size_t len = strlen(fname), comp_len, slot_len;
	const char *at = strchr(fname, '@');

	if (!at || len < 5 || strcmp(fname + len - 5, ".seal") ||
	    at >= fname + len - 5)
		return false;
	comp_len = (size_t)(at - fname);
	slot_len = len - 5 - comp_len - 1;
	if (comp_len > FWG_COMPONENT_MAX || slot_len > FWG_SLOT_MAX)
		return false;
	memcpy(component, fname, comp_len);
	component[comp_len] = '\0';
	memcpy(slot, at + 1, slot_len);
	slot[slot_len] = '\0';
	return fwg_tpm_subject_name_valid(component, FWG_COMPONENT_MAX) &&
	       fwg_tpm_subject_name_valid(slot, FWG_SLOT_MAX);
}

/* Every sealed record in the directory, one per component and slot. */
static void status_sealed(const char *state_dir, bool json)
{
	char path[4096], component[FWG_COMPONENT_MAX + 1], slot[FWG_SLOT_MAX + 1];
	struct dirent **entries = NULL;
	bool first = true;
	int i, n;

	snprintf(path, sizeof(path), "%s/sealed", state_dir);
	n = scandir(path, &entries, NULL, alphasort);
	if (json)
		printf(",\"sealed\":[");
	for (i = 0; i < n; i++) {
		if (sealed_file_names(entries[i]->d_name, component, slot))
			status_sealed_record(state_dir, component, slot, json, &first);
		free(entries[i]);
	}
	free(entries);
	if (json)
		printf("]");
	else if (first)
		printf("sealed: none\n");
}

struct status {
	uint8_t pcr_value[FWG_DIGEST_SIZE], replayed[FWG_DIGEST_SIZE];
	int pcr_err, floor_err, replay_err;
	uint64_t floor;
	uint32_t lockout;
	unsigned int events;
	bool srk;
};

static int status_collect(struct fwg_tpm *tpm, struct status *st)
{
	int err;

	st->pcr_err = fwg_tpm_pcr_read(tpm, st->pcr_value);
	if (st->pcr_err == FWG_TPM_E_UNAVAILABLE)
		return st->pcr_err;
	st->floor_err = fwg_tpm_floor_read(tpm, &st->floor);
	err = fwg_tpm_srk_present(tpm, &st->srk);
	if (!err)
		err = fwg_tpm_lockout_counter(tpm, &st->lockout);
	st->replay_err = fwg_eventlog_replay(fwg_tpm_state_dir(tpm),
					     fwg_tpm_pcr_index(tpm), st->replayed,
					     &st->events);
	return err;
}

static const char *floor_state(int err)
{
	if (!err)
		return "ok";
	if (err == FWG_TPM_E_NOT_PROVISIONED)
		return "not-provisioned";
	return "error";
}

static void status_print_json(struct fwg_tpm *tpm, const struct status *st)
{
	printf("{\"pcr\":%u,\"bank\":\"sha256\",\"pcr_value\":",
	       fwg_tpm_pcr_index(tpm));
	if (st->pcr_err) {
		printf("null");
	} else {
		putchar('"');
		print_hex(st->pcr_value, FWG_DIGEST_SIZE);
		putchar('"');
	}
	printf(",\"floor_index\":\"0x%08x\",\"floor_state\":\"%s\",\"floor\":",
	       FWG_TPM_FLOOR_NV_INDEX, floor_state(st->floor_err));
	if (st->floor_err)
		printf("null");
	else
		printf("%" PRIu64, st->floor);
	printf(",\"srk_persistent\":%s,\"lockout_counter\":%" PRIu32,
	       st->srk ? "true" : "false", st->lockout);
	printf(",\"eventlog\":{\"events\":%u,\"matches_pcr\":%s}", st->events,
	       !st->replay_err && !st->pcr_err &&
	       !memcmp(st->replayed, st->pcr_value, FWG_DIGEST_SIZE) ?
	       "true" : "false");
	status_sealed(fwg_tpm_state_dir(tpm), true);
	printf("}\n");
}

static void status_print_text(struct fwg_tpm *tpm, const struct status *st)
{
	printf("PCR %u (sha256): ", fwg_tpm_pcr_index(tpm));
	if (st->pcr_err)
		printf("unavailable (bank not allocated?)");
	else
		print_hex(st->pcr_value, FWG_DIGEST_SIZE);
	printf("\nversion floor (NV 0x%08x): ", FWG_TPM_FLOOR_NV_INDEX);
	if (st->floor_err)
		printf("%s\n", floor_state(st->floor_err));
	else
		printf("%" PRIu64 "\n", st->floor);
	printf("persistent SRK 0x%08x: %s\n", FWG_TPM_SRK_HANDLE,
	       st->srk ? "present" : "absent (transient ECC primary used)");
	printf("lockout counter: %" PRIu32 "\n", st->lockout);
	printf("event log: %u events this boot, %s\n", st->events,
	       !st->replay_err && !st->pcr_err &&
	       !memcmp(st->replayed, st->pcr_value, FWG_DIGEST_SIZE) ?
	       "replays to the PCR" : "does NOT replay to the PCR");
	status_sealed(fwg_tpm_state_dir(tpm), false);
}

static int run_status(const struct tpm_args *args)
{
	struct fwg_tpm *tpm = NULL;
	struct status st;
	int err;

	memset(&st, 0, sizeof(st));
	err = tpm_open(args, &tpm);
	if (!err)
		err = status_collect(tpm, &st);
	if (!err && args->json)
		status_print_json(tpm, &st);
	else if (!err)
		status_print_text(tpm, &st);
	fwg_tpm_close(tpm);
	return err;
}

static const struct tpm_subcommand subcommands[] = {
	{ "provision", run_provision, "[--persist-srk]" },
	{ "status", run_status, "[--json]" },
	{ "measure", run_measure,
	  "--component C --slot S --version V (--digest HEX | --file PATH)" },
	{ "seal", run_seal,
	  "--component C --slot S --version V (--digest HEX | --file PATH)\n"
	  "                 [--after HEX]...  (digests measured before it at boot)" },
	{ "unseal-verify", run_unseal_verify,
	  "--component C --slot S (--digest HEX | --file PATH) [--json]" },
	{ "floor", run_floor, "[--raise V] [--json]" },
	{ "replay", run_replay, "[--json]" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: updatectl tpm SUBCOMMAND [--tcti CONF] [--state-dir DIR] "
		"[--pcr N] [OPTIONS]\n\nsubcommands:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-14s %s\n", subcommands[i].name,
			subcommands[i].synopsis);
}

enum {
	OPT_TCTI = 256, OPT_STATE_DIR, OPT_PCR, OPT_TEST_PCR, OPT_COMPONENT,
	OPT_SLOT, OPT_VERSION, OPT_DIGEST, OPT_FILE, OPT_RAISE, OPT_JSON,
	OPT_PERSIST_SRK, OPT_AFTER, OPT_HELP,
};

static const struct option long_options[] = {
	{ "tcti", required_argument, NULL, OPT_TCTI },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "pcr", required_argument, NULL, OPT_PCR },
	{ "test-allow-resettable-pcr", no_argument, NULL, OPT_TEST_PCR },
	{ "component", required_argument, NULL, OPT_COMPONENT },
	{ "slot", required_argument, NULL, OPT_SLOT },
	{ "version", required_argument, NULL, OPT_VERSION },
	{ "digest", required_argument, NULL, OPT_DIGEST },
	{ "file", required_argument, NULL, OPT_FILE },
	{ "raise", required_argument, NULL, OPT_RAISE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "persist-srk", no_argument, NULL, OPT_PERSIST_SRK },
	{ "after", required_argument, NULL, OPT_AFTER },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int parse_option(int opt, struct tpm_args *args)
{
	uint64_t pcr;

	switch (opt) {
	case OPT_TCTI: args->opts.tcti = optarg; break;
	case OPT_STATE_DIR: args->opts.state_dir = optarg; break;
	case OPT_PCR:
		if (!parse_u64(optarg, &pcr) || pcr > 23) {
			tpm_error("--pcr must be a PCR index 0..23");
			return -EINVAL;
		}
		args->opts.pcr = (int)pcr;
		break;
	case OPT_TEST_PCR: args->opts.allow_resettable_pcr = true; break;
	case OPT_COMPONENT: args->component = optarg; break;
	case OPT_SLOT: args->slot = optarg; break;
	case OPT_VERSION: args->version = optarg; break;
	case OPT_DIGEST: args->digest = optarg; break;
	case OPT_FILE: args->file = optarg; break;
	case OPT_RAISE: args->raise = optarg; break;
	case OPT_JSON: args->json = true; break;
	case OPT_PERSIST_SRK: args->persist_srk = true; break;
	case OPT_AFTER:
		if (args->n_after == FWG_TPM_EARLIER_MAX) {
			tpm_error("at most %d --after digests", FWG_TPM_EARLIER_MAX);
			return -EINVAL;
		}
		args->after[args->n_after++] = optarg;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct tpm_args *args)
{
	int opt, err;

	memset(args, 0, sizeof(*args));
	args->opts.pcr = -1;
	args->subcommand = argv[1];
	optind = 0;	/* glibc: restart scanning for this argv */
	/* argv[1] (the subcommand) plays the program name for getopt. */
	while ((opt = getopt_long(argc - 1, argv + 1, "", long_options, NULL)) != -1) {
		if (opt == OPT_HELP)
			return 1;
		err = parse_option(opt, args);
		if (err)
			return err;
	}
	if (optind < argc - 1) {
		tpm_error("unexpected argument '%s'", argv[optind + 1]);
		return -EINVAL;
	}
	return fwg_tpm_check_pcr_index(args->opts.pcr < 0 ? FWG_DEFAULT_PCR :
				       args->opts.pcr,
				       args->opts.allow_resettable_pcr);
}

int cmd_tpm(int argc, char **argv)
{
	struct tpm_args args;
	size_t i;
	int err;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? UC_EXIT_USAGE : UC_EXIT_OK;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			break;
	if (i == sizeof(subcommands) / sizeof(subcommands[0])) {
		tpm_error("unknown subcommand '%s' (see 'updatectl tpm --help')",
			  argv[1]);
		return UC_EXIT_USAGE;
	}
	err = parse_args(argc, argv, &args);
	if (err > 0) {
		usage(stdout);
		return UC_EXIT_OK;
	}
	if (err)
		return UC_EXIT_USAGE;
	return exit_code(subcommands[i].run(&args));
}
