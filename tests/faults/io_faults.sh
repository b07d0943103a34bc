#!/bin/bash
# Disk I/O errors during updatectl install and boot-verify (issue 14), in
# one QEMU guest with fwguard.ko: tests/faults/io_guest.sh builds a disk
# it can break (loop, device-mapper, loop) and injects dm-error and
# dm-flakey faults on the inactive slot, the booted slot and the state
# partition. Each fault: the exit code, the one-line message, the slot
# state changed only as userspace/lib/STATE.md allows, the TPM's floor
# unchanged, and the next install, boot-verify and mark-good succeed.
# Usage: io_faults.sh [all]   (no argument: the slice make check runs;
# FAULTS=all in the environment: the full set)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-$top/build}
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
pki=$build/pki
out=$(mktemp -d "$build/io-faults.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$out"' EXIT
start=$(date +%s)

head -c 3000000 /dev/urandom >"$out/v1.img"
last=3
[ "${1:-${FAULTS:-}}" = all ] && last=14
for v in $(seq 2 "$last"); do
	head -c 4000000 /dev/urandom >"$out/v$v.img"
	"$build/bin/updatectl" bundle create --image "$out/v$v.img" --component bootfw \
		--device-class infusion-pump --security-version "$v" \
		--key "$pki/signer.key" --cert "$pki/signer.crt" --output "$out/v$v.fwb" >/dev/null ||
		{ echo "Bail out! bundle v$v"; exit 1; }
	rm -f "$out/v$v.img"
done
"$top/tests/vm/run" --kernel "$kver" --out "$out/vm" -- "$here/io_guest.sh" "$out" "${1:-${FAULTS:-}}" \
	>"$out/guest.log" 2>&1
status=$?
grep -aE '^(ok|not ok|#|1\.\.|Bail out)' "$out/guest.log" | tr -d '\r'
echo "# I/O faults: guest exit $status, $(($(date +%s) - start)) s on the host"
[ "$status" -eq 0 ] || { tail -n 30 "$out/guest.log" | sed 's/^/#   /'; exit 1; }
