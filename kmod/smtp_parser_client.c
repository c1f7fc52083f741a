// SPDX-License-Identifier: GPL-2.0
/*
 * Streaming SMTP parser, client direction: command lines, BDAT commands and
 * chunks, message text (dot-stuffing, end of data, smuggling sequences) and
 * header fields.  Message text is skipped a word at a time.
 */
#include "smtp_parser_int.h"

/* ---- scanning ----------------------------------------------------------- */

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

static inline u64 zero_bytes(u64 v)
{
	return (v - ONES) & ~v & HIGHS;
}

/* Bytes below 14, CR, LF and NUL among them: a cheap filter. */
static inline u64 low_bytes(u64 v)
{
	return (v - ONES * 14) & ~v & HIGHS;
}

/* CR, LF and NUL bytes; the lowest flagged byte is exact: borrows only run upwards */
static inline u64 ctl_bytes(u64 v)
{
	return zero_bytes(v) | zero_bytes(v ^ (ONES * '\r')) |
	       zero_bytes(v ^ (ONES * '\n'));
}

static inline bool is_ctl(u8 c)
{
	return c == '\r' || c == '\n' || c == '\0';
}

/*
 * First CR, LF or NUL in [p, end), or end: a word at a time, as the kernel
 * has no SIMD here.  Unaligned little-endian loads (the byte order the bit
 * tricks assume, on any CPU), 16 bytes a round through a cheap filter; in a
 * flagged word, the first byte below 14 is nearly always the CR sought, else
 * (a TAB, say) the exact test decides.  <asm/word-at-a-time.h> finds zero
 * bytes only, in each architecture's own order: one "below 14" subtraction
 * does the work of its three has_zero() calls here.
 */
static const u8 *scan_ctl(const u8 *p, const u8 *end)
{
	while (end - p >= 16) {
		u64 a = get_unaligned_le64(p), b = get_unaligned_le64(p + 8), t;
		const u8 *q;

		if (likely(!((((a - ONES * 14) & ~a) | ((b - ONES * 14) & ~b)) & HIGHS))) {
			p += 16;
			continue;
		}
		t = low_bytes(a);
		if (t) {
			q = p + (__ffs64(t) >> 3);
			if (is_ctl(*q))
				return q;
			t = ctl_bytes(a);
			if (t)
				return p + (__ffs64(t) >> 3);
		}
		t = low_bytes(b);
		if (t) {
			q = p + 8 + (__ffs64(t) >> 3);
			if (is_ctl(*q))
				return q;
			t = ctl_bytes(b);
			if (t)
				return p + 8 + (__ffs64(t) >> 3);
		}
		p += 16;
	}
	if (end - p >= 8) {
		u64 t = ctl_bytes(get_unaligned_le64(p));

		if (t)
			return p + (__ffs64(t) >> 3);
		p += 8;
	}
	while (p < end && !is_ctl(*p))
		p++;
	return p;
}

/* A byte that has a meaning at the start of a message text line */
static inline bool line_start_special(u8 c)
{
	return c <= '.' && ((1ULL << c) & ((1ULL << '.') | (1ULL << '-') |
					  (1ULL << '\r') | (1ULL << '\n') | 1ULL));
}

/* ---- message headers (DATA and BDAT) ------------------------------------ */

/* The header field whose name c_tok matched */
static unsigned int header_id(u16 tok)
{
	int w = sp_tok_word(sp_hdr_words, tok);

	if (hdr_prefix_done(tok))
		return SMTP_HDR_RESENT;
	return w < 0 ? SMTP_HDR_OTHER : sp_hdr_ids[w];
}

/* A header name ended with ':' at offset i. */
static int header_done(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;
	unsigned int hdr = header_id(p->c_tok);
	u16 flags = 0, to = 0;
	int ret;

	if (hdr < SMTP_HDR_CONTENT_TRANSFER_ENCODING && hdr != SMTP_HDR_RESENT) {
		if (p->txn & (1U << hdr))
			flags |= SMTP_EVF_DUP;
		p->txn |= 1U << hdr;
	}
	if (hdr == SMTP_HDR_TO) {
		to = (p->txn & TX_TO_MASK) >> TX_TO_SHIFT;
		if (to < SMTP_TO_FIELDS_MAX)
			to++;
		p->txn = (p->txn & ~TX_TO_MASK) | (to << TX_TO_SHIFT);
	}
	if (p->c_len >= SMTP_LINE_COUNTER_MAX)
		flags |= SMTP_EVF_NOSPAN;
	if (p->c_mode == CM_BDAT && (p->c_flags & CF_SPLIT))
		flags |= SMTP_EVF_PARTIAL;
	ret = sp_emit(r, SMTP_EV_HEADER, SMTP_DIR_CLIENT, 0, hdr, 0, flags,
		      i - (s32)p->c_len, p->c_len, to);
	sp_mime_field(p, hdr);
	return ret;
}

/* ---- client: commands ----------------------------------------------------- */

/* count one more content byte of a client line; report crossing the limit */
static int c_count(struct run *r, s32 i, u32 add, u16 limit, u8 anom)
{
	struct smtp_parser *p = r->p;
	u32 old = p->c_len, len = old + add;
	u32 max = count_max(limit);
	int ret = SMTP_CONTINUE;

	p->c_len = len > SMTP_LINE_COUNTER_MAX ? SMTP_LINE_COUNTER_MAX : len;
	/* span: the line up to its first byte over the limit, however fed */
	if (old <= max && len > max)
		ret = sp_anomaly(r, SMTP_DIR_CLIENT, anom, i + (s32)add - (s32)len, max + 1);
	/*
	 * A command line longer than the counter: exim cuts one at 16384
	 * octets and reads the rest as a command of its own; postfix reads 2048.
	 */
	if (ret != SMTP_STOP && p->c_mode == CM_CMD && !(p->c_flags & CF_AUTH_CONT) &&
	    old < SMTP_LINE_COUNTER_MAX && len >= SMTP_LINE_COUNTER_MAX)
		ret = sp_lost_sync(r, SMTP_DIR_CLIENT, i);
	return ret;
}

