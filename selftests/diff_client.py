#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The raw SMTP client of smtp_differential.sh: runs the corpus of
diff_corpus.py against real servers and records every reply.

diff_client.py --corpus FILE --run NAME --out FILE [--probe VERB] [--workers N]
               [--chunk K] [--solo CLS,...] [--classes CLS,...] [--forbidden VERB,...]
               [--select FILE] TARGET...
diff_client.py --warmup N TARGET...     open N sessions to each target at once

TARGET is NAME=ADDR:GROUP[:v6][:from=SRC] (GROUP chunk or nochunk: which
variants go there; v6: only the variants marked for IPv6; SRC: the
client's source address, by which the servers decide whether to offer
CHUNKING).  The variants of a class run in sessions of up to K variants
(one each in the --solo classes), N sessions at a time over all targets.
A session: greeting, EHLO (HELO when EHLO is refused, or at once when the
run's forbidden verbs include EHLO), then per variant: its steps; the
replies to its last send, as many as it says (one per line by default) or
as come within --first-wait seconds, so that the probe does not queue
behind the variant's commands in the helper; then the probe (VERB, clean,
when given) and the sync line "RCPT TO:<>", whose reply (503 without
MAIL, 501 within one) ends the variant: every reply before the probe's
belongs to the variant.  A 220 to STARTTLS, a reset, an EOF, a timeout, a
"final" variant (a server may wait for more than will come) and, outside
the learning run, a probe that reached the server end the session; the
next variant starts a new one.  Prints one JSON line per variant to
--out, with its connection's source port (the helper's events name it).
Only the standard library: python starts fast under emulation.
"""
import argparse
import json
import queue
import re
import socket
import threading
import time

SYNC = b"RCPT TO:<>\r\n"
SYNC_RE = re.compile(r"^50[13] .*(need MAIL command|sender not yet given|"
                     r"Bad recipient address syntax|<>)")
TLS_RE = re.compile(r"^220 (2\.0\.0 Ready to start TLS|TLS go ahead)")
PROBES = {
    "STARTTLS": (b"STARTTLS\r\n", re.compile(r"^220 ")),
    "VRFY": (b"VRFY probe@example.org\r\n",
             re.compile(r"^(252 |250 <probe@example\.org> is deliverable|55\d .*probe)")),
    "HELP": (b"HELP\r\n", re.compile(r"^214")),
    "EXPN": (b"EXPN probe@example.org\r\n", re.compile(r"^(250[ -].*probe|550 .*probe)")),
}


class Closed(Exception):
    def __init__(self, word):
        super().__init__(word)
        self.word = word


class Conn:
    def __init__(self, addr, timeout):
        addr, _, src = addr.partition("@")
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if src:
            self.s.bind((src, 0))
        self.s.connect((addr, 25))
        self.sport = self.s.getsockname()[1]
        self.buf = b""

    def send(self, data):
        try:
            self.s.sendall(data)
        except ConnectionResetError:
            raise Closed("reset")
        except (BrokenPipeError, OSError):
            raise Closed("eof")

    def line(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise Closed("timeout")
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                raise Closed("timeout")
            except ConnectionResetError:
                raise Closed("reset")
            except OSError:
                raise Closed("eof")
            if not d:
                raise Closed("eof")
            self.buf += d
        ln, _, self.buf = self.buf.partition(b"\n")
        return ln.rstrip(b"\r").decode("latin-1")

    def reply(self, timeout):
        """one whole reply: its first line (and, for a multi-line one, a
        count of lines); raises Closed"""
        first = None
        n = 0
        while True:
            ln = self.line(timeout)
            n += 1
            if first is None:
                first = ln
            if not re.match(r"^\d{3}-", ln):
                break
        return first if n == 1 else first + " [%d lines]" % n

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def session_start(addr, opts, first_timeout):
    c = Conn(addr, opts.timeout)
    g = c.reply(first_timeout)
    if not g.startswith("220"):
        raise Closed("greeting")
    # EHLO, but HELO right away where the profile forbids EHLO (with
    # command-action reset the helper would cut the session at once)
    r = ""
    if "EHLO" not in opts.forbidden.split(",") or opts.run == "learn":
        c.send(b"EHLO client.example\r\n")
        r = c.reply(opts.timeout)
    if not r.startswith("250"):
        c.send(b"HELO client.example\r\n")
        r = c.reply(opts.timeout)
    return c


def run_variant(c, v, opts, probe):
    """the variant's steps, probe, sync; returns the record fields"""
    replies = []
    rec = {"result": "ok", "probe": "none", "t0": time.time()}
    steps = [(k, bytes.fromhex(d) if k == "send" else d) for k, d in v["steps"]]
    try:
        for i, (k, d) in enumerate(steps):
            if k == "send":
                c.send(d)
            else:
                for _ in range(d):
                    r = c.reply(opts.timeout)
                    replies.append(r)
                    if TLS_RE.match(r):
                        raise Closed("tls")
        # the replies to the last send, as far as they come soon: the probe
        # must not queue behind the variant's commands in the helper
        try:
            for _ in range(v.get("wait", 1)):
                r = c.reply(opts.first_wait)
                replies.append(r)
                if TLS_RE.match(r):
                    raise Closed("tls")
                if r.startswith("354") or r.startswith("221") or r.startswith("421"):
                    break
        except Closed as e:
            if e.word != "timeout":
                raise
        if v.get("final"):
            # the server may wait for more bytes than will ever come
            raise Closed("final")
        mark = (PROBES[probe][0] if probe else b"") + SYNC
        c.send(mark)
        resent = 0
        while True:
            r = c.reply(opts.timeout)
            if TLS_RE.match(r) or (probe == "STARTTLS" and r.startswith("220")):
                # the variant's STARTTLS, late, or the probe: either way the
                # server took a STARTTLS (the reply counts for the variant)
                replies.append(r)
                rec["probe"] = "tls"
                raise Closed("tls")
            if SYNC_RE.match(r):
                break
            if r.startswith("354") and resent < 2:
                # the server reads message text: end it, ask again
                replies.append(r)
                c.send(b"\r\n.\r\n" + mark)
                resent += 1
                rec["reopened_data"] = resent
                continue
            replies.append(r)
        if probe:
            pr = replies.pop() if replies else ""
            rec["probe"] = "passed" if PROBES[probe][1].match(pr) else "masked"
            rec["probe_reply"] = pr
    except Closed as e:
        rec["result"] = e.word
    rec["replies"] = replies
    rec["t1"] = time.time()
    return rec


