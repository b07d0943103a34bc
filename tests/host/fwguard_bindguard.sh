#!/bin/bash
# The driver-bind guard (tests/kselftest/fwguard_bindguard.c): the scratch
# disk's PCI function is unbound and offered to vfio-pci, uio_pci_generic
# and pci-stub, next to an unprotected virtio-rng function and an NVMe
# drive. vfio-pci needs an IOMMU (Debian's kernels have no noiommu mode),
# so the guest gets an emulated one. A guest of its own.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
run=$top/tests/vm/run
kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
img=$(mktemp /tmp/fwguard-bind-nvme.XXXXXX)
trap 'rm -f "$img"' EXIT
# Disk number 1: PARTUUIDs other than the scratch disk's.
"$top/tests/vm/mkdisk" "$img" 4 6 0 1
exec "$run" --kernel "$kver" --iommu --virtio-rng --nvme "$img" -- \
	/usr/bin/env FWGUARD_DESTRUCTIVE=1 "${BUILD:-$top/build}/tests/kselftest/fwguard_bindguard"
