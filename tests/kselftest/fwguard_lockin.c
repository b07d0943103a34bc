// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a locked policy switches off until reboot, in the shared guest
 * (whose policy is locked): forced module unload, through every syscall
 * ABI and whatever module it names, and both kexec syscalls. After each
 * attempt the module is still there and still refuses writes to fw_b,
 * whose bytes read back unchanged.
 */
#define _GNU_SOURCE
#include <linux/kexec.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

#define BLK		4096
#define IA32_DELETE_MODULE	129	/* arch/x86/entry/syscalls/syscall_32.tbl */
#define IA32_KEXEC_LOAD		283

FIXTURE(lockin)
{
	struct fwg_part a, b;
	uint8_t before[BLK];
};

FIXTURE_SETUP(lockin)
{
	ASSERT_EQ(0, fwg_setup(&self->a, &self->b));
	ASSERT_EQ(0, fwg_read_direct(self->b.node, 0, self->before, BLK));
}

FIXTURE_TEARDOWN(lockin)
{
}

/* The module is loaded, refuses writes to fw_b, and fw_b is unchanged. */
static void still_protecting(struct __test_metadata *_metadata,
			     FIXTURE_DATA(lockin) *self)
{
	uint8_t after[BLK];

	EXPECT_EQ(0, access("/sys/module/fwguard", F_OK));
	EXPECT_EQ(-1, open(self->b.node, O_WRONLY | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-EPERM, fwg_write_direct(self->b.disk, self->b.start * 512, 0x5a, BLK));
	ASSERT_EQ(0, fwg_read_direct(self->b.node, 0, after, BLK));
	EXPECT_EQ(0, memcmp(self->before, after, BLK));
}

/* int $0x80 from this 64-bit process: the ia32 syscall table. */
static long int80(long nr, long a, long b, long c, long d)
{
	long ret;

	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d)
		     : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* A copy of @s below 4 GiB, where a 32-bit syscall can address it. */
static char *low_string(const char *s)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	snprintf(p, 4096, "%s", s);
	return p;
}

TEST_F(lockin, status_says_locked_in)
{
	char buf[128] = "";
	FILE *f = fopen(FWG_SYSFS "/lockin", "r");
	size_t n;

	ASSERT_NE(NULL, f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	EXPECT_EQ(0, strcmp("forced_unload refused\nkexec disabled\n", buf))
		TH_LOG("lockin: %s", buf);
}

TEST_F(lockin, forced_unload_eperm)
{
	EXPECT_EQ(-1, syscall(SYS_delete_module, "fwguard", O_TRUNC | O_NONBLOCK));
	EXPECT_EQ(EPERM, errno);
	still_protecting(_metadata, self);
}

TEST_F(lockin, forced_unload_int80_eperm)
{
	char *name = low_string("fwguard");

	ASSERT_NE(NULL, name);
	EXPECT_EQ(-EPERM, int80(IA32_DELETE_MODULE, (long)(uintptr_t)name,
				O_TRUNC | O_NONBLOCK, 0, 0));
	munmap(name, 4096);
	still_protecting(_metadata, self);
}

/* The name is not trusted (a second thread could swap it): any forced unload. */
TEST_F(lockin, forced_unload_of_any_name_eperm)
{
	EXPECT_EQ(-1, syscall(SYS_delete_module, "fwguard_no_such_module", O_TRUNC));
	EXPECT_EQ(EPERM, errno);
}

TEST_F(lockin, plain_unload_ewouldblock)
{
	EXPECT_EQ(-1, syscall(SYS_delete_module, "fwguard", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	still_protecting(_metadata, self);
}

static void expect_kexec_disabled(struct __test_metadata *_metadata)
{
	uint64_t v = 0;

	ASSERT_EQ(0, fwg_read_u64("/proc/sys/kernel/kexec_load_disabled", &v));
	EXPECT_EQ(1u, v);
	/* One-way: it cannot be switched back on. */
	EXPECT_EQ(-EINVAL, fwg_write_file("/proc/sys/kernel/kexec_load_disabled", "0"));
}

/* Arguments that fail later (EINVAL / EBADF) if the syscall gets that far. */
TEST_F(lockin, kexec_load_eperm)
{
	expect_kexec_disabled(_metadata);
	EXPECT_EQ(-1, syscall(SYS_kexec_load, 0UL, (unsigned long)KEXEC_SEGMENT_MAX + 1,
			      NULL, 0UL));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-EPERM, int80(IA32_KEXEC_LOAD, 0, KEXEC_SEGMENT_MAX + 1, 0, 0));
	still_protecting(_metadata, self);
}

TEST_F(lockin, kexec_file_load_eperm)
{
	expect_kexec_disabled(_metadata);
	EXPECT_EQ(-1, syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0UL));
	EXPECT_EQ(EPERM, errno);
	still_protecting(_metadata, self);
}

TEST_HARNESS_MAIN
