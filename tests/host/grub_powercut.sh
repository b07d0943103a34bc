#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Power cuts in the boot protocol, through real GRUB boots (tests/vm/run
# --boot grub) of one tests/vm/mkbootdisk disk and one swtpm state. QEMU is
# killed at the cut: by the harness when GRUB's console says it boots the
# trial (after GRUB's own counter write, before the kernel runs), or when
# the test build of updatectl (build/tests/e2e/updatectl-cut, the
# FWGUARD_TEST_CUT hook of abstate.c) reaches the persistent write it was
# told to stop before. Each cut is followed by boots that must show P1
# (GRUB boots a slot that boot-verify verifies; it never halts), P2 (no slot
# below the floor is reported verified; the floor never falls), an
# environment block and slot state that parse, and a next update that
# installs. The factory slot a is adopted at version 1, the update is
# version 2: confirming it raises the floor to 2, below which a falls.
#
#   boot 1  factory: a adopted (version 1), v2 installed into b: trial b, 2 tries
#   boot 2  GRUB counts b down (2 -> 1) and is cut before the kernel runs
#   boot 3  GRUB boots b (1 -> 0); boot-verify verifies it; mark-good is cut
#           after the floor raise (floor 2), before the slot state is saved
#   boot 4  b has no tries left: GRUB boots a (version 1 < floor 2);
#           boot-verify refuses a and falls back to b, cut before the
#           fallback's slot state save
#   boot 5  GRUB boots b (the fallback's environment write made it a trial
#           again), it verifies, mark-good confirms it; v3 into a is refused
#           (a was the trial's fallback when the policy was loaded: both
#           slots are read-only until reboot)
#   boot 6  GRUB boots b confirmed; v3 installs into a
#
# GRUB_POWERCUT=all (make powercut-grub) adds every persistent write of
# boot-verify, mark-good, the fallback and install, each from a saved disk
# and TPM, each followed by recovery boots with the same checks.
scenario=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

# ---- guest side -------------------------------------------------------------
# What parses after a cut: the environment block and the slot state.
parsed_up() {
	e2e_bootenv_up || return 1
	step bootloader-status updatectl bootloader status
	step status-before updatectl status --json
}

# cut_step N NAME ARGS...: updatectl ARGS under the test build, the power cut
# before its N-th persistent write.
cut_step() {
	local n=$1 name=$2
	shift 2
	step "$name" env FWGUARD_TEST_CUT="$n" FWGUARD_TEST_CUT_FILE="$out/cut" \
		"$build/tests/e2e/updatectl-cut" "$@"
}

boot_factory() {
	e2e_bootenv_up || return 1
	step tpm-provision updatectl tpm provision
	step boot-verify updatectl boot-verify
	security_up
	step adopt updatectl adopt bootfw fw_a --version "${1:-1}"
	step install updatectl install "$work/srv/v2.fwb"
	umount /run/bootenv
}

# Never reached: the power goes while GRUB loads the kernel.
boot_userspace() {
	touch "$out/userspace-ran"
}

# boot_cut_mark_good N: verify, policy load, mark-good cut before write N.
boot_cut_mark_good() {
	parsed_up || return 1
	step boot-verify updatectl boot-verify --json
	security_up
	cut_step "$1" mark-good mark-good --json
}

# boot_cut_verify N: boot-verify cut before write N.
boot_cut_verify() {
	parsed_up || return 1
	cut_step "$1" boot-verify boot-verify --json
}

# boot_cut_install N: verify, policy load, install of v3 cut before write N.
boot_cut_install() {
	parsed_up || return 1
	step boot-verify updatectl boot-verify --json
	security_up
	cut_step "$1" install install "$work/srv/v3.fwb"
}

# Verify and confirm (no cut): the set-up of the confirmed state.
boot_confirm() {
	parsed_up || return 1
	step boot-verify updatectl boot-verify --json
	security_up
	step mark-good updatectl mark-good --json
	umount /run/bootenv
}

# After a cut: boot-verify; when the slot that runs verified, mark-good and
# the next update (bundle $1). A fallback leaves the rest to the next boot.
boot_recover() {
	parsed_up || return 1
	step boot-verify updatectl boot-verify --json
	step status updatectl status --json
	if running_verified "$out/boot-verify.out"; then
		security_up
		step mark-good updatectl mark-good --json
		step install updatectl install "$work/srv/$1.fwb"
		step status-after updatectl status --json
	fi
	step bootloader-after updatectl bootloader status
	umount /run/bootenv
}

