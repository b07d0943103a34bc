#!/bin/bash
# Guest side of tests/faults/io_faults.sh: disk I/O errors under updatectl
# install and boot-verify on a device whose disk is a stack the guest can
# break at will: device-mapper "fxdisk" over a RAM disk (brd) holding a
# GPT (fx_a, fx_b, fx_state), and loop1 over fxdisk with its partitions
# scanned and direct I/O, so no page cache hides a fault. fwguard.ko
# protects fx_a and fx_b; fx_state holds the ext4 state directory. A fault
# swaps in an fxdisk table whose segment over a partition (or part of one)
# is dm-error or dm-flakey with error_writes. Debian's kernels do not build
# dm-dust; dm-error and dm-flakey give the same errors. The TPM is a swtpm in the guest on
# 127.0.0.1; a reboot of the device is swtpm restarted on its state (PCRs
# reset, NV kept) and a new boot id bound over
# /proc/sys/kernel/random/boot_id in updatectl's mount namespace.
# Usage (in the guest): io_guest.sh OUT [all]   (OUT holds the bundles)
out=${1:?usage: io_guest.sh OUT [all]}
all=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/exit_codes.sh"
build=${BUILD:-$top/build}
u=$build/bin/updatectl
pki=$build/pki
work=/tmp/fwguard-io
conf=$work/updatectl.conf
state=$work/state
export FWGUARD_TCTI=swtpm:host=127.0.0.1,port=2321 FWGUARD_LOCK=$work/lock
mkdir -p "$work/tpm" "$state"
start_s=$(date +%s)

tpm_up() {
	swtpm socket --tpm2 --server type=tcp,port=2321,bindaddr=127.0.0.1 \
		--ctrl type=tcp,port=2322,bindaddr=127.0.0.1 --tpmstate dir="$work/tpm" \
		--flags not-need-init,startup-clear --pid file="$work/swtpm.pid" -d || return 1
	for _ in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/2321) 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
