// SPDX-License-Identifier: GPL-2.0
/*
 * Streaming SMTP parser (RFC 5321, 2920, 3030, 3207; RFC 5322 headers).
 *
 * A byte-driven state machine per direction.  Message text is skipped a word
 * at a time; everything else is looked at byte by byte, so a chunk boundary
 * can fall anywhere.  Verbs, EHLO keywords and header names are matched by a
 * walk over sorted word lists whose whole state is (word index, position).
 */
#include "smtp_parser.h"

static_assert(sizeof(struct smtp_parser) == SMTP_PARSER_SIZE,
	      "parser state must stay 24 bytes");

/* client modes */
enum { CM_CMD, CM_DATA, CM_BDAT, CM_BDAT_NEXT, CM_TLS, CM_RESYNC };
/* server modes */
enum { SM_REPLY, SM_RESYNC, SM_TLS };

/* client line sub-states */
enum {
	CL_START, CL_VERB, CL_ARGS, CL_CR,
	CL_BDAT_FIRST,		/* BDAT_NEXT entered from a first chunk's command */
	/* message text after 354 */
	DL_START_CRLF,		/* line start after CRLF */
	DL_START_LF,		/* line start after a bare LF */
	DL_START_CR,		/* after a bare CR: only a dot matters here */
	DL_DOT_CRLF, DL_DOT_BARE,	/* "." at a line start */
	DL_DOTCR_CRLF, DL_DOTCR_BARE,	/* ".\r" */
	DL_TEXT, DL_CR,
	/* header names, in DATA and BDAT content */
	HL_NAME, HL_WSP,
	/* BDAT content in the header section */
	BL_START, BL_CR, BL_TEXT,
	/* resynchronising */
	RL_MID, RL_START,
};

/* c_flags */
#define CF_STLS_PEND	0x01	/* STARTTLS sent, reply not yet seen */
#define CF_DATA_PEND	0x02	/* DATA sent, reply not yet seen */
#define CF_PIPED	0x04	/* client bytes arrived while one of those was pending */
#define CF_SPLIT	0x04	/* BDAT content: a header name or CR began before a BDAT command */
#define CF_AUTH_CONT	0x08	/* the next line answers a 334 */
#define CF_LAST		0x10	/* BDAT: LAST given */
#define CF_BAD		0x20	/* BDAT: syntax error in the command */
#define CF_SUB_MASK	0x0f	/* CM_BDAT_NEXT: position in the BDAT command */

/* positions in a BDAT command parsed in CM_BDAT_NEXT */
enum { BN_B, BN_D, BN_A, BN_T, BN_VERBEND, BN_SP, BN_NUM, BN_POST,
       BN_LA, BN_LS, BN_LT, BN_END, BN_JUNK, BN_CR };

/* c_txn inside a message */
#define TX_HDR		0x1000	/* in the header section */
#define TX_SEEN_MASK	0x0fff

/* session flags */
#define F_GREETING	0x01	/* the banner is still to come */
#define F_QAPPROX	0x02	/* queue may miss commands sent before a resync */
#define F_PROBE		0x04	/* first client line after a resync must be a known verb */
#define F_CHECK_CLIENT	0x08	/* client waits for a server reply to resync */
#define F_BAD_SEEN	0x10	/* reserved */

/* server line sub-states */
enum { SL_START, SL_D1, SL_D2, SL_SEP, SL_KW, SL_TEXT, SL_CR, SL_SKIP };

/* s_flags */
#define SF_CONT		0x01	/* a '-' line of this reply was seen */
#define SF_LAST		0x02	/* the current line is the last of its reply */
#define SF_KWLINE	0x04	/* the current line is an EHLO keyword line */
#define SF_TENT		0x08	/* resynchronising: no events, bad lines are skipped */
#define SF_TLS_QUIET	0x10	/* TLS started and the client has not spoken yet */

#define SMTP_REPLY_COUNTER_MAX	1023	/* s_len saturates here */

#define Q_COUNT_MASK	0x07ff
#define Q_VERB_SHIFT	11

/* ---- word matcher ---------------------------------------------------- */

#define TOK_POS_SHIFT	6
#define TOK_IDX_MASK	0x3f
#define TOK_DEAD	0x3f	/* index 63: no word matches */
#define TOK_POS_MAX	31

static const char *const verb_words[] = {
	"AUTH", "BDAT", "DATA", "EHLO", "ETRN", "EXPN", "HELO", "HELP",
	"MAIL", "NOOP", "QUIT", "RCPT", "RSET", "STARTTLS", "VRFY",
};

static const char *const kw_words[] = {
	"8BITMIME", "AUTH", "BINARYMIME", "CHUNKING", "DSN",
	"ENHANCEDSTATUSCODES", "ETRN", "PIPELINING", "SIZE", "SMTPUTF8",
	"STARTTLS",
};

