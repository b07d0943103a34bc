# Host-side helpers shared by the end-to-end scenarios, the demo and the
# install benchmark (sourced; they expect $build and $kver).

# Install fwguard.ko into the guest's module tree the way a package would,
# so that modprobe and libkmod find it with its /etc/modprobe.d options.
e2e_install_module() {
	local kdir=$build/kernel/$kver
	install -D -m 0644 "$build/kmod/$kver/fwguard.ko" "$kdir/lib/modules/$kver/updates/fwguard.ko"
	depmod -b "$kdir" "$kver"
}

# The A/B policy every scenario uses: component bootfw on fw_a and fw_b.
e2e_policy_conf() {
	echo "component bootfw fw_a=PARTLABEL=fw_a fw_b=PARTLABEL=fw_b" >"$1"
}

# Flip one byte (4096 bytes in) of partition PARTNUM of a powered-off disk image.
e2e_tamper() {
	local disk=$1 partnum=$2 start
	start=$(sgdisk -i "$partnum" "$disk" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
	printf '\x5a' | dd of="$disk" bs=1 seek=$((start * 512 + 4096)) conv=notrunc status=none
}
