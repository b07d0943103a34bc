# shellcheck shell=bash
# Sourced first by the scripts of tests/guest/own/, each of which runs in
# a guest of its own (a tests/host/ wrapper boots it) with a fresh
# fwguard.ko and TPM: `. lib.sh NAME` sets $top, $build, $u (updatectl),
# $pol (the module's policy file) and $work (/tmp/fwguard-NAME.*, removed
# on exit), loads the TAP and exit-code helpers and points tpm2-tools at
# the guest's TPM.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/exit_codes.sh"
build=${BUILD:-$top/build}
u=$build/bin/updatectl
work=$(mktemp -d "/tmp/fwguard-$1.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TPM2TOOLS_TCTI=device:/dev/tpmrm0
pol=/sys/class/misc/fwguard/policy