def worker(q, opts, out, lock, stats):
    while True:
        try:
            name, addr, vs = q.get_nowait()
        except queue.Empty:
            return
        c = None
        i = 0
        while i < len(vs):
            v = vs[i]
            t0 = time.monotonic()
            if c is None:
                try:
                    c = session_start(addr, opts, opts.first_timeout)
                except (Closed, OSError) as e:
                    word = e.word if isinstance(e, Closed) else "connect:" + str(e)
                    rec = {"result": "nosession", "why": word, "replies": [], "probe": "none"}
                    c = None
                    emit(out, lock, name, addr, opts, v, rec, 0, True, t0)
                    stats["nosession"] += 1
                    i += 1
                    continue
            rec = run_variant(c, v, opts, opts.probe)
            # a probe that passed: the helper is not enforcing in this
            # session any more, the next variant gets a new one
            end = rec["result"] != "ok" or (opts.probe and rec["probe"] == "passed" and
                                            opts.run != "learn")
            last = end or i == len(vs) - 1
            emit(out, lock, name, addr, opts, v, rec, c.sport, last, t0)
            if end:
                stats[rec["result"]] = stats.get(rec["result"], 0) + 1
                c.close()
                c = None
            i += 1
        if c is not None:
            try:
                c.send(b"QUIT\r\n")
            except Closed:
                pass
            c.close()


def emit(out, lock, name, addr, opts, v, rec, sport, last, t0):
    rec.update({"server": name, "id": v["id"], "run": opts.run, "addr": addr,
                "sport": sport, "last": last, "ms": int((time.monotonic() - t0) * 1000)})
    with lock:
        out.write(json.dumps(rec) + "\n")
        out.flush()