static const char *const hdr_words[] = {
	"BCC", "CC", "DATE", "FROM", "IN-REPLY-TO", "MESSAGE-ID", "REFERENCES",
	"REPLY-TO", "RESENT-", "SENDER", "SUBJECT", "TO",
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline u8 upper(u8 c)
{
	return (c >= 'a' && c <= 'z') ? c - 32 : c;
}

static bool same_prefix(const char *a, const char *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/*
 * One step of the matcher: words sharing the prefix seen so far are
 * contiguous in a sorted list, so (first matching index, position) is the
 * whole state.
 */
static u16 tok_step(const char *const *w, unsigned int n, u16 st, u8 c)
{
	unsigned int idx = st & TOK_IDX_MASK, pos = st >> TOK_POS_SHIFT, i;

	/* a NUL would match a word's terminator and walk past it */
	if (idx == TOK_DEAD || pos >= TOK_POS_MAX || !c)
		return TOK_DEAD;
	c = upper(c);
	for (i = idx; i < n && same_prefix(w[i], w[idx], pos); i++)
		if ((u8)w[i][pos] == c)
			return i | ((pos + 1) << TOK_POS_SHIFT);
	return TOK_DEAD;
}

/* index of the word matched exactly, or -1 */
static int tok_word(const char *const *w, u16 st)
{
	unsigned int idx = st & TOK_IDX_MASK, pos = st >> TOK_POS_SHIFT;

	if (idx == TOK_DEAD || w[idx][pos] != '\0')
		return -1;
	return idx;
}

static unsigned int tok_verb(u16 st)
{
	int i = tok_word(verb_words, st);

	return i < 0 ? SMTP_VERB_UNKNOWN : SMTP_VERB_AUTH + i;
}

static bool hdr_prefix_done(u16 st)
{
	/* "RESENT-" matches every Resent-* field: stop matching once seen */
	return (st & TOK_IDX_MASK) == SMTP_HDR_RESENT &&
	       (st >> TOK_POS_SHIFT) == 7;
}

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
 * has no SIMD here.  Unaligned loads, 16 bytes a round through a cheap
 * filter; in a flagged word, the first byte below 14 is nearly always the
 * CR sought, else (a TAB, say) the exact test decides.
 */
static const u8 *scan_ctl(const u8 *p, const u8 *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (end - p >= 16) {
		u64 a, b, t;
		const u8 *q;

		__builtin_memcpy(&a, p, 8);
		__builtin_memcpy(&b, p + 8, 8);
		if (likely(!((((a - ONES * 14) & ~a) | ((b - ONES * 14) & ~b)) & HIGHS))) {
			p += 16;
			continue;
		}
		t = low_bytes(a);
		if (t) {
			q = p + (__builtin_ctzll(t) >> 3);
			if (is_ctl(*q))
				return q;
			t = ctl_bytes(a);
			if (t)
				return p + (__builtin_ctzll(t) >> 3);
		}
		t = low_bytes(b);
		if (t) {
			q = p + 8 + (__builtin_ctzll(t) >> 3);
			if (is_ctl(*q))
				return q;
			t = ctl_bytes(b);
			if (t)
				return p + 8 + (__builtin_ctzll(t) >> 3);
		}
		p += 16;
	}
	if (end - p >= 8) {
		u64 a, t;

		__builtin_memcpy(&a, p, 8);
		t = ctl_bytes(a);
		if (t)
			return p + (__builtin_ctzll(t) >> 3);
		p += 8;
	}
#endif
	while (p < end && !is_ctl(*p))
		p++;
	return p;
}

/* A byte that has a meaning at the start of a message text line */
static inline bool line_start_special(u8 c)
{
	return c <= '.' && ((1ULL << c) & ((1ULL << '.') | (1ULL << '\r') |
					  (1ULL << '\n') | 1ULL));
}

static const u8 *scan_lf(const u8 *p, const u8 *end)
{
	while (p < end && *p != '\n')
		p++;
	return p;
}

/* ---- events ------------------------------------------------------------- */

struct run {
	struct smtp_parser *p;
	const struct smtp_sink *sink;
	const u8 *buf;
	int ret;		/* last sink answer */
};

static int emit(struct run *r, u8 type, u8 dir, u8 verb, u8 sub, u16 code,
		u16 flags, s32 start, s32 len, u32 value)
{
	struct smtp_event ev = {
		.type = type, .dir = dir, .verb = verb, .sub = sub, .code = code,
		.flags = flags, .start = start, .len = len, .value = value,
		.arg_start = 0, .arg_len = -1,
	};

	if (!r->sink || !r->sink->fn)
		return SMTP_CONTINUE;
	r->ret = r->sink->fn(r->sink->ctx, &ev);
	return r->ret;
}

static int anomaly(struct run *r, u8 dir, u8 anom, s32 start, s32 len)
{
	return emit(r, SMTP_EV_ANOMALY, dir, 0, anom, 0, 0, start, len, 0);
}

/* ---- command queue ------------------------------------------------------ */

static unsigned int q_head(const struct smtp_parser *p)
{
	if (p->flags & F_GREETING)
		return SMTP_VERB_GREETING;
	if (!p->queue[0])
		return SMTP_VERB_MAX;	/* nothing pending */
	return p->queue[0] >> Q_VERB_SHIFT;
}

static bool q_push(struct smtp_parser *p, unsigned int verb)
{
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(p->queue) && p->queue[i]; i++)
		;
	if (i && (p->queue[i - 1] >> Q_VERB_SHIFT) == verb &&
	    (p->queue[i - 1] & Q_COUNT_MASK) < Q_COUNT_MASK) {
		p->queue[i - 1]++;
		return true;
	}
	if (i == ARRAY_LEN(p->queue))
		return false;
	p->queue[i] = (verb << Q_VERB_SHIFT) | 1;
	return true;
}

static void q_pop(struct smtp_parser *p)
{
	unsigned int i;

	if (!p->queue[0] || --p->queue[0] & Q_COUNT_MASK)
		return;
	for (i = 0; i + 1 < ARRAY_LEN(p->queue); i++)
		p->queue[i] = p->queue[i + 1];
	p->queue[i] = 0;
}

static bool q_contains(const struct smtp_parser *p, unsigned int verb)
{
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(p->queue) && p->queue[i]; i++)
		if ((p->queue[i] >> Q_VERB_SHIFT) == verb)
			return true;
	return false;
}

/* ---- state changes -------------------------------------------------------- */

static void enter_resync(struct smtp_parser *p)
{
	p->c_mode = CM_RESYNC;
	p->c_ls = RL_MID;
	p->c_len = 0;
	p->c_tok = 0;
	p->c_txn = 0;
	p->c_flags = 0;
	p->s_mode = SM_RESYNC;
	p->s_ls = SL_SKIP;
	p->s_len = 0;
	p->s_tok = 0;
	p->s_flags = SF_TENT;
	p->bdat_left = 0;
	p->queue[0] = p->queue[1] = p->queue[2] = p->queue[3] = 0;
	p->flags = F_QAPPROX | F_CHECK_CLIENT;
}

void smtp_parser_init(struct smtp_parser *p)
{
	u8 user = p->user;

	__builtin_memset(p, 0, sizeof(*p));
	p->user = user;
	p->flags = F_GREETING;
	p->c_mode = CM_CMD;
	p->c_ls = CL_START;
	p->s_mode = SM_REPLY;
	p->s_ls = SL_START;
}

void smtp_parser_init_pickup(struct smtp_parser *p)
{
	u8 user = p->user;

	__builtin_memset(p, 0, sizeof(*p));
	p->user = user;
	enter_resync(p);
	/* a pickup may land on a line start: let the first line count */
	p->c_ls = RL_MID;
}

void smtp_parser_gap(struct smtp_parser *p)
{
	if (p->c_mode != CM_TLS)
		enter_resync(p);
}

static int lost_sync(struct run *r, u8 dir, s32 at)
{
	enter_resync(r->p);
	return anomaly(r, dir, SMTP_ANOM_LOST_SYNC, at, 0);
}

static void start_message(struct smtp_parser *p)
{
	p->c_txn = TX_HDR;
	p->c_len = 0;
	p->c_tok = 0;
}

