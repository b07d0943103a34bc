// SPDX-License-Identifier: GPL-2.0-only
/*
 * `updatectl keys add|list|seal`: manage the kernel's .fwguard keyring,
 * whose keys decide which tickets fwguard.ko accepts. Certificates go in as
 * `asymmetric` keys (DER X.509; PEM is converted first). In the module's
 * provision mode root may add keys until `keys seal`, which restricts the
 * keyring so that nothing more can be linked until reboot; in trusted mode
 * the kernel only accepts certificates vouched for by its builtin or
 * secondary trusted keyrings. `keyctl padd asymmetric "" %:.fwguard` does
 * the same as `keys add`; this command adds the checks and messages.
 * Exit codes: 0 ok, 2 usage, 5 module missing or kernel refused, 6 file
 * error.
 */
#include <errno.h>
#include <keyutils.h>
#include <linux/fwguard.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userspace/cli/updatectl.h"

#define KEYS_CERT_MAX	(64 * 1024)

static void keys_usage(FILE *out)
{
	fprintf(out,
		"usage: updatectl keys add CERT...   add X.509 certificates (DER or PEM) to .fwguard\n"
		"       updatectl keys list [--json] list the keys in .fwguard\n"
		"       updatectl keys seal          forbid further keys until reboot\n");
}

static int keys_exit(int err)
{
	switch (err) {
	case 0:
		return UC_EXIT_OK;
	case -EINVAL:
		return UC_EXIT_USAGE;
	case -ENOENT:
	case -EIO:
	case -EFBIG:
		return UC_EXIT_IO;
	default:
		return UC_EXIT_KERNEL;
	}
}

/* The .fwguard keyring, found through /proc/keys as keyctl's %:.fwguard is. */
static int keys_find_keyring(key_serial_t *out)
{
	key_serial_t k = find_key_by_type_and_desc("keyring", FWGUARD_KEYRING, 0);

	if (k < 0) {
		fprintf(stderr, "updatectl keys: no %s keyring (is fwguard.ko loaded? are you root?)\n",
			FWGUARD_KEYRING);
		return -ENOKEY;
	}
	*out = k;
	return 0;
}

/* Read @path into a malloc()ed buffer holding DER, converting PEM. */
static int keys_read_cert(const char *path, unsigned char **der, int *der_len)
{
	X509 *cert = NULL;
	FILE *f;
	long size;
	int err = 0;

	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "updatectl keys: cannot open %s: %s\n", path, strerror(errno));
		return -ENOENT;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		err = -EIO;
	else if (size > KEYS_CERT_MAX)
		err = -EFBIG;
	if (!err) {
		cert = PEM_read_X509(f, NULL, NULL, NULL);
		if (!cert) {
			rewind(f);
			cert = d2i_X509_fp(f, NULL);
		}
	}
	fclose(f);
	if (!err && !cert) {
		fprintf(stderr, "updatectl keys: %s is not an X.509 certificate (DER or PEM)\n", path);
		return -EINVAL;
	}
	if (err) {
		fprintf(stderr, "updatectl keys: cannot read %s: %s\n", path, strerror(-err));
		return err;
	}
	*der = NULL;
	*der_len = i2d_X509(cert, der);
	X509_free(cert);
	return *der_len > 0 ? 0 : -ENOMEM;
}

static int keys_add_one(key_serial_t keyring, const char *path)
{
	unsigned char *der;
	key_serial_t key;
	int len, err;

	err = keys_read_cert(path, &der, &len);
	if (err)
		return err;
	key = add_key("asymmetric", "", der, (size_t)len, keyring);
	err = key < 0 ? -errno : 0;
	OPENSSL_free(der);
	if (err == -EPERM || err == -EKEYREJECTED || err == -ENOKEY)
		fprintf(stderr, "updatectl keys: kernel refused %s: %s (keyring sealed, or certificate not vouched for in trusted mode)\n",
			path, strerror(-err));
	else if (err)
		fprintf(stderr, "updatectl keys: cannot add %s: %s\n", path, strerror(-err));
	else
		printf("%d %s\n", key, path);
	return err;
}

