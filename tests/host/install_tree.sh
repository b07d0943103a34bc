#!/bin/bash
# `make install DESTDIR=...` lays out a complete installation: updatectl,
# its man page (rendering without warnings), the systemd units, an example
# configuration that updatectl accepts, and a DKMS source tree from which
# kbuild builds fwguard.ko on its own.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
build=${BUILD:-$top/build}
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
dest=$(mktemp -d /tmp/fwguard-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT

tap_plan 7
make -s -C "$top" install DESTDIR="$dest" BUILD="$build" KVER="$kver" >"$dest.log" 2>&1
tap_check "make install succeeds" test $? -eq 0
tap_check "updatectl installed and runs" sh -c "'$dest/usr/sbin/updatectl' --help >/dev/null"
tap_check "man page renders without warnings" \
	sh -c "groff -man -ww -z '$dest/usr/share/man/man8/updatectl.8' 2>&1 | grep -q . && exit 1 || exit 0"
tap_check "systemd units installed" test -f "$dest/lib/systemd/system/fwguard-boot-verify.service" \
	-a -f "$dest/lib/systemd/system/fwguard-fetch.timer"
tap_check "example configuration parses" sh -c \
	"'$dest/usr/sbin/updatectl' fetch --config '$dest/etc/fwguard/updatectl.conf' x 2>&1 | grep -q 'device_class is not configured'"
tap_check "dkms.conf names the version" grep -q 'PACKAGE_VERSION="0.1"' "$dest/usr/src/fwguard-0.1/dkms.conf"
make -s -C "/usr/src/linux-headers-$kver" M="$dest/usr/src/fwguard-0.1" modules >"$dest.kbuild.log" 2>&1
tap_check "fwguard.ko builds from the DKMS tree" test -f "$dest/usr/src/fwguard-0.1/fwguard.ko"
rm -f "$dest.log" "$dest.kbuild.log"
tap_done
