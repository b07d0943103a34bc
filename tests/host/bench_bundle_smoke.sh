#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# bench-bundle itself keeps working: run on a 4 MiB image, one round, it
# must finish, check its bundle's digest against sha256sum and print every
# figure. (The benchmark proper, on 1 GiB, is `make bench-bundle`.)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
build=${BUILD:-$top/build}
out=$(mktemp /tmp/fwguard-bench-bundle.XXXXXX)
trap 'rm -f "$out" "$build/bench/image-4m.bin"' EXIT

tap_plan 3
MIB=4 ROUNDS=1 "$top/tests/bench/bench-bundle" "$build" >"$out" 2>&1
rc=$?
tap_check "bench-bundle on a 4 MiB image exits 0" test "$rc" -eq 0
tap_check "... and its bundle's digest matched sha256sum" \
	bash -c "! grep -q 'digest differs' '$out'"
tap_check "... and it printed the throughput ratio and both peak RSS figures" \
	bash -c "grep -q 'throughput ratio' '$out' && test \$(grep -c 'peak RSS' '$out') -eq 2"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$out"
tap_done