static void to_command_mode(struct smtp_parser *p)
{
	p->c_mode = CM_CMD;
	p->c_ls = CL_START;
	p->c_len = 0;
	p->c_tok = 0;
	p->c_txn = 0;
	p->c_flags = 0;
}

/* ---- message headers (DATA and BDAT) ------------------------------------ */

/* A header name ended with ':' at offset i. */
static int header_done(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;
	int w = tok_word(hdr_words, p->c_tok);
	unsigned int hdr = w < 0 ? SMTP_HDR_OTHER : (unsigned int)w;
	u16 flags = 0;

	if (hdr_prefix_done(p->c_tok))
		hdr = SMTP_HDR_RESENT;
	if (hdr != SMTP_HDR_RESENT && hdr != SMTP_HDR_OTHER) {
		if (p->c_txn & (1U << hdr))
			flags |= SMTP_EVF_DUP;
		p->c_txn |= 1U << hdr;
	}
	if (p->c_len >= SMTP_LINE_COUNTER_MAX)
		flags |= SMTP_EVF_NOSPAN;
	if (p->c_mode == CM_BDAT && (p->c_flags & CF_SPLIT))
		flags |= SMTP_EVF_PARTIAL;
	return emit(r, SMTP_EV_HEADER, SMTP_DIR_CLIENT, 0, hdr, 0, flags,
		    i - (s32)p->c_len, p->c_len, 0);
}

/* ---- client: commands ----------------------------------------------------- */

static u16 line_limit(u16 configured, u16 rfc)
{
	return configured ? configured : rfc;
}

/* the longest line content within limit; the counter saturates: longer limits act as its maximum */
static inline u32 count_max(u16 limit)
{
	u32 max = limit > 2 ? limit - 2u : 0;	/* limits count the CRLF */

	return max < SMTP_LINE_COUNTER_MAX ? max : SMTP_LINE_COUNTER_MAX - 1;
}

/* count one more content byte of a client line; report crossing the limit */
static int c_count(struct run *r, s32 i, u32 add, u16 limit, u8 anom)
{
	struct smtp_parser *p = r->p;
	u32 old = p->c_len, len = old + add;
	u32 max = count_max(limit);

	p->c_len = len > SMTP_LINE_COUNTER_MAX ? SMTP_LINE_COUNTER_MAX : len;
	/* span: the line up to its first byte over the limit, however fed */
	if (old <= max && len > max)
		return anomaly(r, SMTP_DIR_CLIENT, anom, i + (s32)add - (s32)len,
			       max + 1);
	return SMTP_CONTINUE;
}

/* The verb of a command line is complete (delimiter at offset i). */
static int verb_done(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;
	unsigned int verb = tok_verb(p->c_tok);
	u16 flags = p->c_len >= SMTP_LINE_COUNTER_MAX ? SMTP_EVF_NOSPAN : 0;
	int ret;

	if (p->flags & F_PROBE) {
		if (verb == SMTP_VERB_UNKNOWN) {
			/* not a command after all: wait for another reply */
			p->c_mode = CM_RESYNC;
			p->c_ls = RL_MID;
			p->flags |= F_CHECK_CLIENT;
			return SMTP_CONTINUE;
		}
		p->flags &= ~F_PROBE;
	}
	if ((p->c_flags & CF_AUTH_CONT) || !p->c_len)
		return SMTP_CONTINUE;	/* a SASL response or an empty line */
	/* for RCPT: which recipient of the transaction this would be */
	ret = emit(r, SMTP_EV_VERB, SMTP_DIR_CLIENT, verb, 0, 0, flags,
		   i - (s32)p->c_len, p->c_len,
		   verb == SMTP_VERB_RCPT ? p->c_txn + 1 : 0);
	if (ret == SMTP_MASKED) {
		p->c_tok = TOK_DEAD;	/* the server sees an unknown verb */
		return SMTP_CONTINUE;
	}
	if (verb == SMTP_VERB_BDAT) {
		p->c_mode = CM_BDAT_NEXT;
		p->c_ls = CL_BDAT_FIRST;
		p->c_flags = (p->c_flags & ~CF_SUB_MASK & ~(CF_LAST | CF_BAD)) | BN_VERBEND;
		p->bdat_left = 0;
	}
	return ret;
}

/* A command line ended at offset i (the LF, after a CR when crlf). */
static int command_done(struct run *r, s32 i, bool crlf)
{
	struct smtp_parser *p = r->p;
	unsigned int verb = tok_verb(p->c_tok);
	u16 flags = p->c_len >= SMTP_LINE_COUNTER_MAX ? SMTP_EVF_NOSPAN : 0;
	u32 value = 0;
	int ret;

	if (p->c_flags & CF_AUTH_CONT) {
		verb = SMTP_VERB_AUTH_DATA;
		p->c_flags &= ~CF_AUTH_CONT;
	}
	switch (verb) {
	case SMTP_VERB_RCPT:
		if (p->c_txn < TX_HDR - 1)
			p->c_txn++;
		value = p->c_txn;
		break;
	case SMTP_VERB_MAIL:
	case SMTP_VERB_RSET:
	case SMTP_VERB_HELO:
	case SMTP_VERB_EHLO:
		p->c_txn = 0;
		break;
	case SMTP_VERB_STARTTLS:
		p->c_flags |= CF_STLS_PEND;
		break;
	case SMTP_VERB_DATA:
		p->c_flags |= CF_DATA_PEND;
		break;
	}
	{
		s32 end = i - crlf;	/* end of content */
		s32 start = end - (s32)p->c_len;
		struct smtp_event ev = {
			.type = SMTP_EV_COMMAND, .dir = SMTP_DIR_CLIENT,
			.verb = verb, .flags = flags, .start = start,
			.len = i + 1 - start, .value = value, .arg_len = -1,
		};

		if (verb >= SMTP_VERB_AUTH && verb <= SMTP_VERB_VRFY) {
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
	p->c_ls = CL_START;
	p->c_len = 0;
	p->c_tok = 0;
	if (!q_push(p, verb)) {
		if (ret == SMTP_STOP)
			return ret;
		ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_QUEUE_FULL, i, 1);
		if (ret == SMTP_STOP)
			return ret;
		return lost_sync(r, SMTP_DIR_CLIENT, i);
	}
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
		tok = tok_step(verb_words, ARRAY_LEN(verb_words), tok, "BDAT"[k]);
	to_command_mode(p);
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
	int ret;

	ret = emit(r, SMTP_EV_COMMAND, SMTP_DIR_CLIENT, SMTP_VERB_BDAT, 0, 0,
		   SMTP_EVF_NOSPAN, i, 1, p->bdat_left);
	if (ret == SMTP_STOP)
		return ret;
	if (!q_push(p, SMTP_VERB_BDAT)) {
		ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_QUEUE_FULL, i, 1);
		return ret == SMTP_STOP ? ret : lost_sync(r, SMTP_DIR_CLIENT, i);
	}
	if (p->c_flags & CF_BAD) {
		/* all ones marks an overflow: sizes stop at 0xfffffffe */
		if (p->bdat_left == 0xffffffff) {
			ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BDAT_TOO_BIG, i, 1);
			return ret == SMTP_STOP ? ret : lost_sync(r, SMTP_DIR_CLIENT, i);
		}
		/* the server answers 5xx and reads on as commands */
		to_command_mode(p);
		return anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BDAT_SYNTAX, i, 1);
	}
	if (first) {
		start_message(p);
		p->c_ls = BL_START;
	}
	p->c_mode = CM_BDAT;
	p->c_flags = last ? CF_LAST : 0;
	if (p->c_ls == HL_NAME || p->c_ls == HL_WSP || p->c_ls == BL_CR)
		p->c_flags |= CF_SPLIT;
	if (p->c_txn & TX_HDR)
		p->c_len = 0;	/* a header line's length restarts after a chunk break */
	return emit(r, SMTP_EV_BDAT_START, SMTP_DIR_CLIENT, SMTP_VERB_BDAT, 0, 0,
		    last ? SMTP_EVF_LAST : 0, i + 1, 0, p->bdat_left);
}

