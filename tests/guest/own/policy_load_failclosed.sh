#!/bin/bash
# updatectl policy load fails closed (issue 11, P3), in a guest of its own
# (tests/host/policy_load_failclosed.sh): fwguard.ko freshly loaded, a
# fresh TPM, the scratch disk /dev/vda and an NVMe disk with the same
# partition names (PARTLABEL fw_a is on both). Each check loads ranges not
# protected before it, since a protected range stays protected until reboot.
. "$(dirname "$0")/lib.sh" pl
floor_index=0x01004657

tap_plan 40

modprobe nvme 2>/dev/null
for _ in $(seq 50); do [ -e /sys/class/block/nvme0n1p2 ] && break; sleep 0.2; done
insmod "$build/kmod/$(uname -r)/fwguard.ko" keyring_mode=provision
mkdir -p "$work/state/slots"
cat >"$work/updatectl.conf" <<CONF
device_class = fwguard-test
state_dir = $work/state
policy = $work/policy.conf
CONF
# The firmware component lives on /dev/vda; it has been installed (version 3).
echo "component firmware fw_a=PARTUUID=6f776761-0000-4000-8000-00000000000a fw_b=PARTUUID=6f776761-0000-4000-8000-00000000000b" \
	>"$work/policy.conf"
good_state() {
	printf 'active=0\npending=-1\ntrying=-1\nverified_boot=\n' >"$work/state/slots/firmware"
	for i in 0 1; do
		printf 'slot%d.valid=1\nslot%d.good=1\nslot%d.version=%d\nslot%d.length=4096\nslot%d.digest=%064d\n' \
			$i $i $i $((3 - i)) $i $i 0 >>"$work/state/slots/firmware"
	done
}
load() {
	"$u" policy load --config "$work/updatectl.conf" "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	sed "s/^/# /" "$work/err"
	return $rc
}
range() { grep -q "^range $1 .*component $2${3:+ $3}\$" "$pol"; }
floor_is() { grep -qx "floor $1" "$pol"; }

# 1. An impostor at the floor's NV handle (other attributes): refused, but
# only after both slots are protected.
good_state
tpm2_nvdefine "$floor_index" -C o -s 8 -a "ownerread|ownerwrite|authread|authwrite" >/dev/null 2>&1
load
status=$?
tap_check "impostor floor index: policy load fails" test "$status" -ne 0
tap_check "impostor floor index: the booted slot is protected active" range vda1 firmware active
tap_check "impostor floor index: the other slot is protected" range vda2 firmware
tap_check "impostor floor index: kernel floor is the highest installed version" floor_is 3

# 2. No floor index at all, but slots are installed: not factory state.
tpm2_nvundefine "$floor_index" -C o >/dev/null 2>&1
load
status=$?
tap_check "missing floor outside factory state: policy load fails (tpm)" test "$status" -eq "$(uc_exit tpm)"
tap_check "missing floor outside factory state: said clearly" grep -q "not factory state" "$work/err"
tap_check "missing floor outside factory state: floor not read as 0" floor_is 3

# 2b. A TPM nothing answers: the slots still resolve, so the TPM is the
# first failure and the exit status (the host's exit_codes.sh cannot get
# this far without partitions).
load --tcti swtpm:host=127.0.0.1,port=9
status=$?
tap_check "unreachable TPM: policy load fails (tpm)" test "$status" -eq "$(uc_exit tpm)"
tap_check "unreachable TPM: the TCTI is named" \
	grep -q "^updatectl: tpm: cannot open TPM via TCTI 'swtpm:host=127.0.0.1,port=9'" "$work/err"

# 3. --floor may not go below the TPM's floor.
"$u" tpm provision --config "$work/updatectl.conf" >/dev/null 2>&1 &&
	"$u" tpm floor --raise 5 >/dev/null 2>&1
tap_check "TPM floor provisioned and raised to 5" sh -c "\"$u\" tpm floor | grep -qx 5"
load --floor 2
status=$?
tap_check "--floor below the TPM's: refused (usage)" test "$status" -eq "$(uc_exit usage)"
tap_check "--floor below the TPM's: said clearly" grep -q "floor 2 refused: below the TPM's version floor 5" "$work/err"
tap_check "--floor below the TPM's: the TPM's floor is loaded" floor_is 5
load --floor 7
tap_check "--floor above the TPM's: accepted" test $? -eq "$(uc_exit ok)"
tap_check "--floor above the TPM's: loaded" floor_is 7

# 4. A corrupt slot state: neither slot may be written.
echo "active=banana" >"$work/state/slots/firmware"
load
status=$?
tap_check "corrupt slot state: policy load fails" test "$status" -ne 0
tap_check "corrupt slot state: both slots protected as active" sh -c \
	"grep -q '^range vda1 .* active\$' $pol && grep -q '^range vda2 .* active\$' $pol"

# 5. PARTLABEL fw_a names a partition on two disks: every match is
# protected read-only (vda1 already is, as firmware's), the other slot too.
echo "component second fw_a=PARTLABEL=fw_a fw_b=PARTUUID=6f776761-0001-4000-8000-00000000000b" \
	>"$work/policy.conf"
load
status=$?
tap_check "duplicate PARTLABEL: policy load fails" test "$status" -ne 0
tap_check "duplicate PARTLABEL: the slot that resolves is protected" range nvme0n1p2 second
tap_check "duplicate PARTLABEL: the ambiguous slot's other match is protected active" \
	range nvme0n1p1 second active
tap_check "duplicate PARTLABEL: one line names the slot and both partitions" sh -c \
	"grep 'second slot fw_a' $work/err | grep /dev/vda1 | grep -q /dev/nvme0n1p1"

