#!/bin/bash
# `make bench-tpm` runs every one of its sequences to the end on a fresh
# swtpm: provisioning, install, boot and attest, then the vendor-approved
# install (which raises the floor with the vendor's floor approval) and
# boot, once with a transient storage parent and once with the persistent
# SRK. The figures are not judged; a sequence that fails is.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
bench=${BUILD:-$top/build}/bench/bench-tpm

tap_plan 3
out=$("$bench" 2>&1)
rc=$?
if [ "$rc" = 0 ]; then
	tap_ok "bench-tpm exits 0"
else
	tap_fail "bench-tpm exits 0" "exit $rc"
	sed 's/^/# /' <<<"$out" | tail -n 5
fi
rows=$(grep -c ' commands  swtpm ' <<<"$out")
if [ "$rows" = 12 ]; then
	tap_ok "bench-tpm prints 6 sequences for each storage parent"
else
	tap_fail "bench-tpm prints 6 sequences for each storage parent" "$rows rows"
fi
rows=$(grep -A1 '^  install, vendor-approved record' <<<"$out" | grep -c 'NV_Increment')
if [ "$rows" = 2 ]; then
	tap_ok "the vendor-approved install raises the floor"
else
	tap_fail "the vendor-approved install raises the floor" "$rows rows"
fi
tap_done
