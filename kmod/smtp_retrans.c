// SPDX-License-Identifier: GPL-2.0
/*
 * Retransmissions: a segment that carries bytes the parser saw before.  The
 * far end may take these bytes instead of the first copy (which may have
 * died after the gateway), so they are judged again, line by line, with
 * the rules a line alone decides: verbs, EHLO keywords, the banner, and in
 * message text the end-of-data line.  Client lines are read by the parser
 * itself (a scratch state per line) and their verbs judged by the first
 * pass's own decision, so the two cannot disagree on a byte.  The parser's
 * state has moved on, so
 * rewrites that need more context (a duplicate header, an RCPT over the
 * limit) cannot be redone: a retransmission that still carries one resets
 * the connection rather than let the original bytes through.
 */
#define pr_fmt(fmt) "nf_conntrack_smtp: " fmt

#include <linux/kernel.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <net/netfilter/nf_conntrack.h>

#include "smtp_fixup.h"

static unsigned int token_len(const u8 *s, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if (smtp_is_blank(s[i]) || s[i] == '\n' || s[i] == '=')
			break;
	return i;
}

/*
 * TCP resends in pieces of its own choosing (one MSS after a timeout, the
 * last MSS as a tail loss probe), so a retransmission may begin or end inside
 * an EHLO keyword that the first copy carried, and masked, whole.  Is
 * s[0, len) the end (suffix) or the start of a keyword the profile masks?  A
 * piece of no known keyword may be one of an unknown keyword.
 */
static bool kw_piece_masked(const struct smtp_profile *prof, const u8 *s,
			    unsigned int len, bool suffix)
{
	bool known = false;
	unsigned int kw, n;

	for (kw = 0; kw < SMTP_KW_OTHER; kw++) {
		const char *name = smtp_kw_name(kw);

		n = strlen(name);
		if (len > n ||
		    strncasecmp(suffix ? name + n - len : name, (const char *)s, len))
			continue;
		if (smtp_kw_masked(prof, kw))
			return true;
		known = true;
	}
	return !known && smtp_kw_masked(prof, SMTP_KW_OTHER);
}

/*
 * The keyword at l[at, text) of a 250 line; cut: the bytes end in it.  On a
 * line that may be a reply's first (its text is the server's name, or a
 * status), only a known keyword is one.
 */
static void rescan_keyword(struct smtp_pkt *pk, u32 off, const u8 *l,
			   unsigned int at, unsigned int text, bool cut, bool first)
{
	unsigned int k = token_len(l + at, text - at), kw;
	bool piece = cut && at + k == text;

	if (!k)
		return;
	if (piece) {
		if (!kw_piece_masked(pk->prof, l + at, k, false))
			return;
	} else {
		kw = smtp_kw_lookup(l + at, k);
		if ((first && kw >= SMTP_KW_OTHER) || !smtp_kw_masked(pk->prof, kw))
			return;
	}
	pk->chunk_off = off;
	smtp_add_rewrite(pk, at, k, piece ? SMTP_FILL_X : SMTP_FILL_XA, false);
}

/* l[0, text) can be a whole reply line: a code, then SP, '-' or nothing */
static bool reply_line(const u8 *l, unsigned int text)
{
	unsigned int i;

	if (text < 3)
		return false;
	for (i = 0; i < 3; i++)
		if (l[i] < '0' || l[i] > '9')
			return false;
	return text == 3 || l[3] == ' ' || l[3] == '-';
}

/*
 * One line of bytes seen before, from the server: mask as the first copy was.
 * first: the line opens the bytes, which may start inside a line; cut: the
 * bytes end inside it; cont: the line before it in the bytes was a "250-".
 */
static void rescan_reply_line(struct smtp_pkt *pk, u32 off, const u8 *l,
			      unsigned int len, bool first, bool cut, bool cont)
{
	unsigned int text = len, k, i = 0;

	while (text && (l[text - 1] == '\r' || l[text - 1] == '\n'))
		text--;
	if (first && !reply_line(l, text)) {
		/* the rest of a line: of its code, or of a keyword */
		while (i < 2 && i < text && l[i] >= '0' && l[i] <= '9')
			i++;
		if (i < text && (l[i] == ' ' || l[i] == '-')) {
			rescan_keyword(pk, off, l, i + 1, text, cut, false);
			return;
		}
		k = token_len(l, text);
		if (k && kw_piece_masked(pk->prof, l, k, true)) {
			pk->chunk_off = off;
			smtp_add_rewrite(pk, 0, k, SMTP_FILL_XA, false);
		}
		return;
	}
	if (len < 4 || l[0] < '1' || l[0] > '5' || (l[3] != ' ' && l[3] != '-'))
		return;
	if (l[0] == '2' && l[1] == '2' && l[2] == '0' &&
	    pk->prof->banner == NFSMTP_BANNER_MASK && text > 4) {
		pk->chunk_off = off;
		smtp_add_rewrite(pk, 4, text - 4, SMTP_FILL_STAR, false);
	} else if (l[0] == '2' && l[1] == '5' && l[2] == '0') {
		rescan_keyword(pk, off, l, 4, text, cut, !cont);
	}
}

