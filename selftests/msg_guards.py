#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The messages of the header, smuggling, BDAT and limit guard tests
(msgtool.py guards, msgtool.py dkim-verify).

gen(DIR, KEY.pem) writes into DIR the messages the tests send, CRLF line
ends throughout (the bytes a server must store), DKIM-signed with KEY.pem
(selectors sel, sel2, sel3 of example.com) where the name says so:
  dkim1         signed, h= oversigns From (from:from:subject:to:date)
  dkim3         three DKIM-Signature fields and ten Received fields
  plain         an ordinary message
  dup_from      a second From field, on one line
  dup_from_fold a second From field folded over two lines
  dup_subject   a second Subject field (written in another case)
  seg1, seg2    a message with two From fields cut between them: the
                two TCP segments a raw client sends apart (seg.masked)
  hdrN          a header line of N octets with its CRLF, N = 990, 998,
                999, 1200
  body1500      a body line of 1500 octets
  bdat_dup_pipe, bdat_dup_apart, bdat_dup_colon
                two From fields; NAME.cut is where a BDAT chunk must
                end: 2, 2 and 4 octets into the second "From"
  NAME.masked   NAME as dup-headers mask delivers it: the second From
                renamed XXXX (for the bdat_dup ones only the part
                after the chunk boundary: FrXX; FromX, which postfix
                moves to the body)
  bdat_plain, bdat_plain2, bdat_zero, bdat_after_bad   ordinary ones
  data_dup      two From fields, sent with DATA after a BDAT message
  data_smuggle  a text with "\\n.\\n" and a forged transaction after it
  hdrs30        long header section for a 30-chunk BDAT transfer;
                hdrs30.cuts: 29 chunk ends, all inside header lines
  exim_plain, exim_dup  for the MTA client: plain, two From fields
  exim_unjudged, exim_unjudged_reset  plain, for bdat-unjudged
  exim_sized, exim_big_max, exim_hdr_max  BDAT sizes: plain; about 40 kB;
                20 more header fields (1200 octets)
  exim_size_data, exim_size_bdat  SIZE=: about 40 kB (DATA); plain (BDAT)
  big, big_dup  about 40 kB (the second with two From fields): sent in
                large segments; an MTA client sends them in chunks

