// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard lock-in: what a locked policy switches off for the rest of the
 * boot, because each would end protection without a reboot.
 *
 *  - Forced module unload. Debian builds with CONFIG_MODULE_FORCE_UNLOAD,
 *    and delete_module(O_TRUNC) ignores the reference that pins the module.
 *    Of the checks in delete_module() only "other modules use it" and "not
 *    live" cannot be forced, and neither is ours to set. No traceable
 *    function below the syscall entries sees the flags before the module's
 *    exit runs (__do_sys_delete_module() is an inline, hence notrace, and
 *    try_stop_module() is inlined on both kernels), so the entries are hooked:
 *    __x64_sys_delete_module (64-bit and x32) and __ia32_sys_delete_module
 *    (int $0x80). The decision reads the flags from the saved user registers,
 *    which cannot change under it; the module name is a user pointer that a
 *    second thread could rewrite between a check and the kernel's own copy,
 *    so every forced unload is refused while the policy is locked, whatever
 *    module it names. Ordinary unloads are untouched (fwguard itself stays
 *    pinned by its reference).
 *  - kexec. The syscall entries that load a kexec image are hooked the
 *    same way and refuse every call while the policy is locked:
 *    __x64_sys_kexec_load, __x64_sys_kexec_file_load (64-bit and x32),
 *    __ia32_compat_sys_kexec_load (int $0x80) and __x64_compat_sys_kexec_load
 *    (the x32 kexec_load). Nothing about the caller's file system decides
 *    it. The one-way sysctl kernel.kexec_load_disabled is set as well where
 *    it can be (through procfs, the variable is not exported), but only
 *    after checking that the file opened is that sysctl and reading the
 *    value back; the lock-in never depends on it, and the status reports
 *    the hook.
 *  - Booting a kexec image loaded before the lock. Refusing the loads does
 *    not reach an image already in memory: reboot(LINUX_REBOOT_CMD_KEXEC)
 *    would boot it, and a crash kernel would run on panic, each a kernel
 *    without fwguard. Nothing exported unloads an image (kimage_free() and
 *    kexec_image are private), and refusing to lock while one is loaded
 *    would leave the disk unprotected, so the image is kept from running
 *    instead: kernel_kexec(), the one function that boots a loaded image
 *    (the reboot syscall's only way there, every ABI), answers EPERM before
 *    it shuts anything down, and __crash_kexec(), through which panic and
 *    oops reach the crash kernel, returns without booting it (the panic
 *    then goes on as without a crash kernel). Both are traceable globals on
 *    6.1 and 6.12.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/kexec.h>
#include <linux/version.h>
#include <linux/ftrace.h>
#include <linux/magic.h>
#include <linux/mutex.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <asm/syscall.h>

#include "fwguard.h"

#define FWGUARD_KEXEC_SYSCTL	"/proc/sys/kernel/kexec_load_disabled"

static bool fwguard_locked_in;		/* one-way; read by the hooks */
static bool fwguard_kexec_sysctl_set;	/* under fwguard_lockin_lock */
static DEFINE_MUTEX(fwguard_lockin_lock);

/* One log line and one audit record per refusal. */
static void fwguard_report_refusal(const char *what, const char *reason)
{
	struct audit_buffer *ab;

	pr_warn_ratelimited("refused %s by pid %d comm %s uid %u: disabled while the fwguard policy is locked\n",
			    what, task_pid_nr(current), current->comm,
			    from_kuid(&init_user_ns, current_uid()));
	ab = audit_log_start(audit_context(), GFP_KERNEL, AUDIT_KERNEL_OTHER);
	if (ab) {
		audit_log_format(ab, "op=fwguard_refuse reason=%s", reason);
		audit_log_task_info(ab);
		audit_log_end(ab);
	}
}

/* Runs instead of the delete_module syscall for a refused forced unload. */
static long fwguard_refuse_unload(const struct pt_regs *regs)
{
	fwguard_report_refusal("forced module unload (delete_module with O_TRUNC)",
			       "forced-unload");
	return -EPERM;
}

static void notrace fwguard_unload_hook(unsigned long ip, unsigned long parent_ip,
					struct ftrace_ops *ops,
					struct ftrace_regs *fregs)
{
	unsigned long args[6];

	if (!READ_ONCE(fwguard_locked_in))
		return;
	/* The user registers of this syscall, decoded for its ABI. */
	syscall_get_arguments(current, task_pt_regs(current), args);
	if (args[1] & O_TRUNC)
		fwguard_hook_redirect(fregs, fwguard_refuse_unload);
}

static struct ftrace_ops fwguard_unload_ops = {
	.func = fwguard_unload_hook,
	.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT,
};

static const char *const fwguard_unload_entries[] = {
	"__x64_sys_delete_module",
#ifdef CONFIG_IA32_EMULATION
	"__ia32_sys_delete_module",
#endif
};

/* Runs instead of a kexec load syscall while the policy is locked. */
static long fwguard_refuse_kexec(const struct pt_regs *regs)
{
	fwguard_report_refusal("kexec image load", "kexec");
	return -EPERM;
}

static void notrace fwguard_kexec_hook(unsigned long ip, unsigned long parent_ip,
				       struct ftrace_ops *ops,
				       struct ftrace_regs *fregs)
{
	if (READ_ONCE(fwguard_locked_in))
		fwguard_hook_redirect(fregs, fwguard_refuse_kexec);
}

static struct ftrace_ops fwguard_kexec_ops = {
	.func = fwguard_kexec_hook,
	.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT,
};

/* Every syscall entry that loads a kexec image (syscall_{64,32,x32}.tbl). */
static const char *const fwguard_kexec_entries[] = {
#ifdef CONFIG_KEXEC
	"__x64_sys_kexec_load",
#ifdef CONFIG_IA32_EMULATION
	"__ia32_compat_sys_kexec_load",
#endif
#ifdef CONFIG_X86_X32_ABI
	"__x64_compat_sys_kexec_load",
#endif
#endif
#ifdef CONFIG_KEXEC_FILE
	"__x64_sys_kexec_file_load",
#endif
};

/* Runs instead of kernel_kexec(), before it migrates or shuts anything down. */
static int fwguard_refuse_kexec_boot(void)
{
	fwguard_report_refusal("booting a loaded kexec image (reboot LINUX_REBOOT_CMD_KEXEC)",
			       "kexec-reboot");
	return -EPERM;
}

static void notrace fwguard_kexec_boot_hook(unsigned long ip, unsigned long parent_ip,
					    struct ftrace_ops *ops,
					    struct ftrace_regs *fregs)
{
	if (READ_ONCE(fwguard_locked_in))
		fwguard_hook_redirect(fregs, fwguard_refuse_kexec_boot);
}

static struct ftrace_ops fwguard_kexec_boot_ops = {
	.func = fwguard_kexec_boot_hook,
	.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT,
};

static const char *const fwguard_kexec_boot_entries[] = {
#ifdef CONFIG_KEXEC_CORE
	"kernel_kexec",
#endif
};

/*
 * Runs instead of __crash_kexec(), in panic or oops context (interrupts may
 * be off, other CPUs running): no sleeping, no audit record, one line.
 */
static void fwguard_skip_crash_kexec(struct pt_regs *regs)
{
	if (kexec_crash_loaded())
		pr_emerg("crash kernel not booted: disabled while the fwguard policy is locked\n");
}

static void notrace fwguard_crash_kexec_hook(unsigned long ip, unsigned long parent_ip,
					     struct ftrace_ops *ops,
					     struct ftrace_regs *fregs)
{
	if (READ_ONCE(fwguard_locked_in))
		fwguard_hook_redirect(fregs, fwguard_skip_crash_kexec);
}

static struct ftrace_ops fwguard_crash_kexec_ops = {
	.func = fwguard_crash_kexec_hook,
	.flags = FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT,
};

static const char *const fwguard_crash_kexec_entries[] = {
#if defined(CONFIG_CRASH_DUMP) || \
	(defined(CONFIG_KEXEC_CORE) && LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0))
	"__crash_kexec",
#endif
};

