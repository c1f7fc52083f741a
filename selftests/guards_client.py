#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Raw SMTP client for the guard tests: exact bytes, exact segments.

guards_client.py session --server ADDR [--timeout S] STEP...
    sessions: greeting, EHLO, the steps, QUIT. A step "next" ends one
    session and starts the next; "@ADDR" first in a session picks its
    server. Steps:
      data:FILE            MAIL, RCPT, DATA, FILE dot-stuffed, "."
      segs:F1,F2,...       the same, each file in its own send() with a
                           pause between (TCP_NODELAY: one segment each)
      bdat:FILE[:CUTS]     MAIL, RCPT, FILE in BDAT chunks ending at the
                           offsets CUTS (comma list, or @FILE holding it),
                           the last chunk with LAST; one reply per chunk
                           before the next chunk is sent
      bdatpipe:FILE[:CUTS] the same, all chunks in one send()
      bdat0:FILE[:CUTS]    the same as bdat, then "BDAT 0 LAST"
      cmd:TEXT             one command line (\\r\\n added; \\xHH escapes)
                           and its reply
      send:TEXT            bytes (escapes), no reply read
      reply                read one reply
      eof                  read replies until the server hangs up
    Prints "C:"/"S:" lines, then per session "codes: ..." (every reply
    code in order) and "result: ok|reset|closed|timeout"; with several
    sessions also "session N result=R codes=C1,C2,...". One session exits
    0, 3, 4 or 5 for ok, reset, closed, timeout; several exit 0.

guards_client.py smuggle --server ADDR --tag TAG [--split|--pipe-data] SEQ...
    one session per SEQ (escaped, e.g. '\\n.\\n'): a DATA message whose text
    holds SEQ followed by a complete forged transaction (MAIL FROM
    <forged@evil.example>, Subject "forged TAG-N") and the real end of data,
    then QUIT, all in one send(). --split sends the text up to SEQ and the
    forged transaction as two segments; --pipe-data sends DATA and the text
    together, without waiting for the 354. Prints per sequence
    "smuggle N result=R codes=C1,C2,..."; exits 0.
"""
import argparse
import socket
import sys
import time


class Closed(Exception):
    pass


def unescape(text):
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def show(data):
    return repr(data)[2:-1]


class Session:
    def __init__(self, server, port, timeout):
        self.sock = socket.create_connection((server, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.codes = []

    def send(self, data, quiet=False):
        if not quiet:
            print("C: " + (show(data) if len(data) <= 300 else
                           show(data[:300]) + "...(%d bytes)" % len(data)), flush=True)
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

    def envelope(self):
        self.cmd(b"MAIL FROM:<alice@example.com>")
        self.cmd(b"RCPT TO:<bob@example.org>")


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
        spec = open(spec[1:]).read().strip()
    cuts = [int(c) for c in spec.split(",")]
    edges = [0] + cuts + [len(msg)]
    return [msg[a:b] for a, b in zip(edges, edges[1:])]


def step(s, st):
    kind, _, arg = st.partition(":")
    if kind == "data" or kind == "segs":
        files = arg.split(",") if kind == "segs" else [arg]
        s.envelope()
        s.cmd(b"DATA")
        if kind == "data":
            s.send(stuff(read_file(arg)))
        else:
            # the files are cut at line ends: stuff each, pause between
            parts = [read_file(f) for f in files]
            for p in parts[:-1]:
                s.send(dotstuff(p))
                time.sleep(0.5)
            s.send(stuff(parts[-1]))
        s.reply()
    elif kind in ("bdat", "bdatpipe", "bdat0"):
        name, _, spec = arg.partition(":")
        parts = chunks(read_file(name), spec)
        s.envelope()
        out = b""
        for i, p in enumerate(parts):
            last = i == len(parts) - 1 and kind != "bdat0"
            c = b"BDAT %d%s\r\n" % (len(p), b" LAST" if last else b"") + p
            if kind == "bdatpipe":
                out += c
                continue
            s.send(c)
            s.reply()
        if kind == "bdatpipe":
            s.send(out)
            for _ in parts:
                s.reply()
        if kind == "bdat0":
            s.cmd(b"BDAT 0 LAST")
    elif kind == "cmd":
        s.cmd(unescape(arg))
    elif kind == "send":
        s.send(unescape(arg))
    elif kind == "reply":
        s.reply()
    elif kind == "eof":
        while True:     # until the server hangs up: result "closed"
            s.reply()
    else:
        raise ValueError("bad step %r" % st)


def run(opts, server, steps):
    s = None
    result, rc = "ok", 0
    try:
        s = Session(server, opts.port, opts.timeout)
        s.reply()
        s.cmd(b"EHLO client.example.com")
        for st in steps:
            step(s, st)
        s.cmd(b"QUIT")
    except (ConnectionResetError, BrokenPipeError):
        result, rc = "reset", 3
    except Closed:
        result, rc = "closed", 4
    except socket.timeout:
        result, rc = "timeout", 5
    codes = s.codes if s else []
    if s:
        s.sock.close()
    return result, rc, codes


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
        result, rc, codes = run(opts, server, steps)
        print("codes: " + " ".join(codes), flush=True)
        print("result: " + result, flush=True)
        if len(groups) > 1:
            print("session %d result=%s codes=%s" % (n, result, ",".join(codes)), flush=True)
    return rc if len(groups) == 1 else 0


def smuggle(opts):
    for n, seq in enumerate(opts.seqs, 1):
        tag = b"%s-%d" % (opts.tag.encode(), n)
        text = (b"From: Alice <alice@example.com>\r\n"
                b"To: Bob <bob@example.org>\r\n"
                b"Subject: first " + tag + b"\r\n"
                b"Date: Sat, 28 Nov 2026 07:00:00 +0000\r\n"
                b"\r\n"
                b"the real message\r\n"
                b"smuggled end follows" + unescape(seq) +
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
        print("# smuggle %d: %s" % (n, seq), flush=True)
        s = None
        result = "ok"
        try:
            s = Session(opts.server, opts.port, opts.timeout)
            s.reply()
            s.cmd(b"EHLO client.example.com")
            s.envelope()
            if opts.pipe_data:
                # DATA and the text in one send(): no wait for the 354
                s.send(b"DATA\r\n" + text)
            else:
                s.cmd(b"DATA")
                if opts.split:
                    cut = text.index(b"MAIL FROM:<forged")
                    s.send(text[:cut])
                    time.sleep(0.5)
                    s.send(text[cut:])
                else:
                    s.send(text)
            while True:
                s.reply()
        except (ConnectionResetError, BrokenPipeError):
            result = "reset"
        except Closed:
            result = "closed"
        except socket.timeout:
            result = "timeout"
        print("smuggle %d result=%s codes=%s" %
              (n, result, ",".join(s.codes if s else [])), flush=True)
        if s:
            s.sock.close()
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["session", "smuggle"])
    ap.add_argument("--server", required=True)
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--tag", default="t")
    ap.add_argument("--split", action="store_true")
    ap.add_argument("--pipe-data", action="store_true")
    ap.add_argument("rest", nargs="*")
    opts = ap.parse_intermixed_args()
    if opts.mode == "smuggle":
        opts.seqs = opts.rest
        return smuggle(opts)
    return sessions(opts)


if __name__ == "__main__":
    sys.exit(main())
