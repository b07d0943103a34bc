#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The soak (issue 14): update cycles on one device (a tests/vm/mkdisk disk
# and one swtpm state across QEMU -kernel boots), with power cuts and
# injected faults drawn from a fixed, printed seed. A cycle is: install a
# new version (fetched from nginx in the guest), reboot, boot-verify of its
# trial, mark-good, reboot. Every boot does the same thing and lets the
# device decide: boot-verify, then mark-good when it verified a trial,
# else fetch and install the next version (a mark-good refuses an install
# until the next boot, by design).
#
# Power cuts, at random in a third of the boots, in one operation of the
# boot (boot-verify, install or mark-good):
#   kill   the guest is killed (tests/vm/run --kill-when) a random time
#          after the operation started
#   log    the boot runs with its writes logged (--log-writes); afterwards
#          the disk is rebuilt as it was at a random crash point of the
#          operation (tests/crash/replay: a flush, writes dropped after
#          it, or a torn write), with the TPM as a cut there leaves it
#          (tests/crash/crash_points.sh: the state before the boot, for a
#          mark-good the state after it, its floor raised first)
# Faults, at random in another third, of the kinds of tests/faults/:
#   tpm       the host's swtpm stopped (killed) a random time into
#             boot-verify, install or mark-good
#   io-slot   I/O errors on a sector of a slot (QEMU's blkdebug driver
#             under the guest's disk) for the whole boot: whichever of
#             boot-verify (reads) and install (writes) touches it fails
#   io-state  write errors on the state file system's journal for the
#             whole boot
#   net       tests/faults/netproxy between fetch and nginx: a reset, a
#             truncated or a stalled stream, once (the retry resumes) or
#             on every attempt (then a plain fetch resumes)
#
# Checked after every boot; each failure is a loss, named, and makes the
# run fail: a boot with no verified slot (boot-verify neither verified
# nor fell back to a slot the next boot verifies), a slot below the floor
# reported verified, the floor fallen, a slot state that does not parse,
# an event log that does not replay to the PCR, an install (or the fetch
# after a network fault) that fails with no fault in its way, a mark-good
# of the verified trial that fails, a device that does not come up, and
# an acknowledged operation lost: an install (exit 0) whose trial the next
# boot does not verify, a mark-good (exit 0) the next boot does not keep
# (a kill cut just after the operation answered must not undo it).
# A faulted operation must fail with one "updatectl: " line.
#
# Usage: soak.sh [CYCLES [SEED]]   (defaults 100 and the time); SOAK_CUTS
# and SOAK_FAULTS: the percentage of boots with a cut and with a fault
# (33 each); SOAK_CUT_PM "LO HI": when a kill cut comes, in permilles of
# the operation's typical duration, past 1000 after it answered (0 1500);
# SOAK_CUT_HOW (kill, log; default both) and SOAK_CUT_OPS (the operations
# cut, default boot-verify install mark-good) narrow the cuts down;
# SOAK_TIMEOUT: a boot's time limit (1200 s); SOAK_DEADLINE (seconds since
# the epoch): no boot starts after it, the figures so far are printed.
# SOAK_FIXED=1 (tests/soak/slice.sh, make check): only events whose place
# the program defines, so that a seed meets the same ones on every run:
# a kill as the operation answers, a log cut at the Nth flush of
# boot-verify or install, io-slot and net faults (no TPM stop, no
# io-state: those come at a time). Every boot's plan follows from the
# seed alone. A boot in which the guest's TPM driver timed out under host
# load (a step says "tcti:IO failure" or "hierarchy is not enabled", no
# TPM stop planned) says nothing about the device: it runs once more from
# the disk and TPM it started with, counted as a host timeout; the second
# run is judged as any boot. `make soak CYCLES= SEED=`. Prints TAP.
scenario=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

# ---- guest side -------------------------------------------------------------
# A mark sector outside every partition (tests/crash/crash_points.sh).
soak_mark() {
	sync
	printf 'fwguard soak mark %s\n' "$1" |
		dd of=/dev/vda bs=512 seek="$1" count=1 conv=sync,notrunc oflag=direct status=none
	sync
}

