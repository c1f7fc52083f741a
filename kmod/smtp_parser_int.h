/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of the streaming SMTP parser, shared by its source files:
 * smtp_parser.c (matcher, events, entry points), smtp_parser_queue.c
 * (command queue), smtp_parser_client.c (commands, message text, BDAT),
 * smtp_parser_mime.c (MIME fields), smtp_parser_tls.c (TLS records) and
 * smtp_parser_server.c (replies).
 */
#ifndef _SMTP_PARSER_INT_H
#define _SMTP_PARSER_INT_H

#include "smtp_parser.h"

/* client modes */
enum { CM_CMD, CM_DATA, CM_BDAT, CM_BDAT_NEXT, CM_TLS, CM_RESYNC };
/* server modes */
enum { SM_REPLY, SM_RESYNC, SM_TLS };

/* client line sub-states */
enum {
	CL_START, CL_VERB, CL_ARGS, CL_CR,
	CL_LEAD_CR,		/* a CR before the verb: a blank, or an empty line's end */
	CL_BDAT_FIRST,		/* BDAT_NEXT entered from a first chunk's command */
	/* message text after 354 */
	DL_START_CRLF,		/* line start after CRLF */
	DL_START_LF,		/* line start after a bare LF */
	DL_START_CR,		/* after a bare CR: only a dot matters here */
	DL_DOT_CRLF, DL_DOT_BARE,	/* "." at a line start */
	DL_DOTCR_CRLF, DL_DOTCR_BARE,	/* ".\r" */
	DL_TEXT, DL_CR,
	DL_DASH,		/* body: "-" at a line start */
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
#define CF_TLS_MAYBE	0x10	/* commands: 220 to a command not taken for STARTTLS */
#define CF_BAD		0x20	/* BDAT: syntax error in the command */
#define CF_SUB_MASK	0x0f	/* CM_BDAT_NEXT: position in the BDAT command */

/*
 * c_flags in DATA message text: MIME.  A part's header section is found
 * without its boundary (no room for 70 octets): a body line starting with
 * "--" opens one, an empty line ends it.
 */
#define MF_VAL		0x01	/* reading a MIME field's value */
#define MF_CT		0x02	/* Content-Type's (neither this nor MF_CD: the encoding's) */
#define MF_CMT		0x04	/* in a comment of that value */
#define MF_PART		0x08	/* body: in a part's header section */
#define MF_NEST		0x10	/* a message/ Content-Type: its body starts with headers */
#define MF_CD		0x20	/* Content-Disposition's */
#define MF_ALL		0x3f

/*
 * mime[] in DATA text: the parameters of a Content-Type or -Disposition
 * value, and the file name they give (name=, filename=, RFC 2231 name*=,
 * name*N=, name*N*=).  mime[0]: the parameter phase and its sub-state (the
 * suffix of a parameter name, or a value's decoder); mime[1]: the name's
 * length as sent and flags; mime[2]: the extension matcher (octets matched,
 * and the range of listed file types still matching).
 */
enum {
	FP_TYPE,		/* the type or disposition, before the first ';' */
	FP_SEMI,		/* after ';': blanks before a parameter name */
	FP_NAME,		/* a parameter name: c_tok matches it, the sub-state its suffix */
	FP_EQ,			/* after the name: blanks before '=' */
	FP_VAL,			/* after '=': blanks before the value */
	FP_TOKEN,		/* an unquoted value */
	FP_QUOTED,		/* a quoted value */
	FP_QPAIR,		/* after a backslash in one */
	FP_AFTER,		/* after a quoted value or junk: up to the next ';' */
	FP_MAX,
};

#define FP_MASK		0x000f
#define FP_SUB_SHIFT	4	/* 12 bits */
/* the suffix of a name or filename parameter */
#define FS_STAR		0x01	/* "*" right after the name */
#define FS_NUM		0x02	/* a section number */
#define FS_EXT		0x04	/* "*" after the number: an extended value */
#define FS_BAD		0x08	/* anything else: not a file name */
#define FS_ALL		0x0f
#define FS_SEC_SHIFT	4	/* 7 bits: the section number (a leading zero saturates it) */
#define FS_SEC_MAX	127
/* an extended value (RFC 2231): charset'language' first, %XX octets */
#define FD_QUOTES	0x003	/* quotes of the prefix seen, 3: past the prefix */
#define FD_PCT		0x00c	/* 4: after '%', 8: after '%' and a hex digit */
#define FD_HI_SHIFT	4	/* that digit */
/* any other value: RFC 2047 encoded words, which mail readers decode in names */
enum {
	EW_LIT,			/* plain octets */
	EW_EQ,			/* '=': an encoded word, maybe */
	EW_CHARSET,		/* "=?": its charset up to '?' */
	EW_CODE,		/* its encoding, B or Q */
	EW_QMARK,		/* '?' after the encoding */
	EW_TEXT,		/* the encoded text */
	EW_END,			/* '?' in the text: '=' ends the word */
	EW_AFTER,		/* after a word: blanks before the next are dropped */
};

#define EW_PHASE_MASK	0x007
#define EW_Q		0x008	/* Q encoding (else B) */
#define EW_BLANK	0x010	/* EW_AFTER, EW_EQ: blanks after a word, not yet known dropped */
#define EW_STEP_SHIFT	4	/* B: 2 bits of sextet phase, 6 of pending bits; Q: as FD_PCT */
/* mime[1] */
#define FN_LEN_MASK	0x03ff	/* octets of the name as sent (SMTP_FILENAME_LEN_MAX) */
#define FN_ON		0x0400	/* the value being read is a file name's */
#define FN_XV		0x0800	/* an extended value */
#define FN_PEND		0x1000	/* a name read: judged at the field's end or the next name */
#define FN_DOT		0x2000	/* a '.' seen: an extension is matched */
#define FN_TRAIL	0x4000	/* dots or blanks after it (Windows drops them) */
#define FN_TDOT		0x8000	/* ... the last of them a dot */
/*
 * mime[2]: the first listed type still matching (the others that do follow
 * it in the sorted list: they share its first octets), and the RFC 2231
 * sections of the name so far.  Readers sort sections by number; joined as
 * they come they read alike only while the numbers rise, so the last one is
 * kept (its parameter, name= or filename=, in c_lead) and any other order is
 * judged like a nested comment.
 */
#define FX_POS_MASK	0x000f	/* octets of the extension matched */
#define FX_LO_SHIFT	4	/* 5 bits */
#define FX_IDX_MASK	0x1f
#define FX_SEC_SHIFT	9	/* 5 bits: 0, or the last section's number + 1 (saturating) */
#define FX_SEC_MASK	0x3e00
#define FX_SEC_MAX	31
#define FX_NONE		0x4000	/* no listed type matches */
#define FX_FORCE	0x8000	/* judged banned: a field no two readers may read alike */

/* positions in a BDAT command parsed in CM_BDAT_NEXT */
enum {
	BN_B, BN_D, BN_A, BN_T, BN_VERBEND, BN_SP, BN_NUM, BN_POST,
	BN_LA, BN_LS, BN_LT, BN_END, BN_JUNK, BN_CR,
};

/* txn inside a message */
#define TX_HDR		0x1000	/* in the header section */
#define TX_SEEN_MASK	0x0fff
#define TX_TO_SHIFT	13	/* 3 bits: To fields (SMTP_TO_FIELDS_MAX) */
#define TX_TO_MASK	0xe000
/* txn in commands: RCPTs, saturating */
#define TX_RCPT_MAX	0xffff

/* session flags */
#define F_GREETING	0x01	/* the banner is still to come */
#define F_QAPPROX	0x02	/* queue may miss commands sent before a resync */
#define F_PROBE		0x04	/* first client line after a resync must be a known verb */
#define F_CHECK_CLIENT	0x08	/* client waits for a server reply to resync */
#define F_RUN_FAILED	0x10	/* the head run holds a reset command and a non-2xx reply */
#define F_CHUNKING	0x20	/* the server advertised CHUNKING: BDAT is framing */
#define F_STLS_OFFERED	0x40	/* the server advertised STARTTLS */
#define F_REFUSED_SHIFT	7	/* 3 bits: RCPTs refused with 5xx (SMTP_REFUSED_RCPT_MAX) */
#define F_REFUSED_MASK	0x380
#define F_SESSION	(F_CHUNKING | F_STLS_OFFERED | F_REFUSED_MASK)	/* what a resync keeps */
#define F_ALL		0x3ff

/*
 * arg_scan on a MAIL line: is one of its words REQUIRETLS (RFC 8689)?  AS_ON
 * marks a MAIL line: a bit an RCPT line's state never sets (its domain
 * matcher's position fills the low byte).
 */
#define AS_ON		0x80000000	/* scanning this line */
#define AS_WORD		0x40	/* in a word that matches so far */
#define AS_FOUND	0x20
#define AS_POS_MASK	0x0f
#define AS_RTLS_ALL	(AS_ON | AS_WORD | AS_FOUND | AS_POS_MASK)
/*
 * arg_scan on MAIL and RCPT lines: the path, read as postfix does: after the
 * colon and any blanks, up to the '>' that closes a '<' or else up to a
 * blank, neither inside a quoted string.  Its length (brackets excluded)
 * and whether it holds a special character.
 */
#define AS_ADDR		0x100	/* scanning this line */
#define AS_AD_SHIFT	9	/* 2 bits: where in the arguments (AD_*) */
#define AS_AD_MASK	0x600
#define AS_BRACKET	0x800	/* the path opened with '<' */
#define AS_QUOTE	0x1000	/* in a quoted string */
#define AS_ESC		0x2000	/* after a backslash in a quoted string */
#define AS_SPECIAL	0x4000	/* a special character in the path */
#define AS_PATH_ALL	0x7f00
/* MAIL: the path's length */
#define AS_LEN_SHIFT	15	/* 13 bits: octets of the path, saturating */
#define AS_LEN_BITS	13
#define AS_LEN_MAX	SMTP_PATH_LEN_MAX
#define AS_MAIL_ALL	(AS_RTLS_ALL | AS_PATH_ALL | (AS_LEN_MAX << AS_LEN_SHIFT) | AS_SIZE_ALL)
/*
 * RCPT: the domain after the path's '@' against the sink's relay set: the
 * names that match its octets so far are lo to hi.  A second '@', one in
 * quotes, '%' or '!' route the mail on (AS_RD_ROUTE).
 */
#define AS_RD_POS_MASK	0xff		/* octets of the domain matched */
#define AS_RD_LO_SHIFT	15		/* 5 bits */
#define AS_RD_HI_SHIFT	20		/* 5 bits */
#define AS_RD_IDX_MASK	0x1f
#define AS_RD_IN	0x02000000	/* in the domain */
#define AS_RD_DOT	0x04000000	/* a '.' not matched yet: a trailing one is dropped */
#define AS_RD_NONE	0x08000000	/* no name of the set matches */
#define AS_RD_ROUTE	0x10000000	/* '%' or '!': a route the server may follow elsewhere */
#define AS_RD_MATCH	(AS_RD_POS_MASK | (0x3ffU << AS_RD_LO_SHIFT) | AS_RD_IN | \
			 AS_RD_DOT | AS_RD_NONE)