/* Reply lines seen before, while rewrites of the server's bytes are not acknowledged. */
static void rescan_replies(struct smtp_pkt *pk, unsigned int dataoff,
			   unsigned int oldlen)
{
	unsigned int pos = 0, n, k;
	bool cont = false;
	u8 line[80];

	while (pos < oldlen) {
		n = min_t(unsigned int, sizeof(line), oldlen - pos);
		if (skb_copy_bits(pk->skb, dataoff + pos, line, n))
			return;
		for (k = 0; k < n && line[k] != '\n'; k++)
			;
		if (k < n)
			k++;
		rescan_reply_line(pk, dataoff + pos, line, k, pos == 0,
				  line[k - 1] != '\n' && pos + k == oldlen, cont);
		cont = k >= 4 && !memcmp(line, "250-", 4);
		/* skip the rest of a line longer than our window */
		while (k == n && line[n - 1] != '\n' && pos + k < oldlen) {
			u8 c;

			if (skb_copy_bits(pk->skb, dataoff + pos + k, &c, 1))
				return;
			k++;
			if (c == '\n')
				break;
		}
		pos += k;
	}
}

/* The client's bytes seen before, judged line by line by a scratch parser. */
struct rescan {
	struct smtp_pkt *pk;
	bool again;		/* the first copy was rewritten: masked and counted then */
	bool unsure;		/* the line may not start here: only known verbs count */
	bool context;		/* an RCPT the limit may concern: it needs what came before */
	bool rcpt_open;		/* the bytes end in an RCPT line mail-relay judges at its end */
	bool auth;		/* the line is an AUTH: the next may answer a 334 */
	u32 acked_end;		/* skb offset: the receiver acknowledged the bytes before */
};

/*
 * The verb at chunk offset start lies in bytes the server acknowledged: it
 * had them and drops this copy, so a rewrite is moot.  The ACK may be
 * forged (a client that killed its first copy after the gateway), so the
 * verb is still rewritten; it is only not counted nor announced again: a
 * spurious resend of message text the parser now reads as commands (the
 * server's ACK lost after the gateway) is no event.
 */
static bool rescan_acked(const struct rescan *rs, s32 start, s32 len)
{
	return (s64)rs->pk->chunk_off + start + len <= rs->acked_end;
}

static int rescan_verb(void *ctx, const struct smtp_event *ev)
{
	struct rescan *rs = ctx;
	struct smtp_pkt *pk = rs->pk;
	bool acked = rescan_acked(rs, ev->start, ev->len);

	/*
	 * A MAIL or RCPT line: its address, as the first pass judges it (where
	 * the line may start elsewhere, a known verb counts, as below)
	 */
	if (ev->type == SMTP_EV_COMMAND)
		rs->rcpt_open = false;
	if (ev->type == SMTP_EV_COMMAND &&
	    (ev->verb == SMTP_VERB_MAIL || ev->verb == SMTP_VERB_RCPT))
		return smtp_judge_path(pk, ev, true, rs->again || acked);
	if (ev->type != SMTP_EV_VERB || (rs->unsure && ev->verb == SMTP_VERB_UNKNOWN))
		return SMTP_CONTINUE;
	rs->auth = ev->verb == SMTP_VERB_AUTH;
	if (smtp_mask_verb(pk, ev->verb, ev->start, ev->len, !rs->again && !acked, true))
		return SMTP_MASKED;
	if (ev->verb == SMTP_VERB_RCPT && pk->prof->rcpt_max)
		rs->context = true;
	if (ev->verb == SMTP_VERB_RCPT && pk->prof->relay.n)
		rs->rcpt_open = true;
	return SMTP_CONTINUE;
}

/*
 * The bytes end inside a token at a place a verb may start.  The rest of the
 * line may come in another retransmission, judged on its own without this
 * piece: so the piece is masked if any verb the profile masks can come of
 * it ("STAR" of STARTTLS), where the first pass waits for more bytes.
 */