/* The verb of a command line is complete (delimiter at offset i). */
static int verb_done(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;
	unsigned int verb = sp_tok_verb(p->c_tok);
	u16 flags = p->c_len >= SMTP_LINE_COUNTER_MAX ? SMTP_EVF_NOSPAN : 0;
	int ret;

	if (p->flags & F_PROBE) {
		if (verb == SMTP_VERB_UNKNOWN) {
			/* not a command after all: wait for another reply */
			p->c_lead = 0;
			p->c_mode = CM_RESYNC;
			p->c_ls = RL_MID;
			p->flags |= F_CHECK_CLIENT;
			return SMTP_CONTINUE;
		}
		p->flags &= ~F_PROBE;
	}
	if ((p->c_flags & CF_AUTH_CONT) || !p->c_len)
		return SMTP_CONTINUE;	/* a SASL response or an empty line */
	/* MAIL: look for REQUIRETLS among its words; MAIL, RCPT: read the path */
	if (verb == SMTP_VERB_MAIL)
		p->arg_scan = AS_ON | AS_ADDR;
	else if (verb == SMTP_VERB_RCPT)
		p->arg_scan = AS_ADDR;
	/* for RCPT: which recipient of the transaction this would be */
	ret = sp_emit(r, SMTP_EV_VERB, SMTP_DIR_CLIENT, verb, 0, 0, flags,
		      i - (s32)p->c_len, p->c_len,
		      verb == SMTP_VERB_RCPT ? (u32)p->txn + 1 : 0);
	if (ret == SMTP_MASKED) {
		p->c_tok = TOK_DEAD;	/* the server sees an unknown verb */
		return SMTP_CONTINUE;
	}
	/* BDAT is framing only where the server offered CHUNKING (RFC 3030) */
	if (verb == SMTP_VERB_BDAT && (p->flags & F_CHUNKING)) {
		if (sp_q_txn(p))
			sp_q_txn_end(p);	/* its chunks are judged as bdat-unjudged says */
		p->c_lead = 0;
		p->c_mode = CM_BDAT_NEXT;
		p->c_ls = CL_BDAT_FIRST;
		p->c_flags = (p->c_flags & ~CF_SUB_MASK & ~(CF_LAST | CF_BAD)) | BN_VERBEND;
		p->bdat_left = 0;
	}
	return ret;
}

/* The argument matcher: a word of a MAIL line ended. */
static void arg_word_end(struct smtp_parser *p)
{
	u32 s = p->arg_scan;

	if (!(s & AS_ON))
		return;
	if (s & AS_SZ_DIGITS) {
		if (!(s & AS_POS_MASK))
			s |= AS_SZ_BAD;		/* "SIZE=" and no digit */
		s &= ~AS_SZ_DIGITS;
	} else if ((s & (AS_WORD | AS_SZ_WORD | AS_POS_MASK)) == (AS_WORD | 10)) {
		s |= AS_FOUND;
	}
	p->arg_scan = (s & ~(AS_POS_MASK | AS_SZ_WORD)) | AS_WORD;
}

/*
 * SIZE= matched: its digits go to queue[1..2] if nothing is pending (the
 * MAIL then opens the queue's transaction form at its line's end).
 */
static u32 size_word_done(struct smtp_parser *p, u32 s)
{
	s = (s & ~(AS_WORD | AS_SZ_WORD | AS_POS_MASK)) | AS_SZ_DIGITS;
	if (s & AS_SZ_SEEN)
		return s | AS_SZ_BAD;	/* a second one: which does the server take? */
	s |= AS_SZ_SEEN;
	if (p->queue[0] || p->c_mode != CM_CMD || (p->flags & F_QAPPROX))
		return s | AS_SZ_BAD;
	p->queue[1] = 0;
	p->queue[2] = 0;
	return s | AS_SZ_HELD;
}

/* A byte of a MAIL line's word (not a blank): REQUIRETLS, SIZE= and its digits. */
static void arg_word_byte(struct smtp_parser *p, u8 c)
{
	u32 s = p->arg_scan, v;
	unsigned int pos = s & AS_POS_MASK;
	bool size = s & AS_SZ_WORD;
	u8 u = toupper(c);

	if (s & AS_SZ_DIGITS) {
		if (c < '0' || c > '9') {
			p->arg_scan = (s & ~AS_SZ_DIGITS) | AS_SZ_BAD;
			return;
		}
		p->arg_scan = (s & ~AS_POS_MASK) | 1;
		if (!(s & AS_SZ_HELD))
			return;
		v = sp_q_size(p);
		v = v > (U32_MAX - 9) / 10 ? U32_MAX : v * 10 + (c - '0');
		p->queue[1] = v >> 16;
		p->queue[2] = v & 0xffff;
		return;
	}
	if (!(s & AS_WORD))
		return;
	if (!pos && u == 'S') {
		size = true;
		s |= AS_SZ_WORD;
	}
	if (pos >= (size ? 5 : 10) || u != (u8)(size ? "SIZE=" : "REQUIRETLS")[pos]) {
		p->arg_scan = s & ~(AS_WORD | AS_SZ_WORD | AS_POS_MASK);
		return;
	}
	s++;
	p->arg_scan = size && pos == 4 ? size_word_done(p, s) : s;
}

/*
 * Characters old sendmail exploits fed a shell through an address (the pipe,
 * the backquote, $ and ;), and the NUL a server cuts the line at.
 */
static bool path_special(u8 c)
{
	return c == '|' || c == '`' || c == '$' || c == ';' || c == '\0';
}

/*
 * The domain of an RCPT matched one more octet c: keep the names of the set
 * whose octet at this position is c.  The names in lo..hi share the octets
 * so far and are sorted, so those are again a range.
 */
static u32 relay_narrow(const struct smtp_domains *set, u32 s, u8 c)
{
	unsigned int pos = s & AS_RD_POS_MASK;
	unsigned int lo = (s >> AS_RD_LO_SHIFT) & AS_RD_IDX_MASK;
	unsigned int hi = (s >> AS_RD_HI_SHIFT) & AS_RD_IDX_MASK;

	/* hi past the set: the policy changed within the line */
	if (pos >= SMTP_DOMAIN_LEN_MAX || !smtp_set_narrow(set, pos, &lo, &hi, c))
		return s | AS_RD_NONE;
	return (s & ~(AS_RD_POS_MASK | (0x3ffU << AS_RD_LO_SHIFT))) | (pos + 1) |
	       (lo << AS_RD_LO_SHIFT) | (hi << AS_RD_HI_SHIFT);
}

/*
 * One octet of an RCPT path, for the relay set: the '@' outside quotes
 * starts the domain; a '.' is matched only when another octet follows it.
 * A second '@' (a source route, "a@b@c") or one in quotes routes the mail on:
 * postfix looks inside quotes (resolve_dequoted_address) and relays
 * "x@evil"@example.net to evil.
 */
static u32 relay_byte(const struct smtp_domains *set, u32 s, u8 c, bool quoted)
{
	if (c == '%' || c == '!' || (c == '@' && (quoted || (s & AS_RD_IN))))
		return s | AS_RD_ROUTE;
	if (c == '@')
		return s | AS_RD_IN | ((u32)(set->n - 1) << AS_RD_HI_SHIFT);
	if (!(s & AS_RD_IN) || (s & AS_RD_NONE))
		return s;
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	if (c == '.' && !(s & AS_RD_DOT))
		return s | AS_RD_DOT;
	if (s & AS_RD_DOT) {
		s = relay_narrow(set, s, '.');
		if (c == '.')
			return s;	/* ".." : the second waits in turn */
		s &= ~AS_RD_DOT;
	}
	return relay_narrow(set, s, c);
}

/*
 * At the end of an RCPT line: is its domain outside the relay set?  A path
 * without '@' names a user of the server itself (<postmaster>), unless it
 * routes with '%' or '!' (postfix's percent hack and bang paths go on to
 * another host): that, like a domain not listed or a second '@', is foreign.
 */
