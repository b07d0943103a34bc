// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard user ABI: how ioctl arguments cross from userspace, and the
 * layout of every struct in <linux/fwguard.h>. The layout is part of the
 * ABI that updatectl binaries built against older headers rely on, so any
 * change to a size or offset must fail the build here rather than be found
 * by a device in the field.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include "fwguard.h"

#define FWGUARD_CHECK_FIELD(type, field, off, sz)			\
	do {								\
		BUILD_BUG_ON(offsetof(struct type, field) != (off));	\
		BUILD_BUG_ON(sizeof_field(struct type, field) != (sz));	\
	} while (0)

/* Every argument opens with its size, which fwguard_copy_arg() reads first, and flags. */
#define FWGUARD_CHECK_HEAD(type)					\
	do {								\
		FWGUARD_CHECK_FIELD(type, size, 0, 4);			\
		FWGUARD_CHECK_FIELD(type, flags, 4, 4);			\
	} while (0)

/* PROTECT, BEGIN and RETIRE name a slot by its device number, next. */
#define FWGUARD_CHECK_SLOT(type)					\
	do {								\
		FWGUARD_CHECK_HEAD(type);				\
		FWGUARD_CHECK_FIELD(type, dev_major, 8, 4);		\
		FWGUARD_CHECK_FIELD(type, dev_minor, 12, 4);		\
	} while (0)

/* BEGIN and RETIRE: a slot and the ticket about it, in one layout. */
#define FWGUARD_CHECK_SLOT_TICKET(type)					\
	do {								\
		BUILD_BUG_ON(sizeof(struct type) != 32);		\
		FWGUARD_CHECK_SLOT(type);				\
		FWGUARD_CHECK_FIELD(type, ticket, 16, 8);		\
		FWGUARD_CHECK_FIELD(type, ticket_len, 24, 4);		\
		FWGUARD_CHECK_FIELD(type, reserved, 28, 4);		\
	} while (0)

/* Sizes and offsets as published; padding is explicit, never implied. */
static __always_inline void fwguard_build_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct fwguard_protect) != 48);
	FWGUARD_CHECK_SLOT(fwguard_protect);
	FWGUARD_CHECK_FIELD(fwguard_protect, component, 16, 32);

	BUILD_BUG_ON(sizeof(struct fwguard_policy) != 144);
	FWGUARD_CHECK_HEAD(fwguard_policy);
	FWGUARD_CHECK_FIELD(fwguard_policy, floor, 8, 8);
	FWGUARD_CHECK_FIELD(fwguard_policy, device_class, 16, 64);
	FWGUARD_CHECK_FIELD(fwguard_policy, serial, 80, 64);

	FWGUARD_CHECK_SLOT_TICKET(fwguard_begin);

	BUILD_BUG_ON(sizeof(struct fwguard_commit) != 72);
	FWGUARD_CHECK_HEAD(fwguard_commit);
	FWGUARD_CHECK_FIELD(fwguard_commit, written, 8, 8);
	FWGUARD_CHECK_FIELD(fwguard_commit, digest, 16, 32);
	FWGUARD_CHECK_FIELD(fwguard_commit, security_version, 48, 8);
	FWGUARD_CHECK_FIELD(fwguard_commit, ticket_id, 56, 16);

	FWGUARD_CHECK_SLOT_TICKET(fwguard_retire);

	BUILD_BUG_ON(sizeof(struct fwguard_committed) != 80);
	FWGUARD_CHECK_HEAD(fwguard_committed);
	FWGUARD_CHECK_FIELD(fwguard_committed, ticket_id, 8, 16);
	FWGUARD_CHECK_FIELD(fwguard_committed, dev_major, 24, 4);
	FWGUARD_CHECK_FIELD(fwguard_committed, dev_minor, 28, 4);
	FWGUARD_CHECK_FIELD(fwguard_committed, written, 32, 8);
	FWGUARD_CHECK_FIELD(fwguard_committed, digest, 40, 32);
	FWGUARD_CHECK_FIELD(fwguard_committed, security_version, 72, 8);
}

/**
 * fwguard_copy_arg() - read a size-prefixed ioctl argument
 * @dst: kernel copy of the struct
 * @ksize: sizeof the struct this module knows
 * @uarg: user pointer; the struct starts with its own u32 size
 *
 * Return: 0; -EFAULT when unreadable; -EINVAL when the size is below the
 * first published version; -E2BIG when above a page, or when bytes this
 * module does not know are not zero (copy_struct_from_user()).
 */
int fwguard_copy_arg(void *dst, size_t ksize, const void __user *uarg)
{
	u32 usize;

	fwguard_build_check_abi();
	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < ksize)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(dst, ksize, uarg, usize);
}
