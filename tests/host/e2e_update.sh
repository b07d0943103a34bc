#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# End-to-end scenario: the update life of one simulated device. A QEMU
# guest on Debian's kernel with a swtpm TPM whose state, like the disk,
# persists across boots; bundles made with `updatectl bundle create` on the
# host and served by nginx with client certificates required, on the
# guest's own loopback. Each boot is written here twice, side by side: its
# steps, which run in the guest (tests/e2e/device runs the function), and
# the checks the host makes of their results, exit codes by name
# (tests/lib/exit_codes.sh).
#
#   boot 1 (factory)  provision the TPM; raw writes refused; fetch and
#                     install refusals; resumed download; v1 into fw_b;
#                     replay refused
#   boot 2            fw_b tried and verified, marked good; v2 into fw_a
#                     refused by the kernel (fw_a was the trial's fallback
#                     when the policy was loaded: read-only until reboot);
#                     downgrade refused
#   boot 2b           fw_b boots confirmed; v2 into fw_a
#   boot 3            fw_a verified and marked good
#   (host)            one byte of fw_a flipped on the disk image
#   boot 4            tampered fw_a caught, fallback to fw_b; power cut
#                     while v3 is being written into fw_a
#   boot 5            fw_b, the fallback, boots and verifies after the
#                     power cut; retried install works
scenario=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

