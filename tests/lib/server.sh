# The update server of the fetch tests and a device configured for it
# (sourced after tests/lib/common.sh, with $work set).
#   server_up DOCROOT: nginx (tests/lib/nginx-mtls) serving DOCROOT over
#     mutual TLS on $port, a free port of 127.0.0.1; its files in
#     $work/srv (access log: $work/srv/logs/access.log); stopped at exit.
#   server_conf [PORT]: the lines of updatectl.conf that name the server
#     (on PORT, default $port), its CA, the device's client certificate,
#     the ticket trust and the device class, downloads to $work/dl.
server_up() {
	port=$(freeport)
	at_exit '"$top/tests/lib/nginx-mtls" stop "$work/srv"'
	"$top/tests/lib/nginx-mtls" start "$work/srv" "$port" "$1" "$pki"
}
server_conf() {
	cat <<EOF
server_url = https://localhost:${1:-$port}
server_ca = $pki/root-ca.crt
client_cert = $pki/device-client.crt
client_key = $pki/device-client.key
trust = $pki/root-ca.crt
device_class = infusion-pump
download_dir = $work/dl
EOF
}
