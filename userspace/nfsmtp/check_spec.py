#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Keep nf_smtp.yaml, the uAPI header, the module and the tool in step.

scripts/gen-netlink.sh writes from the spec, with the kernel's YNL generator
(which validates the spec against the genetlink-legacy schema first), the
family's uAPI header include/uapi/linux/nf_smtp.h and the module's policy and
ops tables, and the name tables of include/nf_smtp_names.h; make check's
generated-check fails when the committed copies are stale. This script checks
what that does not cover: that the attributes the operations list and the
events' multicast group exist in the spec, the consts the hand-written
<linux/nf_conntrack_smtp.h> defines for the spec, the module's own multicast
group table, the counter names (include/nf_smtp_names.h, which the module and
the tool both use) against the stats set, the tool's and man page's defaults
and allowed actions against the module, and the man page's rule names against
the spec's.

Prints KTAP ("ok N - what"); exit status 1 if any point failed.
"""
import argparse
import os
import re
import subprocess
import sys

try:
    import yaml
except ImportError:
    print("TAP version 13\n1..1\nnot ok 1 - python3-yaml is installed "
          "(apt-get install python3-yaml)")
    sys.exit(1)


# ---- C parsing -------------------------------------------------------------

def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


class CSource:
    """#defines and enums of C files, with a small constant evaluator."""

    def __init__(self, path):
        self.defines = {}   # name -> raw text
        self.enums = {}     # enum name -> [(member, value)]
        self.values = {}    # enum member -> value
        self._read(path)

    def _read(self, path):
        """PATH, after the headers beside it that it includes (<linux/X.h>)"""
        with open(path) as f:
            text = f.read()
        for inc in re.findall(r"^#include\s+<linux/([\w.]+)>", text, re.M):
            beside = os.path.join(os.path.dirname(path), inc)
            if os.path.exists(beside):
                self._read(beside)
        self._parse(text)

    def _parse(self, text):
        for m in re.finditer(r"^#define\s+(\w+)(?!\()\s+([^\n]*)", text, re.M):
            self.defines[m.group(1)] = strip_comments(m.group(2)).strip()
        text = strip_comments(text)
        for m in re.finditer(r"\benum\s+(\w+)\s*\{(.*?)\}\s*;", text, re.S):
            members, nxt = [], 0
            for item in m.group(2).split(","):
                item = item.strip()
                if not item:
                    continue
                name, _, expr = item.partition("=")
                name = name.strip()
                if expr.strip():
                    nxt = self.eval(expr)
                members.append((name, nxt))
                self.values[name] = nxt
                nxt += 1
            self.enums[m.group(1)] = members

    def eval(self, expr, depth=0):
        """Integer value of a C constant expression over known names."""
        if depth > 20:
            raise ValueError("recursion in %r" % expr)
        out = []
        for tok in re.findall(r"0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|\w+|<<|>>|[-+*()|&~]|\S",
                              expr):
            if re.match(r"\d", tok):
                out.append(str(int(tok.rstrip("uUlL"), 0)))
            elif re.match(r"\w", tok):
                if tok in self.values:
                    out.append(str(self.values[tok]))
                elif tok in self.defines:
                    out.append("(%d)" % self.eval(self.defines[tok], depth + 1))
                else:
                    raise ValueError("unknown name %s in %r" % (tok, expr))
            elif tok in ("<<", ">>", "-", "+", "*", "(", ")", "|", "&", "~"):
                out.append(tok)
            else:
                raise ValueError("cannot evaluate %r" % expr)
        return int(eval(" ".join(out), {"__builtins__": {}}, {}))


def c_name(name):
    return name.upper().replace("-", "_")


def members(hdr, enum):
    """an enum's members before its private ones (__X_MAX and X_MAX after it)"""
    out = []
    for name, value in hdr.enums[enum]:
        if name.startswith("__"):
            break
        out.append((name, value))
    return out


