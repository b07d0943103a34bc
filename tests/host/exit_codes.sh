#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# updatectl's exit codes on the host: the table in updatectl(8) is the one
# in userspace/cli/exit_codes.h; each code is provoked once and asserted
# by name (fallback, which needs a booted slot, is provoked by the
# end-to-end scenario tampered_slot); an unreachable TPM gives the same
# code and one line naming the TCTI from every command that needs one
# (each command whose --help offers --tcti); --tcti, the configuration and
# $FWGUARD_TCTI choose the TPM in the same order everywhere; every --json
# output parses, failures (a JSON error object) and a corrupt slot state
# included; a TPM that stops answering (swtpm stopped) gives the same code
# within tpm_timeout_s and changes nothing.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/exit_codes.sh"
build=${BUILD:-$top/build}
pki=$build/pki
work=$(mktemp -d /tmp/fwguard-exit.XXXXXX)
swtpm_pid=
trap '[ -n "$swtpm_pid" ] && { kill "$swtpm_pid"; kill -CONT "$swtpm_pid"; } 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cp "$build/bin/updatectl" "$work/updatectl" && uc=$work/updatectl
export FWGUARD_LOCK=$work/lock
unset FWGUARD_TCTI
dead_tcti=swtpm:host=127.0.0.1,port=9

tap_plan 75

# ---- the table ----
man_table=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /s/^\.BR \([0-9]*\) " (\([a-z]*\))"$/\2=\1/p' \
	"$top/userspace/doc/updatectl.8")
tap_check "updatectl(8) lists every exit code of exit_codes.h, by the same name" \
	test "$man_table" = "$(uc_exit_names)" -a -n "$man_table"

# ---- a device configuration on the host: no module, no partitions ----
mkdir -p "$work/state/slots"
cat >"$work/updatectl.conf" <<CONF
device_class = infusion-pump
state_dir = $work/state
policy = $work/policy.conf
trust = $pki/root-ca.crt
server_url = https://127.0.0.1:9
server_ca = $pki/root-ca.crt
download_dir = $work/dl
CONF
printf 'component bootfw fw_a=PARTLABEL=fwx_a fw_b=PARTLABEL=fwx_b\ncomponent recovery r_a=PARTLABEL=fwx_ra r_b=PARTLABEL=fwx_rb\n' \
	>"$work/policy.conf"
head -c 4096 /dev/urandom >"$work/image"
"$uc" bundle create --image "$work/image" --component bootfw --device-class infusion-pump \
	--security-version 3 --key "$pki/signer.key" --cert "$pki/signer.crt" \
	--output "$work/good.fwb" >/dev/null
"$uc" bundle create --image "$work/image" --component bootfw --device-class infusion-pump \
	--security-version 3 --key "$pki/other-signer.key" --cert "$pki/other-signer.crt" \
	--output "$work/untrusted.fwb" >/dev/null
conf=(--config "$work/updatectl.conf")

# run NAME CMD...: stdout to $work/NAME.out, stderr to $work/NAME.err
run() { local n=$1; shift; "$@" >"$work/$n.out" 2>"$work/$n.err"; }
# error_is NAME CODE-NAME: NAME.out is a JSON error object with that code and name
error_is() {
	python3 - "$work/$1.out" "$(uc_exit "$2")" "$2" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["error"]
sys.exit(0 if e["code"] == int(sys.argv[2]) and e["name"] == sys.argv[3] and
         e["step"] and e["message"] else 1)
PY
}

# ---- each code once ----
expect_exit "ok: bundle inspect" ok run inspect "$uc" bundle inspect --json "$work/good.fwb"
tap_check "... its --json output parses" is_json "$work/inspect.out"
expect_exit "failure: the lock file cannot be created" failure \
	run lock1 env FWGUARD_LOCK="$work/no/such/dir/lock" "$uc" fetch "${conf[@]}" --json good.fwb
tap_check "... JSON error object named failure" error_is lock1 failure
expect_exit "usage: an unknown option" usage run usage "$uc" status --json --bogus
tap_check "... JSON error object named usage" error_is usage usage
# A usage error names the program once: "updatectl: tpm: ...", "updatectl: unknown ...".
run usage-top "$uc" --bogus
tap_check "usage: an unknown top-level command names the program once" \
	grep -qx "updatectl: unknown command '--bogus' (see 'updatectl --help')" "$work/usage-top.err"
run usage-sub "$uc" tpm bogus
tap_check "usage: an unknown sub-command names its group once" \
	grep -qx "updatectl: tpm: unknown command 'bogus' (see 'updatectl tpm --help')" "$work/usage-sub.err"
