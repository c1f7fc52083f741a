#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Write include/nf_smtp_names.h from userspace/nfsmtp/nf_smtp.yaml.

The names an operator reads (rules and actions in the kernel log and in
`nfsmtp monitor`, counters in /proc and `nfsmtp stats`, policy values, EHLO
keywords) come from the spec's enums and its stats attribute set, once:
the module and the tool both initialise their tables from the macros
written here. `make generated` rewrites the file; `make check` rewrites it and
fails when git then sees a difference (the committed copy is stale).

usage: gen-names.py SPEC [OUT]   (OUT "-" or absent: stdout)
"""
import sys

import yaml


def c_ident(prefix, name):
    return (prefix + name).upper().replace("-", "_")


def enum_entries(defn):
    """(name, value) of an enum's entries, values counted as C counts them"""
    out, value = [], defn.get("value-start", 0)
    for e in defn["entries"]:
        name = e if isinstance(e, str) else e["name"]
        value = e.get("value", value) if isinstance(e, dict) else value
        out.append((name, value))
        value += 1
    return out


def table(macro, pairs):
    lines = ["#define %s { \\" % macro]
    for ident, text in pairs:
        lines.append("\t[%s] = \"%s\", \\" % (ident, text))
    lines.append("}")
    return "\n".join(lines)


# Display form per enum: EHLO keywords as servers write them ("unknown",
# any other keyword, is none)
DISPLAY = {"kw": lambda s: s if s == "unknown" else s.upper()}


def main():
    spec_path = sys.argv[1]
    out_path = sys.argv[2] if len(sys.argv) > 2 else "-"
    with open(spec_path) as f:
        spec = yaml.safe_load(f)
    parts = []
    for d in spec["definitions"]:
        if d.get("type") != "enum" or d["name"] == "stat":
            continue
        prefix = d.get("name-prefix", spec["name"] + "-" + d["name"] + "-")
        show = DISPLAY.get(d["name"], lambda s: s)
        pairs = [(c_ident(prefix, n), show(n)) for n, _ in enum_entries(d)]
        parts.append("/* enum %s */\n%s" % (d["enum-name"], table(
            c_ident("nfsmtp-", d["name"] + "-names"), pairs)))
    # counters: the identifiers of enum nfsmtp_stat, the names of the stats
    # attribute set's u64 attributes (attribute type = NFSMTP_A_STATS_SESSIONS
    # + counter)
    stat = next(d for d in spec["definitions"] if d["name"] == "stat")
    sets = {s["name"]: s for s in spec["attribute-sets"]}
    idents = [c_ident(stat["name-prefix"], n) for n, _ in enum_entries(stat)]
    names = [a["name"].replace("-", "_") for a in sets["stats"]["attributes"]
             if a["type"] == "u64"]
    if len(idents) != len(names):
        sys.exit("gen-names: enum stat has %d entries, the stats set %d attributes"
                 % (len(idents), len(names)))
    parts.append("/* enum nfsmtp_stat, named by the stats attribute set */\n%s" % table(
        "NFSMTP_STAT_NAMES", list(zip(idents, names))))
    text = """/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* Do not edit: written by scripts/gen-names.py from %s */
#ifndef _NF_SMTP_NAMES_H
#define _NF_SMTP_NAMES_H

#include <linux/nf_smtp.h>

%s

#endif /* _NF_SMTP_NAMES_H */
""" % (spec_path.split("/")[-1], "\n\n".join(parts))
    if out_path == "-":
        sys.stdout.write(text)
    else:
        with open(out_path, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
