#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `updatectl bundle create|inspect` end to end on the host: round trips with
# the JSON output checked field by field, then every refusal with its exit
# code and its single line of explanation, and proof that a failed create
# leaves nothing under the output name (nor temporary files beside it).
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
pki=${FWGUARD_PKI:-$pki}
test_workdir bundle "${TMPDIR:-/tmp}"

tap_plan 30

if [ ! -x "$uc" ] || [ ! -f "$pki/signer.key" ]; then
	echo "Bail out! need $uc and the test PKI in $pki (make userspace)"
	exit 1
fi

# A private copy: a parallel rebuild must not swap the binary mid-test.
cp "$uc" "$work/updatectl" && uc=$work/updatectl

img=$work/image.bin
head -c 1500000 /dev/urandom >"$img"
img_sha=$(sha256sum "$img" | cut -d' ' -f1)

create() { # create OUT SIGNER [extra args...]
	local out=$1 signer=$2
	shift 2
	"$uc" bundle create --image "$img" --component bootloader \
		--device-class acme-pump-v2 --security-version 42 \
		--key "$pki/$signer.key" --cert "$pki/$signer.crt" --output "$out" "$@"
}

# json FILE EXPR: evaluate a Python expression over the parsed JSON object j.
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; }

# expect_fail NAME CODE PATTERN CMD...: exit code CODE (by name), exactly one
# stderr line matching PATTERN, nothing on stdout.
expect_fail() {
	local name=$1 want pattern=$3 status
	want=$(uc_exit "$2")
	shift 3
	"$@" >"$work/stdout" 2>"$work/stderr"
	status=$?
	if [ "$status" -eq "$want" ] && [ "$(wc -l <"$work/stderr")" -eq 1 ] &&
	   grep -q -- "$pattern" "$work/stderr" && [ ! -s "$work/stdout" ]; then
		tap_ok "$name"
	else
		tap_fail "$name" "exit $status (want $want), stderr: $(tr '\n' '|' <"$work/stderr")"
	fi
}

no_leftovers() { # no_leftovers DIR NAME: neither NAME nor a temporary sibling exists
	[ ! -e "$1/$2" ] && [ -z "$(ls -A "$1" | grep -F ".$2.")" ]
}

# ---- round trips ----
b=$work/good.fwb
tap_check "create succeeds" create "$b" signer --serial SN-0001 \
	--not-before 2026-01-01T00:00:00Z --not-after 4102444800 --test-only
cms_len=$(python3 -c "import struct,sys; print(struct.unpack_from('<I', open(sys.argv[1],'rb').read(48), 8)[0])" "$b")
tap_check "bundle is header + CMS + image" \
	test "$(stat -c %s "$b")" -eq $((48 + cms_len + 1500000))
tap_check "no temporary file left after create" test -z "$(ls -A "$work" | grep '^\.good')"
tap_check "image bytes follow the ticket unchanged" \
	cmp -s "$img" <(tail -c +$((48 + cms_len + 1)) "$b")

"$uc" bundle inspect "$b" --json >"$work/plain.json" 2>"$work/err"
tap_check "inspect without trust store reports unverified" json "$work/plain.json" \
	"j['verified'] is False and j['device_class'] == 'acme-pump-v2'"

"$uc" bundle inspect "$b" --trust "$pki/root-ca.crt" --json >"$work/v.json" 2>"$work/err"
tap_check "inspect --trust CAFILE verifies" json "$work/v.json" "j['verified'] is True"
tap_check "JSON carries every ticket field" json "$work/v.json" \
	"j['format_version'] == 1 and j['component'] == 'bootloader' and
	 j['image_len'] == 1500000 and j['image_sha256'] == '$img_sha' and
	 j['security_version'] == 42 and j['serial'] == 'SN-0001' and
	 j['not_before'] == 1767225600 and j['not_after'] == 4102444800 and
	 j['flags'] == 2 and j['ticket_size'] == $cms_len and len(j['ticket_id']) == 32"
"$uc" bundle inspect "$b" --trust "$pki/trust" >"$work/human" 2>&1
tap_check "inspect --trust CADIR verifies, human output" \
	grep -q "^Verified: *signature ($pki/trust) and image digest" "$work/human"

create "$work/second.fwb" signer
"$uc" bundle inspect "$work/second.fwb" --json >"$work/min.json"
id1=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['ticket_id'])" "$work/v.json")
id2=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['ticket_id'])" "$work/min.json")
tap_check "ticket ids are random" test -n "$id1" -a -n "$id2" -a "$id1" != "$id2"
tap_check "optional fields absent are null" json "$work/min.json" \
	"j['serial'] is None and j['not_before'] is None and j['not_after'] is None and j['flags'] == 0"

# ---- signature refusals through the CLI ----
expect_fail "untrusted CA refused (verify)" verify "unable to get local issuer" \
	"$uc" bundle inspect "$b" --trust "$pki/other-ca.crt"
create "$work/expired.fwb" expired-signer 2>/dev/null
expect_fail "expired signer refused (verify)" verify "certificate has expired" \
	"$uc" bundle inspect "$work/expired.fwb" --trust "$pki/root-ca.crt"
