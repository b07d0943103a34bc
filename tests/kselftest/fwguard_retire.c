// SPDX-License-Identifier: GPL-2.0-only
/*
 * FWGUARD_IOC_RETIRE (kmod/README.md, "Retiring a superseded slot"), in a
 * guest of its own (tests/host/fwguard_retire.sh): the module is loaded
 * here with boot_part naming fw_b, as GRUB names the slot it booted.
 *
 * The boot is a trial of fw_b: fw_a holds release 2 (the last good one),
 * fw_b release 3, both protected active. Property: a slot is retired (its
 * head zeroed, so no bootloader loads it) only when the release at the
 * floor, which the other slot holds as the kernel reads it, superseded it;
 * never the booted slot, never while the floor stands below the release
 * (the slot is still the fallback), never on a ticket whose image the
 * other slot does not hold, and never leaving the other slot changed.
 * Each refusal is checked to leave both slots' bytes as they were.
 */
#define _GNU_SOURCE
#include <signal.h>
#include "kselftest_harness.h"
#include "fwguard_util.h"

#define IMAGE_LEN	((1u << 20) + 4096 + 100)
#define HEAD		4096
/* tests/vm/mkdisk's PARTUUIDs (disk tag 0): fw_b is the slot that "booted". */
#define FW_B_PARTUUID	"6f776761-0000-4000-8000-00000000000b"

struct retire_env {
	struct fwg_part a, b, data;
	uint8_t *img2, *img3, *img_other;
	uint8_t *t2, *t3, *t_other, *t_rogue;
	size_t t2_len, t3_len, t_other_len, t_rogue_len;
};

static struct retire_env env;

static int raw_write(const char *node, const uint8_t *buf, size_t len)
{
	int fd = open(node, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pwrite(fd, buf, len, 0);
	if (n != (ssize_t)len || fsync(fd)) {
		close(fd);
		return -EIO;
	}
	return close(fd) ? -errno : 0;
}

static int sign(const uint8_t *image, uint64_t version, const char *signer,
		uint8_t **der, size_t *len)
{
	struct fwguard_ticket t;

	fwg_ticket_init(&t, image, IMAGE_LEN, version);
	return fwg_ticket_sign(&t, signer, der, len);
}

/* The floor as mark-good raises it: the TPM counter, then the module's own. */
static int set_floor(uint64_t floor)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .floor = floor };
	int ctl, err;

	err = fwg_tpm_floor_ensure(floor);
	if (err)
		return err;
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	err = ioctl(ctl, FWGUARD_IOC_POLICY, &pol) ? -errno : 0;
	close(ctl);
	return err;
}

static int retire(const struct fwg_part *p, const uint8_t *der, size_t len)
{
	struct fwguard_retire rt = {
		.size = sizeof(rt), .dev_major = p->major, .dev_minor = p->minor,
		.ticket = (uintptr_t)der, .ticket_len = (uint32_t)len,
	};
	int ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC), err;

	if (ctl < 0)
		return -errno;
	err = ioctl(ctl, FWGUARD_IOC_RETIRE, &rt) ? -errno : 0;
	close(ctl);
	return err;
}

/* The first IMAGE_LEN bytes of @p, read past every cache, equal @want? */
static int holds(const struct fwg_part *p, const uint8_t *want)
{
	size_t len = (IMAGE_LEN + 4095) & ~4095u;
	uint8_t *buf = malloc(len);
	int same;

	if (!buf || fwg_read_direct(p->node, 0, buf, len)) {
		free(buf);
		return -1;
	}
	same = !memcmp(buf, want, IMAGE_LEN);
	free(buf);
	return same;
}

/* @p's head is zero and the rest of it still @want's bytes. */
static int retired(const struct fwg_part *p, const uint8_t *want)
{
	uint8_t *copy = malloc(IMAGE_LEN);
	int r;

	if (!copy)
		return -1;
	memcpy(copy, want, IMAGE_LEN);
	memset(copy, 0, HEAD);
	r = holds(p, copy);
	free(copy);
	return r;
}

/* Both slots exactly as the boot found them. */
#define EXPECT_UNCHANGED() do {				\
	EXPECT_EQ(1, holds(&env.a, env.img2));		\
	EXPECT_EQ(1, holds(&env.b, env.img3));		\
} while (0)

/*
 * Every test runs in a child of its own: each computes the images and
 * tickets again; the disk and the module are set up by the first only.
 */