/* One byte of a BDAT command in CM_BDAT_NEXT. Returns 1 to re-handle c as a command. */
static int bdat_cmd_byte(struct run *r, s32 i, u8 c, int *ret)
{
	struct smtp_parser *p = r->p;
	unsigned int sub = p->c_flags & CF_SUB_MASK;
	u8 f = p->c_flags & ~CF_SUB_MASK;
	bool sp = c == ' ' || c == '\t';

	*ret = SMTP_CONTINUE;
	switch (sub) {
	case BN_B: case BN_D: case BN_A: case BN_T:
		if (upper(c) == (u8)"BDAT"[sub]) {
			sub++;
			break;
		}
		bdat_fallback(p, sub);
		return 1;
	case BN_VERBEND:
		if (!sp && c != '\r' && c != '\n') {
			bdat_fallback(p, 4);
			return 1;
		}
		if (p->c_ls != CL_BDAT_FIRST) {
			*ret = emit(r, SMTP_EV_VERB, SMTP_DIR_CLIENT, SMTP_VERB_BDAT,
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
		switch (sub) {
		case BN_SP:
			if (sp)
				break;
			if (c >= '0' && c <= '9') {
				p->bdat_left = c - '0';
				sub = BN_NUM;
				break;
			}
			f |= CF_BAD;
			sub = BN_JUNK;
			break;
		case BN_NUM:
			if (c >= '0' && c <= '9') {
				u32 d = c - '0';

				if (p->bdat_left > (0xfffffffeU - d) / 10) {
					f |= CF_BAD;
					sub = BN_JUNK;
					p->bdat_left = 0xffffffff;
					break;
				}
				p->bdat_left = p->bdat_left * 10 + d;
				break;
			}
			if (sp) {
				sub = BN_POST;
				break;
			}
			f |= CF_BAD;
			sub = BN_JUNK;
			break;
		case BN_POST:
			if (sp)
				break;
			if (upper(c) == 'L') {
				sub = BN_LA;
				break;
			}
			f |= CF_BAD;
			sub = BN_JUNK;
			break;
		case BN_LA: case BN_LS: case BN_LT:
			if (upper(c) == (u8)"AST"[sub - BN_LA]) {
				sub++;
				if (sub == BN_END)
					f |= CF_LAST;
				break;
			}
			f |= CF_BAD;
			sub = BN_JUNK;
			break;
		case BN_END:
			if (sp)
				break;
			f |= CF_BAD;
			sub = BN_JUNK;
			break;
		default:	/* BN_JUNK */
			break;
		}
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
static int client_confirm(struct run *r, u16 code)
{
	struct smtp_parser *p = r->p;

	if (p->c_mode != CM_RESYNC || p->c_ls != RL_START)
		return SMTP_CONTINUE;
	p->flags &= ~F_CHECK_CLIENT;
	if (code == 354) {
		p->c_mode = CM_DATA;
		p->c_ls = DL_START_CRLF;
		start_message(p);
		/* headers may be long gone: judge no duplicates in this message */
		p->c_txn = 0;
	} else {
		to_command_mode(p);
		p->flags |= F_PROBE;
	}
	return emit(r, SMTP_EV_RESYNC, SMTP_DIR_CLIENT, 0, 0, 0, 0, 0, 0, 0);
}

/* ---- client: the byte loop ---------------------------------------------- */

static size_t parse_client(struct run *r, const u8 *buf, size_t n)
{
	struct smtp_parser *p = r->p;
	const struct smtp_sink *s = r->sink;
	u16 max_cmd = line_limit(s ? s->max_cmd : 0, 512);
	u16 max_text = line_limit(s ? s->max_text : 0, 1000);
	u16 max_hdr = line_limit(s ? s->max_header : 0, 1000);
	size_t i = 0;
	int ret = SMTP_CONTINUE;

	while (i < n) {
		u8 c = buf[i];

		if ((p->c_flags & (CF_STLS_PEND | CF_DATA_PEND)) &&
		    !(p->c_flags & CF_PIPED) && p->c_mode == CM_CMD) {
			p->c_flags |= CF_PIPED;
			ret = anomaly(r, SMTP_DIR_CLIENT,
				      (p->c_flags & CF_STLS_PEND) ?
				      SMTP_ANOM_STARTTLS_INJECTION :
				      SMTP_ANOM_DATA_PIPELINED, i, 1);
			if (ret == SMTP_STOP)
				return i;
		}

		switch (p->c_mode) {
		case CM_TLS:
			p->s_flags &= ~SF_TLS_QUIET;
			return n;
		case CM_RESYNC: {
			const u8 *q;

			if (p->c_ls == RL_START && c != '\n') {
				/* no confirmation came at this line start */
				p->c_ls = RL_MID;
			}
			q = scan_lf(buf + i, buf + n);
			if (q == buf + n)
				return n;
			i = q - buf + 1;
			p->c_ls = RL_START;
			continue;
		}
		case CM_BDAT: {
			size_t avail = n - i, take;

			if (avail > p->bdat_left)
				avail = p->bdat_left;
			if (!(p->c_txn & TX_HDR)) {
				take = avail;	/* body: nothing to look at */
			} else {
				take = 1;
				switch (p->c_ls) {
				case BL_START:
					p->c_flags &= ~CF_SPLIT;
					if (c == '\r') {
						p->c_ls = BL_CR;
					} else if (c == '\n') {
						p->c_txn &= ~TX_HDR;
						ret = emit(r, SMTP_EV_HEADERS_END, 0, 0, 0, 0, 0, i, 1, 0);
					} else if (c == ' ' || c == '\t') {
						p->c_ls = BL_TEXT;
						p->c_len = 1;
					} else {
						p->c_ls = HL_NAME;
						p->c_len = 1;
						p->c_tok = tok_step(hdr_words, ARRAY_LEN(hdr_words), 0, c);
					}
					break;
				case BL_CR:
					if (c == '\n') {
						/* a CR before the BDAT command is not at i - 1 */
						bool split = p->c_flags & CF_SPLIT;

						p->c_txn &= ~TX_HDR;
						ret = emit(r, SMTP_EV_HEADERS_END, 0, 0, 0, 0, 0,
							   split ? i : i - 1, split ? 1 : 2, 0);
					} else {
						p->c_ls = BL_TEXT;
						p->c_len = 2;
					}
					break;
				case HL_NAME:
				case HL_WSP:
					if (c == ':') {
						p->c_ls = BL_TEXT;
						ret = header_done(r, i);
						p->c_len++;
					} else if (c == ' ' || c == '\t') {
						p->c_ls = HL_WSP;
						p->c_len++;
					} else if (p->c_ls == HL_NAME && c > 32 && c < 127) {
						if (!hdr_prefix_done(p->c_tok))
							p->c_tok = tok_step(hdr_words, ARRAY_LEN(hdr_words), p->c_tok, c);
						p->c_len++;
					} else if (c == '\n') {
						p->c_ls = BL_START;
						p->c_len = 0;
					} else {
						p->c_ls = BL_TEXT;
						p->c_len++;
					}
					break;
				default: {	/* BL_TEXT */
					const u8 *q = scan_lf(buf + i, buf + i + avail);

					take = q - (buf + i);
					if (q < buf + i + avail) {
						take++;
						p->c_ls = BL_START;
						p->c_len = 0;
					} else {
						u32 len = p->c_len + take;

						p->c_len = len > SMTP_LINE_COUNTER_MAX ?
							   SMTP_LINE_COUNTER_MAX : len;
					}
					break;
				}
				}
			}
			p->bdat_left -= take;
			i += take;
			if (ret == SMTP_STOP)
				return i;
			if (!p->bdat_left) {
				bool last = p->c_flags & CF_LAST;

				ret = emit(r, SMTP_EV_BDAT_END, 0, SMTP_VERB_BDAT, 0, 0,
					   last ? SMTP_EVF_LAST : 0, i, 0, 0);
				if (last) {
					to_command_mode(p);
				} else {
					p->c_mode = CM_BDAT_NEXT;
					p->c_flags = BN_B;
				}
				if (ret == SMTP_STOP)
					return i;
			}
			continue;
		}
		case CM_BDAT_NEXT:
			if (bdat_cmd_byte(r, i, c, &ret))
				continue;	/* re-handle c as an ordinary command */
			i++;
			if (ret == SMTP_STOP)
				return i;
			/* a zero-size chunk ends at once */
			if (p->c_mode == CM_BDAT && !p->bdat_left) {
				bool last = p->c_flags & CF_LAST;

				ret = emit(r, SMTP_EV_BDAT_END, 0, SMTP_VERB_BDAT, 0, 0,
					   last ? SMTP_EVF_LAST : 0, i, 0, 0);
				if (last) {
					to_command_mode(p);
				} else {
					p->c_mode = CM_BDAT_NEXT;
					p->c_flags = BN_B;
				}
				if (ret == SMTP_STOP)
					return i;
			}
			continue;
		case CM_CMD:
			switch (p->c_ls) {
			case CL_START:
			case CL_VERB:
				if (c == ' ' || c == '\r' || c == '\n') {
					ret = verb_done(r, i);
					if (ret == SMTP_STOP)
						return i;
					if (p->c_mode == CM_CMD)
						p->c_ls = CL_ARGS;
					/* the delimiter belongs to the arguments, BDAT or resync */
					continue;
				}
				if (c == '\0')
					ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_NUL, i, 1);
				p->c_ls = CL_VERB;
				p->c_tok = tok_step(verb_words, ARRAY_LEN(verb_words), p->c_tok, c);
				if (ret != SMTP_STOP)
					ret = c_count(r, i, 1, max_cmd, SMTP_ANOM_CMD_TOO_LONG);
				break;
			case CL_ARGS:
				if (c == '\r') {
					p->c_ls = CL_CR;
				} else if (c == '\n') {
					ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BARE_LF, i, 1);
					if (ret != SMTP_STOP)
						ret = command_done(r, i, false);
				} else {
					if (c == '\0')
						ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_NUL, i, 1);
					if (ret != SMTP_STOP)
						ret = c_count(r, i, 1, max_cmd, SMTP_ANOM_CMD_TOO_LONG);
				}
				break;
			case CL_CR:
				if (c == '\n') {
					ret = command_done(r, i, true);
					break;
				}
				/* the CR was content */
				p->c_ls = CL_ARGS;
				ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BARE_CR, i - 1, 1);
				if (ret != SMTP_STOP)
					ret = c_count(r, i - 1, 1, max_cmd, SMTP_ANOM_CMD_TOO_LONG);
				if (ret == SMTP_STOP)
					return i;
				continue;
			}
			i++;
			if (ret == SMTP_STOP)
				return i;
			continue;
		case CM_DATA:
			break;
		}

		/* CM_DATA */
		switch (p->c_ls) {
		case DL_TEXT: {
			bool hdr = p->c_txn & TX_HDR;
			u16 limit = hdr ? max_hdr : max_text;
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
						ret = c_count(r, i, adv, limit, hdr ?
							      SMTP_ANOM_HEADER_TOO_LONG :
							      SMTP_ANOM_TEXT_TOO_LONG);
						len = p->c_len;
					}
					i += adv;
					if (ret == SMTP_STOP || i == n) {
						p->c_len = len;
						return i;
					}
					c = buf[i];
				}
				/*
				 * Body fast path: CRLF, maybe empty lines, and a byte that
				 * means nothing at a line start is the next text line, as
				 * DL_CR and DL_START_CRLF would find: scan on.
				 */
				if (c != '\r' || hdr)
					break;
				j = i;
				while (n - j >= 4 && buf[j + 1] == '\n' && buf[j + 2] == '\r')
					j += 2;
				if (n - j < 3 || buf[j + 1] != '\n' ||
				    line_start_special(buf[j + 2]))
					break;
				len = 0;
				i = j + 2;
				c = buf[i];
			}
			p->c_len = len;
			if (c == '\r') {
				p->c_ls = DL_CR;
			} else if (c == '\n') {
				ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BARE_LF, i, 1);
				p->c_ls = DL_START_LF;
				p->c_len = 0;
			} else {
				ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_NUL, i, 1);
				if (ret != SMTP_STOP)
					ret = c_count(r, i, 1, (p->c_txn & TX_HDR) ? max_hdr : max_text,
						      (p->c_txn & TX_HDR) ? SMTP_ANOM_HEADER_TOO_LONG :
						      SMTP_ANOM_TEXT_TOO_LONG);
			}
			break;
		}
		case DL_CR:
			if (c == '\n') {
				if (p->c_len == 0 && (p->c_txn & TX_HDR)) {
					p->c_txn &= ~TX_HDR;
					ret = emit(r, SMTP_EV_HEADERS_END, 0, 0, 0, 0, 0, i - 1, 2, 0);
				}
				p->c_ls = DL_START_CRLF;
				p->c_len = 0;
				break;
			}
			/* a bare CR: a dot right after it would be a smuggling try */
			ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BARE_CR, i - 1, 1);
			p->c_ls = DL_START_CR;
			if (ret == SMTP_STOP)
				return i;
			continue;	/* re-handle c */
		case DL_START_CRLF:
		case DL_START_LF:
		case DL_START_CR:
			if (c == '.') {
				p->c_ls = p->c_ls == DL_START_CRLF ? DL_DOT_CRLF : DL_DOT_BARE;
				break;
			}
			if (c == '\0') {
				ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_NUL, i, 1);
				p->c_ls = DL_START_CR;	/* "\r\n\0." is not a clean line start */
				break;
			}
			if (p->c_ls == DL_START_CR) {
				/* a bare CR does not start a line for the server */
				p->c_ls = DL_TEXT;
				continue;
			}
			if (c == '\r') {
				p->c_ls = DL_CR;
				break;
			}
			if (c == '\n') {
				ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_BARE_LF, i, 1);
				if (ret != SMTP_STOP && p->c_len == 0 && (p->c_txn & TX_HDR)) {
					p->c_txn &= ~TX_HDR;
					ret = emit(r, SMTP_EV_HEADERS_END, 0, 0, 0, 0, 0, i, 1, 0);
				}
				p->c_ls = DL_START_LF;
				break;
			}
			if (p->c_txn & TX_HDR) {
				if (c == ' ' || c == '\t') {
					p->c_ls = DL_TEXT;
					continue;
				}
				p->c_ls = HL_NAME;
				p->c_tok = tok_step(hdr_words, ARRAY_LEN(hdr_words), 0, c);
				p->c_len = 1;
				break;
			}
			p->c_ls = DL_TEXT;
			continue;
		case HL_NAME:
		case HL_WSP:
			if (c == ':') {
				p->c_ls = DL_TEXT;
				ret = header_done(r, i);
				if (ret != SMTP_STOP)
					ret = c_count(r, i, 1, max_hdr, SMTP_ANOM_HEADER_TOO_LONG);
				break;
			}
			if (c == ' ' || c == '\t') {
				p->c_ls = HL_WSP;
				ret = c_count(r, i, 1, max_hdr, SMTP_ANOM_HEADER_TOO_LONG);
				break;
			}
			if (p->c_ls == HL_NAME && c > 32 && c < 127) {
				if (!hdr_prefix_done(p->c_tok))
					p->c_tok = tok_step(hdr_words, ARRAY_LEN(hdr_words), p->c_tok, c);
				ret = c_count(r, i, 1, max_hdr, SMTP_ANOM_HEADER_TOO_LONG);
				break;
			}
			/* not a header field after all: plain text */
			p->c_ls = DL_TEXT;
			continue;
		case DL_DOT_CRLF:
		case DL_DOT_BARE:
			if (c == '\r') {
				p->c_ls = p->c_ls == DL_DOT_CRLF ? DL_DOTCR_CRLF : DL_DOTCR_BARE;
				break;
			}
			if (c == '\n') {
				ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_SMUGGLING, i - 1, 2);
				p->c_ls = DL_START_LF;
				p->c_len = 0;
				break;
			}
			if (c == '\0') {
				ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_NUL, i, 1);
				p->c_ls = DL_DOT_BARE;
				break;
			}
			/* a dot-stuffed line: the dot is transparent */
			p->c_ls = DL_TEXT;
			continue;
		case DL_DOTCR_CRLF:
		case DL_DOTCR_BARE:
			if (c == '\n' && p->c_ls == DL_DOTCR_CRLF) {
				/* CRLF.CRLF: end of data, the "." answered like a command */
				to_command_mode(p);
				ret = emit(r, SMTP_EV_DATA_END, 0, SMTP_VERB_EOD, 0, 0, 0,
					   i - 2, 3, 0);
				if (!q_push(p, SMTP_VERB_EOD) && ret != SMTP_STOP)
					ret = lost_sync(r, SMTP_DIR_CLIENT, i);
				break;
			}
			/* span: the ".\r", and the LF when one ends the line */
			ret = anomaly(r, SMTP_DIR_CLIENT, SMTP_ANOM_SMUGGLING, i - 2,
				      c == '\n' ? 3 : 2);
			if (c == '\n') {
				p->c_ls = DL_START_CRLF;
				p->c_len = 0;
				break;
			}
			/* the CR after the dot was bare */
			p->c_ls = DL_START_CR;
			p->c_len = 0;
			if (ret == SMTP_STOP)
				return i;
			continue;
		}
		i++;
		if (ret == SMTP_STOP)
			return i;
	}
	return n;
}

