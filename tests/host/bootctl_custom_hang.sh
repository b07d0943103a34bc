#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The custom backend (userspace/lib/bootctl_custom.c) gives each call of
# the executable 10 s. An executable whose `booted` never exits, or one
# that exits after printing its answer but leaves a child holding its
# standard output (a script that starts something in the background), used
# to block updatectl for ever: boot-verify never completed at boot and held
# the updatectl lock, so every retry and mark-good got "busy". Now the
# first is killed and reported (io), the second answers. Each case is
# given 30 s here.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
test_workdir bootctl-hang
kill_children() {
	local p
	for p in $(cat "$work"/pids 2>/dev/null); do kill "$p" 2>/dev/null; done
}
at_exit kill_children
export FWGUARD_LOCK=$work/lock

tap_plan 6

# $work/mode steers it: hang (booted never exits), daemon (booted prints a,
# exits, a child keeps stdout open).
cat >"$work/bootctl" <<EOF
#!/bin/sh
case \$(cat "$work/mode") in
hang) echo \$\$ >>"$work/pids"; exec sleep 600 ;;
daemon) [ "\$1" = booted ] && echo a; sleep 600 & echo \$! >>"$work/pids" ;;
esac
exit 0
EOF
chmod 755 "$work/bootctl"
printf 'bootloader = custom\nboot_component = bootfw\nbootctl_exec = %s\nstate_dir = %s\n' \
	"$work/bootctl" "$work/state" >"$work/uc.conf"

# within NAME ARGS...: updatectl bootloader ARGS returns within 30 s.
within() {
	local name=$1 start=$SECONDS rc
	shift
	timeout 30 "$uc" bootloader "$@" --config "$work/uc.conf" >"$work/out" 2>"$work/err"
	rc=$?
	echo "$rc" >"$work/rc"
	if [ "$rc" -eq 124 ]; then
		tap_fail "$name" "still running after $((SECONDS - start)) s"
	else
		tap_ok "$name"
	fi
}

echo hang >"$work/mode"
within "'booted' that never exits: updatectl gives up" status --json
tap_check "... and says which call it gave up on" grep -q "bootctl_exec booted: no answer" "$work/err"
within "'mark-good' that never exits: updatectl gives up" mark-good a
tap_check "... with an io error" [ "$(cat "$work/rc")" -eq "$(uc_exit io)" ]
echo daemon >"$work/mode"
within "'booted' that prints a and leaves a child on its stdout: updatectl answers" \
	status --json
tap_check "... and reports slot a booted" \
	python3 -c "import json,sys; sys.exit(json.load(open(sys.argv[1]))['booted'] != 'a')" \
	"$work/out" 2>/dev/null
tap_done