static int prepare(void)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .device_class = FWG_CLASS, .floor = 2 };
	int ctl, err;

	err = fwg_find_part("fw_a", &env.a) ?: fwg_find_part("fw_b", &env.b) ?:
	      fwg_find_part("data", &env.data);
	if (err)
		return err;
	env.img2 = fwg_pattern(IMAGE_LEN, 2);
	env.img3 = fwg_pattern(IMAGE_LEN, 3);
	env.img_other = fwg_pattern(IMAGE_LEN, 4);
	if (!env.img2 || !env.img3 || !env.img_other)
		return -ENOMEM;
	err = sign(env.img2, 2, "signer", &env.t2, &env.t2_len) ?:
	      sign(env.img3, 3, "signer", &env.t3, &env.t3_len) ?:
	      sign(env.img_other, 3, "signer", &env.t_other, &env.t_other_len) ?:
	      sign(env.img3, 3, "other-signer", &env.t_rogue, &env.t_rogue_len);
	if (err || !access("/sys/module/fwguard", F_OK))
		return err;
	/* The releases on the disk before the module protects it. */
	err = raw_write(env.a.node, env.img2, IMAGE_LEN) ?: raw_write(env.b.node, env.img3, IMAGE_LEN);
	if (err)
		return err;
	/* The device's TPM floor stands at fw_a's release, the last good one. */
	err = fwg_tpm_floor_ensure(2);
	if (!err)
		err = fwg_module_load("keyring_mode=provision boot_part=" FW_B_PARTUUID);
	if (!err)
		err = fwg_keys_ensure();
	if (err)
		return err;
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	err = ioctl(ctl, FWGUARD_IOC_POLICY, &pol) ? -errno : 0;
	/* A trial boot of fw_b: both slots active, as policy load protects them. */
	if (!err)
		err = fwg_protect(ctl, &env.a, FWGUARD_PROTECT_ACTIVE);
	if (!err)
		err = fwg_protect(ctl, &env.b, FWGUARD_PROTECT_ACTIVE);
	close(ctl);
	return err;
}

/* The line of @name in the policy status ends in " active". */
static int range_active(const char *name)
{
	FILE *f = fopen(FWG_SYSFS "/policy", "r");
	char line[512], want[64];
	int active = 0;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "range %s ", name);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want))) {
			line[strcspn(line, "\n")] = 0;
			active = strlen(line) > 7 && !strcmp(line + strlen(line) - 7, " active");
		}
	fclose(f);
	return active;
}

/*
 * A child that holds @node open read-only and exclusively (O_EXCL: the
 * block layer's claim), as root can at any time; no write, so nothing
 * refuses it. Returns its pid once it holds the open, or -errno.
 */
