#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send one message file with python's smtplib; print what happened.

Exit 0 when the server accepted the message. --hold N keeps the session
open N seconds after the message (before QUIT), for tests that act while a
session is live; --ready FILE is created once the message is accepted;
--release FILE ends the hold early once FILE exists.
--msg may be given several times: each file is sent --count times, in turn.
--helo-fallback lets smtplib greet as it does by default (EHLO, then HELO
when EHLO is refused); --vrfy ADDR asks VRFY first and prints its reply;
--refused-ok accepts a message some recipients refused (printing each with
its reply code); --declare-size N sends SIZE=N in MAIL FROM in place of the
size smtplib declares (the message's length: RFC 1870's size once its line
ends are CRLF); --debug prints smtplib's transcript on stderr.
An SMTP or socket error ends it with one "error:" line and exit status 3.
"""
import argparse
import os
import smtplib
import ssl
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--msg", required=True, action="append")
    ap.add_argument("--mail-from", default="alice@example.com")
    ap.add_argument("--rcpt", action="append", default=[])
    ap.add_argument("--starttls", action="store_true")
    ap.add_argument("--hold", type=float, default=0)
    ap.add_argument("--ready")
    ap.add_argument("--release")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--helo-fallback", action="store_true")
    ap.add_argument("--vrfy")
    ap.add_argument("--refused-ok", action="store_true")
    ap.add_argument("--declare-size", type=int)
    ap.add_argument("--debug", action="store_true")
    opts = ap.parse_args()
    rcpts = opts.rcpt or ["bob@example.org"]
    msgs = []
    for name in opts.msg:
        with open(name, "rb") as f:
            msgs.append(f.read())
    s = smtplib.SMTP(local_hostname="client.example.com", timeout=60)
    if opts.debug:
        s.set_debuglevel(1)
    s._host = opts.server   # what SMTP(host) sets: starttls() names it (SNI)
    s.connect(opts.server, opts.port)
    if opts.helo_fallback:
        s.ehlo_or_helo_if_needed()
        print("greeted with %s" % ("EHLO" if s.does_esmtp else "HELO"))
    else:
        s.ehlo()
    if opts.starttls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
        s.ehlo()
    if opts.vrfy:
        code, text = s.verify(opts.vrfy)
        print("vrfy %d %s" % (code, text.decode("latin-1")))
    options = []
    if opts.declare_size is not None:
        s.esmtp_features.pop("size", None)   # smtplib would add its own
        options = ["SIZE=%d" % opts.declare_size]
    sent = 0
    for msg in msgs:
        for _ in range(opts.count):
            refused = s.sendmail(opts.mail_from, rcpts, msg, options)
            for rcpt, (code, text) in sorted(refused.items()):
                print("refused %s %d %s" % (rcpt, code, text.decode("latin-1")))
            if refused and not opts.refused_ok:
                return 1
            sent += len(msg)
    if opts.ready:
        open(opts.ready, "w").close()
    if opts.hold:
        end = time.time() + opts.hold
        while time.time() < end and not (opts.release and os.path.exists(opts.release)):
            time.sleep(0.1)
        s.noop()
    s.quit()
    print("sent %d message(s), %d bytes" % (opts.count * len(msgs), sent))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (smtplib.SMTPException, OSError) as e:
        # a reset or refusal the test may expect: one line, no traceback
        print("error: %s: %s" % (type(e).__name__, e))
        sys.exit(3)
