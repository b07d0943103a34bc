#!/bin/bash
# updatectl fetch with the device's TLS client key in the TPM (tpm/TPM.md
# "TLS client key"), on the host: swtpm as the device's TPM and a second
# swtpm as another device's, nginx on 127.0.0.1 requiring a client
# certificate, the test PKI's root as the vendor CA that signs the
# device's certificate request. `updatectl tpm tls-key create` makes a
# non-exportable key (ReadPublic: fixedTPM, fixedParent; TPM2_Duplicate
# refused) and a request the CA signs; fetch then authenticates with the
# key through OpenSSL's tpm2 provider. Another TPM's key, a missing key, a
# bad setting, an unreachable TPM or a missing provider fail with one line
# and the documented exit code before anything is sent; a file key keeps
# working.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
. "$top/tests/lib/server.sh"
test_workdir fetch-tpm-key
export FWGUARD_LOCK=$work/lock
unset FWGUARD_TCTI TPM2OPENSSL_TCTI
handle=0x81004654

# swtpm_up NAME: a fresh swtpm in $work/NAME; its TCTI in tcti_NAME.
swtpm_up() {
	local p
	p=$(python3 -c 'import socket
for p in range(25000, 60000, 2):
    a, b = socket.socket(), socket.socket()
    try:
        a.bind(("127.0.0.1", p)); b.bind(("127.0.0.1", p + 1)); a.close(); b.close(); print(p); break
    except OSError: pass')
	mkdir -p "$work/$1" "$work/state-$1"
	swtpm socket --tpm2 --server type=tcp,port="$p",bindaddr=127.0.0.1 \
		--ctrl type=tcp,port=$((p + 1)),bindaddr=127.0.0.1 --tpmstate dir="$work/$1" \
		--flags not-need-init,startup-clear >/dev/null 2>&1 &
	at_exit "kill $! 2>/dev/null"
	for _ in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null && break
		sleep 0.05
	done
	printf -v "tcti_$1" 'swtpm:host=127.0.0.1,port=%s' "$p"
}
swtpm_up a
swtpm_up b

# sign_csr NAME: the vendor CA issues NAME.crt for NAME.csr (a TLS client).
sign_csr() {
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
		>"$work/client.ext"
	openssl x509 -req -in "$work/$1.csr" -CA "$pki/root-ca.crt" -CAkey "$pki/root-ca.key" \
		-CAcreateserial -CAserial "$work/ca.srl" -sha256 -days 30 \
		-extfile "$work/client.ext" -out "$work/$1.crt" 2>/dev/null
}

mkdir -p "$work/doc" "$work/dl"
head -c 200000 /dev/urandom >"$work/image"
"$uc" bundle create --image "$work/image" --component bootfw --device-class infusion-pump \
	--security-version 5 --key "$pki/signer.key" --cert "$pki/signer.crt" \
	--output "$work/doc/good.fwb" >/dev/null
server_up "$work/doc"
log=$work/srv/logs/access.log

# conf NAME TPM CERT KEY: a device configuration using TPM's TCTI.
conf() {
	{ server_conf; echo "attempts = 1"; echo "state_dir = $work/state-$2"
	  eval "echo \"tcti = \$tcti_$2\""; } |
		sed "s|^client_cert.*|client_cert = $3|; s|^client_key.*|client_key = $4|" \
		>"$work/$1.conf"
}
conf dev a "$work/dev.crt" "tpm:$handle"
conf file a "$pki/device-client.crt" "$pki/device-client.key"

tls_key() { # TPM ARGS...: updatectl tpm tls-key create on TPM
	local t=$1
	shift
	eval "\"\$uc\" tpm tls-key create --config \"\$work/dev.conf\" --tcti \"\$tcti_$t\" \"\$@\""
}
fetch() { # CONF OUT: exit status; stderr in $work/err
	"$uc" fetch --config "$work/$1.conf" --quiet good.fwb --output "$work/dl/$2" 2>"$work/err"
}
lines() { wc -l <"$log"; }
one_line() { test "$(wc -l <"$work/err")" -eq 1 && grep -q "$1" "$work/err"; }

tap_plan 31

# ---- provisioning: the key in TPM a, its request signed by the CA ----
tls_key a --cn device-0001 --out "$work/dev.csr" >"$work/create.out" 2>"$work/err"
tap_check "tls-key create: ok" test $? -eq "$(uc_exit ok)"
tap_check "tls-key create: the request verifies and names the CN" sh -c \
	"openssl req -in '$work/dev.csr' -noout -verify -subject 2>&1 | grep -q 'CN = device-0001'"
TPM2TOOLS_TCTI=$tcti_a tpm2_readpublic -c $handle -f pem -o "$work/tpm.pub" >"$work/readpublic" 2>&1
openssl req -in "$work/dev.csr" -noout -pubkey >"$work/csr.pub"
tap_check "the request's public key is the TPM key's (ReadPublic)" cmp -s "$work/tpm.pub" "$work/csr.pub"
attrs=$(sed -n '/^attributes:/{n;s/^ *value: //p}' "$work/readpublic")
tap_check "ReadPublic: fixedtpm, fixedparent, sensitivedataorigin, sign ($attrs)" sh -c \
	"echo '$attrs' | tr '|' '\n' | sort | tr '\n' ' ' | grep -qx 'fixedparent fixedtpm noda sensitivedataorigin sign userwithauth '"
# TPM2_Duplicate is the only command that hands a private area out
# (wrapped for a new parent); it needs the DUP role, i.e. a policy.
dup() { # HANDLE: try to duplicate it
	TPM2TOOLS_TCTI=$tcti_a tpm2_startauthsession -S "$work/s.ctx" --policy-session &&
	TPM2TOOLS_TCTI=$tcti_a tpm2_policycommandcode -S "$work/s.ctx" TPM2_CC_Duplicate >/dev/null &&
	TPM2TOOLS_TCTI=$tcti_a tpm2_duplicate -C null -c "$1" -G null -p session:"$work/s.ctx" \
		-r "$work/dup.priv" -s "$work/dup.seed"
	local status=$?
	TPM2TOOLS_TCTI=$tcti_a tpm2_flushcontext "$work/s.ctx" 2>/dev/null
	rm -f "$work/s.ctx"
	return $status
}
# The control: an exportable key whose policy allows duplication is handed out.
# (swtpm has no resource manager: the tools' transient objects are flushed.)
(set -e; cd "$work"; export TPM2TOOLS_TCTI=$tcti_a
	tpm2_createprimary -C o -g sha256 -G ecc -c prim.ctx; tpm2_flushcontext -t
	tpm2_startauthsession -S t.ctx; tpm2_policycommandcode -S t.ctx -L dup.pol TPM2_CC_Duplicate
	tpm2_flushcontext t.ctx
	tpm2_create -C prim.ctx -G ecc -a 'sign|sensitivedataorigin|userwithauth' -L dup.pol \
		-u x.pub -r x.priv; tpm2_flushcontext -t
	tpm2_load -C prim.ctx -u x.pub -r x.priv -c x.ctx; tpm2_evictcontrol -C o -c x.ctx 0x81004656
	tpm2_flushcontext -t) >/dev/null 2>&1
dup 0x81004656 >/dev/null 2>&1
tap_check "control: TPM2_Duplicate hands out an exportable key (this test can duplicate)" \
	test $? -eq 0 -a -s "$work/dup.priv"
rm -f "$work/dup.priv"
dup $handle >/dev/null 2>"$work/dup.err"
tap_check "TPM2_Duplicate of the TLS key is refused by the TPM" \
	sh -c "! grep -q . '$work/dup.priv' 2>/dev/null && grep -q 'Esys_Duplicate' '$work/dup.err'"
cp "$work/dev.csr" "$work/dev.csr.1"
tls_key a --cn device-0001 --out "$work/dev.csr" >"$work/create.out" 2>"$work/err"
tap_check "tls-key create again: the key is kept, a new request for it" sh -c \
	"grep -q 'already present' '$work/create.out' && openssl req -in '$work/dev.csr' -noout -pubkey | cmp -s - '$work/csr.pub'"
sign_csr dev
"$uc" tpm tls-key create --config "$work/dev.conf" --tcti "$tcti_a" --cn x 2>"$work/err"
status=$?
tap_check "tls-key create without --out: usage, one line" sh -c \
	"[ $status -eq $(uc_exit usage) ] && [ \$(wc -l <'$work/err') -eq 1 ] && grep -q 'out FILE' '$work/err'"
tls_key a --handle 0x81000001 --cn x --out "$work/x.csr" 2>"$work/err"
tap_check "tls-key create at the SRK's handle: usage, no request" sh -c \
	"[ $? -eq $(uc_exit usage) ] && [ ! -e '$work/x.csr' ]"
TPM2TOOLS_TCTI=$tcti_a tpm2_readpublic -c 0x81004656 -o "$work/exp.before" >/dev/null 2>&1
tls_key a --handle 0x81004656 --cn x --out "$work/x.csr" 2>"$work/err"
status=$?
TPM2TOOLS_TCTI=$tcti_a tpm2_readpublic -c 0x81004656 -o "$work/exp.after" >/dev/null 2>&1
tap_check "tls-key create over another object: tpm, that object kept, no request" sh -c \
	"[ $status -eq $(uc_exit tpm) ] && cmp -s '$work/exp.before' '$work/exp.after' && [ ! -e '$work/x.csr' ]"
tls_key a --json --cn device-0001 --out "$work/dev2.csr" >"$work/create.json" 2>/dev/null
tap_check "tls-key create --json: the handle and the point of the request's key" python3 -c '
import json, subprocess, sys
j = json.load(open(sys.argv[1]))
der = subprocess.run(["openssl", "req", "-in", sys.argv[2], "-noout", "-pubkey"], capture_output=True).stdout
txt = subprocess.run(["openssl", "pkey", "-pubin", "-noout", "-text"], input=der, capture_output=True).stdout.decode()
hexpub = "".join(l.strip() for l in txt.split("pub:")[1].split("ASN1")[0].split()).replace(":", "")
sys.exit(not (j["handle"] == 0x81004654 and j["key"] == "already present" and hexpub == "04" + j["x"] + j["y"]))
' "$work/create.json" "$work/dev2.csr"

# ---- the fetch ----
before=$(lines)
fetch dev tpm.fwb
tap_check "fetch with the TPM-held key: ok" test $? -eq "$(uc_exit ok)"
tap_check "fetch with the TPM-held key: the bundle arrives whole" cmp -s "$work/doc/good.fwb" "$work/dl/tpm.fwb"
tap_check "the server logged the request as answered (200)" sh -c \
	"tail -n +$((before + 1)) '$log' | grep -q '\"GET /good.fwb HTTP/1.1\" 200 '"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$pki/root-ca.crt" "https://localhost:$port/good.fwb")
tap_check "the same server refuses a client without the certificate (HTTP $code)" test "$code" = 400
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$pki/root-ca.crt" --cert "$work/dev.crt" \
	--key "$pki/device-client.key" "https://localhost:$port/good.fwb")
tap_check "the device's certificate without the TPM's key gets nothing (curl: $code)" test "$code" = 000
fetch file file.fwb
tap_check "a file key keeps working" sh -c "[ $? -eq $(uc_exit ok) ] && cmp -s '$work/doc/good.fwb' '$work/dl/file.fwb'"

# ---- another TPM's key ----
tls_key b --cn device-0002 --out "$work/other.csr" >/dev/null 2>&1
sign_csr other
conf other a "$work/other.crt" "tpm:$handle"
before=$(lines)
fetch other other.fwb
tap_check "another TPM's key (its certificate, this TPM): untrusted" test $? -eq "$(uc_exit untrusted)"
tap_check "another TPM's key: one line naming it" one_line "was not issued for the key at $handle in this TPM"
tap_check "another TPM's key: nothing sent, no file" sh -c \
	"[ $(lines) -eq $before ] && [ ! -e '$work/dl/other.fwb' ] && [ ! -e '$work/dl/other.fwb.part' ]"
conf absent a "$work/dev.crt" "tpm:0x81004655"
fetch absent absent.fwb
tap_check "no key at the handle in this TPM: tpm" test $? -eq "$(uc_exit tpm)"
tap_check "no key at the handle: one line" one_line "holds no TLS client key at 0x81004655"
conf exportable a "$work/dev.crt" "tpm:0x81004656"
fetch exportable exportable.fwb
tap_check "an exportable key at the handle is refused: untrusted" test $? -eq "$(uc_exit untrusted)"
tap_check "an exportable key: one line" one_line "not a non-exportable signing key"

# ---- bad settings, an unreachable TPM, no provider ----
conf nohandle a "$work/dev.crt" "tpm:"
fetch nohandle x.fwb
tap_check "client_key = tpm: without a handle: usage" test $? -eq "$(uc_exit usage)"
tap_check "client_key = tpm: without a handle: one line" one_line "names no handle"
sed "s|^tcti.*|tcti = swtpm:host=127.0.0.1,port=9|" "$work/dev.conf" >"$work/dead.conf"
fetch dead x.fwb
tap_check "TPM unreachable: tpm" test $? -eq "$(uc_exit tpm)"
before=$(lines)
OPENSSL_MODULES=$work/no-modules fetch dev x.fwb
status=$?
cp "$work/err" "$work/noprov.err"
tap_check "tpm2 provider missing: tpm" test $status -eq "$(uc_exit tpm)"
tap_check "tpm2 provider missing: one line naming the package" one_line "tpm2-openssl"
tap_check "bad settings, unreachable TPM, no provider: nothing sent, no file" sh -c \
	"[ $(lines) -eq $before ] && ! ls '$work/dl' | grep -q '^x.fwb'"
OPENSSL_MODULES=$work/no-modules tls_key a --handle 0x81004657 --cn x --out "$work/x.csr" 2>"$work/err"
tap_check "tls-key create without the provider: tpm, no key made, no request" sh -c \
	"[ $? -eq $(uc_exit tpm) ] && ! TPM2TOOLS_TCTI='$tcti_a' tpm2_readpublic -c 0x81004657 >/dev/null 2>&1 && [ ! -e '$work/x.csr' ]"
tap_done
