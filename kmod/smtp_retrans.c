// SPDX-License-Identifier: GPL-2.0
/*
 * Retransmissions: a segment that carries bytes the parser saw before.  The
 * far end may take these bytes instead of the first copy (which may have
 * died after the gateway), so they are judged again, line by line, with
 * the rules a line alone decides: verbs, EHLO keywords, the banner, and in
 * message text the end-of-data line.  The parser's state has moved on, so
 * rewrites that need more context (a duplicate header, an RCPT over the
 * limit) cannot be redone: a retransmission that still carries one resets
 * the connection rather than let the original bytes through.
 */
#define pr_fmt(fmt) "nf_conntrack_smtp: " fmt

#include <linux/kernel.h>
#include <linux/skbuff.h>
#include <linux/string.h>

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

/* The keyword at l[at, text) of a 250 line; cut: the bytes end in it. */
static void rescan_keyword(struct smtp_pkt *pk, u32 off, const u8 *l,
			   unsigned int at, unsigned int text, bool cut)
{
	unsigned int k = token_len(l + at, text - at);
	bool piece = cut && at + k == text;

	if (!k)
		return;
	if (piece ? kw_piece_masked(pk->prof, l + at, k, false) :
	    smtp_kw_masked(pk->prof, smtp_kw_lookup(l + at, k))) {
		pk->chunk_off = off;
		smtp_add_rewrite(pk, at, k, piece ? SMTP_FILL_X : SMTP_FILL_XA, false);
	}
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
 * bytes end inside it.
 */
static void rescan_reply_line(struct smtp_pkt *pk, u32 off, const u8 *l,
			      unsigned int len, bool first, bool cut)
{
	unsigned int text = len, k, i = 0;

	while (text && (l[text - 1] == '\r' || l[text - 1] == '\n'))
		text--;
	if (first && !reply_line(l, text)) {
		/* the rest of a line: of its code, or of a keyword */
		while (i < 2 && i < text && l[i] >= '0' && l[i] <= '9')
			i++;
		if (i < text && (l[i] == ' ' || l[i] == '-')) {
			rescan_keyword(pk, off, l, i + 1, text, cut);
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
		rescan_keyword(pk, off, l, 4, text, cut);
	}
}

/*
 * One command line seen before: mask its verb by the rules in force.  At a
 * place not known to start a line (a retransmission may begin anywhere),
 * only a known verb and its delimiter are taken for one: "PLAIN" of "AUTH
 * PLAIN" is no command.  Returns false for an RCPT the limit may concern.
 */
static bool rescan_command_line(struct smtp_pkt *pk, u32 off, const u8 *l,
				unsigned int len, bool line_start, bool again)
{
	unsigned int lead = 0, k, verb;

	while (lead < len && smtp_is_blank(l[lead]))
		lead++;	/* as the server skips them */
	k = token_len(l + lead, len - lead);
	if (!k)
		return true;
	verb = smtp_verb_lookup(l + lead, k);
	if (!line_start && (verb == SMTP_VERB_UNKNOWN || lead + k == len ||
			    l[lead + k] == '='))
		return true;
	if (smtp_allowed_verbs(pk->prof) & (1U << verb)) {
		/* an RCPT over the limit depends on what came before */
		return !(verb == SMTP_VERB_RCPT && pk->prof->rcpt_max);
	}
	if (!(smtp_unmasked_verbs(pk->prof) & (1U << verb))) {
		bool stls = verb == SMTP_VERB_STARTTLS &&
			    pk->prof->starttls == NFSMTP_STARTTLS_STRIP;

		pk->chunk_off = off;
		smtp_add_rewrite(pk, 0, lead + k, SMTP_FILL_X, false);
		if (again)
			return true;	/* the first copy was masked and counted */
		smtp_stat_inc(pk->st, stls ? NFSMTP_STAT_STARTTLS_STRIPPED :
			      NFSMTP_STAT_CMDS_MASKED);
		smtp_act(pk, stls ? NFSMTP_RULE_STARTTLS : NFSMTP_RULE_COMMAND,
			 NFSMTP_ACTION_MASK, smtp_verb_name(verb),
			 "masked in a retransmission: the server will answer 500");
	}
	return true;
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
 * A segment carries oldlen bytes the parser saw before: a retransmission or
 * an overlap.  The far end may take these bytes rather than the first copy
 * (which may never have reached it), so the client's are judged again: verbs
 * line by line in commands, end-of-data lines in message text.  The server's
 * are looked at again only while rewrites of its bytes are not acknowledged
 * (the first copy may be lost after the gateway): keywords and the banner
 * are masked the same way.  What needs more context than a line (a
 * duplicate header, an RCPT over the limit) cannot be redone: a connection
 * whose rewritten bytes come again then is reset rather than let the
 * original bytes through.
 */
void smtp_fixup_retransmit(struct smtp_pkt *pk, struct smtp_conn *sc,
			   unsigned int dataoff, unsigned int oldlen)
{
	bool server = pk->dir == SMTP_DIR_SERVER;
	bool rewritten = sc->p.user & (server ? SC_RW_SERVER : SC_RW_CLIENT);
	bool switched = sc->p.user & SC_TR_CLIENT;
	bool commands = smtp_parser_client_commands(&sc->p);
	int line_len = smtp_parser_client_line_len(&sc->p);
	u8 line[80];
	unsigned int pos = 0;

	smtp_stat_inc(pk->st, NFSMTP_STAT_RETRANS);
	if (smtp_parser_tls(&sc->p))
		return;	/* ciphertext: no line to judge */
	if (server ? !rewritten : switched && !rewritten)
		return;	/* nothing to redo, or no way to tell commands from text */
	if (!server && (!commands || switched)) {
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
	/* line starts: after each LF; the segment start only when it is the current line's */
	while (pos < oldlen) {
		unsigned int n = min_t(unsigned int, sizeof(line), oldlen - pos), k;

		if (skb_copy_bits(pk->skb, dataoff + pos, line, n))
			return;
		for (k = 0; k < n && line[k] != '\n'; k++)
			;
		if (k < n)
			k++;
		if (server) {
			rescan_reply_line(pk, dataoff + pos, line, k, pos == 0,
					  line[k - 1] != '\n' && pos + k == oldlen);
		} else if (!rescan_command_line(pk, dataoff + pos, line, k,
						pos || line_len == (int)oldlen, rewritten) &&
			   rewritten) {
			pk->verdict = SMTP_RESET_CONN;
			smtp_act(pk, NFSMTP_RULE_RCPT, NFSMTP_ACTION_RESET, "retransmission",
				 "a rewritten segment came again and cannot be rewritten the same way");
			return;
		}
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