static bool relay_foreign(const struct smtp_domains *set, u32 s)
{
	unsigned int lo = (s >> AS_RD_LO_SHIFT) & AS_RD_IDX_MASK;

	if (!set)
		return false;
	if (s & AS_RD_ROUTE)
		return true;
	if (!(s & AS_RD_IN))
		return false;
	return (s & AS_RD_NONE) || lo >= set->n || set->len[lo] != (s & AS_RD_POS_MASK);
}

/* One argument byte of a MAIL or RCPT line: the path's share. */
static void path_byte(struct run *r, u8 c)
{
	struct smtp_parser *p = r->p;
	u32 s = p->arg_scan;
	unsigned int at = (s & AS_AD_MASK) >> AS_AD_SHIFT;
	bool blank = smtp_is_blank(c);
	bool quoted = s & (AS_QUOTE | AS_ESC);

	if (at == AD_DONE)
		return;		/* the parameters */
	switch (at) {
	case AD_ARG:	/* "FROM:" or "TO:" */
		if (c == ':')
			at = AD_LEAD;
		break;
	case AD_LEAD:	/* postfix takes blanks after the colon */
		if (blank)
			break;
		at = AD_PATH;
		if (c == '<') {
			s |= AS_BRACKET;
			break;
		}
		fallthrough;
	case AD_PATH:
		if (s & AS_ESC) {
			s &= ~AS_ESC;
		} else if (s & AS_QUOTE) {
			if (c == '"')
				s &= ~AS_QUOTE;
			else if (c == '\\')
				s |= AS_ESC;
		} else if (c == '"') {
			s |= AS_QUOTE;
		} else if ((s & AS_BRACKET) ? c == '>' : blank) {
			at = AD_DONE;
			break;
		}
		if (path_special(c))
			s |= AS_SPECIAL;
		if (s & AS_ON) {	/* MAIL: the length, saturating */
			if (((s >> AS_LEN_SHIFT) & AS_LEN_MAX) < AS_LEN_MAX)
				s += 1U << AS_LEN_SHIFT;
		} else if (r->relay) {
			s = relay_byte(r->relay, s, c, quoted);
		}
		break;
	}
	p->arg_scan = (s & ~AS_AD_MASK) | (at << AS_AD_SHIFT);
}

/* One argument byte of a MAIL or RCPT line (not the line's end). */
static void arg_byte(struct run *r, u8 c)
{
	struct smtp_parser *p = r->p;

	if (p->arg_scan & AS_ADDR)
		path_byte(r, c);
	if (!(p->arg_scan & AS_ON))
		return;
	if (smtp_is_blank(c))
		arg_word_end(p);
	else
		arg_word_byte(p, c);
}

/*
 * Commands after which no message of the transaction is judged against a
 * SIZE=: they end it (RSET, QUIT, HELO, EHLO), or its message comes in
 * chunks (BDAT: bdat-unjudged covers them).
 */
static bool ends_transaction(unsigned int verb)
{
	return verb == SMTP_VERB_RSET || verb == SMTP_VERB_QUIT || verb == SMTP_VERB_HELO ||
	       verb == SMTP_VERB_EHLO || verb == SMTP_VERB_BDAT;
}

/* A command line ended at offset i (the LF, after a CR when crlf). */
static int command_done(struct run *r, s32 i, bool crlf)
{
	struct smtp_parser *p = r->p;
	unsigned int verb = sp_tok_verb(p->c_tok);
	u16 flags = p->c_len >= SMTP_LINE_COUNTER_MAX ? SMTP_EVF_NOSPAN : 0;
	u32 value = 0, path_len = 0, size = 0;
	bool size_lost = false, had_size;
	int ret;

	arg_word_end(p);
	if (p->arg_scan & AS_ON) {
		size_lost = (p->arg_scan & (AS_SZ_SEEN | AS_SZ_BAD)) == (AS_SZ_SEEN | AS_SZ_BAD);
		if (p->arg_scan & AS_SZ_HELD) {
			/* the digits leave queue[1..2] before the MAIL is pushed */
			size = size_lost ? 0 : sp_q_size(p);
			p->queue[1] = 0;
			p->queue[2] = 0;
		}
	}
	if (p->arg_scan & AS_FOUND)
		flags |= SMTP_EVF_REQUIRETLS;
	if (p->arg_scan & AS_SPECIAL)
		flags |= SMTP_EVF_SPECIAL;
	if (p->arg_scan & AS_ON)
		path_len = (p->arg_scan >> AS_LEN_SHIFT) & AS_LEN_MAX;
	else if (verb == SMTP_VERB_RCPT && relay_foreign(r->relay, p->arg_scan))
		flags |= SMTP_EVF_FOREIGN;
	p->arg_scan = 0;
	if (p->c_flags & CF_AUTH_CONT) {
		verb = SMTP_VERB_AUTH_DATA;
		p->c_flags &= ~CF_AUTH_CONT;
	}
	if (verb == SMTP_VERB_RCPT)
		value = (u32)p->txn + 1;
	{
		s32 end = i - crlf;	/* end of content */
		s32 start = end - (s32)p->c_len;
		struct smtp_event ev = {
			.type = SMTP_EV_COMMAND, .dir = SMTP_DIR_CLIENT,
			.verb = verb, .flags = flags, .start = start,
			.len = i + 1 - start, .value = value, .arg_len = -1,
			.path_len = path_len,
		};

		/* after leading blanks the arguments' start is not known */
		if (verb >= SMTP_VERB_AUTH && verb <= SMTP_VERB_VRFY && !p->c_lead) {
			s32 vlen = (s32)(p->c_tok >> TOK_POS_SHIFT) + 1;

			ev.arg_start = start + vlen;
			ev.arg_len = end > ev.arg_start ? end - ev.arg_start : 0;
			if (ev.arg_len == 0)
				ev.arg_start = end;
		}
		ret = SMTP_CONTINUE;
		if (r->sink && r->sink->fn)
			ret = r->sink->fn(r->sink->ctx, &ev);
	}
	if (ret == SMTP_MASKED) {
		verb = SMTP_VERB_UNKNOWN;	/* masked by the sink: the server answers 500 */
		ret = SMTP_CONTINUE;
	}
	/* MAIL, RSET, HELO, EHLO reset the count when the server accepts them */
	switch (verb) {
	case SMTP_VERB_RCPT:
		if (p->txn < TX_RCPT_MAX)
			p->txn++;
		break;
	case SMTP_VERB_STARTTLS:
		p->c_flags |= CF_STLS_PEND;
		break;
	case SMTP_VERB_DATA:
		p->c_flags |= CF_DATA_PEND;
		break;
	}
	p->c_ls = CL_START;
	p->c_len = 0;
	p->c_tok = 0;
	p->c_lead = 0;
	had_size = sp_q_txn(p);
	if (!sp_q_push(p, verb)) {
		if (ret == SMTP_STOP)
			return ret;
		ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_QUEUE_FULL, i, 1);
		if (ret == SMTP_STOP)
			return ret;
		return sp_lost_sync(r, SMTP_DIR_CLIENT, i);
	}
	if (verb != SMTP_VERB_MAIL) {
		size = 0;
		size_lost = false;	/* a masked MAIL opens nothing */
	}
	if (size)
		sp_q_txn_begin(p, size);
	/* a command the transaction form cannot hold ends it, the transaction goes on */
	if (had_size && !sp_q_txn(p) && !ends_transaction(verb))
		size_lost = true;
	if (size_lost && r->size_excess && ret != SMTP_STOP)
		ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_SIZE_UNJUDGED, i, 1);
	return ret;
}

