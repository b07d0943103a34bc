// SPDX-License-Identifier: GPL-2.0-only
/*
 * updatectl install: verify a bundle, stream its image through the kernel
 * gate into the inactive slot of its component, measure the digest the
 * kernel reports into the TPM, seal it for the next boot, and mark the slot
 * to be tried. The active slot, its state and its sealed record are never
 * touched; the target slot is marked invalid before its first byte is
 * written and valid only after everything succeeded, so a failure or power
 * cut at any step leaves a slot that will not be booted.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "userspace/common/fileio.h"
#include "userspace/common/hex.h"
#include "tpm/tpm.h"
#include "userspace/cli/args.h"
#include "userspace/lib/bundle_io.h"
#include "userspace/lib/bundle_verify.h"
#include "userspace/lib/config.h"
#include "userspace/common/fileio.h"
#include "userspace/lib/gate.h"
#include "userspace/lib/policy_conf.h"
#include "userspace/lib/runtime.h"
#include "userspace/lib/slots.h"
#include "userspace/cli/updatectl.h"

/* Everything one install works with, released by install_release(). */
struct install {
	struct uc_config cfg;
	struct policy_conf pc;
	const struct pc_component *comp;
	struct slot_state state;
	struct bundle_ticket bt;
	struct pc_partition target_part;
	struct fwg_tpm *tpm;
	char path[PATH_MAX];
	int fd;
	int target;
	uint64_t floor;
};

static void install_usage(FILE *out)
{
	fprintf(out,
		"usage: updatectl install [--config FILE] [--json] [--quiet] BUNDLE|URL\n"
		"  Verify the bundle, write its image through fwguard into the inactive\n"
		"  slot of its component, measure and seal it in the TPM, and mark the\n"
		"  slot to be tried at the next boot. A URL is fetched first.\n");
}

/* Step 1: the bundle, verified against the trust store and device policy. */
static int install_verify(struct install *in)
{
	struct ticket_policy policy = {
		.device_class = in->cfg.device_class,
		.serial = in->cfg.serial[0] ? in->cfg.serial : NULL,
		.version_floor = in->floor,
		.now = (uint64_t)time(NULL),
	};
	struct cms_trust *trust = NULL;
	struct stat st;
	int err;

	in->fd = open(in->path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0 || fstat(in->fd, &st) < 0) {
		err = -errno;
		fprintf(stderr, "updatectl: cannot open %s: %s\n", in->path, strerror(errno));
		return err;
	}
	err = cms_trust_load(in->cfg.trust, &trust);
	if (err)
		return err;
	err = bundle_ticket_read(in->fd, (uint64_t)st.st_size, in->path, trust, &policy, &in->bt);
	cms_trust_free(trust);
	if (!err && in->bt.total_len != (uint64_t)st.st_size) {
		fprintf(stderr, "updatectl: %s: file is %lld bytes, its header says %" PRIu64 "\n",
			in->path, (long long)st.st_size, in->bt.total_len);
		err = -EBADMSG;
	}
	return err;
}

/* Step 2: which slot to write, from the policy and the slot state. */
static int install_choose_slot(struct install *in)
{
	const char *component = in->bt.ticket.component;
	int err;

	err = policy_conf_load(in->cfg.policy, &in->pc);
	if (err)
		return err == -ENOENT ? -ENOENT : -EINVAL;
	in->comp = policy_conf_find(&in->pc, component);
	if (!in->comp) {
		fprintf(stderr, "updatectl: %s: component '%s' is not in %s\n", in->path,
			component, in->cfg.policy);
		return -EACCES;
	}
	err = slot_state_load(in->cfg.state_dir, component, &in->state);
	if (err)
		return err;
	in->target = 1 - slot_state_booted(&in->state);
	err = pc_resolve("/sys/class/block", in->comp->slot[in->target].spec, &in->target_part);
	if (err)
		return err;
	if (in->bt.ticket.image_len > in->target_part.size_bytes) {
		fprintf(stderr, "updatectl: image of %" PRIu64 " bytes does not fit slot %s (%" PRIu64
			" bytes)\n", in->bt.ticket.image_len, in->comp->slot[in->target].name,
			in->target_part.size_bytes);
		return -ENOSPC;
	}
	return 0;
}

/* Step 3: mark the target slot unusable before its first byte changes. */
static int install_invalidate_target(struct install *in)
{
	struct slot_record *r = &in->state.slot[in->target];

	memset(r, 0, sizeof(*r));
	if (in->state.pending == in->target)
		in->state.pending = -1;
	return slot_state_save(in->cfg.state_dir, &in->state);
}

