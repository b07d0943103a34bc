#!/bin/bash
# End-to-end update scenarios on one simulated device: a QEMU guest on
# Debian's kernel with a swtpm TPM whose state, like the disk, persists
# across boots. Bundles are made with `updatectl bundle create` on the host
# and served by nginx with client certificates required, on the guest's own
# loopback. The guest side of each boot is tests/e2e/device.
#
#   boot 1 (factory)  provision the TPM; raw writes refused; fetch and
#                     install refusals; resumed download; v1 into fw_b;
#                     replay refused
#   boot 2            fw_b tried and verified, marked good; v2 into fw_a;
#                     downgrade refused
#   boot 3            fw_a verified and marked good
#   (host)            one byte of fw_a flipped on the disk image
#   boot 4            tampered fw_a caught, fallback to fw_b
#   boot 5            fw_b verified; power cut while v3 is being written
#   boot 6            fw_b still boots and verifies; retried install works
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
build=${BUILD:-$top/build}
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
. "$top/tests/e2e/lib.sh"
uc=$build/bin/updatectl
pki=$build/pki
work=$(mktemp -d "$build/e2e.XXXXXX")
trap '[ -n "${E2E_KEEP:-}" ] || rm -rf "$work"' EXIT

# ---- the vendor side: images and bundles --------------------------------
mkdir -p "$work/srv" "$work/etc" "$work/etc-variants" "$work/boots"
bundle() { # NAME VERSION SIGNER IMAGE_MIB
	head -c $(($4 * 1024 * 1024)) /dev/urandom >"$work/$1.img"
	"$uc" bundle create --image "$work/$1.img" --component bootfw \
		--device-class infusion-pump --security-version "$2" \
		--key "$pki/$3.key" --cert "$pki/$3.crt" --output "$work/srv/$1.fwb" >/dev/null
}
bundle v1 2 signer 4
bundle v2 3 signer 4
bundle v3 4 signer 60
bundle old 1 signer 1
bundle untrusted 5 other-signer 1
bundle bad-image 5 signer 1
# Flip the last image byte: the ticket still verifies, the image does not.
size=$(stat -c %s "$work/srv/bad-image.fwb")
printf '\xff' | dd of="$work/srv/bad-image.fwb" bs=1 seek=$((size - 1)) conv=notrunc status=none
cp "$work/srv/v1.fwb" "$work/srv/overlong.fwb"
head -c 4096 /dev/urandom >>"$work/srv/overlong.fwb"

# ---- the device's configuration -----------------------------------------
conf() {
	cat <<EOF
server_url = https://localhost:8443
server_ca = ${1:-$pki/root-ca.crt}
client_cert = ${2:-$pki/device-client.crt}
client_key = ${3:-$pki/device-client.key}
trust = $pki/root-ca.crt
device_class = infusion-pump
state_dir = /var/lib/fwguard
download_dir = /var/lib/fwguard/downloads
policy = /etc/fwguard/policy.conf
attempts = 2
EOF
}
conf >"$work/etc/updatectl.conf"
conf "" /nonexistent/cert /nonexistent/key >"$work/etc-variants/no-client-cert.conf"
conf "$pki/other-ca.crt" >"$work/etc-variants/wrong-server-ca.conf"
e2e_policy_conf "$work/etc/policy.conf"

e2e_install_module
"$top/tests/vm/mkdisk" "$work/disk.img"

boot() { # NAME SCENARIO [harness options...]
	local name=$1 scenario=$2
	shift 2
	mkdir -p "$work/boots/$name"
	"$top/tests/vm/run" --kernel "$kver" --disk "$work/disk.img" --tpm-state "$work/tpm" \
		--out "$work/boots/$name" "$@" -- \
		"$top/tests/e2e/device" "$work" "$work/boots/$name" "$scenario" \
		>"$work/boots/$name.log" 2>&1
}

# expect BOOT STEP RC DESCRIPTION [GREP-PATTERN]
expect() {
	local dir=$work/boots/$1 rc
	rc=$(cat "$dir/$2.rc" 2>/dev/null || echo missing)
	if [ "$rc" = "$3" ] && { [ -z "${5:-}" ] || grep -qE "$5" "$dir/$2.out"; }; then
		tap_ok "$4"
	else
		tap_fail "$4" "step $2 exited $rc, expected $3${5:+ with /$5/}"
		sed 's/^/#   /' "$dir/$2.out" 2>/dev/null | tail -n 8
	fi
}

