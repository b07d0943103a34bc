/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Process-wide guards for updatectl: the single-instance lock, and making
 * sure fwguard.ko is loaded (through libkmod, honouring /etc/modprobe.d
 * options exactly as modprobe would).
 */
#ifndef FWGUARD_RUNTIME_H
#define FWGUARD_RUNTIME_H

#define UC_LOCK_DEFAULT "/run/fwguard/updatectl.lock"

/*
 * Take the updatectl lock, at $FWGUARD_LOCK when set, else at
 * UC_LOCK_DEFAULT (created if needed). Returns the lock fd (held until
 * exit), or -EBUSY when another instance holds it (its pid is named in the
 * message), or another -errno.
 */
int uc_lock(void);

/*
 * Make sure /dev/fwguard exists, loading "fwguard" through libkmod when it
 * does not. Returns 0, -ENOENT (module not installed), or another -errno;
 * the failure is logged with its cause.
 */
int uc_module_ensure(void);

#endif /* FWGUARD_RUNTIME_H */
