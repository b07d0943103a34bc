#!/bin/bash
# Remote attestation on the guest's TIS TPM (/dev/tpmrm0, swtpm behind
# QEMU): measure an image of a vendor-signed release, quote with a nonce,
# verify as the vendor would, and refuse the same quote for another nonce.
# Uses PCR 14, not fwguard's default 8: later tests in this boot expect
# PCR 8 untouched, and nothing in this guest extends 14. Writes no NV.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/exit_codes.sh"
build=${BUILD:-$top/build}
u=$build/bin/updatectl
pki=$build/pki
work=$(mktemp -d /tmp/fwguard-attest.XXXXXX)
trap 'rm -rf "$work"' EXIT
nonce=0123456789abcdef0123456789abcdef
tcti=${FWGUARD_TEST_TCTI:-device:/dev/tpmrm0}	# a swtpm TCTI to try it on the host
opts=(--tcti "$tcti" --state-dir "$work/state" --pcr 14)

tap_plan 5
if { [ "$tcti" = device:/dev/tpmrm0 ] && [ ! -c /dev/tpmrm0 ]; } ||
	! "$u" tpm status "${opts[@]}" --json >"$work/status.json" 2>/dev/null ||
	! grep -q '"pcr_value":"0000000000000000000000000000000000000000000000000000000000000000"' \
		"$work/status.json"; then
	for i in 1 2 3 4 5; do tap_skip "attestation step $i" "no TPM, or PCR 14 not fresh"; done
	exit 0
fi
head -c 65536 /dev/urandom >"$work/image"
mkdir -p "$work/releases"
"$u" bundle create --image "$work/image" --component fw --device-class fwguard-test \
	--security-version 1 --key "$pki/signer.key" --cert "$pki/signer.crt" \
	--output "$work/releases/fw-1.bundle" >/dev/null
"$u" tpm ak-public "${opts[@]}" --out "$work/ak.pub" >/dev/null
tap_check "tpm ak-public exports the AK of the guest's TPM" test -s "$work/ak.pub"
"$u" tpm measure "${opts[@]}" --component fw --slot a --version 1 --file "$work/image" >/dev/null
"$u" attest "${opts[@]}" --nonce "$nonce" --out "$work/quote" >/dev/null
tap_check "attest quotes the PCR with the nonce" test $? -eq "$(uc_exit ok)"
verify=(attest verify --json --pcr 14 --ak "$work/ak.pub" --releases "$work/releases"
	--trust "$pki/root-ca.crt")
"$u" "${verify[@]}" --nonce "$nonce" "$work/quote" >"$work/verify.json"
tap_check "attest verify accepts the quote" grep -q '"verified":true' "$work/verify.json"
"$u" "${verify[@]}" --nonce "ff${nonce:2}" "$work/quote" >"$work/refused.json" 2>/dev/null
tap_check "attest verify refuses it for another nonce" test $? -eq "$(uc_exit verify)"
grep -q '"step":"check-nonce"' "$work/refused.json" && is_json "$work/refused.json" &&
	tap_ok "the refusal names the nonce check, in JSON" ||
	tap_fail "the refusal names the nonce check, in JSON"
tap_done
