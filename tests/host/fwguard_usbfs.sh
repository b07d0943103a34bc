#!/bin/bash
# usbfs against a protected USB mass-storage disk
# (tests/kselftest/fwguard_usbfs.c): a guest of its own with an xHCI
# controller and a USB disk holding fw_a/fw_b.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
img=$(mktemp /tmp/fwguard-usb.XXXXXX)
trap 'rm -f "$img"' EXIT
# Disk number 2: PARTUUIDs other than the scratch disk's.
"$top/tests/vm/mkdisk" "$img" 4 6 0 2
exec "$top/tests/vm/run" --kernel "$kver" --usb "$img" -- \
	/usr/bin/env FWGUARD_DESTRUCTIVE=1 "${BUILD:-$top/build}/tests/kselftest/fwguard_usbfs"
