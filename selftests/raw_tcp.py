# SPDX-License-Identifier: GPL-2.0
"""A TCP client in userspace over raw sockets, for tests that need packets a
socket cannot send: any sequence number, flags, urgent pointer, TTL, data on
a SYN, segments out of order, a second copy of a segment with other bytes,
ICMP errors quoting the connection.

The caller's namespace must keep its kernel from answering the server with
RSTs (the kernel knows no such connection): smtp_evasion.sh drops RSTs from
the source ports used here. IPv4 and IPv6; only the standard library, so
python starts fast under emulation.
"""
import socket
import struct
import threading
import time

FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


class RawTCP:
    """One connection from (src, sport) to (dst, dport)."""

    def __init__(self, src, dst, sport, dport=25, isn=0x10000000):
        self.v6 = ":" in dst
        self.src, self.dst, self.sport, self.dport = src, dst, sport, dport
        self.fam = socket.AF_INET6 if self.v6 else socket.AF_INET
        self.sa = socket.inet_pton(self.fam, src)
        self.da = socket.inet_pton(self.fam, dst)
        self.tx = socket.socket(self.fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.rx = socket.socket(self.fam, socket.SOCK_RAW, socket.IPPROTO_TCP)
        self.rx.settimeout(0.2)
        self.isn = isn & 0xffffffff
        self.snd_nxt = self.isn
        self.snd_una = self.isn
        self.irs = None
        self.rcv_nxt = None
        self.data = bytearray()		# what the server sent, in order
        self.ooo = {}
        self.reset = False
        self.fin = False
        self.ack_fin_once = False	# True: a resent FIN gets no ACK
        self.ip_id = 1
        self.cv = threading.Condition()
        self.stop = False
        self.thread = threading.Thread(target=self._rx_loop, daemon=True)
        self.thread.start()

    # ---- packets -------------------------------------------------------------

    def ip(self, proto, payload, ttl=64, ip_id=None):
        """An IPv4 or IPv6 header for PAYLOAD of protocol PROTO."""
        if self.v6:
            return struct.pack("!IHBB", 6 << 28, len(payload), proto, ttl) + self.sa + self.da + payload
        self.ip_id = (self.ip_id + 1) & 0xffff
        return struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(payload),
                           self.ip_id if ip_id is None else ip_id, 0, ttl, proto, 0) + \
            self.sa + self.da + payload

    def pseudo(self, proto, length, sa=None, da=None):
        sa, da = sa or self.sa, da or self.da
        if self.v6:
            return sa + da + struct.pack("!IxxxB", length, proto)
        return sa + da + struct.pack("!xBH", proto, length)

    def tcp(self, seq, ack, flags, payload=b"", urg=0, win=65535, sa=None, da=None,
            sport=None, dport=None):
        sport = self.sport if sport is None else sport
        dport = self.dport if dport is None else dport
        hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                          5 << 4, flags, win, 0, urg)
        c = csum(self.pseudo(6, len(hdr) + len(payload), sa, da) + hdr + payload)
        return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload

    def send_raw(self, pkt):
        self.tx.sendto(pkt, (self.dst, 0))

    def segment(self, seq, payload=b"", flags=PSH | ACK, urg=0, ttl=64):
        """Send one segment as is: nothing is remembered for retransmission."""
        ack = self.rcv_nxt if self.rcv_nxt is not None else 0
        if self.irs is None:
            flags &= ~ACK
            ack = 0
        self.send_raw(self.ip(6, self.tcp(seq, ack, flags, payload, urg), ttl))

    # ---- receiving -----------------------------------------------------------------

    def _rx_loop(self):
        while not self.stop:
            try:
                pkt, addr = self.rx.recvfrom(70000)
            except socket.timeout:
                continue
            except OSError:
                return
            if not self.v6:
                if pkt[12:16] != self.da or pkt[16:20] != self.sa:
                    continue
                pkt = pkt[(pkt[0] & 0xf) * 4:]
            elif socket.inet_pton(self.fam, addr[0]) != self.da:
                continue
            if len(pkt) < 20:
                continue
            sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", pkt[:14])
            if sport != self.dport or dport != self.sport:
                continue
            self._segment_in(seq, ack, flags, pkt[(off >> 4) * 4:])

    def _segment_in(self, seq, ack, flags, payload):
        with self.cv:
            if flags & RST:
                self.reset = True
                self.cv.notify_all()
                return
            if flags & ACK and ((ack - self.snd_una) & 0xffffffff) < 0x80000000:
                self.snd_una = ack
            if flags & SYN and self.irs is None:
                self.irs = seq
                self.rcv_nxt = (seq + 1) & 0xffffffff
                self.cv.notify_all()
                return
            if self.rcv_nxt is None:
                return
            if payload:
                self.ooo[seq] = payload
            while True:
                progressed = False
                for s, p in list(self.ooo.items()):
                    d = (self.rcv_nxt - s) & 0xffffffff
                    if d < 0x80000000:		# starts at or before rcv_nxt
                        del self.ooo[s]
                        if d < len(p):
                            self.data += p[d:]
                            self.rcv_nxt = (self.rcv_nxt + len(p) - d) & 0xffffffff
                            progressed = True
                if not progressed:
                    break
            new_fin = flags & FIN and seq + len(payload) == self.rcv_nxt
            if new_fin:
                self.rcv_nxt = (self.rcv_nxt + 1) & 0xffffffff
                self.fin = True
            self.cv.notify_all()
        if payload or (flags & FIN and (new_fin or not self.ack_fin_once)):
            self.segment(self.snd_nxt, flags=ACK)

    # ---- the connection -----------------------------------------------------------

    def connect(self, syn_data=b"", timeout=5.0):
        """Three-way handshake; SYN_DATA rides on the SYN (TCP Fast Open
        style). Returns True once the SYN-ACK came."""
        self.segment(self.isn, syn_data, SYN)
        with self.cv:
            self.cv.wait_for(lambda: self.irs is not None or self.reset, timeout)
        if self.irs is None:
            return False
        self.snd_nxt = (self.isn + 1) & 0xffffffff
        self.snd_una = max_seq(self.snd_una, self.snd_nxt)
        self.segment(self.snd_nxt, flags=ACK)
        return True

    def acked(self, end):
        return ((self.snd_una - end) & 0xffffffff) < 0x80000000

    def send(self, data, timeout=6.0):
        """Send DATA at snd_nxt and resend what is not acknowledged, as TCP
        does, until all of it is (True), or a RST or the timeout (False)."""
        start, end = self.snd_nxt, (self.snd_nxt + len(data)) & 0xffffffff
        self.snd_nxt = end
        return self.deliver(start, data, timeout)

    def deliver(self, start, data, timeout=6.0, first=True):
        """Make sure the server got DATA (stream bytes from sequence START)."""
        end = (start + len(data)) & 0xffffffff
        deadline = time.monotonic() + timeout
        delay = 0.3
        while True:
            with self.cv:
                if self.acked(end) or self.reset:
                    return not self.reset
                una = self.snd_una
            if first:
                first = False
            else:
                off = (una - start) & 0xffffffff
                off = 0 if off >= 0x80000000 else off
                if off < len(data):
                    self.segment((start + off) & 0xffffffff, data[off:])
            with self.cv:
                self.cv.wait_for(lambda: self.acked(end) or self.reset, delay)
            if time.monotonic() > deadline:
                return False
            delay = min(delay * 2, 1.5)

    def reply(self, timeout=8.0):
        """The next whole SMTP reply from the server: its code (a string),
        'reset', 'closed' or 'timeout'."""
        def whole():
            lines = self.data.split(b"\r\n")
            for i, line in enumerate(lines[:-1]):
                if len(line) >= 3 and (len(line) == 3 or line[3:4] == b" "):
                    return i
            return None
        with self.cv:
            self.cv.wait_for(lambda: whole() is not None or self.reset or self.fin, timeout)
            i = whole()
            if i is None:
                return "reset" if self.reset else "closed" if self.fin else "timeout"
            lines = self.data.split(b"\r\n")
            code = lines[i][:3].decode("ascii", "replace")
            consumed = sum(len(x) + 2 for x in lines[:i + 1])
            self.text = bytes(self.data[:consumed])
            del self.data[:consumed]
            return code

    def close(self):
        self.stop = True
        self.thread.join(1)
        self.tx.close()
        self.rx.close()


