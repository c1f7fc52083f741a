#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send one message file with python's smtplib; print what happened.

Exit 0 when the server accepted the message. --hold N keeps the session
open N seconds after the message (before QUIT), for tests that act while a
session is live; --ready FILE is created once the message is accepted.
"""
import argparse
import smtplib
import ssl
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--msg", required=True)
    ap.add_argument("--mail-from", default="alice@example.com")
    ap.add_argument("--rcpt", action="append", default=[])
    ap.add_argument("--starttls", action="store_true")
    ap.add_argument("--hold", type=float, default=0)
    ap.add_argument("--ready")
    ap.add_argument("--count", type=int, default=1)
    opts = ap.parse_args()
    rcpts = opts.rcpt or ["bob@example.org"]
    with open(opts.msg, "rb") as f:
        msg = f.read()
    s = smtplib.SMTP(opts.server, opts.port, local_hostname="client.example.com",
                     timeout=60)
    s.ehlo()
    if opts.starttls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
        s.ehlo()
    for _ in range(opts.count):
        refused = s.sendmail(opts.mail_from, rcpts, msg)
        if refused:
            print("refused:", refused)
            return 1
    if opts.ready:
        open(opts.ready, "w").close()
    if opts.hold:
        time.sleep(opts.hold)
        s.noop()
    s.quit()
    print("sent %d message(s) of %d bytes" % (opts.count, len(msg)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
