#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The selftests' messages: one command for all of them, in one python
process per call (python starts slowly under emulation).

msgtool.py gen DIR NAME:SIZE:SEED[:8bit][:long][:swaks]...
    writes DIR/NAME, a message of about SIZE bytes with CRLF line ends (the
    bytes a server must store); with swaks also DIR/NAME.swaks, the same
    dot-stuffed and ending in CRLF "." without the last CRLF, as `swaks
    --no-data-fixup --data @DIR/NAME.swaks` must send it (swaks adds that
    CRLF).  8bit adds
    octets 0xa0-0xff, long adds lines of 990 to 998 octets; about 3% of the
    lines start with a dot.  Bodies are slices of one random pool of lines.

msgtool.py one OUT SIZE [SEED] [--8bit] [--long]
    writes OUT, one message of at least SIZE body bytes drawn byte by byte
    (SEED default 1): CRLF line ends and a final CRLF, so smtplib sends it
    unchanged and the server must store exactly these bytes. About 3% of
    the lines start with a dot; --8bit adds octets 0xa0-0xff, --long
    990-octet lines.

msgtool.py guards DIR KEY.pem
    writes into DIR the guard tests' messages, some DKIM-signed with
    KEY.pem (msg_guards.py lists them).

msgtool.py mime DIR
    writes into DIR the MIME messages of smtp_asa.sh, made by python's email
    package, each with the transfer encodings python finds in it
    (msg_mime.py lists them).

msgtool.py dkim-verify PUBKEY_B64 FILE[:N]...
    each FILE's first N (default 1) DKIM signatures verify against
    PUBKEY_B64; prints each result, exits 1 on a failure.