# install_killed_at WRITE BUNDLE: the test build of updatectl, killed
# (SIGKILL) right before its first persistent write named WRITE
# (abstate.c's FWGUARD_TEST_CUT hook); the kill's status is the step's.
install_killed_at() {
	local cut=/run/fwguard-cut pid i
	rm -f "$cut"
	FWGUARD_TEST_CUT=$1 FWGUARD_TEST_CUT_FILE=$cut "$build/tests/e2e/updatectl-cut" install "$2" &
	pid=$!
	for i in $(seq 600); do
		[ -e "$cut" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid"
}

# ---- boot 1: the factory --------------------------------------------------
boot1_factory() {
	step tpm-provision updatectl tpm provision
	security_up
	step dd-partition dd if=/dev/zero of=/dev/vda2 bs=4096 count=1 oflag=direct conv=notrunc
	step dd-whole-disk dd if=/dev/zero of=/dev/vda bs=512 count=8 \
		seek="$(cat /sys/class/block/vda2/start)" oflag=direct conv=notrunc
	step fetch-no-client-cert updatectl fetch --config "$work/etc-variants/no-client-cert.conf" v1.fwb
	step fetch-wrong-server-ca updatectl fetch --config "$work/etc-variants/wrong-server-ca.conf" v1.fwb
	step install-untrusted updatectl install https://localhost:8443/untrusted.fwb
	step fetch-overlong updatectl fetch overlong.fwb
	step verify-good updatectl verify "$work/srv/v1.fwb"
	step verify-bad-image updatectl verify "$work/srv/bad-image.fwb"
	step install-bad-image updatectl install "$work/srv/bad-image.fwb"
	step install-bad-image-url updatectl install https://localhost:8443/bad-image-url.fwb
	step install-untrusted-json updatectl install --json --quiet "$work/srv/untrusted.fwb"
	mkdir -p /var/lib/fwguard/downloads
	head -c 100000 "$work/srv/v1.fwb" >/var/lib/fwguard/downloads/v1.fwb.part
	# The validator an earlier run kept: nginx's ETag of the file.
	printf '"%x-%x"\n' "$(stat -c %Y "$work/srv/v1.fwb")" "$(stat -c %s "$work/srv/v1.fwb")" \
		>/var/lib/fwguard/downloads/v1.fwb.part.validator
	step fetch-resumed updatectl fetch v1.fwb
	step install-v1-killed install_killed_at journal-install /var/lib/fwguard/downloads/v1.fwb
	step counters-killed cat /sys/class/misc/fwguard/counters
	step install-v1 updatectl install /var/lib/fwguard/downloads/v1.fwb
	step counters-installed cat /sys/class/misc/fwguard/counters
	step install-replay updatectl install /var/lib/fwguard/downloads/v1.fwb
	# No tcti in the configuration: $FWGUARD_TCTI names the TPM, here none.
	step policy-load-no-tpm env FWGUARD_TCTI=swtpm:host=127.0.0.1,port=9 \
		updatectl policy load --json
	step status updatectl status --json
}
boot1_checks() {
	expect 1 tpm-provision ok "factory: TPM provisioned"
	expect 1 policy-load ok "factory: fwguard.ko loaded through libkmod and policy loaded"
	expect 1 keys-add ok "factory: modprobe.d options honoured (provisioning keyring accepts a key)"
	expect 1 keys-seal ok "factory: keyring sealed"
	expect 1 dd-partition 1 "raw dd to the firmware partition is refused (dd exits 1)" \
		"Operation not permitted"
	expect 1 dd-whole-disk 1 "dd through the whole-disk node into the slot is refused (dd exits 1)" \
		"Operation not permitted"
	expect 1 fetch-no-client-cert io "fetch without a client certificate is refused"
	expect 1 fetch-wrong-server-ca io "fetch from a server outside the pinned CA is refused" \
		"certificate"
	expect 1 install-untrusted verify "bundle from an untrusted signer is refused"
	expect 1 fetch-overlong verify "server sending more than the ticket allows is stopped" \
		"more than"
	expect 1 verify-good ok "verify accepts a good bundle without writing" "verified"
	expect 1 verify-bad-image verify "verify refuses an image not matching its ticket" \
		"does not match"
	expect 1 install-bad-image verify "image not matching its ticket is refused by the kernel" \
		"does not match"
	expect 1 install-bad-image-url verify "... and from a URL, streamed: by the kernel at commit" \
		"kernel refused to commit the image: image does not match"
	expect 1 install-untrusted-json verify "install --json of a refused bundle: the same code"
	json_is 1 install-untrusted-json "... and a JSON error object naming the step" \
		"j['error']['step'] == 'verify-ticket' and j['error']['name'] == 'verify'"
	expect 1 fetch-resumed ok "interrupted download resumes"
	expect 1 install-v1-killed 137 "install killed after the kernel's commit, before the journal's entry" \
		"before persistent write [0-9]+ \(journal-install\)"
	expect 1 install-v1 ok "v1 installed through the kernel gate into fw_b" "into slot fw_b"
	local killed installed
	killed=$(grep sessions_committed "$work/boots/1/counters-killed.out" 2>/dev/null)
	installed=$(grep sessions_committed "$work/boots/1/counters-installed.out" 2>/dev/null)
	if [ -n "$killed" ] && [ "$killed" = "$installed" ] && [ "$killed" != "sessions_committed 0" ]; then
		tap_ok "... the repeat in the same boot completed it without a kernel session"
	else
		tap_fail "... the repeat in the same boot completed it without a kernel session" \
			"after the kill: '$killed', after the repeat: '$installed'"
	fi
	expect 1 install-replay verify "replay of an installed bundle is refused" "replay"
	expect 1 policy-load-no-tpm tpm "policy load without a reachable TPM: the TPM's exit code"
	status_is 1 "after install: fw_b pending v1, fw_a untouched" \
		"$(slot_json fw_a active false false 0).*$(slot_json fw_b pending true false 2)"
}

# ---- boot 2: the new slot is tried, then the next update -------------------
boot2_verify_and_install() {
	step boot-verify updatectl boot-verify --json
	security_up
	step mark-good updatectl mark-good --json
	step install-v2 updatectl install https://localhost:8443/v2.fwb
	step install-downgrade updatectl install https://localhost:8443/old.fwb
	step status updatectl status --json
}
boot2b_install() {
	step boot-verify updatectl boot-verify
	security_up
	step install-v2 updatectl install https://localhost:8443/v2.fwb
	step status updatectl status --json
}
boot2_checks() {
	expect 2 boot-verify ok "reboot: fw_b tried and verified against the TPM"
	json_is 2 boot-verify "... boot-verify --json reports fw_b verified, on trial" \
		"j['components'][0]['slot'] == 'fw_b' and j['components'][0]['verified'] and j['components'][0]['trial']"
	expect 2 mark-good ok "fw_b marked good"
	json_is 2 mark-good "... mark-good --json reports it" "j['components'][0]['marked_good']"
	expect 2 install-v2 kernel "v2 into fw_a, the trial's fallback at policy load: refused until reboot" \
		"read-only until reboot"
	expect 2 install-downgrade verify "downgrade below the floor is refused" "floor"
	status_is 2 "floor raised to v1's version" '"floor":2'
}
boot2b_checks() {
	expect 2b boot-verify ok "reboot: fw_b boots confirmed and verifies" "fw_b verified"
	expect 2b install-v2 ok "v2 installed into fw_a" "into slot fw_a"
}

# ---- boot 3: the second update is tried and confirmed ----------------------
boot3_verify() {
	step boot-verify updatectl boot-verify
	security_up
	step mark-good updatectl mark-good
	step status updatectl status --json
}
boot3_checks() {
	expect 3 boot-verify ok "reboot: fw_a verified" "fw_a verified"
	expect 3 mark-good ok "fw_a marked good"
	status_is 3 "fw_a active and good, fw_b still good (at the floor)" \
		"$(slot_json fw_a active true true 2).*$(slot_json fw_b inactive true true 2).*\"floor\":2"
}

# ---- boot 4: one byte of the active slot changed while powered off, ------
# ---- then a power cut in the middle of an image write --------------------
# After the fallback, the next update goes into the tampered slot; wait
# until the kernel has written part of its image, then ask the host to cut
# the power.
boot4_tampered_power_cut() {
	local n
	step boot-verify updatectl boot-verify
	security_up
	step mark-good updatectl mark-good
	step status updatectl status --json
	updatectl install --quiet "$work/srv/v3.fwb" >"$out/powercut.out" 2>&1 &
	for n in $(seq 600); do
		if grep -q "allowed_session_bios [1-9]" /sys/class/misc/fwguard/counters 2>/dev/null; then
			touch "$out/cut-power"
			sleep 120
		fi
		sleep 0.05
	done
	echo "the image write never started" >"$out/powercut.err"
}
boot4_checks() {
	expect 4 boot-verify fallback "tampered active slot caught at boot, fallback named" \
		"falling back to slot fw_b"
	status_is 4 "after fallback fw_b is the active slot" "$(slot_json fw_b active true true 2)"
	if [ "$1" -eq 137 ]; then tap_ok "power cut during the image write"; else
		tap_fail "power cut during the image write" "harness exited $1"; fi
}

# ---- boot 5: after the fallback and the power cut --------------------------
boot5_retry() {
	step boot-verify updatectl boot-verify
	security_up
	step install-retry updatectl install "$work/srv/v3.fwb"
	step status updatectl status --json
}
boot5_checks() {
	expect 5 boot-verify ok "after fallback: fw_b verified against the TPM" "fw_b verified"
	expect 5 boot-verify ok "after the power cut the old slot still boots and verifies" \
		"fw_b verified"
	expect 5 install-retry ok "retried install succeeds" "into slot fw_a"
	status_is 5 "retried image pending in fw_a, fw_b active" \
		"$(slot_json fw_a pending true false 4).*$(slot_json fw_b active true true 2)"
}

# ---- the host: vendor side, device configuration, the boots ---------------
vendor_bundles() { # NAME VERSION SIGNER IMAGE_MIB, for each bundle
	bundle() {
		head -c $(($4 * 1024 * 1024)) /dev/urandom >"$work/$1.img"
		"$uc" bundle create --image "$work/$1.img" --component bootfw \
			--device-class infusion-pump --security-version "$2" \
			--key "$pki/$3.key" --cert "$pki/$3.crt" --output "$work/srv/$1.fwb" >/dev/null
	}
	bundle v1 2 signer 4
	# v2 at v1's security version: confirming it leaves the floor where
	# it is, so fw_b (v1) stays a legitimate fallback (boot 4).
	bundle v2 2 signer 4
	bundle v3 4 signer 60
	bundle old 1 signer 1
	bundle untrusted 5 other-signer 1
	bundle bad-image 5 signer 1
	# Another ticket for the streamed install: the kernel refuses a ticket
	# once used in this boot, even by a session that failed its commit.
	bundle bad-image-url 5 signer 1
	# Flip the last image byte: the ticket still verifies, the image does not.
	local size name
	for name in bad-image bad-image-url; do
		size=$(stat -c %s "$work/srv/$name.fwb")
		printf '\xff' | dd of="$work/srv/$name.fwb" bs=1 seek=$((size - 1)) conv=notrunc status=none
	done
	cp "$work/srv/v1.fwb" "$work/srv/overlong.fwb"
	head -c 4096 /dev/urandom >>"$work/srv/overlong.fwb"
}

device_conf() { # [SERVER_CA [CLIENT_CERT [CLIENT_KEY]]]
	cat <<CONF
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
CONF
}

# status_is BOOT DESCRIPTION PATTERN: status --json parses, and the
# compact document matches PATTERN.
status_is() {
	local f=$work/boots/$1/status.out
	if tail -n 1 "$f" | python3 -m json.tool >/dev/null 2>&1 && grep -qE "$3" "$f"; then
		tap_ok "$2"
	else
		tap_fail "$2" "status: $(cat "$f" 2>/dev/null)"
	fi
}

slot_json() { # NAME ROLE VALID GOOD VERSION
	echo "\\{\"name\":\"$1\",\"role\":\"$2\",\"valid\":$3,\"good\":$4,\"version\":$5,"
}

boot() { # NUMBER FUNCTION [HARNESS-OPTIONS...]
	local n=$1 fn=$2
	shift 2
	e2e_boot "$n" "$scenario" "$fn" -- "$@"
}

main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/e2e/lib.sh"
	e2e_host e2e
	mkdir -p "$work/etc-variants"
	vendor_bundles
	device_conf >"$work/etc/updatectl.conf"
	device_conf "" /nonexistent/cert /nonexistent/key >"$work/etc-variants/no-client-cert.conf"
	device_conf "$pki/other-ca.crt" >"$work/etc-variants/wrong-server-ca.conf"
	e2e_policy_conf "$work/etc/policy.conf"
	e2e_install_module
	"$top/tests/vm/mkdisk" "$work/disk.img"

	tap_plan 40
	boot 1 boot1_factory || tap_fail "boot 1 completed" "$(tail -n 20 "$work/boots/1.log")"
	boot1_checks
	boot 2 boot2_verify_and_install || tap_fail "boot 2 completed" "$(tail -n 20 "$work/boots/2.log")"
	boot2_checks
	boot 2b boot2b_install || tap_fail "boot 2b completed" "$(tail -n 20 "$work/boots/2b.log")"
	boot2b_checks
	boot 3 boot3_verify || tap_fail "boot 3 completed" "$(tail -n 20 "$work/boots/3.log")"
	boot3_checks
	e2e_tamper "$work/disk.img" 1
	boot 4 boot4_tampered_power_cut --kill-when cut-power
	boot4_checks $?
	boot 5 boot5_retry || tap_fail "boot 5 completed" "$(tail -n 20 "$work/boots/5.log")"
	boot5_checks
	tap_done
}

[ -n "${E2E_DEVICE:-}" ] || main "$@"
