// SPDX-License-Identifier: GPL-2.0-only
/*
 * Smoke test run inside the guest: the freshly built fwguard.ko loads
 * through libkmod (as updatectl loads it), creates /dev/fwguard, and
 * unloads again while no policy is locked.
 */
#include <errno.h>
#include <libkmod.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"

/* The module built for the running kernel, or $FWGUARD_KO. */
static void module_path(char *buf, size_t len)
{
	const char *env = getenv("FWGUARD_KO");
	struct utsname uts;

	if (env) {
		snprintf(buf, len, "%s", env);
		return;
	}
	uname(&uts);
	snprintf(buf, len, "%s/kmod/%s/fwguard.ko", FWGUARD_BUILD, uts.release);
}

FIXTURE(kmod)
{
	struct kmod_ctx *ctx;
	struct kmod_module *mod;
};

FIXTURE_SETUP(kmod)
{
	char path[PATH_MAX];

	module_path(path, sizeof(path));
	ASSERT_EQ(0, access(path, R_OK)) TH_LOG("no module at %s", path);
	self->ctx = kmod_new(NULL, NULL);
	ASSERT_NE(NULL, self->ctx);
	ASSERT_EQ(0, kmod_module_new_from_path(self->ctx, path, &self->mod));
}

FIXTURE_TEARDOWN(kmod)
{
	kmod_module_unref(self->mod);
	kmod_unref(self->ctx);
}

TEST_F(kmod, load_creates_device_and_unloads)
{
	struct stat st;
	int err;

	err = kmod_module_insert_module(self->mod, 0, "");
	ASSERT_EQ(0, err) TH_LOG("insert failed: %s", strerror(-err));
	ASSERT_EQ(KMOD_MODULE_LIVE, kmod_module_get_initstate(self->mod));

	ASSERT_EQ(0, stat("/dev/fwguard", &st)) TH_LOG("/dev/fwguard missing");
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600u, st.st_mode & 0777u);

	err = kmod_module_remove_module(self->mod, 0);
	ASSERT_EQ(0, err) TH_LOG("remove failed: %s", strerror(-err));
	EXPECT_EQ(-1, stat("/dev/fwguard", &st));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(kmod, second_insert_is_eexist)
{
	ASSERT_EQ(0, kmod_module_insert_module(self->mod, 0, ""));
	EXPECT_EQ(-EEXIST, kmod_module_insert_module(self->mod, 0, ""));
	ASSERT_EQ(0, kmod_module_remove_module(self->mod, 0));
}

TEST_HARNESS_MAIN
