#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Crash points from a write log. One device (a tests/vm/mkdisk disk, one
# swtpm state) is set up at the factory (TPM provisioned, slot fw_a
# adopted at version 1); then the boots that carry the operations under
# test run with every write, flush and discard of the disk recorded
# (tests/vm/run --log-writes, QEMU's blklogwrites driver):
#
#   install     boot-verify, policy load, then `updatectl install` of v2
#               into fw_b (recorded between the two marks)
#   boot-verify the next boot's boot-verify of the trial fw_b
#   mark-good   ... and its mark-good (raises the TPM floor to 2)
#
# The guest writes a mark sector outside every partition (after a sync)
# before and after each operation, so the log entries of the operation
# are those between them. tests/crash/replay turns the log into crash
# points (each flush; between flushes, writes lost at random; one torn
# write per flush interval) and each point into a disk image: the disk
# as it was before the boot with the point's writes applied. Every
# distinct image is booted with a copy of the TPM state of that point and
# checked:
#
#   P1      boot-verify verifies the slot that runs (not factory state: the
#           device was adopted; exit 8 only for a trial the cut abandoned,
#           the last good slot then running verified). A fall back whose
#           running slot is not verified reboots the image once, and the
#           reboot's boot-verify must verify the slot fallen back to
#   P2      the verified slot's version is at or above the floor, and the
#           floor did not fall
#   state   `updatectl status` parses every slot state
#   next    an install of v3 succeeds afterwards (after a mark-good when
#           the crash image boots a trial): it lands as the pending slot
#
# TPM state per point: the TPM's persistent state changes during these
# operations only by the floor raise of mark-good (NV counter), which
# happens before mark-good's first disk write; install, boot-verify's
# extend and the seals change nothing that survives a reboot (PCRs reset;
# sealed records are files on the disk). So points of install and
# boot-verify get the TPM as it was before their boot, points of
# mark-good the TPM as it was after it (the floor already raised): every
# pair (disk, TPM) booted is one a power cut can leave.
#
# Usage: crash_points.sh [OPS]   OPS: a list of install, boot-verify,
#        mark-good (default: all three). CRASH_DROPS (2) and CRASH_SEED
#        (20261203) tune the sample; CRASH_LAST=K boots only the last K
#        distinct states of each operation. Prints TAP: one test per
#        operation for the offline checks, one per booted image.
scenario=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

# ---- guest side -------------------------------------------------------------
# A mark sector, in the gap between the GPT's entry array and fw_a.
crash_mark() {
	sync
	printf 'fwguard crash mark %s\n' "$1" |
		dd of=/dev/vda bs=512 seek="$1" count=1 conv=sync,notrunc oflag=direct status=none
	sync
}

crash_factory() {
	step tpm-provision updatectl tpm provision
	security_up
	step adopt updatectl adopt bootfw fw_a --version 1
}

crash_record_install() {
	cat /sys/block/vda/queue/write_cache >"$out/write_cache"
	step boot-verify updatectl boot-verify
	security_up
	crash_mark 40
	step install updatectl install "$work/srv/v2.fwb"
	crash_mark 41
	step status updatectl status --json
}

crash_record_trial() {
	crash_mark 40
	step boot-verify updatectl boot-verify --json
	crash_mark 41
	security_up
	crash_mark 42
	step mark-good updatectl mark-good
	crash_mark 43
	step status updatectl status --json
}

# The checks of one crash image.
crash_check() {
	local trial verified
	step boot-verify updatectl boot-verify --json
	step status updatectl status --json
	verified=$(tail -n 1 "$out/boot-verify.out" | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["components"][0]["verified"])' 2>/dev/null)
	# Fell back, the running slot not verified: the device reboots first.
	[ "$(cat "$out/boot-verify.rc")" = 8 ] && [ "$verified" = False ] && return
	trial=$(tail -n 1 "$out/boot-verify.out" | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["components"][0]["trial"])' 2>/dev/null)
	# A policy loaded during a trial keeps both slots read-only until
	# reboot, so the next install would wait for the next boot: a trial is
	# confirmed before the policy is loaded here, and the install checked.
	if [ "$trial" = True ]; then
		step mark-good updatectl mark-good
	fi
	security_up
	step install updatectl install "$work/srv/v3.fwb"
	step status-after updatectl status --json
}

# ---- host side --------------------------------------------------------------
device_conf() {
	cat <<CONF
trust = $pki/root-ca.crt
device_class = infusion-pump
state_dir = /var/lib/fwguard
download_dir = /var/lib/fwguard/downloads
policy = /etc/fwguard/policy.conf
CONF
}

