#!/bin/bash
# fwguard session life (abort, retry, COMMIT re-checks, credentials, fatal
# signals, throttled bios), which raises the floor, throttles I/O and
# raises lockdown, so it gets a boot of its own.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
exec "$top/tests/vm/run" --kernel "$kver" -- "${BUILD:-$top/build}/tests/kselftest/fwguard_session_life"
