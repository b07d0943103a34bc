# SPDX-License-Identifier: GPL-2.0-only
# Test PKI (keys and certificates) generated into the build directory; see
# tests/pki/mkpki for what it contains. Host tests that need it get it
# through PKI_DIR; the script is idempotent, so the rule is cheap to re-run.

PKI_DIR := $(BUILD)/pki
PKI_STAMP := $(PKI_DIR)/.stamp

.PHONY: pki
pki: $(PKI_STAMP)

$(PKI_STAMP): tests/pki/mkpki
	$(CURDIR)/tests/pki/mkpki $(PKI_DIR)

# The signature tests and the bundle round trips read keys from $(PKI_DIR).
userspace: $(PKI_STAMP)