#define AS_RCPT_ALL	(AS_ADDR | AS_PATH_ALL | AS_RD_MATCH | AS_RD_ROUTE)
/*
 * MAIL: the word matcher above matches SIZE= (RFC 1870) too, and its digits
 * go to queue[1..2] while nothing else is pending (sp_q_txn_begin() keeps
 * them there from the line's end).
 */
#define AS_SZ_WORD	0x10		/* the word matched so far is SIZE='s */
#define AS_SZ_DIGITS	0x10000000	/* reading SIZE='s digits (AS_POS: one was read) */
#define AS_SZ_HELD	0x20000000	/* queue[1..2] hold them: nothing else was pending */
#define AS_SZ_BAD	0x40000000	/* none kept: junk, a second SIZE=, commands pending */
#define AS_SZ_SEEN	0x80		/* a SIZE= word was read */
#define AS_SIZE_ALL	(AS_SZ_WORD | AS_SZ_DIGITS | AS_SZ_HELD | AS_SZ_BAD | AS_SZ_SEEN)
enum { AD_ARG, AD_LEAD, AD_PATH, AD_DONE };

/* server line sub-states */
enum { SL_START, SL_D1, SL_D2, SL_SEP, SL_KW, SL_TEXT, SL_CR, SL_SKIP };

