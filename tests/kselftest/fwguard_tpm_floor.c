// SPDX-License-Identifier: GPL-2.0-only
/*
 * The version floor the module reads from the TPM itself (kmod/README.md
 * "The TPM floor"), in a guest of its own (tests/host/fwguard_tpm_floor.sh):
 * the TPM counter 0x01004657 stands at 3, the module is loaded with its
 * own floor 0 (no floor= option) and production=1 (the default), and root
 * loads the policy with floor 0, as it can after any reboot. Property: no
 * ticket below the TPM floor opens a session, whatever the module's own
 * floor; RETIRE is confirmed by the TPM floor only; and an index at the
 * handle that is not a written counter refuses BEGIN and RETIRE (fail
 * closed). The tests run in order and share the boot's state.
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "fwguard_util.h"

#define IMAGE_LEN	(64u * 1024)
#define TPM_FLOOR	3
#define NV		"0x01004657"
/* tpm2-tools against the guest's TPM through the kernel's resource manager. */
#define TPM2(cmd)	"TPM2TOOLS_TCTI=device:/dev/tpmrm0 " cmd " >/dev/null 2>&1"

static struct fwg_part fw_a, fw_b;

static int set_policy_floor(uint64_t floor)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .floor = floor };
	int ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC), err;

	if (ctl < 0)
		return -errno;
	err = ioctl(ctl, FWGUARD_IOC_POLICY, &pol) ? -errno : 0;
	close(ctl);
	return err;
}

/* A ticket for @version's image (a pattern of its own); *der is malloc()ed. */
static int ticket(uint64_t version, uint8_t **der, size_t *len)
{
	struct fwguard_ticket t;
	uint8_t *image = fwg_pattern(IMAGE_LEN, (unsigned int)version);
	int err;

	if (!image)
		return -ENOMEM;
	fwg_ticket_init(&t, image, IMAGE_LEN, version);
	free(image);
	err = fwg_ticket_sign(&t, "signer", der, len);
	return err;
}

/* BEGIN with @version's ticket on @p: the session fd or -errno. */
static int begin(const struct fwg_part *p, uint64_t version)
{
	uint8_t *der;
	size_t len;
	int fd;

	fd = ticket(version, &der, &len);
	if (fd)
		return fd;
	fd = fwg_begin_der(p, der, len);
	free(der);
	return fd;
}

/* BEGIN expected to fail: its -errno, or 0 (the session closed again). */
static int begin_refused(const struct fwg_part *p, uint64_t version)
{
	int fd = begin(p, version);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* A whole session with @version's image on @p: 0 or the first -errno. */
static int install(const struct fwg_part *p, uint64_t version)
{
	uint8_t *image = fwg_pattern(IMAGE_LEN, (unsigned int)version);
	struct fwguard_commit c;
	int fd, err;

	if (!image)
		return -ENOMEM;
	fd = begin(p, version);
	err = fd < 0 ? fd : fwg_stream(fd, image, IMAGE_LEN, 65536) ?: fwg_commit(fd, &c);
	if (fd >= 0)
		close(fd);
	free(image);
	return err;
}

static int retire(const struct fwg_part *p, uint64_t version)
{
	struct fwguard_retire rt = {
		.size = sizeof(rt), .dev_major = p->major, .dev_minor = p->minor,
	};
	uint8_t *der;
	size_t len;
	int ctl, err;

	err = ticket(version, &der, &len);
	if (err)
		return err;
	rt.ticket = (uintptr_t)der;
	rt.ticket_len = (uint32_t)len;
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	err = ctl < 0 ? -errno : ioctl(ctl, FWGUARD_IOC_RETIRE, &rt) ? -errno : 0;
	if (ctl >= 0)
		close(ctl);
	free(der);
	return err;
}

/* The policy status has a line starting with @prefix. */
static int status_has(const char *prefix)
{
	FILE *f = fopen(FWG_SYSFS "/policy", "r");
	char line[512];
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, prefix, strlen(prefix));
	fclose(f);
	return found;
}

static int prepare(void)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .device_class = FWG_CLASS };
	int ctl, err;

	err = fwg_find_part("fw_a", &fw_a) ?: fwg_find_part("fw_b", &fw_b);
	if (err || !access("/sys/module/fwguard", F_OK))
		return err;
	/* The device's TPM floor is 3; the module's options name no floor. */
	err = fwg_tpm_floor_ensure(TPM_FLOOR) ?: fwg_module_load("keyring_mode=provision") ?:
	      fwg_keys_ensure();
	if (err)
		return err;
	ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	/* What root's `policy load --floor 0` sends: the module's floor stays 0. */
	err = ioctl(ctl, FWGUARD_IOC_POLICY, &pol) ? -errno : 0;
	if (!err)
		err = fwg_protect(ctl, &fw_a, FWGUARD_PROTECT_ACTIVE);
	if (!err)
		err = fwg_protect(ctl, &fw_b, 0);
	close(ctl);
	return err;
}

