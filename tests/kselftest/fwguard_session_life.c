// SPDX-License-Identifier: GPL-2.0-only
/*
 * The life of an update session as a root attacker would drive it, in a
 * boot of its own (tests/host/fwguard_session_life.sh: it raises the floor,
 * throttles I/O and marks fw_b active at the end) with lockdown=integrity
 * raised once the module is loaded.
 *
 * Property: whatever sequence of BEGIN, write and close runs with a ticket,
 * fw_b never holds bytes a reader would take for an image other than the
 * ticket's: its head is zero until COMMIT matched the digest, and no bio of
 * a session lands after the slot was released. A dropped session does not
 * burn its ticket.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

#define HEAD		4096	/* what the kernel holds back until COMMIT */
#define IMAGE_LEN	((2u << 20) + HEAD + 100)
#define CGROUP		"/sys/fs/cgroup"
#define SLOW		CGROUP "/fwguard-slow"

FIXTURE(life)
{
	struct fwg_part a, b;
	uint8_t *image;
	struct fwguard_ticket t;
};

static int lockdown_integrity(void)
{
	char level[128] = "";
	FILE *f;

	if (access("/sys/kernel/security/lockdown", F_OK))
		mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL);
	f = fopen("/sys/kernel/security/lockdown", "r");
	if (!f)
		return -errno;
	if (!fgets(level, sizeof(level), f))
		level[0] = 0;
	fclose(f);
	if (!strstr(level, "[none]"))
		return strstr(level, "[") ? 0 : -EIO;	/* integrity or stricter */
	return fwg_write_file("/sys/kernel/security/lockdown", "integrity");
}

FIXTURE_SETUP(life)
{
	ASSERT_EQ(0, fwg_setup(&self->a, &self->b));
	ASSERT_EQ(0, lockdown_integrity());
	self->image = fwg_pattern(IMAGE_LEN, (unsigned int)getpid());
	ASSERT_NE(NULL, self->image);
	fwg_ticket_init(&self->t, self->image, IMAGE_LEN, 5);
}

FIXTURE_TEARDOWN(life)
{
	free(self->image);
}

/* The lowest version BEGIN accepts now: the floor or the last committed one. */
static uint64_t fresh_version(void)
{
	uint64_t floor = 0, committed = 0;
	char line[256];
	FILE *f = fopen(FWG_SYSFS "/policy", "r");

	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "floor %" SCNu64, &floor);
		sscanf(line, "committed_version %" SCNu64, &committed);
	}
	if (f)
		fclose(f);
	return floor > committed ? floor : committed;
}

