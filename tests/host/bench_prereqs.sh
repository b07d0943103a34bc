#!/bin/bash
# Every benchmark target builds what it reads, so each works as the first
# command on a fresh clone: a dry run (make -n) from an empty build
# directory must make the test PKI for the benchmarks that sign tickets or
# bundles or link the signer into .fwguard (bench-kmod, bench-bundle,
# bench-install), and must build the benchmark program itself (and
# bench-install its helpers and its peers' packages). bench-tpm
# reads nothing from the build directory but its program.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
work=$(mktemp -d "${BUILD:-$top/build}/bench-prereqs.XXXXXX")
trap 'rm -rf "$work"' EXIT

declare -A dry=()
needs() {	# TARGET PATTERN WHAT
	local out
	[ -n "${dry[$1]:-}" ] || dry[$1]=$(make -n -C "$top" BUILD="$work/build" "$1" 2>&1)
	out=${dry[$1]}
	if grep -q -- "$2" <<<"$out"; then
		tap_ok "$1 builds $3"
	else
		tap_fail "$1 builds $3" "no '$2' in its dry run"
		sed 's/^/# /' <<<"$out" | tail -n 20
	fi
}

tap_plan 10
needs bench-kmod tests/pki/mkpki "the test PKI"
needs bench-kmod "-o $work/build/bench/bench-kmod" "its program"
needs bench-bundle tests/pki/mkpki "the test PKI"
needs bench-bundle "-o $work/build/bin/updatectl" "updatectl"
needs bench-install tests/pki/mkpki "the test PKI"
needs bench-install "-o $work/build/bin/updatectl" "updatectl"
needs bench-install "-o $work/build/bench/afalg-hash" "its AF_ALG hash program"
needs bench-install "-o $work/build/bench/bench-verify-host" "its host boot-verify program"
needs bench-install "tests/deps --bench" "its peers (RAUC, SWUpdate)"
needs bench-tpm "-o $work/build/bench/bench-tpm" "its program"
tap_done