# op NAME CMD...: one operation of the boot, the cut or the TPM stop of
# this boot's plan applied when it names the operation. Returns 1 when the
# boot must end after it (a log cut recorded, the TPM gone).
op() {
	local name=$1 pid i d
	shift
	# The delays: permilles of the operation's typical duration.
	d=$(sed -n "s/^$name //p" "$work/durations" 2>/dev/null)
	cut_ms=$((cut_pm * ${d:-3000} / 1000)) fault_ms=$((fault_pm * ${d:-3000} / 1000))
	if [ "$cut_op" = "$name" ] && [ "$cut_how" = kill ]; then
		echo "$name" >"$out/cut.op"
		step "$name" "$@" &
		pid=$!
		if [ "$cut_pm" -ge 1000 ]; then
			# Past 1000: the cut comes that long after the operation answered.
			wait "$pid"
			cut_ms=$(((cut_pm - 1000) * ${d:-3000} / 1000))
		fi
		sleep "$(printf '%d.%03d' $((cut_ms / 1000)) $((cut_ms % 1000)))"
		[ -e "$out/$name.rc" ] && echo late >"$out/cut.late"
		touch "$out/cut-power"
		sleep 300
		return 1
	fi
	if [ "$cut_op" = "$name" ] && [ "$cut_how" = log ]; then
		echo "$name" >"$out/cut.op"
		soak_mark 40
		step "$name" "$@"
		soak_mark 41
		return 1
	fi
	if [ "$fault" = tpm ] && [ "$fault_op" = "$name" ]; then
		echo "$name" >"$out/fault.op"
		step "$name" "$@" &
		pid=$!
		sleep "$(printf '%d.%03d' $((fault_ms / 1000)) $((fault_ms % 1000)))"
		[ -e "$out/$name.rc" ] && echo late >"$out/fault.late"
		touch "$out/tpm-stop"
		for i in $(seq 200); do [ -e "$out/tpm-stopped" ] && break; sleep 0.1; done
		wait "$pid"
		return 1
	fi
	local t0 t1
	t0=$(uptime_ms)
	step "$name" "$@"
	t1=$(uptime_ms)
	echo $((t1 - t0)) >"$out/$name.ms"
}
# The guest's monotonic clock in ms (its wall clock can jump under TCG).
uptime_ms() {
	local up
	read -r up _ </proc/uptime
	echo $((${up%.*} * 1000 + 10#${up#*.} * 10))
}

# The boot of a device: soak_boot_plan's arguments (ARG, VERSION last).
soak_boot_run() {
	local v tv trial verified rc conf=/etc/fwguard/updatectl.conf proxy
	fault_arg=$7 v=$8
	op boot-verify updatectl boot-verify --json || return 0
	rc=$(cat "$out/boot-verify.rc")
	tv=$(tail -n 1 "$out/boot-verify.out" | python3 -c \
		'import json,sys; c=json.load(sys.stdin)["components"][0]; print(c["trial"], c["verified"])' \
		2>/dev/null)
	trial=${tv% *} verified=${tv#* }
	step replay updatectl tpm replay --json
	# An odd pick cuts (or stops the TPM in) the operation after it.
	if [ "$rc" != 0 ] && [ "$rc" != 8 ]; then
		step status updatectl status --json
		return 0
	fi
	[ "$verified" = True ] || { step status updatectl status --json; return 0; }
	if [ "$trial" = True ]; then
		# The policy is loaded in every boot, as the device's unit does:
		# mark-good retires the superseded slot through it.
		security_up
		cut_second mark-good && cut_op=mark-good
		[ "$fault" = tpm ] && [ $((fpick % 2)) = 1 ] && fault_op=mark-good
		op mark-good updatectl mark-good --json || return 0
	else
		security_up
		cut_second install && cut_op=install
		[ "$fault" = tpm ] && [ $((fpick % 2)) = 1 ] && fault_op=install
		rm -rf /var/lib/fwguard/downloads
		if [ "$fault" = net ]; then
			# shellcheck disable=SC2086
			"$top/tests/faults/netproxy" --listen 8444 --to 8443 $fault_arg \
				--log "$out/proxy.log" --ready "$out/proxy.ready" &
			proxy=$!
			for _ in $(seq 100); do [ -e "$out/proxy.ready" ] && break; sleep 0.1; done
			sed 's|^server_url = .*|server_url = https://localhost:8444|' "$conf" >/etc/fwguard/net.conf
			echo "$fault_arg" >"$out/fault.op"
			step fetch-fault updatectl fetch --config /etc/fwguard/net.conf --quiet "v$v.fwb"
			kill "$proxy" 2>/dev/null
			wait "$proxy" 2>/dev/null
		fi
		step fetch updatectl fetch --quiet "v$v.fwb"
		op install updatectl install --quiet "/var/lib/fwguard/downloads/v$v.fwb" || return 0
		rm -rf /var/lib/fwguard/downloads
	fi
	step status updatectl status --json
}
# cut_allowed OP: the run cuts OP (SOAK_CUT_OPS, in $work/cut-ops; a log
# cut only the operations in $work/log-ops).
cut_allowed() {
	grep -qx "$1" "$work/cut-ops" && { [ "$cut_how" != log ] || grep -qx "$1" "$work/log-ops"; }
}
# The boot's cut: boot-verify on an even pick, the operation after it on
# an odd one (or whichever of the two the run cuts, when only one).
cut_second() {
	[ "$cut_how" != none ] && cut_allowed "$1" &&
		{ [ $((pick % 2)) = 1 ] || ! cut_allowed boot-verify; }
}
# Boot-verify's cut or TPM stop: picked before it runs (an even pick).
soak_plan_first() {
	[ "$cut_how" != none ] && cut_allowed boot-verify && [ $((pick % 2)) = 0 ] && cut_op=boot-verify
	[ "$fault" = tpm ] && [ $((fpick % 2)) = 0 ] && fault_op=boot-verify
	:
}

soak_factory() {
	step tpm-provision updatectl tpm provision
	security_up
	step adopt updatectl adopt bootfw fw_a --version 1
	step status updatectl status --json
}

# ---- host side --------------------------------------------------------------
# The scenarios' configuration (tests/e2e/lib.sh), with short network
# timeouts for the faults.
device_conf() {
	e2e_device_conf
	cat <<CONF
attempts = 3
stall_timeout_s = 2
connect_timeout_s = 5
CONF
}

# rnd N: R, a number in [0, N) from the run's generator, a 64-bit LCG
# seeded with the run's seed. Called in the script's own shell, never in
# a $( ): bash reseeds RANDOM in every subshell, so a draw there is not
# the seed's, and it would not advance the generator either.
rnd() {
	rng=$((rng * 6364136223846793005 + 1442695040888963407))
	R=$(((rng >> 33 & 0x7fffffff) % $1))
}

bundle() { # V: vV.fwb, an image of 128..640 KiB
	rnd 524288
	head -c $((131072 + R)) /dev/urandom >"$work/img"
	"$uc" bundle create --image "$work/img" --component bootfw --device-class infusion-pump \
		--security-version "$1" --key "$pki/signer.key" --cert "$pki/signer.crt" \
		--output "$work/srv/v$1.fwb" >/dev/null
}

# part_range PARTNUM: "START COUNT" in sectors of the disk.
part_range() {
	sgdisk -i "$1" "$work/disk.img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p;s/^Last sector: \([0-9]*\).*/\1/p' |
		tr '\n' ' ' | { read -r a b; echo "$a $((b - a + 1))"; }
}

# The state file system's journal: its sectors on the disk, one per block.
journal_sectors() {
	local r bs
	read -r -a r <<<"$(part_range 3)"
	dd if="$work/disk.img" of="$work/state.img" bs=512 skip="${r[0]}" count="${r[1]}" status=none
	bs=$(dumpe2fs -h "$work/state.img" 2>/dev/null | sed -n 's/^Block size: *//p')
	# Not its first block, the journal's superblock, that every mount writes.
	debugfs -R "blocks <8>" "$work/state.img" 2>/dev/null | tr ' ' '\n' | grep . | tail -n +2 |
		awk -v s="${r[0]}" -v k=$((bs / 512)) '{ print s + $1 * k }' >"$work/journal.sectors"
	rm -f "$work/state.img"
	[ -s "$work/journal.sectors" ]
}

# blkdebug_rules IOTYPE SECTOR...: a blkdebug configuration failing every
# request of IOTYPE (read, write) that touches one of the sectors.
blkdebug_rules() {
	local t=$1 s
	shift
	for s in "$@"; do
		printf '[inject-error]\nevent = "%s_aio"\nerrno = "5"\nsector = "%s"\nonce = "off"\n\n' \
			"$t" "$s"
	done
}

# The TPM stop: the swtpm of this boot (tests/vm/run's, on $work/tpm),
# killed when the guest asks, by its process id.
tpm_stopper() {
	local dir=$1 p
	while [ ! -e "$dir/tpm-stop" ]; do sleep 0.2; [ -e "$dir/.done" ] && return; done
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q "^swtpm socket .*dir=$work/tpm "; then
			kill -9 "${p#/proc/}" 2>/dev/null
		fi
	done
	touch "$dir/tpm-stopped"
}

# host_timeout BOOT: the guest's TPM driver timed out under host load
# (tests/crash/crash_points.sh, check_boot): no /dev/tpmrm0, "tcti:IO
# failure", or every command of the boot refused with "hierarchy is not
# enabled". Not in a boot whose swtpm the plan stopped: there it is the
# fault. Says so on stdout.
host_timeout() {
	local why
	[ "$fault" != tpm ] || return 1
	why=$(grep -ohsE "tcti:IO failure|hierarchy is not enabled" "$work/boots/$1"/*.out | head -n 1)
	[ -n "$why" ] || return 1
	echo "# boot $1: the guest's TPM failed ($why): a host timeout, booting it again"
}

count() { counts[$1]=$((${counts[$1]:-0} + 1)); }
loss() { # WHY
	losses+=("boot $k: $1")
	count "loss: ${1%%:*}"
	echo "# LOSS boot $k: $1"
}

# judge: the checks of boot $k from its result directory. Prints lines
# "loss KIND: WHY", "done V" (a cycle completed: V confirmed), "installed
# V", "faulted OP RC LINE", "verified SLOT V TRIAL FELLBACK".
judge() {
	python3 - "$work/boots/$k" "$floor_max" "$fault" "$cut_how" "$expect_verified" \
		"$last_installed" "$last_confirmed" <<'PY'
import json, os, sys
d, floor_max, fault, cut, expect_verified = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
last_installed, last_confirmed = sys.argv[6], sys.argv[7]
def rd(name):
    try:
        return open(f"{d}/{name}").read()
    except OSError:
        return None
def rc(step):
    t = rd(f"{step}.rc")
    try:
        return int(t) if t is not None else None
    except ValueError:
        return None
def doc(step):
    try:
        return json.loads(rd(f"{step}.out").strip().splitlines()[-1])
    except (AttributeError, ValueError, IndexError):
        return None
def first_err(step):
    t = rd(f"{step}.out") or ""
    for line in t.splitlines():
        if line.startswith("updatectl: "):
            return line
    return ""
out = []
cut_op = (rd("cut.op") or "").strip()
fault_op = (rd("fault.op") or "").strip()
faulted = fault in ("io-slot", "io-state") or (fault == "tpm" and fault_op)
# What ran to the end: a step cut by a kill has no exit code.
bv, bvrc = doc("boot-verify"), rc("boot-verify")
c = (bv.get("components") or [None])[0] if bv else None
st = doc("status")
killed_bv = cut == "kill" and cut_op == "boot-verify"
if bvrc is None:
    if fault in ("io-slot", "io-state"):
        out.append("faulted device-up - the device did not come up")
    elif not killed_bv:
        out.append("loss device: the device did not come up or boot-verify never ran")
elif bvrc in (0, 8) and c and c.get("verified"):
    out.append(f"verified {c['slot']} {c['version']} {c['trial']} {c['fell_back']}")
    if st and st.get("floor") is not None and c["version"] < st["floor"]:
        out.append(f"loss below-floor: slot {c['slot']} version {c['version']} verified, floor {st['floor']}")
elif bvrc == 8 and c and not c.get("verified") and expect_verified != "1":
    out.append("fellback-unverified")
elif faulted and (fault != "tpm" or fault_op == "boot-verify"):
    out.append(f"faulted boot-verify {bvrc} {first_err('boot-verify')}")
    if not first_err('boot-verify'):
        out.append(f"loss message: boot-verify failed ({bvrc}) with no 'updatectl: ' line")
elif killed_bv or (cut == "log" and cut_op == "boot-verify"):
    pass
else:
    out.append(f"loss no-verified-slot: boot-verify exited {bvrc}: {c} {first_err('boot-verify')}")
# What the boot before acknowledged survives it, a cut after it too:
# an install (exit 0) boots as the trial, a mark-good stays confirmed.
bv_faulted = faulted and (fault != "tpm" or fault_op == "boot-verify")
if bvrc in (0, 8) and c and not bv_faulted:
    kept = c["verified"] and not c["fell_back"]
    if last_installed != "-" and not (kept and c["trial"] and c["version"] == int(last_installed)):
        out.append(f"loss install-lost: v{last_installed} installed (exit 0) in the boot before, "
                   f"this boot ran {c['slot']} v{c['version']}, verified {c['verified']}, "
                   f"fell back {c['fell_back']}, trial {c['trial']}")
    if last_confirmed != "-" and (not kept or c["trial"] or c["version"] != int(last_confirmed)):
        out.append(f"loss mark-good-lost: v{last_confirmed} marked good (exit 0) in the boot before, "
                   f"this boot ran {c['slot']} v{c['version']}, verified {c['verified']}, "
                   f"fell back {c['fell_back']}, trial {c['trial']}")
# The event log replays to the PCR after a boot-verify that measured,
# unless a fault stood in its way in this boot.
if bvrc in (0, 8) and rc("replay") is not None and rc("replay") != 0 and not faulted:
    out.append(f"loss eventlog: tpm replay exited {rc('replay')}: {first_err('replay')}")
if st is not None or rc("status") is not None:
    if rc("status") != 0 or not st or any("state" in x for x in st.get("components", [{}])):
        if not faulted:
            out.append(f"loss state: status exited {rc('status')}: {first_err('status')}")
    elif st.get("floor") is None or st["floor"] < floor_max:
        out.append(f"loss floor: floor {st.get('floor')}, was {floor_max}")
    else:
        out.append(f"floor {st['floor']}")
for step in ("mark-good", "install"):
    r = rc(step)
    if r is None:
        continue
    if cut_op == step:
        continue	# a log cut replaces what it did
    if faulted and (fault != "tpm" or fault_op == step) and r != 0:
        e = first_err(step)
        out.append(f"faulted {step} {r} {e}")
        if not e:
            out.append(f"loss message: {step} failed ({r}) with no 'updatectl: ' line")
        continue
    if r != 0:
        out.append(f"loss {step}: exited {r}: {first_err(step)}")
    elif step == "install":
        out.append("installed")
    elif c and c.get("trial"):
        out.append(f"done {c['version']}")
        if st and st.get("floor") is not None and st["floor"] < c["version"]:
            out.append(f"loss floor: v{c['version']} marked good, the floor {st['floor']}")
if rc("fetch-fault") is not None:
    out.append(f"net {rc('fetch-fault')} {first_err('fetch-fault')}")
    if rc("fetch") != 0:
        out.append(f"loss fetch: the fetch after a network fault exited {rc('fetch')}: {first_err('fetch')}")
elif rc("fetch") not in (None, 0) and not faulted:
    out.append(f"loss fetch: exited {rc('fetch')}: {first_err('fetch')}")
print("\n".join(out))
PY
}

# One boot of the device with plan drawn from the generator.
soak_one() {
	local pick fpick arg="-" name opts=() r judged line kind
	cut_how=none fault=none
	rnd 1000; pick=$R
	rnd 1000; fpick=$R
	# When to cut or stop the TPM: permilles of the operation's duration,
	# a cut past 1000 comes just after the operation answered.
	rnd $((cut_hi - cut_lo)); cut_ms=$((cut_lo + R))
	rnd 1200; fault_ms=$R
	# A log cut's crash point, drawn now: the plan of every boot follows
	# from the seed alone, whatever the boots before did.
	rnd 1000000; log_seed=$R
	rnd 1000000; log_pick=$R
	rnd 100; r=$R
	if [ "$r" -lt "$cuts_pct" ]; then
		cut_how=kill
		rnd 2
		[ "$R" = 1 ] && cut_how=log
		[ "${SOAK_CUT_HOW:-both}" = both ] || cut_how=$SOAK_CUT_HOW
		# Fixed events: a kill comes just as the operation answered.
		[ -z "$fixed" ] || [ "$cut_how" != kill ] || cut_ms=1000
	elif [ "$r" -lt $((cuts_pct + faults_pct)) ]; then
		rnd 4
		case $R in
		0) fault=tpm ;;
		1) fault=io-slot ;;
		2) fault=io-state ;;
		3) fault=net ;;
		esac
		# Fixed events: the TPM stop comes after a time and the journal's
		# first write when the kernel commits; neither is in the slice.
		[ -z "$fixed" ] || case $fault in tpm) fault=io-slot ;; io-state) fault=net ;; esac
	fi
	v=$((v + 1))
	bundle "$v" || { loss "setup: bundle v$v"; return 1; }
	name=$k
	mkdir -p "$work/boots/$name"
	case $fault in
	net)
		local modes=(reset truncate stall) m
		rnd 3; m=${modes[$R]}
		rnd 100000; arg="--mode $m --after $((20000 + R))"
		rnd 2; arg+=" --conns $R"
		;;
	io-slot)
		local p rr
		rnd 2; p=$((1 + R))
		read -r -a rr <<<"$(part_range "$p")"
		rnd 256; arg="fw_$([ "$p" = 1 ] && echo a || echo b)+$R"
		blkdebug_rules read $((rr[0] + ${arg#*+})) >"$work/blkdebug.conf"
		blkdebug_rules write $((rr[0] + ${arg#*+})) >>"$work/blkdebug.conf"
		opts+=(--disk "blkdebug:$work/blkdebug.conf:$work/disk.img")
		;;
	io-state)
		# shellcheck disable=SC2046
		blkdebug_rules write $(cat "$work/journal.sectors") >"$work/blkdebug.conf"
		opts+=(--disk "blkdebug:$work/blkdebug.conf:$work/disk.img")
		;;
	esac
	if [ "$cut_how" = log ]; then
		cp --sparse=always "$work/disk.img" "$work/base.img"
		opts+=(--log-writes "$work/wlog")
	fi
	rm -rf "$work/tpm-before"
	cp -a "$work/tpm" "$work/tpm-before"
	cp --sparse=always "$work/disk.img" "$work/disk-before.img"
	echo "# boot $k: cut $cut_how, fault $fault ${arg}, next version v$v"
	local try
	for try in 1 2; do
		[ "$fault" = tpm ] && { tpm_stopper "$work/boots/$name" & }
		e2e_boot "$name" "$scenario" soak_boot_plan "$cut_how" "$pick" "$cut_ms" "$fault" "$fpick" \
			"$fault_ms" "$arg" "$v" -- --kill-when cut-power --timeout "${SOAK_TIMEOUT:-1200}" "${opts[@]}"
		r=$?
		touch "$work/boots/$name/.done"
		wait
		boots=$((boots + 1))
		[ "$try" = 1 ] && host_timeout "$name" || break
		# The boot says nothing about the device: it runs again, once,
		# from the disk and TPM it started with, with the same plan.
		count "host timeout"
		mv "$work/boots/$name" "$work/boots/$name.host-timeout"
		mv "$work/boots/$name.log" "$work/boots/$name.host-timeout.log"
		cp --sparse=always "$work/disk-before.img" "$work/disk.img"
		rm -rf "$work/tpm" && cp -a "$work/tpm-before" "$work/tpm"
	done
	# The cut's operation, and a log cut's crash point.
	local cop late=
	cop=$(cat "$work/boots/$name/cut.op" 2>/dev/null)
	[ -e "$work/boots/$name/cut.late" ] && late=" (after it ended)"
	if [ "$cut_how" = kill ] && [ "$r" = 137 ]; then
		count "cut kill $cop$late"
		pending_recovery+=" cut"
	elif [ "$cut_how" = kill ] && [ -n "$cop" ]; then
		loss "harness: the kill cut of $cop did not cut (exit $r)"
	fi
	if [ "$cut_how" = log ] && [ -n "$cop" ] && [ "$r" = 0 ]; then
		if ! log_cut "$cop"; then loss "harness: the log cut of $cop"; fi
		pending_recovery+=" cut"
	fi
	[ "$fault" = none ] || pending_recovery+=" fault"
	if [ "$r" != 0 ] && [ "$r" != 137 ]; then
		[ "$fault" = io-state ] || [ "$fault" = io-slot ] ||
			loss "device: harness exit $r (see $work/boots/$name.log)"
	fi
	judged=$(judge)
	expect_verified=0 last_installed=- last_confirmed=-
	local o ms
	for o in boot-verify install mark-good; do
		ms=$(cat "$work/boots/$name/$o.ms" 2>/dev/null) || continue
		[ "$ms" -le 120000 ] 2>/dev/null || ms=120000
		dur[$o]=$(((3 * ${dur[$o]} + ms) / 4))
	done
	printf '%s %s\n' boot-verify "${dur[boot-verify]}" install "${dur[install]}" \
		mark-good "${dur[mark-good]}" >"$work/durations"
	local any_loss=0 hit=
	while read -r line; do
		kind=${line%% *}
		case $kind in
		loss) loss "${line#loss }"; any_loss=1 ;;
		done) cycles=$((cycles + 1)); echo "# cycle $cycles: v${line#done } confirmed (boot $k)"
			[ "$cut_how:$cop" = log:mark-good ] || last_confirmed=${line#done } ;;
		installed) count "installs"
			[ "$cut_how:$cop" = log:install ] || last_installed=$v ;;
		floor) floor_max=${line#floor } ;;
		fellback-unverified) expect_verified=1; count "fall backs needing a reboot" ;;
		faulted) hit+=" ${line#faulted }" ;;
		net) hit+=" fetch ${line#net }" ;;
		esac
	done <<<"$judged"
	if [ "$fault" != none ]; then
		count "fault $fault"
		if [ -n "$hit" ]; then
			count "fault $fault: hit"
			echo "# boot $k: fault $fault:$hit"
		else
			count "fault $fault: not in the way"
		fi
		if [ "$fault" = tpm ]; then count "fault tpm: stopped in $(cat "$work/boots/$name/fault.op" 2>/dev/null)"; fi
	fi
	# A boot with no cut, no fault and no loss after cuts or faults: recovered.
	if [ "$cut_how" = none ] && [ "$fault" = none ] && [ "$any_loss" = 0 ] && [ -n "$pending_recovery" ] &&
		[ "$expect_verified" = 0 ]; then
		recoveries=$((recoveries + 1))
		pending_recovery=
	fi
	return 0
}

# log_cut OP: the disk as a cut at a random crash point of OP leaves it.
log_cut() {
	local r a b points n line
	a=$("$replay" find "$work/wlog" 40 | tail -n 1) b=$("$replay" find "$work/wlog" 41 | tail -n 1)
	[ -n "$a" ] && [ -n "$b" ] || return 1
	"$replay" points "$work/wlog" --from $((a + 1)) --to "$b" --torn --drops 2 \
		--seed "$log_seed" >"$work/points" || return 1
	# Fixed events: only the flushes, the Nth of the operation (the last
	# one when it made fewer), N drawn among the first eight.
	[ -z "$fixed" ] || grep '^flush ' "$work/points" >"$work/points.flush"
	[ -z "$fixed" ] || mv "$work/points.flush" "$work/points"
	n=$(wc -l <"$work/points")
	[ "$n" -gt 0 ] || return 1
	if [ -n "$fixed" ]; then
		line=$(sed -n "$((1 + log_pick % 8 < n ? 1 + log_pick % 8 : n))p" "$work/points")
	else
		line=$(sed -n "$((1 + log_pick % n))p" "$work/points")
	fi
	# shellcheck disable=SC2086
	"$replay" apply "$work/wlog" "$work/base.img" $line || return 1
	mv "$work/base.img" "$work/disk.img"
	if [ "$1" != mark-good ]; then
		rm -rf "$work/tpm" && mv "$work/tpm-before" "$work/tpm"
	fi
	count "cut log $1"
	counts["crash points offered ($1)"]=$((${counts["crash points offered ($1)"]:-0} + n))
	echo "# boot $k: log cut of $1 at point $line of $n"
	rm -f "$work/wlog"
}

main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/e2e/lib.sh"
	e2e_host soak
	replay=$build/tests/crash/replay
	want=${1:-100} seed=${2:-$(date +%s)}
	cuts_pct=${SOAK_CUTS:-33} faults_pct=${SOAK_FAULTS:-33} fixed=${SOAK_FIXED:-}
	read -r cut_lo cut_hi <<<"${SOAK_CUT_PM:-0 1500}"
	rng=$seed
	printf 'boot-verify 3000\ninstall 6000\nmark-good 3000\n' >"$work/durations"
	printf '%s\n' ${SOAK_CUT_OPS:-boot-verify install mark-good} >"$work/cut-ops"
	# Fixed events: no log cut of mark-good. Its TPM is the one after the
	# boot (log_cut), whose journal index was extended by the "good" line
	# (abstate.c): with a crash image from before that line reached the
	# disk, a pair no power cut leaves (the extend follows the fsynced
	# append), and every later install refuses the journal.
	if [ -n "$fixed" ]; then
		printf '%s\n' boot-verify install >"$work/log-ops"
	else
		cp "$work/cut-ops" "$work/log-ops"
	fi
	declare -gA counts=() dur=([boot-verify]=3000 [install]=6000 [mark-good]=3000)
	last_installed=- last_confirmed=-
	losses=() cycles=0 boots=0 recoveries=0 pending_recovery= floor_max=1 expect_verified=0
	v=1
	local start=$SECONDS max=$((want * 4 + 10)) kind
	echo "TAP version 13"
	echo "# soak: $want cycles, seed $seed (again: make soak CYCLES=$want SEED=$seed)," \
		"cuts in $cuts_pct%, faults in $faults_pct% of the boots"
	"$top/tests/vm/mkdisk" "$work/disk.img" 8 32
	device_conf >"$work/etc/updatectl.conf"
	e2e_policy_conf "$work/etc/policy.conf"
	e2e_install_module
	k=factory
	if ! e2e_boot factory "$scenario" soak_factory -- --timeout "${SOAK_TIMEOUT:-1200}" ||
		[ "$(cat "$work/boots/factory/adopt.rc" 2>/dev/null)" != 0 ] || ! journal_sectors; then
		tail -n 20 "$work/boots/factory.log" | sed 's/^/#   /'
		echo "1..1"
		tap_fail "the factory boot adopts fw_a"
		exit 1
	fi
	for ((k = 1; cycles < want && k <= max; k++)); do
		if [ -n "${SOAK_DEADLINE:-}" ] && [ "$(date +%s)" -ge "$SOAK_DEADLINE" ]; then
			echo "# soak: stopped at the deadline (SOAK_DEADLINE) before boot $k"
			break
		fi
		soak_one
	done
	echo "# soak: $cycles cycles completed in $boots boots, $recoveries recoveries, $((SECONDS - start)) s"
	for kind in "${!counts[@]}"; do echo "# soak: $kind: ${counts[$kind]}"; done | sort
	echo "# soak: ${#losses[@]} lost"
	echo "1..$(( ${#losses[@]} + 1 ))"
	local l
	for l in "${losses[@]}"; do tap_fail "nothing lost" "$l"; done
	if [ "$cycles" -ge "$want" ]; then
		tap_ok "$cycles cycles completed (seed $seed)"
	else
		tap_fail "$want cycles completed (seed $seed)" "$cycles in $boots boots"
	fi
	tap_done
}

# The guest's entry: the plan's boot-verify pick comes first.
soak_boot_plan() {
	cut_how=$1 pick=$2 cut_pm=$3 fault=$4 fpick=$5 fault_pm=$6
	cut_op= fault_op=
	soak_plan_first
	soak_boot_run "$@"
}

[ -n "${E2E_DEVICE:-}" ] || main "$@"
