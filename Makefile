# SPDX-License-Identifier: GPL-2.0
#
# nf_conntrack_smtp: conntrack helper module, nfsmtp tool, tests.
#
#   make            module + userspace
#   make check      everything the CI runs (unit tests, fuzz smoke, VM selftests)
#   make demo       what the helper is for: STARTTLS, starttls strip explained, an attack reset
#   make unit       parser unit tests (userspace, seconds)
#   make fuzz       libFuzzer target (FUZZ_SECONDS=60)
#   make bench      parser and datapath figures (not a test)
#   make install    module (+ depmod), nfsmtp, man page, completion (DESTDIR, PREFIX)
#   make dkms-check dkms add/build/install/remove and a make install staging test
#   make deb        Debian packages nf-conntrack-smtp-dkms and nfsmtp in build/deb/
#   make deb-check  lintian, install, DKMS build, the module in the VM, purge
#
# KDIR picks the kernel headers; the VM boots the matching /boot/vmlinuz.
# Targets that install dependencies first (demo, check) do the rest in a new
# make: KDIR and KVER name paths that exist only after the install, so this
# make, parsed before it, must not evaluate them.

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

.PHONY: all module userspace generated generated-check unit fuzz bench check demo clean deps \
	sparse checkpatch selftests-install vm-check vm-lane \
	install install-module install-tools uninstall dkms-check

all: module userspace

deps:
	@$(TOP)/scripts/install-deps.sh

# a recipe that boots the headers' kernel: stop with a hint when there is none
need_kver = @test -n "$(KVER)" -a -r /boot/vmlinuz-$(KVER) || \
	{ echo "no kernel image for the headers in '$(KDIR)': run 'make deps' (linux-image-amd64, linux-headers-amd64)"; exit 1; }

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "no kernel headers: run 'make deps' (linux-headers-amd64)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) W=$(KBUILD_W) KCFLAGS="$(KCFLAGS_EXTRA)" modules

# sparse over our sources (C=2 checks them even when up to date)
sparse: | $(BUILD)
	$(MAKE) -C $(KDIR) M=$(TOP) C=2 W=$(KBUILD_W) modules 2>&1 | \
		tee $(BUILD)/sparse.log; ! grep -E 'warning:|error:' $(BUILD)/sparse.log

