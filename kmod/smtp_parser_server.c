// SPDX-License-Identifier: GPL-2.0
/*
 * Streaming SMTP parser, server direction: reply lines matched to the
 * commands they answer, EHLO keywords, the greeting, and the mode changes
 * replies cause (354: message text, 220 to STARTTLS: TLS).
 */
#include "smtp_parser_int.h"

/* ---- server ------------------------------------------------------------- */

/*
 * The reply says the server read a command otherwise than the parser did:
 * it follows the server; the caller's rule decides what else happens.
 */
static int mismatch(struct run *r, s32 i)
{
	return sp_anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_REPLY_MISMATCH, i, 1);
}

/* 354: message text follows, whatever the parser took the command for. */
static int reply_354(struct run *r, s32 i, unsigned int verb, bool piped)
{
	struct smtp_parser *p = r->p;
	int ret = SMTP_CONTINUE;

	if (verb != SMTP_VERB_DATA) {
		ret = mismatch(r, i);
		if (ret == SMTP_STOP)
			return ret;
	}
	if (piped || p->c_ls != CL_START || p->c_len)
		/* text already went by as commands: where does it start? */
		return sp_lost_sync(r, SMTP_DIR_SERVER, i);
	sp_start_data(p);
	return sp_emit(r, SMTP_EV_DATA_START, SMTP_DIR_SERVER, verb, 0, 354, 0, i, 1, 0);
}

static int start_tls(struct run *r, s32 i, unsigned int verb, u16 code)
{
	sp_tls_start(r->p);
	return sp_emit(r, SMTP_EV_TLS_START, SMTP_DIR_SERVER, verb, 0, code, 0, i, 1, 0);
}

/* A final reply (last line) completed: command queue and mode changes. */
static int reply_done(struct run *r, s32 i, unsigned int verb, u16 code)
{
	struct smtp_parser *p = r->p;
	bool cmd = p->c_mode == CM_CMD;
	bool piped = p->c_flags & CF_PIPED;
	int ret = SMTP_CONTINUE;

	if (verb == SMTP_VERB_GREETING) {
		p->flags &= ~F_GREETING;
	} else if (p->flags & F_QAPPROX) {
		/* commands sent before a resync may still be answered */
		/* their replies went by unseen: code 0 takes them for failures */
		if (code == 354 && sp_q_contains(p, SMTP_VERB_DATA))
			while (sp_q_head(p) != SMTP_VERB_DATA)
				sp_q_pop(p, 0);
		else if (code == 220 && sp_q_contains(p, SMTP_VERB_STARTTLS))
			while (sp_q_head(p) != SMTP_VERB_STARTTLS)
				sp_q_pop(p, 0);
		verb = sp_q_head(p);
		sp_q_pop(p, code);
	} else {
		sp_q_pop(p, code);
	}
	/* outside command mode c_flags holds BDAT framing: leave it alone */
	if (cmd) {
		p->c_flags &= ~(CF_AUTH_CONT | CF_TLS_MAYBE);
		if (verb == SMTP_VERB_DATA)
			p->c_flags &= ~(CF_DATA_PEND | CF_PIPED);
		if (verb == SMTP_VERB_STARTTLS)
			p->c_flags &= ~(CF_STLS_PEND | CF_PIPED);
		if (code == 334) {
			/* the server reads a SASL line next, whatever the command was */
			p->c_flags |= CF_AUTH_CONT;
			if (verb != SMTP_VERB_AUTH && verb != SMTP_VERB_AUTH_DATA)
				ret = mismatch(r, i);
		}
	}
	if (ret == SMTP_STOP || (p->flags & F_CHECK_CLIENT))
		goto confirm;

	if (code == 354 && cmd) {
		ret = reply_354(r, i, verb, piped);
	} else if (verb == SMTP_VERB_STARTTLS && code >= 200 && code < 300) {
		ret = start_tls(r, i, verb, code);
	} else if (code == 220 && cmd && verb != SMTP_VERB_GREETING) {
		/* TLS, if the client's next bytes are a TLS record (not XCLIENT's 220) */
		p->c_flags |= CF_TLS_MAYBE;
	} else if (verb == SMTP_VERB_BDAT && (code == 500 || code == 502) &&
		   (p->flags & F_CHUNKING)) {
		/* no BDAT for this server: what followed it, we took for a chunk */
		ret = mismatch(r, i);
		if (ret != SMTP_STOP)
			ret = sp_lost_sync(r, SMTP_DIR_SERVER, i);
	} else if (p->c_mode == CM_BDAT && !p->queue[0]) {
		/* the server answered the chunk the parser still reads */
		ret = mismatch(r, i);
		if (ret != SMTP_STOP)
			ret = sp_lost_sync(r, SMTP_DIR_SERVER, i);
	}
confirm:
	if (ret != SMTP_STOP && (p->flags & F_CHECK_CLIENT))
		ret = sp_client_confirm(r, code);
	return ret;
}

