#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""TLS after STARTTLS, done by hand, for smtp_tls_guard.sh.

  tls_peer.py bytewise --server ADDR      STARTTLS, then TLS (python's ssl on
        memory buffers) whose bytes go out one per TCP segment: handshake,
        EHLO, a message of 2 KB; prints "result=delivered" on its 250
  tls_peer.py unwrap --server ADDR        STARTTLS, handshake, EHLO inside
        TLS, close_notify (unwrap), then one cleartext byte; prints
        "after=reset|closed|none": what the connection did after that byte
  tls_peer.py inject-server --listen ADDR [--later]
        a server that offers STARTTLS and writes "250-example.org" and
        "250 AUTH LOGIN" after its 220, in the 220's write or (--later) in
        a write of its own; serves one connection
  tls_peer.py refuse-server --listen ADDR
        a server that offers STARTTLS and answers it with 454 (as a server
        does whose STARTTLS a box on the way masked: 500); one connection
  tls_peer.py starttls-client --server ADDR
        STARTTLS, then waits for what the server sends next; prints
        "after=reset|closed|bytes:<repr>|none"

Only the standard library.
"""
import argparse
import fcntl
import os
import socket
import ssl
import struct
import sys
import time

# a debug kernel under load is several times slower (selftests/lib.sh)
WAIT_SCALE = float(os.environ.get("NFSMTP_WAIT_SCALE", "1"))

CRLF = b"\r\n"


def connect(addr):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(20 * WAIT_SCALE)
    s.connect((addr, 25))
    return s


SIOCOUTQNSD = 0x894B	# linux/sockios.h: bytes in the send queue not yet sent


def wait_sent(s):
    """until the bytes written have left: TCP appends a write to bytes still
    queued, and a slow VM coalesced 2900 one-byte writes into 1250 segments"""
    end = time.monotonic() + 20 * WAIT_SCALE
    while struct.unpack("i", fcntl.ioctl(s.fileno(), SIOCOUTQNSD, b"\0" * 4))[0]:
        if time.monotonic() > end:
            raise TimeoutError("the send queue does not drain")
        time.sleep(0.0005)


def reply(s, buf=b""):
    """one whole SMTP reply: (code, rest of the buffer)"""
    while True:
        lines = buf.split(CRLF)
        for i, line in enumerate(lines[:-1]):
            if len(line) >= 4 and line[3:4] == b" ":
                return line[:3].decode(), CRLF.join(lines[i + 1:])
        data = s.recv(4096)
        if not data:
            raise EOFError("closed")
        buf += data


def starttls(s):
    code, _ = reply(s)
    s.sendall(b"EHLO client.example.com" + CRLF)
    code, _ = reply(s)
    s.sendall(b"STARTTLS" + CRLF)
    code, rest = reply(s)
    if code != "220":
        raise RuntimeError("STARTTLS answered %s" % code)
    return rest


class MemTLS:
    """TLS over a plain socket through memory BIOs: we see every byte."""

    def __init__(self, s, bytewise=False):
        self.s, self.bytewise = s, bytewise
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_hostname="mx.example.net")

    def flush(self):
        data = self.out.read()
        if self.bytewise:
            for i in range(len(data)):
                self.s.send(data[i:i + 1])
                wait_sent(self.s)
        elif data:
            self.s.sendall(data)

    def pump(self):
        data = self.s.recv(65536)
        if not data:
            raise EOFError("closed")
        self.inc.write(data)

    def handshake(self):
        while True:
            try:
                self.obj.do_handshake()
                self.flush()
                return
            except ssl.SSLWantReadError:
                self.flush()
                self.pump()

    def send(self, data):
        self.obj.write(data)
        self.flush()

    def reply(self):
        buf = b""
        while True:
            try:
                buf += self.obj.read(65536)
            except ssl.SSLWantReadError:
                self.pump()
                continue
            lines = buf.split(CRLF)
            for line in lines[:-1]:
                if len(line) >= 4 and line[3:4] == b" ":
                    return line[:3].decode()

    def unwrap(self):
        try:
            self.obj.unwrap()
        except ssl.SSLWantReadError:
            pass
        self.flush()


def after(s, timeout=5):
    """what the connection does now: reset, closed, bytes or nothing"""
    s.settimeout(timeout * WAIT_SCALE)
    try:
        data = s.recv(4096)
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "none"
    return "bytes:%r" % data[:60] if data else "closed"


def bytewise(a):
    s = connect(a.server)
    starttls(s)
    t = MemTLS(s, bytewise=True)
    t.handshake()
    for cmd, want in ((b"EHLO client.example.com", "250"), (b"MAIL FROM:<alice@example.com>", "250"),
                      (b"RCPT TO:<bob@example.org>", "250"), (b"DATA", "354")):
        t.send(cmd + CRLF)
        code = t.reply()
        if code != want:
            print("result=%s-%s" % (cmd.split()[0].decode(), code))
            return 1
    body = b"Subject: bytewise TLS\r\n\r\n" + (b"x" * 70 + CRLF) * 28 + b".\r\n"
    t.send(body)
    print("result=%s" % ("delivered" if t.reply() == "250" else "refused"))
    return 0


def unwrap(a):
    s = connect(a.server)
    starttls(s)
    t = MemTLS(s)
    t.handshake()
    t.send(b"EHLO client.example.com" + CRLF)
    t.reply()
    t.unwrap()
    time.sleep(0.3)
    try:
        s.send(b"X")
    except OSError:
        print("after=reset")
        return 0
    print("after=%s" % after(s))
    return 0


def starttls_client(a):
    s = connect(a.server)
    rest = starttls(s)
    if rest:
        print("after=bytes:%r" % rest[:60])
        return 0
    print("after=%s" % after(s, 3))
    return 0


def inject_server(a):
    fam = socket.AF_INET6 if ":" in a.listen else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.listen, 25))
    ls.listen(1)
    c, _ = ls.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.settimeout(20 * WAIT_SCALE)
    c.sendall(b"220 mx.example.net ESMTP" + CRLF)
    buf = b""
    while True:
        data = c.recv(4096)
        if not data:
            return 0
        buf += data
        while CRLF in buf:
            line, buf = buf.split(CRLF, 1)
            verb = line.split(b" ")[0].upper()
            if verb in (b"EHLO", b"HELO"):
                c.sendall(b"250-mx.example.net\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
            elif verb == b"STARTTLS" and a.mode == "refuse-server":
                c.sendall(b"454 4.7.0 TLS not available due to local problem\r\n")
            elif verb == b"STARTTLS":
                injected = b"250-example.org\r\n250 AUTH LOGIN\r\n"
                if a.later:
                    c.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                    time.sleep(0.3)
                    c.sendall(injected)
                else:
                    c.sendall(b"220 2.0.0 Ready to start TLS\r\n" + injected)
                time.sleep(3)
                return 0
            elif verb == b"QUIT":
                c.sendall(b"221 bye\r\n")
                return 0
            else:
                c.sendall(b"250 ok\r\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("--server")
    ap.add_argument("--listen")
    ap.add_argument("--later", action="store_true")
    a = ap.parse_args()
    try:
        return {"bytewise": bytewise, "unwrap": unwrap, "inject-server": inject_server,
                "refuse-server": inject_server,
                "starttls-client": starttls_client}[a.mode](a)
    except (OSError, EOFError, RuntimeError, ssl.SSLError) as e:
        print("result=error %s: %s" % (type(e).__name__, e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
