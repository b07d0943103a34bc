#!/bin/bash
# updatectl fetch end to end on the host: bundles made by `updatectl bundle
# create`, served by nginx on 127.0.0.1 with client certificates required.
# The ticket is checked before the image is accepted; a refused bundle
# leaves no file behind; the exit code names the kind of failure. A resume
# is validated (If-Range) and the image hashed, so a file rotated on the
# server is never spliced; a link planted at .part is not followed; a
# redirect is named and refused; fetch_timeout_s bounds a trickling server.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
. "$top/tests/lib/server.sh"
test_workdir fetch-sh
export FWGUARD_LOCK=$work/lock

mkdir -p "$work/doc" "$work/dl"
head -c 3000000 /dev/urandom >"$work/image"
head -c 3000000 /dev/urandom >"$work/image2"
mk() { # NAME SIGNER [CLASS] [IMAGE] [VERSION]
	"$uc" bundle create --image "${4:-$work/image}" --component bootfw \
		--device-class "${3:-infusion-pump}" --security-version "${5:-5}" \
		--key "$pki/$2.key" --cert "$pki/$2.crt" --output "$work/doc/$1" >/dev/null
}
etag() { printf '"%x-%x"\n' "$(stat -c %Y "$1")" "$(stat -c %s "$1")"; }
mk good.fwb signer
mk untrusted.fwb other-signer
mk otherclass.fwb signer ventilator
mk rotated.fwb signer infusion-pump "$work/image"
mk next.fwb signer infusion-pump "$work/image2" 6
cp "$work/doc/good.fwb" "$work/doc/long.fwb"
head -c 5000 /dev/urandom >>"$work/doc/long.fwb"
server_up "$work/doc"

{ echo "# test device"; server_conf; echo "attempts = 2"; } >"$work/updatectl.conf"

fetch() { "$uc" fetch --config "$work/updatectl.conf" --quiet "$@" 2>"$work/err"; }

tap_plan 21

fetch good.fwb
tap_check "fetches a good bundle by name" test $? -eq "$(uc_exit ok)"
tap_check "fetched bundle is byte-identical" cmp -s "$work/doc/good.fwb" "$work/dl/good.fwb"
tap_check "fetched bundle verifies" sh -c "\"$uc\" bundle inspect \"$work/dl/good.fwb\" --trust \"$pki/root-ca.crt\" >/dev/null"

fetch untrusted.fwb
status=$?
tap_check "untrusted signer refused: verify" test "$status" -eq "$(uc_exit verify)"
tap_check "untrusted bundle leaves no file" test ! -e "$work/dl/untrusted.fwb" -a ! -e "$work/dl/untrusted.fwb.part"

fetch otherclass.fwb
tap_check "bundle for another device class refused: verify" test $? -eq "$(uc_exit verify)"

fetch long.fwb
status=$?
tap_check "server sending more than the ticket allows is stopped: verify" test "$status" -eq "$(uc_exit verify)"
tap_check "overlong download leaves no file" test ! -e "$work/dl/long.fwb" -a ! -e "$work/dl/long.fwb.part"

head -c 1000000 "$work/doc/good.fwb" >"$work/dl/resumed.fwb.part"
cp "$work/doc/good.fwb" "$work/doc/resumed.fwb"
etag "$work/doc/resumed.fwb" >"$work/dl/resumed.fwb.part.validator"
fetch resumed.fwb
tap_check "interrupted download resumes and completes" cmp -s "$work/doc/good.fwb" "$work/dl/resumed.fwb"
tap_check "resume used a Range request" grep -q '"GET /resumed.fwb HTTP/1.1" 206 ' "$work/srv/logs/access.log"

# The server rotates the file between two runs, keeping its size and time
# (so its ETag): the resumed bytes belong to another image.
head -c 1000000 "$work/doc/rotated.fwb" >"$work/dl/rotated.fwb.part"
etag "$work/doc/rotated.fwb" >"$work/dl/rotated.fwb.part.validator"
touch -r "$work/doc/rotated.fwb" "$work/doc/next.fwb"
cp -p "$work/doc/next.fwb" "$work/doc/rotated.fwb"
fetch rotated.fwb
status=$?
tap_check "rotated file on resume: never a spliced bundle" sh -c \
	"[ $status -ne $(uc_exit ok) ] || cmp -s '$work/doc/next.fwb' '$work/dl/rotated.fwb'"
tap_check "rotated file on resume: the new bundle arrives whole" cmp -s "$work/doc/next.fwb" "$work/dl/rotated.fwb"

head -c 100 /dev/urandom >"$work/victim"
cp "$work/victim" "$work/victim.orig"
ln -s "$work/victim" "$work/dl/linked.fwb.part"
cp "$work/doc/good.fwb" "$work/doc/linked.fwb"
fetch linked.fwb
tap_check "symlink planted at .part: fetch completes" cmp -s "$work/doc/good.fwb" "$work/dl/linked.fwb"
tap_check "symlink planted at .part: its target is untouched" cmp -s "$work/victim" "$work/victim.orig"

fetch redirect/good.fwb --output "$work/dl/moved.fwb"
status=$?
tap_check "redirect refused: io" test "$status" -eq "$(uc_exit io)"
tap_check "redirect refused: one line naming the redirect" sh -c \
	"grep -q 'redirects (HTTP 301 to https://localhost:$port/good.fwb)' '$work/err' && ! grep -qi 'header' '$work/err'"

echo "fetch_timeout_s = 2" >>"$work/updatectl.conf"
start=$(date +%s)
timeout 60 "$uc" fetch --config "$work/updatectl.conf" --quiet slow/good.fwb --output "$work/dl/slow.fwb" 2>"$work/err"
status=$? took=$(($(date +%s) - start))
tap_check "trickling server stopped by fetch_timeout_s: io" test "$status" -eq "$(uc_exit io)"
tap_check "trickling server stopped within the limit" test "$took" -lt 10
sed -i '/^fetch_timeout_s/d' "$work/updatectl.conf"

sed -i "s|^client_cert.*|client_cert = $pki/other-client.crt|; s|^client_key.*|client_key = $pki/other-client.key|" "$work/updatectl.conf"
fetch good.fwb --output "$work/dl/x.fwb"
tap_check "client certificate from another CA refused: io" test $? -eq "$(uc_exit io)"

flock "$FWGUARD_LOCK" "$uc" fetch --config "$work/updatectl.conf" --quiet good.fwb 2>"$work/err"
status=$?
tap_check "a second instance is refused while the lock is held: busy" test "$status" -eq "$(uc_exit busy)"

echo "bogus_key = 1" >>"$work/updatectl.conf"
fetch good.fwb
tap_check "unknown configuration key refused: usage" test $? -eq "$(uc_exit usage)"
tap_done