/* Attach @ops to every symbol of @syms (all or none); 0 or an ftrace errno. */
static int fwguard_lockin_attach(struct ftrace_ops *ops, const char *what,
				 const char *const *syms, unsigned int n)
{
	unsigned int i;
	int err = 0;

	if (!n)
		return 0;
	for (i = 0; i < n && !err; i++) {
		err = ftrace_set_filter(ops, (unsigned char *)syms[i],
					strlen(syms[i]), i == 0);
		if (err)
			pr_err("cannot trace %s: %d\n", syms[i], err);
	}
	if (!err) {
		err = register_ftrace_function(ops);
		if (err)
			pr_err("cannot hook %s: %d\n", what, err);
	}
	if (err)
		ftrace_free_filter(ops);
	return err;
}

static void fwguard_lockin_detach(struct ftrace_ops *ops, unsigned int n)
{
	if (!n)
		return;
	unregister_ftrace_function(ops);
	ftrace_free_filter(ops);
}

/**
 * fwguard_lockin_init() - attach the forced-unload and kexec hooks, disarmed
 *
 * Return: 0, or the errno from ftrace (-EINVAL when an entry point is not
 * traceable on this kernel, -EBUSY when another IPMODIFY user holds it).
 */
int fwguard_lockin_init(void)
{
	int err;

	err = fwguard_lockin_attach(&fwguard_unload_ops, "delete_module",
				    fwguard_unload_entries,
				    ARRAY_SIZE(fwguard_unload_entries));
	if (err)
		return err;
	err = fwguard_lockin_attach(&fwguard_kexec_ops, "kexec_load",
				    fwguard_kexec_entries,
				    ARRAY_SIZE(fwguard_kexec_entries));
	if (err)
		goto out_unload;
	err = fwguard_lockin_attach(&fwguard_kexec_boot_ops, "kernel_kexec",
				    fwguard_kexec_boot_entries,
				    ARRAY_SIZE(fwguard_kexec_boot_entries));
	if (err)
		goto out_kexec;
	err = fwguard_lockin_attach(&fwguard_crash_kexec_ops, "__crash_kexec",
				    fwguard_crash_kexec_entries,
				    ARRAY_SIZE(fwguard_crash_kexec_entries));
	if (!err)
		return 0;
	fwguard_lockin_detach(&fwguard_kexec_boot_ops,
			      ARRAY_SIZE(fwguard_kexec_boot_entries));
out_kexec:
	fwguard_lockin_detach(&fwguard_kexec_ops, ARRAY_SIZE(fwguard_kexec_entries));
out_unload:
	fwguard_lockin_detach(&fwguard_unload_ops, ARRAY_SIZE(fwguard_unload_entries));
	return err;
}