/*
 * A reply with no command pending while the client sends message text: the
 * server ended the message where the parser saw no end of data.  Follow it:
 * the client sends commands; a line begun as text is one whose verb went by.
 */
static void text_ended(struct smtp_parser *p)
{
	bool line_start = p->c_ls == DL_START_CRLF || p->c_ls == DL_START_LF;

	sp_to_command_mode(p);
	if (!line_start) {
		p->c_ls = CL_ARGS;
		p->c_tok = TOK_DEAD;
	}
}

/*
 * A final reply to RCPT: one more recipient refused if 5xx (a directory
 * harvest gets many).  Returns the session's count, saturating.
 */
static u32 count_refused(struct smtp_parser *p, u16 code)
{
	u32 n = (p->flags & F_REFUSED_MASK) >> F_REFUSED_SHIFT;

	if (code >= 500 && code <= 599 && n < SMTP_REFUSED_RCPT_MAX) {
		n++;
		p->flags = (p->flags & ~F_REFUSED_MASK) | (n << F_REFUSED_SHIFT);
	}
	return n;
}

/* The reply line ended at offset i (the LF, after a CR when crlf). */
static int reply_line_done(struct run *r, s32 i, bool crlf)
{
	struct smtp_parser *p = r->p;
	bool tent = p->s_flags & SF_TENT;
	bool last = p->s_flags & SF_LAST;
	bool first = !(p->s_flags & SF_CONT);
	u16 code = p->s_tok;
	s32 len = p->s_len;
	unsigned int verb = sp_q_head(p);
	u16 flags = (first ? SMTP_EVF_FIRST : 0) | (last ? SMTP_EVF_LAST : 0);
	s32 start = i - len;
	u16 nospan = len >= SMTP_REPLY_COUNTER_MAX ? SMTP_EVF_NOSPAN : 0;
	bool orphan = p->s_flags & SF_ORPHAN;
	int ret = SMTP_CONTINUE;

	/* free before the reply acts: a 354 parks the message's SIZE= there */
	p->s_len = 0;
	p->s_tok = 0;
	p->s_ls = SL_START;
	p->s_flags &= ~(SF_KWLINE | SF_LAST | SF_CONT | SF_ORPHAN);
	if (!last)
		p->s_flags |= SF_CONT;
	if (tent) {
		if (!last)
			goto out;
		/* a whole final reply line: follow the server again */
		p->s_flags &= ~SF_TENT;
		p->s_mode = SM_REPLY;
		ret = sp_emit(r, SMTP_EV_RESYNC, SMTP_DIR_SERVER, 0, 0, 0, 0, 0, 0, 0);
		if (ret != SMTP_STOP && (p->flags & F_CHECK_CLIENT))
			ret = sp_client_confirm(r, code);
		goto out;
	}
	/* 421: the server closes the connection, no command need be pending */
	if (verb == SMTP_VERB_MAX && first && !(p->flags & F_QAPPROX)) {
		if (p->c_mode == CM_DATA && code != 421) {
			ret = sp_anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_EOD_UNSEEN,
					 start, len + 1);
			text_ended(p);
			verb = SMTP_VERB_EOD;
		} else {
			ret = sp_anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_REPLY_UNEXPECTED,
					 start, len + 1);
			orphan = code != 421;
		}
		if (ret == SMTP_STOP)
			goto out;
	}
	if (verb == SMTP_VERB_MAX)
		verb = SMTP_VERB_UNKNOWN;
	ret = sp_emit(r, SMTP_EV_REPLY, SMTP_DIR_SERVER, verb, 0, code,
		      flags | nospan, start, len + 1,
		      last && verb == SMTP_VERB_RCPT ? count_refused(p, code) : 0);
	if (ret == SMTP_STOP)
		goto out;
	if (verb == SMTP_VERB_GREETING) {
		s32 text = len - 4 - crlf;

		ret = sp_emit(r, SMTP_EV_BANNER, SMTP_DIR_SERVER, verb, 0, code,
			      nospan, start + 4, text > 0 ? text : 0, 0);
		if (ret == SMTP_STOP)
			goto out;
	}
	if (last)
		ret = reply_done(r, i, verb, code);
	/* a reply nobody asked for: which command does the next one answer? */
	if (orphan && !last)
		p->s_flags |= SF_ORPHAN;
	if (orphan && last && ret != SMTP_STOP && !(p->flags & F_CHECK_CLIENT))
		ret = sp_lost_sync(r, SMTP_DIR_SERVER, i);
	/* lost sync at this line's end: the next line is whole */
	if (p->s_ls == SL_SKIP)
		p->s_ls = SL_START;