/* ---- server ------------------------------------------------------------- */

/* A final reply (last line) completed: command queue and mode changes. */
static int reply_done(struct run *r, s32 i, unsigned int verb, u16 code)
{
	struct smtp_parser *p = r->p;
	int ret = SMTP_CONTINUE;

	if (verb == SMTP_VERB_GREETING) {
		p->flags &= ~F_GREETING;
	} else if (p->flags & F_QAPPROX) {
		/* commands sent before a resync may still be answered */
		if (code == 354 && q_contains(p, SMTP_VERB_DATA))
			while (q_head(p) != SMTP_VERB_DATA)
				q_pop(p);
		else if (code == 220 && q_contains(p, SMTP_VERB_STARTTLS))
			while (q_head(p) != SMTP_VERB_STARTTLS)
				q_pop(p);
		verb = q_head(p);
		q_pop(p);
	} else {
		q_pop(p);
	}
	/* outside command mode c_flags holds BDAT framing: leave it alone */
	if (p->c_mode == CM_CMD) {
		p->c_flags &= ~CF_AUTH_CONT;
		if (code == 334 && (verb == SMTP_VERB_AUTH || verb == SMTP_VERB_AUTH_DATA))
			p->c_flags |= CF_AUTH_CONT;
	}

	if (verb == SMTP_VERB_DATA) {
		bool piped = p->c_flags & CF_PIPED;

		if (p->c_mode == CM_CMD)
			p->c_flags &= ~(CF_DATA_PEND | CF_PIPED);
		if (code == 354 && p->c_mode == CM_CMD) {
			if (piped || p->c_ls != CL_START)
				/* text already went by as commands: where does it start? */
				return lost_sync(r, SMTP_DIR_SERVER, i);
			p->c_mode = CM_DATA;
			p->c_ls = DL_START_CRLF;
			start_message(p);
			ret = emit(r, SMTP_EV_DATA_START, SMTP_DIR_SERVER, verb, 0,
				   code, 0, i, 1, 0);
		}
	} else if (verb == SMTP_VERB_STARTTLS) {
		if (p->c_mode == CM_CMD)
			p->c_flags &= ~(CF_STLS_PEND | CF_PIPED);
		if (code >= 200 && code < 300) {
			p->c_mode = CM_TLS;
			p->s_mode = SM_TLS;
			p->s_flags |= SF_TLS_QUIET;
			ret = emit(r, SMTP_EV_TLS_START, SMTP_DIR_SERVER, verb, 0,
				   code, 0, i, 1, 0);
		}
	}
	if (ret != SMTP_STOP && (p->flags & F_CHECK_CLIENT))
		ret = client_confirm(r, code);
	return ret;
}

