#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The raw SMTP client of the selftests: exact bytes, exact segments
(TCP_NODELAY, one send() per step). Only stdlib modules that load fast:
python starts slowly under emulation.

smtp_raw.py raw --server ADDR [--port 25] [--timeout SEC] [--go FILE] STEP...
    one connection, nothing sent but the steps. Prints "local port N",
    what it sent ("C: ...") and read ("S: ..."), one line each, then one
    "result: ok|reset|closed|timeout|error ..." line; exits 0 when every
    step ran, 3 on a connection reset, 4 when the server closed, 5 on a
    timeout, 1 on any other error, 2 on a bad step.

smtp_raw.py session --server ADDR [--port 25] [--timeout S] STEP...
    sessions: greeting, EHLO, the steps, QUIT. A step "next" ends one
    session and starts the next; "@ADDR" first in a session picks its
    server. Prints "# session N to ADDR", "C:"/"S:" lines (a "C:" line
    shows 300 bytes at most), then per session "codes: ..." (every reply
    code in order) and "result: ok|reset|closed|timeout"; with several
    sessions also "session N result=R codes=C1,C2,...". One session exits
    0, 3, 4 or 5 for ok, reset, closed, timeout; several exit 0.

Steps (raw and session):
    reply                read one reply (every line up to the last one)
    send:TEXT            bytes (\\r \\n \\t \\xHH escapes), no reply read
    sleep:SEC            wait SEC seconds; with --go, only until FILE exists
    cmd:TEXT             one command line (\\r\\n added; escapes), its reply
    eof                  read replies until the server hangs up
    data:FILE            MAIL, RCPT, DATA, FILE dot-stuffed, "."
    segs:F1,F2,...       the same, each file in its own send() with a
                         pause between (one segment each)
    bdat:FILE[:CUTS]     MAIL, RCPT, FILE in BDAT chunks ending at the
                         offsets CUTS (comma list, or @FILE holding it),
                         the last chunk with LAST; one reply per chunk
                         before the next chunk is sent
    bdatpipe:FILE[:CUTS] the same, all chunks in one send()
    bdat0:FILE[:CUTS]    the same as bdat, then "BDAT 0 LAST"

smtp_raw.py smuggle --server ADDR --tag TAG [--split|--pipe-data] SEQ...
    one session per SEQ (escaped, e.g. '\\n.\\n'): a DATA message whose text
    holds SEQ followed by a complete forged transaction (MAIL FROM
    <forged@evil.example>, Subject "forged TAG-N") and the real end of data,
    then QUIT, all in one send(). --split sends the text up to SEQ and the
    forged transaction as two segments; --pipe-data sends DATA and the text
    together, without waiting for the 354. Prints per sequence
    "smuggle N result=R codes=C1,C2,..."; exits 0.
