#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Open finding (kmod/README.md "Lock-in: forced unload and kexec"): the
# module switches kexec off by writing "1" to the path
# /proc/sys/kernel/kexec_load_disabled, looked up in the mount namespace of
# whoever locks the policy, and only checks that the file it opened is on a
# procfs. Another procfs file bind-mounted over that path (here
# kernel.sysrq, in a private mount namespace of the loader: a unit drop-in
# with BindReadOnlyPaths= does the same) takes the "1"; the module reports
# "kexec disabled", kexec stays allowed, and root kexecs a kernel without
# fwguard and writes a protected slot. A loader with a read-only /proc/sys
# (ProtectKernelTunables=yes) leaves kexec allowed without any trick. One
# guest; the second kernel is
# the harness's own, kexec'd with the same command line.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-$top/build}

if [ "${1:-}" = --guest ]; then
	out=$(sed -n 's/.*fwguard\.out=\([^ ]*\).*/\1/p' /proc/cmdline)
	kdir=$(sed -n 's/.*fwguard\.kdir=\([^ ]*\).*/\1/p' /proc/cmdline)
	slot_hash() { dd if=/dev/vda2 bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1; }
	if [ -e "$out/kexeced" ]; then
		# The kexec'd kernel: no fwguard, so nothing stops a write.
		[ -e /sys/module/fwguard ] && echo loaded >"$out/second_fwguard"
		dd if=/dev/urandom of=/dev/vda2 bs=4096 count=16 oflag=direct status=none
		slot_hash >"$out/hash_after"
		exit 0
	fi
	ko=$build/kmod/$(uname -r)/fwguard.ko
	# 1. The loader sees /proc/sys read-only, as systemd's
	# ProtectKernelTunables=yes makes it: the policy locks, kexec stays on.
	unshare -m sh -c "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys &&
		insmod '$ko' protect=firmware:vda:fw_a:active,firmware:vda:fw_b" ||
		echo "insmod failed" >"$out/error"
	cat /sys/class/misc/fwguard/locked >"$out/locked" 2>&1
	cat /sys/class/misc/fwguard/lockin >"$out/lockin_ro" 2>&1
	# 2. The next policy call (FWGUARD_IOC_POLICY, nothing changed) tries
	# again, with kernel.sysrq bind-mounted over the kexec sysctl.
	unshare -m sh -c "mount --bind /proc/sys/kernel/sysrq /proc/sys/kernel/kexec_load_disabled &&
		python3 -c 'import fcntl, os, struct
fcntl.ioctl(os.open(\"/dev/fwguard\", os.O_RDWR), (1 << 30) | (144 << 16) | (0xF9 << 8) | 2,
	struct.pack(\"<IIQ64s64s\", 144, 0, 0, b\"\", b\"\"))'" ||
		echo "policy ioctl failed" >"$out/error"
	cat /sys/class/misc/fwguard/lockin >"$out/lockin" 2>&1
	cat /proc/sys/kernel/kexec_load_disabled >"$out/kexec_load_disabled"
	# The protected slot refuses a write in this kernel.
	dd if=/dev/zero of=/dev/vda2 bs=4096 count=1 oflag=direct status=none 2>/dev/null &&
		echo written >"$out/first_write"
	slot_hash >"$out/hash_before"
	python3 - "$kdir/boot/vmlinuz-$(uname -r)" "$(ls "$build"/vm/initramfs-"$(uname -r)".cpio.gz)" "$out" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
cmdline = open("/proc/cmdline", "rb").read().strip() + b"\0"
k = os.open(sys.argv[1], os.O_RDONLY)
i = os.open(sys.argv[2], os.O_RDONLY)
rc = libc.syscall(320, k, i, len(cmdline), ctypes.c_char_p(cmdline), 0)  # kexec_file_load
err = ctypes.get_errno()
open(sys.argv[3] + "/kexec_file_load", "w").write("%d %d\n" % (rc, err))
if rc == 0:
    open(sys.argv[3] + "/kexeced", "w").write("1\n")
    os.sync()
    libc.syscall(169, 0xfee1dead, 672274793, 0x45584543, None)  # reboot(KEXEC)
PY
	exit 0
fi

. "$top/tests/lib/tap.sh"
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
out=$(mktemp -d "${TMPDIR:-/tmp}/fwguard-kexec-lockin.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$out"' EXIT
"$top/tests/vm/run" --kernel "$kver" --out "$out" --timeout 600 -- /usr/bin/env BUILD="$build" "$here/$(basename "$0")" --guest >"$out/run.log" 2>&1
status=$?
tap_plan 5
if [ -s "$out/error" ] || ! grep -q . "$out/locked" 2>/dev/null; then
	sed 's/^/# /' "$out/run.log" | tail -40
fi
tap_check "policy locked with the slots protected (guest status $status)" \
	test -s "$out/hash_before" -a ! -e "$out/first_write" -a ! -e "$out/error"
if grep -qx "kexec allowed" "$out/lockin_ro" 2>/dev/null; then
	tap_fail "a locked policy disables kexec, also for a loader with a read-only /proc/sys" \
		"lockin: kexec allowed after the lock (ProtectKernelTunables=-style namespace)"
else
	tap_ok "a locked policy disables kexec, also for a loader with a read-only /proc/sys"
fi
tap_check "the module says kexec is disabled" grep -qx "kexec disabled" "$out/lockin"
if grep -q '^0 ' "$out/kexec_file_load" 2>/dev/null; then
	tap_fail "kexec is refused while the policy is locked" \
		"kexec_file_load succeeded; kernel.kexec_load_disabled=$(cat "$out/kexec_load_disabled")"
else
	tap_ok "kexec is refused while the policy is locked"
fi
if [ -s "$out/hash_after" ] && [ "$(cat "$out/hash_after")" != "$(cat "$out/hash_before")" ]; then
	tap_fail "the protected slot fw_b keeps its bytes" "changed after kexec into a kernel without fwguard"
else
	tap_ok "the protected slot fw_b keeps its bytes"
fi
tap_done
