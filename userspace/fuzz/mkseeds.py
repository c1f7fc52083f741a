#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpus of fuzz_parser (input format: see fuzz_parser.c).

    mkseeds.py [DIR]        (default: corpus/ next to this script)

Every seed is a small SMTP transcript: option bytes, then segments of
(header byte: direction bit + length class, data).  The output is
deterministic; crash reproducers found by the fuzzer are kept in the same
directory under names starting with "crash-" and are not touched here.
"""
import os
import sys

CLIENT, SERVER = 0, 1

# enum smtp_verb
VERBS = ["UNKNOWN", "AUTH", "BDAT", "DATA", "EHLO", "ETRN", "EXPN", "HELO",
         "HELP", "MAIL", "NOOP", "QUIT", "RCPT", "RSET", "STARTTLS", "VRFY"]


def C(s):
    return (CLIENT, s.encode("latin-1") if isinstance(s, str) else s)


def S(s):
    return (SERVER, s.encode("latin-1") if isinstance(s, str) else s)


def limit_byte(v):
    """Encode a line limit (0 = RFC default)."""
    if v < 128:
        return v
    if 1016 <= v < 1032:
        return 224 + v - 1016
    if 8184 <= v < 8200:
        return 240 + v - 8184
    return min(223, 127 + v // 64)


def encode(segs, pickup=False, mask=(), limits=(0, 0, 0, 0), sizes=(), flags=0):
    """flags: the option bits of byte 0 above pickup (8: a mime-filetype set)"""
    assert len(sizes) < 16
    m = 0
    for v in mask:
        m |= 1 << VERBS.index(v)
    out = bytearray([(1 if pickup else 0) | flags | (len(sizes) << 4),
                     m & 0xff, m >> 8])
    out += bytes(limit_byte(v) for v in limits)
    out += bytes(s & 0xff for s in sizes)
    for d, data in segs:
        while data:
            part, data = data[:65535], data[65535:]
            n = len(part)
            dbit = 0x80 if d == SERVER else 0
            if n < 0x7e:
                out += bytes([dbit | n])
            elif n < 126 + 256:
                out += bytes([dbit | 0x7e, n - 126])
            else:
                out += bytes([dbit | 0x7f, n & 0xff, n >> 8])
            out += part
    return bytes(out)


GREET = S("220 mx.example.org ESMTP\r\n")
EHLO = C("EHLO client.example.com\r\n")
EHLO_R = S("250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
           "250-CHUNKING\r\n250-8BITMIME\r\n250-STARTTLS\r\n"
           "250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n"
           "250-SMTPUTF8\r\n250-DSN\r\n250-BINARYMIME\r\n250-X-FOO=bar\r\n"
           "250 ETRN\r\n")
ENV = [C("MAIL FROM:<a@example.com>\r\n"), S("250 2.1.0 Ok\r\n"),
       C("RCPT TO:<b@example.org>\r\n"), S("250 2.1.5 Ok\r\n")]
HDRS = ("From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n"
        "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@x>\r\n")


def session(body, pre=(), post=()):
    return ([GREET, EHLO, EHLO_R] + list(pre) + ENV +
            [C("DATA\r\n"), S("354 go ahead\r\n"), C(body),
             S("250 2.0.0 queued\r\n")] + list(post) +
            [C("QUIT\r\n"), S("221 bye\r\n")])


def bdat_session(client, replies):
    return [GREET, EHLO, EHLO_R] + ENV + [C(client), S(replies),
                                         C("QUIT\r\n"), S("221 bye\r\n")]


SEEDS = {}


def seed(name, segs, **kw):
    SEEDS[name] = encode(segs, **kw)


# full sessions
seed("full_session", session(HDRS + "\r\nhello\r\n.\r\n"))
seed("helo_session", [GREET, C("HELO c\r\n"), S("250 mx\r\n")] + ENV +
     [C("DATA\r\n"), S("354 go\r\n"), C("Subject: x\r\n\r\nbody\r\n.\r\n"),
      S("250 ok\r\n"), C("RSET\r\n"), S("250 ok\r\n"), C("NOOP\r\n"),
      S("250 ok\r\n"), C("VRFY bob\r\n"), S("252 maybe\r\n"),
      C("EXPN list\r\n"), S("550 no\r\n"), C("HELP\r\n"),
      S("214-help\r\n214 end\r\n"), C("ETRN example.org\r\n"),
      S("250 queued\r\n"), C("QUIT\r\n"), S("221 bye\r\n")])
seed("two_messages", session(HDRS + "\r\none\r\n.\r\n",
                             post=ENV + [C("DATA\r\n"), S("354 go\r\n"),
                                         C(HDRS + "\r\ntwo\r\n.\r\n"),
                                         S("250 ok\r\n")]))
seed("lowercase_verbs", [GREET, C("ehlo c\r\n"), S("250 mx\r\n"),
                         C("mail from:<a>\r\n"), S("250 ok\r\n"),
                         C("rcpt to:<b>\r\n"), S("250 ok\r\n"),
                         C("data\r\n"), S("354 go\r\n"),
                         C("from: x\r\n\r\nb\r\n.\r\n"), S("250 ok\r\n")])
seed("rejected_rcpt_data", [GREET, EHLO, S("250 mx\r\n"),
                            C("MAIL FROM:<a>\r\n"), S("250 ok\r\n"),
                            C("RCPT TO:<b>\r\n"), S("550 no such user\r\n"),
                            C("DATA\r\n"), S("554 no valid recipients\r\n"),
                            C("QUIT\r\n"), S("221 bye\r\n")])
seed("multiline_replies", [S("220-mx.example.org ESMTP\r\n220-more\r\n220 last\r\n"),
                           EHLO, EHLO_R, C("MAIL FROM:<a>\r\n"),
                           S("250-ok\r\n250-really\r\n250 ok\r\n")])
# pipelining
seed("pipelining", [GREET, EHLO, EHLO_R,
                    C("MAIL FROM:<a>\r\nRCPT TO:<b>\r\nRCPT TO:<c>\r\n"
                      "RCPT TO:<d>\r\nDATA\r\n"),
                    S("250 ok\r\n250 ok\r\n250 ok\r\n550 no\r\n354 go\r\n"),
                    C(HDRS + "\r\nbody\r\n.\r\n"), S("250 ok\r\n"),
                    C("RSET\r\nMAIL FROM:<x>\r\nRCPT TO:<y>\r\nQUIT\r\n"),
                    S("250 ok\r\n250 ok\r\n250 ok\r\n221 bye\r\n")])
seed("pipelining_queue_full", [GREET, EHLO, EHLO_R,
                               C("NOOP\r\nRSET\r\nNOOP\r\nRSET\r\nNOOP\r\nHELP\r\n"),
                               S("250 ok\r\n" * 6)])
seed("data_pipelined", [GREET, EHLO, EHLO_R] + ENV +
     [C("DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n"),
      S("354 go\r\n250 ok\r\n")])
seed("reply_unexpected", [GREET, S("250 what\r\n"), EHLO, S("250 mx\r\n"),
                          S("bogus reply\r\n"), C("NOOP\r\n"), S("250 ok\r\n")])
# EHLO replies
seed("ehlo_keywords", [GREET, EHLO, EHLO_R, C("QUIT\r\n"), S("221 bye\r\n")])
seed("ehlo_weird", [GREET, EHLO,
                    S("250-mx\r\n250-size\r\n250-AUTH=LOGIN\r\n250-\r\n"
                      "250-STARTTLSX\r\n250-PIPE\r\n250 STARTTLS\r\n")])
# STARTTLS
seed("starttls", [GREET, EHLO, EHLO_R, C("STARTTLS\r\n"),
                  S("220 2.0.0 ready\r\n"),
                  C(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 MAIL FROM:<x>\r\n"),
                  S(b"\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03\r\n")])
seed("starttls_injection", [GREET, EHLO, EHLO_R,
                            C("STARTTLS\r\nMAIL FROM:<evil>\r\n"),
                            S("220 ready\r\n"), C(b"\x16\x03\x01\x00\x05hello")])
seed("starttls_response_injection", [GREET, EHLO, EHLO_R, C("STARTTLS\r\n"),
                                     S("220 ready\r\n250 injected\r\n"),
                                     C(b"\x16\x03\x01\x00\x05hello")])
seed("starttls_refused", [GREET, EHLO, EHLO_R, C("STARTTLS\r\n"),
                          S("454 TLS not available\r\n")] + ENV)
# AUTH
seed("auth_login", [GREET, EHLO, EHLO_R, C("AUTH LOGIN\r\n"),
                    S("334 VXNlcm5hbWU6\r\n"), C("dXNlcg==\r\n"),
                    S("334 UGFzc3dvcmQ6\r\n"), C("cGFzcw==\r\n"),
                    S("235 2.7.0 ok\r\n")] + ENV)
seed("auth_plain_cancel", [GREET, EHLO, EHLO_R, C("AUTH PLAIN\r\n"),
                           S("334 \r\n"), C("*\r\n"), S("501 cancelled\r\n"),
                           C("AUTH PLAIN AHUAcA==\r\n"), S("535 bad\r\n")])
# DATA
seed("data_headers", session(
    "Received: from a by b; Mon, 1 Jan 2024\r\n\tfolded continuation\r\n"
    "Resent-From: x\r\nResent-Date: y\r\nReply-To: r\r\nIn-Reply-To: <i>\r\n"
    "References: <r>\r\nSender: s\r\nCc: c\r\nBcc: b\r\nX-Mailer: m\r\n"
    "Subject : spaced\r\nnot a header line\r\n\r\nbody\r\n.\r\n"))
seed("data_dup_headers", session(
    "From: a\r\nFrom: b\r\nSubject: 1\r\nsubject: 2\r\nTo: x\r\nTO: y\r\n"
    "Message-ID: <1>\r\nMessage-Id: <2>\r\nDate: d\r\nDate: e\r\n\r\nb\r\n.\r\n"))
seed("data_dot_stuffing", session(
    HDRS + "\r\n..leading dot\r\n..x\r\n...\r\n. \r\nend\r\n.\r\n"))
seed("data_long_lines", session(HDRS + "X-Long: " + "h" * 1200 + "\r\n\r\n" +
                                "b" * 1100 + "\r\n" + "c" * 9000 + "\r\n.\r\n"),
     limits=(0, 1023, 8191, 8192))
seed("long_reply", [GREET, C("NOOP\r\n"), S("250 " + "r" * 1100 + "\r\n"),
                    C("HELP " + "a" * 600 + "\r\n"),
                    S("214-" + "h" * 530 + "\r\n214 end\r\n")],
     limits=(0, 1023, 0, 0))
seed("data_small_limits", session(HDRS + "\r\n" + "x" * 100 + "\r\n.\r\n",
                                  pre=[C("NOOP " + "a" * 40 + "\r\n"),
                                       S("250 " + "b" * 40 + "\r\n")]),
     limits=(20, 20, 30, 30))
seed("data_fast_path", session(
    "Subject: x\r\n\r\n" + ("t\tab\x0b\x0c\x01 line of text, long enough to scan by words\r\n"
                            "\r\n\r\n" + "w" * 40 + "\r\n\r\n..stuffed\r\n\r\n\r") * 3 +
    "\n\r\n\x00x\r\n\r\n\r\n.\r\n"), sizes=(17, 3, 64, 1))
seed("data_nul_8bit", session("Subject: \xe9t\xe9\r\n\r\nb\x00dy \xff\xfe\r\n\x00.\r\n.\r\n"))
seed("data_bare_lf_body", session("Subject: x\n\nline\nline2\r\n.\r\n"))
seed("data_mime_parts", session(
    "Content-Type: multipart/mixed; boundary=b\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    "--b\r\nContent-Type: message/rfc822\r\n\r\nContent-Transfer-Encoding:\r\n (c) base64\r\n"
    "\r\nQUFB\r\n-- \r\n.Content-Transfer-Encoding: ((x)) quoted-printable\n\n"
    "--b\r\ncontent-type: text/plain\r\nContent-Transfer-Encoding: \"binary\"\r\n\r\n"
    "x\r\n--b--\r\n.\r\n"), sizes=(7, 1, 30, 2))
seed("data_mime_names", session(
    "Content-Type: application/x; name=\"=?utf-8?B?ZXZpbC4=?= =?utf-8?Q?ex=65?=\"\r\n"
    "Content-Disposition: attachment; (c) filename*0*=utf-8''a%2E; filename*1=\"js. \"\r\n"
    "\r\n--b\r\nContent-Disposition: inline;\r\n filename=\"a\\\"b.scr.\";"
    " name=x.7z\r\n\r\n.\r\n"), sizes=(5, 3, 11), flags=8)
seed("data_mime_sections", session(
    "Content-Disposition: attachment; filename*0=a; filename*2=exe; filename*1=.;\r\n"
    " name*0=b; filename*01=c; name*30=d; name*31=e; filename*0*=x''%2E\r\n"
    "\r\n.\r\n"), sizes=(7, 2, 13), flags=8)
# smuggling sequences
for name, seq in [("lf_dot_lf", "\n.\n"), ("lf_dot_crlf", "\n.\r\n"),
                  ("crlf_dot_lf", "\r\n.\n"), ("cr_dot_cr", "\r.\r"),
                  ("cr_dot_crlf", "\r.\r\n"), ("crlf_dot_cr", "\r\n.\r"),
                  ("crlf_dot_cr_x", "\r\n.\rX"), ("nul_dot", "\r\n\x00.\r\n")]:
    seed("smuggle_" + name, session(
        HDRS + "\r\nbody" + seq + "MAIL FROM:<evil>\r\nRCPT TO:<v>\r\n"
        "DATA\r\n\r\nsmuggled\r\n.\r\n"))
# BDAT
seed("bdat_chunks", bdat_session(
    "BDAT 40\r\nFrom: a@example.com\r\nSubject: hi\r\n\r\nbo"
    "BDAT 6 LAST\r\ndy\r\n\r\n", "250 ok\r\n250 ok\r\n"))
seed("bdat_last_only", bdat_session(
    "BDAT 25 LAST\r\nSubject: x\r\n\r\nbody\r\nxx", "250 ok\r\n"))
seed("bdat_zero_last", bdat_session(
    "BDAT 13\r\nSubject: x\r\n\r\nBDAT 0 LAST\r\n", "250 ok\r\n250 ok\r\n"))
seed("bdat_split_header", bdat_session(
    "BDAT 5\r\nSubjeBDAT 11 last\r\nct: x\r\n\r\nbb",
    "250 ok\r\n250 ok\r\n"))
seed("bdat_huge", bdat_session("BDAT 99999999999999999999\r\nxxxx\r\n",
                               "552 too big\r\n"))
seed("bdat_max32", bdat_session("BDAT 4294967294\r\nxxxx", ""))
seed("bdat_negative", bdat_session("BDAT -5\r\nNOOP\r\n", "501 bad\r\n250 ok\r\n"))
seed("bdat_junk", bdat_session("BDAT 12abc\r\nBDAT\r\nBDAT 5 LASTX\r\n"
                               "BDAT 5 LAST junk\r\nBDAT  7\t\r\n1234567",
                               "501 a\r\n501 b\r\n501 c\r\n501 d\r\n250 ok\r\n"))
seed("bdat_then_data", bdat_session(
    "BDAT 10\r\nSubject: BDAT 1\r\nxDATA\r\n", "250 ok\r\n250 ok\r\n503 no\r\n"))
seed("bdat_nul_binary", bdat_session(
    "BDAT 8 LAST\r\n\x00\x01\r\n\x00.\r\n", "250 ok\r\n"))
# pickup
seed("pickup_mid_data", [C("ly is the rest of a body line\r\nmore\r\n.\r\n"),
                         S("250 2.0.0 queued\r\n"), C("MAIL FROM:<a>\r\n"),
                         S("250 ok\r\n"), C("QUIT\r\n"), S("221 bye\r\n")],
     pickup=True)
seed("pickup_mid_command", [C("M FROM:<a>\r\nRCPT TO:<b>\r\n"),
                            S(" ok\r\n250 ok\r\n"), C("DATA\r\n"),
                            S("354 go\r\n"), C("Subject: x\r\n\r\nb\r\n.\r\n"),
                            S("250 ok\r\n")], pickup=True)
seed("pickup_in_bdat", [C("xxxxxxxx\r\nBDAT 3 LAST\r\nabc"), S("250 ok\r\n"),
                        C("NOOP\r\n"), S("250 ok\r\n")], pickup=True)
# masked verbs
seed("masked_bdat_data", bdat_session("BDAT 4\r\nabcdDATA\r\n",
                                      "250 ok\r\n354 go\r\n"),
     mask=("BDAT", "STARTTLS"))
seed("masked_starttls", [GREET, EHLO, EHLO_R, C("STARTTLS\r\n"),
                         S("500 unknown\r\n"), C("NOOP\r\n"), S("250 ok\r\n")],
     mask=("STARTTLS",))
# chunk sizes from the input
# RCPTs to a relay name past 127 octets (fuzz_parser.c's FUZZ_LONG_NAME), and off it
LONG = "a" * 63 + "." + "a" * 63 + "." + "a" * 10
seed("relay_long_name", [GREET, C("MAIL FROM:<x@evil.test>\r\n"), S("250 ok\r\n"),
                         C("RCPT TO:<a@" + LONG + ".example>\r\nRCPT TO:<a@" + LONG +
                           ".evil> SIZE=5\r\n"), S("250 ok\r\n550 no\r\n")],
     flags=2)
# SIZE= kept to the message (the fuzzer's size excess: the text line limit)
seed("size_declared", [GREET, EHLO, EHLO_R,
                       C("MAIL FROM:<a@example.com> SIZE=40 BODY=8BITMIME\r\n"
                         "RCPT TO:<b@example.org>\r\nDATA\r\n"),
                       S("250 ok\r\n250 ok\r\n354 go\r\n"),
                       C(HDRS + "\r\n..dot\r\n" + "x" * 60 + "\r\n.\r\n"),
                       S("250 2.0.0 queued\r\n"),
                       C("MAIL FROM:<a@example.com> SIZE=12x\r\nRSET\r\n"
                         "MAIL FROM:<> size=9\r\nRCPT TO:<b@example.org>\r\nNOOP\r\n"),
                       S("501 bad\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n"),
                       C("QUIT\r\n"), S("221 bye\r\n")],
     limits=(0, 0, 20, 0))
seed("sized_chunks", session(HDRS + "\r\nbody\r\n.\r\n"),
     sizes=(1, 2, 3, 5, 8, 13, 21))
# garbage
seed("garbage_binary", [C(bytes(range(256))), S(bytes(range(255, -1, -1)))])
seed("garbage_server_first", [S("hello\r\n"), C("\r\n\r\n\n\r"), S("2\r\n25\n")])
seed("empty_lines", [GREET, C("\r\n\r\n \r\n"), S("500 what\r\n500 what\r\n500 what\r\n")])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(SEEDS)} seeds in {out}")


if __name__ == "__main__":
    main()
