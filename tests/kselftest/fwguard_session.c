// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard update sessions, in the guest: an authorised session really
 * writes the slot (read back through every path), and every ticket check
 * refuses with its documented errno.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

/* Larger than one staging bio, with a tail that is not sector-aligned. */
#define IMAGE_LEN	((1u << 20) + 3 * 4096 + 100)
#define VERSION		2ull	/* see fwguard_util.h: stay small, all tests share a boot */

FIXTURE(session)
{
	struct fwg_part a, b;
	uint8_t *image;
	struct fwguard_ticket t;
};

FIXTURE_SETUP(session)
{
	ASSERT_EQ(0, fwg_setup(&self->a, &self->b));
	self->image = fwg_pattern(IMAGE_LEN, (unsigned int)getpid());
	ASSERT_NE(NULL, self->image);
	fwg_ticket_init(&self->t, self->image, IMAGE_LEN, VERSION);
}

FIXTURE_TEARDOWN(session)
{
	free(self->image);
}

static int full_session(const struct fwg_part *p, const struct fwguard_ticket *t,
			const uint8_t *image, size_t len, struct fwguard_commit *c)
{
	int fd, err;

	fd = fwg_begin(p, t, "signer");
	if (fd < 0)
		return fd;
	err = fwg_stream(fd, image, len, 65536 + 7);
	if (!err)
		err = fwg_commit(fd, c);
	close(fd);
	return err;
}

TEST_F(session, commit_writes_exactly_the_image)
{
	size_t padded = (IMAGE_LEN + 4095) & ~4095u;
	uint8_t *back = malloc(padded), digest[32];
	struct fwguard_commit c;
	int fd;

	ASSERT_NE(NULL, back);
	/* Fill the partition's page cache, so a stale cache would show. */
	fd = open(self->b.node, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)padded, pread(fd, back, padded, 0));

	ASSERT_EQ(0, full_session(&self->b, &self->t, self->image, IMAGE_LEN, &c));
	EXPECT_EQ(IMAGE_LEN, c.written);
	SHA256(self->image, IMAGE_LEN, digest);
	EXPECT_EQ(0, memcmp(digest, c.digest, 32));
	EXPECT_EQ(VERSION, c.security_version);
	EXPECT_EQ(0, memcmp(self->t.id, c.ticket_id, 16));

	/* Around every cache... */
	ASSERT_EQ(0, fwg_read_direct(self->b.node, 0, back, padded));
	EXPECT_EQ(0, memcmp(self->image, back, IMAGE_LEN));
	/* ...the tail of the last block is zero-padded... */
	EXPECT_EQ(0, back[IMAGE_LEN] | back[padded - 1]);
	/* ...and through the page cache that was filled before. */
	memset(back, 0, padded);
	ASSERT_EQ((ssize_t)padded, pread(fd, back, padded, 0));
	EXPECT_EQ(0, memcmp(self->image, back, IMAGE_LEN));
	close(fd);
	/* And at the slot's offset on the whole disk. */
	ASSERT_EQ(0, fwg_read_direct(self->b.disk, self->b.start * 512, back, 4096));
	EXPECT_EQ(0, memcmp(self->image, back, 4096));
	free(back);
}

TEST_F(session, replayed_ticket_ealready)
{
	struct fwguard_commit c;
	uint8_t *der;
	size_t len;
	int fd;

	ASSERT_EQ(0, fwg_ticket_sign(&self->t, "signer", &der, &len));
	fd = fwg_begin_der(&self->b, der, len);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fwg_stream(fd, self->image, IMAGE_LEN, 1 << 20));
	ASSERT_EQ(0, fwg_commit(fd, &c));
	close(fd);
	EXPECT_EQ(-EALREADY, fwg_begin_der(&self->b, der, len));
	free(der);
}

TEST_F(session, digest_mismatch_ebadmsg_and_ticket_spent)
{
	struct fwguard_commit c;
	uint8_t *der, digest[32];
	size_t len;
	int fd;

	ASSERT_EQ(0, fwg_ticket_sign(&self->t, "signer", &der, &len));
	fd = fwg_begin_der(&self->b, der, len);
	ASSERT_LE(0, fd);
	self->image[IMAGE_LEN / 2] ^= 1;
	ASSERT_EQ(0, fwg_stream(fd, self->image, IMAGE_LEN, 4096));
	EXPECT_EQ(-EBADMSG, fwg_commit(fd, &c));
	/* The kernel reports what it measured. */
	SHA256(self->image, IMAGE_LEN, digest);
	EXPECT_EQ(0, memcmp(digest, c.digest, 32));
	EXPECT_EQ(-EINVAL, fwg_commit(fd, &c));
	close(fd);
	EXPECT_EQ(-EALREADY, fwg_begin_der(&self->b, der, len));
	free(der);
}