def block(text, start_re):
    """The {...} initializer that follows START_RE in TEXT."""
    m = re.search(start_re, text)
    if not m:
        raise ValueError("no %s" % start_re)
    i = text.index("{", m.end() - 1)
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1:j]
    raise ValueError("unbalanced braces after %s" % start_re)


# ---- the spec's references, the hand-written header's consts -----------------

def check_refs(spec):
    """what ynl-gen-c.py does not resolve (it does an attribute's enum and
    nested set): the attributes operations list, an event's multicast group"""
    e = []
    sets = {s["name"]: {a["name"] for a in s["attributes"]} for s in spec["attribute-sets"]}
    groups = {g["name"] for g in spec.get("mcast-groups", {}).get("list", [])}
    for op in spec["operations"]["list"]:
        names = sets.get(op.get("attribute-set"), set())
        for sub in ("do", "dump"):
            for msg in ("request", "reply"):
                for a in op.get(sub, {}).get(msg, {}).get("attributes", []):
                    if a not in names:
                        e.append("%s %s %s: no attribute %s" % (op["name"], sub, msg, a))
        for a in op.get("event", {}).get("attributes", []):
            if a not in names:
                e.append("%s event: no attribute %s" % (op["name"], a))
        if "mcgrp" in op and op["mcgrp"] not in groups:
            e.append("%s: no multicast group %s" % (op["name"], op["mcgrp"]))
    return e


def check_consts(spec, hdr):
    """consts the spec takes from a hand-written header (header:), as it has them"""
    e = []
    for d in spec.get("definitions", []):
        if "header" not in d:
            continue
        if d["type"] != "const":
            e.append("%s %s: only consts may be hand-written (%s), YNL writes the rest"
                     % (d["type"], d["name"], d["header"]))
            continue
        name = c_name(d.get("name-prefix", spec["name"] + "-") + d["name"])
        if name not in hdr.defines:
            e.append("const %s: no #define %s in %s" % (d["name"], name, d["header"]))
        elif hdr.eval(hdr.defines[name]) != d["value"]:
            e.append("const %s: %s is %s in the header" % (d["name"], name,
                                                           hdr.defines[name]))
    return e


# ---- spec against the module -----------------------------------------------

def check_mcgrps(spec, netlink_c):
    """the module's own multicast group table (YNL's lacks the flags it needs)"""
    text = strip_comments(netlink_c)
    groups = re.findall(r"\.name\s*=\s*(\w+)", block(text, r"smtp_mcgrps\[\]\s*=\s*\{"))
    spec_groups = [c_name(g.get("c-define-name", g["name"]))
                   for g in spec.get("mcast-groups", {}).get("list", [])]
    if groups != spec_groups:
        return ["multicast groups: %s in the module, %s in the spec" % (groups, spec_groups)]
    return []


def stat_names(text, array):
    body = block(strip_comments(text), array + r"\[[^\]]*\]\s*=\s*\{")
    return re.findall(r"\[(NFSMTP_STAT_\w+)\]\s*=\s*\"([^\"]*)\"", body)


def attr_list(aset):
    """(attribute, value) of an attribute set, YNL's numbering"""
    out, nxt = [], 1
    for a in aset["attributes"]:
        nxt = a.get("value", nxt)
        out.append((a, nxt))
        nxt += 1
    return out


def check_stats(spec, hdr, main_c, tool_c):
    e = []
    kernel = stat_names(main_c, r"smtp_stat_names")
    tool = stat_names(tool_c, r"nfsmtp_stat_names")
    order = [n for n, _ in members(hdr, "nfsmtp_stat")]
    if [n for n, _ in kernel] != order:
        e.append("smtp_stat_names[] is not in enum nfsmtp_stat order or misses counters")
    if tool != kernel:
        e.append("the tool's nfsmtp_stat_names[] differs from the module's smtp_stat_names[]")
    sets = {s["name"]: s for s in spec["attribute-sets"]}
    stats = [(a, v) for a, v in attr_list(sets["stats"]) if a["type"] not in ("unused", "pad")]
    if len(stats) != len(kernel):
        e.append("stats set has %d counters, the module %d" % (len(stats), len(kernel)))
    # counters are consecutive from the first: type = first + enum nfsmtp_stat
    first = stats[0][1] if stats else 0
    for (a, value), (cname, text) in zip(stats, kernel):
        if a["name"] != text.replace("_", "-"):
            e.append("stats attribute %s: the module calls it %s" % (a["name"], text))
        if value != first + hdr.values[cname]:
            e.append("stats attribute %s is %d, %d + %s is %d" % (a["name"], value, first, cname,
                                                                  first + hdr.values[cname]))
        if a["type"] != "u64":
            e.append("stats attribute %s is not u64" % a["name"])
    return e


