// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TPM version floor as the module reads it itself: TPM2_NV_ReadPublic
 * and TPM2_NV_Read of the counter at FWGUARD_TPM_FLOOR_INDEX, sent through
 * the kernel's own TPM driver (tpm_transmit_cmd() on the default chip), so
 * no userspace process is in the path. The index is a floor only if the
 * TPM says it is a counter (TPM_NT_COUNTER) that was written: a counter
 * is the one NV type whose value the TPM keeps monotonic, also across
 * undefine and redefine (tpm/TPM.md "The floor the kernel reads"). An
 * index of any other type, size or state is not a floor, whatever it
 * holds. Nothing here trusts the response: every length is checked
 * against the bytes the TPM actually returned before it is used.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/tpm.h>

#include "fwguard.h"

#define FWGUARD_TPM_FLOOR_INDEX	0x01004657	/* tpm/tpm.h FWG_TPM_FLOOR_NV_INDEX */
#define FWGUARD_TPM_FLOOR_SIZE	8		/* u64, big endian */

/* TPM 2.0 Part 2; not all of them are in <linux/tpm.h> on 6.1. */
#define FWGUARD_TPM_CC_NV_READ_PUBLIC	0x00000169
#define FWGUARD_TPM_CC_NV_READ		0x0000014E
#define FWGUARD_TPM_RS_PW		0x40000009
#define FWGUARD_TPM_ST_NO_SESSIONS	0x8001
#define FWGUARD_TPM_ST_SESSIONS		0x8002
#define FWGUARD_TPM_NT_SHIFT		4
#define FWGUARD_TPM_NT_MASK		(0xfU << FWGUARD_TPM_NT_SHIFT)
#define FWGUARD_TPM_NT_COUNTER		0x1
#define FWGUARD_TPMA_NV_AUTHREAD	BIT(18)
#define FWGUARD_TPMA_NV_WRITTEN		BIT(29)
/* Handle errors come back as RC_FMT1 with a handle number: compare the base. */
#define FWGUARD_TPM_RC_FMT1		0x080
#define FWGUARD_TPM_RC_BASE_MASK	0x0bf
#define FWGUARD_TPM_RC_HANDLE		0x08b

/* A response as the TPM sent it: never read past @len. */
struct fwguard_tpm_rsp {
	const u8 *data;
	u32 len;
	u32 off;
};

static bool fwguard_rsp_u16(struct fwguard_tpm_rsp *r, u16 *v)
{
	if (r->len - r->off < 2)
		return false;
	*v = (u16)r->data[r->off] << 8 | r->data[r->off + 1];
	r->off += 2;
	return true;
}

static bool fwguard_rsp_u32(struct fwguard_tpm_rsp *r, u32 *v)
{
	u16 hi, lo;

	if (!fwguard_rsp_u16(r, &hi) || !fwguard_rsp_u16(r, &lo))
		return false;
	*v = (u32)hi << 16 | lo;
	return true;
}

static bool fwguard_rsp_skip(struct fwguard_tpm_rsp *r, u32 n)
{
	if (r->len - r->off < n)
		return false;
	r->off += n;
	return true;
}

/*
 * Send @buf and frame the answer. The length the response header states
 * must lie within the page the driver filled and cover the header, and a
 * successful response carries the command's tag (which says whether a
 * parameterSize field follows the handles); only that many bytes are ever
 * parsed. Returns 0, -ENOENT when the TPM has no index at the handle,
 * -EIO for any other TPM error or a malformed frame, or the driver's errno.
 */
static int fwguard_tpm_send(struct tpm_chip *chip, struct tpm_buf *buf,
			    struct fwguard_tpm_rsp *r)
{
	const struct tpm_header *h = (const struct tpm_header *)buf->data;
	u16 tag = be16_to_cpu(h->tag);
	ssize_t ret;
	u32 rc;

	ret = tpm_transmit_cmd(chip, buf, 0, NULL);
	if (ret < 0)
		return ret;
	rc = be32_to_cpu(h->return_code);
	if (rc) {
		if ((rc & FWGUARD_TPM_RC_FMT1) &&
		    (rc & FWGUARD_TPM_RC_BASE_MASK) == FWGUARD_TPM_RC_HANDLE)
			return -ENOENT;
		return -EIO;
	}
	r->data = buf->data;
	r->len = be32_to_cpu(h->length);
	r->off = TPM_HEADER_SIZE;
	if (r->len < TPM_HEADER_SIZE || r->len > PAGE_SIZE || be16_to_cpu(h->tag) != tag)
		return -EIO;
	return 0;
}