/* The reply line ended at offset i (the LF, after a CR when crlf). */
static int reply_line_done(struct run *r, s32 i, bool crlf)
{
	struct smtp_parser *p = r->p;
	bool tent = p->s_flags & SF_TENT;
	bool last = p->s_flags & SF_LAST;
	bool first = !(p->s_flags & SF_CONT);
	u16 code = p->s_tok;
	unsigned int verb = q_head(p);
	u16 flags = (first ? SMTP_EVF_FIRST : 0) | (last ? SMTP_EVF_LAST : 0);
	s32 start = i - (s32)p->s_len;
	u16 nospan = p->s_len >= SMTP_REPLY_COUNTER_MAX ? SMTP_EVF_NOSPAN : 0;
	int ret = SMTP_CONTINUE;

	p->s_ls = SL_START;
	p->s_flags &= ~(SF_KWLINE | SF_LAST | SF_CONT);
	if (!last)
		p->s_flags |= SF_CONT;
	if (tent) {
		if (!last)
			goto out;
		/* a whole final reply line: follow the server again */
		p->s_flags &= ~SF_TENT;
		p->s_mode = SM_REPLY;
		ret = emit(r, SMTP_EV_RESYNC, SMTP_DIR_SERVER, 0, 0, 0, 0, 0, 0, 0);
		if (ret != SMTP_STOP && (p->flags & F_CHECK_CLIENT))
			ret = client_confirm(r, code);
		goto out;
	}
	if (verb == SMTP_VERB_MAX) {
		if (!(p->flags & F_QAPPROX) && first) {
			ret = anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_REPLY_UNEXPECTED,
				      start, p->s_len + 1);
			if (ret == SMTP_STOP)
				goto out;
		}
		verb = SMTP_VERB_UNKNOWN;
	}
	ret = emit(r, SMTP_EV_REPLY, SMTP_DIR_SERVER, verb, 0, code,
		   flags | nospan, start, p->s_len + 1, 0);
	if (ret == SMTP_STOP)
		goto out;
	if (verb == SMTP_VERB_GREETING) {
		s32 text = (s32)p->s_len - 4 - crlf;

		ret = emit(r, SMTP_EV_BANNER, SMTP_DIR_SERVER, verb, 0, code,
			   nospan, start + 4, text > 0 ? text : 0, 0);
		if (ret == SMTP_STOP)
			goto out;
	}
	if (last)
		ret = reply_done(r, i, verb, code);
