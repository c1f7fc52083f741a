#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A raw SMTP client for tests where the exact bytes and segments matter.

smtp_raw.py --server ADDR [--port 25] [--timeout SEC] [--go FILE] STEP...

Steps, in order:
  reply        read one complete reply (every line up to the last one)
  send:TEXT    one send() of TEXT (\\r \\n \\t \\xHH escapes), TCP_NODELAY, so
               a short TEXT leaves as one segment
  sleep:SEC    wait SEC seconds; with --go, only until FILE exists (at
               once when it already does)

Prints its local port ("local port N"), what it sent ("C: ...") and what
it read ("S: ..."), one line each, then one "result:" line; exits 0 when every step ran, 3 on a connection
reset, 4 when the server closed, 5 on a timeout, 1 on any other error.
Only the socket module: python starts fast under emulation.
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


def unescape(text):
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise Closed()
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def reply(self):
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            print("S: " + line.decode("latin-1").rstrip("\r\n"), flush=True)
            if len(line) < 4 or line[3:4] != b"-":
                return lines


def sleep(sec, go=None):
    """time.sleep(sec), or with go, until the file go exists"""
    if go is None:
        time.sleep(sec)
        return
    end = time.monotonic() + sec
    while not os.path.exists(go) and time.monotonic() < end:
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--timeout", type=float, default=20 * WAIT_SCALE)
    ap.add_argument("--go", help="sleep steps end early once this file exists")
    ap.add_argument("steps", nargs="+")
    opts = ap.parse_args()
    try:
        sock = socket.create_connection((opts.server, opts.port), timeout=opts.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        print("local port %d" % sock.getsockname()[1], flush=True)
        conn = Conn(sock)
        for step in opts.steps:
            if step == "reply":
                conn.reply()
            elif step.startswith("send:"):
                data = unescape(step[5:])
                print("C: " + repr(data)[2:-1], flush=True)
                sock.send(data)
            elif step.startswith("sleep:"):
                sleep(float(step[6:]), opts.go)
            else:
                print("result: bad step %r" % step)
                return 2
    except ConnectionResetError:
        print("result: reset", flush=True)
        return 3
    except Closed:
        print("result: closed", flush=True)
        return 4
    except socket.timeout:
        print("result: timeout", flush=True)
        return 5
    except OSError as e:
        print("result: error %s" % e, flush=True)
        return 1
    print("result: ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