# ---- the tool's and the man page's defaults against the module -------------

def split_top(text):
    """Split at the commas outside (), {} and string literals."""
    parts, depth, cur, quoted = [], 0, "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "({":
            depth += 1
        elif not quoted and ch in ")}":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def tool_key_fields(tool_c):
    """(key, {field: value}) of the tool's key table, its macros expanded."""
    text = strip_comments(tool_c.replace("\\\n", " "))
    macros = {m.group(1): ([a.strip() for a in m.group(2).split(",")], m.group(3))
              for m in re.finditer(r"^#define\s+(\w+_KEY)\(([^)]*)\)\s*(.*)$", text, re.M)}
    keys = []
    for entry in split_top(block(text, r"nfsmtp_keys\[\]\s*=\s*\{")):
        m = re.match(r"(\w+)\((.*)\)$", entry, re.S)
        if m and m.group(1) in macros:
            params, body = macros[m.group(1)]
            args = dict(zip(params, split_top(m.group(2))))
            entry = re.sub(r"\b(\w+)\b", lambda w: args.get(w.group(1), w.group(1)), body)
        fields = dict(re.findall(r"\.(\w+)\s*=\s*(\"[^\"]*\"|[^,}]+)", entry))
        keys.append((fields.get("name", "").strip().strip('"'), fields))
    return keys


def tool_keys(tool_c):
    """(key, attr, default) of the tool's key table."""
    return [(k, f.get("attr", "").strip(), f.get("def", "").strip().strip('"') or None)
            for k, f in tool_key_fields(tool_c)]


def module_defaults(hdr, netlink_c):
    """attr -> default value name, from smtp_profile_default() and smtp_act_attrs[]."""
    text = strip_comments(netlink_c)
    fn = block(text, r"void\s+smtp_profile_default\s*\([^)]*\)\s*\{")
    acts = block(text, r"smtp_act_attrs\[[^\]]*\]\s*=\s*\{")
    rule_attr, allowed = {}, {}
    macros = dict(re.findall(r"^#define\s+(ACTS?\w*)(?:\(x\))?\s+(.*)$", netlink_c, re.M))

    def expand(expr):
        for _ in range(10):
            expr = re.sub(r"\bACT\((\w+)\)", r"(1 << NFSMTP_ACTION_\1)", expr)
            expr = re.sub(r"\b(ACTS_\w+)\b", lambda m: "(%s)" % macros[m.group(1)], expr)
        return hdr.eval(expr)

    for m in re.finditer(r"\[(NFSMTP_A_\w+)\]\s*=\s*\{\s*(NFSMTP_RULE_\w+)\s*,([^}]*)\}", acts):
        rule_attr[m.group(2)] = m.group(1)
        bits = expand(m.group(3))
        allowed[m.group(1)] = [n[len("NFSMTP_ACTION_"):].lower()
                               for n, v in members(hdr, "nfsmtp_action")
                               if bits & (1 << v)]
    defaults = {}
    field_attr = {"starttls": ("NFSMTP_A_STARTTLS", "NFSMTP_STARTTLS_"),
                  "banner": ("NFSMTP_A_BANNER", "NFSMTP_BANNER_"),
                  "commands": ("NFSMTP_A_COMMANDS", "NFSMTP_COMMANDS_"),
                  "out_of_order": ("NFSMTP_A_OUT_OF_ORDER", "NFSMTP_OOO_")}
    for field, value in re.findall(r"p->(\w+)\s*=\s*(NFSMTP_\w+)\s*;", fn):
        if field in field_attr:
            attr, prefix = field_attr[field]
            defaults[attr] = value[len(prefix):].lower()
    for rule, value in re.findall(r"p->act\[(NFSMTP_RULE_\w+)\]\s*=\s*(NFSMTP_ACTION_\w+)", fn):
        defaults[rule_attr[rule]] = value[len("NFSMTP_ACTION_"):].lower()
    return defaults, allowed


def check_defaults(hdr, netlink_c, tool_c, man):
    e = []
    defaults, allowed = module_defaults(hdr, netlink_c)
    keys = tool_keys(tool_c)
    if len(keys) != 46:
        e.append("found %d keys in the tool's table, expected 46" % len(keys))
    # everything smtp_profile_default() leaves at 0 (memset, kzalloc)
    zero = {"NFSMTP_A_EHLO_MASK": "none", "NFSMTP_A_MARK_MASK": "0x0",
            "NFSMTP_A_MAIL_RELAY": "none", "NFSMTP_A_MIME_ENCODING": "none",
            "NFSMTP_A_MIME_FILETYPE": "none"}
    sections = re.split(r"^\.TP\s*$", man, flags=re.M)
    for key, attr, default in keys:
        want = defaults.get(attr, zero.get(attr, "0"))
        if default != want:
            e.append("%s: the tool says default %r, the module %r" % (key, default, want))
        sec = [s for s in sections if re.match(r'\s*\.BI?\s+"?%s(?=[\s"])' % re.escape(key), s)]
        if len(sec) != 1:
            e.append("%s: the man page has %d entries for it" % (key, len(sec)))
            continue
        if "Default: \\fB%s\\fR" % want not in sec[0]:
            e.append("%s: the man page does not give the default %s" % (key, want))
        if attr in allowed:
            m = re.search(r"^Actions: (.*)$", sec[0], re.M)
            got = re.findall(r"\\fB(\w+)\\fR", m.group(1)) if m else None
            if got != allowed[attr]:
                e.append("%s: the man page lists actions %s, the module takes %s" %
                         (key, got, allowed[attr]))
    return e


def check_completion(hdr, tool_c, completion, completion_path):
    e = []
    keys = [k for k, _, _ in tool_keys(tool_c)]
    m = re.search(r'local keys="([^"]*)"', completion)
    got = m.group(1).split() if m else []
    if got != keys:
        e.append("completion keys %s, the tool's %s" % (got, keys))
    m = re.search(r'local kws="([^"]*)"', completion)
    kws = sorted(m.group(1).split()) if m else []
    want = sorted(n for n in re.findall(r"\[NFSMTP_KW_\w+\]\s*=\s*\"([^\"]+)\"", tool_c))
    if kws != want or len(want) != hdr.values["__NFSMTP_KW_MAX"]:
        e.append("completion EHLO keywords %s, the tool's %s" % (kws, want))
    # what _nfsmtp_values offers after each key, asked of bash itself
    script = 'source "$1"; shift; for k; do echo "$k:$(_nfsmtp_values "$k")"; done'
    out = subprocess.run(["bash", "-c", script, "bash", completion_path] + keys,
                         capture_output=True, text=True, check=False).stdout
    offered = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    text = strip_comments(tool_c.replace("\\\n", " "))
    tables = {m.group(1): re.findall(r'"([^"]*)"', m.group(2))
              for m in re.finditer(r"(\w+_names)\[[^\]]*\]\s*=\s*\{(.*?)\}\s*;", text, re.S)}
    for key, fields in tool_key_fields(tool_c):
        names = fields.get("names", "").strip()
        want = " ".join(tables.get(names, [])) if names not in ("", "nfsmtp_kw_names") else ""
        if offered.get(key, "").strip() != want:
            e.append("completion offers %r after %s, the tool takes %r" %
                     (offered.get(key, "").strip(), key, want))
    return e


def expand_names(text, names_h):
    """a table initialised from a macro of nf_smtp_names.h, written out"""
    bodies = {m.group(1): m.group(2).replace("\\\n", "\n") for m in re.finditer(
        r"#define (NFSMTP_\w+_NAMES) (\{.*?\n\})", names_h, flags=re.S)}
    return re.sub(r"= (NFSMTP_\w+_NAMES);", lambda m: "= %s;" % bodies[m.group(1)], text)


def check_man_rules(names_h, man):
    """the man page lists every rule, in the order of the generated table"""
    body = re.search(r"#define NFSMTP_RULE_NAMES \{(.*?)\n\}", names_h, flags=re.S)
    rules = re.findall(r'= "([^"]+)"', body.group(1))
    part = man[man.index(".I rule\nis one of\n"):]
    part = part[:part.index(";")]
    listed = re.findall(r"^\.BR? ([a-z-]+)", part, flags=re.M)
    return [] if listed == rules else [
        "the man page lists the rules %s, the spec %s" % (" ".join(listed), " ".join(rules))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", required=True)
    ap.add_argument("--uapi", required=True, help="linux/nf_conntrack_smtp.h")
    ap.add_argument("--kmod", required=True, help="the module's source directory")
    ap.add_argument("--tool", required=True, help="the tool's keys.c")
    ap.add_argument("--names", help="the generated name tables (default: "
                    "include/nf_smtp_names.h beside the uapi directory)")
    ap.add_argument("--man", help="the man page (default: nfsmtp.8 beside the spec)")
    ap.add_argument("--completion",
                    help="the bash completion (default: nfsmtp.bash-completion beside the spec)")
    opts = ap.parse_args()
    man_path = opts.man or os.path.join(os.path.dirname(opts.spec), "nfsmtp.8")
    completion_path = opts.completion or os.path.join(os.path.dirname(opts.spec),
                                                      "nfsmtp.bash-completion")

    def read(path):
        with open(path) as f:
            return f.read()

    print("TAP version 13")
    try:
        spec = yaml.safe_load(read(opts.spec))
        hdr = CSource(opts.uapi)
        # the family and its handlers, and YNL's policy and ops tables
        netlink_c = (read(os.path.join(opts.kmod, "smtp_netlink.c")) +
                     read(os.path.join(opts.kmod, "smtp_nl_gen.c")))
        net_c = read(os.path.join(opts.kmod, "smtp_net.c"))
        names_h = read(opts.names or os.path.join(
            os.path.dirname(os.path.dirname(os.path.dirname(opts.uapi))), "nf_smtp_names.h"))
        tool_c = expand_names(read(opts.tool), names_h)
        net_c = expand_names(net_c, names_h)
        man = read(man_path)
        completion = read(completion_path)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        print("1..1\nnot ok 1 - spec, header, module and tool sources load: %s" % exc)
        return 1

    points = [
        ("spec: the attributes and multicast group its operations name exist",
         lambda: check_refs(spec)),
        ("spec: its consts match the hand-written header that defines them",
         lambda: check_consts(spec, hdr)),
        ("spec: the module's multicast groups are the spec's",
         lambda: check_mcgrps(spec, netlink_c)),
        ("spec, module and tool: counter names and attribute types agree",
         lambda: check_stats(spec, hdr, net_c, tool_c)),
        ("tool and man page: defaults and allowed actions match the module",
         lambda: check_defaults(hdr, netlink_c + net_c, tool_c, man)),
        ("man page: the rules monitor and the kernel log name are the spec's",
         lambda: check_man_rules(names_h, man)),
        ("bash completion: keys, EHLO keywords and values match the tool",
         lambda: check_completion(hdr, tool_c, completion, completion_path)),
    ]
    print("1..%d" % len(points))
    failed = 0
    for i, (what, fn) in enumerate(points, 1):
        try:
            errors = fn()
        except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
            errors = ["check broke: %s: %s" % (type(exc).__name__, exc)]
        for err in errors:
            print("# %s" % err)
        print("%sok %d - %s" % ("not " if errors else "", i, what))
        failed += bool(errors)
    print("# %d passed, %d failed" % (len(points) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