/* TPM2_NV_ReadPublic: the index's type, attributes and size, checked. */
static int fwguard_tpm_floor_public(struct tpm_chip *chip, struct tpm_buf *buf,
				    const char **why)
{
	struct fwguard_tpm_rsp r;
	u16 pub_size, name_alg, policy_size, data_size;
	u32 index, attrs, pub_end;
	int err;

	tpm_buf_reset(buf, FWGUARD_TPM_ST_NO_SESSIONS, FWGUARD_TPM_CC_NV_READ_PUBLIC);
	tpm_buf_append_u32(buf, FWGUARD_TPM_FLOOR_INDEX);
	err = fwguard_tpm_send(chip, buf, &r);
	if (err == -ENOENT)
		*why = "no NV index at 0x01004657";
	if (err)
		return err;
	/* TPM2B_NV_PUBLIC: size, then a TPMS_NV_PUBLIC of exactly that size. */
	if (!fwguard_rsp_u16(&r, &pub_size) || r.len - r.off < pub_size)
		goto malformed;
	pub_end = r.off + pub_size;
	r.len = pub_end;	/* the public area ends here, whatever follows */
	if (!fwguard_rsp_u32(&r, &index) || !fwguard_rsp_u16(&r, &name_alg) ||
	    !fwguard_rsp_u32(&r, &attrs) || !fwguard_rsp_u16(&r, &policy_size) ||
	    !fwguard_rsp_skip(&r, policy_size) || !fwguard_rsp_u16(&r, &data_size) ||
	    r.off != pub_end || index != FWGUARD_TPM_FLOOR_INDEX)
		goto malformed;
	if (((attrs & FWGUARD_TPM_NT_MASK) >> FWGUARD_TPM_NT_SHIFT) != FWGUARD_TPM_NT_COUNTER) {
		*why = "NV index 0x01004657 is not a counter";
		return -EMEDIUMTYPE;
	}
	if (!(attrs & FWGUARD_TPMA_NV_WRITTEN)) {
		*why = "counter 0x01004657 was never incremented";
		return -EMEDIUMTYPE;
	}
	if (!(attrs & FWGUARD_TPMA_NV_AUTHREAD) || data_size != FWGUARD_TPM_FLOOR_SIZE) {
		*why = "counter 0x01004657 is not readable with its own authorisation";
		return -EMEDIUMTYPE;
	}
	return 0;
malformed:
	*why = "malformed NV_ReadPublic response";
	return -EIO;
}

/*
 * TPM2_NV_Read of the counter's 8 bytes, authorised by the index itself
 * (AUTHREAD) with the empty password: both forms of the floor
 * (tpm/floor.c, legacy and vendor mode) have AUTHREAD and an empty
 * authValue, so no session and no secret are needed to read it.
 */
static int fwguard_tpm_floor_value(struct tpm_chip *chip, struct tpm_buf *buf,
				   u64 *floor, const char **why)
{
	struct fwguard_tpm_rsp r;
	u32 param_size, hi, lo;
	u16 size;
	int err;

	tpm_buf_reset(buf, FWGUARD_TPM_ST_SESSIONS, FWGUARD_TPM_CC_NV_READ);
	tpm_buf_append_u32(buf, FWGUARD_TPM_FLOOR_INDEX);	/* authHandle */
	tpm_buf_append_u32(buf, FWGUARD_TPM_FLOOR_INDEX);	/* nvIndex */
	tpm_buf_append_u32(buf, 9);			/* authorizationSize */
	tpm_buf_append_u32(buf, FWGUARD_TPM_RS_PW);
	tpm_buf_append_u16(buf, 0);			/* nonceCaller */
	tpm_buf_append_u8(buf, 0);			/* sessionAttributes */
	tpm_buf_append_u16(buf, 0);			/* empty password */
	tpm_buf_append_u16(buf, FWGUARD_TPM_FLOOR_SIZE);
	tpm_buf_append_u16(buf, 0);			/* offset */
	err = fwguard_tpm_send(chip, buf, &r);
	if (err == -ENOENT || err == -EIO)
		*why = "NV_Read of counter 0x01004657 failed";
	if (err)
		return err;
	/* parameterSize, then TPM2B_MAX_NV_BUFFER; the auth area follows. */
	if (!fwguard_rsp_u32(&r, &param_size) || r.len - r.off < param_size ||
	    param_size != 2 + FWGUARD_TPM_FLOOR_SIZE ||
	    !fwguard_rsp_u16(&r, &size) || size != FWGUARD_TPM_FLOOR_SIZE ||
	    !fwguard_rsp_u32(&r, &hi) || !fwguard_rsp_u32(&r, &lo)) {
		*why = "malformed NV_Read response";
		return -EIO;
	}
	*floor = (u64)hi << 32 | lo;
	return 0;
}

/**
 * fwguard_tpm_floor_read() - read the version floor from the TPM counter
 * @floor: the counter's value, written on success only
 * @why: on failure, a constant string naming the reason, for the log
 *
 * Two commands on the default TPM chip (NV_ReadPublic, NV_Read), under
 * the chip's ops lock; sleeps. A virtual chip (vtpm_proxy, which root can
 * create and answer from userspace) is not a TPM for this purpose.
 *
 * Return: 0; -ENODEV when there is no TPM 2.0 chip or only a virtual one;
 * -ENOENT when no index exists at the handle; -EMEDIUMTYPE when the index
 * is not a written 8-byte counter readable with its own authorisation;
 * -EIO for a TPM error or a malformed response; -ENOMEM; the driver's errno.
 */
int fwguard_tpm_floor_read(u64 *floor, const char **why)
{
	struct tpm_chip *chip = tpm_default_chip();
	struct tpm_buf buf;
	int err;

	*why = "no TPM 2.0 chip";
	if (!chip)
		return -ENODEV;
	err = -ENODEV;
	if (!(chip->flags & TPM_CHIP_FLAG_TPM2))
		goto out_put;
	if (chip->flags & TPM_CHIP_FLAG_VIRTUAL) {
		*why = "the default TPM chip is a virtual (vtpm_proxy) one";
		goto out_put;
	}
	err = tpm_try_get_ops(chip);
	if (err) {
		*why = "the TPM chip is going away";
		err = -ENODEV;
		goto out_put;
	}
	*why = "out of memory";
	err = tpm_buf_init(&buf, FWGUARD_TPM_ST_NO_SESSIONS, FWGUARD_TPM_CC_NV_READ_PUBLIC);
	if (!err) {
		*why = "the TPM driver failed the command";
		err = fwguard_tpm_floor_public(chip, &buf, why) ?:
		      fwguard_tpm_floor_value(chip, &buf, floor, why);
		tpm_buf_destroy(&buf);
	}
	tpm_put_ops(chip);
out_put:
	put_device(&chip->dev);
	return err;
}