/* s_flags */
#define SF_CONT		0x01	/* a '-' line of this reply was seen */
#define SF_LAST		0x02	/* the current line is the last of its reply */
#define SF_KWLINE	0x04	/* the current line is an EHLO keyword line */
#define SF_TENT		0x08	/* resynchronising: no events, bad lines are skipped */
#define SF_TLS_QUIET	0x10	/* TLS started and the client has not spoken yet */
#define SF_ORPHAN	0x20	/* the current reply answers no command */

#define SMTP_REPLY_COUNTER_MAX	1023	/* s_len saturates here */

/* a queue entry: a run of commands awaiting replies */
#define Q_COUNT_MASK	0x03ff
#define Q_RESET		0x0400	/* the run holds a command whose 2xx starts a new transaction */
#define Q_VERB_SHIFT	11
/*
 * The queue's transaction form (commands): a MAIL that declared SIZE= with
 * nothing else pending opened it; until its DATA is answered only its MAIL,
 * RCPTs and DATA await replies, in that order, so queue[0] holds their
 * counts under a verb no run has and queue[1..2] the declared size.
 */
#define QT_MARK		(0x1fU << Q_VERB_SHIFT)
#define QT_MAIL		0x0400
#define QT_RCPT_SHIFT	1
#define QT_RCPT_MASK	0x03fe		/* 9 bits */
#define QT_DATA		0x0001

