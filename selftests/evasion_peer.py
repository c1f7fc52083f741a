#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Packet-level evasion attempts against an SMTP server behind the gateway,
for smtp_evasion.sh. Each CASE opens one connection with raw_tcp.RawTCP,
does its trick and then sends a probe command (STARTTLS or VRFY) that an
enforcing profile forbids; it prints what the server answered:

  evasion_peer.py CASE --src ADDR --server ADDR --sport N [--mark M]
  evasion_peer.py list

Output: "probe=CODE" (the server's reply code to the probe; 220 to STARTTLS
or 252 to VRFY means the server acted on it), or probe=reset / closed /
timeout; other key=value lines per case. Exit 0 when the case ran to the
probe, 1 when the setup failed (no connection, no greeting).
"""
import argparse
import sys
import time

from raw_tcp import ACK, FIN, PSH, RawTCP, SYN, URG, icmp_error

HELO = b"HELO client.example.com\r\n"  # mailguard allows no EHLO
STARTTLS = b"STARTTLS\r\n"


def open_session(c, ehlo=True):
    if not c.connect():
        return False
    if c.reply() != "220":
        return False
    if ehlo:
        if not c.send(HELO) or c.reply() != "250":
            return False
    return True


def open_data(c):
    """a session in DATA: message text comes next"""
    if not open_session(c):
        return False
    for cmd, want in ((b"MAIL FROM:<alice@example.com>\r\n", "250"),
                      (b"RCPT TO:<bob@example.org>\r\n", "250"), (b"DATA\r\n", "354")):
        if not c.send(cmd) or c.reply() != want:
            return False
    return True


def resend_other(c, a, doomed, resent):
    """DOOMED is sent with a TTL that dies after the gateway, then RESENT in
    its place (the stream goes on after RESENT): True once the server has it"""
    seq = c.snd_nxt
    c.segment(seq, doomed, ttl=a.doomed_ttl)
    time.sleep(0.3)
    c.snd_nxt = (seq + len(resent)) & 0xffffffff
    return c.deliver(seq, resent)


def probe(c, cmd=STARTTLS):
    if not c.send(cmd):
        return "reset" if c.reset else "timeout"
    return c.reply()


# ---- the cases ------------------------------------------------------------------------

def case_icmp(c, a):
    """ICMP error quoting the connection, read as a SYN at a far sequence"""
    if not open_session(c):
        return None
    icmp_error(c, (c.snd_nxt + 1000000) & 0xffffffff, SYN)
    time.sleep(0.3)
    return probe(c)


def case_stray_syn(c, a):
    """a SYN inside the established connection, at a far sequence"""
    if not open_session(c):
        return None
    c.segment((c.snd_nxt + 1000000) & 0xffffffff, flags=SYN)
    time.sleep(0.3)
    return probe(c)


def case_isn_wrap(c, a):
    """the client's ISN is 2^32 - 1: its first data byte has sequence 0"""
    if not open_session(c):
        return None
    return probe(c)


def case_syn_data(c, a):
    """VRFY on the SYN (TCP Fast Open); a server without TFO takes the SYN
    only and the client sends the data again, as Linux does; a dropped SYN
    is resent without data"""
    data = b"VRFY postmaster\r\n"
    if not c.connect(syn_data=data, timeout=1.5):
        print("syn_data=dropped")
        c.stop = True
        c2 = RawTCP(a.src, a.server, a.sport + 1, isn=0x20000000)
        if not c2.connect():
            return None
        c = c2
        a.conn = c2
    if c.reply() != "220":
        return None
    if not c.acked((c.isn + 1 + len(data)) & 0xffffffff):
        c.deliver((c.isn + 1) & 0xffffffff, data)	# the server took the SYN only
    c.snd_nxt = (c.isn + 1 + len(data)) & 0xffffffff
    return c.reply()


def case_urgent(c, a):
    """STARTTLSX with the X urgent: a receiver without SO_OOBINLINE reads STARTTLS"""
    if not open_session(c):
        return None
    seq = c.snd_nxt
    c.segment(seq, b"STARTTLSX", PSH | ACK | URG, urg=9)
    c.snd_nxt = (seq + 9) & 0xffffffff
    if not c.deliver(seq, b"STARTTLSX", first=False):
        return "reset" if c.reset else "timeout"
    return probe(c, b"\r\n")


def case_reorder(c, a):
    """TTLS\\r\\n first, then STAR: the server puts them in order"""
    if not open_session(c):
        return None
    seq = c.snd_nxt
    c.segment((seq + 4) & 0xffffffff, b"TTLS\r\n")
    time.sleep(0.2)
    c.segment(seq, b"STAR")
    c.snd_nxt = (seq + 10) & 0xffffffff
    if not c.deliver(seq, STARTTLS, first=False):
        return "reset" if c.reset else "timeout"
    return c.reply()


def case_retrans(c, a):
    """NOOP bob sent with a TTL that dies after the gateway, then VRFY bob
    in its place: the helper saw NOOP, the server gets VRFY"""
    if not open_session(c):
        return None
    if not resend_other(c, a, b"NOOP bob\r\n", b"VRFY bob\r\n"):
        return "reset" if c.reset else "timeout"
    return c.reply()


def open_mail(c):
    """a session and a transaction: MAIL FROM accepted"""
    return open_session(c) and c.send(b"MAIL FROM:<alice@example.com>\r\n") and \
        c.reply() == "250"


def rcpt_resent(c, a, doomed, resent):
    """A transaction whose RCPT line DOOMED is sent with a TTL that dies
    after the gateway, then RESENT in its place: the helper judged the first
    copy, the server gets the second; its reply"""
    if not open_mail(c):
        return None
    if not resend_other(c, a, doomed, resent):
        return "reset" if c.reset else "timeout"
    return c.reply()


