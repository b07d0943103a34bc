// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard: makes firmware partitions unwritable except through a
 * ticket-gated, kernel-measured write session. This file owns the module's
 * lifetime, its parameters (but production=, which belongs to the sessions
 * that apply it), the /dev/fwguard control device with its ioctl dispatch
 * and the status attributes under /sys/class/misc/fwguard/.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "fwguard.h"

/* Every parameter may be given twice only with the same value (param.c). */
static char *keyring_mode = "trusted";
static bool fwguard_keyring_mode_weakens(const void *value)
{
	return !strcmp(*(char *const *)value, "provision");
}

fwguard_param(keyring_mode, keyring_mode, charp, fwguard_keyring_mode_weakens);
MODULE_PARM_DESC(keyring_mode,
		 "trusted: keys must be vouched for by the builtin/secondary keyrings; provision (refused under lockdown): root adds keys until the keyring is sealed");

static char *protect;
fwguard_param(protect, protect, charp, NULL);
MODULE_PARM_DESC(protect,
		 "partitions to protect at load: COMPONENT:DISK:PARTNAME[:active],... (PARTNAME is the GPT partition name)");

static char *device_class;
fwguard_param(device_class, device_class, charp, NULL);
MODULE_PARM_DESC(device_class, "device class tickets must name");

static char *serial;
fwguard_param(serial, serial, charp, NULL);
MODULE_PARM_DESC(serial, "device serial number for serial-bound tickets");

/* No floor is below the default 0; the TPM floor counts on top (tpm_floor.c). */
static unsigned long long floor;
fwguard_param(floor, floor, ullong, NULL);
MODULE_PARM_DESC(floor, "lowest acceptable ticket security version");

/* A policy change that took effect may have locked the policy: lock in (lockin.c). */
static long fwguard_lockin_after(int err)
{
	if (!err)
		fwguard_lockin_engage();
	return err;
}

static long fwguard_ioc_protect(const void __user *arg)
{
	struct fwguard_protect p;

	return fwguard_lockin_after(fwguard_copy_arg(&p, sizeof(p), arg) ?:
				    fwguard_policy_protect(&p));
}

static long fwguard_ioc_policy(const void __user *arg)
{
	struct fwguard_policy p;

	return fwguard_lockin_after(fwguard_copy_arg(&p, sizeof(p), arg) ?:
				    fwguard_policy_set(&p));
}

/* Read-only: what a ticket's session committed in this boot. */
static long fwguard_ioc_committed(void __user *arg)
{
	struct fwguard_committed q;
	int err;

	err = fwguard_copy_arg(&q, sizeof(q), arg);
	if (err)
		return err;
	if (q.flags)
		return -EINVAL;
	err = fwguard_policy_committed(&q);
	if (!err && copy_to_user(arg, &q, sizeof(q)))
		err = -EFAULT;
	return err;
}