/* ---- client: BDAT command lines ------------------------------------------ */

/*
 * Leave a BDAT_NEXT parse that turned out not to be BDAT: the message is
 * abandoned and the line is an ordinary command whose first n bytes were
 * "BDAT"[0..n).
 */
static void bdat_fallback(struct smtp_parser *p, unsigned int n)
{
	unsigned int k;
	u16 tok = 0;

	for (k = 0; k < n; k++)
		tok = sp_tok_step(sp_verb_words, SP_NVERBS, tok, "BDAT"[k]);
	sp_to_command_mode(p);
	p->c_len = n;
	p->c_tok = tok;
	p->c_ls = n ? CL_VERB : CL_START;
}

/* The BDAT command line ended at offset i. */
static int bdat_line_done(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;
	bool first = p->c_ls == CL_BDAT_FIRST;
	bool last = p->c_flags & CF_LAST;
	u16 txn, sized = 0;
	u32 old = 0;
	int ret;

	ret = sp_emit(r, SMTP_EV_COMMAND, SMTP_DIR_CLIENT, SMTP_VERB_BDAT, 0, 0,
		      SMTP_EVF_NOSPAN, i, 1, p->bdat_left);
	if (ret == SMTP_STOP)
		return ret;
	if (!sp_q_push(p, SMTP_VERB_BDAT)) {
		ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_QUEUE_FULL, i, 1);
		return ret == SMTP_STOP ? ret : sp_lost_sync(r, SMTP_DIR_CLIENT, i);
	}
	if (p->c_flags & CF_BAD) {
		/* all ones marks an overflow: sizes stop at 0xfffffffe */
		if (p->bdat_left == U32_MAX) {
			ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BDAT_TOO_BIG, i, 1);
			return ret == SMTP_STOP ? ret : sp_lost_sync(r, SMTP_DIR_CLIENT, i);
		}
		/* the server answers 5xx and reads on as commands */
		txn = p->txn;
		sp_to_command_mode(p);
		if (first)
			p->txn = txn;	/* no message began: the transaction goes on */
		return sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BDAT_SYNTAX, i, 1);
	}
	if (first) {
		sp_start_message(p);
		p->c_ls = BL_START;
		if (sp_q_msg_begin(p, p->bdat_left))
			sized = SMTP_EVF_SIZED;
	} else if (sp_q_msg(p)) {
		old = sp_q_msg_add(p, p->bdat_left);
	}
	p->c_mode = CM_BDAT;
	p->c_flags = last ? CF_LAST : 0;
	if (p->c_ls == HL_NAME || p->c_ls == HL_WSP || p->c_ls == BL_CR)
		p->c_flags |= CF_SPLIT;
	if (p->txn & TX_HDR)
		p->c_len = 0;	/* a header line's length restarts after a chunk break */
	/* the chunks declared so far make the message too big: said before its bytes flow */
	if (sp_q_msg(p) && over_limit(r->max_message, old, sp_q_size(p))) {
		ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_MESSAGE_TOO_BIG, i, 1);
		if (ret == SMTP_STOP)
			return ret;
	}
	return sp_emit(r, SMTP_EV_BDAT_START, SMTP_DIR_CLIENT, SMTP_VERB_BDAT, 0, 0,
		       (last ? SMTP_EVF_LAST : 0) | (first ? SMTP_EVF_FIRST | sized : 0),
		       i + 1, 0, p->bdat_left);
}

/* One byte of a BDAT command in CM_BDAT_NEXT. Returns 1 to re-handle c as a command. */
/* One byte of BDAT's arguments, " SIZE [LAST]": the next sub-state. */
static unsigned int bdat_arg_byte(struct smtp_parser *p, unsigned int sub,
				  u8 c, bool sp, u8 *f)
{
	switch (sub) {
	case BN_SP:
		if (sp)
			return sub;
		if (c >= '0' && c <= '9') {
			p->bdat_left = c - '0';
			return BN_NUM;
		}
		break;
	case BN_NUM:
		if (c >= '0' && c <= '9') {
			u32 d = c - '0';

			if (p->bdat_left > (0xfffffffeU - d) / 10) {
				p->bdat_left = U32_MAX;	/* too large */
				break;
			}
			p->bdat_left = p->bdat_left * 10 + d;
			return sub;
		}
		if (sp)
			return BN_POST;
		break;
	case BN_POST:
		if (sp)
			return sub;
		if (toupper(c) == 'L')
			return BN_LA;
		break;
	case BN_LA: case BN_LS: case BN_LT:
		if (toupper(c) == (u8)"AST"[sub - BN_LA]) {
			if (++sub == BN_END)
				*f |= CF_LAST;
			return sub;
		}
		break;
	case BN_END:
		if (sp)
			return sub;
		break;
	default:	/* BN_JUNK: up to the line's end */
		return sub;
	}
	*f |= CF_BAD;
	return BN_JUNK;
}

static int bdat_cmd_byte(struct run *r, s32 i, u8 c, int *ret)
{
	struct smtp_parser *p = r->p;
	unsigned int sub = p->c_flags & CF_SUB_MASK;
	u8 f = p->c_flags & ~CF_SUB_MASK;
	/* the blanks that ended the verb separate its words too (postfix) */
	bool sp = c != '\r' && smtp_is_blank(c);

	*ret = SMTP_CONTINUE;
	switch (sub) {
	case BN_B: case BN_D: case BN_A: case BN_T:
		if (toupper(c) == (u8)"BDAT"[sub]) {
			sub++;
			break;
		}
		bdat_fallback(p, sub);
		return 1;
	case BN_VERBEND:
		/*
		 * Only a byte that cannot end a verb makes BDAT a longer
		 * verb; any other (a NUL: the server cuts the line there and
		 * sees no size) must not go back to the verb it just ended.
		 */
		if (!sp && c != '\r' && c != '\n' && c != '\0') {
			bdat_fallback(p, 4);
			return 1;
		}
		if (p->c_ls != CL_BDAT_FIRST) {
			*ret = sp_emit(r, SMTP_EV_VERB, SMTP_DIR_CLIENT, SMTP_VERB_BDAT,
				       0, 0, 0, i - 4, 4, 0);
			if (*ret == SMTP_MASKED) {
				bdat_fallback(p, 4);
				p->c_tok = TOK_DEAD;
				return 1;
			}
		}
		sub = BN_SP;
		if (sp)
			break;
		f |= CF_BAD;	/* no size */
		if (c == '\0') {
			sub = BN_JUNK;
			break;
		}
		fallthrough;
	case BN_SP: case BN_NUM: case BN_POST: case BN_LA: case BN_LS:
	case BN_LT: case BN_END: case BN_JUNK:
		if (c == '\n') {
			if (sub != BN_NUM && sub != BN_POST && sub != BN_END)
				f |= CF_BAD;
			p->c_flags = f | sub;
			*ret = bdat_line_done(r, i);
			return 0;
		}
		if (c == '\r') {
			if (sub != BN_NUM && sub != BN_POST && sub != BN_END)
				f |= CF_BAD;
			sub = BN_CR;
			break;
		}
		sub = bdat_arg_byte(p, sub, c, sp, &f);
		break;
	case BN_CR:
		if (c == '\n') {
			p->c_flags = f | BN_END;
			*ret = bdat_line_done(r, i);
			return 0;
		}
		f |= CF_BAD;
		sub = BN_JUNK;
		break;
	}
	p->c_flags = f | sub;
	return 0;
}

