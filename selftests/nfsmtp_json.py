#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of the nfsmtp tool's JSON output (-j), for smtp_control.sh and
smtp_ops.sh. Each prints what is wrong as "# " lines and exits 1 if
anything is, 0 otherwise (a file that is no JSON fails too).

nfsmtp_json.py policy TOOL defaults
    policy show -j (TOOL is nfsmtp): 8 profiles, each at
    smtp_profile_default(), profile mark mask and shift 0
nfsmtp_json.py policy TOOL roundtrip
    policy set every key of profiles 0-7 (over the 8 profiles every value
    of every key), mark mask 0xff00 shift 8; policy show -j (all, and
    profile N alone) gives them back
nfsmtp_json.py policy TOOL partial
    policy set of rcpt-max of profile 3 changes nothing else
nfsmtp_json.py policy TOOL same A B
    profiles A and B hold the same values
nfsmtp_json.py policy TOOL get N KEY
    prints KEY of profile N as JSON (exit 0)
nfsmtp_json.py policy-diff BEFORE AFTER
    what differs between two policy show -j files: one "PROFILE key=value"
    (or "ns key=value") per line, sorted, value as JSON (exit 0)
nfsmtp_json.py stats JSON PROC
    stats -j in JSON has exactly the counters of PROC (a copy of
    /proc/net/nf_conntrack_smtp), each as an integer with the same value
nfsmtp_json.py stats-zero
    stats -j on stdin: sessions and bytes_client are 0 (after stats reset)
nfsmtp_json.py conns JSON C4 S4 GS4 C6 S6
    conns -j in JSON: exactly two sessions, ESTABLISHED, helper smtp, IPv4
    C4 > S4:25 with the NATed reply S4:25 > GS4 and mark 0, IPv6 C6 > S6:25
    without a reply tuple and mark 0x2a
nfsmtp_json.py events JSON C4 S4
    monitor -j in JSON: one object per line, at least one, each the
    client's command event (rule command, action log, detail EHLO) of an
    IPv4 session C4 > S4:25
