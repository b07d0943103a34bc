#!/bin/bash
# updatectl fetch end to end on the host: bundles made by `updatectl bundle
# create`, served by nginx on 127.0.0.1 with client certificates required.
# The ticket is checked before the image is accepted; a refused bundle
# leaves no file behind; the exit code names the kind of failure.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/exit_codes.sh"
build=${BUILD:-$top/build}
uc=$build/bin/updatectl
pki=$build/pki
work=$(mktemp -d /tmp/fwguard-fetch-sh.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
trap '"$top/tests/lib/nginx-mtls" stop "$work/srv"; rm -rf "$work"' EXIT
export FWGUARD_LOCK=$work/lock

mkdir -p "$work/doc" "$work/dl"
head -c 3000000 /dev/urandom >"$work/image"
mk() { # NAME SIGNER [CLASS]
	"$uc" bundle create --image "$work/image" --component bootfw --device-class "${3:-infusion-pump}" \
		--security-version 5 --key "$pki/$2.key" --cert "$pki/$2.crt" --output "$work/doc/$1" >/dev/null
}
mk good.fwb signer
mk untrusted.fwb other-signer
mk otherclass.fwb signer ventilator
cp "$work/doc/good.fwb" "$work/doc/long.fwb"
head -c 5000 /dev/urandom >>"$work/doc/long.fwb"
"$top/tests/lib/nginx-mtls" start "$work/srv" "$port" "$work/doc" "$pki"

cat >"$work/updatectl.conf" <<EOF
# test device
server_url = https://localhost:$port
server_ca = $pki/root-ca.crt
client_cert = $pki/device-client.crt
client_key = $pki/device-client.key
trust = $pki/root-ca.crt
device_class = infusion-pump
download_dir = $work/dl
attempts = 2
EOF

fetch() { "$uc" fetch --config "$work/updatectl.conf" --quiet "$@" 2>"$work/err"; }

tap_plan 13

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
fetch resumed.fwb
tap_check "interrupted download resumes and completes" cmp -s "$work/doc/good.fwb" "$work/dl/resumed.fwb"
tap_check "resume used a Range request" grep -q '"GET /resumed.fwb HTTP/1.1" 206 ' "$work/srv/logs/access.log"

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
