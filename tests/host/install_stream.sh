#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `updatectl install https://...` streams the bundle into the kernel
# session, in one guest boot with nginx (client certificates required) on
# the guest's own loopback and tests/faults/netproxy in front of it for
# the faults. Each install leaves nothing of the bundle in the state
# directory (no download directory, no partial file), and a refused one
# changes nothing in the slot state, the journal or the TPM:
#   - a file that is no bundle, and a ticket from an untrusted signer:
#     refused (verify) before a session is opened, no byte written;
#   - an image altered after its ticket: the kernel wrote and hashed it,
#     its COMMIT refuses (verify);
#   - the file replaced on the server while the connection is down (a new
#     ETag): the resume cannot continue it, the session is aborted (io);
#   - the connection reset mid-image: resumed with a Range request under
#     If-Range, the same session fed on and committed;
#   - the plain install; and memory that does not grow with the image:
#     the peak RSS of a 14 MiB install exceeds that of a 1 MiB one by less
#     than half the difference of their sizes (a tool holding the image
#     would exceed it by the whole difference). The figures themselves are
#     the install benchmark's (tests/e2e/bench).
scenario=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
state=/var/lib/fwguard
proxy_port=9443

# ---- guest side ----

# snap NAME: what a refused install must leave as it was.
snap() {
	echo "$1 $(date +%s.%N)" >>"$out/times"
	(cd "$state" && find . -path ./lost+found -prune -o -print | sort) >"$out/$1.files"
	{
		(cd "$state" && find . -path ./lost+found -prune -o -type f -print0 | sort -z |
			xargs -0 sha256sum)
		updatectl status --json
	} >"$out/$1.state" 2>&1
	cat /sys/class/misc/fwguard/counters >"$out/$1.counters" 2>/dev/null
}

proxy_start() { # MODE AFTER [--rotate SRC DST]
	local mode=$1 after=$2
	shift 2
	rm -f /tmp/proxy.ready
	"$top/tests/faults/netproxy" --listen "$proxy_port" --to 8443 --mode "$mode" \
		--after "$after" --conns 1 --log "$out/proxy.log" --ready /tmp/proxy.ready "$@" &
	proxy_pid=$!
	for _ in $(seq 100); do
		[ -e /tmp/proxy.ready ] && return 0
		sleep 0.1
	done
	return 1
}
proxy_stop() { kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null; }

timed_step() { # NAME URL: install, its peak RSS in NAME.rss
	step "$1" /usr/bin/time -o "$out/$1.rss" -f '%M' updatectl install "$2"
}

# kept NAME: the ticket install kept for fw_b (RETIRE's proof once it is
# confirmed), and what else slot-tickets/ holds.
kept() {
	cp "$state/slot-tickets/bootfw@fw_b.cms" "$out/$1.kept" 2>/dev/null
	ls "$state/slot-tickets" >"$out/$1.kept.ls" 2>&1
}

stream_boot() {
	step tpm-provision updatectl tpm provision
	security_up
	# fw_a holds the running image: fw_b is the target of every install.
	step adopt updatectl adopt bootfw fw_a --version 1 --length 4096 --quiet
	snap start
	step bad-header updatectl install https://localhost:8443/junk.fwb
	step bad-ticket updatectl install https://localhost:8443/untrusted.fwb
	snap bad-ticket
	step tampered updatectl install https://localhost:8443/tampered.fwb
	snap tampered
	# The connection drops after 3 MB; meanwhile the server's file is replaced.
	proxy_start reset 3000000 --rotate "$work/srv/etag-new.fwb" "$work/srv/etag.fwb" &&
		step etag updatectl install "https://localhost:$proxy_port/etag.fwb"
	proxy_stop
	snap etag
	proxy_start reset 3000000 && timed_step resume "https://localhost:$proxy_port/v1.fwb"
	proxy_stop
	head -c "$(stat -c %s "$work/v1.img")" /dev/vda2 | sha256sum >"$out/resume.slot"
	kept resume
	snap resume
	timed_step happy https://localhost:8443/v2.fwb
	head -c "$(stat -c %s "$work/v2.img")" /dev/vda2 | sha256sum >"$out/happy.slot"
	kept happy
	snap happy
	timed_step large https://localhost:8443/v3.fwb
	cp /run/nginx/logs/access.log "$out/access.log"
}

