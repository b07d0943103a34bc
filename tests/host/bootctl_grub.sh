#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The grub backend of updatectl (userspace/lib/bootctl_grub.c) against the
# real grub-editenv: what updatectl writes, grub-editenv lists, and what
# grub-editenv (or GRUB's save_env, which writes the same block) writes,
# updatectl reads; in the file form (a 1024-byte grubenv) and the raw form
# (the block at offset 0 of a partition image). A corrupt or torn block,
# a bad value of ours and a change that would reach past the first sector
# of the block (both forms: each is written in place) are refused with a
# clear error and nothing changed.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
test_workdir grubenv
export FWGUARD_LOCK=$work/lock

tap_plan 26

if ! command -v grub-editenv >/dev/null; then
	for i in $(seq 26); do tap_fail "grub-editenv missing (grub-common, tests/deps)"; done
	exit 1
fi

# conf NAME ENV: a configuration using the grub backend on ENV
conf() {
	printf 'bootloader = grub\nboot_component = bootfw\ngrubenv = %s\nstate_dir = %s\n' \
		"$2" "$work/state" >"$work/$1.conf"
}
# bl CONF ARGS...: updatectl bootloader ARGS with that configuration
bl() { local c=$1; shift; "$uc" bootloader "$@" --config "$work/$c.conf"; }
# listed ENV WANT...: grub-editenv lists exactly these variables (any order)
listed() {
	local env=$1; shift
	diff <(grub-editenv "$env" list | sort) <(printf '%s\n' "$@" | sort) >"$work/diff" 2>&1
}
# status_is CONF PYEXPR: bootloader status --json, checked by a Python expression on s
status_is() {
	bl "$1" status --json 2>/dev/null >"$work/status.json" &&
		python3 -c "import json,sys; s=json.load(open(sys.argv[1])); a,b=s['slots']
sys.exit(not ($2))" "$work/status.json"
}
# refused NAME CONF ENV CODE MESSAGE ARGS...: exits CODE, says MESSAGE, ENV unchanged
refused() {
	local name=$1 c=$2 env=$3 code=$4 msg=$5
	shift 5
	cp "$env" "$work/before"
	bl "$c" "$@" >/dev/null 2>"$work/err"
	local rc=$?
	if [ "$rc" -eq "$(uc_exit "$code")" ] && grep -q -- "$msg" "$work/err" &&
		cmp -s "$env" "$work/before"; then
		tap_ok "$name"
	else
		tap_fail "$name" "exit $rc: $(cat "$work/err")"
	fi
}

# ---- file form: a 1024-byte grubenv ----
env=$work/grubenv
grub-editenv "$env" create
grub-editenv "$env" set fwg_order="a b" fwg_a_ok=1 fwg_b_ok=0 saved_entry=0 'odd=x\y'
conf file "$env"
ino=$(stat -c %i "$env")
bl file set-trial b --tries 3 2>"$work/err"
tap_check "file: set-trial b: grub-editenv lists the trial and keeps the other variables" \
	listed "$env" "fwg_order=b a" fwg_a_ok=1 fwg_b_ok=1 fwg_b_left=3 saved_entry=0 'odd=x\y'
tap_check "file: the block is still exactly 1024 bytes" test "$(stat -c %s "$env")" -eq 1024
tap_check "file: written in place, as GRUB's save_env writes it (same inode, no temporary file)" \
	test "$(find "$work" -maxdepth 1 -name 'grubenv?*' | wc -l)" -eq 0 -a "$(stat -c %i "$env")" = "$ino"
grub-editenv "$env" set fwg_b_left=2		# GRUB's decrement before booting b
tap_check "file: updatectl reads grub-editenv's decrement" \
	status_is file "s['slots'][1]['left'] == 2 and b['ok'] and not b['confirmed'] and b['order'] == 0"
bl file mark-good b
tap_check "file: mark-good b: confirmed (fwg_b_left unset), first in order" \
	listed "$env" "fwg_order=b a" fwg_a_ok=1 fwg_b_ok=1 saved_entry=0 'odd=x\y'
bl file mark-bad a
tap_check "file: mark-bad a: not bootable, no tries, last in order" \
	listed "$env" "fwg_order=b a" fwg_a_ok=0 fwg_b_ok=1 fwg_a_left=0 saved_entry=0 'odd=x\y'
grub-editenv "$env" set "nl=one
two"
bl file set-trial a --tries 2
tap_check "file: a value with an escaped newline survives a rewrite byte for byte" \
	sh -c "grub-editenv '$env' list | grep -A1 -x 'nl=one' | grep -qx two"
tap_check "file: status reads what grub-editenv set: a on trial with 2 tries" \
	status_is file "a['ok'] and a['left'] == 2 and a['order'] == 0 and b['confirmed']"
before=$(md5sum <"$env")
bl file set-trial a --tries 2
tap_check "file: a transition that changes nothing does not write" \
	test "$before" = "$(md5sum <"$env")"

