# updatectl's exit codes by name, read from userspace/cli/exit_codes.h so
# that a check says `$(uc_exit verify)` rather than a bare 3 (sourced;
# needs $top). uc_exit_names lists "name=code" for every code.
uc_exit_names() {
	sed -n 's/^[[:space:]]*UC_EXIT_\([A-Z]*\) = \([0-9]*\),.*/\1=\2/p' \
		"$top/userspace/cli/exit_codes.h" | tr 'A-Z' 'a-z'
}
uc_exit() {
	local code
	code=$(uc_exit_names | sed -n "s/^$1=//p")
	[ -n "$code" ] || { echo "uc_exit: no exit code named '$1'" >&2; echo 255; return; }
	echo "$code"
}
# expect_exit NAME CODE-NAME CMD...: the command exits with that code.
expect_exit() {
	local name=$1 cname=$2 want
	want=$(uc_exit "$2")
	shift 2
	"$@"
	local got=$?
	if [ "$got" -eq "$want" ]; then
		tap_ok "$name"
	else
		tap_fail "$name" "exit $got ($(uc_exit_names | sed -n "s/=$got\$//p" | head -n1)), want $want ($cname)"
	fi
}
# is_json FILE: FILE holds one valid JSON document.
is_json() { python3 -m json.tool "$1" >/dev/null 2>&1; }