out:
	return ret;
}

static int bad_reply(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;
	int ret;

	if (p->s_flags & SF_TENT) {
		p->s_ls = SL_SKIP;
		return SMTP_CONTINUE;
	}
	ret = sp_anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_BAD_REPLY, i, 1);
	if (ret == SMTP_STOP)
		return ret;
	return sp_lost_sync(r, SMTP_DIR_SERVER, i);
}

/* One byte of a reply line that does not end it. */
static int reply_byte(struct run *r, s32 i, u8 c)
{
	struct smtp_parser *p = r->p;
	bool tent = p->s_flags & SF_TENT;

	switch (p->s_ls) {
	case SL_START:
		if (c < '1' || c > '5')
			return bad_reply(r, i);
		p->s_tok = (c - '0') * 100;
		p->s_ls = SL_D1;
		return SMTP_CONTINUE;
	case SL_D1:
	case SL_D2:
		if (c < '0' || c > '9')
			return bad_reply(r, i);
		p->s_tok += (c - '0') * (p->s_ls == SL_D1 ? 10 : 1);
		p->s_ls = p->s_ls == SL_D1 ? SL_D2 : SL_SEP;
		return SMTP_CONTINUE;
	case SL_SEP:
		if (c != '-' && c != ' ' && c != '\r')
			return bad_reply(r, i);
		if (c != '-')
			p->s_flags |= SF_LAST;
		if (c == '\r') {
			p->s_ls = SL_CR;
		} else if (!tent && (p->s_flags & SF_CONT) && p->s_tok == 250 &&
			   sp_q_head(p) == SMTP_VERB_EHLO) {
			/* EHLO replies list one keyword per line after the first */
			p->s_flags |= SF_KWLINE;
			p->s_ls = SL_KW;
			p->s_tok = 0;
		} else {
			p->s_ls = SL_TEXT;
		}
		return SMTP_CONTINUE;
	case SL_CR:
		p->s_ls = SL_TEXT;
		if (!tent)
			return sp_anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_BARE_CR, i - 1, 1);
		return SMTP_CONTINUE;
	default:	/* SL_TEXT */
		if (c == '\r')
			p->s_ls = SL_CR;
		else if (c == '\0' && !tent)
			return sp_anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_NUL, i, 1);
		return SMTP_CONTINUE;
	}
}

/* The keyword matcher, and a run of X's no keyword starts with. */
static u16 kw_step(u16 st, u8 c)
{
	unsigned int idx = st & TOK_IDX_MASK, pos = st >> TOK_POS_SHIFT;

	if (idx == TOK_XRUN || (!st && toupper(c) == 'X')) {
		if (pos == TOK_POS_MAX)
			return st;
		if (toupper(c) == 'X')
			return TOK_XRUN | (pos + 1) << TOK_POS_SHIFT;
		if (toupper(c) == 'A')
			return TOK_XRUN_A | (pos + 1) << TOK_POS_SHIFT;
		return TOK_DEAD;
	}
	if (idx == TOK_XRUN_A)
		return TOK_DEAD;
	return sp_tok_step(sp_kw_words, SP_NKWS, st, c);
}

static unsigned int kw_of(u16 st)
{
	unsigned int idx = st & TOK_IDX_MASK, pos = st >> TOK_POS_SHIFT;
	int w;

	if (idx == TOK_XRUN || idx == TOK_XRUN_A)
		return pos >= 4 ? SMTP_KW_MASKED : SMTP_KW_OTHER;
	w = sp_tok_word(sp_kw_words, st);
	return w < 0 ? SMTP_KW_OTHER : w;
}