vendor_bundles() {
	local v
	for v in 2 3; do
		head -c $((512 * 1024 + v * 4096)) /dev/urandom >"$work/v$v.img"
		"$uc" bundle create --image "$work/v$v.img" --component bootfw \
			--device-class infusion-pump --security-version "$v" \
			--key "$pki/signer.key" --cert "$pki/signer.crt" \
			--output "$work/srv/v$v.fwb" >/dev/null || return 1
	done
}

# boot_ok NAME FUNCTION [HARNESS-OPTIONS...]: a boot that must complete.
boot_ok() {
	local name=$1 fn=$2
	shift 2
	if ! e2e_boot "$name" "$scenario" "$fn" -- --timeout 600 "$@"; then
		echo "# boot $name failed:"
		tail -n 20 "$work/boots/$name.log" | sed 's/^/#   /'
		return 1
	fi
}

# The log entry of mark SECTOR (its write), or nothing.
mark_entry() {
	"$replay" find "$1" "$2" | tail -n 1
}

# check_image LABEL BOOT FLOOR0: the checks on the host, from the boot's
# result directory. Prints "ok CLASS" or "fail WHY".
check_image() {
	python3 - "$work/boots/$2" "$3" <<'PY'
import json, sys
d, floor0 = sys.argv[1], int(sys.argv[2])
def rc(step):
    try:
        return int(open(f"{d}/{step}.rc").read())
    except (OSError, ValueError):
        return None
def doc(step):
    try:
        return json.loads(open(f"{d}/{step}.out").read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None
bad = []
bv, st, after = doc("boot-verify"), doc("status"), doc("status-after")
c = (bv.get("components") or [None])[0] if bv else None
# Exit 8 with the running slot verified: a trial the crash cut short was
# abandoned and the last good slot runs, verified (STATE.md, boot-start).
if rc("boot-verify") not in (0, 8) or not c or not c["verified"] or c["factory"]:
    bad.append(f"P1: boot-verify exited {rc('boot-verify')}: {c}")
if rc("status") != 0 or not st or any("state" in x for x in st.get("components", [{}])):
    bad.append(f"state: status exited {rc('status')}")
elif c:
    floor = st["floor"]
    if floor is None or floor < floor0 or c["version"] < floor:
        bad.append(f"P2: slot {c['slot']} version {c['version']}, floor {floor} (was {floor0})")
if rc("install") != 0 or not after:
    bad.append(f"next: install exited {rc('install')}")
else:
    slots = (after.get("components") or [{}])[0].get("slots", [])
    if not any(s["role"] == "pending" and s["version"] == 3 and s["valid"] for s in slots):
        bad.append(f"next: no pending v3 after the install: {slots}")
if bad:
    print("fail " + "; ".join(bad))
else:
    print(f"ok {c['slot']}{' trial' if c['trial'] else ''}"
          f"{' (trial abandoned)' if c['fell_back'] else ''}")
PY
}

# part_range IMAGE PARTNUM: "START COUNT" in sectors.
part_range() {
	sgdisk -i "$2" "$1" | sed -n 's/^First sector: \([0-9]*\).*/\1/p;s/^Last sector: \([0-9]*\).*/\1/p' |
		tr '\n' ' ' | { read -r a b; echo "$a $((b - a + 1))"; }
}

# offline IMAGE: the host's look at a crash image, no guest needed. The
# state partition's journal is replayed (e2fsck -E journal_only, as the
# kernel's mount would), the file system must then check clean (e2fsck
# -n), and the slot state must parse (updatectl status on the extracted
# state directory; the TPM is not asked). Prints the image's signature:
# the hashes of every file of the state directory and of both slots, the
# only things the checks in a guest read. Returns non-zero with a reason
# on stdout when a check fails.
offline() {
	local img=$1 st=$work/state.img dump=$work/dump r
	read -r -a r <<<"$(part_range "$img" 3)"
	dd if="$img" of="$st" bs=512 skip="${r[0]}" count="${r[1]}" status=none
	e2fsck -E journal_only -y "$st" >/dev/null 2>&1
	if ! e2fsck -fn "$st" >"$work/fsck.log" 2>&1; then
		echo "state file system not clean: $(grep -v '^e2fsck\|^Pass\|^$' "$work/fsck.log" | head -n 2 | tr '\n' ' ')"
		return 1
	fi
	rm -rf "$dump" && mkdir -p "$dump"
	debugfs -R "rdump / $dump" "$st" >/dev/null 2>&1
	printf 'state_dir = %s\npolicy = %s\ntrust = %s\ndevice_class = infusion-pump\n' \
		"$dump" "$work/etc/policy.conf" "$pki/root-ca.crt" >"$work/offline.conf"
	FWGUARD_LOCK=$work/offline.lock FWGUARD_TCTI=none "$uc" status --config "$work/offline.conf" \
		--json >"$work/offline.json" 2>/dev/null
	if ! python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
sys.exit(any("state" in c for c in j["components"]))' "$work/offline.json"; then
		echo "slot state does not parse: $(head -c 300 "$work/offline.json")"
		return 1
	fi
	{
		(cd "$dump" && find . -type f -print0 | sort -z | xargs -0r sha256sum)
		for r in 1 2; do
			read -r -a pr <<<"$(part_range "$img" "$r")"
			dd if="$img" bs=512 skip="${pr[0]}" count="${pr[1]}" status=none | sha256sum
		done
	} | sha256sum | cut -c1-64
}

# check_boot NAME IMAGE TPM: boot the image with a copy of TPM and run the
# checks. Under a heavily loaded host the guest's TPM driver can time out
# (no /dev/tpmrm0: "tcti:IO failure"; or every command of the boot
# refused with "hierarchy is not enabled"); such a boot says nothing about
# the image and is repeated once, from fresh copies.
check_boot() {
	local name=$1 img=$2 tpm=$3 try
	cp --sparse=always "$img" "$work/check.img"
	for try in 1 2; do
		rm -rf "$work/tpm-check" "$work/boots/$name"
		cp -a "$tpm" "$work/tpm-check"
		e2e_boot "$name" "$scenario" crash_check -- --timeout 600 \
			--disk "$img" --tpm-state "$work/tpm-check" || return 1
		if ! grep -qsE "tcti:IO failure|hierarchy is not enabled" "$work/boots/$name"/*.out; then
			fallback_reboot "$name" "$img"
			return
		fi
		echo "# $name: the guest's TPM failed ($(grep -ohsE "tcti:IO failure|hierarchy is not enabled" \
			"$work/boots/$name"/*.out | head -n 1)), booting it again"
		tpm_retries=$((tpm_retries + 1))
		cp --sparse=always "$work/check.img" "$img"
	done
}

# fallback_reboot NAME IMAGE: boot-verify fell back and the slot that ran
# is not verified (exit 8): the device reboots into the slot fallen back
# to, on the same disk and TPM, and that boot is the one judged. Sets
# judged to the boot whose results the host checks.
fallback_reboot() {
	judged=$1
	[ "$(cat "$work/boots/$1/boot-verify.rc" 2>/dev/null)" = 8 ] || return 0
	tail -n 1 "$work/boots/$1/boot-verify.out" | python3 -c 'import json,sys
sys.exit(json.load(sys.stdin)["components"][0]["verified"])' 2>/dev/null || return 0
	judged=$1-reboot
	e2e_boot "$judged" "$scenario" crash_check -- --timeout 600 \
		--disk "$2" --tpm-state "$work/tpm-check"
}

# check_points OP LOG BASE TPM FROM TO FLOOR0: every crash point checked
# offline; then the first image of each distinct signature booted and
# checked (only the last CRASH_LAST of them when that is set, the states
# nearest the end of the operation).
check_points() {
	local op=$1 log=$2 base=$3 tpm=$4 from=$5 to=$6 floor0=$7
	local kind pbase upto seed n=0 at bad=0 img=$work/crash.img sig verdict name i first
	local -a states=()
	declare -A seen=()
	while read -r kind pbase upto seed; do
		n=$((n + 1))
		cp --sparse=always "$base" "$img"
		if ! "$replay" apply "$log" "$img" "$kind" "$pbase" "$upto" "$seed"; then
			tap_fail "$op point $n ($kind $pbase $upto): image rebuilt"; bad=$((bad + 1)); continue
		fi
		if ! sig=$(offline "$img"); then
			tap_fail "$op point $n ($kind $pbase $upto): offline checks" "$sig"
			bad=$((bad + 1)); continue
		fi
		[ -z "${seen[$sig]:-}" ] || continue
		seen[$sig]=$n
		states+=("$n $kind $pbase $upto $seed")
	done < <("$replay" points "$log" --from "$from" --to "$to" --torn \
		--drops "${CRASH_DROPS:-2}" --seed "${CRASH_SEED:-20261203}")
	if [ "$bad" -eq 0 ]; then
		tap_ok "$op: all $n crash points: state file system clean, slot state parses (offline)"
	fi
	first=0
	if [ -n "${CRASH_LAST:-}" ] && [ "${#states[@]}" -gt "$CRASH_LAST" ]; then
		first=$((${#states[@]} - CRASH_LAST))
	fi
	for ((i = first; i < ${#states[@]}; i++)); do
		read -r at kind pbase upto seed <<<"${states[$i]}"
		cp --sparse=always "$base" "$img"
		"$replay" apply "$log" "$img" "$kind" "$pbase" "$upto" "$seed" || return 1
		name=$op-$at
		if ! check_boot "$name" "$img" "$tpm"; then
			tap_fail "$op point $at ($kind $pbase $upto): the crash image boots" \
				"harness exit; see $work/boots/$name.log"
			tail -n 12 "$work/boots/$name.log" | sed 's/^/#   /'
			continue
		fi
		verdict=$(check_image "$op" "$judged" "$floor0")
		[ "$judged" = "$name" ] || verdict+=" after the fallback's reboot"
		case $verdict in
		ok*) tap_ok "$op point $at ($kind $pbase $upto) booted: P1 P2 state next (${verdict#ok })" ;;
		*) tap_fail "$op point $at ($kind $pbase $upto) booted: P1 P2 state next" "${verdict#fail }"
			sed 's/^/#   /' "$work/boots/$judged/boot-verify.out" | tail -n 4 ;;
		esac
	done
	summary+=("$op: log entries $from..$to, $n crash points, ${#states[@]} distinct states, $((${#states[@]} - first)) booted")
}

# range LOG FIRST-MARK NEXT-MARK: "FROM TO" of the entries between them.
range() {
	local a b
	a=$(mark_entry "$1" "$2") b=$(mark_entry "$1" "$3")
	[ -n "$a" ] && [ -n "$b" ] && echo "$((a + 1)) $b"
}

want_op() { [[ " $ops " == *" $1 "* ]]; }

record() {
	boot_ok factory crash_factory || return 1
	cp --sparse=always "$work/disk.img" "$work/base-install.img"
	cp -a "$work/tpm" "$work/tpm-install"
	boot_ok install crash_record_install --log-writes "$work/install.log" || return 1
	want_op boot-verify || want_op mark-good || return 0
	cp --sparse=always "$work/disk.img" "$work/base-trial.img"
	cp -a "$work/tpm" "$work/tpm-trial-start"
	boot_ok trial crash_record_trial --log-writes "$work/trial.log" || return 1
	cp -a "$work/tpm" "$work/tpm-trial-end"
}

main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/e2e/lib.sh"
	e2e_host crash-points
	replay=$build/tests/crash/replay
	ops=" ${1:-install boot-verify mark-good} "
	summary=() tpm_retries=0
	local start=$SECONDS r

	"$top/tests/vm/mkdisk" "$work/disk.img" 8 32
	device_conf >"$work/etc/updatectl.conf"
	e2e_policy_conf "$work/etc/policy.conf"
	e2e_install_module
	if ! vendor_bundles >"$work/setup.log" 2>&1 || ! record; then
		sed 's/^/# /' "$work/setup.log"
		tap_plan 1
		tap_fail "the recorded boots complete"
		tap_done; exit
	fi
	echo "TAP version 13"
	echo "# guest write cache: $(cat "$work/boots/install/write_cache" 2>/dev/null)"
	expect install install ok "recorded: v2 installed into fw_b" "into slot fw_b"
	if want_op boot-verify || want_op mark-good; then
		expect trial mark-good ok "recorded: the trial fw_b confirmed"
	fi
	if want_op install && r=$(range "$work/install.log" 40 41); then
		check_points install "$work/install.log" "$work/base-install.img" \
			"$work/tpm-install" $r 1
	fi
	if want_op boot-verify && r=$(range "$work/trial.log" 40 41); then
		check_points boot-verify "$work/trial.log" "$work/base-trial.img" \
			"$work/tpm-trial-start" $r 1
	fi
	if want_op mark-good && r=$(range "$work/trial.log" 42 43); then
		check_points mark-good "$work/trial.log" "$work/base-trial.img" \
			"$work/tpm-trial-end" $r 2
	fi
	for r in "${summary[@]}"; do echo "# crash-points: $r"; done
	echo "# crash-points: $tpm_retries boots repeated after a guest TPM failure"
	echo "# crash-points: $((SECONDS - start)) s"
	echo "1..$tap_n"
	tap_done
}

[ -n "${E2E_DEVICE:-}" ] || main "$@"
