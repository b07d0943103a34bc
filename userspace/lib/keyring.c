// SPDX-License-Identifier: GPL-2.0-only
/* The .fwguard keyring through keyutils (see keyring.h). */
#include <errno.h>
#include <keyutils.h>
#include <linux/fwguard.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userspace/common/cleanup.h"
#include "userspace/common/log.h"
#include "userspace/lib/keyring.h"

#define KEYS_CERT_MAX	(64 * 1024)

/* The .fwguard keyring, found through /proc/keys as keyctl's %:.fwguard is. */
static int find_keyring(key_serial_t *out, struct uc_step *step)
{
	key_serial_t k;

	uc_step_enter(step, UC_SRC_KERNEL, "find-keyring");
	k = find_key_by_type_and_desc("keyring", FWGUARD_KEYRING, 0);
	if (k < 0) {
		fwg_log_error("keys: no %s keyring (is fwguard.ko loaded? are you root?)",
			      FWGUARD_KEYRING);
		return -ENOKEY;
	}
	*out = k;
	return 0;
}

static X509 *parse_cert(FILE *f)
{
	X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);

	if (!cert) {
		rewind(f);
		cert = d2i_X509_fp(f, NULL);
	}
	return cert;
}

/* Read @path into a malloc()ed buffer holding DER, converting PEM. */
static int read_cert(const char *path, unsigned char **der, int *der_len)
{
	_cleanup_fclose_ FILE *f = fopen(path, "rb");
	X509 *cert;
	long size;

	if (!f) {
		fwg_log_error("keys: cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fwg_log_error("keys: cannot read %s: %s", path, strerror(errno));
		return -EIO;
	}
	if (size > KEYS_CERT_MAX) {
		fwg_log_error("keys: %s is larger than %d bytes", path, KEYS_CERT_MAX);
		return -EFBIG;
	}
	cert = parse_cert(f);
	if (!cert) {
		fwg_log_error("keys: %s is not an X.509 certificate (DER or PEM)", path);
		return -EINVAL;
	}
	*der = NULL;
	*der_len = i2d_X509(cert, der);
	X509_free(cert);
	return *der_len > 0 ? 0 : -ENOMEM;
}

int uc_keys_add(const char *path, int32_t *id, struct uc_step *step)
{
	key_serial_t keyring, key;
	unsigned char *der;
	int len = 0, err;

	err = find_keyring(&keyring, step);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_INPUT, "read-certificate");
	err = read_cert(path, &der, &len);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_KERNEL, "add-key");
	key = add_key("asymmetric", "", der, (size_t)len, keyring);
	err = key < 0 ? -errno : 0;
	OPENSSL_free(der);
	if (err == -EPERM || err == -EKEYREJECTED || err == -ENOKEY)
		fwg_log_error("keys: kernel refused %s: %s (keyring sealed, or certificate not "
			      "vouched for in trusted mode)", path, strerror(-err));
	else if (err)
		fwg_log_error("keys: cannot add %s: %s", path, strerror(-err));
	else
		*id = key;
	return err;
}

/* keyctl describe gives "type;uid;gid;perm;description". */
static char *key_description(key_serial_t key)
{
	char *desc = NULL, *name, *copy;

	if (keyctl_describe_alloc(key, &desc) < 0)
		return strdup("");
	name = strrchr(desc, ';');
	copy = strdup(name ? name + 1 : desc);
	free(desc);
	return copy;
}

int uc_keys_list(struct uc_key_list *out, struct uc_step *step)
{
	_cleanup_free_ key_serial_t *ids = NULL;
	key_serial_t keyring;
	long len, i;
	int err;

	err = find_keyring(&keyring, step);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_KERNEL, "read-keyring");
	len = keyctl_read_alloc(keyring, (void **)&ids);
	if (len < 0) {
		err = -errno;
		fwg_log_error("keys: cannot read %s: %s", FWGUARD_KEYRING, strerror(-err));
		return err;
	}
	out->count = (size_t)len / sizeof(*ids);
	out->keys = calloc(out->count ? out->count : 1, sizeof(*out->keys));
	if (!out->keys)
		return -ENOMEM;
	for (i = 0; i < (long)out->count; i++) {
		out->keys[i].id = ids[i];
		out->keys[i].description = key_description(ids[i]);
	}
	return 0;
}

void uc_key_list_free(struct uc_key_list *list)
{
	size_t i;

	for (i = 0; list->keys && i < list->count; i++)
		free(list->keys[i].description);
	free(list->keys);
	list->keys = NULL;
}

int uc_keys_seal(bool *already, struct uc_step *step)
{
	key_serial_t keyring;
	int err;

	err = find_keyring(&keyring, step);
	if (err)
		return err;
	uc_step_enter(step, UC_SRC_KERNEL, "seal-keyring");
	*already = false;
	if (!keyctl_restrict_keyring(keyring, NULL, NULL))
		return 0;
	err = -errno;
	if (err == -EEXIST) {
		/* Trusted mode, or sealed before: already restricted. */
		*already = true;
		return 0;
	}
	fwg_log_error("keys: cannot seal %s: %s", FWGUARD_KEYRING, strerror(-err));
	return err;
}
