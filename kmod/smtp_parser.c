// SPDX-License-Identifier: GPL-2.0
/*
 * Streaming SMTP parser (RFC 5321, 2920, 3030, 3207; RFC 5322 headers).
 *
 * A byte-driven state machine per direction.  Message text is skipped a word
 * at a time; everything else is looked at byte by byte, so a chunk boundary
 * can fall anywhere.  Verbs, EHLO keywords and header names are matched by a
 * walk over sorted word lists whose whole state is (word index, position).
 */
#include "smtp_parser_int.h"

static_assert(sizeof(struct smtp_parser) == SMTP_PARSER_SIZE,
	      "parser state must stay 24 bytes");
static_assert(ARRAY_SIZE(sp_verb_words) == SP_NVERBS, "verb list");
static_assert(ARRAY_SIZE(sp_kw_words) == SP_NKWS, "keyword list");
static_assert(ARRAY_SIZE(sp_hdr_words) == SP_NHDRS, "header list");
static_assert(ARRAY_SIZE(sp_enc_words) == SP_NENCS && SP_NENCS == SMTP_ENC_OTHER,
	      "encoding list");
static_assert(ARRAY_SIZE(sp_ct_words) == SP_NCTS, "content type list");
static_assert(ARRAY_SIZE(sp_fn_words) == SP_NFNS, "file name parameter list");
static_assert(SMTP_HDR_CONTENT_TRANSFER_ENCODING == 12 && SMTP_HDR_OTHER == 15,
	      "singleton bits stay below the MIME fields");
/* the saturating counts fill their bits exactly */
static_assert(SMTP_PATH_LEN_MAX == (1U << AS_LEN_BITS) - 1 &&
	      AS_LEN_SHIFT + AS_LEN_BITS <= 28 &&
	      !(AS_SIZE_ALL & (AS_RTLS_ALL | AS_PATH_ALL | AS_LEN_MAX << AS_LEN_SHIFT)),
	      "path length and SIZE= bits of a MAIL line");
static_assert(!(AS_ON & AS_RCPT_ALL), "an RCPT line never looks like a MAIL line");
static_assert((TX_TO_MASK >> TX_TO_SHIFT) == SMTP_TO_FIELDS_MAX, "To count bits");
static_assert((F_REFUSED_MASK >> F_REFUSED_SHIFT) == SMTP_REFUSED_RCPT_MAX,
	      "refused RCPT bits");
static_assert(FN_LEN_MASK == SMTP_FILENAME_LEN_MAX && FX_POS_MASK == SMTP_FILETYPE_LEN_MAX &&
	      FX_IDX_MASK == SMTP_DOMAINS_MAX - 1 && FP_MAX <= FP_MASK + 1, "MIME state bits");
static_assert(FX_SEC_MASK >> FX_SEC_SHIFT == FX_SEC_MAX && !(FX_SEC_MASK & (FX_POS_MASK |
	      FX_IDX_MASK << FX_LO_SHIFT | FX_NONE | FX_FORCE)) &&
	      (FS_SEC_MAX << FS_SEC_SHIFT | FS_ALL) < 1 << (16 - FP_SUB_SHIFT), "section bits");

/* ---- word matcher ---------------------------------------------------- */

const char *const sp_verb_words[SP_NVERBS] = {
	"AUTH", "BDAT", "DATA", "EHLO", "ETRN", "EXPN", "HELO", "HELP",
	"MAIL", "NOOP", "QUIT", "RCPT", "RSET", "STARTTLS", "VRFY",
};

const char *const sp_kw_words[SP_NKWS] = {
	"8BITMIME", "AUTH", "BINARYMIME", "CHUNKING", "DSN",
	"ENHANCEDSTATUSCODES", "ETRN", "PIPELINING", "SIZE", "SMTPUTF8",
	"STARTTLS",
};

