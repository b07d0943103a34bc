/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * fwguard user API: the ioctls of /dev/fwguard (policy, update sessions) and
 * of the session file descriptors it hands out. Shared by fwguard.ko and
 * updatectl; userspace includes it as <linux/fwguard.h>.
 *
 * Every argument struct starts with a __u32 size that the caller sets to
 * sizeof() of the struct it was compiled with. The kernel accepts a smaller
 * struct down to the first published version (missing fields read as zero)
 * and a larger one as long as the bytes it does not know are zero
 * (copy_struct_from_user() semantics). Padding and reserved fields must be
 * zero. All integers are in host byte order.
 *
 * Errors common to every ioctl below:
 *   EPERM   caller lacks CAP_SYS_ADMIN in the initial user namespace
 *   EFAULT  argument pointer not readable / writable
 *   EINVAL  size below the first published version, non-zero padding,
 *           reserved field or unknown flag
 *   E2BIG   size above PAGE_SIZE, or non-zero bytes beyond the fields this
 *           kernel knows
 *   ENOTTY  unknown ioctl for this file
 * Each ioctl lists its further errors; no other errno is returned. Every
 * struct's size and field offsets are fixed by a build-time check in the
 * module (kmod/uapi.c).
 */
#ifndef _UAPI_LINUX_FWGUARD_H
#define _UAPI_LINUX_FWGUARD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define FWGUARD_DEVICE		"/dev/fwguard"
#define FWGUARD_KEYRING		".fwguard"

#define FWGUARD_COMPONENT_LEN	32	/* including the terminating NUL */
#define FWGUARD_IDENTITY_LEN	64	/* including the terminating NUL */
#define FWGUARD_DIGEST_LEN	32	/* SHA-256 */
#define FWGUARD_TICKET_CMS_MAX	65536	/* largest CMS ticket BEGIN accepts */
#define FWGUARD_MAX_RANGES	16	/* protected partitions per boot */

/**
 * struct fwguard_protect - protect one partition (FWGUARD_IOC_PROTECT)
 * @size: In: sizeof(struct fwguard_protect).
 * @flags: In: FWGUARD_PROTECT_* bits.
 * @dev_major: In: major number of the partition block device.
 * @dev_minor: In: minor number of the partition block device.
 * @component: In: NUL-terminated component name ([A-Za-z0-9._-], 1..31
 *	bytes, the first a letter or digit: what a ticket's component may be);
 *	tickets for this partition must name it. Bytes after the NUL must be
 *	zero.
 *
 * The module records the partition as (whole disk, first sector, sector
 * count); later changes to the partition table do not move the protection.
 */
struct fwguard_protect {
	__u32 size;
	__u32 flags;
	__u32 dev_major;
	__u32 dev_minor;
	char component[FWGUARD_COMPONENT_LEN];
};

/* The partition is the slot the device runs from: no session may target it. */
#define FWGUARD_PROTECT_ACTIVE	(1U << 0)

/**
 * struct fwguard_policy - device identity and version floor (FWGUARD_IOC_POLICY)
 * @size: In: sizeof(struct fwguard_policy).
 * @flags: In: 0, or FWGUARD_POLICY_LOCK.
 * @floor: In: lowest security version a ticket may carry. Only ever raised:
 *	a value below the current floor is refused.
 * @device_class: In: NUL-terminated device class tickets must name. Set once
 *	per boot; an empty string leaves the current value unchanged.
 * @serial: In: NUL-terminated serial number; tickets bound to a serial must
 *	match it. Empty leaves the current value unchanged. The identity is
 *	one pair: the first request (or module option) naming a device class
 *	fixes the serial with it, empty meaning "no serial"; a later request
 *	naming another class or serial fails with EPERM.
 *
 * Strings use [A-Za-z0-9._:+-]; bytes after the terminating NUL must be zero.
 */
/*
 * Lock the policy now, as the first protected range does (the module pinned,
 * forced unload and kexec switched off until reboot), even with no range
 * protected: for a device whose policy could not be loaded, which must not
 * stay open to rmmod and kexec.
 */
#define FWGUARD_POLICY_LOCK	(1U << 0)

struct fwguard_policy {
	__u32 size;
	__u32 flags;
	__u64 floor;
	char device_class[FWGUARD_IDENTITY_LEN];
	char serial[FWGUARD_IDENTITY_LEN];
};