/* ---- client: resynchronisation -------------------------------------------- */

/* A final server reply was seen while the client waits to resync. */
int  sp_client_confirm(struct run *r, u16 code)
{
	struct smtp_parser *p = r->p;

	if (p->c_mode != CM_RESYNC || p->c_ls != RL_START)
		return SMTP_CONTINUE;
	p->flags &= ~F_CHECK_CLIENT;
	if (code == 354) {
		sp_start_data(p);
		/* headers may be long gone: judge no duplicates in this message */
		p->txn = 0;
	} else {
		sp_to_command_mode(p);
		p->flags |= F_PROBE;
	}
	return sp_emit(r, SMTP_EV_RESYNC, SMTP_DIR_CLIENT, 0, 0, 0, 0, 0, 0, 0);
}

/* ---- client: the byte loop ---------------------------------------------- */

/* What a byte handler wants next: the next byte, or this byte again in a new state. */
enum { NEXT, AGAIN };

/* One byte of a command line (CM_CMD). */
static int cmd_byte(struct run *r, s32 i, u8 c, int *ret)
{
	struct smtp_parser *p = r->p;

	switch (p->c_ls) {
	case CL_START:
		/*
		 * Servers split commands on any white space and skip it in
		 * front (postfix does): so must we, or " STARTTLS" and
		 * "STARTTLS<TAB>" would slip past a mask.  The verb's span then
		 * includes the leading blanks.
		 */
		if (c == '\r') {
			p->c_ls = CL_LEAD_CR;	/* a blank, unless an LF follows */
			return NEXT;
		}
		if (smtp_is_blank(c)) {
			*ret = c_count(r, i, 1, r->max_cmd, SMTP_ANOM_CMD_TOO_LONG);
			p->c_lead = 1;
			return NEXT;
		}
		fallthrough;
	case CL_VERB:
		/* postfix and sendmail cut a command line at a NUL: it ends the verb */
		if (smtp_is_blank(c) || c == '\n' || c == '\0') {
			*ret = verb_done(r, i);
			if (*ret != SMTP_STOP && p->c_mode == CM_CMD)
				p->c_ls = CL_ARGS;
			/* the delimiter belongs to the arguments, BDAT or resync */
			return AGAIN;
		}
		p->c_ls = CL_VERB;
		p->c_tok = sp_tok_step(sp_verb_words, SP_NVERBS, p->c_tok, c);
		if (*ret != SMTP_STOP)
			*ret = c_count(r, i, 1, r->max_cmd, SMTP_ANOM_CMD_TOO_LONG);
		return NEXT;
	case CL_ARGS:
		if (c == '\r') {
			p->c_ls = CL_CR;
		} else if (c == '\n') {
			*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BARE_LF, i, 1);
			if (*ret != SMTP_STOP)
				*ret = command_done(r, i, false);
		} else {
			if (c == '\0')
				*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_NUL, i, 1);
			if (*ret != SMTP_STOP)
				*ret = c_count(r, i, 1, r->max_cmd, SMTP_ANOM_CMD_TOO_LONG);
			arg_byte(r, c);
		}
		return NEXT;
	case CL_LEAD_CR:
		if (c == '\n') {
			*ret = command_done(r, i, true);
			return NEXT;
		}
		p->c_ls = CL_START;	/* the CR was a blank */
		p->c_lead = 1;
		*ret = c_count(r, i - 1, 1, r->max_cmd, SMTP_ANOM_CMD_TOO_LONG);
		return AGAIN;
	default:	/* CL_CR */
		if (c == '\n') {
			*ret = command_done(r, i, true);
			return NEXT;
		}
		/* the CR was content: a blank to servers */
		p->c_ls = CL_ARGS;
		arg_byte(r, '\r');
		*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BARE_CR, i - 1, 1);
		if (*ret != SMTP_STOP)
			*ret = c_count(r, i - 1, 1, r->max_cmd, SMTP_ANOM_CMD_TOO_LONG);
		return AGAIN;
	}
}

/* A BDAT chunk's content ended at offset i. */
static int chunk_end(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;
	bool last = p->c_flags & CF_LAST;
	int ret;

	ret = sp_emit(r, SMTP_EV_BDAT_END, 0, SMTP_VERB_BDAT, 0, 0,
		      last ? SMTP_EVF_LAST : 0, i, 0, 0);
	if (last) {
		sp_to_command_mode(p);
	} else {
		p->c_mode = CM_BDAT_NEXT;
		p->c_flags = BN_B;
	}
	return ret;
}

/* One byte of a header section line inside BDAT content. */
static void bdat_header_byte(struct run *r, s32 i, u8 c, int *ret)
{
	struct smtp_parser *p = r->p;

	switch (p->c_ls) {
	case BL_START:
		p->c_flags &= ~CF_SPLIT;
		if (c == '\r') {
			p->c_ls = BL_CR;
		} else if (c == '\n') {
			p->txn &= ~TX_HDR;
			*ret = sp_emit(r, SMTP_EV_HEADERS_END, 0, 0, 0, 0, 0, i, 1, 0);
		} else if (c == ' ' || c == '\t') {
			p->c_ls = BL_TEXT;
			p->c_len = 1;
		} else {
			p->c_ls = HL_NAME;
			p->c_len = 1;
			p->c_tok = sp_tok_step(sp_hdr_words, SP_NHDRS, 0, c);
		}
		return;
	case BL_CR:
		if (c == '\n') {
			/* a CR before the BDAT command is not at i - 1 */
			bool split = p->c_flags & CF_SPLIT;

			p->txn &= ~TX_HDR;
			*ret = sp_emit(r, SMTP_EV_HEADERS_END, 0, 0, 0, 0, 0,
				       split ? i : i - 1, split ? 1 : 2, 0);
		} else {
			p->c_ls = BL_TEXT;
			p->c_len = 2;
		}
		return;
	default:	/* HL_NAME, HL_WSP */
		if (c == ':') {
			p->c_ls = BL_TEXT;
			*ret = header_done(r, i);
			p->c_len++;
		} else if (c == ' ' || c == '\t') {
			p->c_ls = HL_WSP;
			p->c_len++;
		} else if (p->c_ls == HL_NAME && c > 32 && c < 127) {
			if (!hdr_prefix_done(p->c_tok))
				p->c_tok = sp_tok_step(sp_hdr_words, SP_NHDRS, p->c_tok, c);
			p->c_len++;
		} else if (c == '\n') {
			p->c_ls = BL_START;
			p->c_len = 0;
		} else {
			p->c_ls = BL_TEXT;
			p->c_len++;
		}
	}
}