# LINUX_VERSION_CODE: an out-of-tree module needs it (smtp_kernel_compat.h only).
# The uAPI header YNL writes is held to the same, but for LINE_SPACING: with
# max-by-define the generator puts a #define right after its enum's closing
# brace, as in the kernel's own generated fou.h and mptcp_pm.h.
CHECKPATCH_GEN := include/uapi/linux/nf_smtp.h
CHECKPATCH_SRC = $(filter-out $(CHECKPATCH_GEN),$(wildcard kmod/*.c kmod/*.h include/*.h include/uapi/linux/*.h))
checkpatch: | $(BUILD)
	@src=$$($(TOP)/scripts/ksft-source.sh); \
	chk() { $$src/scripts/checkpatch.pl --strict --no-tree --show-types \
		--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES,LINUX_VERSION_CODE$$1 -f $${@:2}; }; \
	{ chk "" $(CHECKPATCH_SRC); chk ,LINE_SPACING $(CHECKPATCH_GEN); } >$(BUILD)/checkpatch.log 2>&1; \
	if grep -qE '^(ERROR|WARNING|CHECK):' $(BUILD)/checkpatch.log; then \
		grep -E -A3 '^(ERROR|WARNING|CHECK):' $(BUILD)/checkpatch.log; exit 1; fi; \
	echo "checkpatch --strict: $(words $(CHECKPATCH_SRC) $(CHECKPATCH_GEN)) files clean"

userspace:
	@$(MAKE) -s -C userspace BUILD=$(BUILD)

# What nf_smtp.yaml makes (scripts/gen-netlink.sh): the family's uAPI header
# and the genetlink policy and ops tables by the kernel's YNL generator, and
# the name tables of the module and the tool. generated-check (make check)
# writes them again and fails if git then sees a difference.
GENERATED := include/uapi/linux/nf_smtp.h kmod/smtp_nl_gen.c kmod/smtp_nl_gen.h \
	include/nf_smtp_names.h
generated:
	@$(TOP)/scripts/gen-netlink.sh
generated-check: generated
	@git -C $(TOP) ls-files --error-unmatch $(GENERATED) >/dev/null && \
		git -C $(TOP) diff --exit-code --stat -- $(GENERATED) || \
		{ echo "generated files are stale: commit what make generated wrote"; exit 1; }

$(BUILD):
	@mkdir -p $(BUILD)

unit: | $(BUILD)
	@$(MAKE) -s -C userspace BUILD=$(BUILD) KSFT=$(KSFT) unit

fuzz: | $(BUILD)
	@$(MAKE) -s -C userspace BUILD=$(BUILD) fuzz

# Figures, not tests: the parser in userspace, then forwarding through the
# gateway namespace in one VM boot (scripts/bench-datapath.sh).
bench: | $(BUILD)
	@$(MAKE) -s -C userspace BUILD=$(BUILD) bench
	@$(MAKE) -s module userspace
	$(need_kver)
	$(TOP)/scripts/vm-run.sh --kernel $(KVER) --timeout 3000 -- $(TOP)/scripts/bench-datapath.sh $(TOP)
	$(TOP)/scripts/vm-run.sh --kernel $(KVER) --timeout 1800 -- $(TOP)/scripts/bench-reorder.sh $(TOP)

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

# Selftests run in one VM boot; the runner fails on kernel warnings. --ko:
# modprobe (and so the kernel's request_module) finds the module under test
# from the start, as on an installed system (smtp_ops.sh: the modprobe.d hook).
# VM_TESTS picks suites (run_kselftest.sh's -t nf_conntrack_smtp:NAME ...;
# all by default). vm-lane boots the same without building: CI's second
# lane (scripts/check.sh) beside a running vm-check, whose build it shares.
VM_TESTS ?=
VM_TIMEOUT ?= 4200
define vm_selftests
	$(need_kver)
	$(TOP)/scripts/vm-run.sh --kernel $(KVER) --timeout $(VM_TIMEOUT) --ko $(TOP)/nf_conntrack_smtp.ko \
		-- $(TOP)/scripts/guest-selftests.sh $(TOP) $(VM_TESTS)
endef
vm-check: module userspace selftests-install
	@touch $(BUILD)/vm-check.built
	$(vm_selftests)

vm-lane:
	$(vm_selftests)

check: | $(BUILD)
	@$(TOP)/scripts/check.sh

# install-deps may install the headers this make could not see when parsed:
# the demo itself runs in a new make (see KDIR above)
demo: | $(BUILD)
	@$(TOP)/scripts/install-deps.sh
	@$(MAKE) -s --no-print-directory demo-vm

.PHONY: demo-vm
demo-vm: module userspace
	$(need_kver)
	$(TOP)/scripts/vm-run.sh --kernel $(KVER) -- $(TOP)/scripts/demo.sh $(TOP)

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean
	rm -rf $(BUILD)

# make install [DESTDIR=/staging] [PREFIX=/usr/local]: the module through the
# kernel's modules_install into /lib/modules/KVER/$(INSTALL_MOD_DIR), then
# depmod -a KVER (left to the target system when staging into DESTDIR); nfsmtp
# in sbin, its man page and bash completion, the modprobe hook's script in
# libexec, and among the docs the README and examples (/etc is the admin's):
# the modprobe.d options and policy hook, nfsmtp.conf, nfsmtp.service.
# The module goes to extra/ (dkms uses updates/dkms), the path the VM runner's
# --ko puts the module under test at: an installed copy never shadows it there,
# where one in updates/ would (depmod ranks updates/ first).
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR ?= $(PREFIX)/share/doc/nf-conntrack-smtp
LIBEXECDIR ?= $(PREFIX)/libexec
INSTALL_MOD_DIR ?= extra
INSTALL_MOD_STRIP ?= 1
INSTALL ?= install
# Distribution headers ship no signing key: then modules_install is not asked
# to sign (it would fail with SSL errors and go on). An unsigned module loads
# unless the kernel enforces signatures (Secure Boot: dkms signs with its MOK).
MOD_SIG_KEY = $(shell sed -n 's/^CONFIG_MODULE_SIG_KEY="\(.*\)"$$/\1/p' $(KDIR)/.config 2>/dev/null)
MOD_SIG_ARG = $(if $(or $(filter pkcs11:%,$(MOD_SIG_KEY)),$(wildcard \
	$(KDIR)/$(MOD_SIG_KEY) /$(MOD_SIG_KEY))),,CONFIG_MODULE_SIG_ALL=)

install: install-module install-tools

install-module: module
	$(MAKE) -C $(KDIR) M=$(TOP) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) INSTALL_MOD_STRIP=$(INSTALL_MOD_STRIP) \
		$(MOD_SIG_ARG) modules_install
	@if [ -z "$(DESTDIR)" ]; then echo "depmod -a $(KVER)"; depmod -a $(KVER); \
	else echo "staged in DESTDIR: run depmod -a $(KVER) on the target"; fi

install-tools: userspace
	$(INSTALL) -D -m 0755 $(BUILD)/nfsmtp $(DESTDIR)$(SBINDIR)/nfsmtp
	$(INSTALL) -D -m 0644 userspace/nfsmtp/nfsmtp.8 $(DESTDIR)$(MANDIR)/man8/nfsmtp.8
	$(INSTALL) -D -m 0644 userspace/nfsmtp/nfsmtp.bash-completion \
		$(DESTDIR)$(BASHCOMPDIR)/nfsmtp
	$(INSTALL) -D -m 0644 contrib/modprobe.d/nf_conntrack_smtp.conf \
		$(DESTDIR)$(DOCDIR)/modprobe.d/nf_conntrack_smtp.conf
	$(INSTALL) -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	@# the policy file, the modprobe hook and the unit as the packages have
	@# them, pointed at these paths: examples to copy to /etc (README)
	$(INSTALL) -D -m 0644 contrib/nfsmtp.conf $(DESTDIR)$(DOCDIR)/nfsmtp.conf
	$(INSTALL) -d $(DESTDIR)$(LIBEXECDIR)/nfsmtp $(DESTDIR)$(DOCDIR)/systemd
	sed 's|^nfsmtp=/usr/sbin/nfsmtp$$|nfsmtp=$(SBINDIR)/nfsmtp|' contrib/nfsmtp-modprobe-hook \
		>$(DESTDIR)$(LIBEXECDIR)/nfsmtp/modprobe-hook
	chmod 0755 $(DESTDIR)$(LIBEXECDIR)/nfsmtp/modprobe-hook
	sed 's|/usr/libexec/nfsmtp/|$(LIBEXECDIR)/nfsmtp/|' contrib/modprobe.d/nfsmtp-policy.conf \
		>$(DESTDIR)$(DOCDIR)/modprobe.d/nfsmtp-policy.conf
	sed 's|/usr/sbin/nfsmtp|$(SBINDIR)/nfsmtp|g' contrib/systemd/nfsmtp.service \
		>$(DESTDIR)$(DOCDIR)/systemd/nfsmtp.service

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/nf_conntrack_smtp.ko*
	@d=$(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR); \
	[ ! -d $$d ] || rmdir --ignore-fail-on-non-empty $$d
	@if [ -z "$(DESTDIR)" ]; then echo "depmod -a $(KVER)"; depmod -a $(KVER); fi
	rm -f $(DESTDIR)$(SBINDIR)/nfsmtp $(DESTDIR)$(MANDIR)/man8/nfsmtp.8 \
		$(DESTDIR)$(BASHCOMPDIR)/nfsmtp
	rm -rf $(DESTDIR)$(DOCDIR) $(DESTDIR)$(LIBEXECDIR)/nfsmtp

# dkms add/build/install/remove of this tree for the newest Debian headers'
# kernel, modinfo on the result, and a make install DESTDIR staging test.
dkms-check:
	@$(TOP)/scripts/dkms-check.sh

# Debian packages nf-conntrack-smtp-dkms and nfsmtp (debian/, debhelper,
# dh_dkms) into build/deb/; deb-check lints them, installs them, boots the
# DKMS-built module in the VM, and purges them again.
.PHONY: deb deb-check
deb:
	@$(TOP)/scripts/mkdeb.sh

deb-check:
	@$(TOP)/scripts/deb-check.sh

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

# The whole selftest suite on a debug kernel (KASAN, lockdep, kmemleak,
# DEBUG_ATOMIC_SLEEP, DEBUG_LIST, UBSAN) built from Debian's linux-source-6.1
# with kernel/debug.config, cached in $(NFSMTP_CACHE)/debug-kernel (a few
# minutes once per machine); the module is built against it in build/debug/.
# Fails on any test failure or kernel report. DEBUG_TESTS="a.sh b.sh" runs
# only those. scripts/debug-kernel.sh builds or describes the kernel alone.
DEBUG_TESTS ?=
.PHONY: check-debug debug-kernel
check-debug: userspace | $(BUILD)
	@KBUILD_W=$(KBUILD_W) KCFLAGS_EXTRA="$(KCFLAGS_EXTRA)" \
		$(TOP)/scripts/check-debug.sh $(DEBUG_TESTS)

debug-kernel:
	@$(TOP)/scripts/debug-kernel.sh build