def parse_targets(specs):
    """NAME=ADDR:GROUP[:v6][:from=SRC] -> (name, "ADDR[@SRC]", group, v6)"""
    out = []
    for t in specs:
        name, _, rest = t.partition("=")
        if rest.startswith("["):
            addr, _, rest = rest[1:].partition("]:")
        else:
            addr, _, rest = rest.partition(":")
        parts = rest.split(":")
        src = [p[5:] for p in parts[1:] if p.startswith("from=")]
        out.append((name, addr + ("@" + src[0] if src else ""), parts[0], "v6" in parts[1:]))
    return out


def warmup(targets, n, opts):
    """N sessions to every target at once, so that the servers have their
    processes started before the clock runs"""
    errs = []

    def one(addr):
        try:
            c = session_start(addr, opts, opts.first_timeout)
            c.send(b"QUIT\r\n")
            c.reply(opts.timeout)
            c.close()
        except (Closed, OSError) as e:
            errs.append("%s: %s" % (addr, getattr(e, "word", e)))

    ths = [threading.Thread(target=one, args=(a,)) for _, a, _, _ in targets for _ in range(n)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    for e in errs:
        print("warmup: %s" % e)
    return 1 if errs else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("targets", nargs="*")
    ap.add_argument("--corpus")
    ap.add_argument("--run", default="learn")
    ap.add_argument("--out")
    ap.add_argument("--probe", default=None)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--chunk", type=int, default=25)
    ap.add_argument("--classes", default="")
    ap.add_argument("--solo", default="", help="classes whose variants get a session each")
    ap.add_argument("--select", help="only these variants: lines \"TARGET-NAME ID\"")
    ap.add_argument("--forbidden", default="",
                    help="only variants that name one of these verbs (comma list), and calibration")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--first-timeout", type=float, default=60)
    ap.add_argument("--first-wait", type=float, default=2)
    ap.add_argument("--warmup", type=int, default=0)
    opts = ap.parse_args()
    if opts.probe in ("", "none"):
        opts.probe = None
    targets = parse_targets(opts.targets)
    if opts.warmup:
        return warmup(targets, opts.warmup, opts)
    corpus = []
    with open(opts.corpus) as f:
        for ln in f:
            corpus.append(json.loads(ln))
    classes = set(opts.classes.split(",")) - {""}
    solo = set(opts.solo.split(",")) - {""}
    forb = set(opts.forbidden.split(",")) - {""}
    q = queue.Queue()
    items = []
    sel = None
    if opts.select:
        with open(opts.select) as f:
            sel = {tuple(ln.split()) for ln in f if ln.strip()}
    for name, addr, group, v6 in targets:
        by_cls = {}
        for v in corpus:
            if group not in v["servers"] or (v6 and not v["ipv6"]):
                continue
            if sel is not None and (name, str(v["id"])) not in sel:
                continue
            if classes and v["cls"] not in classes:
                continue
            if forb and v["cls"] != "calibration" and not forb & set(v["targets"]):
                continue
            by_cls.setdefault(v["cls"], []).append(v)
        for cls, vs in by_cls.items():
            # without a probe, and for the --solo classes, every variant
            # gets its own session: a helper that stopped following would
            # spoil the next ones, and the helper's events on the connection
            # are that variant's alone
            k = opts.chunk if opts.probe and cls not in solo else 1
            for i in range(0, len(vs), k):
                items.append((name, addr, vs[i:i + k]))
    # the longest chunks first, targets interleaved
    items.sort(key=lambda it: -sum(len(bytes.fromhex(d)) for v in it[2]
                                   for kk, d in v["steps"] if kk == "send"))
    for it in items:
        q.put(it)
    lock = threading.Lock()
    stats = {"nosession": 0}
    t0 = time.monotonic()
    with open(opts.out, "w") as out:
        ths = [threading.Thread(target=worker, args=(q, opts, out, lock, stats))
               for _ in range(opts.workers)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
    print("%s: %d sessions of variants in %.1f s; %s" %
          (opts.run, len(items), time.monotonic() - t0,
           " ".join("%s=%d" % kv for kv in sorted(stats.items()))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
