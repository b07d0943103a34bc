// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host tests for /etc/fwguard/policy.conf (userspace/lib/policy_conf.c):
 * a good file parses, and every malformed line is refused with -EINVAL
 * and leaves the output untouched; partition specs resolve against a
 * fake /sys/class/block, refusing a spec that matches no partition or
 * several.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "userspace/lib/policy_conf.h"

FIXTURE(conf) {
	char dir[64];
	char path[128];
};

FIXTURE_SETUP(conf)
{
	strcpy(self->dir, "/tmp/fwguard-pc.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/policy.conf", self->dir);
}

FIXTURE_TEARDOWN(conf)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

static int load_text(const char *path, const char *text, struct policy_conf *pc)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	fclose(f);
	return policy_conf_load(path, pc);
}

TEST_F(conf, good_file_parses)
{
	struct policy_conf pc;

	ASSERT_EQ(0, load_text(self->path, "# A/B firmware\n\n"
			       "component bootfw fw_a=PARTLABEL=fw_a fw_b=PARTUUID=6f77-0b\n"
			       "  component radio r0=PARTLABEL=r0 r1=PARTLABEL=r1\n", &pc));
	ASSERT_EQ(2u, pc.count);
	EXPECT_STREQ("bootfw", pc.component[0].name);
	EXPECT_STREQ("fw_b", pc.component[0].slot[1].name);
	EXPECT_STREQ("PARTUUID=6f77-0b", pc.component[0].slot[1].spec);
	EXPECT_EQ(1, pc_slot_index(&pc.component[1], "r1"));
	EXPECT_EQ(-ENOENT, pc_slot_index(&pc.component[1], "r2"));
	EXPECT_EQ(NULL, policy_conf_find(&pc, "other"));
}

TEST_F(conf, missing_file_is_enoent)
{
	struct policy_conf pc;

	EXPECT_EQ(-ENOENT, policy_conf_load("/nonexistent/policy.conf", &pc));
}

/* Each line alone is refused; the output is not written. */
TEST_F(conf, malformed_lines_refused)
{
	static const char *const bad[] = {
		"",						/* no component at all */
		"components bootfw a=PARTLABEL=a b=PARTLABEL=b\n",	/* unknown keyword */
		"component bootfw a=PARTLABEL=a\n",		/* one slot */
		"component bootfw a=PARTLABEL=a b=PARTLABEL=b c=PARTLABEL=c\n",
		"component boot/fw a=PARTLABEL=a b=PARTLABEL=b\n",	/* name charset */
		"component bootfw a=PARTLABEL=a a=PARTLABEL=b\n",	/* same slot twice */
		"component bootfw a=PARTLABEL=x b=PARTLABEL=x\n",	/* same partition twice */
		"component bootfw a=LABEL=a b=PARTLABEL=b\n",	/* not PARTLABEL/PARTUUID */
		"component bootfw a=PARTLABEL= b=PARTLABEL=b\n",	/* empty label */
		"component bootfw a=PARTLABEL=../a b=PARTLABEL=b\n",	/* '/' in a label */
		"component bootfw a b=PARTLABEL=b\n",		/* no '=' */
		"component bootfw a=PARTLABEL=a b=PARTLABEL=b\n"
		"component bootfw c=PARTLABEL=c d=PARTLABEL=d\n",	/* duplicate component */
		"component a012345678901234567890123456789xx a=PARTLABEL=a b=PARTLABEL=b\n",
	};
	struct policy_conf pc;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&pc, 0x5a, sizeof(pc));
		EXPECT_EQ(-EINVAL, load_text(self->path, bad[i], &pc)) {
			TH_LOG("accepted: %s", bad[i]);
		}
		EXPECT_EQ(0x5a5a5a5au, pc.count);
	}
}

TEST_F(conf, more_than_max_components_refused)
{
	char text[4096] = "";
	struct policy_conf pc;
	int i;

	for (i = 0; i <= PC_MAX_COMPONENTS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "component c%d a=PARTLABEL=a%d b=PARTLABEL=b%d\n", i, i, i);
	EXPECT_EQ(-EINVAL, load_text(self->path, text, &pc));
}

