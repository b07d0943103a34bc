# Helpers of the end-to-end scenarios, the demo and the install benchmark
# (sourced). On the host they need $build, $kver and $work (e2e_host sets
# them up); in the guest (tests/e2e/device sets E2E_DEVICE=1) $out, the
# boot's result directory.

# ---- host side ----

# e2e_host NAME: where a scenario's host side starts, once $top is set and
# this file sourced: the TAP helpers and exit codes (tests/lib/common.sh),
# $build, $kver, $uc, $pki, $genv (tests/vm/grubenv), and $work, a new
# directory $build/NAME.XXXXXX with srv/, etc/ and boots/, removed at exit
# unless E2E_KEEP is set.
e2e_host() {
	. "$top/tests/lib/common.sh"
	kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
	genv=$top/tests/vm/grubenv
	work=$(mktemp -d "$build/$1.XXXXXX") || exit 1
	at_exit '[ -n "${E2E_KEEP:-}" ] || rm -rf "$work"'
	mkdir -p "$work/srv" "$work/etc" "$work/boots"
}

# boot_ran BOOT STATUS: a failed check when the harness of that boot did
# not exit 0, with the end of its log.
boot_ran() {
	[ "$2" -eq 0 ] && return
	tap_fail "boot $1 completed" "harness exited $2"
	sed 's/^/#   /' "$work/boots/$1.log" | tail -n 20
}

# e2e_grub_boot NUMBER FUNCTION [HARNESS-OPTIONS...]: e2e_boot of
# FUNCTION of $scenario, booted through GRUB.
e2e_grub_boot() {
	local n=$1 fn=$2
	shift 2
	e2e_boot "$n" "$scenario" "$fn" -- --boot grub --timeout 600 "$@"
}

# e2e_grub_device VERSION...: the GRUB scenarios' device: the slot bundles
# of these versions (e2e_slot_bundle) and the boot disk, or else a failed
# check and the end of the script; then the device's configuration, policy
# and module.
e2e_grub_device() {
	local v ok=1
	: >"$work/setup.log"
	for v in "$@"; do
		e2e_slot_bundle "$v" >>"$work/setup.log" 2>&1 || { ok=; break; }
	done
	if [ -z "$ok" ] ||
		! "$top/tests/vm/mkbootdisk" --kernel "$kver" "$work/disk.img" >>"$work/setup.log" 2>&1; then
		sed 's/^/# /' "$work/setup.log"
		tap_fail "boot disk and signed slot images are built"
		tap_done; exit
	fi
	e2e_grub_conf >"$work/etc/updatectl.conf"
	e2e_policy_conf "$work/etc/policy.conf"
	e2e_install_module
}

# Install fwguard.ko into the guest's module tree the way a package would,
# so that modprobe and libkmod find it with its /etc/modprobe.d options.
# Scenarios run side by side share the tree: the module is replaced by a
# rename and depmod runs under a lock, only when the module changed, so
# that a guest booting meanwhile never reads a half-written file.
e2e_install_module() {
	local kdir=$build/kernel/$kver
	local ko=$kdir/lib/modules/$kver/updates/fwguard.ko
	mkdir -p "${ko%/*}"
	(
		flock 9
		cmp -s "$build/kmod/$kver/fwguard.ko" "$ko" && [ -e "$kdir/lib/modules/$kver/modules.dep" ] &&
			grep -q 'updates/fwguard.ko' "$kdir/lib/modules/$kver/modules.dep" && exit 0
		install -m 0644 "$build/kmod/$kver/fwguard.ko" "$ko.$$.tmp" &&
			mv "$ko.$$.tmp" "$ko" && depmod -b "$kdir" "$kver"
	) 9>"$kdir/.fwguard-module.lock"
}

# The A/B policy every scenario uses: component bootfw on fw_a and fw_b;
# next to an updatectl.conf with bootloader = grub, also GRUB's core.img
# (the BIOS boot partition of tests/vm/mkbootdisk), which policy load
# refuses to leave out.
e2e_policy_conf() {
	echo "component bootfw fw_a=PARTLABEL=fw_a fw_b=PARTLABEL=fw_b" >"$1"
	e2e_grub_policy "$(dirname "$1")/updatectl.conf" >>"$1"
}