/* Step 5: extend the PCR and seal the kernel-measured digest. */
static int install_measure(struct install *in, const struct gate_result *res)
{
	struct fwg_tpm_subject subject = { .version = in->bt.ticket.security_version };
	int err;

	snprintf(subject.component, sizeof(subject.component), "%s", in->comp->name);
	snprintf(subject.slot, sizeof(subject.slot), "%s", in->comp->slot[in->target].name);
	memcpy(subject.digest, res->digest, sizeof(subject.digest));
	err = fwg_tpm_measure(in->tpm, &subject);
	if (!err)
		err = fwg_tpm_seal(in->tpm, &subject);
	if (err)
		fprintf(stderr, "updatectl: TPM step failed: %s\n", strerror(-err));
	return err;
}

static void install_report(const struct install *in, const struct uc_args *a,
			   const struct gate_result *res)
{
	char hex[65];

	fwg_hex_encode(res->digest, sizeof(res->digest), hex);
	if (a->json)
		printf("{\"component\":\"%s\",\"slot\":\"%s\",\"version\":%" PRIu64
		       ",\"length\":%" PRIu64 ",\"digest\":\"%s\",\"pending\":true}\n",
		       in->comp->name, in->comp->slot[in->target].name,
		       in->bt.ticket.security_version, res->written, hex);
	else if (!a->quiet)
		printf("installed %s version %" PRIu64 " into slot %s (%s)\n"
		       "measured sha256 %s\nreboot to try it; run 'updatectl mark-good' once it verified\n",
		       in->comp->name, in->bt.ticket.security_version,
		       in->comp->slot[in->target].name, in->target_part.devnode, hex);
}

/*
 * Ticket ids this device consumed, in <state_dir>/tickets, one hex id per
 * line. The kernel refuses a replay within a boot; this list refuses it
 * across reboots before anything is touched.
 */
static int ticket_log_path(const char *state_dir, char *buf, size_t size)
{
	return (size_t)snprintf(buf, size, "%s/tickets", state_dir) >= size ? -ENAMETOOLONG : 0;
}

static int ticket_log_check(const char *state_dir, const uint8_t id[16])
{
	char path[PATH_MAX], hex[33], line[64];
	int err = 0;
	FILE *f;

	if (ticket_log_path(state_dir, path, sizeof(path)))
		return -ENAMETOOLONG;
	fwg_hex_encode(id, 16, hex);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!err && fgets(line, sizeof(line), f))
		if (!strncmp(line, hex, 32) && line[32] == '\n')
			err = -EALREADY;
	fclose(f);
	if (err)
		fprintf(stderr, "updatectl: ticket %s was already installed on this device "
			"(replay refused)\n", hex);
	return err;
}

