#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Keep nf_smtp.yaml, the uAPI header, the module and the tool in step.

The kernel's YNL tools are not in Debian's 6.1 sources, so this script does
their part: it checks the YNL spec's shape against the genetlink-legacy
schema (the keys and values that schema allows), then every name and value
of the spec against the C enums and defines of the uAPI header, the
attribute types and range checks against the module's nla_policy, the
operations' flags and handlers against its genl ops, the counter names
(include/nf_smtp_names.h, which the module and the tool both use) against
the stats set, the tool's and man page's defaults and allowed actions
against the module, and the man page's rule names against the spec's.

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

    def __init__(self, *paths):
        self.defines = {}   # name -> raw text
        self.enums = {}     # enum name -> [(member, value)]
        self.values = {}    # enum member -> value
        for path in paths:
            with open(path) as f:
                self._parse(f.read())

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


# ---- the genetlink-legacy schema, as far as this family needs it ----------

ATTR_TYPES = ["unused", "pad", "flag", "binary", "bitfield32", "uint", "sint", "u8", "u16",
              "u32", "u64", "s32", "s64", "string", "nest", "array-nest",
              "nest-type-value"]
SCHEMA = {
    "top": {"required": ["name", "doc", "attribute-sets", "operations"],
            "allowed": ["name", "doc", "protocol", "uapi-header", "c-family-name",
                        "c-version-name", "max-by-define", "kernel-policy", "version",
                        "definitions", "attribute-sets", "operations", "mcast-groups"]},
    "definition": {"required": ["type", "name"],
                   "allowed": ["name", "header", "type", "doc", "value", "value-start",
                               "entries", "render-max", "enum-name", "name-prefix",
                               "members"]},
    "entry": {"required": ["name"], "allowed": ["name", "value", "doc"]},
    "attribute-set": {"required": ["name", "attributes"],
                      "allowed": ["name", "name-prefix", "enum-name", "doc", "subset-of",
                                  "attr-cnt-name", "attr-max-name", "attributes"]},
    "attribute": {"required": ["name", "type"],
                  "allowed": ["name", "type", "doc", "value", "type-value", "byte-order",
                              "multi-attr", "nested-attributes", "enum", "enum-as-flags",
                              "checks", "sub-type", "display-hint", "name-prefix",
                              "struct"]},
    "checks": {"required": [], "allowed": ["flags-mask", "min", "max", "min-len",
                                           "max-len", "exact-len"]},
    "operations": {"required": ["list"],
                   "allowed": ["enum-model", "name-prefix", "enum-name", "async-prefix",
                               "async-enum", "fixed-header", "list"]},
    "operation": {"required": ["name", "doc"],
                  "allowed": ["name", "doc", "value", "attribute-set", "flags",
                              "dont-validate", "fixed-header", "do", "dump", "notify",
                              "event", "mcgrp"]},
    "subop": {"required": [], "allowed": ["request", "reply", "pre", "post"]},
    "msg": {"required": [], "allowed": ["attributes", "value"]},
    "mcast-groups": {"required": ["list"], "allowed": ["list"]},
    "mcast-group": {"required": ["name"], "allowed": ["name", "c-define-name", "flags"]},
}


def shape(obj, kind, where, errors):
    if not isinstance(obj, dict):
        errors.append("%s: not a mapping" % where)
        return
    rule = SCHEMA[kind]
    for k in rule["required"]:
        if k not in obj:
            errors.append("%s: %s missing" % (where, k))
    for k in obj:
        if k not in rule["allowed"]:
            errors.append("%s: %s is not in the genetlink-legacy schema" % (where, k))


def check_shape(spec):
    e = []
    shape(spec, "top", "spec", e)
    if spec.get("protocol") != "genetlink-legacy":
        e.append("protocol is %r, not genetlink-legacy" % spec.get("protocol"))
    if spec.get("kernel-policy", "split") not in ("split", "per-op", "global"):
        e.append("kernel-policy %r" % spec.get("kernel-policy"))
    for d in spec.get("definitions", []):
        w = "definition %s" % d.get("name")
        shape(d, "definition", w, e)
        if d.get("type") not in ("const", "enum", "flags", "struct"):
            e.append("%s: type %r" % (w, d.get("type")))
        for ent in d.get("entries", []):
            if not isinstance(ent, str):
                shape(ent, "entry", w + " entry", e)
    for s in spec.get("attribute-sets", []):
        w = "attribute-set %s" % s.get("name")
        shape(s, "attribute-set", w, e)
        for a in s.get("attributes", []):
            aw = "%s attribute %s" % (w, a.get("name"))
            shape(a, "attribute", aw, e)
            if a.get("type") not in ATTR_TYPES:
                e.append("%s: type %r" % (aw, a.get("type")))
            if "checks" in a:
                shape(a["checks"], "checks", aw + " checks", e)
            if a.get("display-hint", "hex") not in ("hex", "mac", "fddi", "ipv4", "ipv6",
                                                     "uuid"):
                e.append("%s: display-hint %r" % (aw, a.get("display-hint")))
    ops = spec.get("operations", {})
    shape(ops, "operations", "operations", e)
    for op in ops.get("list", []):
        w = "operation %s" % op.get("name")
        shape(op, "operation", w, e)
        for f in op.get("flags", []):
            if f not in ("admin-perm", "uns-admin-perm"):
                e.append("%s: flag %r" % (w, f))
        for sub in ("do", "dump"):
            if sub in op:
                shape(op[sub], "subop", "%s %s" % (w, sub), e)
                for msg in ("request", "reply"):
                    if msg in op[sub]:
                        shape(op[sub][msg], "msg", "%s %s %s" % (w, sub, msg), e)
    if "mcast-groups" in spec:
        shape(spec["mcast-groups"], "mcast-groups", "mcast-groups", e)
        for g in spec["mcast-groups"].get("list", []):
            shape(g, "mcast-group", "mcast group %s" % g.get("name"), e)
    return e