/**
 * fwguard_lockin_exit() - detach the hooks (only reachable while disarmed)
 */
void fwguard_lockin_exit(void)
{
	fwguard_lockin_detach(&fwguard_crash_kexec_ops,
			      ARRAY_SIZE(fwguard_crash_kexec_entries));
	fwguard_lockin_detach(&fwguard_kexec_boot_ops,
			      ARRAY_SIZE(fwguard_kexec_boot_entries));
	fwguard_lockin_detach(&fwguard_kexec_ops, ARRAY_SIZE(fwguard_kexec_entries));
	fwguard_lockin_detach(&fwguard_unload_ops, ARRAY_SIZE(fwguard_unload_entries));
}

/* Is @d procfs's kernel/kexec_load_disabled under sys/, not a file mounted over it? */
static bool fwguard_is_kexec_sysctl(const struct dentry *d)
{
	const struct dentry *kernel = d->d_parent, *sys = kernel->d_parent;

	return d->d_sb->s_magic == PROC_SUPER_MAGIC &&
	       !strcmp(d->d_name.name, "kexec_load_disabled") &&
	       !strcmp(kernel->d_name.name, "kernel") &&
	       !strcmp(sys->d_name.name, "sys") &&
	       sys->d_parent == d->d_sb->s_root;
}

/*
 * Best effort, beside the hook: set kernel.kexec_load_disabled through
 * procfs in the caller's mount namespace, only in the real sysctl file,
 * and count it as set only when it reads back as 1.
 */
static int fwguard_kexec_sysctl_disable(void)
{
	char val[4] = "";
	loff_t pos = 0;
	struct file *f;
	ssize_t n;

	f = filp_open(FWGUARD_KEXEC_SYSCTL, O_RDWR | O_CLOEXEC, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	if (!fwguard_is_kexec_sysctl(f->f_path.dentry)) {
		n = -EXDEV;
	} else {
		n = kernel_write(f, "1\n", 2, &pos);
		if (n == 2) {
			pos = 0;
			n = kernel_read(f, val, sizeof(val) - 1, &pos);
			if (n >= 0)
				n = strcmp(val, "1\n") ? -EIO : 0;
		} else if (n >= 0) {
			n = -EIO;
		}
	}
	filp_close(f, NULL);
	return n;
}

/**
 * fwguard_lockin_engage() - switch off forced unload and kexec until reboot
 *
 * Called whenever the policy may just have been locked; does nothing before
 * that. Arms the hooks, which is all the lock-in depends on; the kexec
 * sysctl is then set too where the caller's /proc allows it (logged, and
 * tried again on the next call, when it does not).
 */
void fwguard_lockin_engage(void)
{
	int err;

	if (!fwguard_policy_locked())
		return;
	mutex_lock(&fwguard_lockin_lock);
	if (!READ_ONCE(fwguard_locked_in)) {
		WRITE_ONCE(fwguard_locked_in, true);
		pr_info("policy locked: kexec and forced module unload disabled until reboot\n");
	}
	if (IS_ENABLED(CONFIG_KEXEC_CORE) && !fwguard_kexec_sysctl_set) {
		err = fwguard_kexec_sysctl_disable();
		if (err)
			pr_info("kernel.kexec_load_disabled not set (%s: %d); kexec is refused by the syscall hook\n",
				FWGUARD_KEXEC_SYSCTL, err);
		fwguard_kexec_sysctl_set = !err;
	}
	mutex_unlock(&fwguard_lockin_lock);
}

/**
 * fwguard_lockin_show() - lock-in state for the status attribute
 * @buf: sysfs buffer
 *
 * Reports what the hooks enforce, nothing else.
 *
 * Return: bytes written.
 */
ssize_t fwguard_lockin_show(char *buf)
{
	bool on = READ_ONCE(fwguard_locked_in);

	return sysfs_emit(buf, "forced_unload %s\nkexec %s\n",
			  on ? "refused" : "allowed", on ? "disabled" : "allowed");
}
