// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard module loading, in a guest where fwguard is not loaded yet (it
 * cannot be unloaded once a policy is locked): bad parameters fail the
 * load (an ambiguous GPT name with ENOTUNIQ, a slot named twice with
 * EEXIST, a parameter given twice with different values with EINVAL), trusted mode refuses unvouched keys, protect= is in force as soon
 * as the load returns, and tickets are refused until a provision-mode
 * keyring is sealed. The load that locks the policy runs in a mount
 * namespace with another procfs file mounted over the kexec sysctl: kexec
 * is refused all the same, and the file mounted there is not written.
 * That load also runs with its own /dev, in which /dev/vda is a loop
 * device carrying fw_a and fw_b too: protect=...:vda:... still protects
 * the kernel's vda (a disk is found by its kernel name, never by a path).
 * A kexec image (the running kernel) loaded before the lock is not booted
 * after it: reboot(LINUX_REBOOT_CMD_KEXEC) fails with EPERM, 64-bit and
 * int $0x80, and the guest goes on running.
 * Runs in a boot of its own (tests/host/fwguard_load.sh); skips when the
 * module is already loaded.
 */
#define _GNU_SOURCE
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <sched.h>
#include <sys/mount.h>

#include "kselftest_harness.h"
#include "fwguard_util.h"

/*
 * Each successful load attaches a dozen ftrace hooks (text patching under
 * stop_machine), which takes tens of seconds on a busy TCG host.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	300

#define IA32_KEXEC_LOAD		283	/* arch/x86/entry/syscalls/syscall_32.tbl */
#define IA32_REBOOT		88
#define SYSRQ			"/proc/sys/kernel/sysrq"
#define KEXEC_SYSCTL		"/proc/sys/kernel/kexec_load_disabled"

static int load(const char *params)
{
	return fwg_module_load(params);
}

static int unload(void)
{
	return syscall(SYS_delete_module, "fwguard", O_NONBLOCK) ? -errno : 0;
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

/* This process's own mount namespace, private: nothing here reaches init's. */
static int private_mounts(void)
{
	return unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ?
	       -errno : 0;
}

/* /proc/sys read-only, as systemd's ProtectKernelTunables=yes makes it. */
static int proc_sys_read_only(void)
{
	return mount("/proc/sys", "/proc/sys", NULL, MS_BIND, NULL) ||
	       mount(NULL, "/proc/sys", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) ?
	       -errno : 0;
}

/* A policy request that changes nothing; the module takes it as a new try. */
static int policy_call(void)
{
	struct fwguard_policy pol = { .size = sizeof(pol), .floor = fwg_current_floor() };
	int ctl = open(FWGUARD_DEVICE, O_RDWR | O_CLOEXEC), err;

	if (ctl < 0)
		return -errno;
	err = ioctl(ctl, FWGUARD_IOC_POLICY, &pol) ? -errno : 0;
	close(ctl);
	return err;
}

static void expect_lockin(struct __test_metadata *_metadata, const char *want)
{
	char buf[128] = "";
	FILE *f = fopen(FWG_SYSFS "/lockin", "r");
	size_t n;

	ASSERT_NE(NULL, f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	EXPECT_STREQ(want, buf);
}

/*
 * kexec_file_load() the running kernel's image (the guest reads the build
 * directory through its 9p root), without an initramfs: booted, it would
 * run without fwguard.
 */
static int kexec_load_running_kernel(void)
{
	static const char cmdline[] = "console=ttyS0 panic=-1";
	struct utsname uts;
	char path[512];
	int fd, err;

	if (uname(&uts))
		return -errno;
	snprintf(path, sizeof(path), "%s/kernel/%s/boot/vmlinuz-%s", FWGUARD_BUILD,
		 uts.release, uts.release);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = syscall(SYS_kexec_file_load, fd, -1, sizeof(cmdline), cmdline,
		      (unsigned long)KEXEC_FILE_NO_INITRAMFS) ? -errno : 0;
	close(fd);
	return err;
}

/*
 * A loop device (its node in @loop) over an 8 MiB image @img whose GPT
 * sgdisk makes from @parts: 0, -EIO or -ENODEV.
 */
static int gpt_loop(const char *img, const char *parts, char *loop, size_t len)
{
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "rm -f %s && truncate -s 8M %s && sgdisk -o %s %s >/dev/null",
		 img, img, parts, img);
	if (system(cmd))
		return -EIO;
	snprintf(cmd, sizeof(cmd), "modprobe loop 2>/dev/null; losetup -P -f --show %s", img);
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	if (!fgets(loop, (int)len, p))
		loop[0] = 0;
	pclose(p);
	loop[strcspn(loop, "\n")] = 0;
	usleep(200000);
	return strncmp(loop, "/dev/", 5) ? -ENODEV : 0;
}

/* A loop device whose GPT names fw_a and fw_b, as vda's does. */
static int decoy_loop(char *loop, size_t len, dev_t *dev)
{
	struct stat st;
	int err;

	err = gpt_loop("/tmp/fwg-decoy.img", "-n 1:2048:+1M -c 1:fw_a -n 2:0:+1M -c 2:fw_b",
		       loop, len);
	if (err)
		return err;
	if (stat(loop, &st))
		return -ENODEV;
	*dev = st.st_rdev;
	return 0;
}

/*
 * Load fwguard with @params in a child with its own mount namespace, a
 * read-only /proc/sys and a /dev of its own whose vda is block device
 * @vda: 0 or -errno of the load.
 */
static int load_in_own_dev(const char *params, dev_t vda)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		if (private_mounts() || proc_sys_read_only() ||
		    mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755") ||
		    mknod("/dev/vda", S_IFBLK | 0600, vda))
			_exit(200);
		_exit(-load(params));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) == 200)
		return -ECHILD;
	return -WEXITSTATUS(status);
}