tpm_down() {
	local pid
	pid=$(cat "$work/swtpm.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}
new_boot() { cat /proc/sys/kernel/random/uuid >"$work/boot_id"; }
# uc CMD ARGS...: updatectl in this device boot (its boot id).
uc() {
	local cmd=("$1")
	shift
	case ${cmd[0]} in tpm|keys|policy) cmd+=("$1"); shift ;; esac
	unshare -m sh -c 'mount --bind "$0" /proc/sys/kernel/random/boot_id && exec "$@"' \
		"$work/boot_id" "$u" "${cmd[@]}" --config "$conf" "$@"
}
# A reboot: the state file system checked and mounted again, swtpm restarted.
reboot_dev() {
	umount "$state" 2>/dev/null
	e2fsck -fy "${lo1}p3" >/dev/null 2>&1
	mount -t ext4 "${lo1}p3" "$state" || return 1
	tpm_down
	tpm_up || return 1
	new_boot
}

disk_up() {
	modprobe loop 2>/dev/null
	modprobe dm-mod 2>/dev/null
	modprobe dm-flakey || return 1
	modprobe brd rd_nr=1 rd_size=49152 || return 1
	sectors=$(blockdev --getsz /dev/ram0)
	echo "0 $sectors linear /dev/ram0 0" | dmsetup create fxdisk || return 1
	# No udev in the guest: the kernel's own node, /dev/dm-MINOR.
	dm=/dev/dm-$(dmsetup info -c --noheadings -o minor fxdisk | tr -d ' ')
	sgdisk -n1:2048:+12M -c1:fx_a -n2:0:+12M -c2:fx_b -n3:0:+16M -c3:fx_state \
		"$dm" >/dev/null 2>&1 || return 1
	lo1=$(losetup --show -f -P "$dm") || return 1
	# Direct I/O after the partition scan (with both at once there are none).
	losetup --direct-io=on "$lo1" || return 1
	for _ in $(seq 50); do [ -b "${lo1}p3" ] && break; sleep 0.1; done
	mkfs.ext4 -q "${lo1}p3" && mount -t ext4 "${lo1}p3" "$state"
}
# Partition PART of loop1: its first sector in fxdisk, and its length.
part_start() { cat "/sys/class/block/${lo1#/dev/}p$1/start"; }
part_size() { cat "/sys/class/block/${lo1#/dev/}p$1/size"; }
# A new table for fxdisk, with nothing of the slots or the state in a page
# cache, so that a read meets the fault.
table() {
	sync
	blockdev --flushbufs "$dm" 2>/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	dmsetup load fxdisk && dmsetup suspend --noflush fxdisk && dmsetup resume fxdisk
}
# dm_fault START LEN TARGET...: sectors [START, START+LEN) of the disk go to
# TARGET (error, or flakey: "flakey" then its arguments after the offset).
dm_fault() {
	local s=$1 n=$2 t=$3
	shift 3
	[ "$t" = flakey ] && t="flakey /dev/ram0 $s $*"
	{ echo "0 $s linear /dev/ram0 0"; echo "$s $n $t"
	  echo "$((s + n)) $((sectors - s - n)) linear /dev/ram0 $((s + n))"; } | table
}
dm_clear() { echo "0 $sectors linear /dev/ram0 0" | table; }

device_up() {
	cat >"$conf" <<CONF
trust = $pki/root-ca.crt
device_class = infusion-pump
state_dir = $state
policy = $work/policy.conf
CONF
	echo "component bootfw fx_a=PARTLABEL=fx_a fx_b=PARTLABEL=fx_b" >"$work/policy.conf"
	new_boot
	tpm_up && disk_up || return 1
	dd if="$out/v1.img" of="${lo1}p1" bs=1M oflag=direct status=none || return 1
	[ -e /sys/module/fwguard ] ||
		insmod "$build/kmod/$(uname -r)/fwguard.ko" keyring_mode=provision || return 1
	# fwguard.ko reads the version floor from the TPM of the kernel's own
	# driver (the guest's TPM device), not from the swtpm above, which
	# stands for the device's TPM across its reboots: provision it too.
	mkdir -p "$work/devtpm"
	sed "s|^state_dir = .*|state_dir = $work/devtpm|" "$conf" >"$work/devtpm.conf"
	FWGUARD_TCTI=device:/dev/tpmrm0 "$u" tpm provision --config "$work/devtpm.conf" \
		>/dev/null || return 1
	uc tpm provision >/dev/null && "$u" keys add "$pki/signer.der" >/dev/null &&
	"$u" keys seal >/dev/null && uc policy load >/dev/null &&
	uc adopt bootfw fx_a --version 1 --length "$(stat -c %s "$out/v1.img")" >/dev/null &&
	reboot_dev && uc boot-verify >/dev/null
}

slotfile() { cat "$state/slots/bootfw" 2>/dev/null; }
floor() {
	uc status --json 2>"$work/floor.err" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["floor"])'
	sed 's/^/#   /' "$work/floor.err" >&2
}
# changed OLD NEW: the keys whose values differ, one per line; a boot's
# verified_boot or failed_boot emptied by boot-start is no change.
changed() {
	awk -F= 'NR == FNR { a[$1] = $0; next }
		 a[$1] != $0 && !($1 ~ /^(verified|failed)_boot$/ && $2 == "") { print $1 }' "$1" "$2"
}
# only_keys FILE REGEX: every changed key matches REGEX (anchored).
only_keys() { ! grep -qvxE "$2" "$1"; }

