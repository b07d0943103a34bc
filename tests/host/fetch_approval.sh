#!/bin/bash
# updatectl fetch on a device with a vendor policy key (policy_key): the
# release's approval, URL.approval, comes with the bundle over the same
# mutual-TLS connection (nginx logs the connection of every request) and
# lands beside it as BUNDLE.approval, where install reads it. No approval
# on the server, one of another release or by another key: refused with
# exit 3 (verify) before the image is downloaded, and nothing in the
# download directory changes. Without policy_key nothing is asked for.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
. "$top/tests/lib/server.sh"
test_workdir fetch-approval
export FWGUARD_LOCK=$work/lock
log=$work/srv/logs/access.log

mkdir -p "$work/doc" "$work/dl"
openssl ecparam -name prime256v1 -genkey -noout -out "$work/vendor.key" 2>/dev/null
openssl ec -in "$work/vendor.key" -pubout -out "$work/vendor.pub" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$work/root.key" 2>/dev/null
head -c 2000000 /dev/urandom >"$work/image"
head -c 2000000 /dev/urandom >"$work/image2"
mk() { # NAME IMAGE VERSION [POLICY-KEY]
	"$uc" bundle create --image "$2" --component bootfw --device-class infusion-pump \
		--security-version "$3" --key "$pki/signer.key" --cert "$pki/signer.crt" \
		${4:+--policy-key "$4"} --output "$work/doc/$1" >/dev/null
}
mk good.fwb "$work/image" 5 "$work/vendor.key"
mk unapproved.fwb "$work/image" 5
mk swapped.fwb "$work/image2" 6 "$work/vendor.key"
cp "$work/doc/good.fwb.approval" "$work/doc/swapped.fwb.approval"	# another release's
mk rootkey.fwb "$work/image" 5 "$work/root.key"
mk junk.fwb "$work/image" 5
head -c 106 /dev/urandom >"$work/doc/junk.fwb.approval"
server_up "$work/doc"

conf() { # [POLICY_KEY]
	server_conf
	cat <<EOF
attempts = 2
fetch_timeout_s = 120
${1:+policy_key = $1}
EOF
}
conf "$work/vendor.pub" >"$work/vendor.conf"
conf >"$work/plain.conf"
fetch() { # CONF ARGS...
	local c=$1
	shift
	"$uc" fetch --config "$work/$c.conf" --quiet "$@" 2>"$work/err"
}
# conns NAME: the connection numbers of the requests for NAME and NAME.approval.
conns() {
	sed -n "s|.*\"GET /$1\\(.approval\\)\\{0,1\\} HTTP/1.1\" .* conn=\\([0-9]*\\)\$|\\2|p" "$log" |
		sort -u | tr '\n' ' '
}
listing() { (cd "$work/dl" && find . -mindepth 1 -printf '%p %s %T@\n' | sort); }

tap_plan 19

fetch vendor good.fwb
tap_check "vendor mode: fetches a bundle and its approval" test $? -eq "$(uc_exit ok)"
tap_check "... the bundle is byte-identical" cmp -s "$work/doc/good.fwb" "$work/dl/good.fwb"
tap_check "... the approval lies beside it, byte-identical" \
	cmp -s "$work/doc/good.fwb.approval" "$work/dl/good.fwb.approval"
tap_check "... approval first, then the bundle" sh -c \
	"grep -n 'GET /good.fwb' '$log' | head -n 1 | grep -q 'good.fwb.approval HTTP'"
got=$(conns good.fwb)
if [ -n "$got" ] && [ "$(echo "$got" | wc -w)" -eq 1 ] && [ "$(grep -c 'GET /good.fwb' "$log")" -eq 2 ]; then
	tap_ok "... both over the same TLS connection"
else
	tap_fail "... both over the same TLS connection" "connections: ${got:-none}"
fi
fetch vendor --json good.fwb --output "$work/dl/again.fwb" >"$work/out"
tap_check "... --json names the approval file" python3 -c "import json,sys
j=json.load(open('$work/out')); sys.exit(j['approval'] != '$work/dl/again.fwb.approval')"

before=$(listing)
fetch vendor unapproved.fwb
status=$?
tap_check "no approval on the server: refused, verify" test "$status" -eq "$(uc_exit verify)"
tap_check "... one line saying the server has none" sh -c \
	"[ \$(wc -l <'$work/err') -eq 1 ] && grep -q 'only vendor-approved releases.*unapproved.fwb.approval: HTTP 404' '$work/err'"
tap_check "... the bundle is never asked for" sh -c "! grep -q 'GET /unapproved.fwb HTTP' '$log'"
tap_check "... nothing in the download directory changed" test "$(listing)" = "$before"

# From /slow/ (4 KiB/s), so that the bytes nginx logs as sent are about
# the bytes the client took before it stopped.
fetch vendor slow/swapped.fwb
status=$?
tap_check "another release's approval: refused, verify" test "$status" -eq "$(uc_exit verify)"
tap_check "... named as not the vendor's approval of this release" \
	grep -q "not the vendor's approval of this release" "$work/err"
after=$(listing)
tap_check "... the image is not downloaded, nothing changed" sh -c \
	"[ '$after' = '$before' ] && grep -q 'GET /slow/swapped.fwb HTTP/1.1\" 200 [0-9]\{1,5\} ' '$log'"

fetch vendor rootkey.fwb
status=$?
tap_check "approval signed by another key: refused, verify" test "$status" -eq "$(uc_exit verify)"
tap_check "... named as another key" grep -q "signed by another key than the vendor policy key" "$work/err"

fetch vendor junk.fwb
status=$?
after=$(listing)
tap_check "a junk approval file: refused, verify, nothing changed" sh -c \
	"[ $status -eq $(uc_exit verify) ] && grep -q 'is not an approval file' '$work/err' &&
	 [ '$after' = '$before' ]"

conf /nonexistent/vendor.pub >"$work/nokey.conf"
fetch nokey good.fwb --output "$work/dl/x.fwb"
status=$?
tap_check "an unreadable policy_key: usage, nothing fetched" sh -c \
	"[ $status -eq $(uc_exit usage) ] && [ ! -e '$work/dl/x.fwb' ] && [ ! -e '$work/dl/x.fwb.part' ]"

: >"$log"
fetch plain unapproved.fwb
tap_check "without policy_key: a bundle without approval is fetched" test $? -eq "$(uc_exit ok)"
tap_check "... and no approval is asked for" sh -c "! grep -q '\\.approval' '$log'"
tap_done
