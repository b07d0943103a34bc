#!/bin/bash
# updatectl policy/keys against fwguard.ko, in the guest. Works in a fresh
# boot and after the fwguard kselftests (same component, device class and
# signer; floor 1): everything it does is idempotent or only stricter.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/exit_codes.sh"
build=${BUILD:-$top/build}
u=$build/bin/updatectl
pki=$build/pki
work=$(mktemp -d /tmp/fwguard-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT

tap_plan 9

[ -e /sys/module/fwguard ] ||
	insmod "$build/kmod/$(uname -r)/fwguard.ko" keyring_mode=provision
mkdir -p "$work/state"
cat >"$work/updatectl.conf" <<CONF
device_class = fwguard-test
state_dir = $work/state
policy = $work/policy.conf
CONF
echo "component firmware fw_a=PARTLABEL=fw_a fw_b=PARTUUID=6f776761-0000-4000-8000-00000000000b" \
	>"$work/policy.conf"

if grep -q unsealed /sys/class/misc/fwguard/keyring; then
	"$u" keys add "$pki/signer.der" >/dev/null
	tap_check "keys add puts a DER certificate into .fwguard" test $? -eq "$(uc_exit ok)"
	"$u" keys seal >/dev/null
	tap_check "keys seal seals the keyring" test $? -eq "$(uc_exit ok)"
else
	tap_skip "keys add puts a DER certificate into .fwguard" "keyring sealed earlier in this boot"
	tap_skip "keys seal seals the keyring" "keyring sealed earlier in this boot"
fi
grep -q "provision sealed" /sys/class/misc/fwguard/keyring &&
	tap_ok "keyring reports sealed" || tap_fail "keyring reports sealed"
"$u" keys seal >/dev/null
tap_check "keys seal again is harmless" test $? -eq "$(uc_exit ok)"
"$u" keys add "$pki/other-signer.der" 2>/dev/null
tap_check "keys add after seal: kernel (refused)" test $? -eq "$(uc_exit kernel)"
"$u" keys list --json >"$work/keys.json"
grep -q '"description":"fwguard ticket signer' "$work/keys.json" && is_json "$work/keys.json" &&
	tap_ok "keys list --json shows the signer, as valid JSON" ||
	tap_fail "keys list --json shows the signer, as valid JSON"

"$u" policy load --config "$work/updatectl.conf" --floor 1 >"$work/load.out"
tap_check "policy load protects both slots" grep -q "slot fw_b /dev/vda2" "$work/load.out"
"$u" policy load --config "$work/updatectl.conf" --floor 0 2>/dev/null
tap_check "policy load with a lower floor: kernel" test $? -eq "$(uc_exit kernel)"
dd if=/dev/zero of=/dev/vda2 bs=4k count=1 2>/dev/null
tap_check "the loaded policy is enforced" test $? -ne 0
tap_done