def max_seq(a, b):
    return b if ((b - a) & 0xffffffff) < 0x80000000 else a


def icmp_error(conn, quote_seq, quote_flags_byte):
    """From the client to the server, an ICMP (v6: ICMPv6) port unreachable
    that quotes a server-to-client segment of CONN. Read as a TCP header at
    the ICMP header's offset (as a helper that took it for one would), its
    sequence number is QUOTE_SEQ (the ICMP header's unused word) and its
    flags byte is QUOTE_FLAGS_BYTE (IPv4: the low byte of the quoted IP ID;
    IPv6: the low byte of the quoted payload length)."""
    inner_tcp = conn.tcp(conn.irs + 1 if conn.irs is not None else 1, conn.snd_nxt, ACK,
                         sa=conn.da, da=conn.sa, sport=conn.dport, dport=conn.sport)[:8]
    if conn.v6:
        plen = (len(inner_tcp) & 0xff00) | quote_flags_byte
        inner = struct.pack("!IHBB", 6 << 28, plen, 6, 60) + conn.da + conn.sa + inner_tcp
        body = struct.pack("!BBHI", 1, 4, 0, quote_seq) + inner
        c = csum(conn.pseudo(58, len(body)) + body)
        body = body[:2] + struct.pack("!H", c) + body[4:]
        conn.send_raw(conn.ip(58, body))
    else:
        ip_id = 0x1200 | quote_flags_byte
        inner = struct.pack("!BBHHHBBH", 0x45, 0, 20 + 40, ip_id, 0, 60, 6, 0) + conn.da + conn.sa
        inner = inner[:10] + struct.pack("!H", csum(inner)) + inner[12:] + inner_tcp
        body = struct.pack("!BBHI", 3, 3, 0, quote_seq) + inner
        body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
        conn.send_raw(conn.ip(1, body))