static int keys_add(int argc, char **argv)
{
	key_serial_t keyring;
	int i, err;

	if (argc < 2) {
		keys_usage(stderr);
		return -EINVAL;
	}
	err = keys_find_keyring(&keyring);
	for (i = 1; !err && i < argc; i++)
		err = keys_add_one(keyring, argv[i]);
	return err;
}

/* keyctl describe gives "type;uid;gid;perm;description". */
static void keys_print(key_serial_t key, bool json, bool first)
{
	char *desc = NULL, *name;

	if (keyctl_describe_alloc(key, &desc) < 0) {
		fprintf(stderr, "updatectl keys: cannot describe key %d: %s\n", key, strerror(errno));
		return;
	}
	name = strrchr(desc, ';');
	name = name ? name + 1 : desc;
	if (json) {
		const char *p;

		printf("%s{\"id\":%d,\"description\":\"", first ? "" : ",", key);
		for (p = name; *p; p++)
			if (*p == '"' || *p == '\\')
				printf("\\%c", *p);
			else if ((unsigned char)*p >= 0x20)
				putchar(*p);
		printf("\"}");
	} else {
		printf("%d %s\n", key, name);
	}
	free(desc);
}

static int keys_list(int argc, char **argv)
{
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	key_serial_t keyring, *ids = NULL;
	long len, i;
	int err;

	if (argc > 2 || (argc == 2 && !json)) {
		keys_usage(stderr);
		return -EINVAL;
	}
	err = keys_find_keyring(&keyring);
	if (err)
		return err;
	len = keyctl_read_alloc(keyring, (void **)&ids);
	if (len < 0) {
		fprintf(stderr, "updatectl keys: cannot read %s: %s\n", FWGUARD_KEYRING, strerror(errno));
		return -errno;
	}
	if (json)
		printf("[");
	for (i = 0; i < len / (long)sizeof(*ids); i++)
		keys_print(ids[i], json, i == 0);
	if (json)
		printf("]\n");
	free(ids);
	return 0;
}

static int keys_seal(int argc, char **argv)
{
	key_serial_t keyring;
	int err;

	if (argc != 1) {
		keys_usage(stderr);
		return -EINVAL;
	}
	err = keys_find_keyring(&keyring);
	if (err)
		return err;
	if (!keyctl_restrict_keyring(keyring, NULL, NULL)) {
		printf("%s sealed until reboot\n", FWGUARD_KEYRING);
		return 0;
	}
	err = -errno;
	if (err == -EEXIST) {
		/* Trusted mode, or sealed before: already restricted. */
		printf("%s is already restricted\n", FWGUARD_KEYRING);
		return 0;
	}
	fprintf(stderr, "updatectl keys: cannot seal %s: %s\n", FWGUARD_KEYRING, strerror(-err));
	return err;
}

/**
 * cmd_keys() - `updatectl keys add|list|seal`
 * @argc: argument count, argv[0] is "keys"
 * @argv: arguments
 *
 * Return: an updatectl exit code.
 */
int cmd_keys(int argc, char **argv)
{
	if (argc < 2) {
		keys_usage(stderr);
		return UC_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		keys_usage(stdout);
		return UC_EXIT_OK;
	}
	if (!strcmp(argv[1], "add"))
		return keys_exit(keys_add(argc - 1, argv + 1));
	if (!strcmp(argv[1], "list"))
		return keys_exit(keys_list(argc - 1, argv + 1));
	if (!strcmp(argv[1], "seal"))
		return keys_exit(keys_seal(argc - 1, argv + 1));
	fprintf(stderr, "updatectl keys: unknown subcommand '%s'\n", argv[1]);
	keys_usage(stderr);
	return UC_EXIT_USAGE;
}