def case_retrans_path(c, a):
    """an ordinary address, then the same line with a pipe in it"""
    return rcpt_resent(c, a, b"RCPT TO:<bob.x@example.org>\r\n",
                       b"RCPT TO:<bob|x@example.org>\r\n")


def case_retrans_relay(c, a):
    """a domain the gateway relays to, then another domain (mail-relay)"""
    return rcpt_resent(c, a, b"RCPT TO:<bob@example.org>\r\n",
                       b"RCPT TO:<bob@relayed.xyz>\r\n")


def resent_in_two(c, a, line, cut):
    """LINE sent with a TTL that dies after the gateway, then resent in two
    pieces cut at CUT, the second delivered: the server's reply"""
    seq = c.snd_nxt
    c.segment(seq, line, ttl=a.doomed_ttl)
    time.sleep(0.3)
    c.segment(seq, line[:cut])
    time.sleep(0.2)
    c.snd_nxt = (seq + len(line)) & 0xffffffff
    if not c.deliver((seq + cut) & 0xffffffff, line[cut:]):
        return "reset" if c.reset else "timeout"
    return c.reply()


def case_retrans_relay_split(c, a):
    """RCPT TO another domain (mail-relay masks its verb) dies after the
    gateway, then comes again in two pieces: the first holds the verb, the
    second the end of the line that decides"""
    if not open_mail(c):
        return None
    return resent_in_two(c, a, b"RCPT TO:<bob@relayed.xyz>\r\n", 12)


def case_retrans_split(c, a):
    """STARTTLS sent with a TTL that dies after the gateway, then resent in
    two pieces, STAR and TTLS\r\n: neither piece alone holds the verb"""
    if not open_session(c):
        return None
    return resent_in_two(c, a, STARTTLS, 4)


def case_retrans_eod(c, a):
    """in DATA, a line that dies after the gateway, then ".\\r\\n" and QUIT in
    its place: the server ends the message the helper still reads"""
    if not open_data(c) or not c.send(b"Subject: evasion retrans\r\n\r\nhello\r\n"):
        return None
    if not resend_other(c, a, b"Xyz\r\n", b".\r\nQUIT\r\n"):
        return "reset" if c.reset else "timeout"
    return c.reply()


def case_retrans_eod_lost(c, a):
    """in DATA, the end of data ".\\r\\n" dies after the gateway, then
    "X\\r\\n" in its place: the server reads on in message text that the
    helper takes for commands; the probe is a second end of data"""
    if not open_data(c) or not c.send(b"Subject: evasion end of data lost\r\n\r\nhello\r\n"):
        return None
    if not resend_other(c, a, b".\r\n", b"X\r\n"):
        return "reset" if c.reset else "timeout"
    return probe(c, b".\r\n")


def case_dead(c, a):
    """VRFY makes the gateway reset the connection; the client ignores the
    RST and goes on: nothing of it may reach the server"""
    if not open_session(c):
        return None
    code = probe(c, b"VRFY bob\r\n")
    time.sleep(0.3)
    seq = c.snd_nxt
    for i in range(3):
        c.segment(seq, b"NOOP ZZAFTERZZ\r\n")
        time.sleep(0.3)
    return code


def case_flood(c, a):
    """one segment of message text with 300 non-canonical ends of data"""
    if not open_data(c):
        return None
    c.send(b"Subject: flood\r\n\r\nx" + b"\n.\nx" * 300 + b"\r\n.\r\n")
    time.sleep(0.5)
    return "sent"


def case_reopen(c, a):
    """a new connection on the ports of one whose entry is left in LAST_ACK:
    the server closes first, its last ACK never reaches the gateway (the
    caller drops it in the server's namespace), and the client connects
    again from the same port with a later ISN. A FIN the server resends
    (its RTO can beat our ACK on a slow machine) gets no second ACK: one
    from the client after both FINs would move the entry to TIME_WAIT"""
    c.ack_fin_once = True
    if not open_session(c):
        return None
    if not c.send(b"QUIT\r\n") or c.reply() != "221":
        return None
    with c.cv:
        c.cv.wait_for(lambda: c.fin or c.reset, 8.0)
    if not c.fin:
        return None
    c.segment(c.snd_nxt, flags=FIN | ACK)
    time.sleep(0.5)
    isn = (c.isn + 0x20000000) & 0xffffffff
    c.close()
    a.conn = c = RawTCP(a.src, a.server, a.sport, isn=isn)
    if not open_session(c):
        return None
    return probe(c)


CASES = {
    "icmp": case_icmp, "stray-syn": case_stray_syn, "isn-wrap": case_isn_wrap,
    "syn-data": case_syn_data, "urgent": case_urgent, "reorder": case_reorder,
    "retrans": case_retrans, "retrans-path": case_retrans_path,
    "retrans-relay": case_retrans_relay, "retrans-relay-split": case_retrans_relay_split,
    "retrans-split": case_retrans_split,
    "retrans-eod": case_retrans_eod, "retrans-eod-lost": case_retrans_eod_lost,
    "dead": case_dead,
    "flood": case_flood, "reopen": case_reopen,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--src")
    ap.add_argument("--server")
    ap.add_argument("--sport", type=int, default=40000)
    ap.add_argument("--doomed-ttl", type=int, default=33)
    a = ap.parse_args()
    if a.case == "list":
        print(" ".join(CASES))
        return 0
    isn = 0xffffffff if a.case == "isn-wrap" else 0x10000000 + a.sport * 7919
    c = RawTCP(a.src, a.server, a.sport, isn=isn)
    a.conn = c
    try:
        res = CASES[a.case](c, a)
    finally:
        a.conn.close()
    if res is None:
        print("setup=failed")
        return 1
    print("probe=%s" % res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
