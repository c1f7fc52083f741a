#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A small, exact SMTP server for the selftests.

It stores every message's content exactly as received (after removing the
dot-stuffing, or the BDAT chunks concatenated) as MAILDIR/<n>.eml, and logs
each command line it receives to MAILDIR.log, so tests can assert on what
the server really saw. STARTTLS when --cert/--key are given; CHUNKING and
PIPELINING advertised; unknown commands get 500 like real servers.
"""
import argparse
import os
import socket
import socketserver
import ssl
import sys
import threading

counter_lock = threading.Lock()
counter = [0]


def store(maildir, data):
    with counter_lock:
        counter[0] += 1
        n = counter[0]
    path = os.path.join(maildir, "%d.eml" % n)
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)


class Session(socketserver.StreamRequestHandler):
    def setup(self):
        super().setup()
        self.tls = False

    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def log(self, line):
        sys.stdout.write("C: %r\n" % line)
        sys.stdout.flush()

    def readline(self):
        line = self.rfile.readline(65536)
        return line

    def handle(self):
        opts = self.server.opts
        self.send("220 %s ESMTP nfsmtp-sink" % opts.hostname)
        helo = False
        mail = False
        rcpts = 0
        bdat = bytearray()
        while True:
            line = self.readline()
            if not line:
                return
            self.log(line)
            text = line.rstrip(b"\r\n").decode("latin-1")
            verb = text.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                helo, mail, rcpts = True, False, 0
                if verb == "HELO":
                    self.send("250 %s" % opts.hostname)
                    continue
                ext = ["PIPELINING", "SIZE 52428800", "8BITMIME",
                       "ENHANCEDSTATUSCODES"]
                if opts.chunking:
                    ext.append("CHUNKING")
                if opts.cert and not self.tls:
                    ext.append("STARTTLS")
                lines = [opts.hostname] + ext
                for l in lines[:-1]:
                    self.send("250-" + l)
                self.send("250 " + lines[-1])
            elif verb == "STARTTLS" and opts.cert and not self.tls:
                self.send("220 2.0.0 Ready to start TLS")
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(opts.cert, opts.key)
                self.request = ctx.wrap_socket(self.request, server_side=True)
                self.rfile = self.request.makefile("rb")
                self.wfile = self.request.makefile("wb")
                self.tls = True
                helo = False
            elif verb == "MAIL":
                mail, rcpts = True, 0
                bdat = bytearray()
                self.send("250 2.1.0 Ok")
            elif verb == "RCPT":
                if not mail:
                    self.send("503 5.5.1 Error: need MAIL command")
                    continue
                rcpts += 1
                self.send("250 2.1.5 Ok")
            elif verb == "DATA":
                if not rcpts:
                    self.send("554 5.5.1 Error: no valid recipients")
                    continue
                self.send("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while True:
                    l = self.rfile.readline(1 << 20)
                    if not l:
                        return
                    if l == b".\r\n":
                        break
                    if l.startswith(b"."):
                        l = l[1:]
                    data += l
                store(opts.maildir, bytes(data))
                mail, rcpts = False, 0
                self.send("250 2.0.0 Ok: queued")
            elif verb == "BDAT":
                args = text.split()
                try:
                    size = int(args[1])
                    if size < 0:
                        raise ValueError
                except (IndexError, ValueError):
                    self.send("501 5.5.4 Syntax: BDAT count [LAST]")
                    continue
                chunk = self.rfile.read(size)
                bdat += chunk
                last = len(args) > 2 and args[2].upper() == "LAST"
                if not rcpts:
                    self.send("503 5.5.1 Error: need RCPT command")
                    continue
                if last:
                    store(opts.maildir, bytes(bdat))
                    bdat = bytearray()
                    mail, rcpts = False, 0
                    self.send("250 2.0.0 Ok: queued")
                else:
                    self.send("250 2.0.0 Ok: %d octets" % size)
            elif verb == "RSET":
                mail, rcpts = False, 0
                self.send("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.send("250 2.0.0 Ok")
            elif verb == "VRFY":
                self.send("252 2.0.0 Send mail to find out")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            else:
                self.send("500 5.5.2 Error: command not recognized")


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--hostname", default="sink.example.net")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--chunking", action="store_true")
    opts = ap.parse_args()
    if ":" in opts.listen:
        Server.address_family = socket.AF_INET6
    srv = Server((opts.listen, opts.port), Session)
    srv.opts = opts
    srv.serve_forever()


if __name__ == "__main__":
    main()