# e2e_grub_policy UPDATECTL.CONF: the bootloader line GRUB scenarios add.
e2e_grub_policy() {
	grep -qE '^[[:space:]]*bootloader[[:space:]]*=[[:space:]]*grub[[:space:]]*$' "$1" 2>/dev/null || return 0
	echo "bootloader core=PARTLABEL=bios_boot"
}

# Flip one byte (OFFSET bytes in, default 4096) of partition PARTNUM of a
# powered-off disk image.
e2e_tamper() {
	local disk=$1 partnum=$2 offset=${3:-4096} start
	start=$(sgdisk -i "$partnum" "$disk" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
	printf '\x5a' | dd of="$disk" bs=1 seek=$((start * 512 + offset)) conv=notrunc status=none
}

# expect BOOT STEP CODE DESCRIPTION [GREP-PATTERN]: CODE is an updatectl
# exit code by name, or a number for other programs.
expect() {
	local dir=$work/boots/$1 rc want=$3
	case $want in [0-9]*) ;; *) want=$(uc_exit "$want") ;; esac
	rc=$(cat "$dir/$2.rc" 2>/dev/null || echo missing)
	if [ "$rc" = "$want" ] && { [ -z "${5:-}" ] || grep -qE "$5" "$dir/$2.out"; }; then
		tap_ok "$4"
	else
		tap_fail "$4" "step $2 exited $rc, expected $want ($3)${5:+ with /$5/}"
		sed 's/^/#   /' "$dir/$2.out" 2>/dev/null | tail -n 8
	fi
}

# json_is BOOT STEP DESCRIPTION EXPR: the step's stdout is JSON and EXPR
# (Python, over the document j) holds. Steps capture stderr too, so only
# the last line, the JSON document, is parsed.
json_is() {
	if tail -n 1 "$work/boots/$1/$2.out" | python3 -c \
		"import json,sys; j=json.load(sys.stdin); sys.exit(0 if ($4) else 1)" 2>/dev/null; then
		tap_ok "$3"
	else
		tap_fail "$3" "$(tail -n 1 "$work/boots/$1/$2.out" 2>/dev/null)"
	fi
}