"""
import json
import subprocess
import sys

# ---- policy: the expected defaults (smtp_profile_default) and round-trip values
KW = ["8BITMIME", "AUTH", "BINARYMIME", "CHUNKING", "DSN", "ENHANCEDSTATUSCODES",
      "ETRN", "PIPELINING", "SIZE", "SMTPUTF8", "STARTTLS", "unknown"]
DEFAULT = {"starttls": "allow", "banner": "keep", "ehlo_mask": [], "commands": "all",
           "cmd_line_max": 0, "rcpt_max": 0, "header_line_max": 0, "body_line_max": 0,
           "command_action": "mask", "cmd_line_action": "reset", "rcpt_action": "mask",
           "header_line_action": "reset", "body_line_action": "log",
           "dup_headers": "off", "smuggling": "log", "bare_newline": "off",
           "starttls_injection": "reset", "lost_sync": "log", "urgent": "log",
           "out_of_order": "pass", "tls_framing": "reset", "require_tls": "off",
           "sender_max": 0, "sender_action": "drop", "special_char": "off",
           "invalid_rcpt_max": 0, "invalid_rcpt_action": "drop",
           "to_fields_max": 0, "to_fields_action": "mask", "header_section_max": 0,
           "header_section_action": "drop", "message_max": 0, "message_action": "drop",
           "mail_relay": [], "mail_relay_action": "mask", "mime_encoding": [],
           "mime_encoding_action": "drop", "mime_filename_max": 0,
           "mime_filename_action": "drop", "mime_filetype": [], "mime_filetype_action": "drop",
           "bdat_unjudged": "log", "size_excess_max": 0, "size_excess_action": "log"}
REWRITE = ["log", "mask", "drop", "reset"]       # command, rcpt
LIMIT = ["log", "drop", "reset"]                 # cmd-line, header-line, body-line
GUARD = ["off", "log", "drop", "reset"]          # smuggling, bare-newline, injection
DUP = ["off", "log", "mask", "drop", "reset"]    # dup-headers
ENC = ["7bit", "8bit", "base64", "binary", "quoted-printable", "others"]


def values(n):
    """Profile n's values: over 8 profiles every value of every key shows up."""
    ehlo = [] if n == 7 else KW if n == 0 else [k for i, k in enumerate(KW) if (i + n) % 3 == 0]
    return {"starttls": ["allow", "strip"][n % 2], "banner": ["keep", "mask"][n // 2 % 2],
            "ehlo_mask": ehlo, "commands": ["all", "esmtp", "mailguard"][n % 3],
            "cmd_line_max": 512 + n, "rcpt_max": 100 * n + 1, "header_line_max": 998 + n,
            "body_line_max": 8000 - n, "command_action": REWRITE[n % 4],
            "cmd_line_action": LIMIT[(n + 1) % 3], "rcpt_action": REWRITE[(n + 2) % 4],
            "header_line_action": LIMIT[n % 3], "body_line_action": LIMIT[(n + 1) % 3],
            "dup_headers": DUP[n % 5], "smuggling": GUARD[n % 4],
            "bare_newline": GUARD[(n + 1) % 4], "starttls_injection": GUARD[(n + 2) % 4],
            "lost_sync": LIMIT[(n + 2) % 3], "urgent": REWRITE[(n + 3) % 4],
            "out_of_order": ["pass", "drop"][n // 4 % 2],
            "tls_framing": GUARD[(n + 3) % 4], "require_tls": ["off", "log", "mask", "reset"][n % 4],
            "sender_max": 320 + n, "sender_action": LIMIT[(n + 2) % 3],
            "special_char": GUARD[(n + 1) % 4], "invalid_rcpt_max": n % 7,
            "invalid_rcpt_action": LIMIT[n % 3], "to_fields_max": (n + 3) % 7,
            "to_fields_action": REWRITE[(n + 1) % 4], "header_section_max": 65536 * n + 998,
            "header_section_action": LIMIT[(n + 1) % 3], "message_max": 1000000 * n,
            "message_action": LIMIT[(n + 2) % 3],
            "mail_relay": [] if n % 4 == 3 else sorted(["example.net", "p%d.example" % n] +
                                                        ["[192.0.2.%d]" % n] * (n % 2)),
            "mail_relay_action": REWRITE[(n + 3) % 4],
            "mime_encoding": [] if n == 3 else ENC if n == 4 else
            [e for i, e in enumerate(ENC) if (i + n) % 2 == 0],
            "mime_encoding_action": LIMIT[n % 3],
            "mime_filename_max": 250 + n, "mime_filename_action": LIMIT[(n + 1) % 3],
            "mime_filetype": [] if n % 4 == 1 else sorted(["exe", "t%d" % n] + ["js"] * (n % 2)),
            "mime_filetype_action": LIMIT[(n + 2) % 3], "bdat_unjudged": LIMIT[(n + 1) % 3],
            "size_excess_max": 1024 * n, "size_excess_action": LIMIT[(n + 2) % 3]}


def words(vals):
    out = []
    for k, v in vals.items():
        if k == "ehlo_mask":
            # any case on input; none and all by name
            v = "none" if not v else "all" if v == KW else ",".join(
                w.lower() if i % 2 else w for i, w in enumerate(v))
        elif k == "mime_encoding":
            v = "none" if not v else "all" if v == ENC else ",".join(w.upper() for w in v)
        elif k == "mime_filetype":
            # shown sorted and in lower case: given otherwise, a leading dot on one
            v = "none" if not v else ",".join(
                ("." + d.upper() if i == 0 else d) for i, d in enumerate(reversed(v)))
        elif k == "mail_relay":
            # shown sorted and in lower case: given otherwise, a trailing dot on one
            v = "none" if not v else ",".join(
                (d.upper() + "." if i == 0 else d) for i, d in enumerate(reversed(v)))
        out += [k.replace("_", "-"), str(v)]
    return out


def show(tool, *args):
    return json.loads(subprocess.run([tool, "policy", "show", "-j", *args], check=True,
                                     capture_output=True, text=True).stdout)


def diff(want, got, what):
    bad = ["%s %s: want %r, got %r" % (what, k, v, got.get(k)) for k, v in want.items()
           if got.get(k) != v]
    for line in bad:
        print("# " + line)
    return bad


def policy(tool, cmd, *args):
    bad = []
    if cmd == "defaults":
        doc = show(tool)
        bad += diff({"profile_mark_mask": 0, "profile_mark_shift": 0}, doc, "namespace")
        if [p["profile"] for p in doc["profiles"]] != list(range(8)):
            bad.append("profiles %r" % [p["profile"] for p in doc["profiles"]])
        for p in doc["profiles"]:
            bad += diff(DEFAULT, p, "profile %d" % p["profile"])
            if set(p) != set(DEFAULT) | {"profile"}:
                bad.append("profile %d keys %s" % (p["profile"], sorted(p)))
    elif cmd == "roundtrip":
        for n in range(8):
            subprocess.run([tool, "policy", "set", "profile", str(n), *words(values(n))],
                           check=True)
        subprocess.run([tool, "policy", "set", "profile-mark-mask", "0xff00",
                        "profile-mark-shift", "8"], check=True)
        doc = show(tool)
        bad += diff({"profile_mark_mask": 0xff00, "profile_mark_shift": 8}, doc, "namespace")
        for p in doc["profiles"]:
            bad += diff(values(p["profile"]), p, "profile %d" % p["profile"])
        for n in (0, 5, 7):
            one = show(tool, "profile", str(n))
            if len(one["profiles"]) != 1 or one["profiles"][0] != doc["profiles"][n] or \
                    one["profile_mark_mask"] != 0xff00:
                bad.append("show profile %d: %r" % (n, one))
    elif cmd == "partial":
        before = show(tool)
        subprocess.run([tool, "policy", "set", "profile", "3", "rcpt-max", "4321"], check=True)
        after = show(tool)
        before["profiles"][3]["rcpt_max"] = 4321
        if before != after:
            bad.append("more than rcpt-max of profile 3 changed")
    elif cmd == "same":    # same A B: profiles A and B hold the same values
        doc = show(tool)
        a, b = (dict(doc["profiles"][int(x)]) for x in args)
        a.pop("profile"), b.pop("profile")
        bad += diff(a, b, "profile %s vs %s" % args)
    elif cmd == "get":     # get N KEY: one value
        print(json.dumps(show(tool, "profile", args[0])["profiles"][0][args[1]]))
    else:
        return usage()
    return 1 if bad else 0


def policy_diff(before, after):
    with open(before) as f:
        a = json.load(f)
    with open(after) as f:
        b = json.load(f)
    out = ["ns %s=%s" % (k, json.dumps(b.get(k))) for k in set(a) | set(b)
           if k != "profiles" and a.get(k) != b.get(k)]
    pa = {p["profile"]: p for p in a["profiles"]}
    pb = {p["profile"]: p for p in b["profiles"]}
    for n in set(pa) | set(pb):
        x, y = pa.get(n, {}), pb.get(n, {})
        out += ["%d %s=%s" % (n, k, json.dumps(y.get(k))) for k in set(x) | set(y)
                if x.get(k) != y.get(k)]
    print("\n".join(sorted(out)))
    return 0


# ---- stats, conns, monitor ------------------------------------------------------------

def stats(path, proc):
    with open(path) as f:
        got = json.load(f)
    with open(proc) as f:
        want = {l.split()[0]: int(l.split()[1]) for l in f}
    ok = got == want and all(type(v) is int for v in got.values())
    if not ok:
        print("# stats -j %r\n# /proc   %r" % (got, want))
    return 0 if ok else 1


def stats_zero():
    s = json.load(sys.stdin)
    return 0 if s["sessions"] == 0 and s["bytes_client"] == 0 else 1


def conns(path, c4, s4, gs4, c6, s6):
    with open(path) as f:
        conns = json.load(f)
    by = {c["family"]: c for c in conns}
    v4, v6 = by.get("ipv4", {}), by.get("ipv6", {})
    ok = (len(conns) == 2 and
          v4.get("src") == c4 and v4.get("dst") == s4 and v4.get("dport") == 25 and
          v4.get("reply", {}).get("src") == s4 and v4["reply"].get("dst") == gs4 and
          v4["reply"].get("sport") == 25 and v4.get("mark") == 0 and
          v6.get("src") == c6 and v6.get("dst") == s6 and v6.get("dport") == 25 and
          "reply" not in v6 and v6.get("mark") == 0x2a and
          all(c.get("state") == "ESTABLISHED" and c.get("helper") == "smtp" and
              c.get("protocol") == "tcp" and isinstance(c.get("timeout"), int) and
              isinstance(c.get("sport"), int) for c in conns))
    if not ok:
        print("# %s" % json.dumps(conns))
    return 0 if ok else 1


def events(path, c4, s4):
    with open(path) as f:
        evs = [json.loads(line) for line in f]
    ok = len(evs) >= 1 and all(
        e["family"] == "ipv4" and e["src"] == c4 and e["dst"] == s4 and
        e["dport"] == 25 and isinstance(e["sport"], int) and e["dir"] == "client" and
        e["rule"] == "command" and e["action"] == "log" and e["detail"] == "EHLO"
        for e in evs)
    if not ok:
        print("# %r" % evs)
    return 0 if ok else 1


def usage():
    sys.stderr.write(__doc__)
    return 2


# subcommand: (function, number of arguments)
COMMANDS = {"policy-diff": (policy_diff, 2), "stats": (stats, 2), "stats-zero": (stats_zero, 0),
            "conns": (conns, 6), "events": (events, 3)}


def main():
    cmd, args = sys.argv[1:2], sys.argv[2:]
    if cmd == ["policy"]:
        nargs = {"defaults": 0, "roundtrip": 0, "partial": 0, "same": 2, "get": 2}
        if len(args) < 2 or nargs.get(args[1]) != len(args) - 2:
            return usage()
        return policy(*args)
    if not cmd or cmd[0] not in COMMANDS or COMMANDS[cmd[0]][1] != len(args):
        return usage()
    return COMMANDS[cmd[0]][0](*args)


if __name__ == "__main__":
    sys.exit(main())