TEST_F(conf, bootloader_line_parses)
{
	struct policy_conf pc;

	ASSERT_EQ(0, load_text(self->path, "component bootfw fw_a=PARTLABEL=fw_a fw_b=PARTLABEL=fw_b\n"
			       "bootloader core=PARTLABEL=bios_boot esp=PARTUUID=6f77-e5\n", &pc));
	EXPECT_EQ(1u, pc.count);
	ASSERT_EQ(2u, pc.loader_parts);
	EXPECT_STREQ("bootloader", pc.bootloader.name);
	EXPECT_STREQ("core", pc.bootloader.slot[0].name);
	EXPECT_STREQ("PARTLABEL=bios_boot", pc.bootloader.slot[0].spec);
	EXPECT_STREQ("PARTUUID=6f77-e5", pc.bootloader.slot[1].spec);
	EXPECT_EQ(NULL, policy_conf_find(&pc, "bootloader"));
	ASSERT_EQ(0, load_text(self->path, "component bootfw fw_a=PARTLABEL=fw_a fw_b=PARTLABEL=fw_b\n",
			       &pc));
	EXPECT_EQ(0u, pc.loader_parts);
}

TEST_F(conf, bootloader_malformed_refused)
{
	static const char *const bad[] = {
		"bootloader\n",
		"bootloader core\n",
		"bootloader core=LABEL=bios_boot\n",
		"bootloader a=PARTLABEL=x b=PARTLABEL=y c=PARTLABEL=z\n",
		"bootloader a=PARTLABEL=x a=PARTLABEL=y\n",
		"bootloader a=PARTLABEL=x b=PARTLABEL=x\n",
		"bootloader a=PARTLABEL=x\nbootloader b=PARTLABEL=y\n",
		"component bootloader a=PARTLABEL=a b=PARTLABEL=b\n",
	};
	char text[512];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct policy_conf pc;

		snprintf(text, sizeof(text), "component bootfw fw_a=PARTLABEL=fw_a fw_b=PARTLABEL=fw_b\n%s",
			 bad[i]);
		EXPECT_EQ(-EINVAL, load_text(self->path, text, &pc)) {
			TH_LOG("accepted: %s", bad[i]);
		}
	}
}

/* A fake /sys/class/block entry: uevent and size. */
static void fake_partition(const char *sysfs, const char *dev, const char *label, int minor)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", sysfs, dev);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/uevent", sysfs, dev);
	f = fopen(path, "w");
	fprintf(f, "MAJOR=254\nMINOR=%d\nDEVNAME=%s\nDEVTYPE=partition\nPARTN=%d\nPARTNAME=%s\n",
		minor, dev, minor, label);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s/size", sysfs, dev);
	f = fopen(path, "w");
	fprintf(f, "%d\n", 2048 * minor);
	fclose(f);
}

TEST_F(conf, partitions_resolve_by_label)
{
	struct pc_partition part;
	char sysfs[128];

	snprintf(sysfs, sizeof(sysfs), "%s/block", self->dir);
	ASSERT_EQ(0, mkdir(sysfs, 0755));
	fake_partition(sysfs, "vda1", "fw_a", 1);
	fake_partition(sysfs, "vda2", "fw_b", 2);
	fake_partition(sysfs, "vdb2", "fw_b", 3);
	ASSERT_EQ(0, pc_resolve(sysfs, "PARTLABEL=fw_a", &part));
	EXPECT_STREQ("/dev/vda1", part.devnode);
	EXPECT_EQ(makedev(254, 1), part.devt);
	EXPECT_EQ((uint64_t)2048 * 512, part.size_bytes);
	/* Two disks carry fw_b: which one is protected must not be guessed. */
	EXPECT_EQ(-ENOTUNIQ, pc_resolve(sysfs, "PARTLABEL=fw_b", &part));
	EXPECT_EQ(-ENOENT, pc_resolve(sysfs, "PARTLABEL=fw_c", &part));
}

TEST_HARNESS_MAIN