# running_verified FILE: boot-verify's JSON says the slot GRUB booted verified.
running_verified() {
	local slot
	slot=$(grep -o 'fwguard.slot=[ab]' /proc/cmdline 2>/dev/null | head -n 1)
	slot=fw_${slot#fwguard.slot=}
	tail -n 1 "$1" | python3 -c "import json,sys; j=json.load(sys.stdin); c=j['components'][0]
sys.exit(0 if c['verified'] and c['slot'] == '$slot' else 1)" 2>/dev/null
}

# ---- host side --------------------------------------------------------------
# boot NAME FUNCTION [ARGS...] [-- HARNESS-OPTIONS]: sets $status.
boot() {
	local name=$1 fn=$2 args=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	e2e_boot "$name" "$scenario" "$fn" "${args[@]}" -- --boot grub --timeout 300 "$@"
	status=$?
}
cut_boot() { # NAME DESCRIPTION: the boot ended in the power cut (harness 137)
	if [ "$status" -eq 137 ]; then tap_ok "$2"; else
		tap_fail "$2" "harness exited $status, not 137 (power cut)"
		sed 's/^/#   /' "$work/boots/$1.log" | tail -n 20
	fi
}
ran() { # NAME DESCRIPTION
	if [ "$status" -eq 0 ]; then tap_ok "$2"; else
		tap_fail "$2" "harness exited $status$([ "$status" -eq 123 ] && echo ': GRUB halted, no bootable slot')"
		sed 's/^/#   /' "$work/boots/$1.log" | tail -n 20
	fi
}
# cut_at BOOT STEP N WRITE: the step's output names the cut point.
cut_at() {
	local msg="test power cut before persistent write $3 ($4)"
	if grep -qF "$msg" "$work/boots/$1/$2.out" 2>/dev/null && [ ! -e "$work/boots/$1/$2.rc" ]; then
		tap_ok "boot $1: $2 cut before its write $3 ($4)"
	else
		tap_fail "boot $1: $2 cut before its write $3 ($4)" \
			"$(tail -n 3 "$work/boots/$1/$2.out" 2>/dev/null | tr '\n' '|')"
	fi
}
# parsed BOOT: after a cut, the environment block and the slot state parse.
parsed() {
	local d=$work/boots/$1
	if [ "$(cat "$d/bootloader-status.rc" 2>/dev/null)" = 0 ] &&
		[ "$(cat "$d/status-before.rc" 2>/dev/null)" = 0 ] &&
		tail -n 1 "$d/status-before.out" | python3 -m json.tool >/dev/null 2>&1 &&
		"$genv" "$work/disk.img" list >/dev/null 2>&1; then
		tap_ok "boot $1: the environment block and the slot state parse (updatectl, grub-editenv)"
	else
		tap_fail "boot $1: the environment block and the slot state parse (updatectl, grub-editenv)" \
			"bootloader status rc $(cat "$d/bootloader-status.rc" 2>/dev/null), status rc $(cat "$d/status-before.rc" 2>/dev/null)"
		sed 's/^/#   /' "$d/bootloader-status.out" "$d/status-before.out" 2>/dev/null | tail -n 6
	fi
}
# floor_of BOOT STEP: the floor the step's status --json reported.
floor_of() {
	tail -n 1 "$work/boots/$1/$2.out" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["floor"])' 2>/dev/null
}
# p2 DESCRIPTION BOOT...: in these boots, every slot boot-verify reported
# verified is at or above the floor, and the floor never fell.
p2() {
	local desc=$1 b f last=0 bad=
	shift
	for b in "$@"; do
		f=$(floor_of "$b" status-before)
		[ -n "$f" ] || continue
		[ "$f" -ge "$last" ] || bad+=" boot $b: floor $f after $last;"
		last=$f
		if tail -n 1 "$work/boots/$b/boot-verify.out" 2>/dev/null | python3 -c "
import json,sys
j=json.load(sys.stdin)
sys.exit(1 if any(c['verified'] and c['version'] < $f for c in j['components']) else 0)" 2>/dev/null
		then :; else
			[ -e "$work/boots/$b/boot-verify.rc" ] && bad+=" boot $b: verified below floor $f;"
		fi
	done
	if [ -z "$bad" ]; then tap_ok "$desc"; else tap_fail "$desc" "$bad"; fi
}

vendor_bundles() {
	local v
	for v in 2 3 ${GRUB_POWERCUT:+4}; do
		e2e_slot_bundle "$v" || return 1
	done
}

