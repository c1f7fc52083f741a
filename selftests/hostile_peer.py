#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Both ends of a crafted SMTP stream, for smtp_hostile.sh.

hostile_peer.py server --listen ADDR [--port 25] SCENARIO [--seed N]
hostile_peer.py client --server ADDR [--port 25] SCENARIO [--seed N]
hostile_peer.py dump SCENARIO [--seed N]     the transcript, for a look
hostile_peer.py list                         the scenario names

Options for the fault tests (smtp_faults.sh): --count N sessions (the
server accepts N connections and serves them all at once, the client opens
N), --parallel P of them at a time (client), --chunk K: this side sends its bytes K octets per
send() (1: one segment per byte).

A scenario is a list of steps (who, bytes): the side named sends its bytes
in one send() (TCP_NODELAY), the other side reads exactly that many bytes
and compares them, so every byte is checked to pass the gateway unchanged
(or, where a step names other bytes to expect, changed exactly so: the
STARTTLS keyword the helper masks). A ("WAIT", PATH) step makes the client
wait until PATH exists (the test changes something meanwhile).
Both ends build the same list (random scenarios from the same --seed). The
server is a raw peer, not an SMTP server: it can send replies nobody asked
for, no greeting, or binary garbage. The server accepts one connection.

Prints one line "result=WORD step=N/M sent=BYTES recv=BYTES" and exits 0 if
every step ran (WORD ok), 3 on a connection reset, 4 when the peer closed
early, 5 on a timeout, 6 when bytes arrived changed, 1 on other errors.
Only the standard library: python starts fast under emulation.
"""
import argparse
import os
import random
import socket
import sys
import threading
import time

CRLF = b"\r\n"


def ehlo_reply(extra=b""):
    return (b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
            b"250-8BITMIME\r\n" + extra + b"250 CHUNKING\r\n")


def session(middle, greeting=b"220 mx.example.net ESMTP\r\n"):
    """greeting, EHLO, MIDDLE, QUIT"""
    return ([("S", greeting), ("C", b"EHLO client.example.com\r\n"), ("S", ehlo_reply())]
            + middle + [("C", b"QUIT\r\n"), ("S", b"221 2.0.0 bye\r\n")])


def message(text):
    """one DATA transaction carrying TEXT (which must end in CRLF.CRLF)"""
    return [("C", b"MAIL FROM:<alice@example.com>\r\n"), ("S", b"250 2.1.0 ok\r\n"),
            ("C", b"RCPT TO:<bob@example.org>\r\n"), ("S", b"250 2.1.5 ok\r\n"),
            ("C", b"DATA\r\n"), ("S", b"354 go ahead\r\n"),
            ("C", text), ("S", b"250 2.0.0 queued\r\n")]


HDR = b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: hostile\r\n\r\n"


def bdat(cmd):
    """MAIL, RCPT, then the BDAT command line CMD, refused by the server"""
    return [("C", b"MAIL FROM:<alice@example.com>\r\n"), ("S", b"250 2.1.0 ok\r\n"),
            ("C", b"RCPT TO:<bob@example.org>\r\n"), ("S", b"250 2.1.5 ok\r\n"),
            ("C", cmd + CRLF), ("S", b"552 5.3.4 message size exceeds limit\r\n"),
            ("C", b"RSET\r\n"), ("S", b"250 2.0.0 ok\r\n")]


def rand_bytes(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def scenarios(seed):
    rng = random.Random(seed)
    big = b"A" * 65536
    sc = {}
    # a well-formed session with one message: the "next session still works" probe
    sc["normal"] = session(message(HDR + b"hello\r\n.\r\n"))
    # ---- overlong lines
    sc["long_cmd"] = session([("C", b"NOOP " + big + CRLF),
                              ("S", b"500 5.5.2 line too long\r\n")])
    sc["long_cmd_600"] = session([("C", b"NOOP " + b"A" * 595 + CRLF),
                                  ("S", b"500 5.5.2 line too long\r\n")])
    sc["long_reply"] = session([("C", b"NOOP\r\n"), ("S", b"250-" + big + b"\r\n250 ok\r\n")])
    sc["long_body"] = session(message(HDR + big + b"\r\n.\r\n"))
    # ---- NUL bytes in commands, replies, headers and text
    sc["nul"] = session([("C", b"NOOP a\0b\r\n"), ("S", b"250 o\0k\r\n"),
                         ("C", b"\0\0\0\r\n"), ("S", b"500 5.5.2 what\0\r\n")]
                        + message(b"Subj\0ect: x\r\n\r\nte\0xt\r\n\0\r\n.\r\n"),
                        greeting=b"220 mx\0.example.net\r\n")
    # ---- bare CR and LF: in command lines and replies (common, not counted),
    # in message text (the bare_newlines class)
    sc["bare_cmd"] = session([("C", b"NOOP\n"), ("S", b"250 ok\n"),
                              ("C", b"NOOP x\ry\r\n"), ("S", b"250 ok\r\n")])
    sc["bare_data"] = session(message(HDR + b"one\rtwo\nthree\r\n.\r\n"))
    # ---- smuggling: non-canonical ends of data inside DATA, and message text
    # sent behind DATA before its 354 (the whole transaction pipelined)
    sc["smuggle"] = session(message(
        HDR + b"a\n.\nMAIL FROM:<evil@example.com>\r\n"
        b"b\r\n.\rRCPT TO:<x@example.org>\r\n"
        b"c\r.\r\nDATA\r\n"
        b"d\n.\r\nxx\r\n"
        b"e\r\n.\nyy\r\n.\r\n"))
    sc["data_pipelined"] = session([
        ("C", b"MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
              + HDR + b"text\r\n.\r\n"),
        ("S", b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n250 2.0.0 queued\r\n")])
    # ---- BDAT sizes that do not fit: 20+ digits, 2^64 (wraps to 0 in 64
    # bits), 2^64 + 5 (wraps to 5), 2^32 (wraps to 0 in 32 bits), 2^32 - 1
    sc["bdat_20digits"] = session(bdat(b"BDAT 99999999999999999999999 LAST"))
    sc["bdat_2p64"] = session(bdat(b"BDAT 18446744073709551616 LAST"))
    sc["bdat_2p64_5"] = session(bdat(b"BDAT 18446744073709551621 LAST"))
    sc["bdat_2p32"] = session(bdat(b"BDAT 4294967296 LAST"))
    sc["bdat_2p32_1"] = session(bdat(b"BDAT 4294967295 LAST"))
    # ---- replies nobody asked for: before the greeting is due, several
    # in a row, a multi-line one; then lines that are not replies at all
    sc["unsolicited"] = session([
        ("S", b"250 unsolicited\r\n250-more\r\n250 and more\r\n"),
        ("C", b"NOOP\r\n"), ("S", b"250 ok\r\n"),
        ("S", b"421 4.3.2 going away (not really)\r\n"),
        ("C", b"NOOP\r\n"), ("S", b"250 ok\r\n")])
    sc["not_replies"] = session([("C", b"NOOP\r\n"), ("S", b"HELLO there\r\n250 ok\r\n"),
                                 ("C", b"NOOP\r\n"), ("S", b"250 ok\r\n")])
    # ---- a header field folded over 100000 lines
    fold = b"Subject: folded\r\n" + b" continued\r\n" * 100000
    sc["folded_header"] = session(message(
        b"From: alice@example.com\r\n" + fold + b"To: bob@example.org\r\n\r\nbody\r\n.\r\n"))
    # ---- binary garbage in the middle of a session, each way
    sc["garbage_client"] = session([("C", rand_bytes(rng, 16384) + CRLF),
                                    ("S", b"500 5.5.2 what\r\n")])
    sc["garbage_server"] = session([("C", b"NOOP\r\n"), ("S", rand_bytes(rng, 16384))])
    # ---- random bytes both ways from the first byte on: 40 chunks
    steps = []
    for i in range(40):
        steps.append(("S" if i % 2 == 0 else "C", rand_bytes(rng, rng.randint(1, 3000))))
    sc["random"] = steps
    # ---- fault tests: a 100 KB message; the same with STARTTLS in the EHLO
    # reply, which the client must see masked (starttls strip); a session
    # that pauses after EHLO until the test says go
    body = b"".join(b"line %05d %s\r\n" % (i, b"x" * 64) for i in range(1400))
    sc["mail_big"] = session(message(HDR + body + b".\r\n"))
    stls = ehlo_reply(b"250-STARTTLS\r\n")
    sc["strip_big"] = [("S", b"220 mx.example.net ESMTP\r\n"),
                       ("C", b"EHLO client.example.com\r\n"),
                       ("S", stls, stls.replace(b"250-STARTTLS", b"250-XXXXXXXA"))] + \
        message(HDR + body + b".\r\n") + [("C", b"QUIT\r\n"), ("S", b"221 2.0.0 bye\r\n")]
    sc["strip_small"] = sc["strip_big"][:3] + message(HDR + b"hello\r\n.\r\n") + \
        [("C", b"QUIT\r\n"), ("S", b"221 2.0.0 bye\r\n")]
    # the same, the server writing a byte per send(): the helper masks the
    # keyword's bytes in the segment that completes it, those before are
    # gone (the client sees the first k of STARTTLS, then the mask), and
    # where the whole keyword went by it masks the CR after it. TCP decides
    # where segments end (autocorking joins small writes), so any k is right
    masked = [b"250-STARTTLS"[:4 + k] + b"XXXXXXXA"[k:] + b"\r\n" for k in range(8)]
    forms = tuple(masked) + (b"250-STARTTLSX\n",)
    sc["strip_small_bytes"] = [step if len(step) < 3 else
                               (step[0], step[1], tuple(step[1].replace(b"250-STARTTLS\r\n", f) for f in forms))
                               for step in sc["strip_small"]]
    sc["paused"] = ([("S", b"220 mx.example.net ESMTP\r\n"),
                     ("C", b"EHLO client.example.com\r\n"), ("S", ehlo_reply()),
                     ("WAIT", b"")] + message(HDR + body[:77 * 100] + b".\r\n") +
                    [("C", b"QUIT\r\n"), ("S", b"221 2.0.0 bye\r\n")])
    return sc


class Mismatch(Exception):
    pass


def run(sock, me, steps, timeout, chunk=0, wait_path=None):
    sock.settimeout(timeout)
    sent = recv = 0
    n = 0
    try:
        for n, step in enumerate(steps, 1):
            who, data = step[0], step[1]
            if who == "WAIT":
                if me == "C":
                    print("waiting", flush=True)
                t0 = time.time()
                while me == "C" and wait_path and not os.path.exists(wait_path):
                    if time.time() - t0 > timeout * 4:
                        raise socket.timeout()
                    time.sleep(0.1)
                continue
            if who == me:
                if chunk:
                    for i in range(0, len(data), chunk):
                        sock.sendall(data[i:i + chunk])
                else:
                    sock.sendall(data)
                sent += len(data)
                continue
            # a step may name the bytes to expect instead, or a tuple of
            # forms any of which is right (all of the same length)
            alts = (step[2] if isinstance(step[2], tuple) else (step[2],)) if len(step) > 2 else (data,)
            data = alts[0]
            got = bytearray()
            while len(got) < len(data):
                part = sock.recv(min(65536, len(data) - len(got)))
                if not part:
                    raise EOFError()
                got += part
            recv += len(got)
            if bytes(got) not in alts:
                at = next(i for i in range(len(data)) if got[i] != data[i])
                raise Mismatch("byte %d of %d differs: %r, want %r" %
                               (at, len(data), bytes(got[at:at + 16]), data[at:at + 16]))
        # the other side closes after its last step: wait for that, so a
        # reset that comes late is seen too
        if me == "C":
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(65536):
                pass
        word, rc = "ok", 0
    except ConnectionResetError:
        word, rc = "reset", 3
    except (EOFError, BrokenPipeError):
        word, rc = "closed", 4
    except socket.timeout:
        word, rc = "timeout", 5
    except Mismatch as e:
        word, rc = "changed", 6
        print("# %s" % e)
    except OSError as e:
        word, rc = "error", 1
        print("# %s" % e)
    print("result=%s step=%d/%d sent=%d recv=%d" % (word, n, len(steps), sent, recv), flush=True)
    return rc


def many(opts, steps, me, connect):
    """--count sessions, --parallel at a time: one result line each, then a
    summary line; 0 if all ran to their end"""
    lock = threading.Lock()
    todo = list(range(opts.count))
    rcs = []

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            try:
                sock = connect()
            except OSError as e:
                with lock:
                    print("result=%s step=0/%d sent=0 recv=0" %
                          ("timeout" if isinstance(e, socket.timeout) else "error", len(steps)),
                          flush=True)
                    rcs.append(5 if isinstance(e, socket.timeout) else 1)
                continue
            if sock is None:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            rc = run(sock, me, steps, opts.timeout, opts.chunk, opts.wait)
            sock.close()
            with lock:
                rcs.append(rc)

    # the server serves every connection at once: sessions pause mid-way
    nthreads = opts.count if me == "S" else max(1, opts.parallel)
    threads = [threading.Thread(target=worker) for _ in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    words = {0: "ok", 3: "reset", 4: "closed", 5: "timeout", 6: "changed", 1: "error"}
    print("summary " + " ".join("%s=%d" % (w, sum(1 for r in rcs if r == c))
                                for c, w in sorted(words.items())), flush=True)
    return 0 if len(rcs) == opts.count and all(r == 0 for r in rcs) else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("role", choices=["server", "client", "dump", "list"])
    ap.add_argument("scenario", nargs="?")
    ap.add_argument("--listen")
    ap.add_argument("--server")
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=0)
    ap.add_argument("--wait", help="the file a WAIT step waits for")
    opts = ap.parse_args()
    sc = scenarios(opts.seed)
    if opts.role == "list":
        print(" ".join(sc))
        return 0
    if opts.scenario not in sc:
        print("unknown scenario %r" % opts.scenario, file=sys.stderr)
        return 2
    steps = sc[opts.scenario]
    if opts.role == "dump":
        out = sys.stdout.buffer
        for step in steps:
            if step[0] in ("C", "S"):
                out.write(b"%s %d\n" % (step[0].encode(), len(step[1])) + step[1] + b"\n")
        return 0
    if opts.role == "server":
        family = socket.AF_INET6 if ":" in opts.listen else socket.AF_INET
        ls = socket.socket(family, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((opts.listen, opts.port))
        ls.listen(max(1, opts.count))
        print("listening", flush=True)
        ls.settimeout(opts.timeout * 4)
        if opts.count:
            def accept():
                try:
                    return ls.accept()[0]
                except socket.timeout:
                    return None
            return many(opts, steps, "S", accept)
        try:
            sock, _ = ls.accept()
        except socket.timeout:
            print("result=noconnection step=0/%d sent=0 recv=0" % len(steps), flush=True)
            return 5
        ls.close()
        me = "S"
    else:
        if opts.count:
            return many(opts, steps, "C", lambda: socket.create_connection(
                (opts.server, opts.port), timeout=opts.timeout))
        sock = socket.create_connection((opts.server, opts.port), timeout=opts.timeout)
        me = "C"
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rc = run(sock, me, steps, opts.timeout, opts.chunk, opts.wait)
    sock.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
