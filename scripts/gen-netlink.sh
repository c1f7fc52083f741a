#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# gen-netlink.sh: write every file made from userspace/nfsmtp/nf_smtp.yaml:
#   kmod/smtp_nl_gen.c, kmod/smtp_nl_gen.h  the genetlink attribute policy,
#       the operations table and the multicast groups, by the kernel's YNL
#       generator (tools/net/ynl/ynl-gen-c.py --mode kernel, fetched once by
#       scripts/kernels.sh ynl), as in-tree families have theirs;
#   include/nf_smtp_names.h  the names of rules, actions, values, EHLO
#       keywords and counters the module and the tool print
#       (scripts/gen-names.py: YNL writes such tables only for its own
#       userspace library, which the tool, on libmnl, does not use).
# The output is committed; make generated-check runs this and fails if git
# then sees a difference.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
spec=$top/userspace/nfsmtp/nf_smtp.yaml

tree=$("$top/scripts/kernels.sh" ynl)
# the generator names its source by the spec's path in the kernel tree
mkdir -p "$tree/Documentation/netlink/specs"
cp "$spec" "$tree/Documentation/netlink/specs/nf_smtp.yaml"
gen() { # MODE ARGS...: ynl-gen-c.py, output checked for a family table
	/usr/bin/python3 "$tree/tools/net/ynl/ynl-gen-c.py" --mode "$@" \
		--spec "$tree/Documentation/netlink/specs/nf_smtp.yaml"
}
cd "$top/kmod"
gen kernel --header -o smtp_nl_gen.h
gen kernel --source -o smtp_nl_gen.c
/usr/bin/python3 "$top/scripts/gen-names.py" "$spec" "$top/include/nf_smtp_names.h"
