#!/bin/bash
# Network faults during `updatectl fetch` (issue 14): nginx with client
# certificates on 127.0.0.1 (tests/lib/nginx-mtls) and, for the faults
# nginx cannot produce on demand, tests/faults/netproxy between updatectl
# and nginx: a connection reset, a truncated stream and a stalled one
# (each once, then the retry resumes; and on every attempt, then the next
# fetch resumes), an HTTP 416 to the resume request, the file rotated
# between two range requests (a new ETag, and the same ETag), and a server
# trickling one byte per second. Each fault: the exit code, the one-line
# message, nothing in the download directory but the whole bundle or a
# prefix of it in .part, and the next normal fetch succeeds.
# Usage: net_faults.sh [all]   (no argument: the slice make check runs;
# FAULTS=all in the environment: the full set)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/common.sh"
. "$top/tests/lib/server.sh"
all=${1:-${FAULTS:-}}
test_workdir netfaults
pport=$(freeport)
proxy_pid=
stop_proxy() { [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null; proxy_pid=; }
export FWGUARD_LOCK=$work/lock
start=$(date +%s)

mkdir -p "$work/doc"
head -c 3000000 /dev/urandom >"$work/image"
head -c 3000000 /dev/urandom >"$work/image2"
mk() { # NAME IMAGE VERSION
	"$uc" bundle create --image "$2" --component bootfw --device-class infusion-pump \
		--security-version "$3" --key "$pki/signer.key" --cert "$pki/signer.crt" \
		--output "$work/$1" >/dev/null
}
mk a.fwb "$work/image" 5
mk b.fwb "$work/image2" 6
server_up "$work/doc"
at_exit stop_proxy

conf() { # PORT [EXTRA LINES]
	server_conf "$1"
	cat <<EOF
attempts = 3
stall_timeout_s = 2
connect_timeout_s = 5
${2:-}
EOF
}
proxy() { # MODE AFTER CONNS [--rotate SRC DST]
	local mode=$1 after=$2 conns=$3
	shift 3
	"$here/netproxy" --listen "$pport" --to "$port" --mode "$mode" --after "$after" \
		--conns "$conns" --log "$work/proxy.log" --ready "$work/proxy.ready" "$@" &
	proxy_pid=$!
	for _ in $(seq 200); do
		[ -e "$work/proxy.ready" ] && break
		sleep 0.1
	done
	rm -f "$work/proxy.ready"
}
# fresh NAME SRC: a clean download directory, SRC served as NAME.
fresh() {
	rm -rf "$work/dl" "$work/proxy.log"
	mkdir -p "$work/dl"
	: >"$work/srv/logs/access.log"
	cp -p "$work/$2" "$work/doc/$1"
}
fetch() { # PORT NAME [EXTRA CONF]
	conf "$1" "${3:-}" >"$work/updatectl.conf"
	"$uc" fetch --config "$work/updatectl.conf" --quiet "$2" 2>"$work/err"
}
msg() { tail -n 1 "$work/err"; }
# dl_ok NAME SRC: the download directory holds exactly NAME, equal to SRC.
dl_ok() { [ "$(ls -A "$work/dl")" = "$1" ] && cmp -s "$work/dl/$1" "$work/$2"; }
# dl_partial NAME SRC: nothing but NAME.part (a prefix of SRC) and its validator.
dl_partial() {
	local f
	for f in $(ls -A "$work/dl"); do
		case $f in "$1.part") ;; "$1.part.validator") ;; *) return 1 ;; esac
	done
	[ ! -e "$work/dl/$1.part" ] || cmp -s -n "$(stat -c %s "$work/dl/$1.part")" \
		"$work/dl/$1.part" "$work/$2"
}
count=0
declare -A injected
# fault KIND NAME WANT-EXIT STATUS MESSAGE-PATTERN CHECK...
fault() {
	local kind=$1 name=$2 want=$3 status=$4 pat=$5
	shift 5
	count=$((count + 1)) injected[$kind]=$((${injected[$kind]:-0} + 1))
	tap_check "$name: exit $(uc_exit "$want") ($want), got $status" \
		test "$status" -eq "$(uc_exit "$want")"
	tap_check "$name: one line names it: $(msg)" sh -c \
		"tail -n 1 '$work/err' | grep -q '^updatectl: .*$pat'"
	tap_check "$name: download directory as allowed" "$@"
}
recovered() { # NAME SRC: the next normal fetch, straight to nginx
	fetch "$port" "$1"
	tap_check "$1: next fetch succeeds, whole bundle" sh -c "[ $? -eq 0 ]"
	tap_check "$1: and nothing else is left" dl_ok "$1" "$2"
}