# ---- host side ----

# same A B: the state directory and slot state are as they were.
same() { cmp -s "$dir/$1.files" "$dir/$2.files" && cmp -s "$dir/$1.state" "$dir/$2.state"; }
# counter SNAP NAME: a kernel counter at that point.
counter() { sed -n "s/^$2 //p" "$dir/$1.counters"; }
# delta A B NAME: how much counter NAME rose from A to B.
delta() { echo $(($(counter "$2" "$3") - $(counter "$1" "$3"))); }
# nothing_kept SNAP: no download directory, no partial or bundle file.
nothing_kept() { ! grep -qE 'downloads|\.part|\.fwb' "$dir/$1.files"; }
rc_is() { [ "$(cat "$dir/$1.rc" 2>/dev/null)" = "$(uc_exit "$2")" ]; }
out_has() { grep -qE "$2" "$dir/$1.out"; }
slot_holds() { [ "$(cut -d' ' -f1 "$dir/$1.slot")" = "$(sha256sum <"$work/$2.img" | cut -d' ' -f1)" ]; }
rss() { tail -n 1 "$dir/$1.rss" 2>/dev/null; }
# rss_flat STEP IMAGE STEP2 IMAGE2: STEP2's install of IMAGE2 peaked above
# STEP's of IMAGE by less than half the difference of the images' sizes.
rss_flat() {
	local d=$(( ($(stat -c %s "$work/$4.img") - $(stat -c %s "$work/$2.img")) / 1024 ))
	[ -n "$(rss "$1")" ] && [ -n "$(rss "$3")" ] &&
		[ $(( $(rss "$3") - $(rss "$1") )) -lt $((d / 2)) ]
}
# ticket_kept NAME BUNDLE: the kept ticket is BUNDLE's, byte for byte (the
# CMS follows the 48-byte bundle header).
ticket_kept() {
	[ -s "$dir/$1.kept" ] &&
		tail -c +49 "$work/srv/$2.fwb" | head -c "$(stat -c %s "$dir/$1.kept")" |
			cmp -s - "$dir/$1.kept"
}
log_has() { grep -qE "$1" "$dir/access.log"; }

