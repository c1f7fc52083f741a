# SPDX-License-Identifier: GPL-2.0
"""The MIME messages of smtp_asa.sh, built with python's email package (a
real MIME writer, not ours), for msgtool.py mime DIR:

  mixed.eml   multipart/mixed: a text part (7bit), a multipart/alternative
              two deep (quoted-printable and 8bit), a base64 attachment whose
              name has spaces, one with a non-ASCII name (RFC 2231
              filename*=, folded), and a message/rfc822 part holding a
              message with a base64 attachment of its own;
  plain.eml   multipart/alternative of a 7bit and an 8bit part;
  qp.eml      one quoted-printable text part;
  exe.eml     a text part and "rapport \u00e9t\u00e9.exe", a non-ASCII name python
              writes as RFC 2231 filename*=utf-8''...%C3%A9...;
  long.eml    an attachment whose 300-octet name python writes in RFC 2231
              sections (filename*0=, filename*1=, ...);
  cjk.eml     a 255-octet non-ASCII .pdf name: 13 RFC 2231 sections;
  shuffled.eml  a name whose RFC 2231 sections come out of order
              (*0, *2, *1): readers sort them.

Each FILE gets FILE.enc: the transfer encodings python's own parser finds
in it (every part, nested messages included), "ENCODING COUNT" per line,
the oracle the gateway's counter is checked against; and FILE.names: the
attachment names python reads, one per line.
"""
import collections
import os
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

SMTP = policy.SMTP  # CRLF line ends, lines folded at 78


def base(subject):
    m = EmailMessage(policy=SMTP)
    m["From"] = "alice@example.com"
    m["To"] = "bob@example.org"
    m["Subject"] = subject
    m["Date"] = "Sun, 06 Dec 2026 12:00:00 +0000"
    m["Message-ID"] = "<%s@client.example.com>" % subject.replace(" ", ".")
    return m


def mixed():
    inner = base("inner message")
    inner.set_content("the forwarded text\n")
    inner.add_attachment(bytes(range(256)) * 4, maintype="application",
                         subtype="octet-stream", filename="inner data.bin")
    m = base("mime mixed")
    m.set_content("hello, see the attachments\n")
    alt = EmailMessage(policy=SMTP)
    alt.set_content("caf\u00e9 = cr\u00e8me " * 8 + "\n", cte="quoted-printable")
    alt.add_alternative("<p>caf\u00e9</p>\n", subtype="html", cte="8bit")
    m.add_attachment(alt)
    m.add_attachment(os.urandom(3000), maintype="application", subtype="pdf",
                     filename="quarterly report 2026.pdf")
    m.add_attachment(b"plain data\n" * 20, maintype="text", subtype="plain",
                     filename="r\u00e9sum\u00e9 of the year with a long name.txt")
    m.add_attachment(inner)
    return m


def plain():
    m = base("mime plain")
    m.set_content("seven bit text\n", cte="7bit")
    m.add_alternative("<p>na\u00efve</p>\n", subtype="html", cte="8bit")
    return m


def qp():
    m = base("mime qp")
    m.set_content("caf\u00e9 " * 30 + "\n", cte="quoted-printable")
    return m


def attached(subject, text, data, mtype, name):
    """a text part and one attachment of type mtype named name"""
    m = base(subject)
    m.set_content(text)
    maintype, subtype = mtype.split("/")
    m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m


def exe():
    return attached("mime exe", "the installer\n", b"MZ" + bytes(200),
                    "application/octet-stream", "rapport \u00e9t\u00e9.exe")


def long_name():
    return attached("mime long", "a long name\n", b"data\n", "text/plain", "n" * 296 + ".txt")


def cjk():
    return attached("mime cjk", "a long non-ASCII name\n", b"%PDF-1.4\n", "application/pdf",
                    "\u65e5" * 85 + ".pdf")


class Shuffled:
    """a message python did not write: sections *0, *2, *1 of one name"""

    def as_bytes(self):
        return ("From: Alice <alice@client.example.com>\r\nTo: bob@example.org\r\n"
                "Subject: mime shuffled\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
                "--b\r\nContent-Type: text/plain\r\n\r\nsee the file\r\n"
                "--b\r\nContent-Type: application/octet-stream\r\n"
                "Content-Disposition: attachment; filename*0=setup;\r\n"
                " filename*2=exe; filename*1=.\r\nContent-Transfer-Encoding: base64\r\n"
                "\r\nTVo=\r\n--b--\r\n").encode()


def python_reading(data):
    """python's own parser: the Content-Transfer-Encoding of every part
    (counted) and the file name of every part that has one"""
    msg = BytesParser(policy=policy.default).parsebytes(data)
    encs, names = collections.Counter(), []
    for part in msg.walk():
        if "Content-Transfer-Encoding" in part:
            encs[str(part["Content-Transfer-Encoding"]).strip().lower()] += 1
        if part.get_filename():
            names.append(part.get_filename())
    return encs, names


def gen(outdir):
    for name, build in (("mixed", mixed), ("plain", plain), ("qp", qp), ("exe", exe),
                        ("long", long_name), ("cjk", cjk), ("shuffled", Shuffled)):
        data = build().as_bytes()
        path = os.path.join(outdir, name + ".eml")
        with open(path, "wb") as f:
            f.write(data)
        with open(path + ".enc", "w") as f:
            encs, names = python_reading(data)
            for enc, n in sorted(encs.items()):
                f.write("%s %d\n" % (enc, n))
        with open(path + ".names", "w") as f:
            f.write("".join(n + "\n" for n in names))
    return 0
