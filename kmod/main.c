// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard: makes firmware partitions unwritable except through a
 * ticket-gated, kernel-measured write session. This file owns module
 * lifetime and the /dev/fwguard control device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

static const struct file_operations fwguard_ctl_fops = {
	.owner = THIS_MODULE,
	.llseek = noop_llseek,
};

static struct miscdevice fwguard_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "fwguard",
	.fops = &fwguard_ctl_fops,
	.mode = 0600,
};

static int __init fwguard_init(void)
{
	int err;

	err = misc_register(&fwguard_miscdev);
	if (err) {
		pr_err("cannot register /dev/fwguard: %d\n", err);
		return err;
	}
	pr_info("loaded\n");
	return 0;
}

static void __exit fwguard_exit(void)
{
	misc_deregister(&fwguard_miscdev);
	pr_info("unloaded\n");
}

module_init(fwguard_init);
module_exit(fwguard_exit);

MODULE_DESCRIPTION("fwguard: ticket-gated firmware partition writes");
MODULE_LICENSE("GPL");