out:
	p->s_len = 0;
	p->s_tok = 0;
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
	ret = anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_BAD_REPLY, i, 1);
	if (ret == SMTP_STOP)
		return ret;
	return lost_sync(r, SMTP_DIR_SERVER, i);
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
			   q_head(p) == SMTP_VERB_EHLO) {
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
			return anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_BARE_CR, i - 1, 1);
		return SMTP_CONTINUE;
	default:	/* SL_TEXT */
		if (c == '\r')
			p->s_ls = SL_CR;
		else if (c == '\0' && !tent)
			return anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_NUL, i, 1);
		return SMTP_CONTINUE;
	}
}

/* The keyword of an EHLO keyword line ended at offset i. */
static int keyword_done(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;
	int w = tok_word(kw_words, p->s_tok);
	s32 klen = (s32)p->s_len - 4;

	p->s_ls = SL_TEXT;
	p->s_tok = 250;
	return emit(r, SMTP_EV_EHLO_KEYWORD, SMTP_DIR_SERVER, SMTP_VERB_EHLO,
		    w < 0 ? SMTP_KW_OTHER : w, 250,
		    p->s_len >= SMTP_REPLY_COUNTER_MAX ? SMTP_EVF_NOSPAN : 0,
		    i - klen, klen, 0);
}

