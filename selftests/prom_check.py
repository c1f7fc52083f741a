#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Check `nfsmtp stats -o prometheus` output.

prom_check.py FILE [--proc PROCFILE] [--netns NAME]

A strict parser of the Prometheus text exposition format (0.0.4), as
node_exporter's textfile collector reads it: every line ends in a newline;
comments are "# HELP NAME TEXT", "# TYPE NAME TYPE" or other "# ..."; a
sample is NAME[{LABEL="VALUE",...}] VALUE [TIMESTAMP] with the format's
name, label and escape rules. On top, what nfsmtp promises: one family per
counter with one HELP (not empty) and a TYPE counter before its one sample,
names nfsmtp_*_total, one label netns (NAME when given); with --proc, the
families are exactly the counters of /proc/net/nf_conntrack_smtp, each with
the same value. Prints what is wrong as "# " lines; exit 1 if anything is.
"""
import argparse
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
LABEL_VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
VALUE = r"(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)"
SAMPLE = re.compile(r"^(%s)(?:\{((?:%s=%s)(?:,%s=%s)*,?)?\})? (%s)(?: (-?\d+))?$" %
                    (NAME, LABEL, LABEL_VALUE, LABEL, LABEL_VALUE, VALUE))
PAIR = re.compile(r"(%s)=(%s)" % (LABEL, LABEL_VALUE))
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def unescape(v):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v[1:-1])


def parse(text, errors):
    """{family: {"help": str, "type": str, "samples": [(labels, value)]}}"""
    fams = {}
    if text and not text.endswith("\n"):
        errors.append("the last line has no newline")
    for no, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d" % no
        if line == "":
            continue
        if line.startswith("#"):
            m = re.match(r"^# (HELP|TYPE) (\S+)(?: (.*))?$", line)
            if not m:
                continue        # any other comment
            kind, name, rest = m.group(1), m.group(2), m.group(3) or ""
            if not re.fullmatch(NAME, name):
                errors.append("%s: bad metric name %r" % (where, name))
            fam = fams.setdefault(name, {"help": None, "type": None, "samples": []})
            key = kind.lower()
            if fam[key] is not None:
                errors.append("%s: second %s for %s" % (where, kind, name))
            if fam["samples"]:
                errors.append("%s: %s for %s after its samples" % (where, kind, name))
            if kind == "TYPE" and rest not in TYPES:
                errors.append("%s: bad type %r" % (where, rest))
            if kind == "HELP" and re.search(r"\\[^\\n]", rest):
                errors.append("%s: bad escape in help text" % where)
            fam[key] = rest
            continue
        m = SAMPLE.match(line)
        if not m:
            errors.append("%s: not a sample: %r" % (where, line))
            continue
        name, labels = m.group(1), {}
        for lname, lvalue in PAIR.findall(m.group(2) or ""):
            if lname in labels:
                errors.append("%s: label %s twice" % (where, lname))
            labels[lname] = unescape(lvalue)
        fam = fams.setdefault(name, {"help": None, "type": None, "samples": []})
        if any(s[0] == labels for s in fam["samples"]):
            errors.append("%s: series %s%r twice" % (where, name, labels))
        fam["samples"].append((labels, m.group(3)))
    return fams


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--proc", help="/proc/net/nf_conntrack_smtp read at the same time")
    ap.add_argument("--netns", help="the netns label every sample must have")
    opts = ap.parse_args()
    errors = []
    fams = parse(open(opts.file).read(), errors)
    for name, fam in fams.items():
        if not re.fullmatch(r"nfsmtp_[a-z0-9_]+_total", name):
            errors.append("%s: not nfsmtp_COUNTER_total" % name)
        if not fam["help"]:
            errors.append("%s: no HELP text" % name)
        if fam["type"] != "counter":
            errors.append("%s: TYPE %r, not counter" % (name, fam["type"]))
        if len(fam["samples"]) != 1:
            errors.append("%s: %d samples, not 1" % (name, len(fam["samples"])))
        for labels, value in fam["samples"]:
            if set(labels) != {"netns"}:
                errors.append("%s: labels %s, not netns alone" % (name, sorted(labels)))
            elif opts.netns is not None and labels["netns"] != opts.netns:
                errors.append("%s: netns=%r, not %r" % (name, labels["netns"], opts.netns))
            if not re.fullmatch(r"\d+", value):
                errors.append("%s: value %r is not a counter's" % (name, value))
    if opts.proc:
        want = {}
        for line in open(opts.proc):
            k, v = line.split()
            want["nfsmtp_%s_total" % k] = v
        got = {n: f["samples"][0][1] for n, f in fams.items() if f["samples"]}
        if set(got) != set(want):
            errors.append("counters of /proc missing: %s; families /proc lacks: %s" %
                          (sorted(set(want) - set(got)), sorted(set(got) - set(want))))
        for n in sorted(set(got) & set(want)):
            if got[n] != want[n]:
                errors.append("%s = %s, /proc says %s" % (n, got[n], want[n]))
        if not want:
            errors.append("no counter in %s" % opts.proc)
    for e in errors:
        print("# " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
