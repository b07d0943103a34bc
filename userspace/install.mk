# make install [DESTDIR=...]: updatectl, its man page, systemd units, an
# example configuration (never over an existing one) and the module source
# for DKMS. `make install-module` installs the module built for $(KVER).

VERSION     ?= 0.1
PREFIX      ?= /usr
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
UNITDIR     ?= /lib/systemd/system
SYSCONFDIR  ?= /etc
DKMSDIR     ?= $(PREFIX)/src/fwguard-$(VERSION)

.PHONY: install install-module

install: $(BUILD)/bin/updatectl
	install -D -m 0755 $(BUILD)/bin/updatectl $(DESTDIR)$(SBINDIR)/updatectl
	install -D -m 0644 userspace/doc/updatectl.8 $(DESTDIR)$(MANDIR)/man8/updatectl.8
	install -d $(DESTDIR)$(UNITDIR)
	install -m 0644 userspace/systemd/fwguard-* $(DESTDIR)$(UNITDIR)/
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/fwguard
	test -e $(DESTDIR)$(SYSCONFDIR)/fwguard/updatectl.conf || \
		install -m 0644 userspace/doc/updatectl.conf $(DESTDIR)$(SYSCONFDIR)/fwguard/updatectl.conf
	install -d $(DESTDIR)$(DKMSDIR)/kmod/include/uapi/linux $(DESTDIR)$(DKMSDIR)/policy
	install -m 0644 Kbuild $(DESTDIR)$(DKMSDIR)/Kbuild
	install -m 0644 kmod/*.c kmod/*.h $(DESTDIR)$(DKMSDIR)/kmod/
	install -m 0644 kmod/include/uapi/linux/fwguard.h $(DESTDIR)$(DKMSDIR)/kmod/include/uapi/linux/
	install -m 0644 policy/ticket.c policy/ticket.h $(DESTDIR)$(DKMSDIR)/policy/
	sed 's/@VERSION@/$(VERSION)/' kmod/dkms.conf >$(DESTDIR)$(DKMSDIR)/dkms.conf

install-module: module
	install -D -m 0644 $(KMOD) $(DESTDIR)/lib/modules/$(KVER)/updates/fwguard.ko
	test -n "$(DESTDIR)" || depmod -a $(KVER)
