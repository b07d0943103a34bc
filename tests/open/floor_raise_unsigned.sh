#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Open finding (tpm/TPM.md "Version floor", "Open: raising only with the
# vendor's signature"): any process that reaches the TPM raises the
# version floor without a vendor-signed ticket, a denial of service on
# every later update. Against swtpm on the host: the factory provisions
# with the platform hierarchy open, the firmware closes it, and root, with
# the empty authorisation the index takes (AUTHWRITE), increments the
# counter with tpm2-tools, and through updatectl itself. Each check asks
# that the floor did not move; both fail today.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
build=${BUILD:-$top/build}
uc=$build/bin/updatectl
work=$(mktemp -d /tmp/fwguard-floor-raise.XXXXXX)
swtpm_pid=
trap '[ -n "$swtpm_pid" ] && kill "$swtpm_pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
export FWGUARD_LOCK=$work/lock TSS2_LOG=all+NONE
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/tpm" "$work/state"
swtpm socket --tpm2 --server type=tcp,port="$port",bindaddr=127.0.0.1 \
	--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --tpmstate dir="$work/tpm" \
	--flags not-need-init,startup-clear >/dev/null 2>&1 &
swtpm_pid=$!
tcti=swtpm:host=127.0.0.1,port=$port
for _ in $(seq 200); do	# listening; a probe connection would end swtpm
	ss -Hltn "sport = :$port" | grep -q . && break
	sleep 0.05
done
: >"$work/updatectl.conf"
tpm() { "$uc" tpm "$@" --config "$work/updatectl.conf" --tcti "$tcti" --state-dir "$work/state"; }
floor() { tpm floor --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["floor"])'; }

tap_plan 3
tpm provision --json >"$work/prov.out" 2>&1
tap_check "factory: the floor is in the platform hierarchy" \
	grep -q '"floor_hierarchy":"platform"' "$work/prov.out"
# The firmware: the platform hierarchy closed until the next TPM reset.
tpm2_hierarchycontrol -T "$tcti" -C p phEnable clear >/dev/null 2>&1
before=$(floor)

tpm2_nvincrement -T "$tcti" -C 0x01004657 0x01004657 >/dev/null 2>&1
after=$(floor)
if [ -n "$before" ] && [ "$after" = "$before" ]; then
	tap_ok "root cannot raise the floor with tpm2_nvincrement"
else
	tap_fail "root cannot raise the floor with tpm2_nvincrement" "floor $before -> $after"
fi

tpm floor --raise $((before + 100)) >/dev/null 2>&1
after2=$(floor)
if [ -n "$before" ] && [ "$after2" = "$after" ]; then
	tap_ok "root cannot raise the floor through updatectl without a signed ticket"
else
	tap_fail "root cannot raise the floor through updatectl without a signed ticket" \
		"floor $after -> $after2"
fi
tap_done