"""
import argparse
import os
import socket
import sys
import time

# a debug kernel under load is several times slower (selftests/lib.sh)
WAIT_SCALE = float(os.environ.get("NFSMTP_WAIT_SCALE", "1"))


class Closed(Exception):
    pass


class BadStep(Exception):
    pass


def unescape(text):
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def show(data):
    return repr(data)[2:-1]


class Client:
    """one connection; clip: how many sent bytes a "C:" line shows"""

    def __init__(self, port, timeout, clip=None, go=None):
        self.port, self.timeout, self.clip, self.go = port, timeout, clip, go
        self.sock = None
        self.buf = b""
        self.codes = []

    def connect(self, server):
        self.sock = socket.create_connection((server, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self):
        if self.sock:
            self.sock.close()

    def send(self, data):
        text = show(data)
        if self.clip is not None and len(data) > self.clip:
            text = show(data[:self.clip]) + "...(%d bytes)" % len(data)
        print("C: " + text, flush=True)
        self.sock.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise Closed()
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def reply(self):
        while True:
            line = self.line()
            print("S: " + line.decode("latin-1").rstrip("\r\n"), flush=True)
            if len(line) < 4 or line[3:4] != b"-":
                code = line[:3].decode("latin-1")
                self.codes.append(code)
                return code

    def cmd(self, text):
        self.send(text + b"\r\n")
        return self.reply()

    def hello(self):
        self.reply()
        self.cmd(b"EHLO client.example.com")

    def envelope(self):
        self.cmd(b"MAIL FROM:<alice@example.com>")
        self.cmd(b"RCPT TO:<bob@example.org>")

    def sleep(self, sec):
        """time.sleep(sec), or with go, until the file go exists"""
        if self.go is None:
            time.sleep(sec)
            return
        end = time.monotonic() + sec
        while not os.path.exists(self.go) and time.monotonic() < end:
            time.sleep(0.05)


def attempt(fn, resets=(ConnectionResetError, BrokenPipeError), errors=()):
    """fn()'s outcome: (result word, exit code)"""
    try:
        fn()
    except resets:
        return "reset", 3
    except Closed:
        return "closed", 4
    except socket.timeout:
        return "timeout", 5
    except BadStep as e:
        return "bad step %r" % e.args[0], 2
    except errors as e:
        return "error %s" % e, 1
    return "ok", 0


def read_file(name):
    with open(name, "rb") as f:
        return f.read()


def dotstuff(data):
    """dot-stuffing of text that starts on a line start"""
    out = data.replace(b"\r\n.", b"\r\n..")
    return b"." + out if out.startswith(b".") else out


def stuff(msg):
    if not msg.endswith(b"\r\n"):
        msg += b"\r\n"
    return dotstuff(msg) + b".\r\n"


def chunks(msg, spec):
    if not spec:
        return [msg]
    if spec.startswith("@"):
        spec = read_file(spec[1:]).decode().strip()
    cuts = [int(c) for c in spec.split(",")]
    edges = [0] + cuts + [len(msg)]
    return [msg[a:b] for a, b in zip(edges, edges[1:])]


def message(c, kind, arg):
    """the data: and segs: steps"""
    c.envelope()
    c.cmd(b"DATA")
    if kind == "data":
        c.send(stuff(read_file(arg)))
    else:
        # the files are cut at line ends: stuff each, pause between
        parts = [read_file(f) for f in arg.split(",")]
        for p in parts[:-1]:
            c.send(dotstuff(p))
            time.sleep(0.5)
        c.send(stuff(parts[-1]))
    c.reply()


def bdat(c, kind, arg):
    """the bdat:, bdatpipe: and bdat0: steps"""
    name, _, spec = arg.partition(":")
    parts = chunks(read_file(name), spec)
    c.envelope()
    out = b""
    for i, p in enumerate(parts):
        last = i == len(parts) - 1 and kind != "bdat0"
        chunk = b"BDAT %d%s\r\n" % (len(p), b" LAST" if last else b"") + p
        if kind == "bdatpipe":
            out += chunk
            continue
        c.send(chunk)
        c.reply()
    if kind == "bdatpipe":
        c.send(out)
        for _ in parts:
            c.reply()
    if kind == "bdat0":
        c.cmd(b"BDAT 0 LAST")


def step(c, st):
    kind, _, arg = st.partition(":")
    if kind in ("data", "segs"):
        message(c, kind, arg)
    elif kind in ("bdat", "bdatpipe", "bdat0"):
        bdat(c, kind, arg)
    elif kind == "cmd":
        c.cmd(unescape(arg))
    elif kind == "send":
        c.send(unescape(arg))
    elif st == "reply":
        c.reply()
    elif kind == "sleep":
        c.sleep(float(arg))
    elif st == "eof":
        while True:     # until the server hangs up: result "closed"
            c.reply()
    else:
        raise BadStep(st)