# Once: the retry within the same fetch resumes where the fault cut.
for mode in reset truncate stall; do
	fresh "$mode-once.fwb" a.fwb
	proxy "$mode" 1200000 1
	fetch "$pport" "$mode-once.fwb"
	status=$?
	stop_proxy
	: >"$work/err.ok"
	count=$((count + 1)) injected[$mode]=$((${injected[$mode]:-0} + 1))
	tap_check "$mode once: fetch succeeds after the retry, got $status" test "$status" -eq 0
	tap_check "$mode once: the whole bundle, nothing else" dl_ok "$mode-once.fwb" a.fwb
	tap_check "$mode once: the retry resumed (206)" \
		grep -q "GET /$mode-once.fwb HTTP/1.1\" 206 " "$work/srv/logs/access.log"
	[ "$all" = all ] || break
done

# Every attempt: the fetch fails, keeps a prefix to resume from.
for mode in reset truncate stall; do
	[ "$all" = all ] || [ "$mode" = reset ] || continue
	fresh "$mode-all.fwb" a.fwb
	proxy "$mode" 700000 0
	fetch "$pport" "$mode-all.fwb"
	status=$?
	stop_proxy
	# The last line tells that no retry is left, after the cause.
	pat="gave up after 3 attempts"
	fault "$mode" "$mode on every attempt" io "$status" "$pat" dl_partial "$mode-all.fwb" a.fwb
	recovered "$mode-all.fwb" a.fwb
done

# HTTP 416 to the resume request (a range the server will not serve).
fresh 416.fwb a.fwb
proxy reset 900000 1
conf "$pport" "attempts = 1" >"$work/updatectl.conf"
"$uc" fetch --config "$work/updatectl.conf" --quiet --output "$work/dl/416.fwb" range416/416.fwb 2>"$work/err"
stop_proxy
tap_check "416: the cut fetch left a prefix to resume" test -s "$work/dl/416.fwb.part"
conf "$port" >"$work/updatectl.conf"
"$uc" fetch --config "$work/updatectl.conf" --quiet --output "$work/dl/416.fwb" range416/416.fwb 2>"$work/err"
status=$?
count=$((count + 1)) injected[416]=$((${injected[416]:-0} + 1))
tap_check "416 to the resume: fetch starts over and succeeds, got $status" test "$status" -eq 0
tap_check "416 to the resume: the whole bundle, nothing else" dl_ok 416.fwb a.fwb
tap_check "416 to the resume: the server answered 416, then 200" sh -c \
	"grep -q '\" 416 ' '$work/srv/logs/access.log' && grep -q 'range416/416.fwb HTTP/1.1\" 200 ' '$work/srv/logs/access.log'"

# The file rotated between two range requests: a new version, new ETag.
fresh rot.fwb a.fwb
cp -p "$work/b.fwb" "$work/doc/rot.new"
proxy reset 1200000 1 --rotate "$work/doc/rot.new" "$work/doc/rot.fwb"
fetch "$pport" rot.fwb
status=$?
stop_proxy
count=$((count + 1)) injected[rotate]=$((${injected[rotate]:-0} + 1))
tap_check "rotated between ranges (new ETag): fetch succeeds, got $status" test "$status" -eq 0
tap_check "rotated between ranges (new ETag): the new bundle whole, never spliced" dl_ok rot.fwb b.fwb

if [ "$all" = all ]; then
	# The same, with the new file's size and time (so its ETag) kept.
	fresh rots.fwb a.fwb
	cp -p "$work/b.fwb" "$work/doc/rots.new"
	touch -r "$work/doc/rots.fwb" "$work/doc/rots.new"
	if [ "$(stat -c %s "$work/a.fwb")" = "$(stat -c %s "$work/b.fwb")" ]; then
		proxy reset 1200000 1 --rotate "$work/doc/rots.new" "$work/doc/rots.fwb"
		fetch "$pport" rots.fwb
		status=$?
		stop_proxy
		count=$((count + 1)) injected[rotate]=$((${injected[rotate]:-0} + 1))
		tap_check "rotated between ranges (same ETag): fetch succeeds, got $status" test "$status" -eq 0
		tap_check "rotated between ranges (same ETag): the new bundle whole, never spliced" \
			dl_ok rots.fwb b.fwb
	else
		tap_skip "rotated between ranges (same ETag)" "the two bundles differ in size"
	fi
fi

# A server trickling one byte per second: only the overall limit stops it.
fresh trickle.fwb a.fwb
proxy trickle 0 0
fetch "$pport" trickle.fwb "fetch_timeout_s = 4"
status=$?
stop_proxy
fault trickle "one byte per second" io "$status" "overall limit" dl_partial trickle.fwb a.fwb
recovered trickle.fwb a.fwb

for k in "${!injected[@]}"; do
	echo "# network faults: $k injected ${injected[$k]}"
done | sort
echo "# network faults: $count injected, $(($(date +%s) - start)) s"
echo "1..$tap_n"
tap_done