/* BDAT content from offset i: binary, only the header section is looked at. */
static size_t bdat_content(struct run *r, const u8 *buf, size_t i, size_t n,
			   int *ret)
{
	struct smtp_parser *p = r->p;
	size_t avail = n - i, take = 1;
	bool hdr = (p->txn & TX_HDR) && r->max_headers && sp_q_msg(p);
	/* the offset of byte i in the message */
	u32 at = hdr ? sp_q_size(p) - p->bdat_left : 0;

	if (avail > p->bdat_left)
		avail = p->bdat_left;
	if (!(p->txn & TX_HDR)) {
		take = avail;	/* body: nothing to look at */
	} else if (p->c_ls == BL_TEXT) {
		const u8 *q = scan_lf(buf + i, buf + i + avail);

		take = q - (buf + i);
		if (q < buf + i + avail) {
			take++;
			p->c_ls = BL_START;
			p->c_len = 0;
		} else {
			u32 len = p->c_len + take;

			p->c_len = len > SMTP_LINE_COUNTER_MAX ? SMTP_LINE_COUNTER_MAX : len;
		}
	} else {
		bdat_header_byte(r, i, buf[i], ret);
	}
	p->bdat_left -= take;
	/* the header section, its empty line included, crosses the limit here */
	if (hdr && *ret != SMTP_STOP && over_limit(r->max_headers, at, at + take))
		*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_HEADERS_TOO_BIG,
				  i + (s32)(r->max_headers - at), 1);
	return take;
}

/*
 * The octets of DATA text past which the message is over its SIZE= by more
 * than the sink allows; 0: no check.  RFC 1870 counts neither the dots a
 * server drops at line starts nor the end-of-data line: each such dot
 * raised the parked size as it came (data_line_start()), the CRLF after
 * the last one is allowed here.
 */
static u32 size_limit(const struct run *r)
{
	u32 lim;

	if (!r->size_excess || !sp_size_parked(r->p))
		return 0;
	lim = sp_size_parked_value(r->p) + 2;
	lim = lim < 2 ? U32_MAX : lim;
	return lim + r->size_excess < lim ? U32_MAX : lim + r->size_excess;
}

/*
 * add octets of DATA text from offset i were read (hdr: in the header
 * section, its empty line included): count them, report crossing the
 * message's or its header section's size limit.  A message's size is every
 * octet after the 354, the end-of-data line included.
 */
static void text_count(struct run *r, s32 i, u32 add, bool hdr, int *ret)
{
	struct smtp_parser *p = r->p;
	u32 old = p->text_len, len = old + add < old ? U32_MAX : old + add;

	p->text_len = len;
	if (*ret == SMTP_STOP)
		return;
	if (hdr && over_limit(r->max_headers, old, len))
		*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_HEADERS_TOO_BIG,
				  i + (s32)(r->max_headers - old), 1);
	if (*ret != SMTP_STOP && over_limit(r->max_message, old, len))
		*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_MESSAGE_TOO_BIG,
				  i + (s32)(r->max_message - old), 1);
	if (*ret != SMTP_STOP && r->size_excess) {
		u32 size = size_limit(r);

		if (over_limit(size, old, len))
			*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_SIZE_EXCEEDED,
					  i + (s32)(size - old), 1);
	}
}

/*
 * Where a DL_TEXT scan from offset i must end: right after the octet that
 * crosses a size limit (or n).  Its line-length anomaly, found for the scan
 * as a whole, then comes before the size's, as byte by byte: events come in
 * the same order however the text is cut.
 */
static size_t text_end(const struct run *r, bool hdr, size_t i, size_t n)
{
	u32 len = r->p->text_len, left = U32_MAX, size;

	if (hdr && r->max_headers && len <= r->max_headers)
		left = r->max_headers - len;
	if (r->max_message && len <= r->max_message && r->max_message - len < left)
		left = r->max_message - len;
	size = size_limit(r);
	if (size && len <= size && size - len < left)
		left = size - len;
	return left < n - i ? i + left + 1 : n;
}

/*
 * Message text from offset i in DL_TEXT: scan a word at a time to the next
 * CR, LF or NUL, counting the line.  Returns the offset of that byte (or n).
 */
static size_t data_text(struct run *r, const u8 *buf, size_t i, size_t n, int *ret)
{
	struct smtp_parser *p = r->p;
	bool hdr = p->txn & TX_HDR;
	u16 limit = hdr ? r->max_hdr : r->max_text;
	u8 anom = hdr ? SMTP_ANOM_HEADER_TOO_LONG : SMTP_ANOM_TEXT_TOO_LONG;
	u32 max = count_max(limit), len = p->c_len;
	size_t j;

	for (;;) {
		const u8 *q = scan_ctl(buf + i, buf + n);
		size_t adv = q - (buf + i);

		if (adv) {
			if (len + adv <= max) {
				len += adv;	/* what c_count would do */
			} else {
				p->c_len = len;
				*ret = c_count(r, i, adv, limit, anom);
				len = p->c_len;
			}
			i += adv;
			if (*ret == SMTP_STOP || i == n)
				break;
		}
		/*
		 * Body fast path: CRLF, maybe empty lines, and a byte that means
		 * nothing at a line start is the next text line, as DL_CR and
		 * DL_START_CRLF would find: scan on.
		 */
		if (buf[i] != '\r' || hdr || (p->c_flags & MF_PART))
			break;
		j = i;
		while (n - j >= 4 && buf[j + 1] == '\n' && buf[j + 2] == '\r')
			j += 2;
		if (n - j < 3 || buf[j + 1] != '\n' || line_start_special(buf[j + 2]))
			break;
		len = 0;
		i = j + 2;
	}
	p->c_len = len;
	return i;
}

/* The control byte after DL_TEXT's scan: CR, LF or NUL. */
static void data_ctl(struct run *r, s32 i, u8 c, int *ret)
{
	struct smtp_parser *p = r->p;
	bool hdr = p->txn & TX_HDR;

	if (c == '\r') {
		p->c_ls = DL_CR;
	} else if (c == '\n') {
		*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BARE_LF, i, 1);
		p->c_ls = DL_START_LF;
		p->c_len = 0;
	} else {
		*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_NUL, i, 1);
		if (*ret != SMTP_STOP)
			*ret = c_count(r, i, 1, hdr ? r->max_hdr : r->max_text,
				       hdr ? SMTP_ANOM_HEADER_TOO_LONG :
				       SMTP_ANOM_TEXT_TOO_LONG);
	}
}