# The scenario of the header (make check).
short_scenario() {
	boot 1 boot_factory
	ran 1 "factory boot: a adopted at version 1, v2 installed into b"
	expect 1 install ok "... the install made b GRUB's trial" "into slot fw_b"
	env_is "... env: trial b with 2 tries, a confirmed" "fwg_order=b a" fwg_b_ok=1 \
		fwg_b_left=2 fwg_a_ok=1 fwg_a_left=

	boot 2 boot_userspace -- --kill-on-console "fwguard: booting slot b"
	cut_boot 2 "boot 2: power cut right after GRUB counted the trial and chose b"
	if grep -aq "fwguard: slot b: trial boot, 1 left after this one" "$work/boots/2/console.log" &&
		! grep -aq "Linux version" "$work/boots/2/console.log" &&
		[ ! -e "$work/boots/2/userspace-ran" ]; then
		tap_ok "... GRUB had written its counter; no kernel, no userspace ran"
	else
		tap_fail "... GRUB had written its counter; no kernel, no userspace ran"
	fi
	env_is "... env after GRUB's cut write: b 1 try left" "fwg_order=b a" fwg_b_left=1

	boot 3 boot_cut_mark_good 2 -- --kill-when cut
	cut_boot 3 "boot 3: power cut in mark-good"
	booted 3 b "... GRUB booted the trial b again (its last try)"
	parsed 3
	json_is 3 boot-verify "P1 after GRUB's cut: boot-verify verifies b, on trial" \
		"j['components'][0]['slot'] == 'fw_b' and j['components'][0]['verified'] and j['components'][0]['trial']"
	cut_at 3 mark-good 2 save-slot-state

	boot 4 boot_cut_verify 3 -- --kill-when cut
	cut_boot 4 "boot 4: power cut in boot-verify's fallback"
	booted 4 a "... GRUB skipped b (no tries left) and booted a"
	parsed 4
	if [ "$(floor_of 4 status-before)" = 2 ]; then
		tap_ok "... the floor is 2: mark-good raised it before its cut"
	else
		tap_fail "... the floor is 2: mark-good raised it before its cut" "floor $(floor_of 4 status-before)"
	fi
	if grep -q "slot fw_a holds version 1, below the version floor 2" "$work/boots/4/boot-verify.out" &&
		! grep -q '"verified": *true' "$work/boots/4/boot-verify.out"; then
		tap_ok "P2: boot-verify refuses a, below the floor, and falls back"
	else
		tap_fail "P2: boot-verify refuses a, below the floor, and falls back"
		sed 's/^/#   /' "$work/boots/4/boot-verify.out" | tail -n 5
	fi
	cut_at 4 boot-verify 3 save-slot-state
	env_is "... the fallback's env write before the cut: a bad, b first with tries again" \
		"fwg_order=b a" fwg_a_ok=0 fwg_b_ok=1 fwg_b_left=2

	boot 5 boot_recover v3
	ran 5 "P1 after the fallback's cut: GRUB boots a slot (no halt)"
	booted 5 b "... GRUB boots b"
	parsed 5
	json_is 5 boot-verify "... boot-verify verifies b (version 2, at the floor)" \
		"j['components'][0]['slot'] == 'fw_b' and j['components'][0]['verified'] and j['components'][0]['version'] == 2"
	expect 5 mark-good ok "... mark-good confirms b"
	expect 5 install kernel "... v3 into fw_a refused: it was b's fallback when the policy was loaded (read-only until reboot)" \
		"read-only until reboot"
	env_is "... env: b confirmed, a untouched by the refused install" "fwg_order=b a" fwg_a_ok=0 \
		fwg_b_ok=1 fwg_b_left=

	boot 6 boot_recover v3
	ran 6 "boot 6: GRUB boots a slot"
	booted 6 b "... GRUB boots b, confirmed"
	expect 6 install ok "the next update installs (v3 into fw_a)" "into slot fw_a"
	env_is "... env: trial a, b confirmed" "fwg_order=a b" fwg_a_ok=1 fwg_a_left=2 \
		fwg_b_ok=1 fwg_b_left=
	p2 "P2 over boots 3-6: nothing below the floor verified, the floor never fell" 3 4 5 6
}

# ---- GRUB_POWERCUT=all ----------------------------------------------------
# The device is saved (disk image and TPM state) at two points, and every
# case starts from one of them: "trial" (a adopted at version 2, v2
# installed into b: trial b) and "confirmed" (b confirmed; a, version 2,
# still at the floor, so a fallback has somewhere to go).
save_device() { rm -rf "$work/saved-$1"; mkdir "$work/saved-$1"
	cp --sparse=always "$work/disk.img" "$work/saved-$1/disk.img"; cp -a "$work/tpm" "$work/saved-$1/tpm"; }
load_device() { rm -rf "$work/tpm"; cp --sparse=always "$work/saved-$1/disk.img" "$work/disk.img"
	cp -a "$work/saved-$1/tpm" "$work/tpm"; }