TEST_F(session, short_image_ebadmsg)
{
	struct fwguard_commit c;
	int fd;

	fd = fwg_begin(&self->b, &self->t, "signer");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fwg_stream(fd, self->image, IMAGE_LEN - 1, 4096));
	EXPECT_EQ(-EBADMSG, fwg_commit(fd, &c));
	EXPECT_EQ(IMAGE_LEN - 1, c.written);
	close(fd);
}

TEST_F(session, write_beyond_ticket_length_efbig)
{
	uint8_t extra = 0;
	int fd;

	fd = fwg_begin(&self->b, &self->t, "signer");
	ASSERT_LE(0, fd);
	/* One write that would overrun: nothing of it is taken. */
	EXPECT_EQ(-1, write(fd, self->image, IMAGE_LEN + 1 > IMAGE_LEN ? IMAGE_LEN + 1 : 0));
	EXPECT_EQ(EFBIG, errno);
	ASSERT_EQ(0, fwg_stream(fd, self->image, IMAGE_LEN, 1 << 16));
	EXPECT_EQ(-1, write(fd, &extra, 1));
	EXPECT_EQ(EFBIG, errno);
	close(fd);	/* abort */
}

TEST_F(session, untrusted_signer_enokey)
{
	EXPECT_EQ(-ENOKEY, fwg_begin(&self->b, &self->t, "other-signer"));
}

TEST_F(session, garbage_ticket_ebadmsg)
{
	uint8_t junk[512];

	memset(junk, 0x30, sizeof(junk));
	EXPECT_EQ(-EBADMSG, fwg_begin_der(&self->b, junk, sizeof(junk)));
}

TEST_F(session, other_component_eacces)
{
	snprintf(self->t.component, sizeof(self->t.component), "bootloader");
	EXPECT_EQ(-EACCES, fwg_begin(&self->b, &self->t, "signer"));
}

TEST_F(session, other_device_class_eacces)
{
	snprintf(self->t.device_class, sizeof(self->t.device_class), "other-class");
	EXPECT_EQ(-EACCES, fwg_begin(&self->b, &self->t, "signer"));
}

TEST_F(session, other_serial_eacces)
{
	snprintf(self->t.serial, sizeof(self->t.serial), "SN-NOT-THIS-ONE");
	EXPECT_EQ(-EACCES, fwg_begin(&self->b, &self->t, "signer"));
}

TEST_F(session, test_only_ticket_refused_in_production_eacces)
{
	char mode[8] = "";
	FILE *f = fopen("/sys/module/fwguard/parameters/production", "r");

	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(mode, sizeof(mode), f));
	fclose(f);
	ASSERT_STREQ("Y\n", mode);
	self->t.flags = FWGUARD_TICKET_F_TEST_ONLY;
	EXPECT_EQ(-EACCES, fwg_begin(&self->b, &self->t, "signer"));
}

TEST_F(session, active_slot_etxtbsy)
{
	EXPECT_EQ(-ETXTBSY, fwg_begin(&self->a, &self->t, "signer"));
}

TEST_F(session, image_larger_than_slot_enospc)
{
	self->t.image_len = self->b.sectors * 512 + 1;
	EXPECT_EQ(-ENOSPC, fwg_begin(&self->b, &self->t, "signer"));
}

TEST_F(session, version_below_floor_estale)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .floor = 1 };
	int ctl;

	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	ASSERT_EQ(0, ioctl(ctl, FWGUARD_IOC_POLICY, &pol));
	/* The floor never goes down. */
	pol.floor = 0;
	EXPECT_EQ(-1, ioctl(ctl, FWGUARD_IOC_POLICY, &pol));
	EXPECT_EQ(ESTALE, errno);
	close(ctl);
	self->t.security_version = 0;
	EXPECT_EQ(-ESTALE, fwg_begin(&self->b, &self->t, "signer"));
}

TEST_F(session, version_below_committed_estale)
{
	struct fwguard_commit c;

	ASSERT_EQ(0, full_session(&self->b, &self->t, self->image, IMAGE_LEN, &c));
	fwg_ticket_init(&self->t, self->image, IMAGE_LEN, VERSION - 1);
	EXPECT_EQ(-ESTALE, fwg_begin(&self->b, &self->t, "signer"));
}

TEST_F(session, outside_validity_window_ekeyexpired)
{
	uint64_t now = (uint64_t)time(NULL);
	int fd;

	self->t.not_before = now + 3600;
	EXPECT_EQ(-EKEYEXPIRED, fwg_begin(&self->b, &self->t, "signer"));
	self->t.not_before = 1;
	self->t.not_after = now - 60;
	EXPECT_EQ(-EKEYEXPIRED, fwg_begin(&self->b, &self->t, "signer"));
	self->t.not_after = now + 3600;
	fd = fwg_begin(&self->b, &self->t, "signer");
	EXPECT_LE(0, fd);
	close(fd);
}

