// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sealed-record formats, apart from the TPM operations of seal.c: the
 * blob file <state_dir>/sealed/<component>@<slot>.seal (TPM.md "Sealed
 * blobs": header, the TPM's public and private parts, a SHA-256 over all
 * of it, checked before anything is parsed) and the payload the TPM keeps
 * sealed inside it. Blobs are replaced atomically so a crash leaves the
 * old one. Nothing here talks to the TPM.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include "tpm/tpm-internal.h"

#define SEALED_DIR		"sealed"
#define BLOB_MAGIC		"FWGSEAL1"
#define BLOB_FORMAT		1	/* PolicyPCR alone */
#define BLOB_FORMAT_AUTHORIZED	2	/* PolicyAuthorize + the vendor's approval */
#define BLOB_HEADER_SIZE	182
#define BLOB_FORMAT_FLOOR	3	/* format 2 + the vendor's floor approval */
#define BLOB_APPROVAL_SIZE	128	/* key x, y; signature r, s */
#define BLOB_FLOOR_SIZE		(FWG_FLOOR_FORMS * 64u)	/* r, s per floor form */
#define BLOB_MAX		4096
#define PAYLOAD_MAGIC		"FWGS"
#define PAYLOAD_FORMAT		1

/* Big-endian cursor over a bounded buffer; a short buffer latches error. */
struct cursor {
	uint8_t *buf;
	size_t len, pos;
	bool overflow;
};

static uint8_t *cursor_take(struct cursor *c, size_t n)
{
	uint8_t *p;

	if (c->overflow || n > c->len - c->pos) {
		c->overflow = true;
		return NULL;
	}
	p = c->buf + c->pos;
	c->pos += n;
	return p;
}

static void put_bytes(struct cursor *c, const void *src, size_t n)
{
	uint8_t *p = cursor_take(c, n);

	if (p)
		memcpy(p, src, n);
}

