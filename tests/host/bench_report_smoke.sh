#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The install benchmark's report (tests/bench/bench-report, what
# `make bench-install` prints) keeps reading what the guest side records:
# given a results directory of known figures it prints every ratio with
# the median and spread it must have, flags a spread that straddles its
# target, and leaves out nothing. (The benchmark proper boots guests.)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
dir=$(mktemp -d /tmp/fwguard-bench-report.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# Three rounds. Per round: session/min(afalg, dd) as rates, i.e.
# max(afalg, dd time) / session time; install / fastest peer as times.
cat >"$dir/rounds" <<'EOF'
dd_fw_b 1 2.0
dd_data0 1 2.0
dd_fw_b 2 2.0
dd_data0 2 2.2
dd_fw_b 3 2.0
dd_data0 3 1.8
session 1 10.0
afalg 1 9.5
dd_data 1 2.0
install 1 11.0
rauc_plain 1 18.0
rauc_verity 1 10.0
swupdate 1 16.0
session 2 10.0
afalg 2 9.0
dd_data 2 2.0
install 2 9.0
rauc_plain 2 18.0
rauc_verity 2 10.0
swupdate 2 16.0
session 3 10.0
afalg 3 9.8
dd_data 3 2.0
install 3 10.0
rauc_plain 3 18.0
rauc_verity 3 10.0
swupdate 3 16.0
install_stream 1 10.5
fetch_null 1 10.0
stream_rss_kib 1 13824
stream_disk_bytes 1 0
install_stream 2 10.0
fetch_null 2 10.0
stream_rss_kib 2 14336
stream_disk_bytes 2 0
install_stream 3 11.0
fetch_null 3 10.0
stream_rss_kib 3 13312
stream_disk_bytes 3 0
sha256sum 1 1.0
openssl 1 2.0
boot_verify 1 1.2
tpm 1 0.2
sha256sum 2 1.0
openssl 2 0.8
boot_verify 2 1.0
tpm 2 0.2
host_sha256sum 1 0.4
host_openssl 1 0.1
host_boot_verify 1 0.3
host_tpm 1 0.1
EOF
echo "driver sha256-generic" >"$dir/info"
echo 256 >"$dir/mib"
"$top/tests/bench/bench-report" "$dir" >"$dir/out" 2>&1
rc=$?

has() { grep -qF -- "$1" "$dir/out"; }
tap_plan 10
tap_check "bench-report exits 0 on a complete results directory" test "$rc" -eq 0
tap_check "... names the session's driver" has "hashed with sha256-generic"
tap_check "... session / bound: median 0.95 [0.90..0.98], met" \
	has "O_DIRECT write): median 0.95 [0.90..0.98] over 3 rounds (target >= 0.90, met)"
tap_check "... session against the serial bound: median 0.87 [0.85..0.91], met" \
	has "the bound when hashing and I/O share CPUs: median 0.87 [0.85..0.91] over 3 rounds (target <= 1.00, met)"
tap_check "... install / fastest peer: median 1.00 [0.90..1.10], straddles" \
	has "fastest peer's: median 1.00 [0.90..1.10] over 3 rounds (target <= 1.00, spread straddles the target)"
tap_check "... guest boot-verify against the faster hasher plus TPM, 2 rounds" \
	has "guest boot-verify / (min(sha256sum, openssl) + TPM): median 1.00 [1.00..1.00] over 2 rounds (target <= 1.10, met)"
tap_check "... host boot-verify, not met" \
	has "host (file) boot-verify / (min(sha256sum, openssl) + TPM): median 1.50 [1.50..1.50] over 1 rounds (target <= 1.10, not met)"
tap_check "... streaming install / fetch to /dev/null: median 1.05 [1.00..1.10], straddles" \
	has "same nginx: median 1.05 [1.00..1.10] over 3 rounds (target <= 1.05, spread straddles the target)"
tap_check "... streaming install peak RSS and disk use" bash -c \
	"grep -qF 'peak RSS, MiB: median 13.50 [13.00..14.00] over 3 rounds (target <= 16.00, met)' '$dir/out' &&
	 grep -qF 'download directory: at most 0 over 3 rounds (target: none)' '$dir/out'"
tap_check "... every peer's time" \
	bash -c "grep -c 'RAUC 1.8, plain bundle .*median 18.00 s\|RAUC 1.8, verity bundle .*median 10.00 s\|SWUpdate, installed-directly .*median 16.00 s' '$dir/out' | grep -qx 3"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$dir/out"
tap_done