/* a word matcher state: position in the word << 5 | index of the first candidate */
#define TOK_POS_SHIFT	5
#define TOK_IDX_MASK	0x1f
#define TOK_DEAD	0x1f	/* index 31: no word matches */
#define TOK_POS_MAX	31
/* EHLO keywords only: a keyword of X's so far, then maybe one A (PIX, ASA masks) */
#define TOK_XRUN	0x1e
#define TOK_XRUN_A	0x1d

#define SP_NVERBS	15
#define SP_NKWS		11
#define SP_NHDRS	15
#define SP_NENCS	5
#define SP_NCTS		1
#define SP_NFNS		2
/* how often one client byte may go from one state to another (a bound, not a need) */
#define SP_MAX_REHANDLE	8
extern const char *const sp_verb_words[SP_NVERBS];
extern const char *const sp_kw_words[SP_NKWS];
extern const char *const sp_hdr_words[SP_NHDRS];
extern const u8 sp_hdr_ids[SP_NHDRS];
extern const char *const sp_enc_words[SP_NENCS];
extern const char *const sp_ct_words[SP_NCTS];
extern const char *const sp_fn_words[SP_NFNS];

struct run {
	struct smtp_parser *p;
	const struct smtp_sink *sink;
	int ret;		/* last sink answer */
	u16 max_cmd;		/* line limits in force: octets with CRLF */
	u16 max_reply;
	u16 max_text;
	u16 max_hdr;
	u32 max_message;	/* DATA: 0 = none */
	u32 max_headers;
	u32 size_excess;	/* DATA: octets over the declared SIZE= allowed; 0 = none */
	const struct smtp_domains *relay;	/* a set with names, or NULL */
	const struct smtp_domains *filetypes;	/* a set with names, or NULL */
};

static inline bool hdr_prefix_done(u16 st)
{
	/* "RESENT-" matches every Resent-* field: stop matching once seen */
	unsigned int idx = st & TOK_IDX_MASK;

	return idx < SP_NHDRS && sp_hdr_ids[idx] == SMTP_HDR_RESENT &&
	       (st >> TOK_POS_SHIFT) == 7;
}

/* Does txn count RCPTs (commands, or a first BDAT command), not headers? */
static inline bool sp_txn_rcpts(const struct smtp_parser *p)
{
	return p->c_mode == CM_CMD ||
	       (p->c_mode == CM_BDAT_NEXT && p->c_ls == CL_BDAT_FIRST);
}