FIXTURE(tf) {};
FIXTURE_SETUP(tf)
{
	ASSERT_EQ(0, prepare());
}
FIXTURE_TEARDOWN(tf) {}

TEST_F(tf, status_names_the_tpm_floor)
{
	EXPECT_EQ(0, fwg_status_value("floor"));
	EXPECT_EQ(1, status_has("tpm_floor 3 source tpm counter " NV "\n"));
	EXPECT_EQ(3, fwg_status_value("effective_floor"));
	EXPECT_EQ(1, fwg_status_value("tpm_floor_required"));
}

TEST_F(tf, release_below_the_tpm_floor_is_refused)
{
	int fd;

	EXPECT_EQ(0, set_policy_floor(0));
	EXPECT_EQ(-ESTALE, begin_refused(&fw_b, 2));
	EXPECT_EQ(-ESTALE, begin_refused(&fw_b, 1));
	/* The module's own floor is still 0: only the TPM's refused them. */
	EXPECT_EQ(0, fwg_status_value("floor"));
	/* A release at the floor opens a session, and an abort leaves it usable. */
	fd = begin(&fw_b, 3);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
}

TEST_F(tf, release_at_the_tpm_floor_installs)
{
	EXPECT_EQ(0, install(&fw_b, 3));
	EXPECT_EQ(1, fwg_dmesg_wait("committed (0): 65536 bytes, version 3"));
}

TEST_F(tf, retire_is_judged_by_the_tpm_floor)
{
	/* Release 2 is below the TPM floor: it supersedes nothing. */
	EXPECT_EQ(-ESTALE, retire(&fw_b, 2));
	/*
	 * Root raises the module's own floor to 4: release 4 stands at that
	 * floor, but the TPM's is 3, so release 4 is not confirmed.
	 */
	ASSERT_EQ(0, set_policy_floor(4));
	EXPECT_EQ(-EAGAIN, retire(&fw_a, 4));
}

TEST_F(tf, counter_replaced_by_an_ordinary_index_fails_closed)
{
	ASSERT_EQ(0, system(TPM2("tpm2_nvundefine " NV " -C o")));
	/* Undefined: no floor at all. */
	EXPECT_EQ(-ENOLINK, begin_refused(&fw_b, 5));
	EXPECT_EQ(1, status_has("tpm_floor none source none (no NV index at " NV));
	/* An ordinary index holding zeros, the floor root would like. */
	ASSERT_EQ(0, system(TPM2("tpm2_nvdefine " NV " -C o -s 8 -a 'ownerwrite|ownerread|authread|authwrite'")));
	ASSERT_EQ(0, system(TPM2("dd if=/dev/zero bs=8 count=1 | tpm2_nvwrite " NV " -C o -i -")));
	EXPECT_EQ(-ENOLINK, begin_refused(&fw_b, 5));
	EXPECT_EQ(-ENOLINK, retire(&fw_a, 5));
	EXPECT_EQ(1, status_has("tpm_floor none source none (NV index " NV " is not a counter"));
	EXPECT_EQ(1, fwg_dmesg_wait("TPM version floor unavailable: NV index " NV " is not a counter"));
	/* A counter never incremented has no value: not a floor either. */
	ASSERT_EQ(0, system(TPM2("tpm2_nvundefine " NV " -C o")));
	ASSERT_EQ(0, system(TPM2("tpm2_nvdefine " NV " -C o -s 8 -a 'nt=counter|authwrite|authread|ownerread|no_da'")));
	EXPECT_EQ(-ENOLINK, begin_refused(&fw_b, 5));
	EXPECT_EQ(1, status_has("tpm_floor none source none (counter " NV " was never incremented"));
}

TEST_F(tf, redefined_counter_starts_above_the_old_floor)
{
	int fd;

	/* The counter of the test before, incremented once: the TPM starts it above 3. */
	ASSERT_EQ(0, system(TPM2("tpm2_nvincrement " NV " -C " NV)));
	EXPECT_EQ(1, status_has("tpm_floor 4 source tpm counter " NV "\n"));
	fd = begin(&fw_b, 5);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
}

TEST_HARNESS_MAIN