verify(PUBKEY_B64, [FILE[:N]...]): each FILE's first N (default 1) DKIM
signatures verify against PUBKEY_B64 (the p= of every selector, given by
a fake DNS); prints each result, returns 1 on a failure.
"""
import os

HDR = (b"From: Alice <alice@example.com>\r\n"
       b"To: Bob <bob@example.org>\r\n"
       b"Subject: %s\r\n"
       b"Date: Sat, 28 Nov 2026 07:00:00 +0000\r\n"
       b"Message-ID: <%s.guards@example.com>\r\n"
       b"MIME-Version: 1.0\r\n"
       b"Content-Type: text/plain; charset=us-ascii\r\n")

BODY = (b"Hello Bob,\r\n"
        b"\r\n"
        b".a line that needs dot-stuffing\r\n"
        b"From the body: this From is no header field.\r\n"
        b"Subject: nor is this one\r\n"
        b"\r\n"
        b"-- \r\nAlice\r\n")


def msg(name, extra=b"", body=BODY):
    return HDR % (name.encode(), name.encode()) + extra + b"\r\n" + body


def sign(data, key, sel=b"sel"):
    import dkim
    sig = dkim.sign(data, sel, b"example.com", key,
                    include_headers=[b"from", b"from", b"subject", b"to", b"date"])
    return sig + data


def received(i):
    return (b"Received: from hop%d.example.net (hop%d.example.net [192.0.2.%d])\r\n"
            b"\tby hop%d.example.org (Postfix) with ESMTP id 4F%04dA\r\n"
            b"\tfor <bob@example.org>; Sat, 28 Nov 2026 06:%02d:00 +0000\r\n"
            % (i + 1, i + 1, 100 + i, i + 2, i, 50 + i))


def mask_second(m, name, keep=0):
    """m with the second header field called name (any case) renamed to X's,
    but for its first keep octets: what dup-headers mask must deliver"""
    hend = m.index(b"\r\n\r\n") + 2
    starts = [i for i in range(hend) if (i == 0 or m[i - 1:i] == b"\n") and
              m[i:i + len(name) + 1].lower() == name.lower() + b":"]
    i = starts[1]
    return m[:i + keep] + b"X" * (len(name) - keep) + m[i + len(name):]


def gen(out, keyfile):
    key = open(keyfile, "rb").read()
    files = {}
    files["plain"] = msg("plain")
    files["dkim1"] = sign(msg("dkim1"), key)
    m = msg("dkim3")
    for sel in (b"sel3", b"sel2", b"sel"):
        m = sign(m, key, sel)
    files["dkim3"] = b"".join(received(i) for i in range(10)) + m
    files["dup_from"] = msg("dup_from", b"From: Mallory <mallory@evil.example>\r\n")
    files["dup_from_fold"] = msg("dup_from_fold",
                                 b"From: \"Mallory, the CEO\"\r\n <mallory@evil.example>\r\n")
    files["dup_subject"] = msg("dup_subject", b"SUBJECT: pay this invoice now\r\n")
    seg = msg("dup_from_segments", b"From: Mallory <mallory@evil.example>\r\n")
    cut = seg.index(b"To: ")            # first From in segment 1, second in 2
    files["seg1"], files["seg2"] = seg[:cut], seg[cut:]
    files["seg.masked"] = mask_second(seg, b"From")
    for name in ("dup_from", "dup_from_fold"):
        files[name + ".masked"] = mask_second(files[name], b"From")
    for n in (990, 998, 999, 1200):
        pad = b"X-Long: " + b"%d" % n + b"a" * (n - 10 - len(b"%d" % n)) + b"\r\n"
        assert len(pad) == n
        files["hdr%d" % n] = msg("hdr%d" % n, pad)
    files["body1500"] = msg("body1500", body=BODY + b"c" * 1498 + b"\r\n" + b"end\r\n")
    # the second From split by a BDAT chunk boundary 2 octets into its name
    # (pipelined, and apart), and 4 octets in (right before the colon)
    for name, k in (("bdat_dup_pipe", 2), ("bdat_dup_apart", 2), ("bdat_dup_colon", 4)):
        m = msg(name, b"From: Mallory <mallory@evil.example>\r\n")
        files[name] = m
        files[name + ".cut"] = b"%d\n" % (m.index(b"From: Mallory") + k)
        # the name's head went before the BDAT command line: only its tail
        # after the boundary can be masked
        i = m.index(b"From: Mallory")
        if k < 4:
            files[name + ".masked"] = mask_second(m, b"From", k)
        else:
            # no octet of the name is left to mask: the colon after it is;
            # postfix then ends the header section before this line, no
            # longer a header field, with an empty line of its own
            files[name + ".masked"] = m[:i] + b"\r\n" + m[i:i + 4] + b"X" + m[i + 5:]
    for name in ("bdat_plain", "bdat_plain2", "bdat_zero", "bdat_after_bad"):
        files[name] = msg(name)
    files["data_dup"] = msg("data_dup", b"From: Mallory <mallory@evil.example>\r\n")
    files["data_smuggle"] = msg("data_smuggle", body=(
        b"smuggled end follows\n.\n"
        b"MAIL FROM:<forged@evil.example>\r\n"
        b"RCPT TO:<bob@example.org>\r\n"
        b"DATA\r\n"
        b"From: CEO <ceo@example.com>\r\n"
        b"Subject: forged data_smuggle\r\n"
        b"\r\n"
        b"forged text\r\n"))
    # 30 chunks, every chunk boundary inside a header line or a header name
    extra = b"".join(b"X-Filler-%02d: %s\r\n" % (i, b"f" * (20 + i)) for i in range(24))
    extra += b"References: <a@example.com>\r\n <b@example.com>\r\n <c@example.com>\r\n"
    extra += b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel;\r\n h=from:from:to;\r\n b=abc\r\n"
    m = msg("hdrs30", extra)
    files["hdrs30"] = m
    hend = m.index(b"\r\n\r\n")
    cuts = {m.index(b"From:") + 2,           # inside "From"
            m.index(b"\nTo:") + 2,          # inside "To"
            m.index(b"\nReferences:") + 12,  # between the name and its colon
            m.index(b"\r\n <b@") + 1,       # between CR and LF before a fold
            hend + 1,                        # CR | LF of the last header line
            hend + 3}                        # CR | LF of the empty line
    k = 1
    while len(cuts) < 29:
        c = hend * k // 29
        if m[c - 1:c] != b"\n":             # no cut on a line start
            cuts.add(c)
        k += 1
    files["hdrs30.cuts"] = (",".join(str(c) for c in sorted(cuts)) + "\n").encode()
    files["exim_dup"] = msg("exim_dup", b"From: Mallory <mallory@evil.example>\r\n")
    files["exim_dup.masked"] = mask_second(files["exim_dup"], b"From")
    files["exim_plain"] = msg("exim_plain")
    files["exim_unjudged"] = msg("exim_unjudged")
    files["exim_unjudged_reset"] = msg("exim_unjudged_reset")
    lines = b"".join(b"line %06d abcdefghijklmnopqrstuvwxyz 0123456789\r\n" % i for i in range(800))
    files["big"] = msg("big", body=BODY + lines)
    files["big_dup"] = msg("big_dup", b"From: Mallory <mallory@evil.example>\r\n", BODY + lines)
    # BDAT sizes: under message-max; 40 kB over it (exim: 2 chunks); a
    # 1200-octet header field over header-section-max
    files["exim_sized"] = msg("exim_sized")
    files["exim_big_max"] = msg("exim_big_max", body=BODY + lines)
    files["exim_hdr_max"] = msg("exim_hdr_max", b"".join(
        b"X-Filler-%02d: %s\r\n" % (i, b"h" * 46) for i in range(20)))
    files["exim_size_data"] = msg("exim_size_data", body=BODY + lines)
    files["exim_size_bdat"] = msg("exim_size_bdat")
    files["big_dup.masked"] = mask_second(files["big_dup"], b"From")
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


def verify(p, specs):
    import dkim

    def dnsfunc(name, timeout=5):
        return b"v=DKIM1; k=rsa; p=" + p.encode()

    ok = True
    for spec in specs:
        path, _, n = spec.partition(":")
        d = dkim.DKIM(open(path, "rb").read(), minkey=1024)
        for i in range(int(n or 1)):
            res = d.verify(idx=i, dnsfunc=dnsfunc)
            print("# dkim signature %d of %s: %s" % (i + 1, os.path.basename(path),
                                                     "pass" if res else "FAIL"))
            ok = ok and res
    return 0 if ok else 1
