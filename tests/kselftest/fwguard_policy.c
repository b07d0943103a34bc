// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard policy lifetime, in the guest: the policy only gets stricter once
 * loaded, the module cannot be unloaded while it is locked, the sealed
 * keyring takes no more keys, and the uapi refuses malformed requests with
 * the documented errno.
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

FIXTURE(policy)
{
	struct fwg_part a, b, data;
	int ctl;
};

FIXTURE_SETUP(policy)
{
	ASSERT_EQ(0, fwg_setup(&self->a, &self->b));
	ASSERT_EQ(0, fwg_find_part("data", &self->data));
	self->ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ctl);
}

FIXTURE_TEARDOWN(policy)
{
	close(self->ctl);
}

TEST_F(policy, rmmod_while_locked_refused)
{
	char buf[8] = "";
	FILE *f;

	/* The kernel's errno for a module with references is EWOULDBLOCK. */
	EXPECT_EQ(-1, syscall(SYS_delete_module, "fwguard", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_EQ(0, access("/dev/fwguard", F_OK));
	f = fopen(FWG_SYSFS "/locked", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	EXPECT_STREQ("1\n", buf);
}

TEST_F(policy, key_added_after_seal_eperm)
{
	EXPECT_TRUE(fwg_keyring_sealed());
	EXPECT_EQ(-EPERM, fwg_add_cert("other-signer"));
	/* The seal itself cannot be replaced by a looser restriction. */
	EXPECT_EQ(-1, keyctl_restrict_keyring(fwg_keyring(), "asymmetric", "builtin_trusted"));
	EXPECT_EQ(EEXIST, errno);
}

TEST_F(policy, protect_is_idempotent_and_only_stricter)
{
	struct fwguard_protect req = {
		.size = sizeof(req), .dev_major = self->b.major, .dev_minor = self->b.minor,
		.component = FWG_COMPONENT,
	};

	EXPECT_EQ(0, ioctl(self->ctl, FWGUARD_IOC_PROTECT, &req));
	/* Clearing the active mark of fw_a would loosen the policy. */
	req.dev_major = self->a.major;
	req.dev_minor = self->a.minor;
	EXPECT_EQ(-1, ioctl(self->ctl, FWGUARD_IOC_PROTECT, &req));
	EXPECT_EQ(EPERM, errno);
	req.flags = FWGUARD_PROTECT_ACTIVE;
	EXPECT_EQ(0, ioctl(self->ctl, FWGUARD_IOC_PROTECT, &req));
	/* Another component on a protected range. */
	req.flags = 0;
	req.dev_major = self->b.major;
	req.dev_minor = self->b.minor;
	snprintf(req.component, sizeof(req.component), "bootloader");
	EXPECT_EQ(-1, ioctl(self->ctl, FWGUARD_IOC_PROTECT, &req));
	EXPECT_EQ(EEXIST, errno);
}

TEST_F(policy, protect_argument_checks)
{
	struct fwguard_protect req = {
		.size = sizeof(req), .dev_major = self->b.major, .dev_minor = self->b.minor,
		.component = FWG_COMPONENT,
	};
	struct stat st;

	req.flags = 0x80;
	EXPECT_EQ(-1, ioctl(self->ctl, FWGUARD_IOC_PROTECT, &req));
	EXPECT_EQ(EINVAL, errno);
	req.flags = 0;
	snprintf(req.component, sizeof(req.component), "bad name");
	EXPECT_EQ(-1, ioctl(self->ctl, FWGUARD_IOC_PROTECT, &req));
	EXPECT_EQ(EINVAL, errno);
	memset(req.component, 0, sizeof(req.component));
	EXPECT_EQ(-1, ioctl(self->ctl, FWGUARD_IOC_PROTECT, &req));
	EXPECT_EQ(EINVAL, errno);
	snprintf(req.component, sizeof(req.component), FWG_COMPONENT);
	req.component[sizeof(req.component) - 1] = 'x';	/* garbage after the NUL */
	EXPECT_EQ(-1, ioctl(self->ctl, FWGUARD_IOC_PROTECT, &req));
	EXPECT_EQ(EINVAL, errno);
	req.component[sizeof(req.component) - 1] = 0;
	/* The whole disk is not a partition. */
	ASSERT_EQ(0, stat(self->b.disk, &st));
	req.dev_major = major(st.st_rdev);
	req.dev_minor = minor(st.st_rdev);
	EXPECT_EQ(-1, ioctl(self->ctl, FWGUARD_IOC_PROTECT, &req));
	EXPECT_EQ(EINVAL, errno);
	req.dev_minor = 250;
	EXPECT_EQ(-1, ioctl(self->ctl, FWGUARD_IOC_PROTECT, &req));
	EXPECT_EQ(ENXIO, errno);
	req.size = 4;
	EXPECT_EQ(-1, ioctl(self->ctl, FWGUARD_IOC_PROTECT, &req));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(policy, identity_set_once)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .device_class = FWG_CLASS };

	pol.floor = fwg_current_floor();
	EXPECT_EQ(0, ioctl(self->ctl, FWGUARD_IOC_POLICY, &pol));
	snprintf(pol.device_class, sizeof(pol.device_class), "another-class");
	EXPECT_EQ(-1, ioctl(self->ctl, FWGUARD_IOC_POLICY, &pol));
	EXPECT_EQ(EPERM, errno);
	memset(pol.device_class, 0, sizeof(pol.device_class));	/* empty: unchanged */
	pol.flags = 1U << 1;	/* unknown (bit 0 is FWGUARD_POLICY_LOCK) */
	EXPECT_EQ(-1, ioctl(self->ctl, FWGUARD_IOC_POLICY, &pol));
	EXPECT_EQ(EINVAL, errno);
	pol.flags = 0;
	EXPECT_EQ(0, ioctl(self->ctl, FWGUARD_IOC_POLICY, &pol));
}

/* The value of one "KEY VALUE" line of the policy status ("" if empty). */
static int policy_field(const char *key, char *val, size_t len)
{
	char line[256];
	size_t klen = strlen(key);
	int found = -ENOENT;
	FILE *f = fopen(FWG_SYSFS "/policy", "r");

	if (!f)
		return -errno;
	while (found && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			line[strcspn(line, "\n")] = 0;
			snprintf(val, len, "%s", line + klen + 1);
			found = 0;
		}
	fclose(f);
	return found;
}

/*
 * The identity is one pair: the device class was named (fwg_setup) with no
 * serial, so this device has none, and naming one later is refused as a
 * differing value is; a ticket bound to another device's serial stays
 * refused.
 */
TEST_F(policy, serial_fixed_with_the_device_class)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .device_class = FWG_CLASS };
	uint8_t image[4096] = { 7 };
	struct fwguard_ticket t;
	char sn[256] = "?";

	ASSERT_EQ(0, policy_field("serial", sn, sizeof(sn)));
	ASSERT_STREQ("", sn) TH_LOG("the shared guest names no serial");
	pol.floor = fwg_current_floor();
	snprintf(pol.serial, sizeof(pol.serial), "OTHER-0002");
	EXPECT_EQ(-1, ioctl(self->ctl, FWGUARD_IOC_POLICY, &pol));
	EXPECT_EQ(EPERM, errno);
	/* Without the device class, the serial alone. */
	memset(pol.device_class, 0, sizeof(pol.device_class));
	EXPECT_EQ(-1, ioctl(self->ctl, FWGUARD_IOC_POLICY, &pol));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, policy_field("serial", sn, sizeof(sn)));
	EXPECT_STREQ("", sn);
	fwg_ticket_init(&t, image, sizeof(image), fwg_current_floor() + 1);
	snprintf(t.serial, sizeof(t.serial), "OTHER-0002");
	EXPECT_EQ(-EACCES, fwg_begin(&self->b, &t, "signer"));
	/* Naming neither changes nothing and is no error. */
	memset(pol.serial, 0, sizeof(pol.serial));
	EXPECT_EQ(0, ioctl(self->ctl, FWGUARD_IOC_POLICY, &pol));
}

