// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard module parameters: what a value given twice means, and which
 * values a locked-down kernel refuses.
 *
 * init_module() receives one option string. modprobe builds it from
 * /etc/modprobe.d and then appends every fwguard.NAME=VALUE word of the
 * kernel command line (and modprobe's own arguments), and parse_args()
 * applies the words in order, so for a plain module_param() the last word
 * wins. The command line is often easier to change than the module's
 * options (a bootloader environment root can edit), so it must not quietly
 * undo them:
 *
 *  - A parameter given twice with values that differ (as they read back in
 *    sysfs) fails the load with -EINVAL and a log line naming both values.
 *    Neither value is taken: the module cannot tell which word came from
 *    which source, and there is no "stronger" protect=, device_class= or
 *    serial=. Giving the same value twice is fine.
 *  - While the kernel is locked down (LOCKDOWN_MODULE_PARAMETERS, as for
 *    the kernel's own hardware parameters), values that let more tickets
 *    through than the default does are refused with -EPERM whatever gave
 *    them: keyring_mode=provision and production=0. Without lockdown root
 *    can load code of its own into the kernel, so nothing is lost there.
 *
 * Each parameter wraps the kernel's own ops for its type; only set() adds
 * the two checks. Parameters are read-only (0444): set() runs at load only,
 * under the module's kernel_param_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fwguard.h"

/* A value parsed by the kernel's ops for one of the types fwguard uses. */
union fwguard_param_value {
	bool b;
	unsigned long long ull;
	char *s;
};

/* @kp as the kernel's ops for its type expect it: arg is the variable. */
static struct kernel_param fwguard_param_std(const struct kernel_param *kp,
					     void *value)
{
	struct kernel_param std = *kp;

	std.arg = value;
	return std;
}

static int fwguard_param_get(char *buf, const struct kernel_param *kp)
{
	const struct fwguard_param *p = kp->arg;
	struct kernel_param std = fwguard_param_std(kp, p->value);

	return p->type->get(buf, &std);
}

static void fwguard_param_free(void *arg)
{
	const struct fwguard_param *p = arg;

	if (p->type->free)
		p->type->free(p->value);
}

static void fwguard_param_discard(const struct fwguard_param *p,
				  union fwguard_param_value *v)
{
	if (p->type->free)
		p->type->free(v);
}

/* Compare the value in force with @v as both read back; log a conflict. */
static int fwguard_param_compare(const struct kernel_param *kp,
				 union fwguard_param_value *v)
{
	const struct fwguard_param *p = kp->arg;
	struct kernel_param cur = fwguard_param_std(kp, p->value);
	struct kernel_param next = fwguard_param_std(kp, v);
	char *a, *b;
	int err = 0;

	/* The kernel's get() ops may write up to a page (a sysfs buffer). */
	a = kmalloc(PAGE_SIZE, GFP_KERNEL);
	b = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!a || !b) {
		err = -ENOMEM;
		goto out;
	}
	if (p->type->get(a, &cur) < 0 || p->type->get(b, &next) < 0) {
		err = -EINVAL;
		goto out;
	}
	if (strcmp(a, b)) {
		pr_err("%s given twice with different values ('%s', then '%s'): refusing to load; /etc/modprobe.d, modprobe's arguments and the kernel command line (fwguard.%s=) must agree\n",
		       kp->name, strim(a), strim(b), kp->name);
		err = -EINVAL;
	}
out:
	kfree(a);
	kfree(b);
	return err;
}

/* Under lockdown, refuse a value that lets more tickets through. */
static int fwguard_param_check_lockdown(const struct kernel_param *kp,
					const char *val,
					const union fwguard_param_value *v)
{
	const struct fwguard_param *p = kp->arg;

	if (!p->weakens || !p->weakens(v))
		return 0;
	/* Asked only for a weakening value: lockdown logs each denial. */
	if (!security_locked_down(LOCKDOWN_MODULE_PARAMETERS))
		return 0;
	pr_err("%s=%s refused: the kernel is locked down, and this value would accept tickets the default refuses\n",
	       kp->name, val ?: "");
	return -EPERM;
}

static int fwguard_param_set(const char *val, const struct kernel_param *kp)
{
	struct fwguard_param *p = kp->arg;
	union fwguard_param_value parsed = {};
	struct kernel_param scratch = fwguard_param_std(kp, &parsed);
	struct kernel_param real = fwguard_param_std(kp, p->value);
	int err;

	/* Judged on a scratch copy: a refused value changes nothing. */
	err = p->type->set(val, &scratch);
	if (err)
		return err;
	err = fwguard_param_check_lockdown(kp, val, &parsed);
	if (!err && p->given)
		err = fwguard_param_compare(kp, &parsed);
	fwguard_param_discard(p, &parsed);
	if (err || p->given)
		return err;

	err = p->type->set(val, &real);
	if (!err)
		p->given = true;
	return err;
}

const struct kernel_param_ops fwguard_param_ops_bool = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,	/* "production" alone is Y */
	.set = fwguard_param_set,
	.get = fwguard_param_get,
};

const struct kernel_param_ops fwguard_param_ops_charp = {
	.set = fwguard_param_set,
	.get = fwguard_param_get,
	.free = fwguard_param_free,
};

const struct kernel_param_ops fwguard_param_ops_ullong = {
	.set = fwguard_param_set,
	.get = fwguard_param_get,
};