/* A loop device whose GPT names two entries "dup" (and one "uniq"). */
static int dup_label_loop(char *loop, size_t len)
{
	return gpt_loop("/tmp/fwg-dup.img",
			"-n 1:2048:+1M -c 1:dup -n 2:0:+1M -c 2:dup -n 3:0:+1M -c 3:uniq", loop, len);
}

/*
 * A parameter given twice (modprobe.d, then the kernel command line) must
 * keep its value: a different one fails the load, the same value in
 * another spelling does not (values compare as they read back).
 */
TEST(repeated_parameters)
{
	if (!access("/sys/module/fwguard", F_OK))
		SKIP(return, "fwguard already loaded; run by tests/host/fwguard_load.sh");
	EXPECT_EQ(-EINVAL, load("floor=7 floor=0"));
	EXPECT_EQ(-EINVAL, load("keyring_mode=trusted keyring_mode=provision"));
	EXPECT_EQ(-EINVAL, load("production production=0"));
	EXPECT_EQ(-EINVAL, load("protect=" FWG_COMPONENT ":vda:fw_b protect=" FWG_COMPONENT ":vda:fw_a"));
	EXPECT_EQ(-1, access("/sys/module/fwguard", F_OK));
	ASSERT_EQ(0, load("production=1 production=y floor=3 floor=0x3 serial=SN-1 serial=SN-1"));
	EXPECT_EQ(0, unload());
}

