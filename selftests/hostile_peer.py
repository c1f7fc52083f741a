#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Both ends of a crafted SMTP stream, for smtp_hostile.sh.

hostile_peer.py server --listen ADDR [--port 25] SCENARIO [--seed N]
hostile_peer.py client --server ADDR [--port 25] SCENARIO [--seed N]
hostile_peer.py dump SCENARIO [--seed N]     the transcript, for a look
hostile_peer.py list                         the scenario names

A scenario is a list of steps (who, bytes): the side named sends its bytes
in one send() (TCP_NODELAY), the other side reads exactly that many bytes
and compares them, so every byte is checked to pass the gateway unchanged.
Both ends build the same list (random scenarios from the same --seed). The
server is a raw peer, not an SMTP server: it can send replies nobody asked
for, no greeting, or binary garbage. The server accepts one connection.

Prints one line "result=WORD step=N/M sent=BYTES recv=BYTES" and exits 0 if
every step ran (WORD ok), 3 on a connection reset, 4 when the peer closed
early, 5 on a timeout, 6 when bytes arrived changed, 1 on other errors.
Only the socket module: python starts fast under emulation.
"""
import argparse
import random
import socket
import sys

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
    return sc


class Mismatch(Exception):
    pass


def run(sock, me, steps, timeout):
    sock.settimeout(timeout)
    sent = recv = 0
    n = 0
    try:
        for n, (who, data) in enumerate(steps, 1):
            if who == me:
                sock.sendall(data)
                sent += len(data)
                continue
            got = bytearray()
            while len(got) < len(data):
                chunk = sock.recv(min(65536, len(data) - len(got)))
                if not chunk:
                    raise EOFError()
                got += chunk
            recv += len(got)
            if bytes(got) != data:
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("role", choices=["server", "client", "dump", "list"])
    ap.add_argument("scenario", nargs="?")
    ap.add_argument("--listen")
    ap.add_argument("--server")
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30)
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
        for who, data in steps:
            out.write(b"%s %d\n" % (who.encode(), len(data)) + data + b"\n")
        return 0
    if opts.role == "server":
        family = socket.AF_INET6 if ":" in opts.listen else socket.AF_INET
        ls = socket.socket(family, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((opts.listen, opts.port))
        ls.listen(1)
        print("listening", flush=True)
        ls.settimeout(opts.timeout * 4)
        try:
            sock, _ = ls.accept()
        except socket.timeout:
            print("result=noconnection step=0/%d sent=0 recv=0" % len(steps), flush=True)
            return 5
        ls.close()
        me = "S"
    else:
        sock = socket.create_connection((opts.server, opts.port), timeout=opts.timeout)
        me = "C"
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rc = run(sock, me, steps, opts.timeout)
    sock.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