/**
 * struct fwguard_begin - open an update session (FWGUARD_IOC_BEGIN)
 * @size: In: sizeof(struct fwguard_begin).
 * @flags: In: must be 0.
 * @dev_major: In: major number of the target partition.
 * @dev_minor: In: minor number of the target partition.
 * @ticket: In: user address of the DER CMS SignedData ticket.
 * @ticket_len: In: its length in bytes, 1..FWGUARD_TICKET_CMS_MAX.
 * @reserved: must be 0.
 *
 * Before the ioctl returns, the slot is invalidated: its first 4096 bytes
 * (its head) are zeroed on the medium (FUA). On success the ioctl returns a
 * new file descriptor (O_CLOEXEC, write-only) for the session. write() on
 * it streams the image: bytes are hashed and written to the partition in
 * order, starting at its first sector; the file position is ignored. The
 * image's own first 4096 bytes are kept in the kernel and written by a
 * successful FWGUARD_IOC_COMMIT only, so until then the slot's head stays
 * zero and no reader takes the slot for an image.
 *
 * Only the credentials that opened the session may use its fd: write() and
 * COMMIT from a task with another effective uid or gid, another user
 * namespace or fewer effective capabilities fail with EPERM (a fork of the
 * opener may use it).
 *
 * write() errors: EFBIG (the write would take the image past the ticket's
 * length; nothing of it is taken), EIO (the disk failed; the session is
 * dead, only close() remains), EINVAL (session already committed or dead),
 * EFAULT (buffer unreadable; bytes before the fault were taken and are
 * counted in the return value), EINTR (a fatal signal arrived before the
 * first byte was taken), EPERM (another task's credentials, see above).
 *
 * Closing the fd without a successful commit aborts the session: the ticket
 * is not consumed and can be used again, the slot keeps its zero head (and
 * whatever body bytes reached it) and holds no image. Every write of the
 * session has completed before the slot can be the target of a new session.
 */
struct fwguard_begin {
	__u32 size;
	__u32 flags;
	__u32 dev_major;
	__u32 dev_minor;
	__u64 ticket;
	__u32 ticket_len;
	__u32 reserved;
};

/**
 * struct fwguard_commit - finish a session (FWGUARD_IOC_COMMIT, session fd)
 * @size: In: sizeof(struct fwguard_commit).
 * @flags: In: must be 0.
 * @written: Out: image bytes written in the session.
 * @digest: Out: SHA-256 the kernel measured over those bytes.
 * @security_version: Out: the ticket's security version.
 * @ticket_id: Out: the ticket id, now consumed.
 *
 * The out fields are written on success and on EBADMSG, so a caller can log
 * what was measured.
 */
struct fwguard_commit {
	__u32 size;
	__u32 flags;
	__u64 written;
	__u8 digest[FWGUARD_DIGEST_LEN];
	__u64 security_version;
	__u8 ticket_id[16];
};

/**
 * struct fwguard_retire - retire a superseded slot (FWGUARD_IOC_RETIRE)
 * @size: In: sizeof(struct fwguard_retire).
 * @flags: In: must be 0.
 * @dev_major: In: major number of the slot to retire.
 * @dev_minor: In: minor number of the slot to retire.
 * @ticket: In: user address of the DER CMS ticket of the release the
 *	component's other slot holds (the one that superseded this slot).
 * @ticket_len: In: its length in bytes, 1..FWGUARD_TICKET_CMS_MAX.
 * @reserved: must be 0.
 *
 * The ticket is evidence, not a write authorisation: its validity window
 * and whether its id was consumed do not matter. The kernel reads the
 * other slot from the medium and hashes it; when it holds the ticket's
 * image and the version floor stands at exactly the ticket's version, any
 * other image of the component is superseded, and the slot's head (its
 * first 4096 bytes) is zeroed (FUA), as BEGIN zeroes it: no bootloader or
 * reader takes the slot for an image any more. A slot whose head is zero
 * already is left as it is (a repeat after a power cut succeeds).
 */
struct fwguard_retire {
	__u32 size;
	__u32 flags;
	__u32 dev_major;
	__u32 dev_minor;
	__u64 ticket;
	__u32 ticket_len;
	__u32 reserved;
};