static void rescan_open_verb(struct rescan *rs, const struct smtp_parser *line,
			     unsigned int end)
{
	struct smtp_pkt *pk = rs->pk;
	u32 len, masked = smtp_parser_open_verb(line, &len) & smtp_masked_verbs(pk->prof);

	if (!masked)
		return;
	pk->chunk_off = end;
	/* any masked verb will do: it names the rule that masks the piece */
	smtp_mask_verb(pk, __ffs(masked), -(s32)len, len,
		       !rs->again && !rescan_acked(rs, 0, 0), true);
}

/*
 * Command lines seen before.  The parser's own tokenizer reads them, one
 * line at a time from a fresh state, and the verbs go through the first
 * pass's decision (smtp_mask_verb).  start_known: the bytes begin at a line
 * start; else their first line may begin anywhere in one.  Returns the rule
 * whose verb needs more context than its line (an RCPT under rcpt-max), or
 * than these bytes (an RCPT line mail-relay judges, cut before its end);
 * -1 when none does.
 */
static int rescan_commands(struct smtp_pkt *pk, unsigned int dataoff,
			   unsigned int oldlen, unsigned int acked, bool start_known,
			   bool again)
{
	struct rescan rs = { .pk = pk, .again = again, .unsure = !start_known,
			     .acked_end = dataoff + acked };
	const struct smtp_sink sink = { .fn = rescan_verb, .ctx = &rs, .relay = &pk->prof->relay };
	struct skb_seq_state seq;
	unsigned int consumed = 0, len, i, n;
	struct smtp_parser line;
	const u8 *data, *lf;

	smtp_parser_init_line(&line);
	skb_prepare_seq_read(pk->skb, dataoff, dataoff + oldlen, &seq);
	while ((len = skb_seq_read(consumed, &data, &seq)) != 0) {
		for (i = 0; i < len; i += n) {
			lf = memchr(data + i, '\n', len - i);
			n = lf ? lf - (data + i) + 1 : len - i;
			pk->chunk_off = dataoff + consumed + i;
			smtp_parse(&line, SMTP_DIR_CLIENT, data + i, n, &sink);
			if (lf) {
				/* a line after AUTH may be credentials, not a command */
				smtp_parser_init_line(&line);
				rs.unsure = rs.auth;
				rs.auth = false;
			}
		}
		consumed += len;
	}
	rescan_open_verb(&rs, &line, dataoff + oldlen);
	if (rs.context)
		return NFSMTP_RULE_RCPT;
	return rs.rcpt_open ? NFSMTP_RULE_MAIL_RELAY : -1;
}

/*
 * How many of the oldlen bytes seen before, which start back bytes before
 * the next new one, the receiver has acknowledged (conntrack's highest ACK
 * from the other direction; none known: 0).
 */
static unsigned int acked_len(const struct smtp_pkt *pk, unsigned int oldlen, u32 back)
{
	const struct ip_ct_tcp_state *rcv = &pk->ct->proto.tcp.seen[!pk->dir];
	s32 n;

	if (!(rcv->flags & IP_CT_TCP_FLAG_MAXACK_SET))
		return 0;
	n = (s32)(rcv->td_maxack - (pk->sc->next_seq[pk->dir] - back));
	return clamp_t(s32, n, 0, oldlen);
}

/* A retransmission that did not come as the first copy did: the rule acts. */
static void retrans_mismatch(struct smtp_pkt *pk, enum nfsmtp_rule rule, const char *what)
{
	smtp_stat_inc(pk->st, NFSMTP_STAT_RETRANS_MISMATCH);
	if (rule == NFSMTP_RULE_SMUGGLING)
		smtp_stat_inc(pk->st, NFSMTP_STAT_SMUGGLING);
	smtp_act(pk, rule, pk->prof->act[rule], what,
		 "a retransmission carries what its first copy did not");
}

/*
 * Message text seen before, while the message it belongs to goes on: the
 * first copy held no end of data here.  A "." line in it (after an LF, or
 * at its start, which may be a line start) would end the message for the
 * server: that is a copy that differs where it matters.  Its start counts
 * only where smuggling is enforced: a resend may also begin at the dot of
 * "end.\r\n".
 */
static void rescan_message(struct smtp_pkt *pk, unsigned int dataoff,
			   unsigned int oldlen)
{
	u8 action = pk->prof->act[NFSMTP_RULE_SMUGGLING];
	struct skb_seq_state seq;
	unsigned int consumed = 0, len, i;
	u8 prev2 = 0, prev1 = 0;
	const u8 *data;

	if (action == NFSMTP_ACTION_DROP || action == NFSMTP_ACTION_RESET)
		prev1 = '\n';	/* the first byte may start a line */
	skb_prepare_seq_read(pk->skb, dataoff, dataoff + oldlen, &seq);
	while ((len = skb_seq_read(consumed, &data, &seq)) != 0) {
		for (i = 0; i < len; i++) {
			u8 c = data[i];

			if (prev1 == '.' && prev2 == '\n' && (c == '\r' || c == '\n')) {
				skb_abort_seq_read(&seq);
				retrans_mismatch(pk, NFSMTP_RULE_SMUGGLING, "end of data");
				return;
			}
			prev2 = prev1;
			prev1 = c;
		}
		consumed += len;
	}
}