/*
 * A byte of a header or part header line's text while a MIME value is
 * matched (a word at a time would walk past its end).
 */
static int mime_text_byte(struct run *r, s32 i, u8 c, int *ret)
{
	struct smtp_parser *p = r->p;
	bool hdr = p->txn & TX_HDR;

	if (is_ctl(c)) {
		/* a line end: a fold may go on; a NUL is an octet of the value */
		*ret = c ? sp_mime_line_end(r, i) : sp_mime_value_byte(r, i, c);
		if (*ret != SMTP_STOP)
			data_ctl(r, i, c, ret);
		return NEXT;
	}
	*ret = sp_mime_value_byte(r, i, c);
	if (*ret != SMTP_STOP)
		*ret = c_count(r, i, 1, hdr ? r->max_hdr : r->max_text,
			       hdr ? SMTP_ANOM_HEADER_TOO_LONG : SMTP_ANOM_TEXT_TOO_LONG);
	return NEXT;
}

/*
 * An empty line ended at offset i (its line end len octets): the end of the
 * header section, or of a part's.  A message/ part's body is headers again.
 */
static int empty_line(struct run *r, s32 i, s32 len)
{
	struct smtp_parser *p = r->p;
	int ret = SMTP_CONTINUE;

	if (!(p->txn & TX_HDR) && !(p->c_flags & MF_PART))
		return ret;
	if (p->txn & TX_HDR) {
		p->txn &= ~TX_HDR;
		ret = sp_emit(r, SMTP_EV_HEADERS_END, 0, 0, 0, 0, 0, i - len + 1, len,
			      p->text_len + 1);
	}
	if (p->c_flags & MF_NEST)
		p->c_flags = (p->c_flags & ~MF_NEST) | MF_PART;
	else
		p->c_flags &= ~MF_PART;
	return ret;
}

/*
 * The first byte of a line's content, its stuffed dot (if any) gone, as the
 * server stores it: a header name, a folded line, a boundary, or text.
 */
static int line_content(struct run *r, s32 i, u8 c, int *ret)
{
	struct smtp_parser *p = r->p;
	bool hdr = (p->txn & TX_HDR) || (p->c_flags & MF_PART);

	if (hdr && *ret != SMTP_STOP)
		*ret = sp_mime_line_start(r, i, c);
	if (c == '-' && !(p->txn & TX_HDR)) {
		p->c_ls = DL_DASH;
		p->c_len = 1;
		return NEXT;
	}
	if (!hdr || c == ' ' || c == '\t') {
		p->c_ls = DL_TEXT;	/* body text, or a folded header line */
		return AGAIN;
	}
	p->c_ls = HL_NAME;
	p->c_tok = sp_tok_step(sp_hdr_words, SP_NHDRS, 0, c);
	p->c_len = 1;
	return NEXT;
}

/* A byte at the start of a message text line (after CRLF, a bare LF or a bare CR). */
static int data_line_start(struct run *r, s32 i, u8 c, int *ret)
{
	struct smtp_parser *p = r->p;

	if (c == '.') {
		p->c_ls = p->c_ls == DL_START_CRLF ? DL_DOT_CRLF : DL_DOT_BARE;
		sp_size_allow_dot(p);	/* the server drops it, or it ends the text */
		return NEXT;
	}
	if (p->c_ls == DL_START_CR && c) {
		/* a bare CR does not start a line for the server */
		p->c_ls = DL_TEXT;
		return AGAIN;
	}
	if (c == '\0' || c == '\r' || c == '\n')
		*ret = sp_mime_line_start(r, i, c);	/* a MIME value ends */
	if (c == '\0') {
		if (*ret != SMTP_STOP)
			*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_NUL, i, 1);
		p->c_ls = DL_START_CR;	/* "\r\n\0." is not a clean line start */
		return NEXT;
	}
	if (c == '\r') {
		p->c_ls = DL_CR;
		return NEXT;
	}
	if (c == '\n') {
		if (*ret != SMTP_STOP)
			*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BARE_LF, i, 1);
		if (*ret != SMTP_STOP && p->c_len == 0)
			*ret = empty_line(r, i, 1);
		p->c_ls = DL_START_LF;
		return NEXT;
	}
	return line_content(r, i, c, ret);
}

/* A byte after "." at a line start, or after ".\r". */
static int data_dot(struct run *r, s32 i, u8 c, int *ret)
{
	struct smtp_parser *p = r->p;

	if (p->c_ls == DL_DOT_CRLF || p->c_ls == DL_DOT_BARE) {
		if (c == '\r') {
			p->c_ls = p->c_ls == DL_DOT_CRLF ? DL_DOTCR_CRLF : DL_DOTCR_BARE;
			return NEXT;
		}
		if (c == '\n') {
			*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_SMUGGLING, i - 1, 2);
			p->c_ls = DL_START_LF;
			p->c_len = 0;
			return NEXT;
		}
		if (c == '\0') {
			*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_NUL, i, 1);
			p->c_ls = DL_DOT_BARE;
			return NEXT;
		}
		/* a dot-stuffed line: the server drops the dot */
		if (c == '.') {
			p->c_ls = DL_TEXT;
			return AGAIN;
		}
		return line_content(r, i, c, ret);
	}
	if (c == '\n' && p->c_ls == DL_DOTCR_CRLF) {
		/* CRLF.CRLF: end of data, the "." answered like a command */
		u32 len;

		text_count(r, i, 1, false, ret);
		len = p->text_len;
		/* a MIME field the message ended in: its name is judged too */
		if (*ret != SMTP_STOP && (p->c_flags & MF_VAL))
			*ret = sp_mime_value_end(r, i - 2);
		sp_to_command_mode(p);
		if (*ret != SMTP_STOP)
			*ret = sp_emit(r, SMTP_EV_DATA_END, 0, SMTP_VERB_EOD, 0, 0, 0,
				       i - 2, 3, len);
		if (!sp_q_push(p, SMTP_VERB_EOD) && *ret != SMTP_STOP)
			*ret = sp_lost_sync(r, SMTP_DIR_CLIENT, i);
		return NEXT;
	}
	/* span: the ".\r", and the LF when one ends the line */
	*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_SMUGGLING, i - 2, c == '\n' ? 3 : 2);
	p->c_len = 0;
	if (c == '\n') {
		p->c_ls = DL_START_CRLF;
		return NEXT;
	}
	/* the CR after the dot was bare */
	p->c_ls = DL_START_CR;
	return AGAIN;
}

