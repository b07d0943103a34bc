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
 *  - kexec. Both kexec_load and kexec_file_load test the one-way sysctl
 *    kernel.kexec_load_disabled, on 6.1 directly and on 6.12 through
 *    kexec_load_permitted(); setting it cannot be undone until reboot. The
 *    module writes it through procfs (the variable is not exported), after
 *    checking that the file really is procfs and not something mounted over
 *    it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/audit.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/ftrace.h>
#include <linux/magic.h>
#include <linux/mutex.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <asm/syscall.h>

#include "fwguard.h"

#define FWGUARD_KEXEC_SYSCTL	"/proc/sys/kernel/kexec_load_disabled"

static bool fwguard_unload_refused;	/* one-way; read by the hook */
static bool fwguard_kexec_disabled;	/* under fwguard_lockin_lock */
static DEFINE_MUTEX(fwguard_lockin_lock);

/* Runs instead of the delete_module syscall for a refused forced unload. */
static long fwguard_refuse_unload(const struct pt_regs *regs)
{
	struct audit_buffer *ab;

	pr_warn_ratelimited("refused forced module unload (delete_module with O_TRUNC) by pid %d comm %s uid %u: forced unloading is disabled while the fwguard policy is locked\n",
			    task_pid_nr(current), current->comm,
			    from_kuid(&init_user_ns, current_uid()));
	ab = audit_log_start(audit_context(), GFP_KERNEL, AUDIT_KERNEL_OTHER);
	if (ab) {
		audit_log_format(ab, "op=fwguard_refuse reason=forced-unload");
		audit_log_task_info(ab);
		audit_log_end(ab);
	}
	return -EPERM;
}

static void notrace fwguard_unload_hook(unsigned long ip, unsigned long parent_ip,
					struct ftrace_ops *ops,
					struct ftrace_regs *fregs)
{
	unsigned long args[6];

	if (!READ_ONCE(fwguard_unload_refused))
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

/**
 * fwguard_lockin_init() - attach the forced-unload hook, disarmed
 *
 * Return: 0, or the errno from ftrace (-EINVAL when an entry point is not
 * traceable on this kernel, -EBUSY when another IPMODIFY user holds it).
 */
int fwguard_lockin_init(void)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(fwguard_unload_entries) && !err; i++) {
		const char *sym = fwguard_unload_entries[i];

		err = ftrace_set_filter(&fwguard_unload_ops, (unsigned char *)sym,
					strlen(sym), i == 0);
		if (err)
			pr_err("cannot trace %s: %d\n", sym, err);
	}
	if (!err) {
		err = register_ftrace_function(&fwguard_unload_ops);
		if (err)
			pr_err("cannot hook delete_module: %d\n", err);
	}
	if (err)
		ftrace_free_filter(&fwguard_unload_ops);
	return err;
}

/**
 * fwguard_lockin_exit() - detach the hook (only reachable while disarmed)
 */
void fwguard_lockin_exit(void)
{
	unregister_ftrace_function(&fwguard_unload_ops);
	ftrace_free_filter(&fwguard_unload_ops);
}

static int fwguard_kexec_disable(void)
{
	loff_t pos = 0;
	struct file *f;
	ssize_t n;

	f = filp_open(FWGUARD_KEXEC_SYSCTL, O_WRONLY | O_CLOEXEC, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	if (f->f_path.dentry->d_sb->s_magic != PROC_SUPER_MAGIC)
		n = -EXDEV;
	else
		n = kernel_write(f, "1\n", 2, &pos);
	filp_close(f, NULL);
	if (n < 0)
		return n;
	return n == 2 ? 0 : -EIO;
}

/**
 * fwguard_lockin_engage() - switch off forced unload and kexec until reboot
 *
 * Called whenever the policy may just have been locked; does nothing before
 * that, and is cheap once everything is switched off. A kexec switch that
 * fails (no procfs mounted yet) is logged and tried again on the next call.
 *
 * Return: 0; the errno of opening or writing the kexec sysctl otherwise
 * (-ENOENT when /proc is not mounted, -EXDEV when it is not procfs).
 */
int fwguard_lockin_engage(void)
{
	int err = 0;

	if (!fwguard_policy_locked())
		return 0;
	WRITE_ONCE(fwguard_unload_refused, true);
	if (!IS_ENABLED(CONFIG_KEXEC_CORE))
		return 0;
	mutex_lock(&fwguard_lockin_lock);
	if (!fwguard_kexec_disabled) {
		err = fwguard_kexec_disable();
		if (err)
			pr_err("cannot disable kexec (%s): %d; kexec can end protection\n",
			       FWGUARD_KEXEC_SYSCTL, err);
		else
			pr_info("policy locked: kexec and forced module unload disabled until reboot\n");
		fwguard_kexec_disabled = !err;
	}
	mutex_unlock(&fwguard_lockin_lock);
	return err;
}

/**
 * fwguard_lockin_show() - lock-in state for the status attribute
 * @buf: sysfs buffer
 *
 * Return: bytes written.
 */
ssize_t fwguard_lockin_show(char *buf)
{
	bool kexec;

	mutex_lock(&fwguard_lockin_lock);
	kexec = fwguard_kexec_disabled;
	mutex_unlock(&fwguard_lockin_lock);
	return sysfs_emit(buf, "forced_unload %s\nkexec %s\n",
			  READ_ONCE(fwguard_unload_refused) ? "refused" : "allowed",
			  kexec ? "disabled" : "allowed");
}