count=0
declare -A injected
# before_fault: what the checks after a fault compare with.
before_fault() {
	floor0=$(floor)
	slotfile >"$work/s0"
}
# run_fault KIND NAME WANT CMD...: the fault is in place; CMD runs, the
# fault is cleared; exit code and message checked.
run_fault() {
	local kind=$1 name=$2 want=$3
	shift 3
	count=$((count + 1)) injected[$kind]=$((${injected[$kind]:-0} + 1))
	"$@" >"$work/out" 2>"$work/err"
	status=$?
	dm_clear
	tap_check "$name: exit $(uc_exit "$want") ($want), got $status" \
		test "$status" -eq "$(uc_exit "$want")"
	tap_check "$name: one line names it: $(grep -m1 '^updatectl: ' "$work/err")" \
		grep -q '^updatectl: ' "$work/err"
}
# after_fault ALLOWED-KEYS-REGEX: a reboot (fsck), then the slot state
# parses, changed only in ALLOWED keys, and the floor did not move.
after_fault() {
	reboot_dev
	slotfile >"$work/s1"
	changed "$work/s0" "$work/s1" >"$work/keys"
	tap_check "  slot state parses" sh -c "'$u' status --config '$conf' >/dev/null 2>&1"
	tap_check "  slot state changed only as allowed: $(tr '\n' ' ' <"$work/keys")" \
		only_keys "$work/keys" "$1"
	tap_check "  floor unchanged ($floor0)" test "$(floor)" = "$floor0"
}
# gave_up: boot-verify of a boot whose trial was given up: the last good
# slot verified, reported as a fall back (or ok).
gave_up() {
	uc boot-verify
	local rc=$?
	[ "$rc" -eq 0 ] || [ "$rc" -eq "$(uc_exit fallback)" ]
}
# next V: the next normal install of vV and a boot that verifies its trial;
# then a boot without mark-good (the trial given up, fx_a active again:
# fwguard.ko's policy of this guest boot has fx_a as the active slot, so
# every install writes fx_b). With "confirm", mark-good instead.
next_update() {
	{ uc install --quiet "$out/v$1.fwb" && reboot_dev && uc boot-verify &&
	  if [ "${2:-}" = confirm ]; then uc mark-good; else reboot_dev && gave_up; fi
	} >"$work/update.log" 2>&1 && return 0
	sed 's/^/#   /' "$work/update.log"
	return 1
}
# fault_range PART HOW: the sectors a fault covers ("all" of the partition,
# or "half": from the middle of the 4 MB image on, an error in the middle
# of a write or a read).
fault_range() {
	local s n
	s=$(part_start "$1") n=$(part_size "$1")
	[ "$2" = half ] && s=$((s + 4096)) n=$((n - 4096))	# from 2 MiB: inside the image
	echo "$s $n"
}
# target HOW: the dm target of a fault.
target() {
	case $1 in
	writes) echo "flakey 0 5 1 error_writes" ;;	# every write fails, reads pass
	*) echo error ;;				# every read and write fails
	esac
}

v=2
# install_fault WHERE(slot|state) HOW(all|half|writes): install into fx_b.
install_fault() {
	local where=$1 how=$2 p=2
	[ "$where" = state ] && p=3
	before_fault
	# shellcheck disable=SC2046
	dm_fault $(fault_range "$p" "$how") $(target "$how")
	run_fault "install/$where" "install v$v, I/O errors on the $where ($how)" io \
		uc install --quiet "$out/v$v.fwb"
	after_fault "pending|slot1\\..*"
	tap_check "  then install v$v and the boot of its trial succeed" next_update "$v"
	v=$((v + 1))
}
# verify_fault WHERE(slot|state) HOW: boot-verify of the trial of v$v.
verify_fault() {
	local where=$1 how=$2 p=2
	[ "$where" = state ] && p=3
	uc install --quiet "$out/v$v.fwb" >/dev/null 2>&1 && reboot_dev ||
		tap_fail "install v$v for the boot-verify fault"
	before_fault
	# shellcheck disable=SC2046
	dm_fault $(fault_range "$p" "$how") $(target "$how")
	run_fault "boot-verify/$where" "boot-verify of v$v on trial, I/O errors on the $where ($how)" \
		"${3:-io}" uc boot-verify
	[ "$where" = slot ] &&
		tap_check "  the message names the unreadable slot fx_b" \
			grep -q '^updatectl: bootfw: cannot read slot fx_b ' "$work/err"
	after_fault "boot|booted|trying|pending|measured_boot${4:+|$4}"
	uc boot-verify >"$work/next.out" 2>&1
	status=$?
	tap_check "  the next boot's boot-verify: ok or fallback, got $status" \
		test "$status" -eq 0 -o "$status" -eq "$(uc_exit fallback)"
	reboot_dev && uc boot-verify >/dev/null 2>&1	# a trial it ran is given up
	v=$((v + 1))
	tap_check "  then install v$v and the boot of its trial succeed" next_update "$v"
	v=$((v + 1))
}

device_up || { echo "Bail out! the device did not come up"; exit 1; }
# The slice: the state partition unreadable during an install.
install_fault state all
if [ "$all" = all ]; then
	install_fault slot half
	install_fault slot all
	install_fault slot writes
	install_fault state writes
	verify_fault slot half
	verify_fault state all
	verify_fault state writes
	tap_check "finally v$v installed, verified and marked good" next_update "$v" confirm
fi
for k in "${!injected[@]}"; do
	echo "# I/O faults: $k injected ${injected[$k]}"
done | sort
echo "# I/O faults: $count injected, $(($(date +%s) - start_s)) s in the guest"
echo "1..$tap_n"
tap_done