static long fwguard_ctl_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	const void __user *uarg = (const void __user *)arg;

	if (cmd != FWGUARD_IOC_PROTECT && cmd != FWGUARD_IOC_POLICY &&
	    cmd != FWGUARD_IOC_BEGIN && cmd != FWGUARD_IOC_RETIRE &&
	    cmd != FWGUARD_IOC_COMMITTED)
		return -ENOTTY;
	/* capable() checks the initial user namespace: root in a userns fails. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (cmd) {
	case FWGUARD_IOC_PROTECT:
		return fwguard_ioc_protect(uarg);
	case FWGUARD_IOC_POLICY:
		return fwguard_ioc_policy(uarg);
	case FWGUARD_IOC_RETIRE:
		return fwguard_session_retire(uarg);
	case FWGUARD_IOC_COMMITTED:
		return fwguard_ioc_committed((void __user *)arg);
	default:
		return fwguard_session_begin(uarg);
	}
}

static const struct file_operations fwguard_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = fwguard_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static ssize_t policy_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return fwguard_policy_show(buf, PAGE_SIZE);
}
static DEVICE_ATTR_RO(policy);

static ssize_t locked_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n", fwguard_policy_locked());
}
static DEVICE_ATTR_RO(locked);

static ssize_t keyring_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s %s\n", fwguard_keyring_mode(),
			  fwguard_keyring_ready() ? "sealed" : "unsealed");
}
static DEVICE_ATTR_RO(keyring);

static ssize_t lockin_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return fwguard_lockin_show(buf);
}
static DEVICE_ATTR_RO(lockin);

static ssize_t counters_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf,
			  "refused_bios %lld\nrefused_opens %lld\nrefused_writes %lld\nrefused_ioctls %lld\nrefused_requests %lld\nrefused_passthrough %lld\nrefused_binds %lld\nallowed_session_bios %lld\nsessions_committed %lld\nsessions_failed %lld\n",
			  atomic64_read(&fwguard_stats.refused_bios),
			  atomic64_read(&fwguard_stats.refused_opens),
			  atomic64_read(&fwguard_stats.refused_writes),
			  atomic64_read(&fwguard_stats.refused_ioctls),
			  atomic64_read(&fwguard_stats.refused_requests),
			  atomic64_read(&fwguard_stats.refused_passthrough),
			  atomic64_read(&fwguard_stats.refused_binds),
			  atomic64_read(&fwguard_stats.session_bios),
			  atomic64_read(&fwguard_stats.sessions_committed),
			  atomic64_read(&fwguard_stats.sessions_failed));
}
static DEVICE_ATTR_RO(counters);

static struct attribute *fwguard_attrs[] = {
	&dev_attr_policy.attr,
	&dev_attr_locked.attr,
	&dev_attr_keyring.attr,
	&dev_attr_lockin.attr,
	&dev_attr_counters.attr,
	NULL,
};
ATTRIBUTE_GROUPS(fwguard);

static struct miscdevice fwguard_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "fwguard",
	.fops = &fwguard_ctl_fops,
	.mode = 0600,
	.groups = fwguard_groups,
};

static void fwguard_check_platform(void)
{
	/* The promises only hold when root cannot load its own ring-0 code. */
	if (!is_module_sig_enforced())
		pr_warn("module signatures are not enforced: root can bypass fwguard (boot with Secure Boot and lockdown=integrity)\n");
}

static int __init fwguard_init(void)
{
	int err;

	fwguard_check_platform();
	err = fwguard_keyring_init(keyring_mode);
	if (err) {
		pr_err("cannot set up keyring (keyring_mode=%s): %d\n",
		       keyring_mode, err);
		return err;
	}
	err = fwguard_lockin_init();
	if (err)
		goto out_keyring;
	/* protect= below gates disks' queues: the gate must be ready first. */
	err = fwguard_gate_init();
	if (err)
		goto out_lockin;
	/* Ranges first: the hooks must never run before the module is pinned. */
	err = fwguard_policy_from_params(protect, device_class, serial, floor);
	if (err)
		goto out_policy;
	err = fwguard_hooks_init();
	if (err)
		goto out_policy;
	err = misc_register(&fwguard_miscdev);
	if (err) {
		pr_err("cannot register /dev/fwguard: %d\n", err);
		goto out_hooks;
	}
	fwguard_lockin_engage();
	pr_info("loaded, keyring mode %s, %u protected range(s)\n",
		fwguard_keyring_mode(), fwguard_range_count());
	return 0;

out_hooks:
	fwguard_hooks_exit();
out_policy:
	/* A protect= entry may have gated a queue before a later one failed. */
	fwguard_gate_exit();
	fwguard_policy_exit();
out_lockin:
	fwguard_lockin_exit();
out_keyring:
	fwguard_keyring_exit();
	return err;
}

static void __exit fwguard_exit(void)
{
	misc_deregister(&fwguard_miscdev);
	fwguard_hooks_exit();
	fwguard_gate_exit();
	fwguard_policy_exit();
	fwguard_lockin_exit();
	fwguard_keyring_exit();
	pr_info("unloaded\n");
}

module_init(fwguard_init);
module_exit(fwguard_exit);

MODULE_DESCRIPTION("fwguard: ticket-gated, kernel-measured firmware partition writes");
MODULE_LICENSE("GPL");