# status_is BOOT DESCRIPTION JQ-LIKE-PATTERN (grep on the compact JSON)
status_is() {
	if grep -qE "$3" "$work/boots/$1/status.out" 2>/dev/null; then
		tap_ok "$2"
	else
		tap_fail "$2" "status: $(cat "$work/boots/$1/status.out" 2>/dev/null)"
	fi
}

slot_json() { # NAME ROLE VALID GOOD VERSION
	echo "\\{\"name\":\"$1\",\"role\":\"$2\",\"valid\":$3,\"good\":$4,\"version\":$5,"
}

tap_plan 32

boot 1 factory || tap_fail "boot 1 completed" "$(tail -n 20 "$work/boots/1.log")"
expect 1 tpm-provision 0 "factory: TPM provisioned"
expect 1 policy-load 0 "factory: fwguard.ko loaded through libkmod and policy loaded"
expect 1 keys-add 0 "factory: modprobe.d options honoured (provisioning keyring accepts a key)"
expect 1 keys-seal 0 "factory: keyring sealed"
expect 1 dd-partition 1 "raw dd to the firmware partition is refused" "Operation not permitted"
expect 1 dd-whole-disk 1 "dd through the whole-disk node into the slot is refused" "Operation not permitted"
expect 1 fetch-no-client-cert 6 "fetch without a client certificate is refused"
expect 1 fetch-wrong-server-ca 6 "fetch from a server outside the pinned CA is refused" "certificate"
expect 1 install-untrusted 3 "bundle from an untrusted signer is refused"
expect 1 fetch-overlong 3 "server sending more than the ticket allows is stopped" "more than"
expect 1 verify-good 0 "verify accepts a good bundle without writing" "verified"
expect 1 verify-bad-image 3 "verify refuses an image not matching its ticket" "does not match"
expect 1 install-bad-image 3 "image not matching its ticket is refused by the kernel" "does not match"
expect 1 fetch-resumed 0 "interrupted download resumes"
expect 1 install-v1 0 "v1 installed through the kernel gate into fw_b" "into slot fw_b"
expect 1 install-replay 3 "replay of an installed bundle is refused" "replay"
status_is 1 "after install: fw_b pending v1, fw_a untouched" \
	"$(slot_json fw_a active false false 0).*$(slot_json fw_b pending true false 2)"

boot 2 verify-and-install || tap_fail "boot 2 completed" "$(tail -n 20 "$work/boots/2.log")"
expect 2 boot-verify 0 "reboot: fw_b tried and verified against the TPM" "fw_b verified"
expect 2 mark-good 0 "fw_b marked good"
expect 2 install-v2 0 "v2 installed into fw_a" "into slot fw_a"
expect 2 install-downgrade 3 "downgrade below the floor is refused" "floor"
status_is 2 "floor raised to v1's version" '"floor":2'

boot 3 verify || tap_fail "boot 3 completed" "$(tail -n 20 "$work/boots/3.log")"
expect 3 boot-verify 0 "reboot: fw_a verified" "fw_a verified"
expect 3 mark-good 0 "fw_a marked good"
status_is 3 "fw_a active and good, fw_b still good" \
	"$(slot_json fw_a active true true 3).*$(slot_json fw_b inactive true true 2).*\"floor\":3"

# Tamper with one byte of the active slot on the powered-off device.
e2e_tamper "$work/disk.img" 1

boot 4 verify || tap_fail "boot 4 completed" "$(tail -n 20 "$work/boots/4.log")"
expect 4 boot-verify 8 "tampered active slot caught at boot, fallback named" "falling back to slot fw_b"
status_is 4 "after fallback fw_b is the active slot" "$(slot_json fw_b active true true 2)"

boot 5 verify-then-power-cut --kill-when cut-power
status=$?
if [ "$status" -eq 137 ]; then tap_ok "power cut during the image write"; else
	tap_fail "power cut during the image write" "harness exited $status"; fi
expect 5 boot-verify 0 "after fallback: fw_b verified against the TPM" "fw_b verified"

boot 6 verify-then-retry || tap_fail "boot 6 completed" "$(tail -n 20 "$work/boots/6.log")"
expect 6 boot-verify 0 "after the power cut the old slot still boots and verifies" "fw_b verified"
expect 6 install-retry 0 "retried install succeeds" "into slot fw_a"
status_is 6 "retried image pending in fw_a, fw_b active" \
	"$(slot_json fw_a pending true false 4).*$(slot_json fw_b active true true 2)"
tap_done