/**
 * struct fwguard_committed - what a ticket wrote in this boot (FWGUARD_IOC_COMMITTED)
 * @size: In: sizeof(struct fwguard_committed).
 * @flags: In: must be 0.
 * @ticket_id: In: the ticket id asked about.
 * @dev_major: Out: major number of the partition the session wrote.
 * @dev_minor: Out: minor number of that partition (0:0 when the disk went
 *	away and came back with no partition of the slot's extent).
 * @written: Out: image bytes written in the session.
 * @digest: Out: SHA-256 the kernel measured over those bytes (the ticket's:
 *	COMMIT succeeds only when they match).
 * @security_version: Out: the ticket's security version.
 *
 * Nothing changes: the ticket stays consumed. The answer holds for this
 * boot only (the kernel keeps no record across a reboot). It tells
 * updatectl that an install cut after COMMIT, before anything else recorded
 * it, wrote the slot: the kernel refuses the ticket again, so a repeat of
 * the install completes it without a write (userspace/lib/STATE.md).
 */
struct fwguard_committed {
	__u32 size;
	__u32 flags;
	__u8 ticket_id[16];
	__u32 dev_major;
	__u32 dev_minor;
	__u64 written;
	__u8 digest[FWGUARD_DIGEST_LEN];
	__u64 security_version;
};

#define FWGUARD_IOC_MAGIC	0xF9

/*
 * FWGUARD_IOC_PROTECT (/dev/fwguard): add a protected partition. The first
 * successful call locks the policy: from then on it can only get stricter
 * (more ranges, a higher floor, more slots marked active) and the module
 * cannot be unloaded until reboot. Repeating an identical range succeeds and
 * may add FWGUARD_PROTECT_ACTIVE.
 * The partition is bound to its disk's GPT as the kernel reads it from the
 * medium (disk GUID, PARTUUID, exact extent); the first partition of a disk
 * also protects that disk's primary and backup GPT.
 * The first lock also switches off, until reboot, forced module unload
 * (delete_module with O_TRUNC fails with EPERM for every module) and both
 * kexec load syscalls (refused at their entries; kernel.kexec_load_disabled
 * is set too where the caller's /proc reaches it).
 * Errors: ENXIO (no such block device), EINVAL (not a partition, bad
 * component name), EUCLEAN (the disk has no GPT, or its primary and backup
 * copies are corrupt or differ), ENOENT (no GPT entry has exactly the
 * partition's sectors), ENOTUNIQ (another GPT entry of the disk has the same
 * name or PARTUUID, another protected range the same PARTUUID, or another
 * protected disk the same disk GUID), EEXIST (overlaps a protected range
 * with different bounds or component), EPERM (would clear ACTIVE on a
 * protected range), EBUSY (ACTIVE asked for a partition with an open
 * session), ENOSPC (FWGUARD_MAX_RANGES reached, or four disks hold
 * ranges, or the request gate's table is full), EIO (the GPT could not be
 * read), EXDEV (the disk is an NVMe multipath head with a path on a
 * controller whose transport is not PCIe, e.g. nvme-tcp), ENOMEM; EBUSY
 * or another ftrace errno when the disk's driver cannot be gated.
 */
#define FWGUARD_IOC_PROTECT	_IOW(FWGUARD_IOC_MAGIC, 1, struct fwguard_protect)

/*
 * FWGUARD_IOC_POLICY (/dev/fwguard): set the version floor and identity.
 * With FWGUARD_POLICY_LOCK it also locks the policy (see above).
 * Errors: ESTALE (floor below the current one), EPERM (identity already set
 * to another value), EINVAL (unknown flag, string not NUL-terminated or bad
 * charset).
 */
#define FWGUARD_IOC_POLICY	_IOW(FWGUARD_IOC_MAGIC, 2, struct fwguard_policy)

/*
 * FWGUARD_IOC_BEGIN (/dev/fwguard): verify a ticket and open a session on
 * the target partition; returns the session fd.
 * Errors: ENOENT (target is not a protected partition), ENOKEY (keyring not
 * sealed in provision mode, or the ticket is not signed by a key the
 * .fwguard keyring trusts), EKEYREJECTED (bad signature, or a blacklisted
 * key or hash), EBADMSG (CMS or ticket payload malformed), ENODATA (the CMS
 * carries no content: a detached signature), ENOPKG (a digest, signature
 * or key algorithm this kernel does not provide), EACCES (component,
 * device class or serial do not match, or a test-only ticket on a module
 * loaded with production=1), ETXTBSY (target is the active slot), ENOSPC
 * (image larger than the partition), ESTALE (security version below the
 * floor, the module's own or the TPM counter's, or below one committed this
 * boot), ENOLINK (production=1 and the TPM floor counter cannot be read, or
 * the index at its handle is not a written counter), EALREADY (ticket id already
 * consumed), EKEYEXPIRED (outside the ticket's validity window), EBUSY (a
 * session on this partition is open or still draining its writes, or the
 * partition is held open exclusively), EXDEV (the disk is an NVMe
 * multipath head with a path on a controller whose transport is not PCIe;
 * the slot's head is left as it was), ENXIO (the disk went away), EIO
 * (zeroing the slot's head failed; the slot holds no image), ENOMEM,
 * EMFILE, ENFILE.
 */