/* One byte of message text outside DL_TEXT (CM_DATA). */
static int data_byte(struct run *r, s32 i, u8 c, int *ret)
{
	struct smtp_parser *p = r->p;

	switch (p->c_ls) {
	case DL_CR:
		if (c == '\n') {
			if (p->c_len == 0)
				*ret = empty_line(r, i, 2);
			p->c_ls = DL_START_CRLF;
			p->c_len = 0;
			return NEXT;
		}
		/* a bare CR: a dot right after it would be a smuggling try */
		*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BARE_CR, i - 1, 1);
		p->c_ls = DL_START_CR;
		return AGAIN;
	case DL_START_CRLF:
	case DL_START_LF:
	case DL_START_CR:
		return data_line_start(r, i, c, ret);
	case DL_DASH:
		if (c == '-') {
			/* a boundary, maybe: a part's header section follows */
			p->c_flags = (p->c_flags & ~MF_NEST) | MF_PART;
		}
		p->c_ls = DL_TEXT;
		return AGAIN;
	case HL_NAME:
	case HL_WSP:
		if (c == ':') {
			p->c_ls = DL_TEXT;
			if (p->txn & TX_HDR)
				*ret = header_done(r, i);
			else
				sp_mime_field(p, header_id(p->c_tok));
		} else if (c == ' ' || c == '\t') {
			p->c_ls = HL_WSP;
		} else if (p->c_ls == HL_NAME && c > 32 && c < 127) {
			if (!hdr_prefix_done(p->c_tok))
				p->c_tok = sp_tok_step(sp_hdr_words, SP_NHDRS, p->c_tok, c);
		} else {
			/* not a header field after all: plain text */
			p->c_ls = DL_TEXT;
			return AGAIN;
		}
		if (*ret != SMTP_STOP && (p->txn & TX_HDR))
			*ret = c_count(r, i, 1, r->max_hdr, SMTP_ANOM_HEADER_TOO_LONG);
		else if (*ret != SMTP_STOP)
			*ret = c_count(r, i, 1, r->max_text, SMTP_ANOM_TEXT_TOO_LONG);
		return NEXT;
	default:	/* DL_DOT_*, DL_DOTCR_* */
		return data_dot(r, i, c, ret);
	}
}

/* Client bytes while one STARTTLS or DATA awaits its reply: flag them once. */
static int pipelined_check(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;

	if (!(p->c_flags & (CF_STLS_PEND | CF_DATA_PEND)) ||
	    (p->c_flags & CF_PIPED) || p->c_mode != CM_CMD)
		return SMTP_CONTINUE;
	p->c_flags |= CF_PIPED;
	return sp_anomaly(r, SMTP_DIR_CLIENT, (p->c_flags & CF_STLS_PEND) ?
			  SMTP_ANOM_STARTTLS_INJECTION : SMTP_ANOM_DATA_PIPELINED,
			  i, 1);
}

/*
 * The client's first byte after a 220 to a command the parser did not take
 * for STARTTLS: a TLS record (handshake, 0x16) means the server took it for
 * STARTTLS; anything else (after XCLIENT's 220, say) is a command.  Returns
 * true when the session went to TLS.
 */
static bool maybe_tls(struct run *r, s32 i, u8 c, int *ret)
{
	struct smtp_parser *p = r->p;

	p->c_flags &= ~CF_TLS_MAYBE;
	if (c != 0x16 || p->c_ls != CL_START || p->c_len)
		return false;
	*ret = sp_anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_REPLY_MISMATCH, i, 1);
	sp_tls_start(p);
	if (*ret != SMTP_STOP)
		*ret = sp_emit(r, SMTP_EV_TLS_START, SMTP_DIR_CLIENT, 0, 0, 220, 0, i, 0, 0);
	return true;
}

/* Resynchronising: skip to each line start and wait there for a server reply. */
static size_t resync_bytes(struct smtp_parser *p, const u8 *buf, size_t i, size_t n)
{
	const u8 *q;

	if (p->c_ls == RL_START && buf[i] != '\n')
		p->c_ls = RL_MID;	/* no confirmation came at this line start */
	q = scan_lf(buf + i, buf + n);
	if (q == buf + n)
		return n;
	p->c_ls = RL_START;
	return q - buf + 1;
}

size_t sp_parse_client(struct run *r, const u8 *buf, size_t n)
{
	struct smtp_parser *p = r->p;
	size_t i = 0, last = n;
	unsigned int again = 0;
	int ret = SMTP_CONTINUE;
	bool hdr;

	while (i < n) {
		u8 c = buf[i];
		int next = NEXT;

		/*
		 * A byte is handed from one state to the next a few times at
		 * most; more means two states hand it back and forth.  Never
		 * spin in softirq: give up on the session instead.
		 */
		if (i != last) {
			last = i;
			again = 0;
		} else if (WARN_ON_ONCE(++again > SP_MAX_REHANDLE)) {
			ret = sp_lost_sync(r, SMTP_DIR_CLIENT, i);
			if (ret == SMTP_STOP)
				return i;
			again = 0;
		}
		ret = pipelined_check(r, i);
		if (ret == SMTP_STOP)
			return i;
		switch (p->c_mode) {
		case CM_TLS:
			return sp_parse_tls(r, SMTP_DIR_CLIENT, buf, i, n);
		case CM_RESYNC:
			i = resync_bytes(p, buf, i, n);
			continue;
		case CM_BDAT:
			i += bdat_content(r, buf, i, n, &ret);
			if (ret != SMTP_STOP && !p->bdat_left)
				ret = chunk_end(r, i);
			if (ret == SMTP_STOP)
				return i;
			continue;
		case CM_BDAT_NEXT:
			if (bdat_cmd_byte(r, i, c, &ret))
				continue;	/* re-handle c as an ordinary command */
			i++;
			/* a zero-size chunk ends at once */
			if (ret != SMTP_STOP && p->c_mode == CM_BDAT && !p->bdat_left)
				ret = chunk_end(r, i);
			if (ret == SMTP_STOP)
				return i;
			continue;
		case CM_CMD:
			if ((p->c_flags & CF_TLS_MAYBE) && maybe_tls(r, i, c, &ret)) {
				if (ret == SMTP_STOP)
					return i;
				continue;	/* the byte starts the first record */
			}
			next = cmd_byte(r, i, c, &ret);
			break;
		default:	/* CM_DATA */
			hdr = p->txn & TX_HDR;
			if (p->c_ls == DL_TEXT && (p->c_flags & MF_VAL)) {
				next = mime_text_byte(r, i, c, &ret);
			} else if (p->c_ls == DL_TEXT) {
				size_t from = i, end = text_end(r, hdr, i, n);

				i = data_text(r, buf, i, end, &ret);
				text_count(r, from, i - from, hdr, &ret);
				if (ret == SMTP_STOP || i == n)
					return i;
				if (i == end)
					continue;	/* a size limit was crossed: scan on */
				data_ctl(r, i, buf[i], &ret);
			} else {
				next = data_byte(r, i, c, &ret);
			}
			/* the end of data counted itself */
			if (next == NEXT && p->c_mode == CM_DATA)
				text_count(r, i, 1, hdr, &ret);
		}
		if (next == NEXT)
			i++;
		if (ret == SMTP_STOP)
			return i;
	}
	return n;
}