static inline const u8 *scan_lf(const u8 *p, const u8 *end)
{
	const u8 *lf = memchr(p, '\n', end - p);

	return lf ? lf : end;
}

static inline u16 line_limit(u16 configured, u16 rfc)
{
	return configured ? configured : rfc;
}

/* Does the queue hold a transaction's SIZE= (QT_*)? Asked at every command and reply. */
static inline bool sp_q_txn(const struct smtp_parser *p)
{
	return p->c_mode == CM_CMD && (p->queue[0] & QT_MARK) == QT_MARK;
}

/* DATA text: does the idle server line hold the message's SIZE=? (hot: the text path asks) */
static inline bool sp_size_parked(const struct smtp_parser *p)
{
	return p->c_mode == CM_DATA && p->s_ls == SL_START && (p->s_len || p->s_tok);
}

/* A size going from old to now octets crosses the limit max (0: none). */
static inline bool over_limit(u32 max, u32 old, u32 now)
{
	return max && old <= max && now > max;
}

/* the longest line content within limit; the counter saturates: longer limits act as its maximum */
static inline u32 count_max(u16 limit)
{
	u32 max = limit > 2 ? limit - 2u : 0;	/* limits count the CRLF */

	return max < SMTP_LINE_COUNTER_MAX ? max : SMTP_LINE_COUNTER_MAX - 1;
}

u16 sp_tok_step(const char *const *w, unsigned int n, u16 st, u8 c);
bool sp_tok_valid(const char *const *w, unsigned int n, u16 st);
int sp_tok_word(const char *const *w, u16 st);
unsigned int sp_tok_verb(u16 st);
int sp_emit(struct run *r, u8 type, u8 dir, u8 verb, u8 sub, u16 code,
	    u16 flags, s32 start, s32 len, u32 value);
int sp_anomaly(struct run *r, u8 dir, u8 anom, s32 start, s32 len);
unsigned int sp_q_head(const struct smtp_parser *p);
bool sp_q_push(struct smtp_parser *p, unsigned int verb);
void sp_q_pop(struct smtp_parser *p, u16 code);
bool sp_q_contains(const struct smtp_parser *p, unsigned int verb);
bool sp_q_msg(const struct smtp_parser *p);
const char *sp_q_check(const struct smtp_parser *p);
bool sp_q_msg_begin(struct smtp_parser *p, u32 size);
void sp_q_msg_end(struct smtp_parser *p);
u32 sp_q_msg_add(struct smtp_parser *p, u32 size);
u32 sp_q_size(const struct smtp_parser *p);
void sp_q_txn_begin(struct smtp_parser *p, u32 size);
void sp_q_txn_end(struct smtp_parser *p);
/* DATA text: the declared size, parked in the idle server line fields */
void sp_size_park(struct smtp_parser *p, u32 size);
u32 sp_size_parked_value(const struct smtp_parser *p);
void sp_size_unpark(struct smtp_parser *p);
void sp_size_allow_dot(struct smtp_parser *p);
int sp_lost_sync(struct run *r, u8 dir, s32 at);
void sp_start_message(struct smtp_parser *p);
void sp_start_data(struct smtp_parser *p);
void sp_to_command_mode(struct smtp_parser *p);
int sp_client_confirm(struct run *r, u16 code);
size_t sp_parse_client(struct run *r, const u8 *buf, size_t n);
void sp_tls_start(struct smtp_parser *p);
void sp_tls_gap(struct smtp_parser *p);
const char *sp_tls_check(const struct smtp_parser *p);
size_t sp_parse_tls(struct run *r, u8 dir, const u8 *buf, size_t i, size_t n);
size_t sp_parse_server(struct run *r, const u8 *buf, size_t n);
/* MIME fields of DATA text (smtp_parser_mime.c) */
void sp_mime_field(struct smtp_parser *p, unsigned int hdr);
int sp_mime_value_end(struct run *r, s32 i);
int sp_mime_value_byte(struct run *r, s32 i, u8 c);
int sp_mime_line_start(struct run *r, s32 i, u8 c);
int sp_mime_line_end(struct run *r, s32 i);
const char *sp_mime_check(const struct smtp_parser *p);

#endif /* _SMTP_PARSER_INT_H */
