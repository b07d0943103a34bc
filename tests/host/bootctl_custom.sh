#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The custom backend of updatectl (userspace/lib/bootctl_custom.c): a
# script that records every call (its arguments, one line per call) and
# answers as told; every call updatectl makes is asserted, in order, and
# each documented failure of the executable gives its documented result:
# exit 1 -> io, exit 2 -> usage, another status or a signal -> io, a
# "booted" answer other than a or b -> not trusted.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
test_workdir bootctl
export FWGUARD_LOCK=$work/lock

tap_plan 14

# The executable: logs "$@" and its stdin's type; $work/exit and $work/booted steer it.
cat >"$work/bootctl" <<EOF
#!/bin/sh
echo "\$*" >>"$work/calls"
[ -t 0 ] && echo "stdin is a terminal" >>"$work/calls"
[ "\$1" = booted ] && cat "$work/booted"
[ -e "$work/signal" ] && kill -TERM \$\$
exit \$(cat "$work/exit" 2>/dev/null || echo 0)
EOF
chmod 755 "$work/bootctl"
echo b >"$work/booted"
printf 'bootloader = custom\nboot_component = bootfw\nbootctl_exec = %s\nboot_tries = 4\nstate_dir = %s\n' \
	"$work/bootctl" "$work/state" >"$work/uc.conf"
bl() { "$uc" bootloader "$@" --config "$work/uc.conf"; }
# exits NAME CODE ARGS...: updatectl bootloader ARGS exits with CODE (by name)
bl_quiet() { bl "$@" >/dev/null 2>>"$work/err"; }
exits() { local n=$1 c=$2; shift 2; expect_exit "$n" "$c" bl_quiet "$@"; }

exits "status: ok" ok status --json
tap_check "status --json reports the slot 'booted' printed" \
	python3 -c "import json,sys; s=json.load(open(sys.argv[1])); sys.exit(s['booted'] != 'b')" \
	/dev/stdin < <(bl status --json 2>/dev/null)
exits "set-trial b (boot_tries)" ok set-trial b
exits "set-trial a --tries 2" ok set-trial a --tries 2
exits "mark-good a" ok mark-good a
exits "mark-bad b" ok mark-bad b
echo 1 >"$work/exit"
exits "exit status 1 from the executable: io" io mark-good b
tap_check "... and the message names the call and the status" \
	grep -q "bootctl_exec mark-good b: exit status 1" "$work/err"
echo 2 >"$work/exit"
exits "exit status 2 (bad arguments): usage" usage set-trial a --tries 3
echo 9 >"$work/exit"
exits "exit status 9: io" io mark-bad a
rm -f "$work/exit" && touch "$work/signal"
exits "killed by a signal: io" io mark-good a
rm -f "$work/signal" && echo c >"$work/booted"
bl status --json >"$work/st.json" 2>"$work/err"
tap_check "'booted' printing c: status shows no booted slot, says why" \
	sh -c "python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))[\"booted\"] is not None)' '$work/st.json' && grep -q 'printed .c., not a or b' '$work/err'"
# Every call, in order: arguments exactly as documented, stdin never a terminal.
printf '%s\n' booted booted "set-trial b 4" "set-trial a 2" "mark-good a" "mark-bad b" \
	"mark-good b" "set-trial a 3" "mark-bad a" "mark-good a" booted >"$work/want"
tap_check "every call recorded in order with its documented arguments" \
	diff -u "$work/want" "$work/calls"
printf 'bootloader = custom\nboot_component = bootfw\nbootctl_exec = %s\nstate_dir = %s\n' \
	"$work/none" "$work/state" >"$work/missing.conf"
expect_exit "an executable that does not exist: io" io \
	"$uc" bootloader mark-good a --config "$work/missing.conf" 2>/dev/null
tap_done
