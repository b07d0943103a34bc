#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The model-based test of the A/B state machine on a device: QEMU guests on
# Debian's kernel with fwguard.ko, one disk (fw_a, fw_b, the state
# partition) and one swtpm state kept across the boots of a run. Each boot
# runs tests/kselftest/abmodel_guest (the model of tests/tpm/abmodel.h,
# shared with the host test) until an event needs the power off: a reboot,
# a power cut (--kill-when), or a slot tampered on the powered-off disk,
# which this script does before the next boot. The model's state passes
# from one boot to the next through the boots' result directories.
#
# Usage: abmodel_guest.sh [SEED [RUNS [STEPS]]]; defaults: the short
# fixed-seed slice of `make check`. `make model-guest SEED= N= STEPS=`
# runs it long. Prints TAP, one test per run.
scenario=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

# ---- the guest: one boot ----------------------------------------------------
abm_boot() {
	ABM_IN=$out/model.state ABM_OUT=$out/model.next ABM_WORK=$out ABM_CUT=$out/cut-power \
		"$build/tests/kselftest/abmodel_guest" >"$out/model.tap" 2>&1
	echo $? >"$out/model.rc"
}

# ---- the host ---------------------------------------------------------------
device_conf() {
	cat <<CONF
trust = $pki/root-ca.crt
device_class = infusion-pump
state_dir = /var/lib/fwguard
download_dir = /var/lib/fwguard/downloads
policy = /etc/fwguard/policy.conf
CONF
}

boot_failed() { # RUN BOOT WHY
	tap_fail "run $1 (seed $seed, $runs runs of $steps steps): the model holds" "boot $2: $3"
	sed 's/^/#   /' "$work/boots/$2/model.tap" 2>/dev/null | grep -v '^#   # \[' | tail -n 20
	grep '^# \[' "$work/boots/$2/model.tap" 2>/dev/null | tail -n 6 | sed 's/^/#   /'
	tail -n 15 "$work/boots/$2.log" | sed 's/^/#   /'
}

# run_one RUN: one device from the factory on, until the model's steps ran.
run_one() {
	local r=$1 k=1 rc end
	work=$base/run$r
	mkdir -p "$work/etc" "$work/boots/1"
	device_conf >"$work/etc/updatectl.conf"
	e2e_policy_conf "$work/etc/policy.conf"
	"$top/tests/vm/mkdisk" "$work/disk.img"
	printf 'seed %u\nfloor 0\ntodo %u\nsteps 0\nboots 0\nbundles 0\nreplay -\n' \
		$((seed + r - 1)) "$steps" >"$work/boots/1/model.state"
	while :; do
		e2e_boot "$k" "$scenario" abm_boot -- --kill-when cut-power --timeout 600
		rc=$?
		end=$(sed -n 's/^end //p' "$work/boots/$k/model.next" 2>/dev/null)
		case "$end:$rc" in
		done:0) break ;;
		reboot:0) ;;
		cut:137) ;;
		"tamper "[12]:0) e2e_tamper "$work/disk.img" "${end#tamper }" ;;
		*) boot_failed "$r" "$k" "ended '$end', harness exit $rc"; return 1 ;;
		esac
		if [ "$(cat "$work/boots/$k/model.rc" 2>/dev/null)" != 0 ] && [ "$rc" != 137 ]; then
			boot_failed "$r" "$k" "the guest test failed"; return 1
		fi
		k=$((k + 1))
		mkdir -p "$work/boots/$k"
		cp "$work/boots/$((k - 1))/model.next" "$work/boots/$k/model.state"
	done
	total_boots=$((total_boots + k))
	total_steps=$((total_steps + steps))
	tap_ok "run $r (seed $seed): $steps steps in $k boots, P1, P2, kernel and status agree"
}

main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/lib/tap.sh"
	build=${BUILD:-$top/build}
	kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
	. "$top/tests/e2e/lib.sh"
	pki=$build/pki
	seed=${1:-20261203} runs=${2:-1} steps=${3:-16}
	base=$(mktemp -d "$build/abmodel.XXXXXX")
	trap '[ -n "${E2E_KEEP:-}" ] || rm -rf "$base"' EXIT
	e2e_install_module
	total_boots=0 total_steps=0
	tap_plan "$runs"
	echo "# model-guest: seed $seed, $runs runs of $steps steps" \
		"(again: make model-guest SEED=$seed N=$runs STEPS=$steps)"
	local r start=$SECONDS
	for r in $(seq "$runs"); do
		run_one "$r"
	done
	echo "# model-guest: $total_steps steps in $total_boots boots, $((SECONDS - start)) s"
	tap_done
}

[ -n "${E2E_DEVICE:-}" ] || main "$@"