TEST(load_sequence)
{
	char loop[32], params[160];
	struct fwguard_ticket t;
	struct fwg_part a, b;
	uint8_t image[4096];
	uint64_t v = 0;
	dev_t decoy = 0;
	int fd, err;

	if (!access("/sys/module/fwguard", F_OK))
		SKIP(return, "fwguard already loaded; run by tests/host/fwguard_load.sh");
	ASSERT_EQ(0, fwg_find_part("fw_a", &a));
	ASSERT_EQ(0, fwg_find_part("fw_b", &b));

	/* Unknown keyring mode, unknown partition: nothing is left behind. */
	EXPECT_EQ(-EINVAL, load("keyring_mode=lenient"));
	EXPECT_EQ(-ENOENT, load("protect=firmware:vda:no_such_slot"));
	EXPECT_EQ(-1, access("/sys/module/fwguard", F_OK));

	/* A name two GPT entries carry says no partition; one slot named twice. */
	ASSERT_EQ(0, dup_label_loop(loop, sizeof(loop)));
	snprintf(params, sizeof(params), "protect=firmware:%s:dup", loop + 5);
	EXPECT_EQ(-ENOTUNIQ, load(params));
	snprintf(params, sizeof(params), "protect=firmware:%s:uniq,firmware:%s:dup",
		 loop + 5, loop + 5);
	EXPECT_EQ(-ENOTUNIQ, load(params));
	EXPECT_EQ(-EEXIST, load("protect=" FWG_COMPONENT ":vda:fw_b," FWG_COMPONENT ":vda:fw_b"));
	EXPECT_EQ(-1, access("/sys/module/fwguard", F_OK));
	/* Nothing stays held: the loop device can go. */
	snprintf(params, sizeof(params), "losetup -d %s", loop);
	EXPECT_EQ(0, system(params));

	/* Trusted mode: a certificate no builtin key vouches for is refused. */
	ASSERT_EQ(0, load("keyring_mode=trusted"));
	err = fwg_add_cert("signer");
	EXPECT_EQ(-ENOKEY, err) TH_LOG("add_key: %s", strerror(-err));
	EXPECT_TRUE(fwg_keyring_sealed());
	/* Without a policy the module is not pinned. */
	EXPECT_EQ(0, unload());

	/*
	 * protect= is in force when the load returns, and so is the lock-in,
	 * whatever the loader's /proc/sys/kernel/kexec_load_disabled is: here
	 * read-only, so the sysctl stays 0 and only the module refuses kexec.
	 */
	ASSERT_EQ(0, kexec_load_running_kernel());
	ASSERT_EQ(0, fwg_read_u64("/sys/kernel/kexec_loaded", &v));
	ASSERT_EQ(1u, v);
	ASSERT_EQ(0, fwg_write_file(SYSRQ, "176"));
	ASSERT_EQ(0, private_mounts());
	ASSERT_EQ(0, decoy_loop(loop, sizeof(loop), &decoy));
	ASSERT_EQ(0, load_in_own_dev("keyring_mode=provision device_class=" FWG_CLASS
				     " protect=" FWG_COMPONENT ":vda:fw_a:active,"
				     FWG_COMPONENT ":vda:fw_b", decoy));
	expect_lockin(_metadata, "forced_unload refused\nkexec disabled\n");
	/* The loop device's slots are not what got protected. */
	snprintf(params, sizeof(params), "%sp2", loop);
	fd = open(params, O_WRONLY | O_CLOEXEC);
	EXPECT_LE(0, fd) TH_LOG("%s: %s", params, strerror(errno));
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, fwg_read_u64(KEXEC_SYSCTL, &v));
	EXPECT_EQ(0u, v);
	/* Arguments that fail later (EINVAL / EBADF) if the syscall gets that far. */
	EXPECT_EQ(-1, syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0UL));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, syscall(SYS_kexec_load, 0UL, (unsigned long)KEXEC_SEGMENT_MAX + 1,
			      NULL, 0UL));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-EPERM, int80(IA32_KEXEC_LOAD, 0, KEXEC_SEGMENT_MAX + 1, 0, 0));
	/*
	 * The image loaded before the lock is still in memory (nothing can
	 * unload it now: kexec_load is refused), and is not booted.
	 */
	ASSERT_EQ(0, fwg_read_u64("/sys/kernel/kexec_loaded", &v));
	EXPECT_EQ(1u, v);
	sync();
	EXPECT_EQ(-1, syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
			      LINUX_REBOOT_CMD_KEXEC, NULL));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-EPERM, int80(IA32_REBOOT, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
				LINUX_REBOOT_CMD_KEXEC, 0));
	/*
	 * The next policy call tries the sysctl again, from a namespace with
	 * kernel.sysrq mounted over it (as BindReadOnlyPaths= could): sysrq
	 * is not written. Without the mount the real sysctl is set.
	 */
	ASSERT_EQ(0, mount(SYSRQ, KEXEC_SYSCTL, NULL, MS_BIND, NULL));
	EXPECT_EQ(0, policy_call());
	EXPECT_EQ(0, umount(KEXEC_SYSCTL));
	EXPECT_EQ(0, fwg_read_u64(SYSRQ, &v));
	EXPECT_EQ(176u, v);
	EXPECT_EQ(0, policy_call());
	EXPECT_EQ(0, fwg_read_u64(KEXEC_SYSCTL, &v));
	EXPECT_EQ(1u, v);
	EXPECT_EQ(-1, open(b.node, O_WRONLY | O_CLOEXEC));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-EWOULDBLOCK, unload());

	/* No ticket is accepted while the provision-mode keyring is open. */
	memset(image, 0x5c, sizeof(image));
	fwg_ticket_init(&t, image, sizeof(image), 1);
	ASSERT_EQ(0, fwg_add_cert("signer"));
	EXPECT_FALSE(fwg_keyring_sealed());
	EXPECT_EQ(-ENOKEY, fwg_begin(&b, &t, "signer"));
	ASSERT_EQ(0, keyctl_restrict_keyring(fwg_keyring(), NULL, NULL));
	/* production=1 (the default): none either while the TPM has no floor counter. */
	EXPECT_EQ(-ENOLINK, fwg_begin(&b, &t, "signer"));
	ASSERT_EQ(0, fwg_tpm_floor_ensure(1));
	fd = fwg_begin(&b, &t, "signer");
	EXPECT_LE(0, fd);
	close(fd);
}

TEST_HARNESS_MAIN
