#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Idle TCP connections that stay open: conntrack entries that are no SMTP
session, or that fill the table.

tcp_hold.py listen ADDR PORT
    listens on ADDR:PORT and holds every connection it accepts open,
    until killed
tcp_hold.py connect ADDR PORT [--count N] [--timeout SEC] [--ready FILE] [--hold SEC]
    opens N connections (default 1) to ADDR:PORT, each within SEC seconds
    (default: no limit), then creates FILE, or without --ready prints
    "held"; holds them open for --hold seconds (default 600)

Exits 1 when a connection fails. Only the socket module: python starts fast
under emulation.
"""
import argparse
import socket
import sys
import time


def listen(addr, port):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    held = []
    while True:
        held.append(s.accept()[0])


def connect(addr, port, count, timeout, ready, hold):
    held = [socket.create_connection((addr, port), timeout=timeout) for _ in range(count)]
    if ready:
        open(ready, "w").close()
    else:
        print("held", flush=True)
    time.sleep(hold)
    return held


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("\n\n")[1])
    ap.add_argument("mode", choices=["listen", "connect"])
    ap.add_argument("addr")
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--timeout", type=float)
    ap.add_argument("--ready")
    ap.add_argument("--hold", type=float, default=600)
    opts = ap.parse_args()
    try:
        if opts.mode == "listen":
            listen(opts.addr, opts.port)
        else:
            connect(opts.addr, opts.port, opts.count, opts.timeout, opts.ready, opts.hold)
    except OSError as e:
        print("tcp_hold: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