checks() {
	dir=$work/boots/stream
	tap_check "setup: TPM provisioned, keyring sealed, fw_a adopted" sh -c \
		"[ \"\$(cat $dir/tpm-provision.rc $dir/keys-seal.rc $dir/adopt.rc)\" = \"$(printf '0\n0\n0')\" ]"

	tap_check "not a bundle: refused, verify, named" sh -c \
		"[ \"\$(cat '$dir/bad-header.rc')\" = $(uc_exit verify) ] && grep -q 'bad bundle header' '$dir/bad-header.out'"
	tap_check "bad ticket: refused, verify" rc_is bad-ticket verify
	tap_check "bad ticket: named as the signer" out_has bad-ticket "signer|trust"
	tap_check "bad ticket: no session opened, no byte written" sh -c \
		"[ $(delta start bad-ticket sessions_failed) -eq 0 ] && [ $(delta start bad-ticket allowed_session_bios) -eq 0 ]"
	tap_check "bad ticket: nothing changed, nothing kept on disk" same start bad-ticket

	tap_check "tampered image: refused, verify" rc_is tampered verify
	tap_check "tampered image: by the kernel at commit" out_has tampered \
		"kernel refused to commit the image: image does not match"
	tap_check "tampered image: the kernel had the stream (a session aborted)" \
		test "$(delta bad-ticket tampered sessions_failed)" -eq 1
	tap_check "tampered image: slot state, journal, TPM unchanged, nothing kept" same bad-ticket tampered

	tap_check "ETag changed mid-stream: aborted, io" rc_is etag io
	tap_check "ETag changed mid-stream: one line says why" sh -c \
		"tail -n 1 '$dir/etag.out' | grep -q '^updatectl: .*changed on the server.*cannot resume'"
	tap_check "ETag changed mid-stream: the resume was refused by If-Range (200)" \
		log_has '"GET /etag.fwb HTTP/1.1" 200 .*'
	tap_check "ETag changed mid-stream: the session aborted, nothing committed" sh -c \
		"[ $(delta tampered etag sessions_failed) -eq 1 ] && [ $(delta tampered etag sessions_committed) -eq 0 ]"
	tap_check "ETag changed mid-stream: nothing changed, nothing kept" same tampered etag

	tap_check "dropped connection: install completes" rc_is resume ok
	tap_check "dropped connection: resumed with a Range request (206)" \
		log_has '"GET /v1.fwb HTTP/1.1" 206 '
	tap_check "dropped connection: one session, fed on and committed" sh -c \
		"[ $(delta etag resume sessions_committed) -eq 1 ] && [ $(delta etag resume sessions_failed) -eq 0 ]"
	tap_check "dropped connection: fw_b holds the image" slot_holds resume v1
	tap_check "dropped connection: nothing of the bundle on disk" nothing_kept resume
	tap_check "dropped connection: the slot's ticket is kept for retirement" ticket_kept resume v1

	tap_check "plain stream: install completes" rc_is happy ok
	tap_check "plain stream: fw_b holds the image" slot_holds happy v2
	tap_check "plain stream: nothing of the bundle on disk" nothing_kept happy
	tap_check "plain stream: the new ticket replaces the slot's kept one" ticket_kept happy v2
	tap_check "14 MiB stream: install completes" rc_is large ok
	tap_check "peak RSS does not follow the image: $(rss happy) KiB for 1 MiB, $(rss large) KiB for 14 MiB" \
		rss_flat happy v2 large v3
}

bundles() {
	bundle() { # NAME VERSION SIGNER IMAGE_KIB
		head -c $(($4 * 1024)) /dev/urandom >"$work/$1.img"
		"$uc" bundle create --image "$work/$1.img" --component bootfw \
			--device-class infusion-pump --security-version "$2" \
			--key "$pki/$3.key" --cert "$pki/$3.crt" --output "$work/srv/$1.fwb" >/dev/null
	}
	bundle untrusted 5 other-signer 1024
	head -c 100000 /dev/urandom >"$work/srv/junk.fwb"
	bundle tampered 5 signer 2048
	bundle etag 5 signer 6144
	bundle etag-new 6 signer 5120
	bundle v1 2 signer 6144
	bundle v2 3 signer 1024
	bundle v3 4 signer 14336
	# One image byte after the ticket flipped: the ticket still verifies.
	local size
	size=$(stat -c %s "$work/srv/tampered.fwb")
	printf '\x5a' | dd of="$work/srv/tampered.fwb" bs=1 seek=$((size - 1000000)) conv=notrunc status=none
}

device_conf() {
	cat <<CONF
server_ca = $pki/root-ca.crt
client_cert = $pki/device-client.crt
client_key = $pki/device-client.key
trust = $pki/root-ca.crt
device_class = infusion-pump
state_dir = $state
download_dir = $state/downloads
policy = /etc/fwguard/policy.conf
attempts = 3
stall_timeout_s = 5
CONF
}

main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/e2e/lib.sh"
	e2e_host install-stream
	bundles
	device_conf >"$work/etc/updatectl.conf"
	e2e_policy_conf "$work/etc/policy.conf"
	e2e_install_module
	"$top/tests/vm/mkdisk" "$work/disk.img" 16 16

	tap_plan 27
	e2e_boot stream "$scenario" stream_boot -- --timeout 600 ||
		tap_fail "the guest boot completed" "$(tail -n 20 "$work/boots/stream.log")"
	checks
	tap_done
}

[ -n "${E2E_DEVICE:-}" ] || main "$@"
