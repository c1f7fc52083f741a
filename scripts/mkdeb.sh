#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mkdeb.sh (make deb): the Debian packages nf-conntrack-smtp-dkms (the
# module's sources, built by DKMS on the target) and nfsmtp (the tool, its
# man page and completion, /etc/nfsmtp.conf, the modprobe hook, nfsmtp.service),
# built with debhelper (debian/) from a clean export of the tree, into
# build/deb/: *.deb, the .changes and .buildinfo, build.log.
# Install: apt install ./build/deb/*.deb
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/deb
cd "$top"

ver=$(sed -n 's/^MODULE_VERSION("\([^"]*\)");$/\1/p' kmod/smtp_main.c)
debver=$(dpkg-parsechangelog -l debian/changelog -S Version)
if [ "$ver" != "$debver" ]; then
	echo "mkdeb: debian/changelog is at $debver, MODULE_VERSION at $ver: add a changelog entry (dch -v $ver)" >&2
	exit 1
fi
if ! missing=$(dpkg-checkbuilddeps 2>&1); then
	echo "mkdeb: ${missing#dpkg-checkbuilddeps: error: }: run 'make deps'" >&2
	exit 1
fi

rm -rf "$out"
src=$out/src/nf-conntrack-smtp-$ver
"$top/scripts/export-tree.sh" "$src"
echo "mkdeb: dpkg-buildpackage -b in ${src#"$top"/} (log: build/deb/build.log)"
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
	tail -40 "$out/build.log" >&2
	echo "mkdeb: dpkg-buildpackage failed (build/deb/build.log)" >&2
	exit 1
fi
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out/"
rm -rf "$out/src"
ls -1 "$out"/*.deb
