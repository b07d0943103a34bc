// SPDX-License-Identifier: GPL-2.0-only
/* updatectl keys add|list|seal: the kernel's .fwguard keyring (lib/keyring.c). */
#include <stdio.h>

#include <linux/fwguard.h>

#include "userspace/cli/updatectl.h"
#include "userspace/lib/json.h"
#include "userspace/lib/keyring.h"

static int add_run(const struct uc_args *a, struct uc_step *step)
{
	int32_t id;
	int i, err;

	for (i = 0; i < a->n_operands; i++) {
		err = uc_keys_add(a->operands[i], &id, step);
		if (err)
			return err;
		printf("%d %s\n", id, a->operands[i]);
	}
	return UC_EXIT_OK;
}

static const struct uc_command UC_COMMAND(keys_add, "add", "CERT...", 1, 64,
	0, NULL, add_run, "add X.509 certificates (DER or PEM) to .fwguard");

static void list_report(const struct uc_args *a, const struct uc_key_list *keys)
{
	struct json_writer w;
	size_t i;

	if (!a->json) {
		for (i = 0; i < keys->count; i++)
			printf("%d %s\n", keys->keys[i].id, keys->keys[i].description);
		return;
	}
	json_begin(&w, stdout);
	json_array_begin(&w);
	for (i = 0; i < keys->count; i++) {
		json_object_begin(&w);
		json_kv_int(&w, "id", keys->keys[i].id);
		json_kv_string(&w, "description", keys->keys[i].description);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_end(&w);
}

static int list_run(const struct uc_args *a, struct uc_step *step)
{
	struct uc_key_list keys = { 0 };
	int err;

	err = uc_keys_list(&keys, step);
	if (!err)
		list_report(a, &keys);
	uc_key_list_free(&keys);
	return err;
}

static const struct uc_command UC_COMMAND(keys_list, "list", "", 0, 0,
	UC_CMD_JSON, NULL, list_run, "list the keys in .fwguard");

static int seal_run(const struct uc_args *a, struct uc_step *step)
{
	bool already;
	int err;

	err = uc_keys_seal(&already, step);
	if (err)
		return err;
	printf("%s %s\n", FWGUARD_KEYRING, already ? "is already restricted" : "sealed until reboot");
	return UC_EXIT_OK;
}

static const struct uc_command UC_COMMAND(keys_seal, "seal", "", 0, 0,
	0, NULL, seal_run, "forbid further keys until reboot");

const struct uc_command UC_GROUP(uc_cmd_keys, "keys",
	"add, list or seal the kernel's .fwguard ticket-signing keys",
	&keys_add, &keys_list, &keys_seal);