const char *const sp_hdr_words[SP_NHDRS] = {
	"BCC", "CC", "CONTENT-DISPOSITION", "CONTENT-TRANSFER-ENCODING",
	"CONTENT-TYPE", "DATE", "FROM", "IN-REPLY-TO", "MESSAGE-ID",
	"REFERENCES", "REPLY-TO", "RESENT-", "SENDER", "SUBJECT", "TO",
};

/* enum smtp_hdr of each word above: the singletons keep the low bits */
const u8 sp_hdr_ids[SP_NHDRS] = {
	SMTP_HDR_BCC, SMTP_HDR_CC, SMTP_HDR_CONTENT_DISPOSITION,
	SMTP_HDR_CONTENT_TRANSFER_ENCODING, SMTP_HDR_CONTENT_TYPE, SMTP_HDR_DATE, SMTP_HDR_FROM,
	SMTP_HDR_IN_REPLY_TO, SMTP_HDR_MESSAGE_ID, SMTP_HDR_REFERENCES,
	SMTP_HDR_REPLY_TO, SMTP_HDR_RESENT, SMTP_HDR_SENDER, SMTP_HDR_SUBJECT,
	SMTP_HDR_TO,
};

/* Content-Transfer-Encoding values, as enum smtp_mime_enc */
const char *const sp_enc_words[SP_NENCS] = {
	"7BIT", "8BIT", "BASE64", "BINARY", "QUOTED-PRINTABLE",
};

/* Content-Type values whose body is a message: headers again (RFC 2046 5.2) */
const char *const sp_ct_words[SP_NCTS] = {
	"MESSAGE/",
};

/* parameters that name a file: Content-Disposition's, Content-Type's */
const char *const sp_fn_words[SP_NFNS] = {
	"FILENAME", "NAME",
};

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
u16  sp_tok_step(const char *const *w, unsigned int n, u16 st, u8 c)
{
	unsigned int idx = st & TOK_IDX_MASK, pos = st >> TOK_POS_SHIFT, i;

	/* a NUL would match a word's terminator and walk past it */
	if (idx == TOK_DEAD || pos >= TOK_POS_MAX || !c)
		return TOK_DEAD;
	c = toupper(c);
	for (i = idx; i < n && same_prefix(w[i], w[idx], pos); i++)
		if ((u8)w[i][pos] == c)
			return i | ((pos + 1) << TOK_POS_SHIFT);
	return TOK_DEAD;
}

/* index of the word matched exactly, or -1 */
int  sp_tok_word(const char *const *w, u16 st)
{
	unsigned int idx = st & TOK_IDX_MASK, pos = st >> TOK_POS_SHIFT;

	if (idx == TOK_DEAD || w[idx][pos] != '\0')
		return -1;
	return idx;
}

unsigned int  sp_tok_verb(u16 st)
{
	int i = sp_tok_word(sp_verb_words, st);

	return i < 0 ? SMTP_VERB_UNKNOWN : SMTP_VERB_AUTH + i;
}

/* ---- name sets (mail-relay, mime-filetype) -------------------------------- */

bool smtp_set_narrow(const struct smtp_domains *set, unsigned int pos, unsigned int *lo,
		     unsigned int *hi, u8 c)
{
	unsigned int l = *lo, h = *hi;

	if (h >= set->n)
		return false;
	while (l <= h && (set->len[l] <= pos || (u8)set->name[set->off[l] + pos] != c))
		l++;
	if (l > h)
		return false;
	while (set->len[h] <= pos || (u8)set->name[set->off[h] + pos] != c)
		h--;
	*lo = l;
	*hi = h;
	return true;
}

/* ---- events ------------------------------------------------------------- */