TEST_F(session, second_session_same_partition_ebusy)
{
	struct fwguard_ticket t2;
	int fd, fd2;

	fwg_ticket_init(&t2, self->image, IMAGE_LEN, VERSION);
	fd = fwg_begin(&self->b, &self->t, "signer");
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, fwg_begin(&self->b, &t2, "signer"));
	close(fd);
	/* Closing aborted the first session: the slot is free again. */
	fd2 = fwg_begin(&self->b, &t2, "signer");
	EXPECT_LE(0, fd2);
	close(fd2);
}

TEST_F(session, abort_does_not_consume_ticket)
{
	uint8_t *der;
	size_t len;
	int fd;

	ASSERT_EQ(0, fwg_ticket_sign(&self->t, "signer", &der, &len));
	fd = fwg_begin_der(&self->b, der, len);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fwg_stream(fd, self->image, 4096, 4096));
	close(fd);
	fd = fwg_begin_der(&self->b, der, len);
	EXPECT_LE(0, fd);
	close(fd);
	free(der);
}

/* FWGUARD_IOC_COMMITTED for @id: 0 with @q filled, or -errno. */
static int committed(const uint8_t id[16], uint32_t flags, struct fwguard_committed *q)
{
	int ctl, err;

	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->flags = flags;
	memcpy(q->ticket_id, id, 16);
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	err = ioctl(ctl, FWGUARD_IOC_COMMITTED, q) ? -errno : 0;
	close(ctl);
	return err;
}

/*
 * What a ticket committed in this boot, for an install cut after COMMIT
 * (userspace/lib/STATE.md): the partition, length and digest of a
 * committed session; nothing for a ticket unused, aborted, or consumed by
 * a COMMIT that failed.
 */
TEST_F(session, committed_reports_what_the_ticket_wrote)
{
	struct fwguard_ticket bad = self->t;
	struct fwguard_committed q;
	struct fwguard_commit c;
	uint8_t digest[32];
	int fd;

	EXPECT_EQ(-ENOENT, committed(self->t.id, 0, &q));
	/* aborted: not consumed, not committed */
	fd = fwg_begin(&self->b, &self->t, "signer");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fwg_stream(fd, self->image, 4096, 4096));
	close(fd);
	EXPECT_EQ(-ENOENT, committed(self->t.id, 0, &q));
	ASSERT_EQ(0, full_session(&self->b, &self->t, self->image, IMAGE_LEN, &c));
	ASSERT_EQ(0, committed(self->t.id, 0, &q));
	EXPECT_EQ(self->b.major, q.dev_major);
	EXPECT_EQ(self->b.minor, q.dev_minor);
	EXPECT_EQ(IMAGE_LEN, q.written);
	SHA256(self->image, IMAGE_LEN, digest);
	EXPECT_EQ(0, memcmp(digest, q.digest, 32));
	EXPECT_EQ(VERSION, q.security_version);
	/* read-only: asked again, the same answer, and the ticket stays spent */
	ASSERT_EQ(0, committed(self->t.id, 0, &q));
	EXPECT_EQ(IMAGE_LEN, q.written);
	EXPECT_EQ(-EALREADY, fwg_begin(&self->b, &self->t, "signer"));
	EXPECT_EQ(-EINVAL, committed(self->t.id, 1, &q));
	/* consumed by a COMMIT that failed: nothing was committed */
	fwg_ticket_init(&bad, self->image, IMAGE_LEN, VERSION);
	fd = fwg_begin(&self->b, &bad, "signer");
	ASSERT_LE(0, fd);
	self->image[7] ^= 1;
	ASSERT_EQ(0, fwg_stream(fd, self->image, IMAGE_LEN, 1 << 20));
	EXPECT_EQ(-EBADMSG, fwg_commit(fd, &c));
	close(fd);
	EXPECT_EQ(-EALREADY, fwg_begin(&self->b, &bad, "signer"));
	EXPECT_EQ(-ENOENT, committed(bad.id, 0, &q));
}

/* Run @fn in a child; its exit status is the errno it saw. */
static int in_child(int (*fn)(const struct fwg_part *, const uint8_t *, size_t),
		    const struct fwg_part *p, const uint8_t *der, size_t len)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(p, der, len));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int begin_errno(int ctl, const struct fwg_part *p, const uint8_t *der, size_t len)
{
	struct fwguard_begin b = {
		.size = sizeof(b), .dev_major = p->major, .dev_minor = p->minor,
		.ticket = (uintptr_t)der, .ticket_len = (uint32_t)len,
	};

	return ioctl(ctl, FWGUARD_IOC_BEGIN, &b) < 0 ? errno : 0;
}