# ---- refusals, file form ----
cp "$env" "$work/good"
printf '# GRUB Environment Blob\n' | dd of="$env" conv=notrunc status=none
refused "file: a block without the header is refused, unchanged" file "$env" verify \
	"not a valid GRUB environment block" mark-good a
cp "$work/good" "$env"
head -c 512 "$work/good" >"$env" && head -c 512 /dev/zero >>"$env"
refused "file: a torn block (second sector zeroed) is refused, unchanged" file "$env" verify \
	"NUL byte" set-trial b
cp "$work/good" "$env"
printf 'fwg_b_ok=1\n' | dd of="$env" bs=1 seek=700 conv=notrunc status=none
refused "file: stale bytes in the padding are refused, unchanged" file "$env" verify \
	"padding" set-trial b
cp "$work/good" "$env" && grub-editenv "$env" set fwg_b_left=x
refused "file: fwg_b_left that is no try count is refused, unchanged" file "$env" verify \
	"not a try count" mark-good a
cp "$work/good" "$env" && grub-editenv "$env" set fwg_order="a a"
refused "file: fwg_order other than \"a b\"/\"b a\" is refused, unchanged" file "$env" verify \
	"fwg_order" mark-bad b
cp "$work/good" "$env"
head -c 1000 "$work/good" >"$env"
refused "file: a block shorter than 1024 bytes is refused, unchanged" file "$env" verify \
	"shorter than 1024" set-trial b
cp "$work/good" "$env"
refused "set-trial with 0 tries is refused (usage), unchanged" file "$env" usage \
	"must be 1 to" set-trial b --tries 0
refused "a slot other than a or b is refused (usage), unchanged" file "$env" usage \
	"a or b" mark-good c

# ---- raw form: the block at offset 0 of a partition image ----
part=$work/bootenv.img
head -c 1048576 /dev/urandom >"$part"
grub-editenv "$work/seed" create
grub-editenv "$work/seed" set fwg_order="a b" fwg_a_ok=1 fwg_b_ok=0 saved_entry=1
dd if="$work/seed" of="$part" conv=notrunc status=none
tail -c +1025 "$part" >"$work/tail.before"
conf raw "$part"
# block PART: the first 1024 bytes, as a file grub-editenv can read
block() { head -c 1024 "$1" >"$work/block"; }
bl raw set-trial b --tries 3
block "$part"
tap_check "raw: set-trial b: grub-editenv lists the trial from the first 1024 bytes" \
	listed "$work/block" "fwg_order=b a" fwg_a_ok=1 fwg_b_ok=1 fwg_b_left=3 saved_entry=1
tap_check "raw: the image is still 1 MiB and nothing after the block changed" \
	sh -c "test \$(stat -c %s '$part') -eq 1048576 && tail -c +1025 '$part' | cmp -s - '$work/tail.before'"
grub-editenv "$work/block" set fwg_b_left=1
dd if="$work/block" of="$part" conv=notrunc status=none
tap_check "raw: updatectl reads a block grub-editenv changed" \
	status_is raw "b['left'] == 1 and b['order'] == 0 and a['confirmed']"
bl raw mark-good b && bl raw mark-bad a
block "$part"
tap_check "raw: mark-good b, mark-bad a as grub-editenv lists them" \
	listed "$work/block" "fwg_order=b a" fwg_a_ok=0 fwg_b_ok=1 fwg_a_left=0 saved_entry=1
tap_check "raw: our variables come right after the header, in the first sector" \
	sh -c "head -c 512 '$part' | grep -a -q '^fwg_b_ok=1\$'"
# Other variables filling the first sector: a change of ours would move
# bytes in the second sector, which a power cut could tear.
grub-editenv "$work/block" set "long=$(printf 'x%.0s' $(seq 420))"
dd if="$work/block" of="$part" conv=notrunc status=none
refused "raw: a change reaching past the first sector is refused, unchanged" raw "$part" io \
	"past the first 512-byte sector" mark-good a
cp "$work/seed" "$work/small"
grub-editenv "$work/small" set "long=$(printf 'x%.0s' $(seq 420))"
conf small "$work/small"
# The file too is written in place (a rename on ext2 or vfat is not safe
# at a power cut): the same first-sector rule.
refused "file: the same change reaching past the first sector is refused, unchanged" small \
	"$work/small" io "past the first 512-byte sector" set-trial b
head -c 1024 /dev/zero >"$part.zero" && cat "$part.zero" >"$part"
refused "raw: an erased partition (all zeros) is refused, unchanged" raw "$part" verify \
	"header" set-trial b
printf 'bootloader = grub\nboot_component = bootfw\nstate_dir = %s\n' "$work/state" \
	>"$work/nopath.conf"
refused "bootloader = grub without grubenv = is a usage error" nopath "$env" usage \
	"grubenv =" status
tap_done
