# SPDX-License-Identifier: GPL-2.0
#
# nf_conntrack_smtp: conntrack helper module, nfsmtp tool, tests.
#
#   make            module + userspace
#   make check      everything the CI runs (unit tests, fuzz smoke, VM selftests)
#   make demo       one real SMTP session through a gateway namespace, explained
#   make unit       parser unit tests (userspace, seconds)
#   make fuzz       libFuzzer target (FUZZ_SECONDS=60)
#   make bench      parser and datapath figures (not a test)
#
# KDIR picks the kernel headers; the VM boots the matching /boot/vmlinuz.

SHELL := /bin/bash
TOP := $(CURDIR)
BUILD := $(TOP)/build
NFSMTP_CACHE ?= /var/cache/nf-smtp
export NFSMTP_CACHE

# Kernel build dir: the running kernel's, else the newest Debian headers.
KDIR ?= $(shell d=/lib/modules/$$(uname -r)/build; \
	  if [ -d $$d ]; then echo $$d; else \
	  ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -1; fi)
KVER ?= $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
	  $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

# Kernel code must build warning-free with W=1; CI treats warnings as errors.
KBUILD_W ?= 1
KCFLAGS_EXTRA ?= -Werror

CC ?= gcc
USER_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror
KSFT = $(shell $(TOP)/scripts/ksft-source.sh)/tools/testing/selftests

.PHONY: all module userspace unit fuzz bench check demo clean deps \
	sparse checkpatch selftests-install vm-check

all: module userspace

deps:
	@$(TOP)/scripts/install-deps.sh

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "no kernel headers: run 'make deps' (linux-headers-amd64)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) W=$(KBUILD_W) KCFLAGS="$(KCFLAGS_EXTRA)" modules

# sparse over our sources (C=2 checks them even when up to date)
sparse: | $(BUILD)
	$(MAKE) -C $(KDIR) M=$(TOP) C=2 W=$(KBUILD_W) modules 2>&1 | \
		tee $(BUILD)/sparse.log; ! grep -E 'warning:|error:' $(BUILD)/sparse.log

# LINUX_VERSION_CODE: the version checks of kmod/nf_smtp_compat.h (and only there)
# LINUX_VERSION_CODE: an out-of-tree module needs it (nf_smtp_compat.h only).
checkpatch: | $(BUILD)
	@src=$$($(TOP)/scripts/ksft-source.sh); \
	$$src/scripts/checkpatch.pl --strict --no-tree --show-types \
		--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES,LINUX_VERSION_CODE \
		-f kmod/*.c kmod/*.h include/uapi/linux/*.h >$(BUILD)/checkpatch.log 2>&1; \
	if grep -qE '^(ERROR|WARNING|CHECK):' $(BUILD)/checkpatch.log; then \
		grep -E -A3 '^(ERROR|WARNING|CHECK):' $(BUILD)/checkpatch.log; exit 1; fi; \
	echo "checkpatch --strict: $$(ls kmod/*.c kmod/*.h include/uapi/linux/*.h | wc -l) files clean"

userspace:
	@$(MAKE) -s -C userspace BUILD=$(BUILD)

$(BUILD):
	@mkdir -p $(BUILD)

unit: | $(BUILD)
	@$(MAKE) -s -C userspace BUILD=$(BUILD) KSFT=$(KSFT) unit

fuzz: | $(BUILD)
	@$(MAKE) -s -C userspace BUILD=$(BUILD) fuzz

bench: | $(BUILD)
	@$(MAKE) -s -C userspace BUILD=$(BUILD) bench

# The selftests are installed as the kernel's `make install` lays them out
# (run_kselftest.sh, kselftest/runner.sh, kselftest-list.txt), so the
# runner finds each collection's settings file.
KSFT_INSTALL := $(BUILD)/kselftest
selftests-install: | $(BUILD)
	@rm -rf $(KSFT_INSTALL) && mkdir -p $(KSFT_INSTALL)
	@cp -r $(KSFT)/kselftest $(KSFT)/run_kselftest.sh $(KSFT_INSTALL)/
	@$(MAKE) -s -C selftests KSFT=$(KSFT) install \
		INSTALL_PATH=$(KSFT_INSTALL)/nf_conntrack_smtp >/dev/null
	@$(MAKE) -s -C selftests KSFT=$(KSFT) COLLECTION=nf_conntrack_smtp \
		emit_tests >$(KSFT_INSTALL)/kselftest-list.txt

# Selftests run in one VM boot; the runner fails on kernel warnings.
vm-check: module userspace selftests-install
	$(TOP)/scripts/vm-run.sh --kernel $(KVER) --timeout 3600 -- $(TOP)/scripts/guest-selftests.sh $(TOP)

check: | $(BUILD)
	@$(TOP)/scripts/check.sh

demo: | $(BUILD)
	@$(TOP)/scripts/install-deps.sh
	@$(MAKE) -s module userspace
	$(TOP)/scripts/vm-run.sh --kernel $(KVER) -- $(TOP)/scripts/demo.sh $(TOP)

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean
	rm -rf $(BUILD)

# The kernel matrix: the module (W=1 -Werror) and the whole selftest suite on
# Debian bookworm's 6.1 (this host's), trixie's 6.12 and the newest 7.x that
# Debian ships (trixie-backports or sid), each booted under qemu. Kernels are
# fetched and prepared once by scripts/kernels.sh into $(NFSMTP_CACHE)/kernels;
# each module is built in build/matrix/KVER/, results in build/matrix/summary.txt.
MATRIX_KERNELS ?= host 6.12 latest
.PHONY: check-matrix
check-matrix: userspace | $(BUILD)
	@KBUILD_W=$(KBUILD_W) KCFLAGS_EXTRA="$(KCFLAGS_EXTRA)" \
		$(TOP)/scripts/check-matrix.sh $(MATRIX_KERNELS)