# ---- spec against header ---------------------------------------------------

def entries(defn):
    """(name, value) of an enum definition, YNL's numbering."""
    out, nxt = [], defn.get("value-start", 0)
    for ent in defn.get("entries", []):
        if isinstance(ent, str):
            ent = {"name": ent}
        nxt = ent.get("value", nxt)
        out.append((str(ent["name"]), nxt))
        nxt += 1
    return out


def compare_enum(what, expected, c_members, errors):
    """EXPECTED: [(C name, value)] from the spec; C_MEMBERS: from the header."""
    c = dict(c_members)
    for name, value in expected:
        if name not in c:
            errors.append("%s: %s is not in the header" % (what, name))
        elif c[name] != value:
            errors.append("%s: %s is %d in the spec, %d in the header" %
                          (what, name, value, c[name]))
    names = {n for n, _ in expected}
    for name, _ in c_members:
        if name not in names and not re.match(r"__\w+_MAX$", name):
            errors.append("%s: the header's %s is not in the spec" % (what, name))


def check_definitions(spec, hdr):
    e = []
    for d in spec.get("definitions", []):
        if d["type"] == "const":
            name = c_name(d.get("name-prefix", spec["name"] + "-") + d["name"])
            if name not in hdr.defines:
                e.append("const %s: no #define %s" % (d["name"], name))
            elif hdr.eval(hdr.defines[name]) != d["value"]:
                e.append("const %s: %s is %s in the header" % (d["name"], name,
                                                               hdr.defines[name]))
        elif d["type"] == "enum":
            ename = d.get("enum-name") or "nfsmtp_" + d["name"]
            if ename not in hdr.enums:
                e.append("enum %s: not in the header" % ename)
                continue
            prefix = d.get("name-prefix", "nfsmtp-%s-" % d["name"])
            exp = [(c_name(prefix + n), v) for n, v in entries(d)]
            compare_enum("enum " + ename, exp, hdr.enums[ename], e)
            if d.get("render-max"):
                cnt = c_name("__" + prefix + "max")
                if cnt not in dict(hdr.enums[ename]):
                    e.append("enum %s: render-max but no %s" % (ename, cnt))
    return e


def attr_list(aset):
    out, nxt = [], 1
    for a in aset["attributes"]:
        nxt = a.get("value", nxt)
        out.append((a, nxt))
        nxt += 1
    return out


def check_attrs(spec, hdr):
    e = []
    main = spec["attribute-sets"][0]
    ename = main.get("enum-name")
    if ename not in hdr.enums:
        return ["attribute enum %s is not in the header" % ename]
    prefix = main["name-prefix"]
    exp = [(c_name(prefix + a["name"]), v) for a, v in attr_list(main)]
    compare_enum("enum " + ename, exp, hdr.enums[ename], e)
    cnt, mx = c_name(main["attr-cnt-name"]), c_name(main["attr-max-name"])
    if cnt not in dict(hdr.enums[ename]):
        e.append("attr-cnt-name %s is not in enum %s" % (cnt, ename))
    if mx not in hdr.defines or hdr.eval(hdr.defines[mx]) != hdr.values.get(cnt, -1) - 1:
        e.append("attr-max-name %s is not #defined as %s - 1" % (mx, cnt))
    sets = {s["name"]: s for s in spec["attribute-sets"]}
    defs = {d["name"]: d for d in spec.get("definitions", [])}
    for aset in spec["attribute-sets"]:
        for a, _ in attr_list(aset):
            if "nested-attributes" in a and a["nested-attributes"] not in sets:
                e.append("attribute %s: no attribute set %s" % (a["name"],
                                                                 a["nested-attributes"]))
            if "enum" in a and a["enum"] not in defs:
                e.append("attribute %s: no definition %s" % (a["name"], a["enum"]))
    return e