create "$work/usage.fwb" wrong-usage-signer 2>/dev/null
expect_fail "wrong key usage refused (verify)" verify "lacks keyUsage digitalSignature" \
	"$uc" bundle inspect "$work/usage.fwb" --trust "$pki/root-ca.crt"

# ---- tampering ----
cp "$b" "$work/img-flip.fwb"
flip_byte() { # flip_byte FILE OFFSET: invert one byte in place
	python3 -c "import sys; f=open(sys.argv[1],'r+b'); o=int(sys.argv[2]); f.seek(o); b=f.read(1)[0]; f.seek(o); f.write(bytes([b ^ 0xff]))" "$1" "$2"
}
flip_byte "$work/img-flip.fwb" $((48 + cms_len + 777))
expect_fail "flipped image byte refused (verify)" verify "image SHA-256 does not match" \
	"$uc" bundle inspect "$work/img-flip.fwb" --trust "$pki/root-ca.crt"
cp "$b" "$work/cms-flip.fwb"
python3 - "$work/cms-flip.fwb" <<'PY'
import sys
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
i = d.find(b'acme-pump-v2', 48)
d[i] ^= 0x20          # 'a' -> 'A': still a valid charset, so only the signature can catch it
open(p, 'wb').write(d)
PY
expect_fail "flipped ticket content byte refused (verify)" verify "signature does not verify" \
	"$uc" bundle inspect "$work/cms-flip.fwb" --trust "$pki/root-ca.crt"
head -c -1 "$b" >"$work/short.fwb"
expect_fail "truncated bundle refused (verify)" verify "file size does not match" \
	"$uc" bundle inspect "$work/short.fwb" --trust "$pki/root-ca.crt"
{ cat "$b"; printf x; } >"$work/long.fwb"
expect_fail "trailing byte refused (verify)" verify "file size does not match" \
	"$uc" bundle inspect "$work/long.fwb"
cp "$b" "$work/magic.fwb"
flip_byte "$work/magic.fwb" 0
expect_fail "bad magic refused (verify)" verify "bad magic" "$uc" bundle inspect "$work/magic.fwb"
# Header claims one more image byte (CRC fixed, file extended): only the
# comparison with the verified ticket can catch it.
python3 - "$b" "$work/len.fwb" <<'PY'
import struct, sys, zlib
d = bytearray(open(sys.argv[1], 'rb').read())
n = struct.unpack_from('<Q', d, 16)[0]
struct.pack_into('<Q', d, 16, n + 1)
struct.pack_into('<I', d, 44, zlib.crc32(bytes(d[:44])))
open(sys.argv[2], 'wb').write(d + b'\0')
PY
expect_fail "image length differing from the ticket refused (verify)" verify \
	"differs from the ticket" "$uc" bundle inspect "$work/len.fwb" --trust "$pki/root-ca.crt"
head -c 30 "$b" >"$work/tiny.fwb"
expect_fail "file shorter than a header refused (verify)" verify "truncated bundle header" \
	"$uc" bundle inspect "$work/tiny.fwb"

# ---- create refusals leave nothing behind ----
mkdir "$work/out"
expect_fail "RSA-2048 signing key refused (usage)" usage "at least 3072 bits" \
	create "$work/out/x.fwb" rsa2048-signer
tap_check "... and nothing was written" no_leftovers "$work/out" x.fwb
expect_fail "missing image (io)" io "No such file" \
	"$uc" bundle create --image "$work/none" --component c --device-class d \
	--security-version 1 --key "$pki/signer.key" --cert "$pki/signer.crt" \
	--output "$work/out/x.fwb"
expect_fail "component outside the charset refused (usage)" usage "cannot encode ticket" \
	"$uc" bundle create --image "$img" --component "boot loader" --device-class d \
	--security-version 1 --key "$pki/signer.key" --cert "$pki/signer.crt" \
	--output "$work/out/x.fwb"
tap_check "... and nothing was written" no_leftovers "$work/out" x.fwb
echo old >"$work/out/keep.fwb"
create "$work/out/keep.fwb" signer --security-version -1 >/dev/null 2>&1
tap_check "failed create keeps an existing bundle intact" \
	test "$(cat "$work/out/keep.fwb")" = old
# No token is configured here: whether or not pkcs11-provider is installed,
# the URI cannot yield a key and the refusal is a configuration error.
expect_fail "PKCS#11 key that cannot be loaded (usage)" usage "pkcs11" \
	"$uc" bundle create --image "$img" --component c --device-class d \
	--security-version 1 --key "pkcs11:token=fwguard-none;object=signer" \
	--cert "$pki/signer.crt" --output "$work/out/x.fwb"
"$uc" bundle create --image "$img" >/dev/null 2>&1
tap_check "missing required options: usage" test $? -eq "$(uc_exit usage)"
expect_fail "unwritable output directory (io)" io "cannot create" \
	create "$work/no/such/dir/x.fwb" signer
expect_fail "inspect of a missing file (io)" io "No such file" \
	"$uc" bundle inspect "$work/none.fwb"

tap_done