msgtool.py check MAILDIR FILE[=COUNT]...
    every postfix delivery MAILDIR/mail/*.eml, as the client sent it (without
    postfix's Received: field, CRLF line ends), must be one of the FILEs,
    each FILE delivered exactly COUNT times (default 1): prints what differs.

msgtool.py body FILE [N]
    writes one postfix delivery FILE to stdout as the client sent it:
    without its first N (default 1) Received: fields (the ones the servers
    on the way prepended), with CRLF line ends again.

msgtool.py parts FILE EXTRA
    appends to message FILE the lines of EXTRA ("|" between lines, each
    then ending in CRLF) and writes FILE.sha256 (its hex digest and a
    newline) and FILE.h1, FILE.h2: its wire form (dot-stuffed, ending in
    CRLF.CRLF) cut in two at a line start in its first half, escaped for
    smtp_raw.py's send: step (\\r \\n \\xHH).
"""
import bisect
import collections
import glob
import hashlib
import os
import random
import sys

POOL_SIZE = 1 << 18


def pool_lines(rnd, eight, long_lines):
    alphabet = bytes(range(0x20, 0x7f)) + (bytes(range(0xa0, 0x100)) if eight else b"")
    table = bytes(alphabet[i % len(alphabet)] for i in range(256))
    raw = rnd.randbytes(POOL_SIZE + 1000).translate(table)
    out, offs, pos = bytearray(), [0], 0
    while len(out) < POOL_SIZE:
        kind = rnd.random()
        n = rnd.randint(990, 998) if long_lines and kind < 0.05 else rnd.randint(0, 78)
        line = raw[pos:pos + n]
        pos = (pos + n) % POOL_SIZE
        if kind > 0.97:
            line = b"." + line[:997]       # needs dot-stuffing
        out += line + b"\r\n"
        offs.append(len(out))
    return bytes(out), offs


def body_of(pool, size, rnd):
    data, offs = pool
    body = bytearray()
    while len(body) < size:
        i = rnd.randrange(len(offs) - 1)
        want = offs[i] + size - len(body)
        j = min(bisect.bisect_left(offs, want), len(offs) - 1)
        body += data[offs[i]:offs[j]]
    return bytes(body)


def header(seed, name):
    return (b"From: Alice <alice@example.com>\r\n"
            b"To: Bob <bob@example.org>\r\n"
            b"Subject: selftest message %s\r\n"
            b"Date: Sat, 28 Nov 2026 07:00:00 +0000\r\n"
            b"Message-ID: <%s.%d.selftest@example.com>\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=iso-8859-1\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n"
            b"\r\n") % (name.encode(), name.encode(), seed)


def swaks_form(msg):
    stuffed = msg.replace(b"\r\n.", b"\r\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    return stuffed + b"."


def gen(outdir, specs):
    pools = {}
    for spec in specs:
        name, size, seed, *flags = spec.split(":")
        size, seed = int(size), int(seed)
        key = ("8bit" in flags, "long" in flags)
        if key not in pools:
            pools[key] = pool_lines(random.Random(1000 + len(pools)), *key)
        msg = header(seed, name) + body_of(pools[key], size, random.Random(seed))
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(msg)
        if "swaks" in flags:
            with open(os.path.join(outdir, name + ".swaks"), "wb") as f:
                f.write(swaks_form(msg))
    return 0


def one(out, size, seed, eight, long_lines):
    """the message of smtp_control and smtp_helper_basic: every byte drawn
    by itself (gen draws slices of a pool); kept so they stay the same"""
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
        n = 990 if long_lines and kind < 0.05 else rnd.randint(0, 78)
        line = bytes(rnd.choice(alphabet) for _ in range(n))
        if kind > 0.97:
            line = b"." + line          # needs dot-stuffing
        body += line + b"\r\n"
    with open(out, "wb") as f:
        f.write(hdr + bytes(body))
    return 0


def as_sent(path, n=1):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    for _ in range(n):
        if not lines or not lines[0].startswith(b"Received:"):
            break
        i = 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
        lines = lines[i:]
    if lines and lines[-1] == b"":
        lines = lines[:-1]
    return b"".join(l + b"\r\n" for l in lines)


def explain(path, wants):
    """What an unexpected delivery is: its header, and where it first
    differs from the sent message with the same Message-ID."""
    got = as_sent(path)
    head = got.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    print("#   %s: %d bytes; %s" % (os.path.basename(path), len(got),
          " | ".join(l.decode("latin-1")[:70] for l in head[:8])))
    for w in wants:
        sent_path = w.partition("=")[0]
        with open(sent_path, "rb") as f:
            sent = f.read()
        mid = [l for l in sent.split(b"\r\n", 8) if l.startswith(b"Message-ID:")]
        if mid and mid[0] in head:
            n = next((i for i in range(min(len(sent), len(got))) if sent[i] != got[i]),
                     min(len(sent), len(got)))
            print("#   differs from %s (%d bytes) at offset %d: sent %r, got %r" %
                  (os.path.basename(sent_path), len(sent), n, sent[max(0, n - 20):n + 40],
                   got[max(0, n - 20):n + 40]))
            return


def check(maildir, wants):
    want = collections.Counter()
    names = {}
    for w in wants:
        path, _, count = w.partition("=")
        with open(path, "rb") as f:
            h = hashlib.sha256(f.read()).hexdigest()
        want[h] += int(count or 1)
        names[h] = os.path.basename(path)
    got = collections.Counter()
    unknown = []
    for path in sorted(glob.glob(os.path.join(maildir, "mail", "*.eml"))):
        h = hashlib.sha256(as_sent(path)).hexdigest()
        got[h] += 1
        if h not in want:
            unknown.append(os.path.basename(path))
    bad = 0
    for h, n in sorted(want.items(), key=lambda kv: names[kv[0]]):
        if got[h] != n:
            print("# %s: delivered %d times, sent %d times" % (names[h], got[h], n))
            bad += 1
    if unknown:
        print("# %d deliveries match no sent message: %s" % (len(unknown), " ".join(unknown[:5])))
        for name in unknown[:3]:
            explain(os.path.join(maildir, "mail", name), wants)
        bad += 1
    print("# %d deliveries checked against %d sent files: %s" %
          (sum(got.values()), len(want), "all byte-identical" if not bad else "MISMATCH"))
    return 1 if bad else 0


def body(path, n=1):
    sys.stdout.buffer.write(as_sent(path, n))
    return 0


def parts(path, extra):
    with open(path, "rb") as f:
        msg = f.read()
    msg += b"".join(l + b"\r\n" for l in extra.encode().split(b"|"))
    with open(path, "wb") as f:
        f.write(msg)
    with open(path + ".sha256", "w") as f:
        f.write(hashlib.sha256(msg).hexdigest() + "\n")
    wire = msg.replace(b"\r\n.", b"\r\n..") + b".\r\n"
    cut = wire.rfind(b"\r\n", 0, len(wire) // 2) + 2  # the added lines are in the second half
    for part, data in (("h1", wire[:cut]), ("h2", wire[cut:])):
        with open(path + "." + part, "w") as f:
            f.write(data.decode("latin-1").encode("unicode_escape").decode("latin-1"))
    return 0


def main():
    a = sys.argv[1:]
    if len(a) in (2, 3) and a[0] == "body":
        return body(a[1], int(a[2]) if len(a) > 2 else 1)
    if len(a) == 3 and a[0] == "parts":
        return parts(a[1], a[2])
    if len(a) >= 2 and a[0] == "gen":
        return gen(a[1], a[2:])
    if len(a) >= 3 and a[0] == "check":
        return check(a[1], a[2:])
    if len(a) >= 3 and a[0] == "one":
        words = [w for w in a[1:] if not w.startswith("--")]
        seed = int(words[2]) if len(words) > 2 and words[2].isdigit() else 1
        return one(words[0], int(words[1]), seed, "--8bit" in a, "--long" in a)
    if len(a) == 3 and a[0] == "guards":
        import msg_guards
        return msg_guards.gen(a[1], a[2])
    if len(a) == 2 and a[0] == "mime":
        import msg_mime
        return msg_mime.gen(a[1])
    if len(a) >= 3 and a[0] == "dkim-verify":
        import msg_guards
        return msg_guards.verify(a[1], a[2:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
