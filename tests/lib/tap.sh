# Minimal TAP helpers for test scripts (sourced).
# tap_plan N; tap_ok NAME; tap_fail NAME [WHY]; tap_skip NAME WHY;
# tap_check NAME CMD... (ok when CMD succeeds); tap_done (exit status).
tap_n=0
tap_failed=0
tap_plan() { echo "TAP version 13"; echo "1..$1"; }
tap_ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n $1"; }
tap_fail() {
	tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n $1${2:+ # $2}"
}
tap_skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n $1 # SKIP $2"; }
tap_check() {
	local name=$1; shift
	if "$@"; then tap_ok "$name"; else tap_fail "$name"; fi
}
tap_done() { [ "$tap_failed" -eq 0 ]; }