expect_exit "verify: a bundle from an untrusted signer" verify \
	run untrusted "$uc" bundle inspect --json --trust "$pki/root-ca.crt" "$work/untrusted.fwb"
tap_check "... JSON error object named verify, step verify-ticket" \
	sh -c "python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))[\"error\"][\"step\"] != \"verify-ticket\")' '$work/untrusted.out'"
expect_exit "kernel: keys list without fwguard.ko" kernel run keys "$uc" keys list --json
tap_check "... JSON error object named kernel" error_is keys kernel
expect_exit "io: install of a missing bundle" io run missing \
	env FWGUARD_TCTI=$dead_tcti "$uc" install "${conf[@]}" --json "$work/none.fwb"
tap_check "... names the missing file, not the module" \
	sh -c "grep -q 'cannot open $work/none.fwb: No such file' '$work/missing.err' && ! grep -q module '$work/missing.err'"
tap_check "... JSON error object named io" error_is missing io
expect_exit "busy: another instance holds the lock" busy \
	run busy flock "$FWGUARD_LOCK" "$uc" fetch "${conf[@]}" --json good.fwb
tap_check "... JSON error object named busy" error_is busy busy

# ---- an unreachable TPM: the same code and one line from every command ----
# The commands that talk to the TPM are those whose --help offers --tcti;
# each is listed here with arguments that take it as far as the TPM.
digest=$(printf '%064d' 0)
measure_args="--component bootfw --slot fw_a --version 3 --digest $digest"
declare -A tpm_args=(
	[verify]="$work/good.fwb" [install]="$work/good.fwb" [boot-verify]= [mark-good]=
	[adopt]="--version 3 bootfw fw_a" [status]= [attest]="--nonce $digest --out $work/quote"
	[tpm provision]= [tpm status]= [tpm measure]=$measure_args [tpm seal]=$measure_args
	[tpm unseal-verify]="--component bootfw --slot fw_a --digest $digest"
	[tpm floor]= [tpm replay]= [tpm ak-public]="--out $work/ak.pub"
	[policy load]=
)
# subcommands HELP-TEXT GROUP: the command names listed under "commands:"
subcommands() {
	sed -n '/^commands:/,/^$/s/^  \(updatectl '"$2"' \)\{0,1\}\([a-z-]*\)  .*/\2/p' <<<"$1"
}
tpm_commands() {
	local top sub help
	for top in $(subcommands "$("$uc" --help)" ''); do
		help=$("$uc" "$top" --help 2>&1)
		grep -q -- '--tcti' <<<"$help" && echo "$top"
		for sub in $(subcommands "$help" "$top"); do
			"$uc" "$top" "$sub" --help 2>&1 | grep -q -- '--tcti' && echo "$top $sub"
		done
	done
}
found=$(tpm_commands | sort)
tap_check "every command whose --help offers --tcti is listed here, and only those" \
	test "$found" = "$(printf '%s\n' "${!tpm_args[@]}" | sort)" -a -n "$found"
