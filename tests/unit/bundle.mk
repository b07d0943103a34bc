# SPDX-License-Identifier: GPL-2.0-only
# Guard-removal check of the bundle, CMS-verification and ticket-policy
# tests: every refusal disabled in turn must make its test fail. Not part
# of `make check` (it rebuilds the tests ~40 times in a scratch directory).
.PHONY: mutants-bundle
mutants-bundle: $(BUILD)/pki/.stamp | deps
	BUILD=$(BUILD) nice -n 5 $(CURDIR)/tests/unit/bundle_mutants.py