static void put_be(struct cursor *c, uint64_t v, size_t n)
{
	uint8_t *p = cursor_take(c, n);
	size_t i;

	for (i = 0; p && i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void get_bytes(struct cursor *c, void *dst, size_t n)
{
	uint8_t *p = cursor_take(c, n);

	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

static uint64_t get_be(struct cursor *c, size_t n)
{
	uint8_t *p = cursor_take(c, n);
	uint64_t v = 0;
	size_t i;

	for (i = 0; p && i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* A length-prefixed name padded to a fixed width: fixed offsets for all. */
static void put_name(struct cursor *c, const char *name, size_t width)
{
	uint8_t field[FWG_COMPONENT_MAX] = { 0 };
	size_t len = strlen(name);

	put_be(c, len, 1);
	memcpy(field, name, len);
	put_bytes(c, field, width);
}

static bool get_name(struct cursor *c, char *out, size_t width)
{
	size_t len = (size_t)get_be(c, 1);
	uint8_t field[FWG_COMPONENT_MAX] = { 0 };

	get_bytes(c, field, width);
	if (c->overflow || len > width)
		return false;
	memcpy(out, field, len);
	out[len] = '\0';
	return fwg_tpm_subject_name_valid(out, width);
}

/* The secret the TPM keeps: everything boot-verify needs to decide. */
size_t fwg_sealed_payload_build(const struct fwg_tpm_subject *s, uint8_t *buf,
			    size_t size)
{
	struct cursor c = { .buf = buf, .len = size };

	put_bytes(&c, PAYLOAD_MAGIC, 4);
	put_be(&c, PAYLOAD_FORMAT, 1);
	put_name(&c, s->component, FWG_COMPONENT_MAX);
	put_name(&c, s->slot, FWG_SLOT_MAX);
	put_be(&c, s->version, 8);
	put_bytes(&c, s->digest, FWG_DIGEST_SIZE);
	return c.overflow ? 0 : c.pos;
}

int fwg_sealed_payload_parse(const uint8_t *buf, size_t len,
			 struct fwg_tpm_subject *s)
{
	struct cursor c = { .buf = (uint8_t *)buf, .len = len };
	char magic[4];

	get_bytes(&c, magic, 4);
	if (memcmp(magic, PAYLOAD_MAGIC, 4) || get_be(&c, 1) != PAYLOAD_FORMAT)
		return FWG_TPM_E_BAD_BLOB;
	if (!get_name(&c, s->component, FWG_COMPONENT_MAX) ||
	    !get_name(&c, s->slot, FWG_SLOT_MAX))
		return FWG_TPM_E_BAD_BLOB;
	s->version = get_be(&c, 8);
	get_bytes(&c, s->digest, FWG_DIGEST_SIZE);
	if (c.overflow || c.pos != len)
		return FWG_TPM_E_BAD_BLOB;
	return 0;
}

/*
 * '@' is outside the name charset, so "<component>@<slot>" names exactly one
 * (component, slot) pair and no name can reach outside the directory.
 */
int fwg_sealed_blob_path(const char *state_dir, const char *component,
			 const char *slot, char **ret)
{
	char *path;

	if (!fwg_tpm_subject_name_valid(component, FWG_COMPONENT_MAX) ||
	    !fwg_tpm_subject_name_valid(slot, FWG_SLOT_MAX))
		return -EINVAL;
	if (asprintf(&path, "%s/%s/%s@%s.seal", state_dir, SEALED_DIR, component,
		     slot) < 0)
		return -ENOMEM;
	*ret = path;
	return 0;
}

static int blob_serialize(const struct fwg_tpm_sealed_info *info,
			  const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv,
			  uint8_t *buf, size_t size, size_t *len)
{
	struct cursor c = { .buf = buf, .len = size };
	bool floor = info->authorized && info->approval.has_floor;
	size_t pub_at, off;
	TSS2_RC rc;
	int f;

	put_bytes(&c, BLOB_MAGIC, 8);
	put_be(&c, !info->authorized ? BLOB_FORMAT : floor ? BLOB_FORMAT_FLOOR :
		   BLOB_FORMAT_AUTHORIZED, 2);
	put_be(&c, info->pcr, 2);
	put_be(&c, TPM2_ALG_SHA256, 2);
	put_be(&c, 0, 2);
	put_be(&c, info->sealed_at, 8);
	put_bytes(&c, info->predicted_pcr, FWG_DIGEST_SIZE);
	put_bytes(&c, info->subject.digest, FWG_DIGEST_SIZE);
	put_be(&c, info->subject.version, 8);
	put_name(&c, info->subject.slot, FWG_SLOT_MAX);
	put_name(&c, info->subject.component, FWG_COMPONENT_MAX);
	put_be(&c, info->parent_name_size, 2);
	put_bytes(&c, info->parent_name, sizeof(info->parent_name));
	if (info->authorized) {
		put_bytes(&c, info->vendor_key.x, 32);
		put_bytes(&c, info->vendor_key.y, 32);
		put_bytes(&c, info->approval.sig_r, 32);
		put_bytes(&c, info->approval.sig_s, 32);
	}
	for (f = 0; floor && f < FWG_FLOOR_FORMS; f++) {
		put_bytes(&c, info->approval.floor_r[f], 32);
		put_bytes(&c, info->approval.floor_s[f], 32);
	}

	/* TPM2B_* marshal with their own 16-bit size prefix. */
	pub_at = off = c.pos;
	rc = Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, size, &off);
	if (rc == TSS2_RC_SUCCESS)
		rc = Tss2_MU_TPM2B_PRIVATE_Marshal(priv, buf, size, &off);
	if (rc != TSS2_RC_SUCCESS || c.overflow ||
	    pub_at != BLOB_HEADER_SIZE + (info->authorized ? BLOB_APPROVAL_SIZE : 0) +
		      (floor ? BLOB_FLOOR_SIZE : 0) ||
	    size - off < FWG_DIGEST_SIZE)
		return -EOVERFLOW;
	if (fwg_sha256(buf, off, NULL, 0, buf + off))
		return -ENOMEM;
	*len = off + FWG_DIGEST_SIZE;
	return 0;
}

/* Format 2: the vendor key and its signature, after the common header;
 * format 3 then the floor approval of the same release. */
static int blob_parse_approval(struct cursor *c, struct fwg_tpm_sealed_info *info, bool floor)
{
	int f;

	memset(&info->vendor_key, 0, sizeof(info->vendor_key));
	memset(&info->approval, 0, sizeof(info->approval));
	if (!info->authorized)
		return 0;
	get_bytes(c, info->vendor_key.x, 32);
	get_bytes(c, info->vendor_key.y, 32);
	get_bytes(c, info->approval.sig_r, 32);
	get_bytes(c, info->approval.sig_s, 32);
	for (f = 0; floor && f < FWG_FLOOR_FORMS; f++) {
		get_bytes(c, info->approval.floor_r[f], 32);
		get_bytes(c, info->approval.floor_s[f], 32);
	}
	info->approval.has_floor = floor;
	info->approval.pcr = info->pcr;
	if (c->overflow)
		return FWG_TPM_E_BAD_BLOB;
	return fwg_vendor_key_name(&info->vendor_key, info->approval.key_name);
}

static int blob_parse(const uint8_t *buf, size_t len,
		      struct fwg_tpm_sealed_info *info, TPM2B_PUBLIC *pub,
		      TPM2B_PRIVATE *priv)
{
	struct cursor c = { .buf = (uint8_t *)buf, .len = len };
	uint8_t check[FWG_DIGEST_SIZE];
	char magic[8];
	size_t off, body;
	uint64_t format;

	/* Checksum first: parse nothing a torn or edited file would feed us. */
	if (len < BLOB_HEADER_SIZE + FWG_DIGEST_SIZE)
		return FWG_TPM_E_BAD_BLOB;
	body = len - FWG_DIGEST_SIZE;
	if (fwg_sha256(buf, body, NULL, 0, check))
		return -ENOMEM;
	if (CRYPTO_memcmp(check, buf + body, FWG_DIGEST_SIZE))
		return FWG_TPM_E_BAD_BLOB;

	get_bytes(&c, magic, 8);
	format = get_be(&c, 2);
	if (memcmp(magic, BLOB_MAGIC, 8) ||
	    (format != BLOB_FORMAT && format != BLOB_FORMAT_AUTHORIZED &&
	     format != BLOB_FORMAT_FLOOR))
		return FWG_TPM_E_BAD_BLOB;
	info->authorized = format != BLOB_FORMAT;
	info->pcr = (unsigned int)get_be(&c, 2);
	if (get_be(&c, 2) != TPM2_ALG_SHA256 || get_be(&c, 2) != 0 || info->pcr > 23)
		return FWG_TPM_E_BAD_BLOB;
	info->sealed_at = get_be(&c, 8);
	get_bytes(&c, info->predicted_pcr, FWG_DIGEST_SIZE);
	get_bytes(&c, info->subject.digest, FWG_DIGEST_SIZE);
	info->subject.version = get_be(&c, 8);
	if (!get_name(&c, info->subject.slot, FWG_SLOT_MAX) ||
	    !get_name(&c, info->subject.component, FWG_COMPONENT_MAX))
		return FWG_TPM_E_BAD_BLOB;
	info->parent_name_size = (uint16_t)get_be(&c, 2);
	get_bytes(&c, info->parent_name, sizeof(info->parent_name));
	if (c.pos != BLOB_HEADER_SIZE ||
	    info->parent_name_size != sizeof(info->parent_name))
		return FWG_TPM_E_BAD_BLOB;
	if (blob_parse_approval(&c, info, format == BLOB_FORMAT_FLOOR))
		return FWG_TPM_E_BAD_BLOB;

	off = c.pos;
	memset(pub, 0, sizeof(*pub));
	memset(priv, 0, sizeof(*priv));
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, body, &off, pub) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Unmarshal(buf, body, &off, priv) != TSS2_RC_SUCCESS ||
	    off != body)
		return FWG_TPM_E_BAD_BLOB;
	return 0;
}

int fwg_sealed_blob_load(const char *state_dir, const char *component,
		     const char *slot, struct fwg_tpm_sealed_info *info,
		     TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv)
{
	uint8_t *buf = NULL;
	char *path = NULL;
	size_t len = 0;
	int err;

	err = fwg_sealed_blob_path(state_dir, component, slot, &path);
	if (err)
		return err;
	err = fwg_read_file(path, BLOB_MAX, &buf, &len);
	if (err == -ENOENT) {
		fwg_tpm_log("no sealed record for '%s' slot %s (%s)", component,
			    slot, path);
		err = FWG_TPM_E_NO_BLOB;
	} else if (err == -EFBIG) {
		fwg_tpm_log("sealed blob %s is corrupt (too large)", path);
		err = FWG_TPM_E_BAD_BLOB;
	} else if (err) {
		fwg_tpm_log("cannot read sealed blob %s: %s", path, strerror(-err));
	} else {
		err = blob_parse(buf, len, info, pub, priv);
		if (err) {
			fwg_tpm_log("sealed blob %s is corrupt", path);
		} else if (strcmp(info->subject.component, component) ||
			   strcmp(info->subject.slot, slot)) {
			/* A record copied or renamed over another slot's
			 * would otherwise vouch for the wrong slot. */
			fwg_tpm_log("sealed blob %s holds the record of '%s' slot %s",
				    path, info->subject.component,
				    info->subject.slot);
			err = FWG_TPM_E_BAD_BLOB;
		}
	}
	free(buf);
	free(path);
	return err;
}

int fwg_sealed_info_read(const char *state_dir, const char *component,
			 const char *slot, struct fwg_tpm_sealed_info *ret)
{
	struct fwg_tpm_sealed_info info;
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	int err;

	err = fwg_sealed_blob_load(state_dir, component, slot, &info, &pub, &priv);
	if (err)
		return err;
	*ret = info;
	return 0;
}

int fwg_sealed_blob_store(const char *state_dir, const struct fwg_tpm_sealed_info *info,
			  const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv)
{
	uint8_t buf[BLOB_MAX];
	char *path = NULL, *dir = NULL;
	size_t len;
	int err;

	err = blob_serialize(info, pub, priv, buf, sizeof(buf), &len);
	if (err) {
		fwg_tpm_log("sealed object does not fit the blob format");
		return err;
	}
	if (asprintf(&dir, "%s/%s", state_dir, SEALED_DIR) < 0)
		return -ENOMEM;
	err = fwg_mkdir_p(dir, 0700);
	if (err)
		fwg_tpm_log("cannot create %s: %s", dir, strerror(-err));
	if (!err)
		err = fwg_sealed_blob_path(state_dir, info->subject.component,
					   info->subject.slot, &path);
	if (!err)
		err = fwg_write_file_atomic(path, buf, len);
	free(path);
	free(dir);
	return err;
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

	if (!at || len < 5 || strcmp(fname + len - 5, ".seal") || at >= fname + len - 5)
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

int fwg_sealed_list(const char *state_dir, fwg_sealed_record_fn fn, void *ctx)
{
	char path[PATH_MAX], component[FWG_COMPONENT_MAX + 1], slot[FWG_SLOT_MAX + 1];
	struct fwg_tpm_sealed_info info;
	struct dirent **entries = NULL;
	int i, n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, SEALED_DIR) >= sizeof(path))
		return -ENAMETOOLONG;
	n = scandir(path, &entries, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (i = 0; i < n; i++) {
		if (sealed_file_names(entries[i]->d_name, component, slot))
			fn(ctx, component, slot,
			   fwg_sealed_info_read(state_dir, component, slot, &info), &info);
		free(entries[i]);
	}
	free(entries);
	return 0;
}