/*
 * The client's current line starts tail bytes into the retransmission (more
 * than oldlen: after its end), and right before that start lies the end of
 * data the parser saw, "\n.\r\n".  The server may take these bytes rather
 * than the first copy (which may have died after the gateway): where they
 * cover that line, they must carry it, or the server would still be reading
 * message text that the helper reads as commands.
 */
static void rescan_eod_tail(struct smtp_pkt *pk, unsigned int dataoff,
			    unsigned int oldlen, s64 tail)
{
	static const char eod[] = "\n.\r\n";
	const unsigned int n = sizeof(eod) - 1;
	u8 got[sizeof(eod) - 1];
	s64 from = max_t(s64, tail - n, 0), to = min_t(s64, tail, oldlen);

	if (from >= to)
		return;
	if (skb_copy_bits(pk->skb, dataoff + from, got, to - from) ||
	    memcmp(got, eod + n - (tail - from), to - from))
		retrans_mismatch(pk, NFSMTP_RULE_SMUGGLING, "end of data");
}

/*
 * A segment carries oldlen bytes the parser saw before: a retransmission or
 * an overlap.  The far end may take these bytes rather than the first copy
 * (which may never have reached it), so the client's are judged again: verbs
 * line by line in commands (in bytes the server acknowledged: masked, not
 * counted), end-of-data lines in message text.  The server's
 * are looked at again only while rewrites of its bytes are not acknowledged
 * (the first copy may be lost after the gateway): keywords and the banner
 * are masked the same way.  What needs more context than a line (a
 * duplicate header, an RCPT over the limit, an RCPT line cut before the end
 * that mail-relay judges) cannot be redone: a connection
 * whose rewritten bytes come again then is reset rather than let the
 * original bytes through.
 */
void smtp_fixup_retransmit(struct smtp_pkt *pk, struct smtp_conn *sc,
			   unsigned int dataoff, unsigned int oldlen, u32 back)
{
	bool server = pk->dir == SMTP_DIR_SERVER;
	bool rewritten = sc->p.user & (server ? SC_RW_SERVER : SC_RW_CLIENT);
	bool switched = sc->p.user & SC_TR_CLIENT;
	bool commands = smtp_parser_client_commands(&sc->p);
	int line_len = smtp_parser_client_line_len(&sc->p);
	unsigned int acked;
	int rule;

	smtp_stat_inc(pk->st, NFSMTP_STAT_RETRANS);
	if (smtp_parser_tls(&sc->p))
		return;	/* ciphertext: no line to judge */
	acked = server ? 0 : acked_len(pk, oldlen, back);
	if (acked)
		smtp_stat_inc(pk->st, NFSMTP_STAT_RETRANS_ACKED);
	if (!server && (sc->p.user & SC_EOD_TAIL) && line_len >= 0) {
		rescan_eod_tail(pk, dataoff, oldlen, (s64)back - line_len);
		if (pk->verdict != SMTP_PASS)
			return;
	}
	if (server ? !rewritten : switched && !rewritten)
		return;	/* nothing to redo, or no way to tell commands from text */
	if (server) {
		rescan_replies(pk, dataoff, oldlen);
		return;
	}
	if (!commands || switched) {
		if (rewritten) {
			/* header masks depend on the whole header section */
			pk->verdict = SMTP_RESET_CONN;
			smtp_act(pk, NFSMTP_RULE_DUP_HEADERS, NFSMTP_ACTION_RESET,
				 "retransmission",
				 "a rewritten segment came again and cannot be rewritten the same way");
			return;
		}
		if (smtp_parser_client_text(&sc->p))
			rescan_message(pk, dataoff, oldlen);
		return;
	}
	/* the current line began line_len bytes before the first new byte */
	rule = rescan_commands(pk, dataoff, oldlen, acked,
			       line_len >= 0 && back == (u32)line_len, rewritten);
	if (rule >= 0 && rewritten) {
		pk->verdict = SMTP_RESET_CONN;
		smtp_act(pk, rule, NFSMTP_ACTION_RESET, "retransmission",
			 "a rewritten segment came again and cannot be rewritten the same way");
	}
}
