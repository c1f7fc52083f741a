#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The corpus of smtp_differential.sh, the servers' reply classes and the oracle.

diff_corpus.py gen FILE [PROFILES CLASSES TARGET...]
                                        write the corpus (JSON, one variant a line);
                                        print the KTAP plan ("PLAN N") and per profile
                                        "PROFILE TAG PROBE FORBIDDEN WORDS..."
diff_corpus.py list [CLASS]             the variants, bytes escaped, for a look
diff_corpus.py forbidden PROFILE...     the verbs the profile forbids (policy words)
diff_corpus.py probe PROFILE...         the probe verb for the profile (or none)
diff_corpus.py select --corpus F --learn F --profile "KEY VALUE..." --targets "TARGET..."
                       [--classes C,..] --out F
                                        the variants an enforcing run replays (all but the
                                        single-line ones no server acted on)
diff_corpus.py compare --corpus F --learn F --enforce F --events-enforce F
                       --profile "KEY VALUE..." --tag TAG --targets "TARGET..." [--classes C,..]
                       [--verbose]      agreement tables (# lines) and POINT lines

A variant is a short client script (steps): ("send", BYTES) sends in one
send(); ("wait", N) waits for N replies.  diff_client.py runs it, then a
probe and a sync marker (see there), and records every reply.  A variant
names the verbs it smuggles (its targets) and the servers it goes to
("chunk": sessions the server offers CHUNKING, "nochunk": sessions it
does not).  Whether a server acted on a target is read from its reply
texts (REPLIES: per server and verb, the replies that only that verb
gets, from smtpd.c of postfix 3.7 and smtp_in.c of exim 4.96), so it
does not depend on how the server split the bytes into lines.

The oracle: a variant that made the server act on a verb the enforcing
profile forbids in the transparent (learning) run must not make it act on
that verb in the enforcing run; a helper RST (reset) or drop (the
helper's events on the variant's connection, from nfsmtp monitor -j) also
agrees.  A variant after which the enforcing run's probe (a forbidden
verb, sent clean) reached the server left the helper not enforcing, and a
session that hung in the enforcing run where it did not in the learning
run was changed by the helper in bytes the server read: both disagree
too.  The lost-sync points: no disagreement on a connection where the
helper reported lost sync and neither reset nor dropped it.
Only the standard library: python starts fast under emulation.
"""
import json
import os
import re
import sys

# ---- the verbs ------------------------------------------------------------------

# target verb -> its argument in a well-formed line (None: takes none)
TARGETS = {
    "STARTTLS": None,
    "VRFY": "postmaster",
    "EXPN": "postmaster",
    "HELP": None,
    "ETRN": "example.org",
    "AUTH": "PLAIN",
    "EHLO": "client.example",
}
# every verb the parser knows; mailguard: what a PIX lets through
KNOWN = ("AUTH BDAT DATA EHLO ETRN EXPN HELO HELP MAIL NOOP QUIT RCPT RSET "
         "STARTTLS VRFY").split()
MAILGUARD = "HELO MAIL RCPT DATA RSET NOOP QUIT".split()


def forbidden(profile):
    """the verbs a policy (nfsmtp policy set words) forbids"""
    words = profile.split()
    kv = dict(zip(words[0::2], words[1::2]))
    out = set()
    cmds = kv.get("commands", "all")
    if kv.get("command-action", "mask") in ("mask", "drop", "reset"):
        if cmds == "mailguard":
            out |= set(KNOWN) - set(MAILGUARD)
    if kv.get("starttls") == "strip":
        out.add("STARTTLS")
    return out


def line(verb, sep=b" ", end=b"\r\n"):
    arg = TARGETS.get(verb.upper())
    if arg is None:
        return verb.encode() + end
    return verb.encode() + sep + arg.encode() + end


def esc(b):
    """bytes as a readable string: printable ASCII as is, the rest escaped"""
    out = []
    names = {0: "\\0", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 92: "\\\\"}
    for c in b:
        if c in names:
            out.append(names[c])
        elif 32 <= c < 127:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)


def short(b, n=90):
    """esc() with runs of 16 or more of one byte counted"""
    out = []
    i = 0
    while i < len(b):
        j = i
        while j < len(b) and b[j] == b[i]:
            j += 1
        if j - i >= 16:
            out.append("%s*%d" % (esc(b[i:i + 1]), j - i))
        else:
            out.append(esc(b[i:j]))
        i = j
    s = "".join(out)
    return s if len(s) <= n else s[:n - 3] + "..."


# ---- the corpus ------------------------------------------------------------------

MAILRCPT = b"MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\n"

# bytes tried as the delimiter right after a verb
DELIMS = [b" ", b"\t", b"\x0b", b"\x0c", b"\r", b"\x00", b"\x7f", b"\x80", b"\x85",
          b"\xa0", b"\xc2\xa0", b"\xff", b"\x01", b"\x1b", b"\x1c", b"\x1f", b":",
          b"<", b"\"", b"\\", b"=", b","]
# the subset tried with the verbs other than STARTTLS and VRFY
DELIMS_SOME = [b" ", b"\t", b"\x0b", b"\x0c", b"\r", b"\x00", b"\x80", b"\xa0", b":"]
# bytes tried in front of a verb
LEADS = [b" ", b"\t", b"\x0b", b"\x0c", b"\r", b"\n", b"\x00", b"\x7f", b"\x80", b"\xa0",
         b"\xc2\xa0", b"   ", b"\t \x0b\x0c", b"\x1c", b"\r\r", b" \r", b"\x01"]
LEADS_SOME = [b" ", b"\t", b"\x0b", b"\x0c", b"\r", b"\n", b"\x00", b"\xa0"]
# line ends after a whole command line (verb and argument)
ENDS = [b"\r\n", b"\n", b"\r\r\n", b"\r\r\r\n", b" \r\n", b"\t\r\n", b"\x0b\r\n",
        b"\x0c\r\n", b"\x0b\n", b"\x0c\n", b" \x0b\x0c\t\r\n", b"\x00\r\n", b"\r\x00\r\n",
        b"\rNOOP\r\n", b"\x00NOOP\r\n", b"\n\r\n", b"\r \r\n", b"\x0b\x0b\x0b\r\n"]
# command line lengths around every limit: RFC 5321 (512), text (1000),
# postfix line_length_limit (2048), sendmail MAXINPLINE (12288), exim
# SMTP_CMD_BUFFER_SIZE (16384), the helper's line counter (8191)
LENS = [512, 1000, 2047, 2048, 2049, 4096, 8192, 12287, 12288, 16383, 16384, 16385, 32768]
ENDS_SOME = [b"\n", b"\r\r\n", b"\x0b\r\n", b"\x0c\r\n", b"\x00\r\n", b"\rNOOP\r\n",
             b" \x0b\x0c\t\r\n"]
DEPTHS = [1, 2, 3, 4, 5, 6, 8, 12, 16, 32, 64]
DEPTHS_MIX = [2, 3, 4, 5, 8, 16, 64]
# non-canonical (and the canonical) ends of message text
DATA_ENDS = [b"\r\n.\r\n", b"\n.\n", b"\r\n.\n", b"\n.\r\n", b"\r.\r", b"\r.\r\n",
             b"\r\n.\r", b"\r\n.\r\r\n", b"\r\r\n.\r\r\n", b"\r\n\x00.\r\n", b"\r\n.\x00\r\n",
             b"\n.\r\r\n", b"\r\n. \r\n", b"\r\n.\x0b\r\n", b"\r\n.\x0c\r\n", b"\n..\n"]


class Corpus:
    def __init__(self):
        self.v = []
        self.seen = set()

    @staticmethod
    def name(steps):
        sends = [d for k, d in steps if k == "send"]
        if len(sends) > 1 and sends[0] == MAILRCPT:
            return "MAIL, RCPT; " + short(b"".join(sends[1:]), 100)
        return short(b"".join(sends), 110)

    def add(self, cls, targets, steps, servers=("chunk",), ipv6=False, name=None, wait=None,
            final=False):
        """steps: bytes (one send) or a list of ("send", bytes) / ("wait", n);
        wait: replies to wait for after the last send before the probe
        (default: one per line end sent, so that the probe does not queue
        behind the variant's commands in the helper); final: a server may
        wait for more bytes (an impossible BDAT size): no probe, the session
        ends after the wait"""
        if isinstance(steps, bytes):
            steps = [("send", steps)]
        key = (tuple((k, bytes(d) if k == "send" else d) for k, d in steps), tuple(servers))
        if key in self.seen:
            return
        self.seen.add(key)
        sent = b"".join(d for k, d in steps if k == "send")
        if wait is None:
            wait = steps[-1][1].count(b"\n")
        self.v.append({
            "id": len(self.v), "cls": cls, "targets": sorted(set(targets)),
            "servers": list(servers), "ipv6": ipv6,
            "name": name or self.name(steps),
            "steps": [[k, d.hex() if k == "send" else d] for k, d in steps],
            "wait": wait, "final": final,
        })


def build():
    c = Corpus()
    verbs = list(TARGETS)
    both = ("chunk", "nochunk")
    # calibration: each verb clean, and lines of the auxiliary verbs alone
    for v in verbs:
        c.add("calibration", [v], line(v), servers=both, ipv6=True)
    c.add("calibration", ["BDAT"], [("send", MAILRCPT), ("wait", 2),
                                    ("send", b"BDAT 6 LAST\r\nhello\n" + b"RSET\r\n")],
          servers=both, ipv6=True, wait=1)
    for aux in (b"NOOP\r\n", b"RSET\r\n", b"HELO client.example\r\n", MAILRCPT + b"RSET\r\n",
                MAILRCPT + b"DATA\r\n"):
        steps = aux
        if aux.endswith(b"DATA\r\n"):
            steps = [("send", aux), ("wait", 3), ("send", b"Subject: t\r\n\r\nhello\r\n.\r\nRSET\r\n")]
        c.add("calibration", [], steps, servers=both, ipv6=True, wait=2 if steps is not aux else None)
    # verb delimiters: each byte right after each verb, with and without
    # an argument after it
    main = ("STARTTLS", "VRFY")
    for v in verbs:
        arg = (TARGETS[v] or "x").encode()
        for d in (DELIMS if v in main else DELIMS_SOME):
            six = v in ("STARTTLS", "VRFY") and d in (b" ", b"\t", b"\x0b", b"\x0c", b"\r", b"\x00")
            c.add("verb delimiters", [v], v.encode() + d + b"\r\n", ipv6=six)
            c.add("verb delimiters", [v], v.encode() + d + arg + b"\r\n", ipv6=six)
    # leading blanks and bytes before the verb
    for v in verbs:
        for p in (LEADS if v in main else LEADS_SOME):
            six = v in ("STARTTLS", "VRFY") and p in (b" ", b"\x0b", b"\r")
            c.add("leading bytes", [v], p + line(v), ipv6=six)
    # case
    for v in verbs:
        forms = {v.lower(), v.capitalize(), v[:-1] + v[-1].lower(),
                 "".join(ch.lower() if i % 2 else ch for i, ch in enumerate(v))}
        for f in sorted(forms):
            c.add("case", [v], line(f))
    # line ends: bare LF, CR CR LF, blanks and control bytes before the end
    for v in verbs:
        for e in (ENDS if v in main else ENDS_SOME):
            c.add("line ends", [v], line(v, end=e), ipv6=v == "STARTTLS" and e in (b"\n", b"\r\r\n"))
    # bare CR inside a line: one line to a server, two to a reader that ends lines at CR
    for v in main:
        for pre in (b"NOOP\r", b"RSET\r", b"NOOP x\r", b"\r\r"):
            c.add("line ends", [v], pre + line(v))
    # overlong lines: a verb after a long line, inside it at each limit,
    # and a verb line padded past the limits
    for v in ("STARTTLS", "VRFY"):
        for n in LENS:
            c.add("overlong lines", [v], b"NOOP " + b"x" * (n - 7) + b"\r\n" + line(v),
                  name="NOOP x*%d\\r\\n%s" % (n - 7, esc(line(v))))
            # the verb starts at offset n; exim drops the byte at 16384
            c.add("overlong lines", [v], b"NOOP " + b"x" * (n - 5) + line(v),
                  name="NOOP x*%d%s" % (n - 5, esc(line(v))))
            if v == "STARTTLS":
                c.add("overlong lines", [v], b"STARTTLS" + b" " * (n - 10) + b"\r\n",
                      name="STARTTLS SP*%d\\r\\n" % (n - 10))
            else:
                c.add("overlong lines", [v], b"VRFY postmaster" + b" " * (n - 17) + b"\r\n",
                      name="VRFY postmaster SP*%d\\r\\n" % (n - 17))
    # pipelining: depth 1..64 of NOOP, of NOOP/RSET alternating, of a
    # MAIL/RCPT/RSET mix, then the verb, all in one segment
    pats = {
        "NOOP": [b"NOOP\r\n"],
        "NOOP/RSET": [b"NOOP\r\n", b"RSET\r\n"],
        "mix": [b"NOOP\r\n", b"MAIL FROM:<alice@example.com>\r\n", b"RCPT TO:<bob@example.org>\r\n",
                b"RSET\r\n", b"EHLO client.example\r\n"],
    }
    for v in ("STARTTLS", "VRFY"):
        for pname, pat in pats.items():
            for d in (DEPTHS_MIX if pname == "mix" else DEPTHS):
                head = b"".join(pat[i % len(pat)] for i in range(d))
                tail = b"RSET\r\n" if pname == "mix" else b""
                c.add("pipelining", [v], head + line(v) + tail,
                      name="%s x%d, %s" % (pname, d, esc(line(v))),
                      ipv6=pname == "NOOP/RSET" and d in (4, 5, 8, 16, 64))
    # commands pipelined behind STARTTLS, and STARTTLS in the middle
    for s in (b"STARTTLS\r\nVRFY postmaster\r\n", b"STARTTLS\r\nNOOP\r\n",
              b"STARTTLS\nVRFY postmaster\n", b"NOOP\r\nSTARTTLS\r\nVRFY postmaster\r\n",
              b"NOOP\r\nRSET\r\nNOOP\r\nRSET\r\nNOOP\r\nSTARTTLS\r\nRSET\r\n",
              b"VRFY postmaster\r\nSTARTTLS\r\n"):
        c.add("pipelining", ["STARTTLS", "VRFY"], s)
    # BDAT with and without CHUNKING advertised: chunks holding commands,
    # sizes that end inside a line, malformed sizes, BDAT outside a
    # transaction, delimiters; each ends with RSET
    chunks = [b"VRFY postmaster\r\n", b"STARTTLS\r\n", b"NOOP\r\nVRFY postmaster\r\n",
              b"EXPN postmaster\r\nHELP\r\n"]
    for ch in chunks:
        tg = ["BDAT"] + [t for t in TARGETS if (t + " ").encode() in ch or (t + "\r").encode() in ch]
        # a chunk, the last one; a chunk, then BDAT 0 LAST (exim hangs a
        # session that sends RSET between chunks)
        c.add("bdat", tg, [("send", MAILRCPT), ("wait", 2),
                           ("send", b"BDAT %d LAST\r\n" % len(ch) + ch + b"RSET\r\n")],
              servers=both, wait=1)
        c.add("bdat", tg, [("send", MAILRCPT), ("wait", 2),
                           ("send", b"BDAT %d\r\n" % len(ch) + ch + b"BDAT 0 LAST\r\nRSET\r\n")],
              servers=both, wait=1)
        # outside a transaction
        c.add("bdat", tg, b"BDAT %d LAST\r\n" % len(ch) + ch + b"RSET\r\n", servers=both, wait=1)
        # a size that ends the chunk inside the first line: the rest of it
        # is a command line to the server
        c.add("bdat", tg, [("send", MAILRCPT), ("wait", 2),
                           ("send", b"BDAT 5 LAST\r\n" + ch + b"RSET\r\n")], servers=both, wait=1)
    body = b"VRFY postmaster\r\n"
    for sep in (b"\t", b"\x0b", b"\x0c", b"  ", b"\r"):
        c.add("bdat", ["BDAT", "VRFY"], [("send", MAILRCPT), ("wait", 2),
                                         ("send", b"BDAT" + sep + b"%d LAST\r\n" % len(body) + body +
                                          b"RSET\r\n")],
              servers=both, wait=1)
    # sizes a server reads otherwise: exim's sscanf("%u") stops at the
    # first non-digit, postfix wants all digits
    for bad in (b"BDAT 17x LAST", b"BDAT 17 LAST junk", b"bdat 17 last", b"BDAT 017 LAST",
                b"BDAT +17 LAST", b"BDAT 17 LAST ", b"BDAT"):
        c.add("bdat", ["BDAT", "VRFY"], [("send", MAILRCPT), ("wait", 2),
                                         ("send", bad + b"\r\n" + body + b"BDAT 0 LAST\r\nRSET\r\n")],
              servers=both, wait=1)
    # sizes no chunk will fill (exim takes -1 and 20 digits as UINT_MAX
    # and waits): the session ends after the first reply
    for bad in (b"BDAT -1 LAST", b"BDAT 99999999999999999999 LAST", b"BDAT 4294967313 LAST"):
        c.add("bdat", ["BDAT", "VRFY"], [("send", MAILRCPT), ("wait", 2),
                                         ("send", bad + b"\r\n" + body + b"RSET\r\n")],
              servers=both, wait=1, final=True)
    # two chunks, a command between them (exim refuses all but BDAT, NOOP,
    # RSET and QUIT there and then hangs the session: final)
    c.add("bdat", ["BDAT", "VRFY"], [("send", MAILRCPT), ("wait", 2),
                                     ("send", b"BDAT 17\r\n" + body + b"VRFY postmaster\r\nBDAT 0 LAST\r\nRSET\r\n")],
          servers=both, wait=2, final=True)
    c.add("bdat", ["BDAT", "VRFY"], [("send", MAILRCPT), ("wait", 2),
                                     ("send", b"BDAT 17\r\n" + body + b"NOOP\r\nBDAT 0 LAST\r\nRSET\r\n")],
          servers=both, wait=1)
    # DATA accepted: message text with a non-canonical end, a command line
    # that a server reads as one when it took that end, then the canonical end
    for e in DATA_ENDS:
        for v in ("VRFY", "STARTTLS"):
            c.add("data", [v], [("send", MAILRCPT + b"DATA\r\n"), ("wait", 3),
                                ("send", b"Subject: t\r\n\r\nline" + e + line(v) + b".\r\nRSET\r\n")],
                  name="DATA, line%s%s.\\r\\n" % (esc(e), esc(line(v))), wait=1)
    # the first line of the text ends in a bare LF: exim (4.96 with the
    # CVE-2023-51766 fix, 4.97.1) then takes LF as the line end throughout
    for e in (b"\n.\n", b"\n.\r\n", b"\r\n.\n"):
        for v in ("VRFY", "STARTTLS"):
            c.add("data", [v], [("send", MAILRCPT + b"DATA\r\n"), ("wait", 3),
                                ("send", b"Subject: t\n\nline" + e + line(v) + b".\r\nRSET\r\n")],
                  name="DATA, LF-only text, line%s%s.\\r\\n" % (esc(e), esc(line(v))), wait=1)
    # the text pipelined behind DATA, before its 354
    for v in ("VRFY", "STARTTLS"):
        c.add("data", [v], MAILRCPT + b"DATA\r\nSubject: t\r\n\r\nline\r\n.\r\n" + line(v) + b"RSET\r\n",
              name="MAIL, RCPT, DATA, text, .\\r\\n, %s (pipelined)" % esc(line(v)), wait=4)
    # DATA refused (503: no transaction; no recipient): the text lines are
    # commands to the server; pipelined and after the reply
    texts = [line("VRFY"), b"Subject: t\r\n\r\n" + line("VRFY"), line("STARTTLS"),
             b"hello\r\n" + line("HELP"), b"\r\n" + line("EXPN")]
    for pre, n in ((b"", 1), (b"MAIL FROM:<alice@example.com>\r\n", 2)):
        for t in texts:
            tg = [v for v in TARGETS if t.startswith(v.encode()) or (b"\n" + v.encode()) in t]
            c.add("data", tg, pre + b"DATA\r\n" + t + b".\r\nRSET\r\n",
                  name="%sDATA, %s (pipelined)" % ("MAIL, " if pre else "", esc(t)), wait=1)
            c.add("data", tg, [("send", pre + b"DATA\r\n"), ("wait", n), ("send", t + b".\r\nRSET\r\n")],
                  name="%sDATA, 503, %s" % ("MAIL, " if pre else "", esc(t)), wait=1)
    return c.v


# ---- the servers' replies -----------------------------------------------------------

# Per server and verb: replies only that verb gets (first line of the reply,
# code and text). From postfix 3.7 smtpd.c (starttls_cmd, vrfy_cmd, etrn_cmd,
# bdat_cmd, smtpd_sasl_auth_cmd_wrapper, ehlo_cmd) and exim 4.96 smtp_in.c
# (smtp_setup_msg, bdat_getc); checked by the calibration points.
REPLIES = {
    "postfix": {
        "STARTTLS": [r"^220 2\.0\.0 Ready to start TLS", r"^501 5\.5\.4 Syntax: STARTTLS",
                     r"^454 4\.7\.0 .*TLS", r"^554 5\.5\.1 Error: TLS already active",
                     r"^502 5\.5\.1 Error: command not implemented"],
        "VRFY": [r"^252 ", r"^501 5\.5\.4 Syntax: VRFY", r"^502 5\.5\.1 VRFY command is disabled",
                 r"^55[0-4] 5\.\d\.\d <[^>]*>: ", r"^45\d 4\.\d\.\d <[^>]*>: "],
        "ETRN": [r"^500 Syntax: ETRN", r"^458 ", r"^459 ", r"^250 Queuing started",
                 r"^503 Error: (send HELO/EHLO first|MAIL transaction in progress)",
                 r"^501 Error: invalid parameter syntax"],
        "AUTH": [r"^503 5\.5\.1 Error: (authentication not enabled|already authenticated|MAIL transaction)",
                 r"^501 5\.5\.4 Syntax: AUTH", r"^535 ", r"^334 "],
        "EHLO": [r"^250-mx\.example\.net\b", r"^501 Syntax: EHLO"],
        "BDAT": [r"^250 2\.0\.0 Ok: \d+ bytes",
                 r"^521 5\.5\.1 Error: command not implemented", r"^521 5\.5\.4 Syntax: BDAT",
                 r"^503 5\.5\.1 Error: need RCPT command", r"^554 5\.5\.1 Error: no valid recipients",
                 r"^551 5\.", r"^552 5\.3\.4 Chunk exceeds"],
        # postfix has no EXPN and no HELP command
        "EXPN": [], "HELP": [],
    },
    "exim": {
        "STARTTLS": [r"^220 TLS go ahead", r"^503 STARTTLS command used when not advertised",
                     r"^501 unexpected argument data", r"^454 TLS currently unavailable",
                     r"^554 Security failure", r"^554 Already in TLS"],
        "VRFY": [r"^250 <[^>]*> is deliverable", r"^55\d <[^>]*>", r"^451 .*<[^>]*>",
                 r"^501 .*(address|domain|missing|malformed|parenthes|unbalanced|empty)",
                 r"^252 "],
        "EXPN": [r"^250[ -]<[^>]*>( \[\d+ lines\])?$", r"^550 .*(not an alias|EXPN)"],
        "HELP": [r"^214[ -]"],
        "ETRN": [r"^250 OK\b.*", r"^458 ", r"^503 ETRN", r"^550 Administrative prohibition"],
        "AUTH": [r"^503 AUTH command used when not advertised", r"^503 already authenticated",
                 r"^503 not permitted in mail transaction", r"^501 .*auth", r"^504 ",
                 r"^334 "],
        "EHLO": [r"^250-mx\.example\.net Hello\b", r"^501 Syntactically invalid EHLO"],
        "BDAT": [r"^503 BDAT command used when CHUNKING not advertised",
                 r"^501 missing size for BDAT", r"^250 \d+ byte chunk received",
                 r"^503 valid RCPT command must precede BDAT", r"^504 zero size for BDAT",
                 r"^503 only BDAT permissible", r"^503 only RSET accepted now",
                 r"^250 OK id=", r"^503 Valid RCPT command must precede BDAT",
                 r"^250[- ] ?\d+ byte chunk", r"^503-All RCPT commands were rejected"],
    },
}
# replies that are ambiguous between a target and an auxiliary verb of the
# corpus: exim's "250 OK" (NOOP too) counts for ETRN only if the variant
# sent no NOOP; exim's "501 unexpected argument data" and "250 OK id="
# likewise (RSET/DATA); handled in acted()
AMBIG = {("exim", "ETRN"): r"^250 OK\b", ("exim", "STARTTLS"): r"^501 unexpected argument data",
         ("exim", "BDAT"): r"^(250 OK id=|503-All RCPT)"}


def server_kind(name):
    return "exim" if name.startswith("exim") else "postfix"


def acted(kind, verb, replies, sent):
    """did the server take one of these replies' commands for VERB?"""
    pats = REPLIES[kind].get(verb, [])
    amb = AMBIG.get((kind, verb))
    for r in replies:
        for p in pats:
            if re.match(p, r):
                if amb and re.match(amb, r) and not ambiguous_ok(kind, verb, r, sent):
                    continue
                return True
    return False


def ambiguous_ok(kind, verb, reply, sent):
    """an ambiguous reply counts for VERB when no auxiliary line of the
    variant could have drawn it"""
    up = sent.upper()
    if verb == "ETRN":
        return b"NOOP" not in up and b"MAIL" not in up and b"RCPT" not in up
    if verb == "STARTTLS":
        return True    # auxiliary lines never carry arguments where exim forbids them
    if verb == "BDAT":
        return b"DATA\r" not in up and b"DATA\n" not in up
    return True


# ---- the oracle -------------------------------------------------------------------

# classes where the helper can lose sync: a lost-sync point each
LOSTSYNC = ("overlong lines", "pipelining", "bdat", "data")
# the probe: a forbidden verb that harms no session if masked (diff_client.py
# PROBES); STARTTLS last: a session ends where it passes
PROBE_ORDER = ("VRFY", "HELP", "EXPN", "STARTTLS")


def probe_verb(profile):
    forb = forbidden(profile)
    for v in PROBE_ORDER:
        if v in forb:
            return v
    return "none"


def targets_of(specs):
    """diff_client.py target specs -> [(name, family, group, v6 subset)]"""
    out = []
    for t in specs:
        name, _, rest = t.partition("=")
        v6 = rest.startswith("[")
        parts = (rest.rsplit("]:", 1)[1] if v6 else rest.split(":", 1)[1]).split(":")
        out.append((name, "ipv6" if v6 else "ipv4", parts[0], "v6" in parts[1:]))
    return out


def runs_on(v, group, v6, only, forb):
    """does variant V go to a target of GROUP in a run for verbs FORB?"""
    return group in v["servers"] and (not v6 or v["ipv6"]) and (not only or v["cls"] in only) and \
        (v["cls"] == "calibration" or bool(forb & set(v["targets"])))


def classes_for(corpus, group, v6, only, forb):
    cls = []
    for v in corpus:
        if runs_on(v, group, v6, only, forb) and v["cls"] not in cls:
            cls.append(v["cls"])
    return cls


def parse_profiles(spec):
    """"tag: policy words; tag: ..." -> [(tag, words)]; a spec without
    tags is one profile named enforce"""
    out = []
    for part in re.split(r"[;\n]", spec):
        part = part.strip()
        if not part:
            continue
        tag, sep, words = part.partition(":")
        if not sep:
            tag, words = "enforce", part
        out.append((tag.strip(), " ".join(words.split())))
    return out


def points_for(corpus, specs, only, forb):
    """the KTAP points compare prints, in order: (kind, server, class, family)"""
    pts = []
    for name, fam, group, v6 in targets_of(specs):
        for cls in classes_for(corpus, group, v6, only, forb):
            if cls == "calibration":
                pts.append(("calibration", name, cls, fam))
                continue
            pts.append(("agree", name, cls, fam))
            if cls in LOSTSYNC:
                pts.append(("lost-sync", name, cls, fam))
    return pts


def load(path):
    out = {}
    try:
        with open(path) as f:
            for ln in f:
                ln = ln.strip()
                if ln:
                    r = json.loads(ln)
                    out[(r["server"], r["id"])] = r
    except OSError:
        pass
    return out


def load_events(path):
    """monitor -j lines -> {(family, sport): [events]}"""
    ev = {}
    try:
        with open(path) as f:
            for ln in f:
                try:
                    e = json.loads(ln)
                except ValueError:
                    continue
                ev.setdefault((e.get("family"), e.get("sport")), []).append(e)
    except OSError:
        pass
    return ev


def conn_events(events, rec):
    """the helper's events on REC's connection: the variant's own in the
    classes that run a session per variant (LOSTSYNC), those of the whole
    session otherwise"""
    if not rec:
        return []
    fam = "ipv6" if ":" in rec.get("addr", "").partition("@")[0] else "ipv4"
    return events.get((fam, rec.get("sport")), [])


def sent_of(v):
    if "_sent" not in v:
        v["_sent"] = b"".join(bytes.fromhex(d) for k, d in v["steps"] if k == "send")
    return v["_sent"]


# classes whose variants are one line or one burst of lines: the enforcing
# runs replay only those a server acted on in the learning run (the others
# cannot disagree); the other classes, where the helper can lose sync on
# anything, are replayed whole
SINGLE = ("verb delimiters", "leading bytes", "case", "line ends")


def select(opts):
    """the (target, variant) pairs of an enforcing run, as diff_client.py
    --select reads them"""
    corpus = []
    with open(opts["corpus"]) as f:
        for ln in f:
            corpus.append(json.loads(ln))
    learn = load(opts["learn"])
    forb = forbidden(opts["profile"])
    only = set(opts.get("classes", "").split(",")) - {""}
    n = skipped = 0
    with open(opts["out"], "w") as out:
        for name, fam, group, v6 in targets_of(opts["targets"].split()):
            kind = server_kind(name)
            for v in corpus:
                if not runs_on(v, group, v6, only, forb):
                    continue
                rl = learn.get((name, v["id"]))
                if v["cls"] in SINGLE and rl and not any(
                        acted(kind, t, rl["replies"], sent_of(v)) for t in v["targets"] if t in forb):
                    skipped += 1
                    continue
                out.write("%s %d\n" % (name, v["id"]))
                n += 1
    print("%d variant runs selected, %d single-line variants no server acted on skipped" % (n, skipped))
    return 0


def judge(kind, v, learn, enf, forb, ev_enf):
    """per forbidden target: (target, acted in the learning run, outcome in
    the enforcing run: acted, masked, reset, missing)"""
    sent = sent_of(v)
    res = []
    evs = conn_events(ev_enf, enf)
    helper_cut = any(e.get("action") in ("reset", "drop") for e in evs)
    for t in v["targets"]:
        if t not in forb:
            continue
        a_learn = bool(learn) and learn["result"] != "nosession" and \
            acted(kind, t, learn["replies"], sent)
        if not enf or enf["result"] == "nosession":
            out = "missing"
        elif acted(kind, t, enf["replies"], sent):
            out = "acted"
        elif enf["result"] in ("reset", "eof", "timeout") and helper_cut and enf.get("last"):
            out = "reset"
        else:
            out = "masked"
        res.append((t, a_learn, out))
    return res


def calibrate(kind, corpus, learn, enf, srv):
    """the classifier against the canonical lines: a list of complaints"""
    bad = []
    for v in corpus:
        if v["cls"] != "calibration":
            continue
        rl = learn.get((srv, v["id"]))
        re_ = enf.get((srv, v["id"]))
        if not rl or rl["result"] == "nosession":
            bad.append("#%d %s: no learning result" % (v["id"], v["name"]))
            continue
        sent = sent_of(v)
        if v["targets"]:
            t = v["targets"][0]
            want = bool(REPLIES[kind].get(t))
            if acted(kind, t, rl["replies"], sent) != want:
                bad.append("#%d %s: learning replies %s, %s taken for %s" %
                           (v["id"], v["name"], esc(" | ".join(rl["replies"]).encode("latin-1", "replace")),
                            "not" if want else "yet", t))
        else:
            for t in REPLIES[kind]:
                if acted(kind, t, rl["replies"], sent):
                    bad.append("#%d %s: replies %s taken for %s" %
                               (v["id"], v["name"], " | ".join(rl["replies"]), t))
        if rl["result"] == "ok" and rl.get("probe") != "passed":
            bad.append("#%d %s: the probe was not answered as such in the learning run (%s)" %
                       (v["id"], v["name"], rl.get("probe_reply")))
        if re_ and re_["result"] == "ok" and re_.get("probe") == "passed":
            bad.append("#%d %s: the probe reached the server in the enforcing run (%s)" %
                       (v["id"], v["name"], re_.get("probe_reply")))
    return bad


def evidence(kind, v, rec, bad):
    """the replies that show what the server took the variant for"""
    if not rec:
        return "no enforcing run"
    sent = sent_of(v)
    shown = []
    for t, _ in bad:
        if t.startswith("probe"):
            shown.append("probe reply: %s" % rec.get("probe_reply", ""))
            continue
        for r in rec.get("replies", []):
            if acted(kind, t, [r], sent):
                shown.append(r[:70])
                break
    res = "; ".join(shown) or " | ".join(x[:40] for x in rec.get("replies", [])[:3])
    return res + ("" if rec["result"] in ("ok", "tls") else " (then %s)" % rec["result"])


def report(opts):
    corpus = []
    with open(opts["corpus"]) as f:
        for ln in f:
            corpus.append(json.loads(ln))
    byid = {v["id"]: v for v in corpus}
    only = set(opts.get("classes", "").split(",")) - {""}
    specs = opts["targets"].split()
    learn = load(opts["learn"])
    enf = load(opts["enforce"])
    ev_e = load_events(opts["events_enforce"])
    forb = forbidden(opts["profile"])
    tag = opts.get("tag", "enforce")
    verbose = opts.get("verbose", False)
    maxlist = 10 ** 6 if verbose else int(opts.get("max_list", "40"))
    out, pts = [], []
    for name, fam, group, v6 in targets_of(specs):
        kind = server_kind(name)
        label = kind + (" without CHUNKING" if group == "nochunk" else "")
        rows = {}
        for cls in classes_for(corpus, group, v6, only, forb):
            rows[cls] = {"n": 0, "acted": 0, "masked": 0, "reset": 0, "dis": [], "lost": 0,
                         "lost_dis": [], "unsettled": []}
        for v in corpus:
            if not runs_on(v, group, v6, only, forb):
                continue
            r = rows[v["cls"]]
            rl = learn.get((name, v["id"]))
            re_ = enf.get((name, v["id"]))
            r["n"] += 1
            dropped = any(e.get("action") == "drop" for e in conn_events(ev_e, re_))
            hung = bool(re_) and re_["result"] == "timeout" and not dropped and \
                bool(rl) and rl["result"] != "timeout"
            # select() left out the single-line variants no server acted on
            replayed = not (v["cls"] in SINGLE and rl and not any(
                acted(kind, t, rl["replies"], sent_of(v)) for t in v["targets"] if t in forb))
            for run, res in (("learning", rl), ("enforcing", re_)):
                if res is re_ and not replayed:
                    continue
                if not res or res["result"] == "nosession" or \
                        (res["result"] == "timeout" and res is rl):
                    r["unsettled"].append((v, run, res))
            evs = conn_events(ev_e, re_)
            lost = any(e.get("rule") == "lost-sync" for e in evs)
            lost_pass = any(e.get("rule") == "lost-sync" and e.get("action") not in ("reset", "drop")
                            for e in evs)
            verdicts = judge(kind, v, rl, re_, forb, ev_e)
            took = [(t, o) for t, a, o in verdicts if a]
            bad = [(t, o) for t, o in took if o not in ("masked", "reset")]
            if hung:
                bad.append(("session", "hung: no reply before the client's timeout where the"
                            " learning run had one (the helper changed bytes the server read)"))
            if re_ and re_.get("probe") == "passed" and re_["result"] == "ok":
                bad.append(("probe " + probe_verb(opts["profile"]), "reached the server: the helper"
                            " stopped enforcing"))
            if took:
                r["acted"] += 1
                if not bad:
                    r["masked" if all(o == "masked" for _, o in took) else "reset"] += 1
            if bad:
                r["dis"].append((v, bad, re_, lost))
            if lost:
                r["lost"] += 1
                if bad and lost_pass:
                    r["lost_dis"].append(v)
        out.append("# ---- %s, %s (%s), profile %s (%s): acted: the server acted on a forbidden verb"
                   " in the learning run; in the enforcing run: masked by the helper, reset by it,"
                   " disagreements; lost: variants on a connection where the helper reported lost"
                   " sync (the variant's own in the classes with a session per variant)" %
                   (name, label, fam, tag, opts["profile"]))
        out.append("#   %-16s %8s %6s %7s %6s %7s %5s" % ("class", "variants", "acted", "masked",
                                                        "reset", "disagr", "lost"))
        tot = [0] * 6
        for cls, r in rows.items():
            vals = (r["n"], r["acted"], r["masked"], r["reset"], len(r["dis"]), r["lost"])
            tot = [a + b for a, b in zip(tot, vals)]
            out.append("#   %-16s %8d %6d %7d %6d %7d %5d" % ((cls,) + vals))
        out.append("#   %-16s %8d %6d %7d %6d %7d %5d" % (("all",) + tuple(tot)))
        for cls, r in rows.items():
            if r["dis"]:
                out.append("# %s (%s, %s) %s: %d disagreements (variant, bytes; what reached"
                           " the server in the enforcing run; its reply):" %
                           (name, fam, tag, cls, len(r["dis"])))
                for v, bad, re_, lost in r["dis"][:maxlist]:
                    out.append("#   #%d %s -- %s -- %s%s" %
                               (v["id"], v["name"], ", ".join("%s %s" % b for b in bad),
                                esc(evidence(kind, v, re_, bad).encode("latin-1", "replace")),
                                " [helper reported lost sync]" if lost else ""))
                if len(r["dis"]) > maxlist:
                    out.append("#   ... and %d more (NFSMTP_DIFF_VERBOSE=1 lists all)" %
                               (len(r["dis"]) - maxlist))
            if r["unsettled"]:
                out.append("# %s (%s) %s: %d variant runs did not settle (no sync reply, no session):" %
                           (name, fam, cls, len(r["unsettled"])))
                for v, run, res in r["unsettled"][:10]:
                    out.append("#   #%d %s (%s run): %s %s" %
                               (v["id"], v["name"], run, (res or {}).get("result", "no result"),
                                esc(" | ".join((res or {}).get("replies", [])[:3]).encode("latin-1", "replace"))))
        for cls, r in rows.items():
            if cls == "calibration":
                bad = calibrate(kind, [v for v in corpus if v["cls"] == cls and
                                       runs_on(v, group, v6, only, forb)], learn, enf, name)
                for b in bad:
                    out.append("# calibration %s (%s): %s" % (name, fam, b))
                ok = not bad and not r["unsettled"] and not r["dis"]
                pts.append((ok, "calibration: %s (%s, %s): %d clean lines: each verb draws the replies "
                            "the oracle reads as acted on (%d), auxiliary verbs none; probe and sync "
                            "replies recognised; the enforcing run masks or resets each forbidden verb" %
                            (label, fam, tag, r["n"], r["acted"])))
                continue
            ok = not r["dis"] and not r["unsettled"]
            pts.append((ok, "agree: %s: %s (%s, %s): %d variants, the server acted on a forbidden verb "
                        "in %d, none in the enforcing run (%d masked, %d reset)%s" %
                        (label, cls, fam, tag, r["n"], r["acted"], r["masked"], r["reset"],
                         "" if ok else " -- %d disagree%s" %
                         (len(r["dis"]), ", %d unsettled" % len(r["unsettled"]) if r["unsettled"] else ""))))
            if cls in LOSTSYNC:
                ok = not r["lost_dis"]
                pts.append((ok, "lost-sync: %s: %s (%s, %s): every variant the helper could not follow "
                            "ended in its lost-sync action (reset or drop), none passed: %d on "
                            "connections with lost sync%s" %
                            (label, cls, fam, tag, r["lost"],
                             "" if ok else ", %d passed" % len(r["lost_dis"]))))
    for ln in out:
        print(ln)
    for ok, what in pts:
        print("POINT %s %s" % ("ok" if ok else "fail", what))
    return 0


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    if args[0] == "gen":
        # gen FILE [PROFILE CLASSES TARGET...]: the corpus; with the rest,
        # print "PLAN FORBIDDEN-VERBS PROBE" for the shell (one python start)
        vs = build()
        # NFSMTP_DIFF_THIN=N: every Nth variant of the single-line classes
        # (a slow kernel); the others whole
        thin = int(os.environ.get("NFSMTP_DIFF_THIN", "1") or 1)
        if thin > 1:
            seen = {}
            keep = []
            for v in vs:
                if v["cls"] in SINGLE:
                    seen[v["cls"]] = seen.get(v["cls"], -1) + 1
                    if seen[v["cls"]] % thin:
                        continue
                keep.append(v)
            vs = keep
        with open(args[1], "w") as f:
            for v in vs:
                f.write(json.dumps(v) + "\n")
        if len(args) > 2:
            only = set(args[3].split(",")) - {""}
            profs = parse_profiles(args[2])
            n = sum(len(points_for(vs, args[4:], only, forbidden(w))) for _, w in profs)
            print("PLAN %d" % (n + 2))
            print("VARIANTS %d" % len(vs))
            for tag, words in profs:
                print("PROFILE %s %s %s %s" % (tag, probe_verb(words),
                                               ",".join(sorted(forbidden(words))), words))
        return 0
    if args[0] == "list":
        cls = args[1] if len(args) > 1 else None
        vs = build()
        for v in vs:
            if cls and v["cls"] != cls:
                continue
            print("%4d %-16s %-20s %s%s%s" % (v["id"], v["cls"], ",".join(v["targets"]), v["name"],
                                              " (+ipv6)" if v["ipv6"] else "",
                                              " [%s]" % ",".join(v["servers"]) if v["servers"] != ["chunk"] else ""))
        print("%d variants" % len(vs), file=sys.stderr)
        return 0
    if args[0] == "forbidden":
        print(" ".join(sorted(forbidden(" ".join(args[1:])))))
        return 0
    if args[0] == "probe":
        print(probe_verb(" ".join(args[1:])))
        return 0
    if args[0] in ("compare", "select"):
        # --key value pairs, --verbose
        opts = {}
        i = 1
        while i < len(args):
            k = args[i].lstrip("-").replace("-", "_")
            if k == "verbose":
                opts[k] = True
                i += 1
            else:
                opts[k] = args[i + 1]
                i += 2
        if args[0] == "select":
            return select(opts)
        return report(opts)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