# one_tpm_line NAME: NAME.err is one line, the TPM that cannot be reached, named
one_tpm_line() {
	test "$(wc -l <"$work/$1.err")" -eq 1 &&
		grep -q "^updatectl: tpm: cannot open TPM via TCTI '$dead_tcti'" "$work/$1.err"
}
# shellcheck disable=SC2086
while read -r cmd; do
	[ -n "$cmd" ] && [ "$cmd" != "policy load" ] || continue
	name=t-${cmd// /-}
	run "$name" env FWGUARD_TCTI=$dead_tcti "$uc" $cmd ${tpm_args[$cmd]} "${conf[@]}"
	rc=$?
	why="exit $rc, $(wc -l <"$work/$name.err") lines: $(head -c 300 "$work/$name.err")"
	if [ "$rc" -eq "$(uc_exit tpm)" ] && one_tpm_line "$name" &&
		{ ! "$uc" $cmd --help | grep -q -- --json ||
		  { FWGUARD_TCTI=$dead_tcti "$uc" $cmd ${tpm_args[$cmd]} "${conf[@]}" --json \
			>"$work/$name.json" 2>/dev/null; is_json "$work/$name.json"; }; }; then
		tap_ok "unreachable TPM: $cmd exits tpm with one line naming the TCTI"
	else
		tap_fail "unreachable TPM: $cmd exits tpm with one line naming the TCTI" "$why"
	fi
done <<<"$found"
# policy load protects every slot first and reports the first failure: on
# this host that is the partitions, which do not exist (the guest test
# policy_load_failclosed asserts tpm where they do). The TPM is still named.
run t-policy-load env FWGUARD_TCTI=$dead_tcti "$uc" policy load "${conf[@]}"
tap_check "unreachable TPM: policy load names the TCTI and goes on to protect" \
	grep -q "^updatectl: tpm: cannot open TPM via TCTI '$dead_tcti'" "$work/t-policy-load.err"

# ---- a live TPM: which one is used, and status --json of a corrupt state ----
port=$(python3 -c 'import socket
for p in range(23000, 24000, 2):
    try:
        a, b = socket.socket(), socket.socket()
        a.bind(("127.0.0.1", p)); b.bind(("127.0.0.1", p + 1)); a.close(); b.close(); print(p); break
    except OSError: pass')
mkdir -p "$work/tpm"
swtpm socket --tpm2 --server type=tcp,port="$port",bindaddr=127.0.0.1 \
	--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --tpmstate dir="$work/tpm" \
	--flags not-need-init,startup-clear >/dev/null 2>&1 &
swtpm_pid=$!
live=swtpm:host=127.0.0.1,port=$port
for _ in $(seq 100); do
	(exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
	sleep 0.05
done
# floor_is NAME: NAME.out reports the floor the provisioned TPM holds
floor_is() {
	python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["floor"]
sys.exit(not (type(f) is int and f == json.load(open(sys.argv[2]))["floor"]))' \
		"$work/$1.out" "$work/prov.out"
}

# Factory state (no slot state, no floor index yet): a missing index is
# not an error, so policy load says nothing of it (here it then fails
# for want of the module and the partitions).
run factory-load env FWGUARD_TCTI=$live "$uc" policy load "${conf[@]}"
tap_check "factory state: policy load does not report the missing floor index" \
	bash -c "! grep -q 'floor' '$work/factory-load.err'"
expect_exit "FWGUARD_TCTI: tpm provision uses it" ok run prov env FWGUARD_TCTI=$live \
	"$uc" tpm provision "${conf[@]}" --json
expect_exit "FWGUARD_TCTI: status uses it too" ok run st1 env FWGUARD_TCTI=$live \
	"$uc" status "${conf[@]}" --json
tap_check "... and reads the floor from that TPM" floor_is st1
expect_exit "FWGUARD_TCTI: verify uses it too" ok run ver env FWGUARD_TCTI=$live \
	"$uc" verify "${conf[@]}" --json "$work/good.fwb"
tap_check "... its --json output parses" is_json "$work/ver.out"
sed "s|^device_class|tcti = $dead_tcti\ndevice_class|" "$work/updatectl.conf" >"$work/dead.conf"
expect_exit "the configuration's tcti comes before FWGUARD_TCTI" tpm run st2 \
	env FWGUARD_TCTI=$live "$uc" status --config "$work/dead.conf" --json
expect_exit "--tcti comes before the configuration" ok run st3 \
	"$uc" status --config "$work/dead.conf" --tcti "$live" --json
expect_exit "--tcti works for tpm commands the same way" ok run fl \
	"$uc" tpm floor --config "$work/dead.conf" --tcti "$live" --json
tap_check "... floor --json parses" floor_is fl
expect_exit "mark-good --json with nothing on trial" ok run mg \
	"$uc" mark-good "${conf[@]}" --tcti "$live" --json
tap_check "... its report parses and lists both components" sh -c \
	"python3 -c 'import json,sys; sys.exit(len(json.load(open(sys.argv[1]))[\"components\"]) != 2)' '$work/mg.out'"
expect_exit "boot-verify --json with nothing installed: factory state, ok" ok run bv \
	"$uc" boot-verify "${conf[@]}" --tcti "$live" --json
tap_check "... every component reported in factory state" sh -c \
	"python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))[\"components\"]; sys.exit(not (len(c) == 2 and all(x[\"factory\"] and not x[\"verified\"] for x in c)))' '$work/bv.out'"
echo "active=7" >"$work/state/slots/bootfw"
expect_exit "status with a corrupt slot state still reports" ok run corrupt \
	env FWGUARD_TCTI=$live "$uc" status "${conf[@]}" --json
tap_check "... as valid JSON" is_json "$work/corrupt.out"
tap_check "... naming the corrupt component and listing the other" sh -c \
	"python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))[\"components\"]; sys.exit(not (c[0][\"state\"] == \"corrupt\" and len(c[1][\"slots\"]) == 2))' '$work/corrupt.out'"
# An install the state machine refuses before the kernel is involved: the
# last good slot is not valid, so the other one holds the only bootable
# image. A policy refusal, like a downgrade: verify, not an I/O failure.
printf 'active=0\npending=1\nslot1.valid=1\nslot1.version=3\n' >"$work/state/slots/bootfw"
expect_exit "verify: install refused to overwrite the only bootable slot" verify run onlyslot \
	"$uc" install "${conf[@]}" --tcti "$live" --json "$work/good.fwb"
tap_check "... JSON error object named verify, step check-slots" sh -c \
	"python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))[\"error\"]; sys.exit(not (e[\"name\"] == \"verify\" and e[\"step\"] == \"check-slots\"))' '$work/onlyslot.out'"
rm -f "$work/state/slots/bootfw"
# A TPM other than the one provisioning pinned: its SRK has another name.
cp "$work/state/srk.pin" "$work/srk.pin.good"
sed -E "s/name=[0-9a-f]+/name=000b$(printf '%064d' 0)/" "$work/srk.pin.good" >"$work/state/srk.pin"
expect_exit "untrusted: the TPM's SRK is not the pinned one" untrusted run untr \
	"$uc" tpm floor "${conf[@]}" --tcti "$live" --json
tap_check "... JSON error object named untrusted" error_is untr untrusted
cp "$work/srk.pin.good" "$work/state/srk.pin"

# ---- a TPM that does not answer: swtpm stopped (SIGSTOP) ----
# Every command that talks to the TPM gives up after tpm_timeout_s with
# exit tpm and one line naming the TCTI and the limit, and changes nothing:
# not the state directory, and (swtpm resumed) not the TPM's PCR, floor,
# event log or sealed records. `timeout` keeps a hang from hanging the test.
hang_limit=2 hang_margin=2
sed "s|^device_class|tpm_timeout_s = $hang_limit\ndevice_class|" "$work/updatectl.conf" \
	>"$work/hang.conf"
# shellcheck disable=SC2086
"$uc" tpm measure "${conf[@]}" --tcti "$live" $measure_args >/dev/null &&
	"$uc" tpm seal "${conf[@]}" --tcti "$live" $measure_args >/dev/null
# tpm_state NAME: what the TPM holds (PCR, floor, log, records) into NAME.tpm
tpm_state() { "$uc" tpm status "${conf[@]}" --tcti "$live" --json >"$work/$1.tpm"; }
state_files() { (cd "$work/state" && find . -printf '%p %s %m %T@\n' -type f -exec sha256sum {} + | sort); }
tpm_state before && state_files >"$work/before.files"
hang_line="^updatectl: tpm: (cannot open TPM via TCTI '$live': not responding within $hang_limit s|TPM via TCTI '$live' not responding: no answer to .* within $hang_limit s) \(tpm_timeout_s\)\$"
# The commands found above, and one a level deeper that talks to the TPM.
declare -A hang_args=([tpm tls-key create]="--out $work/csr --cn fwx-1")
for cmd in "${!tpm_args[@]}"; do hang_args[$cmd]=${tpm_args[$cmd]}; done
kill -STOP "$swtpm_pid"
# shellcheck disable=SC2086
while read -r cmd; do
	[ -n "$cmd" ] || continue
	name=h-${cmd// /-}
	start=$EPOCHREALTIME
	run "$name" timeout 30 "$uc" $cmd ${hang_args[$cmd]} --config "$work/hang.conf" --tcti "$live"
	rc=$?
	secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	why="exit $rc after $secs s, $(wc -l <"$work/$name.err") lines: $(head -c 300 "$work/$name.err")"
	# policy load protects every slot first: here it then fails for the
	# partitions (see above), and still names the TPM that did not answer.
	want=$(uc_exit tpm)
	[ "$cmd" = "policy load" ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && want=$rc
	if [ "$rc" -eq "$want" ] &&
		awk -v s="$secs" -v m=$((hang_limit + hang_margin)) 'BEGIN { exit !(s <= m) }' &&
		{ [ "$cmd" = "policy load" ] || [ "$(wc -l <"$work/$name.err")" -eq 1 ]; } &&
		grep -Eq "$hang_line" "$work/$name.err"; then
		tap_ok "TPM not answering: $cmd gives up within ${hang_limit}+${hang_margin} s, exit $want, naming the TCTI and the limit"
	else
		tap_fail "TPM not answering: $cmd gives up within ${hang_limit}+${hang_margin} s, exit $want, naming the TCTI and the limit" "$why"
	fi
done <<<"$found
tpm tls-key create"
state_files >"$work/after.files"
tap_check "TPM not answering: the state directory is unchanged" \
	cmp -s "$work/before.files" "$work/after.files"
kill -CONT "$swtpm_pid"
tpm_state after
tap_check "TPM not answering: the TPM is unchanged once it answers again (PCR, floor, log, records)" \
	cmp -s "$work/before.tpm" "$work/after.tpm"
tap_done
