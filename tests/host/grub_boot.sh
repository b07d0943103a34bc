#!/bin/bash
# The A/B boot through GRUB (tests/vm/run --boot grub on a tests/vm/mkbootdisk
# disk): GRUB boots the slot its environment chooses and says which on the
# command line; a trial is counted down on the disk before it boots; a trial
# that powers off before mark-good is abandoned after its tries; a slot
# that cannot be loaded falls through to the other; with no bootable slot
# GRUB halts with its message and no kernel runs.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/gpt.sh"
run=$top/tests/vm/run
env=$top/tests/vm/grubenv
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
work=$(mktemp -d "${BUILD:-$top/build}/grub-boot.XXXXXX")
trap 'rm -rf "$work"' EXIT

tap_plan 13

if ! "$top/tests/vm/mkbootdisk" --kernel "$kver" "$work/base.img" >"$work/mk.log" 2>&1 ||
	! "$top/tests/vm/mkslot" --kernel "$kver" --bad "$work/bad.img" >>"$work/mk.log" 2>&1; then
	sed 's/^/# /' "$work/mk.log"
	tap_fail "boot disk and bad slot image are built"
	tap_done; exit
fi
fresh() { cp --sparse=always "$work/base.img" "$work/$1.img"; }

# boot NAME DISK: one guest boot recording the booted slot; sets $status.
boot() {
	"$run" --boot grub --kernel "$kver" --disk "$2" --out "$work/$1" --timeout 300 -- \
		sh -c "cat /proc/cmdline >$work/$1/cmdline" >"$work/$1.log" 2>&1
	status=$?
}
slot_is() { grep -qw "fwguard.slot=$2" "$work/$1/cmdline" 2>/dev/null; }
left_is() { [ "$("$env" "$1" get "fwg_$2_left" 2>/dev/null)" = "$3" ]; }
show() { sed 's/^/# /' "$work/$1.log" | tail -n 30; }

# 1. A fresh disk boots slot a, confirmed: nothing counted.
fresh plain
boot plain "$work/plain.img"
if [ "$status" -eq 0 ] && slot_is plain a; then
	tap_ok "fresh disk boots slot a with fwguard.slot=a on the command line"
else
	tap_fail "fresh disk boots slot a with fwguard.slot=a on the command line" "status $status"
	show plain
fi
# 1b. GRUB's slot word is the first argument, before any word the
# environment block supplies: the kernel cuts an over-long line from its
# end, so words put there by root cannot push it off.
read -ra words <"$work/plain/cmdline" 2>/dev/null
if [ "${words[0]:-}" != "${words[0]#BOOT_IMAGE=}" ] && [ "${words[1]:-}" = fwguard.slot=a ]; then
	tap_ok "fwguard.slot= comes first, before the environment's kernel arguments"
else
	tap_fail "fwguard.slot= comes first, before the environment's kernel arguments" \
		"cmdline: ${words[*]:0:3}"
fi
tap_check "a confirmed boot writes no counter" \
	sh -c "! '$env' '$work/plain.img' list | grep -q _left="

# 2. A trial of b with two tries: GRUB counts one down and boots b.
fresh trial
"$env" "$work/trial.img" set "fwg_order=b a" fwg_b_left=2
boot trial "$work/trial.img"
if [ "$status" -eq 0 ] && slot_is trial b; then
	tap_ok "trial of slot b boots b"
else
	tap_fail "trial of slot b boots b" "status $status"
	show trial
fi
tap_check "trial counter is decremented to 1 on the disk" left_is "$work/trial.img" b 1

# 3. A trial whose image powers off before mark-good: tried twice, then a.
fresh badtrial
gpt_write "$work/badtrial.img" fw_b "$work/bad.img"
"$env" "$work/badtrial.img" set "fwg_order=b a" fwg_b_left=2
boot bad1 "$work/badtrial.img"
s1=$status
boot bad2 "$work/badtrial.img"
s2=$status
if [ "$s1" -eq 125 ] && [ "$s2" -eq 125 ] &&
	grep -aq "bad slot image, powering off" "$work/bad2/console.log"; then
	tap_ok "bad trial image boots and powers off on each of its two tries"
else
	tap_fail "bad trial image boots and powers off on each of its two tries" "status $s1, $s2"
	show bad2
fi
tap_check "bad trial's counter reaches 0" left_is "$work/badtrial.img" b 0
boot bad3 "$work/badtrial.img"
if [ "$status" -eq 0 ] && slot_is bad3 a; then
	tap_ok "trial with no tries left is abandoned: GRUB boots slot a"
else
	tap_fail "trial with no tries left is abandoned: GRUB boots slot a" "status $status"
	show bad3
fi
tap_check "GRUB says the abandoned trial has no boots left" \
	grep -aq "fwguard: slot b has no trial boots left" "$work/bad3/console.log"

# 4. A slot holding garbage falls through to the next one in the order.
fresh garbage
gpt_part "$work/garbage.img" fw_b
head -c $((gpt_sectors * 512)) /dev/urandom >"$work/junk"
gpt_write "$work/garbage.img" fw_b "$work/junk"
"$env" "$work/garbage.img" set "fwg_order=b a"
boot garbage "$work/garbage.img"
if [ "$status" -eq 0 ] && slot_is garbage a; then
	tap_ok "slot b holding garbage falls through to slot a"
else
	tap_fail "slot b holding garbage falls through to slot a" "status $status"
	show garbage
fi
tap_check "GRUB says slot b's kernel cannot be loaded" \
	grep -aq "fwguard: slot b: cannot load its kernel" "$work/garbage/console.log"

# 5. Slot a marked bad, slot b garbage: GRUB halts, no kernel runs.
"$env" "$work/garbage.img" set fwg_a_ok=0
boot none "$work/garbage.img"
if [ "$status" -eq 123 ] && grep -q "GRUB found no bootable slot" "$work/none.log"; then
	tap_ok "no bootable slot: GRUB halts and the harness exits 123"
else
	tap_fail "no bootable slot: GRUB halts and the harness exits 123" "status $status"
	show none
fi
if grep -aq "fwguard: no bootable slot" "$work/none/console.log" &&
	! grep -aq "Linux version" "$work/none/console.log" && [ ! -e "$work/none/status" ]; then
	tap_ok "no bootable slot: GRUB's message on the console and no kernel started"
else
	tap_fail "no bootable slot: GRUB's message on the console and no kernel started"
	show none
fi
tap_done