TEST_F(policy, status_lists_ranges_and_sessions)
{
	char text[4096] = "", want[128];
	uint8_t image[4096] = { 1 };
	struct fwguard_ticket t;
	size_t n;
	FILE *f;
	int fd;

	fwg_ticket_init(&t, image, sizeof(image), 2);
	fd = fwg_begin(&self->b, &t, "signer");
	ASSERT_LE(0, fd);
	f = fopen(FWG_SYSFS "/policy", "r");
	ASSERT_NE(NULL, f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = 0;
	fclose(f);
	close(fd);
	snprintf(want, sizeof(want), "range %s disk vda start %" PRIu64 " sectors %" PRIu64
		 " component " FWG_COMPONENT " active\n", self->a.name, self->a.start,
		 self->a.sectors);
	EXPECT_NE(NULL, strstr(text, want)) TH_LOG("status:\n%s", text);
	snprintf(want, sizeof(want), "range %s disk vda start %" PRIu64 " sectors %" PRIu64
		 " component " FWG_COMPONENT " session\n", self->b.name, self->b.start,
		 self->b.sectors);
	EXPECT_NE(NULL, strstr(text, want)) TH_LOG("status:\n%s", text);
	EXPECT_NE(NULL, strstr(text, "locked 1\n"));
}

TEST_F(policy, control_device_needs_cap_sys_admin_for_policy)
{
	struct fwguard_policy pol = { .size = sizeof(pol) };
	int status;
	pid_t pid;

	pol.floor = fwg_current_floor();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setresuid(65534, 65534, 65534))
			_exit(100);
		_exit(ioctl(self->ctl, FWGUARD_IOC_POLICY, &pol) ? errno : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(EPERM, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
