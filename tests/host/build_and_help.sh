#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The build asks apt only when a recipe needs the kernel version: make -n
# (of the default goal, check and clean) runs no apt-cache or apt-get.
# Help texts end where they should: tests/vm/run --help ends with its
# usage text, and every updatectl command's --help exits ok.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
test_workdir build

tap_plan 6

# apt-cache and apt-get that only record that they were asked.
mkdir -p "$work/bin"
for tool in apt-cache apt-get; do
	printf '#!/bin/sh\necho "%s $*" >>%s/apt-calls\nexit 1\n' "$tool" "$work" >"$work/bin/$tool"
	chmod +x "$work/bin/$tool"
done
for goal in "" check clean; do
	rm -f "$work/apt-calls"
	PATH=$work/bin:$PATH make -n -C "$top" BUILD="$work/build" $goal >/dev/null 2>&1
	tap_check "make -n ${goal:-(default goal)} asks apt nothing" test ! -e "$work/apt-calls"
done

tap_check "tests/vm/run --help ends with its usage text" \
	sh -c "'$top/tests/vm/run' --help | tail -n 1 | grep -q 'guest console is shown'"

uc=$build/bin/updatectl
bad=
for cmd in fetch verify install boot-verify mark-good status "bundle create" "bundle inspect" \
	"policy load" "policy status" "keys add" "keys list" "keys seal" "tpm provision" \
	"tpm status" "tpm measure" "tpm seal" "tpm unseal-verify" "tpm floor" "tpm replay" \
	"tpm ak-public" attest "attest verify"; do
	# shellcheck disable=SC2086
	"$uc" $cmd --help >"$work/help" 2>&1 && grep -q "^usage: updatectl $cmd" "$work/help" ||
		bad="$bad [$cmd]"
done
tap_check "every updatectl command's --help prints its usage and exits ok" test -z "$bad"
"$uc" --help >"$work/help" 2>&1
tap_check "updatectl --help lists every command" \
	sh -c "for c in fetch verify install boot-verify mark-good status bundle policy keys tpm attest; do grep -q \"^  \$c \" '$work/help' || exit 1; done"
tap_done