int  sp_emit(struct run *r, u8 type, u8 dir, u8 verb, u8 sub, u16 code,
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

int  sp_anomaly(struct run *r, u8 dir, u8 anom, s32 start, s32 len)
{
	return sp_emit(r, SMTP_EV_ANOMALY, dir, 0, anom, 0, 0, start, len, 0);
}

/* ---- state changes -------------------------------------------------------- */

static void sp_enter_resync(struct smtp_parser *p)
{
	p->c_mode = CM_RESYNC;
	p->c_ls = RL_MID;
	p->c_lead = 0;
	p->c_len = 0;
	p->c_tok = 0;
	p->txn = 0;
	p->c_flags = 0;
	p->s_mode = SM_RESYNC;
	p->s_ls = SL_SKIP;
	p->s_len = 0;
	p->s_tok = 0;
	p->s_flags = SF_TENT;
	p->bdat_left = 0;
	__builtin_memset(p->queue, 0, sizeof(p->queue));
	p->flags = (p->flags & F_SESSION) | F_QAPPROX | F_CHECK_CLIENT;
}

void smtp_parser_init(struct smtp_parser *p)
{
	u16 user = p->user;

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
	u16 user = p->user;

	__builtin_memset(p, 0, sizeof(*p));
	p->user = user;
	/* the EHLO reply went by unseen: a BDAT is taken for framing */
	p->flags = F_CHUNKING;
	sp_enter_resync(p);
	/* a pickup may land on a line start: let the first line count */
	p->c_ls = RL_MID;
}

void smtp_parser_gap(struct smtp_parser *p)
{
	if (p->c_mode == CM_TLS)
		sp_tls_gap(p);	/* ciphertext has no line to resynchronise at */
	else
		sp_enter_resync(p);
}

int  sp_lost_sync(struct run *r, u8 dir, s32 at)
{
	sp_enter_resync(r->p);
	return sp_anomaly(r, dir, SMTP_ANOM_LOST_SYNC, at, 0);
}

void  sp_start_message(struct smtp_parser *p)
{
	p->txn = TX_HDR;
	p->c_len = 0;
	p->c_tok = 0;
}

/*
 * In DATA text the server is silent: its line fields hold the SIZE= the
 * message declared, 20 bits as e << 15 | m, m exactly below 2^15, else
 * (2^15 + m) << (e - 1), rounded up so that a message judged over it is
 * over the SIZE= (by less than 2^-15 of it, rounding never hides more).  A
 * server byte takes them back: the server ends the message there anyway.
 */
#define SZ_MANT_BITS	15

void  sp_size_park(struct smtp_parser *p, u32 size)
{
	u32 m = size, e = 0;

	if (m >= 1U << SZ_MANT_BITS) {
		e = 1;
		while (m > (2U << SZ_MANT_BITS) - 1) {
			m = (m >> 1) + (m & 1);		/* halving rounded up */
			e++;
		}
		m -= 1U << SZ_MANT_BITS;
	}
	m |= e << SZ_MANT_BITS;
	p->s_tok = m >> 10;
	p->s_len = m & 0x3ff;
}

u32  sp_size_parked_value(const struct smtp_parser *p)
{
	u32 v = (u32)p->s_tok << 10 | p->s_len;
	u32 m = v & ((1U << SZ_MANT_BITS) - 1), e = v >> SZ_MANT_BITS;

	if (!e)
		return m;
	if (e > 32 - SZ_MANT_BITS)
		return U32_MAX;
	return (m | 1U << SZ_MANT_BITS) << (e - 1);
}

/* A dot at a line start: not an octet of the message RFC 1870 sizes. */
void  sp_size_allow_dot(struct smtp_parser *p)
{
	u32 size;

	if (!sp_size_parked(p))
		return;
	size = sp_size_parked_value(p);
	if (size < U32_MAX)
		sp_size_park(p, size + 1);
}

void  sp_size_unpark(struct smtp_parser *p)
{
	p->s_len = 0;
	p->s_tok = 0;
}

/* 354: message text follows, from a line start. */
void  sp_start_data(struct smtp_parser *p)
{
	u32 size = sp_q_txn(p) ? sp_q_size(p) : 0;

	p->c_mode = CM_DATA;
	p->c_ls = DL_START_CRLF;
	sp_start_message(p);
	p->c_flags = 0;
	p->text_len = 0;
	/* no command is pending in message text: the queue's place is mime[] */
	__builtin_memset(p->mime, 0, sizeof(p->mime));
	p->flags &= ~F_RUN_FAILED;
	if (size && p->s_ls == SL_START)
		sp_size_park(p, size);
}

void  sp_to_command_mode(struct smtp_parser *p)
{
	if (sp_size_parked(p))
		sp_size_unpark(p);
	if (p->c_mode == CM_DATA)
		__builtin_memset(p->queue, 0, sizeof(p->queue));	/* was mime[] */
	if (sp_q_msg(p))
		sp_q_msg_end(p);
	p->c_mode = CM_CMD;
	p->c_ls = CL_START;
	p->c_lead = 0;
	p->c_len = 0;
	p->c_tok = 0;
	p->txn = 0;
	p->c_flags = 0;
	p->bdat_left = 0;
}

size_t smtp_parse(struct smtp_parser *p, enum smtp_dir dir, const u8 *buf,
		  size_t len, const struct smtp_sink *sink)
{
	struct run r = {
		.p = p, .sink = sink,
		.max_cmd = line_limit(sink ? sink->max_cmd : 0, 512),
		.max_reply = line_limit(sink ? sink->max_reply : 0, 512),
		.max_text = line_limit(sink ? sink->max_text : 0, 1000),
		.max_hdr = line_limit(sink ? sink->max_header : 0, 1000),
		.max_message = sink ? sink->max_message : 0,
		.max_headers = sink ? sink->max_headers : 0,
		.size_excess = sink ? sink->size_excess : 0,
		.relay = sink && sink->relay && sink->relay->n ? sink->relay : NULL,
		.filetypes = sink && sink->filetypes && sink->filetypes->n ?
			     sink->filetypes : NULL,
	};

	if (!len)
		return 0;
	if (dir == SMTP_DIR_CLIENT)
		return sp_parse_client(&r, buf, len);
	return sp_parse_server(&r, buf, len);
}

bool smtp_parser_tls(const struct smtp_parser *p)
{
	return p->c_mode == CM_TLS;
}

bool smtp_parser_starttls_offered(const struct smtp_parser *p)
{
	return p->flags & F_STLS_OFFERED;
}

bool smtp_parser_synced(const struct smtp_parser *p, enum smtp_dir dir)
{
	if (dir == SMTP_DIR_CLIENT)
		return p->c_mode != CM_RESYNC && !(p->flags & F_PROBE);
	return p->s_mode != SM_RESYNC;
}

/* ---- state validation ------------------------------------------------------ */

/*
 * A matcher state the walk over the sorted list w can reach: 0 (nothing
 * seen), TOK_DEAD, or (idx, pos) where w[idx] is the first word that starts
 * with its own first pos characters.  Then every later step and lookup stays
 * inside the words.
 */
bool  sp_tok_valid(const char *const *w, unsigned int n, u16 st)
{
	unsigned int idx = st & TOK_IDX_MASK, pos = st >> TOK_POS_SHIFT, k;

	if (st == 0 || st == TOK_DEAD)
		return true;
	if (idx >= n || pos == 0)
		return false;
	for (k = 0; k < pos; k++)
		if (!w[idx][k])
			return false;	/* longer than the word */
	return idx == 0 || !same_prefix(w[idx - 1], w[idx], pos);
}

/* MAIL: REQUIRETLS matcher, path and its length; RCPT: path and domain matcher */
static bool arg_scan_valid(u32 s)
{
	u32 lo = (s >> AS_RD_LO_SHIFT) & AS_RD_IDX_MASK;
	u32 hi = (s >> AS_RD_HI_SHIFT) & AS_RD_IDX_MASK;

	if (s & AS_ON)
		return !(s & ~AS_MAIL_ALL) && ((s & AS_ADDR) || !(s & ~AS_RTLS_ALL));
	if (!s)
		return true;
	if (!(s & AS_ADDR) || (s & ~AS_RCPT_ALL))
		return false;
	if (!(s & AS_RD_IN))
		return !(s & (AS_RD_MATCH & ~AS_RD_IN));
	return (s & AS_RD_NONE) || lo <= hi;
}

/* the client's line state, flags and matcher against its mode */
static const char *check_client(const struct smtp_parser *p)
{
	unsigned int ls = p->c_ls;
	bool hdr_ls = ls >= HL_NAME && ls <= BL_TEXT;

	switch (p->c_mode) {
	case CM_CMD:
		if (ls > CL_LEAD_CR)
			return "client line state outside command mode";
		if (!arg_scan_valid(p->arg_scan))
			return "bad argument matcher state";
		if (p->c_flags & CF_BAD)
			return "BDAT flags in command mode";
		if (!sp_tok_valid(sp_verb_words, SP_NVERBS, p->c_tok))
			return "bad verb matcher state";
		return NULL;
	case CM_DATA:
		if (ls < DL_START_CRLF || ls > HL_WSP)
			return "client line state outside message text";
		if (p->txn & ~(TX_HDR | TX_SEEN_MASK | TX_TO_MASK))
			return "bad header state";
		return sp_mime_check(p);
	case CM_BDAT:
		if (!hdr_ls)
			return "client line state outside BDAT content";
		if (p->c_flags & ~(CF_LAST | CF_SPLIT))
			return "bad BDAT content flags";
		if (!p->bdat_left)
			return "BDAT content with no byte due";
		if (!sp_tok_valid(sp_hdr_words, SP_NHDRS, p->c_tok))
			return "bad header matcher state";
		return NULL;
	case CM_BDAT_NEXT:
		if (ls != CL_BDAT_FIRST && !hdr_ls)
			return "client line state outside a BDAT command";
		if ((p->c_flags & CF_SUB_MASK) > BN_CR)
			return "bad BDAT command position";
		if (!sp_tok_valid(ls == CL_BDAT_FIRST ? sp_verb_words : sp_hdr_words,
				  ls == CL_BDAT_FIRST ? SP_NVERBS : SP_NHDRS, p->c_tok))
			return "bad matcher state";
		return NULL;
	case CM_TLS:
		/* nothing is parsed again; pipelined commands may have left any line state */
		if (ls > BL_TEXT)
			return "client line state outside TLS";
		if (p->s_mode != SM_TLS)
			return "client in TLS, server not";
		return NULL;
	case CM_RESYNC:
		/* matcher and flags are reset when it resynchronises */
		if (ls != RL_MID && ls != RL_START)
			return "client line state outside resync";
		return NULL;
	}
	return "bad client mode";
}

static const char *check_server(const struct smtp_parser *p)
{
	bool tent = p->s_flags & SF_TENT;

	switch (p->s_mode) {
	case SM_REPLY:
		if (p->s_ls > SL_CR)
			return "server line state outside replies";
		if (p->s_flags & (SF_TENT | SF_TLS_QUIET))
			return "bad reply flags";
		break;
	case SM_RESYNC:
		if (!tent || (p->s_flags & SF_TLS_QUIET) || p->s_ls == SL_KW)
			return "bad server resync state";
		if (p->c_mode != CM_RESYNC)
			return "server resynchronising, client not";
		break;
	case SM_TLS:
		if (tent || p->c_mode != CM_TLS)
			return "server in TLS, client not";
		break;
	default:
		return "bad server mode";
	}
	if (p->s_ls == SL_KW) {
		unsigned int idx = p->s_tok & TOK_IDX_MASK;
		bool xrun = (idx == TOK_XRUN || idx == TOK_XRUN_A) &&
			    (p->s_tok >> TOK_POS_SHIFT);

		if (!(p->s_flags & SF_KWLINE) ||
		    (!xrun && !sp_tok_valid(sp_kw_words, SP_NKWS, p->s_tok)))
			return "bad keyword matcher state";
	} else if (sp_size_parked(p)) {
		if (((u32)p->s_tok << 10 | p->s_len) >> SZ_MANT_BITS > 33 - SZ_MANT_BITS)
			return "parked message size out of range";
	} else if (p->s_tok > 599) {
		return "reply code out of range";
	}
	return NULL;
}

const char *smtp_parser_check(const struct smtp_parser *p)
{
	bool synced = smtp_parser_synced(p, SMTP_DIR_CLIENT), resync;
	const char *why;

	/* in TLS the queue's place holds the record framing, in DATA text mime[] */
	why = p->c_mode == CM_TLS ? sp_tls_check(p) :
	      p->c_mode == CM_DATA ? NULL : sp_q_check(p);
	if (!why)
		why = check_client(p);
	if (!why)
		why = check_server(p);
	if (why)
		return why;
	/* in DATA text c_lead belongs to the MIME state, in BDAT to the queue */
	if (p->c_lead && p->c_mode != CM_DATA && !sp_q_msg(p) &&
	    (p->c_mode != CM_CMD || !p->c_len))
		return "leading blanks outside a command line";
	if ((p->flags & F_GREETING) && (p->flags & ~(F_GREETING | F_SESSION)))
		return "greeting awaited after a resync";
	if (p->flags & ~F_ALL)
		return "unknown session flags";
	resync = p->c_mode == CM_RESYNC;
	if (!(p->flags & F_CHECK_CLIENT) == resync)
		return "client resync flag and mode disagree";
	/* a 354 confirming a probing client puts it in message text */
	if ((p->flags & F_PROBE) && p->c_mode != CM_CMD && p->c_mode != CM_RESYNC &&
	    p->c_mode != CM_DATA)
		return "probing for a command outside commands and text";
	/* in DATA the same bits count the text, probing or not */
	if (p->bdat_left && !synced && p->c_mode != CM_DATA)
		return "BDAT bytes due while unsynced";
	return NULL;
}

/* ---- names -------------------------------------------------------------- */

const char *smtp_verb_name(unsigned int verb)
{
	if (verb >= SMTP_VERB_AUTH && verb <= SMTP_VERB_VRFY)
		return sp_verb_words[verb - SMTP_VERB_AUTH];
	switch (verb) {
	case SMTP_VERB_EOD:
		return "EOD";
	case SMTP_VERB_AUTH_DATA:
		return "AUTH-DATA";
	case SMTP_VERB_GREETING:
		return "GREETING";
	case SMTP_VERB_MIXED:
		return "MIXED";
	default:
		return "UNKNOWN";
	}
}

const char *smtp_kw_name(unsigned int kw)
{
	if (kw == SMTP_KW_MASKED)
		return "XXXXXXXA";
	return kw < SP_NKWS ? sp_kw_words[kw] : "OTHER";
}

const char *smtp_hdr_name(unsigned int hdr)
{
	static const char *const names[] = {
		"Bcc", "Cc", "Date", "From", "In-Reply-To", "Message-ID",
		"References", "Reply-To", "Resent-*", "Sender", "Subject", "To",
		"Content-Transfer-Encoding", "Content-Type", "Content-Disposition",
	};

	return hdr < ARRAY_SIZE(names) ? names[hdr] : "other";
}

const char *smtp_mime_enc_name(unsigned int enc)
{
	static const char *const names[] = {
		"7bit", "8bit", "base64", "binary", "quoted-printable", "others",
	};

	return enc < ARRAY_SIZE(names) ? names[enc] : "others";
}

const char *smtp_anomaly_name(unsigned int anom)
{
	static const char *const names[] = {
		"cmd-too-long", "reply-too-long", "text-too-long",
		"header-too-long", "nul", "bare-cr", "bare-lf", "smuggling",
		"starttls-injection", "tls-response-injection",
		"data-pipelined", "reply-unexpected", "bad-reply",
		"bdat-syntax", "bdat-too-big", "queue-full", "lost-sync",
		"reply-mismatch", "eod-unseen", "tls-framing", "message-too-big",
		"headers-too-big",
		"size-exceeded",
		"size-unjudged",
	};

	return anom < ARRAY_SIZE(names) ? names[anom] : "?";
}

const char *smtp_event_name(unsigned int type)
{
	static const char *const names[] = {
		"?", "verb", "command", "reply", "ehlo-keyword", "banner",
		"data-start", "data-end", "bdat-start", "bdat-end", "header",
		"headers-end", "tls-start", "resync", "anomaly", "mime-encoding",
		"mime-filename",
	};

	return type < ARRAY_SIZE(names) ? names[type] : "?";
}

/* ---- lookups for the helper ------------------------------------------------ */

static u16 tok_run(const char *const *w, unsigned int n, const u8 *s,
		   unsigned int len)
{
	u16 st = 0;
	unsigned int i;

	for (i = 0; i < len && st != TOK_DEAD; i++)
		st = sp_tok_step(w, n, st, s[i]);
	return st;
}

unsigned int smtp_verb_lookup(const u8 *s, unsigned int len)
{
	return sp_tok_verb(tok_run(sp_verb_words, SP_NVERBS, s, len));
}

unsigned int smtp_kw_lookup(const u8 *s, unsigned int len)
{
	int w = sp_tok_word(sp_kw_words, tok_run(sp_kw_words, SP_NKWS, s, len));

	return w < 0 ? SMTP_KW_OTHER : (unsigned int)w;
}

bool smtp_parser_client_commands(const struct smtp_parser *p)
{
	return p->c_mode == CM_CMD;
}

bool smtp_parser_client_text(const struct smtp_parser *p)
{
	return p->c_mode == CM_DATA;
}

int smtp_parser_client_line_len(const struct smtp_parser *p)
{
	if (p->c_mode != CM_CMD || p->c_len >= SMTP_LINE_COUNTER_MAX)
		return -1;
	return p->c_len + (p->c_ls == CL_CR || p->c_ls == CL_LEAD_CR);
}

/*
 * The client is in the middle of a verb: the verbs that can still come of
 * it, a bit per enum smtp_verb (SMTP_VERB_UNKNOWN for the longer tokens no
 * known verb is), and in *len how many of its bytes were seen.  0 when the
 * client is not in a verb.
 */
u32 smtp_parser_open_verb(const struct smtp_parser *p, u32 *len)
{
	unsigned int idx = p->c_tok & TOK_IDX_MASK, pos = p->c_tok >> TOK_POS_SHIFT;
	u32 verbs = 1U << SMTP_VERB_UNKNOWN;
	unsigned int i;

	if (p->c_mode != CM_CMD || p->c_ls != CL_VERB || !p->c_len ||
	    (p->c_flags & CF_AUTH_CONT) || (p->flags & F_PROBE) ||
	    p->c_len >= SMTP_LINE_COUNTER_MAX)
		return 0;
	*len = p->c_len;
	if (idx == TOK_DEAD)
		return verbs;
	for (i = idx; i < SP_NVERBS &&
	     same_prefix(sp_verb_words[i], sp_verb_words[idx], pos); i++)
		verbs |= 1U << (SMTP_VERB_AUTH + i);
	return verbs;
}

void smtp_parser_init_line(struct smtp_parser *p)
{
	p->user = 0;	/* a scratch state: nothing of the caller's to keep */
	smtp_parser_init(p);
	p->flags = 0;
}