def raw(opts):
    c = Client(opts.port, opts.timeout, go=opts.go)

    def steps():
        c.connect(opts.server)
        print("local port %d" % c.sock.getsockname()[1], flush=True)
        for st in opts.rest:
            step(c, st)

    # only a reset seen as such counts as one here (a broken pipe: error)
    result, rc = attempt(steps, resets=ConnectionResetError, errors=OSError)
    print("result: " + result, flush=True)
    c.close()
    return rc


def session(opts, server, steps):
    c = Client(opts.port, opts.timeout, clip=300, go=opts.go)

    def run():
        c.connect(server)
        c.hello()
        for st in steps:
            step(c, st)
        c.cmd(b"QUIT")

    result, rc = attempt(run)
    c.close()
    return result, rc, c.codes


def sessions(opts):
    groups, cur = [], []
    for tok in opts.rest + ["next"]:
        if tok == "next":
            groups.append(cur)
            cur = []
        else:
            cur.append(tok)
    rc = 0
    for n, steps in enumerate(groups, 1):
        server = opts.server
        if steps and steps[0].startswith("@"):
            server = steps.pop(0)[1:]
        print("# session %d to %s" % (n, server), flush=True)
        result, rc, codes = session(opts, server, steps)
        print("codes: " + " ".join(codes), flush=True)
        print("result: " + result, flush=True)
        if len(groups) > 1:
            print("session %d result=%s codes=%s" % (n, result, ",".join(codes)), flush=True)
    return rc if len(groups) == 1 else 0


def smuggle_text(tag, seq):
    """a message with seq and a forged transaction in it, then QUIT"""
    return (b"From: Alice <alice@example.com>\r\n"
            b"To: Bob <bob@example.org>\r\n"
            b"Subject: first " + tag + b"\r\n"
            b"Date: Sat, 28 Nov 2026 07:00:00 +0000\r\n"
            b"\r\n"
            b"the real message\r\n"
            b"smuggled end follows" + seq +
            b"MAIL FROM:<forged@evil.example>\r\n"
            b"RCPT TO:<bob@example.org>\r\n"
            b"DATA\r\n"
            b"From: CEO <ceo@example.com>\r\n"
            b"To: Bob <bob@example.org>\r\n"
            b"Subject: forged " + tag + b"\r\n"
            b"\r\n"
            b"forged text\r\n"
            b".\r\n"
            b"QUIT\r\n")


def smuggle(opts):
    for n, seq in enumerate(opts.rest, 1):
        text = smuggle_text(b"%s-%d" % (opts.tag.encode(), n), unescape(seq))
        print("# smuggle %d: %s" % (n, seq), flush=True)
        c = Client(opts.port, opts.timeout, clip=300)

        def run():
            c.connect(opts.server)
            c.hello()
            c.envelope()
            if opts.pipe_data:
                # DATA and the text in one send(): no wait for the 354
                c.send(b"DATA\r\n" + text)
            else:
                c.cmd(b"DATA")
                if opts.split:
                    cut = text.index(b"MAIL FROM:<forged")
                    c.send(text[:cut])
                    time.sleep(0.5)
                    c.send(text[cut:])
                else:
                    c.send(text)
            while True:
                c.reply()

        result, _ = attempt(run)
        print("smuggle %d result=%s codes=%s" % (n, result, ",".join(c.codes)), flush=True)
        c.close()
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["raw", "session", "smuggle"])
    ap.add_argument("--server", required=True)
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--timeout", type=float)
    ap.add_argument("--go", help="sleep steps end early once this file exists")
    ap.add_argument("--tag", default="t")
    ap.add_argument("--split", action="store_true")
    ap.add_argument("--pipe-data", action="store_true")
    ap.add_argument("rest", nargs="*")
    opts = ap.parse_intermixed_args()
    if opts.mode == "raw":
        if opts.timeout is None:
            opts.timeout = 20 * WAIT_SCALE
        return raw(opts)
    if opts.timeout is None:
        opts.timeout = 30
    return smuggle(opts) if opts.mode == "smuggle" else sessions(opts)


if __name__ == "__main__":
    sys.exit(main())