#define FWGUARD_IOC_BEGIN	_IOW(FWGUARD_IOC_MAGIC, 3, struct fwguard_begin)

/*
 * FWGUARD_IOC_COMMIT (session fd): write out the tail, flush the disk's
 * cache, compare the measured digest with the ticket, check again what may
 * have changed since BEGIN (the slot became active, the validity window
 * closed, the floor or the committed version rose above the ticket's),
 * consume the ticket, then write the image's head (FUA) and drop the
 * partition's page cache. Only a return of 0 leaves an image in the slot;
 * after any error its head is zero.
 * Errors: EBADMSG (length or digest differ from the ticket; the ticket is
 * consumed anyway), EIO (disk write or flush failed; after the head write
 * failed the ticket is consumed), ETXTBSY (the slot was marked active),
 * EKEYEXPIRED (the validity window closed), ESTALE (the floor or the
 * committed version rose above the ticket's), ENOLINK (as for BEGIN; the
 * ticket is not consumed), EXDEV (as for BEGIN, found now: part of the
 * body may be on another medium; the ticket is not consumed), EALREADY (ticket consumed
 * meanwhile by another session), EINVAL (already committed or dead
 * session), EPERM (another task's credentials), ENOMEM. The session is
 * over after any COMMIT that got past the argument checks.
 */
#define FWGUARD_IOC_COMMIT	_IOWR(FWGUARD_IOC_MAGIC, 4, struct fwguard_commit)

/*
 * FWGUARD_IOC_RETIRE (/dev/fwguard): zero the head of a slot that the
 * release in the component's other slot superseded (struct fwguard_retire).
 * An active slot may be retired: ACTIVE keeps sessions off a slot that may
 * still boot, and a slot superseded by a release at the floor boots no
 * more (boot-verify refuses it).
 * Errors: ENOENT (target is not a protected slot, or its component has not
 * exactly one other slot), ENOKEY, EKEYREJECTED, EBADMSG, ENODATA, ENOPKG
 * (the ticket, as for BEGIN), EACCES (component, device class or serial do
 * not match, or a test-only ticket with production=1), ESTALE (the
 * ticket's version is below the floor: the other slot holds no bootable
 * release), EAGAIN (the TPM floor has not reached the ticket's version:
 * the release is not confirmed; the module's own floor confirms nothing
 * while the TPM floor reads), ENOLINK (as for BEGIN), ENODEV (the boot chain named no booted slot:
 * module parameter boot_part), ETXTBSY (the target is the slot that
 * booted, or an image was committed into it in this boot), ENOEXEC (the
 * other slot does not hold the ticket's image), EEXIST (the target holds
 * the ticket's image too: nothing is superseded), EBUSY (a session is open
 * on either slot; nothing else: the target is not opened exclusively, so
 * no open by anyone else refuses it), EXDEV (as for BEGIN: the proof
 * would be read from the wrong medium), EINTR (a fatal
 * signal while hashing), ENXIO, EIO (reading a slot or zeroing the head
 * failed; after a failed head write the slot may hold no image), ENOMEM.
 */
#define FWGUARD_IOC_RETIRE	_IOW(FWGUARD_IOC_MAGIC, 5, struct fwguard_retire)

/*
 * FWGUARD_IOC_COMMITTED (/dev/fwguard): whether a session committed the
 * ticket @ticket_id in this boot, into which partition, with which length
 * and digest (struct fwguard_committed). Read-only.
 * Errors: ENOENT (no session committed that ticket in this boot: it was
 * never consumed, or its COMMIT failed).
 */
#define FWGUARD_IOC_COMMITTED	_IOWR(FWGUARD_IOC_MAGIC, 6, struct fwguard_committed)

#endif /* _UAPI_LINUX_FWGUARD_H */