static pid_t hold_exclusive(const char *node)
{
	int pipefd[2], err = 0;
	pid_t pid;

	if (pipe(pipefd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int fd = open(node, O_RDONLY | O_EXCL | O_CLOEXEC);

		err = fd < 0 ? errno : 0;
		if (write(pipefd[1], &err, sizeof(err)) != sizeof(err) || fd < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &err, sizeof(err)) != sizeof(err))
		err = EIO;
	close(pipefd[0]);
	if (err) {
		waitpid(pid, NULL, 0);
		return -err;
	}
	return pid;
}

static void release_hold(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/*
 * A second component on a loop disk of its own, both slots protected and
 * not active, so a session can target one: @p holds @img2 (superseded),
 * @q @img3. Returns 0 or -errno.
 */
#define LOOP_IMG	"/tmp/fwguard-retire-loop.img"
#define COMPONENT2	"retire-second"

static char loop_node[32];

static int protect_as(int ctl, const struct fwg_part *p, const char *component)
{
	struct fwguard_protect req = {
		.size = sizeof(req), .dev_major = p->major, .dev_minor = p->minor,
	};

	snprintf(req.component, sizeof(req.component), "%s", component);
	return ioctl(ctl, FWGUARD_IOC_PROTECT, &req) ? -errno : 0;
}

static int loop_part(int n, struct fwg_part *p)
{
	struct stat st;

	snprintf(p->node, sizeof(p->node), "%sp%d", loop_node, n);
	snprintf(p->name, sizeof(p->name), "%s", p->node + 5);
	for (int i = 0; i < 50 && stat(p->node, &st); i++)
		usleep(100000);
	if (stat(p->node, &st))
		return -errno;
	p->major = major(st.st_rdev);
	p->minor = minor(st.st_rdev);
	return 0;
}

static int second_component(struct fwg_part *p, struct fwg_part *q)
{
	FILE *f;
	int ctl, err;

	if (fwg_sh("modprobe loop 2>/dev/null; rm -f " LOOP_IMG " && truncate -s 8M " LOOP_IMG
		   " && sgdisk -o -n 1:2048:+3M -c 1:r_p -n 2:0:+3M -c 2:r_q " LOOP_IMG " >/dev/null"
		   " && losetup -P -f --show " LOOP_IMG " >/tmp/fwguard-retire-loop.dev"))
		return -EIO;
	f = fopen("/tmp/fwguard-retire-loop.dev", "r");
	if (!f)
		return -errno;
	err = fscanf(f, "%31s", loop_node) == 1 ? 0 : -EIO;
	fclose(f);
	err = err ?: loop_part(1, p) ?: loop_part(2, q);
	err = err ?: raw_write(p->node, env.img2, IMAGE_LEN) ?: raw_write(q->node, env.img3, IMAGE_LEN);
	if (err)
		return err;
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	err = protect_as(ctl, p, COMPONENT2) ?: protect_as(ctl, q, COMPONENT2);
	close(ctl);
	return err;
}

/* A ticket of @image at @version for the second component. */
static int sign2(const uint8_t *image, uint64_t version, uint8_t **der, size_t *len)
{
	struct fwguard_ticket t;

	fwg_ticket_init(&t, image, IMAGE_LEN, version);
	snprintf(t.component, sizeof(t.component), COMPONENT2);
	return fwg_ticket_sign(&t, "signer", der, len);
}

FIXTURE(rt) {};
FIXTURE_SETUP(rt)
{
	ASSERT_EQ(0, prepare());
}
FIXTURE_TEARDOWN(rt) {}

/* The tests run in this order and share the boot's state. */
TEST_F(rt, slots_as_found)
{
	EXPECT_UNCHANGED();
}

TEST_F(rt, refused_while_the_floor_is_below_the_other_release)
{
	/* Floor 2: release 3 is on trial, fw_a is the fallback. */
	EXPECT_EQ(-EAGAIN, retire(&env.a, env.t3, env.t3_len));
	EXPECT_UNCHANGED();
}

TEST_F(rt, refused_for_the_booted_slot)
{
	/* fw_a holds release 2 at the floor 2: only "booted" stops it. */
	EXPECT_EQ(-ETXTBSY, retire(&env.b, env.t2, env.t2_len));
	EXPECT_UNCHANGED();
}

TEST_F(rt, refused_without_proof)
{
	ASSERT_EQ(0, set_floor(3));
	/* A release at the floor that the other slot does not hold. */
	EXPECT_EQ(-ENOEXEC, retire(&env.a, env.t_other, env.t_other_len));
	/* fw_b's image, signed by a key .fwguard does not trust. */
	EXPECT_EQ(-ENOKEY, retire(&env.a, env.t_rogue, env.t_rogue_len));
	/* Not a ticket at all. */
	EXPECT_EQ(-EBADMSG, retire(&env.a, env.img3, 512));
	/* fw_a's release, now below the floor, supersedes nothing. */
	EXPECT_EQ(-ESTALE, retire(&env.b, env.t2, env.t2_len));
	/* Not a protected slot. */
	EXPECT_EQ(-ENOENT, retire(&env.data, env.t3, env.t3_len));
	EXPECT_UNCHANGED();
}

TEST_F(rt, superseded_slot_is_retired)
{
	/* Root holds the slot open exclusively (read-only): no matter. */
	pid_t holder = hold_exclusive(env.a.node);

	ASSERT_LT(0, holder);
	EXPECT_EQ(0, retire(&env.a, env.t3, env.t3_len));
	release_hold(holder);
	EXPECT_EQ(1, retired(&env.a, env.img2));
	EXPECT_EQ(1, holds(&env.b, env.img3));
	EXPECT_EQ(1, fwg_dmesg_wait("retired, its head zeroed"));
	/* A repeat (after a power cut) finds no image and writes nothing. */
	EXPECT_EQ(0, retire(&env.a, env.t3, env.t3_len));
	EXPECT_EQ(1, fwg_dmesg_wait("holds no image: superseded"));
	EXPECT_EQ(1, retired(&env.a, env.img2));
	EXPECT_EQ(1, holds(&env.b, env.img3));
}

TEST_F(rt, session_on_either_slot_blocks_retirement)
{
	struct fwg_part p, q;
	uint8_t *t_q, *t_p;
	size_t t_q_len, t_p_len;
	int fd;

	/* The floor is 3: q's release 3 supersedes p's release 2. */
	ASSERT_EQ(0, second_component(&p, &q));
	ASSERT_EQ(0, sign2(env.img3, 3, &t_q, &t_q_len));
	ASSERT_EQ(0, sign2(env.img3, 3, &t_p, &t_p_len));
	/* A session on the target: the slot is the session's, EBUSY. */
	fd = fwg_begin_der(&p, t_p, t_p_len);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, retire(&p, t_q, t_q_len));
	/* A session on the other slot: EBUSY too. */
	EXPECT_EQ(-EBUSY, retire(&q, t_p, t_p_len));
	close(fd);
	/* The session left p's head zero: nothing is left to retire. */
	EXPECT_EQ(1, retired(&p, env.img2));
	EXPECT_EQ(0, retire(&p, t_q, t_q_len));
	EXPECT_EQ(1, holds(&q, env.img3));
	free(t_q);
	free(t_p);
}

TEST_F(rt, invariants_after_retirement)
{
	/* Both slots stay protected active: no session may target either. */
	EXPECT_EQ(1, range_active(env.a.name));
	EXPECT_EQ(1, range_active(env.b.name));
	EXPECT_EQ(-ETXTBSY, fwg_begin_der(&env.a, env.t3, env.t3_len));
	/* A raw write to the retired slot is refused as before. */
	EXPECT_NE(0, fwg_write_direct(env.a.node, 0, 0x5a, 4096));
	EXPECT_EQ(1, retired(&env.a, env.img2));
	/* The floor above release 3: fw_b holds no bootable release either. */
	ASSERT_EQ(0, set_floor(4));
	EXPECT_EQ(-ESTALE, retire(&env.a, env.t3, env.t3_len));
	EXPECT_EQ(1, holds(&env.b, env.img3));
}

TEST_HARNESS_MAIN