# e2e_boot NAME FILE FUNCTION [ARGS...] [-- HARNESS-OPTIONS...]: boot the
# device on $work/disk.img and $work/tpm and run FUNCTION of FILE in it;
# results in $work/boots/NAME, the console log in $work/boots/NAME.log
# unless E2E_SHOW is set. Returns the harness's exit status.
e2e_boot() {
	local name=$1 file=$2 fn=$3 args=() opts=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	[ $# -gt 0 ] && shift && opts=("$@")
	local start=$SECONDS rc
	mkdir -p "$work/boots/$name"
	if [ -n "${E2E_SHOW:-}" ]; then
		"$top/tests/vm/run" --kernel "$kver" --disk "$work/disk.img" --tpm-state "$work/tpm" \
			--out "$work/boots/$name" "${opts[@]}" -- \
			"$top/tests/e2e/device" "$work" "$work/boots/$name" "$file" "$fn" "${args[@]}"
	else
		"$top/tests/vm/run" --kernel "$kver" --disk "$work/disk.img" --tpm-state "$work/tpm" \
			--out "$work/boots/$name" "${opts[@]}" -- \
			"$top/tests/e2e/device" "$work" "$work/boots/$name" "$file" "$fn" "${args[@]}" \
			>"$work/boots/$name.log" 2>&1
	fi
	rc=$?
	echo "# boot $name ($fn): $((SECONDS - start)) s, status $rc"
	return $rc
}

# The device configuration of the scenarios (updatectl.conf): nginx in
# the guest, the test PKI, the state directory and policy.
e2e_device_conf() {
	cat <<CONF
server_url = https://localhost:8443
server_ca = $pki/root-ca.crt
client_cert = $pki/device-client.crt
client_key = $pki/device-client.key
trust = $pki/root-ca.crt
device_class = infusion-pump
state_dir = /var/lib/fwguard
download_dir = /var/lib/fwguard/downloads
policy = /etc/fwguard/policy.conf
CONF
}

# The GRUB scenarios' device configuration: updatectl with `bootloader =
# grub` on the environment block GRUB reads (e2e_bootenv_up mounts it).
e2e_grub_conf() {
	e2e_device_conf
	cat <<CONF
bootloader = grub
boot_component = bootfw
grubenv = /run/bootenv/grubenv
boot_tries = 2
CONF
}

# e2e_slot_bundle V: a bootable slot image (mkslot: the guest kernel and
# the harness's initramfs) as $work/vV.img, signed with the test PKI's
# signer as security version V into $work/srv/vV.fwb.
e2e_slot_bundle() {
	"$top/tests/vm/mkslot" --kernel "$kver" "$work/v$1.img" &&
	"$build/bin/updatectl" bundle create --image "$work/v$1.img" --component bootfw \
		--device-class infusion-pump --security-version "$1" \
		--key "$pki/signer.key" --cert "$pki/signer.crt" \
		--output "$work/srv/v$1.fwb" >/dev/null
}

# The GRUB scenarios ($genv: tests/vm/grubenv; each boot saved its
# /proc/cmdline as cmdline in its result directory).
# booted BOOT SLOT DESCRIPTION: GRUB put fwguard.slot=SLOT on that boot's line.
booted() {
	if grep -qw "fwguard.slot=$2" "$work/boots/$1/cmdline" 2>/dev/null; then
		tap_ok "$3"
	else
		tap_fail "$3" "cmdline: $(cat "$work/boots/$1/cmdline" 2>/dev/null || echo none)"
		sed 's/^/#   /' "$work/boots/$1.log" | tail -n 15
	fi
}
# env_is DESCRIPTION NAME=VALUE|NAME=... : the disk's env holds exactly these
# (NAME= alone: NAME is unset).
env_is() {
	local desc=$1 kv got bad=
	shift
	for kv in "$@"; do
		got=$("$genv" "$work/disk.img" get "${kv%%=*}" 2>/dev/null) || got="(unset)"
		[ -n "${kv#*=}" ] || kv="${kv%%=*}=(unset)"
		[ "$got" = "${kv#*=}" ] || bad+=" ${kv%%=*}=$got"
	done
	if [ -z "$bad" ]; then tap_ok "$desc"; else tap_fail "$desc" "env:$bad"; fi
}
# console BOOT PATTERN DESCRIPTION: GRUB (or the kernel) said PATTERN.
console() {
	if grep -aqE "$2" "$work/boots/$1/console.log" 2>/dev/null; then tap_ok "$3"; else
		tap_fail "$3" "no /$2/ on boot $1's console"; fi
}

# ---- guest side ----

# The GRUB environment block's filesystem (bootenv, /dev/vda4), mounted
# where the GRUB scenarios' configuration names it, and what GRUB told the
# kernel, saved for the host's checks.
e2e_bootenv_up() {
	mkdir -p /run/bootenv
	mount -t ext2 /dev/vda4 /run/bootenv || return 1
	cat /proc/cmdline >"$out/cmdline"
}

# step NAME CMD...: run one step; its output and exit status go to the
# boot's result directory for the host's checks.
step() {
	local name=$1
	shift
	"$@" >"$out/$name.out" 2>&1
	echo $? >"$out/$name.rc"
}

# fwguard.ko is not loaded yet: policy load loads it through libkmod with
# the /etc/modprobe.d options (provisioning mode), as modprobe would; then
# the signing key goes in and the keyring is sealed.
security_up() {
	step policy-load updatectl policy load &&
	step keys-add updatectl keys add "$build/pki/signer.der" &&
	step keys-seal updatectl keys seal
}
