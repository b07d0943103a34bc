// SPDX-License-Identifier: GPL-2.0-only
/*
 * The U-Boot environment through libubootenv, with the counters of U-Boot's
 * common A/B script: BOOT_ORDER ("A B" or "B A") and BOOT_A_LEFT,
 * BOOT_B_LEFT (tries left; the script boots the first slot in order whose
 * counter is above 0 and decrements it). U-Boot has no "confirmed" slot:
 * a good slot gets boot_tries again at every mark-good, so the health check
 * that calls mark-good at each boot keeps it bootable, and a good slot that
 * stops reaching it is abandoned after boot_tries boots like a trial.
 *
 * The environment's location comes from a fw_env.config-style file
 * (uboot_env_config); with two lines it is redundant, and libubootenv
 * writes the older copy with a higher flag, so a cut during a write leaves
 * the other, whole copy valid (its CRC) and in use. An environment with no
 * valid copy is refused: the device's environment is provisioned at the
 * factory, never made up here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libuboot.h>

#include "userspace/common/log.h"
#include "userspace/common/number.h"
#include "userspace/lib/bootctl.h"

static void env_close(struct uboot_ctx **ctx)
{
	if (!*ctx)
		return;
	libuboot_close(*ctx);
	libuboot_exit(*ctx);
}

static int env_open(const char *config, struct uboot_ctx **out)
{
	struct uboot_ctx *ctx = NULL;
	int err;

	*out = NULL;
	if (libuboot_initialize(&ctx, NULL) < 0) {
		fwg_log_error("libubootenv: cannot initialize");
		return -ENOMEM;
	}
	err = libuboot_read_config(ctx, config);
	if (err < 0) {
		fwg_log_error("uboot_env_config %s: unreadable or not a fw_env.config (%s)",
			      config, strerror(-err));
		libuboot_exit(ctx);
		return -EINVAL;
	}
	err = libuboot_open(ctx);
	if (err < 0) {
		fwg_log_error("U-Boot environment of %s: no valid copy (%s); nothing changed",
			      config, strerror(-err));
		libuboot_exit(ctx);
		return -EBADMSG;
	}
	*out = ctx;
	return 0;
}

static int get_order(struct uboot_ctx *ctx, const char *config, struct bootctl_state *st)
{
	char *v = libuboot_get_env(ctx, "BOOT_ORDER");
	int err = 0;

	st->order[0] = 0;
	st->order[1] = 1;
	if (v && !strcmp(v, "B A")) {
		st->order[0] = 1;
		st->order[1] = 0;
	} else if (v && strcmp(v, "A B")) {
		fwg_log_error("U-Boot environment of %s: BOOT_ORDER=%s is neither \"A B\" nor "
			      "\"B A\"; nothing changed", config, v);
		err = -EBADMSG;
	}
	free(v);
	return err;
}

static int get_left(struct uboot_ctx *ctx, const char *config, int s, struct bootctl_state *st)
{
	char name[16], *v;
	uint64_t n = 0;
	int err = 0;

	snprintf(name, sizeof(name), "BOOT_%c_LEFT", 'A' + s);
	v = libuboot_get_env(ctx, name);
	if (v && (fwg_parse_u64(v, &n) || n > BOOTCTL_TRIES_MAX)) {
		fwg_log_error("U-Boot environment of %s: %s=%s is not a try count; nothing "
			      "changed", config, name, v);
		err = -EBADMSG;
	}
	free(v);
	st->left[s] = (int)n;	/* unset: 0, never booted */
	st->ok[s] = n > 0;
	return err;
}

static int read_state(struct uboot_ctx *ctx, const char *config, struct bootctl_state *st)
{
	int err = get_order(ctx, config, st);

	if (!err)
		err = get_left(ctx, config, 0, st);
	return err ? err : get_left(ctx, config, 1, st);
}

int bootctl_uboot_read(const char *config, unsigned int tries, struct bootctl_state *st)
{
	struct uboot_ctx *ctx __attribute__((cleanup(env_close))) = NULL;
	int err = env_open(config, &ctx);

	return err ? err : read_state(ctx, config, st);
}

int bootctl_uboot_write(const char *config, unsigned int tries, const struct bootctl_state *st)
{
	struct uboot_ctx *ctx __attribute__((cleanup(env_close))) = NULL;
	struct bootctl_state cur;
	char order[4], left[2][8];
	int err, s;

	err = env_open(config, &ctx);
	if (!err)
		err = read_state(ctx, config, &cur);	/* refuse to rewrite a bad value */
	if (err)
		return err;
	snprintf(order, sizeof(order), "%c %c", 'A' + st->order[0], 'A' + st->order[1]);
	for (s = 0; s < 2; s++)
		snprintf(left[s], sizeof(left[s]), "%d", !st->ok[s] ? 0 :
			 st->left[s] == BOOTCTL_CONFIRMED ? (int)tries : st->left[s]);
	err = libuboot_set_env(ctx, "BOOT_ORDER", order);
	if (!err)
		err = libuboot_set_env(ctx, "BOOT_A_LEFT", left[0]);
	if (!err)
		err = libuboot_set_env(ctx, "BOOT_B_LEFT", left[1]);
	if (!err)
		err = libuboot_env_store(ctx);	/* the one write: the other copy */
	if (err < 0) {
		fwg_log_error("U-Boot environment of %s: cannot write (%s)", config,
			      strerror(-err));
		return err;
	}
	return 0;
}