static uint8_t *read_slot(const struct fwg_part *p, size_t len)
{
	size_t padded = (len + 4095) & ~(size_t)4095;
	uint8_t *buf = malloc(padded);

	if (buf && fwg_read_direct(p->node, 0, buf, padded)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

/* fw_b holds no valid image: zero head, and its digest is not the ticket's. */
static void expect_no_image(struct __test_metadata *_metadata,
			    FIXTURE_DATA(life) *self)
{
	uint8_t *slot = read_slot(&self->b, IMAGE_LEN), digest[32];
	uint8_t cached[HEAD];
	int fd;

	ASSERT_NE(NULL, slot);
	EXPECT_TRUE(all_zero(slot, HEAD));
	SHA256(slot, IMAGE_LEN, digest);
	EXPECT_NE(0, memcmp(digest, self->t.image_sha256, 32));
	free(slot);
	/* Through the page cache too. */
	fd = open(self->b.node, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(HEAD, pread(fd, cached, HEAD, 0));
	EXPECT_TRUE(all_zero(cached, HEAD));
	close(fd);
}

static void expect_image(struct __test_metadata *_metadata,
			 const struct fwg_part *p, const uint8_t *image, size_t len)
{
	uint8_t *slot = read_slot(p, len);

	ASSERT_NE(NULL, slot);
	EXPECT_EQ(0, memcmp(slot, image, len));
	free(slot);
}

static int commit_image(const struct fwg_part *p, const uint8_t *der, size_t der_len,
			const uint8_t *image, size_t len)
{
	struct fwguard_commit c;
	int fd, err;

	fd = fwg_begin_der(p, der, der_len);
	if (fd < 0)
		return fd;
	err = fwg_stream(fd, image, len, 65536 + 7);
	if (!err)
		err = fwg_commit(fd, &c);
	close(fd);
	return err;
}

TEST_F(life, begin_invalidates_a_valid_image)
{
	struct fwguard_ticket next;
	uint8_t *der;
	size_t len;
	int fd;

	ASSERT_EQ(0, fwg_ticket_sign(&self->t, "signer", &der, &len));
	ASSERT_EQ(0, commit_image(&self->b, der, len, self->image, IMAGE_LEN));
	expect_image(_metadata, &self->b, self->image, IMAGE_LEN);
	free(der);

	/* A new session that never writes a byte still invalidates the slot. */
	fwg_ticket_init(&next, self->image, IMAGE_LEN, 5);
	fd = fwg_begin(&self->b, &next, "signer");
	ASSERT_LE(0, fd);
	self->t = next;
	expect_no_image(_metadata, self);
	close(fd);
	expect_no_image(_metadata, self);
}

TEST_F(life, aborted_session_leaves_no_image)
{
	uint8_t *slot;
	int fd;

	fd = fwg_begin(&self->b, &self->t, "signer");
	ASSERT_LE(0, fd);
	/* Every byte of the image, right ones even: still no COMMIT. */
	ASSERT_EQ(0, fwg_stream(fd, self->image, IMAGE_LEN, 1 << 20));
	close(fd);
	expect_no_image(_metadata, self);
	/* The full staging buffers of the body did go to the disk. */
	slot = read_slot(&self->b, IMAGE_LEN);
	ASSERT_NE(NULL, slot);
	EXPECT_EQ(0, memcmp(slot + HEAD, self->image + HEAD, 2u << 20));
	free(slot);
}

TEST_F(life, retry_with_same_ticket_after_abort)
{
	uint8_t *der, junk[65536];
	size_t len;
	int fd;

	ASSERT_EQ(0, fwg_ticket_sign(&self->t, "signer", &der, &len));
	/* Attacker bytes, then a dropped connection, twice. */
	memset(junk, 0xe9, sizeof(junk));
	for (int i = 0; i < 2; i++) {
		fd = fwg_begin_der(&self->b, der, len);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, fwg_stream(fd, junk, sizeof(junk), 4096));
		close(fd);
		expect_no_image(_metadata, self);
	}
	ASSERT_EQ(0, commit_image(&self->b, der, len, self->image, IMAGE_LEN));
	expect_image(_metadata, &self->b, self->image, IMAGE_LEN);
	EXPECT_EQ(-EALREADY, fwg_begin_der(&self->b, der, len));
	free(der);
}

TEST_F(life, commit_estale_when_floor_rose)
{
	struct fwguard_policy pol = { .size = sizeof(pol) };
	struct fwguard_commit c;
	int fd, ctl;

	self->t.security_version = fresh_version();
	fd = fwg_begin(&self->b, &self->t, "signer");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fwg_stream(fd, self->image, IMAGE_LEN, 1 << 20));
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	pol.floor = self->t.security_version + 1;
	ASSERT_EQ(0, ioctl(ctl, FWGUARD_IOC_POLICY, &pol));
	close(ctl);
	EXPECT_EQ(-ESTALE, fwg_commit(fd, &c));
	EXPECT_EQ(-EINVAL, fwg_commit(fd, &c));
	close(fd);
	expect_no_image(_metadata, self);
}

TEST_F(life, commit_ekeyexpired_when_window_closed)
{
	struct fwguard_commit c;
	int fd;

	self->t.security_version = fresh_version();
	self->t.not_after = (uint64_t)time(NULL) + 2;
	fd = fwg_begin(&self->b, &self->t, "signer");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fwg_stream(fd, self->image, IMAGE_LEN, 1 << 20));
	sleep(4);
	EXPECT_EQ(-EKEYEXPIRED, fwg_commit(fd, &c));
	close(fd);
	expect_no_image(_metadata, self);
}

static int drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* In a child with other credentials: errno of write() and of COMMIT. */
static int other_cred_errnos(int fd, int as_nobody)
{
	struct fwguard_commit c;
	uint8_t byte = 0;
	int w, k;

	if (as_nobody ? setresuid(65534, 65534, 65534) : drop_cap_sys_admin())
		return 100;
	w = write(fd, &byte, 1) < 0 ? errno : 0;
	k = fwg_commit(fd, &c) ? errno : 0;
	return w == EPERM && k == EPERM ? 0 : 1 + (w != EPERM);
}

static int in_child_with_fd(int fd, int as_nobody)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(other_cred_errnos(fd, as_nobody));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(life, session_fd_refuses_other_credentials)
{
	struct fwguard_commit c;
	int fd;

	self->t.security_version = fresh_version();
	fd = fwg_begin(&self->b, &self->t, "signer");
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, in_child_with_fd(fd, 1));
	EXPECT_EQ(0, in_child_with_fd(fd, 0));
	/* The opener's own credentials still work, in this process or a fork. */
	ASSERT_EQ(0, fwg_stream(fd, self->image, IMAGE_LEN, 1 << 20));
	EXPECT_EQ(0, fwg_commit(fd, &c));
	close(fd);
	expect_image(_metadata, &self->b, self->image, IMAGE_LEN);
}

