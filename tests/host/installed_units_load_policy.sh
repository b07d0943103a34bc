#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The installed boot sequence turns the kernel's write gate on: `make
# install` ships fwguard-policy-load.service, which runs `updatectl policy
# load` at every boot in sysinit.target, before boot-verify, and
# fwguard-boot-verify.service requires it (a boot whose policy could not be
# loaded is never verified, so a trial is never confirmed). Without it a
# device set up from the installed tree boots with no range protected and
# nothing locked: root writes the slots with dd, unloads the module and
# may kexec. Host only, no guest.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
build=${BUILD:-$top/build}
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
dest=$(mktemp -d /tmp/fwguard-units.XXXXXX)
trap 'rm -rf "$dest" "$dest.log"' EXIT
units=$dest/lib/systemd/system
load=$units/fwguard-policy-load.service
verify=$units/fwguard-boot-verify.service

tap_plan 6
make -s -C "$top" install DESTDIR="$dest" BUILD="$build" KVER="$kver" >"$dest.log" 2>&1
tap_check "make install succeeds" test $? -eq 0
if grep -qs 'ExecStart=.*updatectl policy load' "$units"/*.service ||
	grep -qs 'protect=' "$dest"/etc/modprobe.d/*.conf; then
	tap_ok "an installed unit (or modprobe.d option) protects the slots at every boot"
else
	tap_fail "an installed unit (or modprobe.d option) protects the slots at every boot" \
		"units: $(cd "$units" && ls | tr '\n' ' ')"
fi
tap_check "fwguard-policy-load.service runs updatectl policy load" \
	grep -qx 'ExecStart=/usr/sbin/updatectl policy load' "$load"
tap_check "... in sysinit.target, before boot-verify" sh -c \
	"grep -qx 'WantedBy=sysinit.target' '$load' && grep -q '^Before=.*fwguard-boot-verify.service' '$load' && grep -q '^DefaultDependencies=no' '$load'"
tap_check "boot-verify requires it and runs after it" sh -c \
	"grep -q '^Requires=.*fwguard-policy-load.service' '$verify' && grep -q '^After=.*fwguard-policy-load.service' '$verify'"
tap_check "the man page names the unit" grep -q 'fwguard\\\\-policy\\\\-load.service\|fwguard-policy-load.service' \
	"$dest/usr/share/man/man8/updatectl.8"
tap_done