static size_t parse_server(struct run *r, const u8 *buf, size_t n)
{
	struct smtp_parser *p = r->p;
	const struct smtp_sink *s = r->sink;
	u16 max_reply = line_limit(s ? s->max_reply : 0, 512);

	/* s_len saturates: past it, a longer limit would be hit at every byte */
	if (max_reply >= SMTP_REPLY_COUNTER_MAX)
		max_reply = SMTP_REPLY_COUNTER_MAX - 1;
	size_t i = 0;
	int ret = SMTP_CONTINUE;

	while (i < n) {
		u8 c = buf[i];

		if (p->s_mode == SM_TLS) {
			/* server bytes before the client's first TLS record: injected */
			if (!(p->s_flags & SF_TLS_QUIET))
				return n;
			p->s_flags &= ~SF_TLS_QUIET;
			ret = anomaly(r, SMTP_DIR_SERVER,
				      SMTP_ANOM_TLS_RESPONSE_INJECTION, i, 1);
			return ret == SMTP_STOP ? i : n;
		}
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
			ret = anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_REPLY_TOO_LONG,
				      i - (s32)p->s_len, p->s_len + 1);
			if (ret == SMTP_STOP)
				return i;
		}
		if (c == '\n') {
			bool crlf = p->s_ls == SL_CR;

			if (p->s_ls == SL_KW)
				ret = keyword_done(r, i);
			if (ret != SMTP_STOP && !crlf && !(p->s_flags & SF_TENT))
				ret = anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_BARE_LF, i, 1);
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
		if (p->s_ls == SL_KW) {
			if (c == ' ' || c == '=' || c == '\r') {
				ret = keyword_done(r, i);
				if (ret == SMTP_STOP)
					return i;
				/* the delimiter is text; its length was checked above */
				ret = reply_byte(r, i, c);
			} else {
				p->s_tok = tok_step(kw_words, ARRAY_LEN(kw_words), p->s_tok, c);
				if (c == '\0')	/* as in any other reply text */
					ret = anomaly(r, SMTP_DIR_SERVER, SMTP_ANOM_NUL, i, 1);
			}
		} else {
			ret = reply_byte(r, i, c);
		}
		if (p->s_len < SMTP_REPLY_COUNTER_MAX)
			p->s_len++;
		i++;
		if (ret == SMTP_STOP)
			return i;
	}
	return n;
}

size_t smtp_parse(struct smtp_parser *p, enum smtp_dir dir, const u8 *buf,
		  size_t len, const struct smtp_sink *sink)
{
	struct run r = { .p = p, .sink = sink, .buf = buf };

	if (!len)
		return 0;
	if (dir == SMTP_DIR_CLIENT)
		return parse_client(&r, buf, len);
	return parse_server(&r, buf, len);
}

bool smtp_parser_tls(const struct smtp_parser *p)
{
	return p->c_mode == CM_TLS;
}

bool smtp_parser_synced(const struct smtp_parser *p, enum smtp_dir dir)
{
	if (dir == SMTP_DIR_CLIENT)
		return p->c_mode != CM_RESYNC && !(p->flags & F_PROBE);
	return p->s_mode != SM_RESYNC;
}

/* ---- names -------------------------------------------------------------- */

const char *smtp_verb_name(unsigned int verb)
{
	if (verb >= SMTP_VERB_AUTH && verb <= SMTP_VERB_VRFY)
		return verb_words[verb - SMTP_VERB_AUTH];
	switch (verb) {
	case SMTP_VERB_EOD:
		return "EOD";
	case SMTP_VERB_AUTH_DATA:
		return "AUTH-DATA";
	case SMTP_VERB_GREETING:
		return "GREETING";
	default:
		return "UNKNOWN";
	}
}

const char *smtp_kw_name(unsigned int kw)
{
	return kw < ARRAY_LEN(kw_words) ? kw_words[kw] : "OTHER";
}

const char *smtp_hdr_name(unsigned int hdr)
{
	static const char *const names[] = {
		"Bcc", "Cc", "Date", "From", "In-Reply-To", "Message-ID",
		"References", "Reply-To", "Resent-*", "Sender", "Subject", "To",
	};

	return hdr < ARRAY_LEN(names) ? names[hdr] : "other";
}

const char *smtp_anomaly_name(unsigned int anom)
{
	static const char *const names[] = {
		"cmd-too-long", "reply-too-long", "text-too-long",
		"header-too-long", "nul", "bare-cr", "bare-lf", "smuggling",
		"starttls-injection", "tls-response-injection",
		"data-pipelined", "reply-unexpected", "bad-reply",
		"bdat-syntax", "bdat-too-big", "queue-full", "lost-sync",
	};

	return anom < ARRAY_LEN(names) ? names[anom] : "?";
}

const char *smtp_event_name(unsigned int type)
{
	static const char *const names[] = {
		"?", "verb", "command", "reply", "ehlo-keyword", "banner",
		"data-start", "data-end", "bdat-start", "bdat-end", "header",
		"headers-end", "tls-start", "resync", "anomaly",
	};

	return type < ARRAY_LEN(names) ? names[type] : "?";
}

/* ---- lookups for the helper ------------------------------------------------ */

static u16 tok_run(const char *const *w, unsigned int n, const u8 *s,
		   unsigned int len)
{
	u16 st = 0;
	unsigned int i;

	for (i = 0; i < len && st != TOK_DEAD; i++)
		st = tok_step(w, n, st, s[i]);
	return st;
}

unsigned int smtp_verb_lookup(const u8 *s, unsigned int len)
{
	return tok_verb(tok_run(verb_words, ARRAY_LEN(verb_words), s, len));
}

unsigned int smtp_kw_lookup(const u8 *s, unsigned int len)
{
	int w = tok_word(kw_words, tok_run(kw_words, ARRAY_LEN(kw_words), s, len));

	return w < 0 ? SMTP_KW_OTHER : (unsigned int)w;
}

bool smtp_parser_client_commands(const struct smtp_parser *p)
{
	return p->c_mode == CM_CMD;
}

/*
 * Is the client in the middle of a verb whose every completion is outside
 * allowed (bit per enum smtp_verb, SMTP_VERB_UNKNOWN standing for verbs we
 * do not know)?  Then *len is how many of its bytes were seen.
 */
bool smtp_parser_open_verb(const struct smtp_parser *p, u32 allowed, u32 *len)
{
	unsigned int idx = p->c_tok & TOK_IDX_MASK, pos = p->c_tok >> TOK_POS_SHIFT;
	unsigned int i;

	if (p->c_mode != CM_CMD || p->c_ls != CL_VERB || !p->c_len ||
	    (p->c_flags & CF_AUTH_CONT) || (p->flags & F_PROBE) ||
	    p->c_len >= SMTP_LINE_COUNTER_MAX)
		return false;
	*len = p->c_len;
	if (idx == TOK_DEAD)	/* only unknown verbs can come of it */
		return !(allowed & (1U << SMTP_VERB_UNKNOWN));
	/* any longer token is unknown */
	if (allowed & (1U << SMTP_VERB_UNKNOWN))
		return false;
	for (i = idx; i < ARRAY_LEN(verb_words) &&
	     same_prefix(verb_words[i], verb_words[idx], pos); i++)
		if (allowed & (1U << (SMTP_VERB_AUTH + i)))
			return false;
	return true;
}
