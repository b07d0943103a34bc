# What a test script starts from (sourced once $top, the source tree, is
# set): the TAP helpers, updatectl's exit codes by name and the build's
# paths $build, $uc (updatectl) and $pki (the test PKI).
#   test_workdir NAME [DIR]: $work, a new directory DIR/fwguard-NAME.XXXXXX
#     (DIR: /tmp), removed at exit unless KEEP is set.
#   at_exit CMD: CMD runs at exit, before what was registered earlier.
#   freeport: a free TCP port on 127.0.0.1.
. "$top/tests/lib/tap.sh"
. "$top/tests/lib/exit_codes.sh"
build=${BUILD:-$top/build}
uc=$build/bin/updatectl
pki=$build/pki

test_at_exit=()
test_run_at_exit() {
	local cmd
	for cmd in "${test_at_exit[@]}"; do eval "$cmd"; done
}
at_exit() {
	test_at_exit=("$1" "${test_at_exit[@]}")
	trap test_run_at_exit EXIT
}
test_workdir() {
	work=$(mktemp -d "${2:-/tmp}/fwguard-$1.XXXXXX") || exit 1
	at_exit '[ -n "${KEEP:-}" ] || rm -rf "$work"'
}
freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