# recover CASE BUNDLE: up to three boots after the cut of CASE. P1: GRUB
# never halts and one of them verifies the slot it booted; every boot's
# environment block and slot state parse; the next update (BUNDLE)
# installs; P2 over the boots.
recover() {
	local c=$1 i name boots=() why=
	for i in 1 2 3; do
		name=$c.r$i
		boot "$name" boot_recover "$2"
		boots+=("$name")
		if [ "$status" -eq 123 ]; then why="boot $name: GRUB halted, no bootable slot"; break; fi
		if [ "$status" -ne 0 ] || [ "$(cat "$work/boots/$name/bootloader-status.rc" 2>/dev/null)" != 0 ] ||
			[ "$(cat "$work/boots/$name/status-before.rc" 2>/dev/null)" != 0 ]; then
			why="boot $name: exited $status, or the env block or the state did not parse"; break
		fi
		[ "$(cat "$work/boots/$name/install.rc" 2>/dev/null)" = 0 ] && break
		why="no boot verified its slot and installed $2"
	done
	[ "$(cat "$work/boots/$name/install.rc" 2>/dev/null)" = 0 ] && why=
	if [ -z "$why" ]; then
		tap_ok "$c: P1, env and state parse, the next update installs (${#boots[@]} boot(s))"
	else
		tap_fail "$c: P1, env and state parse, the next update installs" "$why"
		sed 's/^/#   /' "$work/boots/$name.log" | tail -n 12
	fi
	p2 "$c: P2 over the boots after the cut" "${boots[@]}"
}

# cut_case CASE SAVED FUNCTION STEP: cut FUNCTION's STEP before each of its
# writes in turn, from the saved device, until a run has no write left to
# cut; each cut is followed by recover.
cut_case() {
	local c=$1 saved=$2 fn=$3 st=$4 bundle=$5 n=1
	while [ "$n" -le 9 ]; do
		load_device "$saved"
		[ "$saved" = tampered ] && e2e_tamper "$work/disk.img" 2 $(( $(stat -c %s "$work/v2.img") - 1 ))
		boot "$c$n" "$fn" "$n" -- --kill-when cut
		if [ "$status" -eq 0 ]; then
			tap_ok "$c: $((n - 1)) persistent writes, each cut (run $n ran to the end)"
			return
		elif [ "$status" -ne 137 ]; then
			tap_fail "$c$n: the boot ends in the cut or runs to the end" "harness exited $status"
			return
		fi
		tap_ok "$c$n: $(grep -o 'before persistent write [0-9]* ([a-z-]*)' "$work/boots/$c$n/$st.out" 2>/dev/null | head -n 1)"
		recover "$c$n" "$bundle"
		n=$((n + 1))
	done
}

all_scenario() {
	boot s1 boot_factory 2
	ran s1 "all: factory boot, a adopted at version 2, v2 installed into b"
	save_device trial
	boot s2 boot_confirm
	ran s2 "all: b verified and confirmed"
	save_device confirmed
	save_device tampered	# b's image is changed as each case loads it

	cut_case fallback- tampered boot_cut_verify boot-verify v3
	cut_case mark-good- trial boot_cut_mark_good mark-good v3
	load_device trial
	boot grubcount boot_userspace -- --kill-on-console "fwguard: booting slot b"
	cut_boot grubcount "grub-count: power cut after GRUB's counter write"
	recover grub-count v3
	cut_case boot-verify- trial boot_cut_verify boot-verify v3
	cut_case install- confirmed boot_cut_install install v4
}

main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/e2e/lib.sh"
	e2e_host grub-powercut

	if [ "${GRUB_POWERCUT:-}" = all ]; then echo "TAP version 13"; else tap_plan 31; fi
	if grep -q FWGUARD_TEST_CUT "$uc" || ! grep -q FWGUARD_TEST_CUT "$build/tests/e2e/updatectl-cut"; then
		tap_fail "only the test build carries the power-cut hook"
	else
		tap_ok "only the test build carries the power-cut hook"
	fi
	if ! vendor_bundles >"$work/setup.log" 2>&1 ||
		! "$top/tests/vm/mkbootdisk" --kernel "$kver" "$work/disk.img" >>"$work/setup.log" 2>&1; then
		sed 's/^/# /' "$work/setup.log"
		tap_fail "boot disk and signed slot images are built"
		tap_done; exit
	fi
	e2e_grub_conf >"$work/etc/updatectl.conf"
	e2e_policy_conf "$work/etc/policy.conf"
	e2e_install_module
	if [ "${GRUB_POWERCUT:-}" = all ]; then
		all_scenario
		echo "1..$tap_n"
	else
		short_scenario
	fi
	tap_done
}

[ -n "${E2E_DEVICE:-}" ] || main "$@"