# 6. A trial runs (trying set): the last good slot is the bootloader's
# fallback, so both slots are active (no session on either until reboot).
state_of() { # COMPONENT ACTIVE PENDING TRYING
	printf 'active=%d\npending=%d\ntrying=%d\nverified_boot=\n' "$2" "$3" "$4" \
		>"$work/state/slots/$1"
	for i in 0 1; do
		printf 'slot%d.valid=1\nslot%d.good=%d\nslot%d.version=5\nslot%d.length=4096\nslot%d.digest=%064d\n' \
			$i $i $((i == $2)) $i $i $i 0 >>"$work/state/slots/$1"
	done
}
rm -f "$work/state/slots/"*
echo "component trial trial_a=PARTLABEL=trial_a trial_b=PARTLABEL=trial_b" >"$work/policy.conf"
state_of trial 0 -1 1
load
tap_check "trial of trial_b: the last good slot trial_a is protected active" range vda4 trial active
tap_check "trial of trial_b: the trial slot trial_b is protected active" range vda5 trial active

# 7. An update pending (installed, not booted yet: policy load before
# boot-verify): the same.
echo "component pend pend_a=PARTLABEL=pend_a pend_b=PARTLABEL=pend_b" >"$work/policy.conf"
state_of pend 0 1 -1
load
tap_check "pending pend_b: the last good slot pend_a is protected active" range vda6 pend active
tap_check "pending pend_b: pend_b is protected active" range vda7 pend active

# 7b. The slot state says steady (root edited it before the reboot) while
# the TPM's journal, which root cannot shorten, records an install into
# the slot the state says runs that mark-good never confirmed (the update
# is on trial, and the other slot is the bootloader's fallback): both
# slots active, and the disagreement reported.
journal_add() { # ENTRY: appended as updatectl does (the file, then the NV extend)
	printf '%s\n' "$1" >>"$work/state/tickets"
	printf '%s' "$1" >"$work/entry"
	tpm2_nvextend -C 0x01004658 -i "$work/entry" 0x01004658
}
ticket=0123456789abcdef0123456789abcd01
echo "component jrnl jrnl_a=PARTLABEL=jrnl_a jrnl_b=PARTLABEL=jrnl_b" >"$work/policy.conf"
state_of jrnl 1 -1 -1
tap_check "journal: an install into jrnl_b recorded" \
	journal_add "install jrnl jrnl_b 5 4096 $(printf '%064d' 0) $ticket"
load
status=$?
tap_check "state steady, journal unconfirmed: policy load fails (verify)" \
	test "$status" -eq "$(uc_exit verify)"
tap_check "state steady, journal unconfirmed: said clearly" \
	grep -q "journal records its install unconfirmed" "$work/err"
tap_check "state steady, journal unconfirmed: the slot the state names, jrnl_b, is active" \
	range vda11 jrnl active
tap_check "state steady, journal unconfirmed: the other slot jrnl_a is protected active" \
	range vda10 jrnl active

# 7c. fb steady, and no install of it in the journal (adopted; a `good`
# entry counts only with the quote of a boot that measured the slot, which
# tests/host/policy_load_sources.sh checks): only the booted slot fb_a is
# active. 7d. Then a boot-verify after the policy
# load falls back (fb_a does not hold its image): fb_b, which the next boot
# runs, is protected as active at once, not only after that boot.
echo "component fb fb_a=PARTLABEL=fb_a fb_b=PARTLABEL=fb_b" >"$work/policy.conf"
fb_digest=$(head -c 4096 /dev/vda13 | sha256sum | cut -d' ' -f1)
printf 'active=0\npending=-1\ntrying=-1\nverified_boot=\n' >"$work/state/slots/fb"
printf 'slot%d.valid=1\nslot%d.good=1\nslot%d.version=5\nslot%d.length=4096\nslot%d.digest=%s\n' \
	0 0 0 0 0 "$(printf '%064d' 0)" 1 1 1 1 1 "$fb_digest" >>"$work/state/slots/fb"
load --floor 7	# the floor case 3 loaded: nothing else to refuse
tap_check "state steady, nothing in the journal: policy load succeeds" test $? -eq "$(uc_exit ok)"
tap_check "state steady: fb_a, which runs, is active" range vda12 fb active
tap_check "state steady: fb_b is protected inactive" range vda13 fb
"$u" boot-verify --config "$work/updatectl.conf" >"$work/out" 2>"$work/err"
status=$?
sed "s/^/# /" "$work/err"
tap_check "fallback: boot-verify falls back to fb_b" test "$status" -eq "$(uc_exit fallback)"
tap_check "fallback: fb_b is protected active right after it" range vda13 fb active

# 8. dup_a's PARTLABEL and dup_b's PARTUUID copied to the NVMe disk: every
# match protected active; the copied PARTUUID, which the kernel protects
# once, is taken first on the disk that holds the policy's other slots.
printf '%s\n' "component trial trial_a=PARTLABEL=trial_a trial_b=PARTLABEL=trial_b" \
	"component dup dup_a=PARTLABEL=dup_a dup_b=PARTUUID=6f776761-0000-4000-8000-0000000000d0" \
	>"$work/policy.conf"
load
status=$?
tap_check "duplicated slot names: policy load fails" test "$status" -ne 0
tap_check "duplicated PARTLABEL: dup_a on the device disk is protected active" range vda8 dup active
tap_check "duplicated PARTLABEL: its copy on the NVMe disk is protected active" range nvme0n1p4 dup active
tap_check "duplicated PARTUUID: dup_b on the device disk is protected active" range vda9 dup active
tap_check "duplicated slot names: the policy is locked" grep -qx "locked 1" "$pol"
tap_done
