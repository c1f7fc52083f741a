#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Write a test message: mkmsg.py OUT SIZE [SEED] [--8bit] [--long].

CRLF line ends throughout and a final CRLF, so smtplib sends it unchanged
and the server must store exactly these bytes. Lines starting with a dot
test dot-stuffing; --8bit adds bytes >= 0x80; --long adds 990-byte lines.
"""
import random
import sys


def main():
    out, size = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3].isdigit() else 1
    eight = "--8bit" in sys.argv
    long_lines = "--long" in sys.argv
    rnd = random.Random(seed)
    hdr = (b"From: Alice <alice@example.com>\r\n"
           b"To: Bob <bob@example.org>\r\n"
           b"Subject: selftest message %d\r\n"
           b"Date: Sat, 28 Nov 2026 07:00:00 +0000\r\n"
           b"Message-ID: <%d.selftest@example.com>\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=iso-8859-1\r\n"
           b"\r\n") % (seed, seed)
    body = bytearray()
    alphabet = bytes(range(0x20, 0x7f)) + (bytes(range(0xa0, 0x100)) if eight else b"")
    while len(body) < size:
        kind = rnd.random()
        if long_lines and kind < 0.05:
            n = 990
        else:
            n = rnd.randint(0, 78)
        line = bytes(rnd.choice(alphabet) for _ in range(n))
        if kind > 0.97:
            line = b"." + line          # needs dot-stuffing
        body += line + b"\r\n"
    with open(out, "wb") as f:
        f.write(hdr + bytes(body))


if __name__ == "__main__":
    main()