def check_ops(spec, hdr):
    e = []
    ops = spec["operations"]
    ename = ops.get("enum-name")
    if ename not in hdr.enums:
        return ["command enum %s is not in the header" % ename]
    exp, nxt = [], 1
    for op in ops["list"]:
        nxt = op.get("value", nxt)
        exp.append((c_name(ops["name-prefix"] + op["name"]), nxt))
        nxt += 1
    compare_enum("enum " + ename, exp, hdr.enums[ename], e)
    if spec.get("max-by-define"):
        mx = c_name(ops["name-prefix"] + "max")
        if mx not in hdr.defines:
            e.append("max-by-define: no #define %s" % mx)
    sets = {s["name"]: {a["name"] for a in s["attributes"]} for s in spec["attribute-sets"]}
    groups = {g["name"] for g in spec.get("mcast-groups", {}).get("list", [])}
    for op in ops["list"]:
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


def check_family(spec, hdr):
    e = []

    def string_define(key, want):
        name = c_name(spec[key])
        raw = hdr.defines.get(name, "")
        if raw != '"%s"' % want:
            e.append("%s %s is %r in the header, the spec says %r" % (key, name, raw, want))

    string_define("c-family-name", spec["name"])
    ver = c_name(spec["c-version-name"])
    if ver not in hdr.defines or hdr.eval(hdr.defines[ver]) != spec.get("version", 1):
        e.append("%s is not %d" % (ver, spec.get("version", 1)))
    for g in spec.get("mcast-groups", {}).get("list", []):
        name = c_name(g.get("c-define-name", "nfsmtp-mcgrp-" + g["name"]))
        if hdr.defines.get(name) != '"%s"' % g["name"]:
            e.append("multicast group %s: #define %s is %r" % (g["name"], name,
                                                               hdr.defines.get(name)))
    return e


# ---- spec against the module -----------------------------------------------

NLA_TYPES = {"NLA_U8": "u8", "NLA_U16": "u16", "NLA_U32": "u32", "NLA_U64": "u64",
             "NLA_STRING": "string", "NLA_NUL_STRING": "string", "NLA_BINARY": "binary",
             "NLA_NESTED": "nest", "NLA_FLAG": "flag"}


def check_policy(spec, hdr, netlink_c):
    e = []
    text = strip_comments(netlink_c)
    pol = block(text, r"nla_policy\s+nf_smtp_nl_policy\[[^\]]*\]\s*=\s*\{")
    kernel = {}
    for m in re.finditer(r"\[(NFSMTP_A_\w+)\]\s*=\s*(NLA_POLICY_(MAX|MASK)\((NLA_\w+),([^)]*)\)"
                         r"|\{\s*\.type\s*=\s*(NLA_\w+)\s*,?\s*\})", pol):
        if m.group(6):
            kernel[m.group(1)] = (m.group(6), None, None)
        else:
            kernel[m.group(1)] = (m.group(4), m.group(3), hdr.eval(m.group(5)))
    main = spec["attribute-sets"][0]
    prefix = main["name-prefix"]
    settable = set()
    for op in spec["operations"]["list"]:
        for sub in ("do", "dump"):
            settable |= set(op.get(sub, {}).get("request", {}).get("attributes", []))
    for a, _ in attr_list(main):
        name = c_name(prefix + a["name"])
        if name not in kernel:
            if a["name"] in settable:
                e.append("%s is in a request but not in nf_smtp_nl_policy" % name)
            continue
        nla, kind, limit = kernel.pop(name)
        if NLA_TYPES.get(nla) != a["type"]:
            e.append("%s: %s in the spec, %s in nf_smtp_nl_policy" % (name, a["type"], nla))
        smax = a.get("checks", {}).get("max")
        if kind == "MAX" and smax != limit:
            e.append("%s: checks max %r in the spec, %d in nf_smtp_nl_policy" % (name, smax, limit))
        if kind != "MAX" and smax is not None:
            e.append("%s: checks max %r in the spec, none in nf_smtp_nl_policy" % (name, smax))
        if kind == "MASK" and not a.get("enum-as-flags"):
            e.append("%s: a mask in nf_smtp_nl_policy, not enum-as-flags in the spec" % name)
        if a["name"] not in settable:
            e.append("%s has a policy but is in no request of the spec" % name)
    for name in kernel:
        e.append("nf_smtp_nl_policy's %s is not in the spec" % name)
    return e