/* The keyword of an EHLO keyword line ended at offset i. */
static int keyword_done(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;
	unsigned int w = kw_of(p->s_tok);
	s32 klen = (s32)p->s_len - 4;

	if (w == SMTP_KW_CHUNKING)
		p->flags |= F_CHUNKING;
	if (w == SMTP_KW_STARTTLS)
		p->flags |= F_STLS_OFFERED;
	p->s_ls = SL_TEXT;
	p->s_tok = 250;
	return sp_emit(r, SMTP_EV_EHLO_KEYWORD, SMTP_DIR_SERVER, SMTP_VERB_EHLO,
		    w, 250,
		    p->s_len >= SMTP_REPLY_COUNTER_MAX ? SMTP_EVF_NOSPAN : 0,
		    i - klen, klen, 0);
}

/* One byte of an EHLO keyword line's keyword that does not end the line. */
static int keyword_byte(struct run *r, s32 i, u8 c)
{
	struct smtp_parser *p = r->p;
	int ret;

	if (smtp_is_blank(c) || c == '=') {
		/* clients skip blanks before the keyword and end it at one */
		if (!p->s_tok && c != '\r' && c != '=')
			return SMTP_CONTINUE;
		ret = keyword_done(r, i);
		if (ret == SMTP_STOP)
			return ret;
		/* the delimiter is text; its length was checked */
		return reply_byte(r, i, c);
	}
	p->s_tok = kw_step(p->s_tok, c);
	if (c == '\0')	/* as in any other reply text */
		return sp_anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_NUL, i, 1);
	return SMTP_CONTINUE;
}

size_t  sp_parse_server(struct run *r, const u8 *buf, size_t n)
{
	struct smtp_parser *p = r->p;
	u16 max_reply = r->max_reply;

	/* s_len saturates: past it, a longer limit would be hit at every byte */
	if (max_reply >= SMTP_REPLY_COUNTER_MAX)
		max_reply = SMTP_REPLY_COUNTER_MAX - 1;
	size_t i = 0;
	int ret = SMTP_CONTINUE;

	while (i < n) {
		u8 c = buf[i];

		if (p->s_mode == SM_TLS)
			return sp_parse_tls(r, SMTP_DIR_SERVER, buf, i, n);
		/*
		 * The server speaks in DATA text (its 354 maybe in the same
		 * chunk): the declared size gives its place back.
		 */
		if (sp_size_parked(p))
			sp_size_unpark(p);
		if (p->s_ls == SL_SKIP) {
			const u8 *q = scan_lf(buf + i, buf + n);

			if (q == buf + n)
				return n;
			i = q - buf + 1;
			p->s_ls = SL_START;
			p->s_len = 0;
			p->s_flags &= ~(SF_CONT | SF_LAST | SF_KWLINE);
			continue;
		}
		if (p->s_len == max_reply && !(p->s_flags & SF_TENT)) {
			/* this byte makes the line longer than allowed */
			ret = sp_anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_REPLY_TOO_LONG,
					 i - (s32)p->s_len, p->s_len + 1);
			if (ret == SMTP_STOP)
				return i;
		}
		if (c == '\n') {
			bool crlf = p->s_ls == SL_CR;

			if (p->s_ls == SL_KW)
				ret = keyword_done(r, i);
			if (ret != SMTP_STOP && !crlf && !(p->s_flags & SF_TENT))
				ret = sp_anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_BARE_LF, i, 1);
			if (ret == SMTP_STOP)
				return i;
			if (p->s_ls == SL_START || p->s_ls == SL_D1 || p->s_ls == SL_D2) {
				ret = bad_reply(r, i);
				i++;
				if (ret == SMTP_STOP)
					return i;
				/* a skipped line ends here */
				if (p->s_ls == SL_SKIP) {
					p->s_ls = SL_START;
					p->s_len = 0;
				}
				continue;
			}
			if (p->s_ls == SL_SEP)
				p->s_flags |= SF_LAST;
			ret = reply_line_done(r, i, crlf);
			i++;
			if (ret == SMTP_STOP)
				return i;
			continue;
		}
		if (p->s_ls == SL_KW)
			ret = keyword_byte(r, i, c);
		else
			ret = reply_byte(r, i, c);
		if (p->s_len < SMTP_REPLY_COUNTER_MAX)
			p->s_len++;
		i++;
		if (ret == SMTP_STOP)
			return i;
	}
	return n;
}

