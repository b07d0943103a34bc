#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The test runner itself: tap-run counts the same results whether it runs
# programs one after the other or side by side (-j), a failure in any form
# (a "not ok", a crash, no result, a short plan) is counted and named, and
# -j really runs programs at once. Fake TAP programs only; no guest.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run=$top/tests/lib/tap-run

prog() { # NAME BODY: a TAP program
	printf '#!/bin/bash\n%s\n' "$2" >"$work/$1" && chmod +x "$work/$1"
}
prog pass 'echo 1..2; echo ok 1 a; echo ok 2 b'
prog fail 'echo 1..2; echo ok 1 a; echo "not ok 2 b"'
prog crash 'echo 1..2; echo ok 1 a; exit 139'
prog silent 'exit 0'
prog short 'echo 1..3; echo ok 1 a'
prog skipped 'echo 1..1; echo "ok 1 a # SKIP no device"; exit 4'
prog dies 'echo 1..1; exit 1'
prog exits 'echo 1..1; echo ok 1 a; exit 2'
all=(pass fail crash silent short skipped dies exits)
expect='passed=6 failed=6 skipped=1 failures=fail crash silent short dies exits'

tally_of() { # TALLY: one line, failures in start order
	. "$1"
	echo "passed=$passed failed=$failed skipped=$skipped failures=$failures"
}

tap_plan 6
(cd "$work" && "$run" --tally "$work/serial" "${all[@]/#/./}") >"$work/serial.log" 2>&1
rc=$?
tap_check "serial: exit status 1 when a program failed" test "$rc" -eq 1
tap_check "serial: every kind of failure is counted and named" \
	test "$(tally_of "$work/serial")" = "$expect"

(cd "$work" && "$run" -j 3 --tally "$work/par" "${all[@]/#/./}") >"$work/par.log" 2>&1
rc=$?
tap_check "-j 3: exit status 1 when a program failed" test "$rc" -eq 1
# The order of completion may differ; compare the failures as sets.
sorted() { tally_of "$1" | tr ' ' '\n' | sort | tr '\n' ' '; }
tap_check "-j 3: the same counts and names as the serial run" \
	test "$(sorted "$work/par")" = "$(echo "$expect" | tr ' ' '\n' | sort | tr '\n' ' ')"

# Side by side for real: each waits (up to a minute) for the other's mark.
prog left 'touch left.mark; for i in $(seq 600); do [ -e right.mark ] && break; sleep 0.1; done
	echo 1..1; [ -e right.mark ] && echo ok 1 met || echo "not ok 1 alone"'
prog right 'touch right.mark; for i in $(seq 600); do [ -e left.mark ] && break; sleep 0.1; done
	echo 1..1; [ -e left.mark ] && echo ok 1 met || echo "not ok 1 alone"'
(cd "$work" && "$run" -j 2 --tally "$work/both" ./left ./right) >"$work/both.log" 2>&1
tap_check "-j 2: two programs run at once" test "$(tally_of "$work/both")" = "passed=2 failed=0 skipped=0 failures="
tap_check "-j 2: each program's output is printed whole, between its markers" \
	awk '/^# ---- left$/ {in_=1; next} in_ && /^# ---- / {exit !(/^# ---- left: [0-9]+ s$/ && seen)}
		in_ && /^ok 1 met$/ {seen=1} END {}' "$work/both.log"
tap_done