def check_genl_ops(spec, netlink_c):
    e = []
    text = strip_comments(netlink_c)
    body = block(text, r"nf_smtp_nl_ops\[[^\]]*\]\s*=\s*\{")
    kernel = {}
    for m in re.finditer(r"\{([^{}]*)\}", body):
        fields = dict(re.findall(r"\.(\w+)\s*=\s*([^,]+?)\s*,?\s*(?=\.|$)", m.group(1).strip()))
        if "cmd" in fields:
            kernel[fields["cmd"]] = fields
    ops = spec["operations"]
    for op in ops["list"]:
        name = c_name(ops["name-prefix"] + op["name"])
        if "do" not in op and "dump" not in op:
            if name in kernel:
                e.append("%s has kernel handlers but no do/dump in the spec" % name)
            continue
        k = kernel.pop(name, None)
        if k is None:
            e.append("%s: not in nf_smtp_nl_ops" % name)
            continue
        if ("do" in op) != ("doit" in k):
            e.append("%s: do in the spec %s, .doit in the module %s" % (name, "do" in op,
                                                                        "doit" in k))
        if ("dump" in op) != ("dumpit" in k):
            e.append("%s: dump in the spec %s, .dumpit in the module %s" % (name, "dump" in op,
                                                                            "dumpit" in k))
        flags = {"GENL_UNS_ADMIN_PERM": "uns-admin-perm", "GENL_ADMIN_PERM": "admin-perm"}
        kflags = {flags.get(f.strip(), f.strip()) for f in k.get("flags", "").split("|")
                  if f.strip()}
        if kflags != set(op.get("flags", [])):
            e.append("%s: flags %s in the spec, %s in the module" %
                     (name, sorted(op.get("flags", [])), sorted(kflags)))
    for name in kernel:
        e.append("nf_smtp_nl_ops' %s is not in the spec" % name)
    groups = re.findall(r"\.name\s*=\s*(\w+)", block(text, r"smtp_mcgrps\[\]\s*=\s*\{"))
    spec_groups = [c_name(g.get("c-define-name", g["name"]))
                   for g in spec.get("mcast-groups", {}).get("list", [])]
    if groups != spec_groups:
        e.append("multicast groups: %s in the module, %s in the spec" % (groups, spec_groups))
    return e


def stat_names(text, array):
    body = block(strip_comments(text), array + r"\[[^\]]*\]\s*=\s*\{")
    return re.findall(r"\[(NFSMTP_STAT_\w+)\]\s*=\s*\"([^\"]*)\"", body)


def check_stats(spec, hdr, main_c, tool_c):
    e = []
    kernel = stat_names(main_c, r"smtp_stat_names")
    tool = stat_names(tool_c, r"nfsmtp_stat_names")
    order = [n for n, _ in hdr.enums["nfsmtp_stat"] if not n.startswith("__")]
    if [n for n, _ in kernel] != order:
        e.append("smtp_stat_names[] is not in enum nfsmtp_stat order or misses counters")
    if tool != kernel:
        e.append("the tool's nfsmtp_stat_names[] differs from the module's smtp_stat_names[]")
    sets = {s["name"]: s for s in spec["attribute-sets"]}
    stats = attr_list(sets["stats"])
    if len(stats) != len(kernel):
        e.append("stats set has %d attributes, the module %d counters" % (len(stats),
                                                                          len(kernel)))
    for (a, value), (cname, text) in zip(stats, kernel):
        if a["name"] != text.replace("_", "-"):
            e.append("stats attribute %s: the module calls it %s" % (a["name"], text))
        if value != hdr.values[cname] + 1:
            e.append("stats attribute %s is %d, %s + 1 is %d" % (a["name"], value, cname,
                                                                 hdr.values[cname] + 1))
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
                               for n, v in hdr.enums["nfsmtp_action"]
                               if not n.startswith("__") and bits & (1 << v)]
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
    if len(keys) != 24:
        e.append("found %d keys in the tool's table, expected 24" % len(keys))
    # everything smtp_profile_default() leaves at 0 (memset, kzalloc)
    zero = {"NFSMTP_A_EHLO_MASK": "none", "NFSMTP_A_MARK_MASK": "0x0"}
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
        ("spec: shape follows the genetlink-legacy schema", lambda: check_shape(spec)),
        ("spec: family name, version and multicast group defines match the header",
         lambda: check_family(spec, hdr)),
        ("spec: every const and enum (names, values) matches the header",
         lambda: check_definitions(spec, hdr)),
        ("spec: every attribute name and value matches enum nfsmtp_attr",
         lambda: check_attrs(spec, hdr)),
        ("spec: every command name and value matches enum nfsmtp_cmd",
         lambda: check_ops(spec, hdr)),
        ("spec: attribute types and range checks match the module's nf_smtp_nl_policy",
         lambda: check_policy(spec, hdr, netlink_c)),
        ("spec: operations' handlers and flags, and multicast groups, match the module",
         lambda: check_genl_ops(spec, netlink_c)),
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
