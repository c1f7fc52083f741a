#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# gen-netlink.sh: write every file made from userspace/nfsmtp/nf_smtp.yaml:
#   include/uapi/linux/nf_smtp.h  the family's uAPI (name, version, enums,
#       attributes, commands, multicast group), and
#   kmod/smtp_nl_gen.c, kmod/smtp_nl_gen.h  the genetlink attribute policy,
#       the operations table and the multicast groups, by the kernel's YNL
#       generator (tools/net/ynl/ynl-gen-c.py --mode uapi and --mode kernel,
#       fetched once by scripts/kernels.sh ynl), as in-tree families have
#       theirs; <linux/nf_conntrack_smtp.h>, hand-written, includes the uAPI
#       header and adds what YNL cannot write (see there);
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
# The generator names its source by the spec's path below the kernel tree
# (the directory with MAINTAINERS) and validates it against the schema
# beside specs/. A private tree of those files, not the shared cache's:
# other checkouts generate at the same time.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Documentation/netlink/specs"
touch "$work/MAINTAINERS"
cp "$tree/Documentation/netlink/genetlink-legacy.yaml" "$work/Documentation/netlink/"
cp "$spec" "$work/Documentation/netlink/specs/nf_smtp.yaml"
gen() { # MODE ARGS...: ynl-gen-c.py
	/usr/bin/python3 "$tree/tools/net/ynl/ynl-gen-c.py" --mode "$@" \
		--spec "$work/Documentation/netlink/specs/nf_smtp.yaml"
}
gen uapi --header -o "$top/include/uapi/linux/nf_smtp.h"
cd "$top/kmod"
gen kernel --header -o smtp_nl_gen.h
gen kernel --source -o smtp_nl_gen.c
/usr/bin/python3 "$top/scripts/gen-names.py" "$spec" "$top/include/nf_smtp_names.h"