static int begin_as_nobody(const struct fwg_part *p, const uint8_t *der, size_t len)
{
	int ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);

	if (ctl < 0 || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return 100;
	return begin_errno(ctl, p, der, len);
}

static int begin_as_userns_root(const struct fwg_part *p, const uint8_t *der, size_t len)
{
	int ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);

	if (ctl < 0 || unshare(CLONE_NEWUSER))
		return 100;
	return begin_errno(ctl, p, der, len);
}

TEST_F(session, begin_needs_init_ns_cap_sys_admin)
{
	uint8_t *der;
	size_t len;
	int fd;

	ASSERT_EQ(0, fwg_ticket_sign(&self->t, "signer", &der, &len));
	EXPECT_EQ(EPERM, in_child(begin_as_nobody, &self->b, der, len));
	EXPECT_EQ(EPERM, in_child(begin_as_userns_root, &self->b, der, len));
	/* The same ticket works for real root: the refusals were about the caller. */
	fd = fwg_begin_der(&self->b, der, len);
	EXPECT_LE(0, fd);
	close(fd);
	free(der);
}

TEST_F(session, begin_argument_checks)
{
	struct {
		struct fwguard_begin b;
		uint64_t extra;
	} big;
	struct fwg_part data;
	uint8_t *der;
	size_t len;
	int ctl;

	ASSERT_EQ(0, fwg_ticket_sign(&self->t, "signer", &der, &len));
	ASSERT_EQ(0, fwg_find_part("data", &data));
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	memset(&big, 0, sizeof(big));
	big.b.size = sizeof(big.b);
	big.b.dev_major = self->b.major;
	big.b.dev_minor = self->b.minor;
	big.b.ticket = (uintptr_t)der;
	big.b.ticket_len = (uint32_t)len;

#define BEGIN_ERRNO() (ioctl(ctl, FWGUARD_IOC_BEGIN, &big) < 0 ? errno : 0)
	big.b.size = 8;
	EXPECT_EQ(EINVAL, BEGIN_ERRNO());
	big.b.size = 4097;
	EXPECT_EQ(E2BIG, BEGIN_ERRNO());
	big.b.size = sizeof(big);
	big.extra = 1;
	EXPECT_EQ(E2BIG, BEGIN_ERRNO());
	big.extra = 0;
	big.b.flags = 1;
	EXPECT_EQ(EINVAL, BEGIN_ERRNO());
	big.b.flags = 0;
	big.b.reserved = 1;
	EXPECT_EQ(EINVAL, BEGIN_ERRNO());
	big.b.reserved = 0;
	big.b.ticket_len = 0;
	EXPECT_EQ(EINVAL, BEGIN_ERRNO());
	big.b.ticket_len = FWGUARD_TICKET_CMS_MAX + 1;
	EXPECT_EQ(E2BIG, BEGIN_ERRNO());
	big.b.ticket_len = (uint32_t)len;
	big.b.ticket = 16;
	EXPECT_EQ(EFAULT, BEGIN_ERRNO());
	big.b.ticket = (uintptr_t)der;
	big.b.dev_major = data.major;
	big.b.dev_minor = data.minor;
	EXPECT_EQ(ENOENT, BEGIN_ERRNO());
	EXPECT_EQ(-1, ioctl(ctl, _IO(FWGUARD_IOC_MAGIC, 99)));
	EXPECT_EQ(ENOTTY, errno);
#undef BEGIN_ERRNO
	close(ctl);
	free(der);
}

struct writer {
	const char *node;
	volatile int stop;
	int rounds;
	int err;
};

static void *write_other_partition(void *arg)
{
	struct writer *w = arg;

	while (!w->stop && !w->err) {
		w->err = fwg_write_direct(w->node, (uint64_t)(w->rounds % 64) * 65536,
					  w->rounds & 0xff, 65536);
		w->rounds++;
	}
	return NULL;
}

TEST_F(session, concurrent_writers_on_other_partitions)
{
	struct fwg_part data;
	struct writer w = { 0 };
	struct fwguard_commit c;
	pthread_t th;

	ASSERT_EQ(0, fwg_find_part("data", &data));
	w.node = data.node;
	ASSERT_EQ(0, pthread_create(&th, NULL, write_other_partition, &w));
	EXPECT_EQ(0, full_session(&self->b, &self->t, self->image, IMAGE_LEN, &c));
	usleep(100000);
	w.stop = 1;
	pthread_join(th, NULL);
	EXPECT_EQ(0, w.err);
	EXPECT_LT(0, w.rounds);
}

TEST_HARNESS_MAIN
