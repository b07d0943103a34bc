// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests for updatectl.conf (userspace/lib/config.c): the defaults
 * (defined once, in userspace/common/defaults.h), keys read over them, a
 * missing default file accepted but a missing named file refused, and
 * every malformed line refused with -EINVAL leaving the output untouched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "userspace/lib/config.h"

static int load_text(const char *text, struct uc_config *cfg)
{
	char path[] = "/tmp/fwguard-conf.XXXXXX";
	FILE *f;
	int fd = mkstemp(path), err;

	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	err = uc_config_read(cfg, path);
	unlink(path);
	return err;
}

TEST(defaults_and_keys)
{
	struct uc_config cfg;

	ASSERT_EQ(0, load_text("# device\n\n  device_class = pump  \npcr=9\ntcti = swtpm:port=1\n"
			       "attempts = 2\n", &cfg));
	EXPECT_STREQ("pump", cfg.device_class);
	EXPECT_EQ(9u, cfg.pcr);
	EXPECT_EQ(2u, cfg.attempts);
	EXPECT_STREQ("swtpm:port=1", cfg.tcti);
	EXPECT_STREQ(FWG_DEFAULT_STATE_DIR, cfg.state_dir);
	ASSERT_EQ(0, load_text("", &cfg));
	/* No TCTI configured: tpm/ falls back to $FWGUARD_TCTI, then the default. */
	EXPECT_STREQ("", cfg.tcti);
	EXPECT_EQ((unsigned int)FWG_DEFAULT_PCR, cfg.pcr);
	EXPECT_EQ(20, cfg.connect_timeout_s);
	EXPECT_EQ(3600, cfg.fetch_timeout_s);
}

TEST(fetch_timeout_key)
{
	struct uc_config cfg;

	ASSERT_EQ(0, load_text("fetch_timeout_s = 120\n", &cfg));
	EXPECT_EQ(120, cfg.fetch_timeout_s);
}

TEST(tpm_timeout_key)
{
	struct uc_config cfg;

	ASSERT_EQ(0, load_text("", &cfg));
	EXPECT_EQ((unsigned int)FWG_DEFAULT_TPM_TIMEOUT_S, cfg.tpm_timeout_s);
	EXPECT_EQ(30u, cfg.tpm_timeout_s);	/* as updatectl(8) documents */
	ASSERT_EQ(0, load_text("tpm_timeout_s = 2\n", &cfg));
	EXPECT_EQ(2u, cfg.tpm_timeout_s);
	EXPECT_EQ(-EINVAL, load_text("tpm_timeout_s = 2s\n", &cfg));
}

TEST(missing_named_file_refused)
{
	struct uc_config cfg;

	EXPECT_EQ(-ENOENT, uc_config_read(&cfg, "/nonexistent/updatectl.conf"));
}

TEST(malformed_lines_refused)
{
	static const char *const bad[] = {
		"device_class\n",			/* no '=' */
		"colour = blue\n",			/* unknown key */
		"pcr = -1\n",
		"pcr = 8x\n",
		"pcr =\n",
		"attempts = 99999999999\n",		/* out of range */
		"device_class = a01234567890123456789012345678901234567890123456789012345678901234\n",
	};
	struct uc_config cfg;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&cfg, 0x5a, sizeof(cfg));
		EXPECT_EQ(-EINVAL, load_text(bad[i], &cfg)) {
			TH_LOG("accepted: %s", bad[i]);
		}
		EXPECT_EQ(0x5a5a5a5au, cfg.pcr);
	}
}

TEST(overlong_line_refused)
{
	char text[4000];
	struct uc_config cfg;

	memset(text, 'x', sizeof(text) - 2);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	EXPECT_EQ(-EINVAL, load_text(text, &cfg));
}

TEST_HARNESS_MAIN