static int ticket_log_add(const char *state_dir, const uint8_t id[16])
{
	char path[PATH_MAX], hex[34];
	int fd, err;

	if (ticket_log_path(state_dir, path, sizeof(path)))
		return -ENAMETOOLONG;
	fwg_hex_encode(id, 16, hex);
	hex[32] = '\n';
	hex[33] = '\0';
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_all(fd, hex, 33);
	if (!err && fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int install_run(struct install *in, const struct uc_args *a)
{
	struct gate_result res;
	struct slot_record *r;
	int err, session;

	err = uc_module_ensure();
	if (err)
		return -ENODEV;
	err = uc_tpm_open(&in->cfg, &in->tpm);
	if (!err)
		err = fwg_tpm_floor_read(in->tpm, &in->floor);
	if (err)
		return err == -ENXIO ? err : -ENODEV;
	err = install_verify(in);
	if (!err)
		err = install_choose_slot(in);
	if (!err)
		err = ticket_log_check(in->cfg.state_dir, in->bt.ticket.id);
	if (err)
		return err;
	/* The kernel verifies the ticket before anything changes on disk. */
	session = gate_begin(in->target_part.devt, in->bt.cms, in->bt.cms_len);
	if (session < 0)
		return session;
	err = install_invalidate_target(in);
	if (err) {
		close(session);
		return err;
	}
	err = gate_write_image(session, in->fd, bundle_image_offset(&in->bt.header),
			       in->bt.header.image_len,
			       !a->quiet && !a->json && isatty(STDERR_FILENO), &res);
	if (!err)
		err = ticket_log_add(in->cfg.state_dir, in->bt.ticket.id);
	if (err)
		return err;
	err = install_measure(in, &res);
	if (err)
		return err;
	r = &in->state.slot[in->target];
	r->valid = true;
	r->version = in->bt.ticket.security_version;
	r->length = res.written;
	memcpy(r->digest, res.digest, sizeof(r->digest));
	in->state.pending = in->target;
	err = slot_state_save(in->cfg.state_dir, &in->state);
	if (!err)
		install_report(in, a, &res);
	return err;
}

static int install_exit_code(int err)
{
	switch (err) {
	case 0: return UC_EXIT_OK;
	case -ENODEV: return UC_EXIT_KERNEL;
	case -ENXIO: return UC_EXIT_TPM;
	case -EINVAL: return UC_EXIT_USAGE;
	case -EIO: case -ENOSPC: case -ENOENT: return UC_EXIT_IO;
	case -EPERM: case -ETXTBSY: case -EBUSY: return UC_EXIT_KERNEL;
	default: return UC_EXIT_VERIFY;
	}
}

int cmd_install(int argc, char **argv)
{
	struct uc_args args = { 0 };
	struct install in = { .fd = -1 };
	int err, lock;

	if (uc_parse_args(argc, argv, false, install_usage, &args))
		return UC_EXIT_USAGE;
	if (uc_config_read(&in.cfg, args.config))
		return UC_EXIT_USAGE;
	lock = uc_lock();
	if (lock < 0)
		return uc_lock_exit_code(lock);
	if (strstr(args.source, "://")) {
		err = uc_fetch_bundle(&in.cfg, args.source, NULL, args.quiet || args.json,
				      in.path, sizeof(in.path), NULL);
		if (err) {
			close(lock);
			return fetch_exit_code(err);
		}
	} else {
		snprintf(in.path, sizeof(in.path), "%s", args.source);
	}
	err = install_run(&in, &args);
	if (err)
		fprintf(stderr, "updatectl: install of %s failed; the active slot is unchanged\n",
			in.path);
	bundle_ticket_release(&in.bt);
	fwg_tpm_close(in.tpm);
	if (in.fd >= 0)
		close(in.fd);
	close(lock);
	return install_exit_code(err);
}

/*
 * updatectl verify BUNDLE: everything install checks before the kernel is
 * involved (signature, signer, device policy, TPM floor, replay), plus the
 * image digest, hashed here, since nothing will be written. Changes nothing.
 */
static int verify_image(struct install *in)
{
	uint8_t digest[FWGUARD_SHA256_LEN];
	int err;

	err = bundle_stream(in->fd, bundle_image_offset(&in->bt.header), in->bt.header.image_len,
			    -1, 0, digest);
	if (err)
		return err;
	if (memcmp(digest, in->bt.ticket.image_sha256, sizeof(digest))) {
		fprintf(stderr, "updatectl: %s: image does not match the ticket's digest\n", in->path);
		return -EBADMSG;
	}
	return 0;
}

static void verify_usage(FILE *out)
{
	fprintf(out,
		"usage: updatectl verify [--config FILE] [--json] [--quiet] BUNDLE\n"
		"  Check a bundle as install would (signature, signer, device class,\n"
		"  TPM version floor, replay) and hash its image against the ticket,\n"
		"  without writing anything.\n");
}

int cmd_verify(int argc, char **argv)
{
	struct uc_args args = { 0 };
	struct install in = { .fd = -1 };
	int err;

	if (uc_parse_args(argc, argv, false, verify_usage, &args))
		return UC_EXIT_USAGE;
	if (uc_config_read(&in.cfg, args.config))
		return UC_EXIT_USAGE;
	snprintf(in.path, sizeof(in.path), "%s", args.source);
	err = uc_tpm_open(&in.cfg, &in.tpm);
	if (!err)
		err = fwg_tpm_floor_read(in.tpm, &in.floor);
	if (err) {
		fwg_tpm_close(in.tpm);
		return UC_EXIT_TPM;
	}
	err = install_verify(&in);
	if (!err)
		err = ticket_log_check(in.cfg.state_dir, in.bt.ticket.id);
	if (!err)
		err = verify_image(&in);
	if (!err && args.json)
		printf("{\"bundle\":\"%s\",\"component\":\"%s\",\"version\":%" PRIu64
		       ",\"verified\":true}\n", in.path, in.bt.ticket.component,
		       in.bt.ticket.security_version);
	else if (!err && !args.quiet)
		printf("%s: verified: %s version %" PRIu64 " for %s\n", in.path,
		       in.bt.ticket.component, in.bt.ticket.security_version,
		       in.bt.ticket.device_class);
	bundle_ticket_release(&in.bt);
	fwg_tpm_close(in.tpm);
	if (in.fd >= 0)
		close(in.fd);
	return install_exit_code(err);
}