/* A cgroup whose writes to the scratch disk are limited to @bps. */
static int slow_cgroup(uint64_t bps)
{
	char dev[32] = "", line[96];
	FILE *f;
	int err;

	if (access(CGROUP "/cgroup.controllers", F_OK) &&
	    mount("cgroup2", CGROUP, "cgroup2", 0, NULL))
		return -errno;
	f = fopen("/sys/class/block/vda/dev", "r");
	if (!f)
		return -errno;
	err = fscanf(f, "%31s", dev) == 1 ? 0 : -EIO;
	fclose(f);
	if (err)
		return err;
	err = fwg_write_file(CGROUP "/cgroup.subtree_control", "+io");
	if (err)
		return err;
	if (mkdir(SLOW, 0755) && errno != EEXIST)
		return -errno;
	snprintf(line, sizeof(line), "%s wbps=%" PRIu64, dev, bps);
	return fwg_write_file(SLOW "/io.max", line);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST_F(life, fatal_signal_stops_a_long_write)
{
	size_t big = 32u << 20;
	uint8_t *image = fwg_pattern(big, 3);
	struct fwguard_ticket t;
	int fd, status;
	double t0;
	pid_t pid;

	ASSERT_NE(NULL, image);
	ASSERT_EQ(0, slow_cgroup(2u << 20));	/* 32 MiB would take 16 s */
	fwg_ticket_init(&t, image, big, fresh_version());
	fd = fwg_begin(&self->b, &t, "signer");
	ASSERT_LE(0, fd);
	pid = fork();
	if (pid == 0) {
		if (fwg_write_file(SLOW "/cgroup.procs", "0"))
			_exit(100);
		_exit(write(fd, image, big) < 0 ? errno : 0);
	}
	ASSERT_LT(0, pid);
	sleep(2);
	t0 = now_s();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_GT(3.0, now_s() - t0) TH_LOG("SIGKILL took %.1f s", now_s() - t0);
	close(fd);
	free(image);
}

/*
 * Child: open a session in the slow cgroup, queue a throttled bio, tell the
 * parent, close.
 */
static int throttled_session(const struct fwg_part *p, const uint8_t *junk,
			     size_t len, int ready)
{
	struct fwguard_ticket t;
	int fd;

	if (fwg_write_file(SLOW "/cgroup.procs", "0"))
		return 100;
	fwg_ticket_init(&t, junk, len, fresh_version());
	fd = fwg_begin(p, &t, "signer");
	if (fd < 0)
		return 101;
	/* Head, then one full staging buffer: its bio is submitted and held. */
	if (fwg_stream(fd, junk, len, len))
		return 102;
	if (write(ready, "x", 1) != 1)
		return 103;
	close(fd);
	return 0;
}

/* BEGIN until the slot is free (EBUSY while the previous session drains). */
static int begin_when_free(const struct fwg_part *p, const uint8_t *der, size_t len)
{
	int fd, tries;

	for (tries = 0; tries < 150; tries++) {
		fd = fwg_begin_der(p, der, len);
		if (fd != -EBUSY)
			return fd;
		usleep(200000);
	}
	return -ETIMEDOUT;
}

TEST_F(life, no_session_bio_lands_after_release)
{
	size_t junk_len = HEAD + (1u << 20) + 4096;
	uint8_t *junk = malloc(junk_len), *der, x;
	struct fwguard_commit c;
	int status, pipefd[2], fd;
	size_t len;
	pid_t pid;

	ASSERT_NE(NULL, junk);
	memset(junk, 0x6b, junk_len);
	ASSERT_EQ(0, slow_cgroup(256u << 10));	/* the 1 MiB bio waits ~4 s */
	self->t.security_version = fresh_version();
	ASSERT_EQ(0, fwg_ticket_sign(&self->t, "signer", &der, &len));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	if (pid == 0)
		_exit(throttled_session(&self->b, junk, junk_len, pipefd[1]));
	ASSERT_LT(0, pid);
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &x, 1));
	close(pipefd[0]);
	usleep(300000);		/* the child is in close() now */
	/* The updater's session, committed while the child's bio may be held. */
	fd = begin_when_free(&self->b, der, len);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fwg_stream(fd, self->image, IMAGE_LEN, 1 << 20));
	ASSERT_EQ(0, fwg_commit(fd, &c));
	close(fd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	expect_image(_metadata, &self->b, self->image, IMAGE_LEN);
	sleep(6);		/* nothing lands later either */
	expect_image(_metadata, &self->b, self->image, IMAGE_LEN);
	free(der);
	free(junk);
}

/* Last: a refused ACTIVE must leave fw_b a target, a granted one would not. */
TEST_F(life, active_on_slot_with_open_session_ebusy)
{
	char line[256];
	int fd, ctl;
	FILE *f;

	self->t.security_version = fresh_version();
	fd = fwg_begin(&self->b, &self->t, "signer");
	ASSERT_LE(0, fd);
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	EXPECT_EQ(-EBUSY, fwg_protect(ctl, &self->b, FWGUARD_PROTECT_ACTIVE));
	close(ctl);
	f = fopen(FWG_SYSFS "/policy", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, self->b.name) && strstr(line, "range "))
			EXPECT_NE(NULL, strstr(line, "component " FWG_COMPONENT " session\n"))
				TH_LOG("%s", line);
	fclose(f);
	close(fd);
}

TEST_HARNESS_MAIN
