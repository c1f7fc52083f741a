// SPDX-License-Identifier: GPL-2.0
/*
 * MIME fields of DATA text, as the bytes stream by (the client parser finds
 * the header sections and hands over their values):
 *  - Content-Transfer-Encoding: the value's first word (MIME_ENCODING);
 *  - Content-Type: message/ (its body is headers again), and with
 *    Content-Disposition the file a part carries: the name= or filename=
 *    parameter, RFC 2231 sections joined and %XX decoded, RFC 2047 encoded
 *    words decoded as mail readers do, its length as sent and whether its
 *    extension is a listed file type (MIME_FILENAME).
 * What a reader could read otherwise (a comment within a comment) is judged
 * the worst way: encoding "others", a banned name of the longest length.
 */
#include "smtp_parser_int.h"

static unsigned int fp_phase(const struct smtp_parser *p)
{
	return p->mime[0] & FP_MASK;
}

static unsigned int fp_sub(const struct smtp_parser *p)
{
	return p->mime[0] >> FP_SUB_SHIFT;
}

static void fp_set(struct smtp_parser *p, unsigned int phase, unsigned int sub)
{
	p->mime[0] = (u16)(phase | sub << FP_SUB_SHIFT);
}

void  sp_mime_field(struct smtp_parser *p, unsigned int hdr)
{
	if (p->c_mode != CM_DATA)
		return;	/* BDAT: c_flags holds its framing */
	p->c_flags &= ~(MF_VAL | MF_CT | MF_CD | MF_CMT);
	p->c_tok = 0;
	p->c_lead = 0;
	__builtin_memset(p->mime, 0, sizeof(p->mime));
	if (hdr == SMTP_HDR_CONTENT_TRANSFER_ENCODING)
		p->c_flags |= MF_VAL;
	else if (hdr == SMTP_HDR_CONTENT_TYPE)
		p->c_flags |= MF_VAL | MF_CT;
	else if (hdr == SMTP_HDR_CONTENT_DISPOSITION)
		p->c_flags |= MF_VAL | MF_CD;
}

/* ---- file names ----------------------------------------------------------- */

/* The last listed type that shares the first pos octets of type lo. */
static unsigned int ext_range_end(const struct smtp_domains *set, unsigned int lo,
				  unsigned int pos)
{
	const char *first = set->name + set->off[lo];
	unsigned int hi, k;

	for (hi = lo; hi + 1 < set->n && set->len[hi + 1] >= pos; hi++) {
		/* at most 15 octets: no call (the benchmark checks the parser calls nothing) */
		for (k = 0; k < pos && set->name[set->off[hi + 1] + k] == first[k]; k++)
			;
		if (k < pos)
			break;
	}
	return hi;
}

/* The listed file types whose octet pos is c: narrow the extension matcher. */
static void ext_narrow(struct run *r, u8 c)
{
	struct smtp_parser *p = r->p;
	const struct smtp_domains *set = r->filetypes;
	u16 x = p->mime[2];
	unsigned int pos = x & FX_POS_MASK;
	unsigned int lo = (x >> FX_LO_SHIFT) & FX_IDX_MASK, hi = 0;

	if (x & FX_NONE)
		return;
	/* lo past the set: the policy changed within the name */
	if (set && lo < set->n)
		hi = ext_range_end(set, lo, pos);
	if (!set || pos >= SMTP_FILETYPE_LEN_MAX || lo >= set->n ||
	    !smtp_set_narrow(set, pos, &lo, &hi, c)) {
		p->mime[2] |= FX_NONE;
		return;
	}
	p->mime[2] = (x & ~(FX_POS_MASK | FX_IDX_MASK << FX_LO_SHIFT)) |
		     (pos + 1) | lo << FX_LO_SHIFT;
}

/* A '.': the extension starts (again) after it, every listed type in range. */
static void ext_restart(struct run *r)
{
	struct smtp_parser *p = r->p;
	unsigned int n = r->filetypes ? r->filetypes->n : 0;

	p->mime[1] = (p->mime[1] & ~(FN_TRAIL | FN_TDOT)) | FN_DOT;
	p->mime[2] = (p->mime[2] & (FX_FORCE | FX_SEC_MASK)) | (n ? 0 : FX_NONE);
}

/*
 * One octet of a file name as a reader decodes it, for its extension.
 * Windows drops dots and blanks at a name's end ("evil.exe. " is
 * evil.exe): after a possible extension they are held (FN_TRAIL) until
 * another octet shows whether they ended the name.
 */
static void ext_feed(struct run *r, u8 c)
{
	struct smtp_parser *p = r->p;
	u16 f = p->mime[1];
	bool cand = (f & FN_DOT) && !(p->mime[2] & FX_NONE) && (p->mime[2] & FX_POS_MASK);

	/* ASCII only, as the list was lowered (the kernel's tolower() folds Latin-1 too) */
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	if (f & FN_TRAIL) {
		if (c == '.' || c == ' ') {
			p->mime[1] = c == '.' ? f | FN_TDOT : f & ~FN_TDOT;
			return;
		}
		/* the name goes on: after a dot a new extension, after a blank none */
		if (f & FN_TDOT) {
			ext_restart(r);
		} else {
			p->mime[1] &= ~FN_TRAIL;
			p->mime[2] |= FX_NONE;
		}
	} else if ((c == '.' || c == ' ') && cand) {
		p->mime[1] = f | FN_TRAIL | (c == '.' ? FN_TDOT : 0);
		return;
	} else if (c == '.') {
		ext_restart(r);
		return;
	}
	if (p->mime[1] & FN_DOT)
		ext_narrow(r, c);
}

/* The name read so far (all its sections) is judged: one MIME_FILENAME event. */
static int name_done(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;
	const struct smtp_domains *set = r->filetypes;
	u16 f = p->mime[1], x = p->mime[2];
	unsigned int pos = x & FX_POS_MASK, lo = (x >> FX_LO_SHIFT) & FX_IDX_MASK;
	bool banned = x & FX_FORCE;

	if (!(f & FN_PEND))
		return SMTP_CONTINUE;
	if ((f & FN_DOT) && !(x & FX_NONE) && set && lo < set->n && set->len[lo] == pos)
		banned = true;
	p->mime[1] = 0;
	p->mime[2] = 0;
	p->c_lead = 0;
	return sp_emit(r, SMTP_EV_MIME_FILENAME, SMTP_DIR_CLIENT, 0, 0, 0,
		       banned ? SMTP_EVF_BANNED : 0, i, 0, f & FN_LEN_MASK);
}

static u8 hex_val(u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0xff;
}

static const char hex_digits[] = "0123456789abcdef";

/* An RFC 2231 extended value's octet: charset'language' first, then %XX. */
static void xv_byte(struct run *r, u8 c)
{
	struct smtp_parser *p = r->p;
	unsigned int sub = fp_sub(p), pct = sub & FD_PCT, hi = sub >> FD_HI_SHIFT;
	u8 v = hex_val(c);

	if (pct == 4 && v < 16) {
		fp_set(p, fp_phase(p), (sub & FD_QUOTES) | 8 | v << FD_HI_SHIFT);
		return;
	}
	if (pct == 8 && v < 16) {
		fp_set(p, fp_phase(p), sub & FD_QUOTES);
		ext_feed(r, (u8)(hi << 4 | v));
		return;
	}
	if (pct) {
		/* not an escape after all: its octets as they came */
		ext_feed(r, '%');
		if (pct == 8)
			ext_feed(r, hex_digits[hi & 0xf]);
		sub &= FD_QUOTES;
	}
	if (c == '%') {
		fp_set(p, fp_phase(p), (sub & FD_QUOTES) | 4);
		return;
	}
	if (c == '\'' && (sub & FD_QUOTES) < 2) {
		/* the second quote ends the prefix: the name starts after it */
		sub++;
		if (sub == 2) {
			sub = 3;
			p->mime[1] &= ~(FN_DOT | FN_TRAIL | FN_TDOT);
			p->mime[2] &= FX_FORCE | FX_SEC_MASK;
		}
		fp_set(p, fp_phase(p), sub);
	}
	/* octets before it may be the name: a reader takes a value without one whole */
	ext_feed(r, c);
}

static u8 b64_val(u8 c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : 0xff;
}

/* A non-blank octet ends a run of blanks after an encoded word: they were text. */
static void ew_blanks(struct run *r, unsigned int sub)
{
	if (sub & EW_BLANK)
		ext_feed(r, ' ');
}

/* An octet of an encoded word's text (RFC 2047 B or Q): decoded octets fed. */
static void ew_text(struct run *r, unsigned int sub, u8 c)
{
	struct smtp_parser *p = r->p;
	unsigned int st = sub >> EW_STEP_SHIFT, keep = sub & (EW_PHASE_MASK | EW_Q);
	u8 v;

	if (sub & EW_Q) {
		v = hex_val(c);
		if ((st & 3) == 1 && v < 16) {
			fp_set(p, fp_phase(p), keep | (2 | v << 2) << EW_STEP_SHIFT);
			return;
		}
		if ((st & 3) == 2 && v < 16) {
			fp_set(p, fp_phase(p), keep);
			ext_feed(r, (u8)((st >> 2) << 4 | v));
			return;
		}
		if (st & 3) {
			/* no escape after all: a reader keeps its octets */
			ext_feed(r, '=');
			if ((st & 3) == 2)
				ext_feed(r, hex_digits[(st >> 2) & 0xf]);
		}
		if (c == '=') {
			fp_set(p, fp_phase(p), keep | 1 << EW_STEP_SHIFT);
		} else {
			fp_set(p, fp_phase(p), keep);
			ext_feed(r, c == '_' ? ' ' : c);
		}
		return;
	}
	v = b64_val(c);
	if (v > 63) {
		if (c != '=')
			ext_feed(r, 0);	/* no base64: a reader's guess, no extension */
		return;
	}
	/* st: 2 bits of phase, 6 bits pending */
	switch (st & 3) {
	case 0:
		st = 1 | v << 2;
		break;
	case 1:
		ext_feed(r, (u8)((st >> 2) << 2 | v >> 4));
		st = 2 | (v & 0xf) << 2;
		break;
	case 2:
		ext_feed(r, (u8)(((st >> 2) & 0xf) << 4 | v >> 2));
		st = 3 | (v & 3) << 2;
		break;
	default:
		ext_feed(r, (u8)(((st >> 2) & 3) << 6 | v));
		st = 0;
	}
	fp_set(p, fp_phase(p), keep | st << EW_STEP_SHIFT);
}

/* What an unfinished encoded word's framing was: octets no extension has. */
static void ew_abort(struct run *r, unsigned int sub)
{
	unsigned int ph = sub & EW_PHASE_MASK;

	if (ph == EW_EQ) {
		ew_blanks(r, sub);
		ext_feed(r, '=');
	} else if (ph == EW_AFTER) {
		ew_blanks(r, sub);
	} else if (ph != EW_LIT) {
		ext_feed(r, 0);
	}
	fp_set(r->p, fp_phase(r->p), EW_LIT);
}

/* An octet of a plain value: RFC 2047 encoded words decoded, as readers do. */
static void ew_byte(struct run *r, u8 c)
{
	struct smtp_parser *p = r->p;
	unsigned int sub = fp_sub(p), ph = sub & EW_PHASE_MASK;
	bool blank = c == ' ' || c == '\t';

	switch (ph) {
	case EW_EQ:
		if (c == '?') {
			fp_set(p, fp_phase(p), EW_CHARSET);	/* blanks between words: dropped */
			return;
		}
		break;
	case EW_CHARSET:
		if (c == '?') {
			fp_set(p, fp_phase(p), EW_CODE);
			return;
		}
		if (c > ' ' && c < 127 && c != '"' && c != '=')
			return;
		break;
	case EW_CODE:
		if (c == 'b' || c == 'B' || c == 'q' || c == 'Q') {
			fp_set(p, fp_phase(p), EW_QMARK | (c == 'q' || c == 'Q' ? EW_Q : 0));
			return;
		}
		break;
	case EW_QMARK:
		if (c == '?') {
			fp_set(p, fp_phase(p), EW_TEXT | (sub & EW_Q));
			return;
		}
		break;
	case EW_TEXT:
		if (c == '?') {
			fp_set(p, fp_phase(p), EW_END);
			return;
		}
		if (!blank) {
			ew_text(r, sub, c);
			return;
		}
		break;
	case EW_END:
		if (c == '=') {
			fp_set(p, fp_phase(p), EW_AFTER);
			return;
		}
		break;
	case EW_AFTER:
		if (blank) {
			fp_set(p, fp_phase(p), EW_AFTER | EW_BLANK);
			return;
		}
		if (c == '=') {
			fp_set(p, fp_phase(p), EW_EQ | (sub & EW_BLANK));
			return;
		}
		break;
	default:	/* EW_LIT */
		if (c == '=') {
			fp_set(p, fp_phase(p), EW_EQ);
			return;
		}
		ext_feed(r, c);
		return;
	}
	/* not (or no longer) an encoded word: this octet is text again */
	ew_abort(r, sub);
	ew_byte(r, c);
}

/* An octet of a file name's value (quotes and quoting backslashes aside). */
static void name_byte(struct run *r, u8 c)
{
	struct smtp_parser *p = r->p;
	u16 f = p->mime[1];

	if (!(f & FN_ON))
		return;
	if ((f & FN_LEN_MASK) < SMTP_FILENAME_LEN_MAX)
		p->mime[1] = f + 1;
	if (f & FN_XV)
		xv_byte(r, c);
	else
		ew_byte(r, c);
}

/* A value (or one RFC 2231 section of a name) ended: its decoder is flushed. */
static void value_end(struct run *r, unsigned int next)
{
	struct smtp_parser *p = r->p;

	if (p->mime[1] & FN_ON) {
		if (p->mime[1] & FN_XV) {
			unsigned int sub = fp_sub(p);

			if (sub & FD_PCT) {
				ext_feed(r, '%');
				if ((sub & FD_PCT) == 8)
					ext_feed(r, hex_digits[(sub >> FD_HI_SHIFT) & 0xf]);
			}
		} else {
			ew_abort(r, fp_sub(p));
		}
	}
	p->mime[1] &= ~FN_ON;
	fp_set(p, next, 0);
}

/*
 * RFC 2231 section sec of a name= parameter (file: of a filename=) follows:
 * does it join the sections before it as a reader sorting them would?  Only
 * when its number rises over theirs, for the same parameter; else the name
 * is judged like a nested comment's.  Section 0 starts a name.
 */
static void name_section(struct smtp_parser *p, unsigned int sec, bool file)
{
	unsigned int seq = (p->mime[2] & FX_SEC_MASK) >> FX_SEC_SHIFT;
	bool order = sec ? seq && sec >= seq && sec < FX_SEC_MAX && p->c_lead == file : !seq;

	if (!order)
		p->mime[2] |= FX_FORCE;
	seq = sec < FX_SEC_MAX ? sec + 1 : FX_SEC_MAX;
	p->mime[2] = (p->mime[2] & ~FX_SEC_MASK) | seq << FX_SEC_SHIFT;
	p->c_lead = file;
}

/*
 * '=' after a parameter name: a file name's value follows (a section of
 * the current one, or a new name: the one before is judged first).
 */
static int param_eq(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;
	unsigned int sub = fp_sub(p), sec = sub >> FS_SEC_SHIFT;
	int word = sp_tok_word(sp_fn_words, p->c_tok);
	u16 seen;
	bool ext, cont;
	int ret = SMTP_CONTINUE;

	if ((sub & FS_BAD) || word < 0) {
		p->c_tok = 0;
		fp_set(p, FP_VAL, 0);
		return ret;
	}
	p->c_tok = 0;
	ext = (sub & FS_STAR) && (!(sub & FS_NUM) || (sub & FS_EXT));
	cont = (sub & FS_NUM) && sec;
	if (!cont) {
		/* a second section 0 of the parameter: readers join the two */
		seen = (sub & FS_NUM) && p->c_lead == !word ? p->mime[2] & FX_SEC_MASK : 0;
		ret = name_done(r, i);
		p->mime[1] = 0;
		p->mime[2] = seen;
	}
	if (sub & FS_NUM)
		name_section(p, sec, !word);
	p->mime[1] = (p->mime[1] & ~FN_XV) | FN_ON | FN_PEND | (ext ? FN_XV : 0);
	/* only a first section has charset'language' */
	fp_set(p, FP_VAL, ext && cont ? 3 : 0);
	return ret;
}

/* One octet of a parameter name (FP_NAME): the name, then its RFC 2231 suffix. */
static void pname_byte(struct smtp_parser *p, u8 c)
{
	unsigned int sub = fp_sub(p);

	if (c == '*') {
		if (sub & (FS_EXT | FS_BAD))
			sub = FS_BAD;
		else if (sub & FS_NUM)
			sub |= FS_EXT;
		else if (!(sub & FS_STAR) && sp_tok_word(sp_fn_words, p->c_tok) >= 0)
			sub |= FS_STAR;
		else
			sub = FS_BAD;
	} else if (c >= '0' && c <= '9' && (sub & FS_STAR) && !(sub & (FS_EXT | FS_BAD))) {
		unsigned int sec = sub >> FS_SEC_SHIFT;

		/* "01" is 1 to python, a name of its own to others: no order */
		if ((sub & FS_NUM) && (!sec || sec > (FS_SEC_MAX - 9) / 10))
			sec = FS_SEC_MAX;
		else
			sec = sec * 10 + c - '0';
		sub = (sub & FS_ALL) | FS_NUM | sec << FS_SEC_SHIFT;
	} else if (sub) {
		sub = FS_BAD;
	} else {
		p->c_tok = sp_tok_step(sp_fn_words, SP_NFNS, p->c_tok, c);
	}
	fp_set(p, FP_NAME, sub);
}

/*
 * A comment in a parameter list: one within it or a quoted pair cannot be
 * followed the way every reader may: judged a banned name of the longest
 * length, the rest of the field skipped to its next ';'.
 */
static void param_comment(struct smtp_parser *p, u8 c)
{
	if (c == ')') {
		p->c_flags &= ~MF_CMT;
	} else if (c == '(' || c == '\\') {
		p->c_flags &= ~MF_CMT;
		p->c_tok = 0;
		p->c_lead = 0;
		p->mime[1] = FN_PEND | SMTP_FILENAME_LEN_MAX;
		p->mime[2] = FX_FORCE;
		fp_set(p, FP_AFTER, 0);
	}
}

/* The type word of a Content-Type: message/ nests headers. */
static void type_byte(struct smtp_parser *p, u8 c)
{
	if (!(p->c_flags & MF_CT) || (p->c_tok & TOK_IDX_MASK) == TOK_DEAD)
		return;
	if (c == ' ' || c == '\t') {
		if (p->c_tok)
			p->c_tok = TOK_DEAD;
		return;
	}
	p->c_tok = sp_tok_step(sp_ct_words, SP_NCTS, p->c_tok, c);
	if (sp_tok_word(sp_ct_words, p->c_tok) >= 0) {
		/* the body (after the empty line) is headers */
		p->c_flags |= MF_NEST;
		p->c_tok = TOK_DEAD;
	}
}

/* One octet of a Content-Type or -Disposition value (not CR or LF). */
static int param_byte(struct run *r, s32 i, u8 c)
{
	struct smtp_parser *p = r->p;
	unsigned int ph = fp_phase(p);
	bool blank = c == ' ' || c == '\t';

	if (p->c_flags & MF_CMT) {
		param_comment(p, c);
		return SMTP_CONTINUE;
	}
	switch (ph) {
	case FP_TYPE:
		if (c == ';' || c == '"') {
			p->c_tok = 0;
			fp_set(p, c == ';' ? FP_SEMI : FP_QUOTED, 0);
		} else if (c == '(') {
			/* a comment ends the type word, or comes before it */
			if (p->c_tok)
				p->c_tok = TOK_DEAD;
			p->c_flags |= MF_CMT;
		} else {
			type_byte(p, c);
		}
		return SMTP_CONTINUE;
	case FP_NAME:
		if (c == '=')
			return param_eq(r, i);
		if (blank || c == '(') {
			fp_set(p, FP_EQ, fp_sub(p));
			if (c == '(')
				p->c_flags |= MF_CMT;
		} else if (c == ';' || c == '"') {
			p->c_tok = 0;
			fp_set(p, c == ';' ? FP_SEMI : FP_QUOTED, 0);
		} else {
			pname_byte(p, c);
		}
		return SMTP_CONTINUE;
	case FP_EQ:
		if (c == '=')
			return param_eq(r, i);
		if (c == '(')
			p->c_flags |= MF_CMT;
		if (blank || c == '(')
			return SMTP_CONTINUE;
		p->c_tok = 0;
		fp_set(p, c == ';' ? FP_SEMI : c == '"' ? FP_QUOTED : FP_AFTER, 0);
		return SMTP_CONTINUE;
	case FP_SEMI:
	case FP_AFTER:
	case FP_VAL:
		if (blank || c == ';' || c == '(') {
			if (c == ';')
				value_end(r, FP_SEMI);
			if (c == '(')
				p->c_flags |= MF_CMT;
			return SMTP_CONTINUE;
		}
		if (c == '"') {
			fp_set(p, FP_QUOTED, fp_sub(p));
			return SMTP_CONTINUE;
		}
		if (ph == FP_SEMI) {
			fp_set(p, FP_NAME, 0);
			p->c_tok = 0;
			pname_byte(p, c);
		} else if (ph == FP_VAL) {
			fp_set(p, FP_TOKEN, fp_sub(p));
			name_byte(r, c);
		}
		return SMTP_CONTINUE;
	case FP_TOKEN:
		if (blank || c == ';' || c == '(' || c == '"') {
			value_end(r, c == ';' ? FP_SEMI : FP_AFTER);
			if (c == '(')
				p->c_flags |= MF_CMT;
			else if (c == '"')
				fp_set(p, FP_QUOTED, 0);	/* junk: skipped */
		} else {
			name_byte(r, c);
		}
		return SMTP_CONTINUE;
	case FP_QUOTED:
		if (c == '"')
			value_end(r, FP_AFTER);
		else if (c == '\\')
			fp_set(p, FP_QPAIR, fp_sub(p));
		else
			name_byte(r, c);
		return SMTP_CONTINUE;
	default:	/* FP_QPAIR */
		fp_set(p, FP_QUOTED, fp_sub(p));
		name_byte(r, c);
		return SMTP_CONTINUE;
	}
}

/* ---- transfer encodings, and the value's end --------------------------------- */

int  sp_mime_value_end(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;
	u8 flags = p->c_flags;
	u16 tok = p->c_tok;
	int w;

	p->c_flags &= ~(MF_VAL | MF_CT | MF_CD | MF_CMT);
	p->c_tok = 0;
	if (flags & (MF_CT | MF_CD)) {
		value_end(r, FP_TYPE);
		w = name_done(r, i);
		__builtin_memset(p->mime, 0, sizeof(p->mime));
		p->c_lead = 0;
		return w;
	}
	if (!tok)
		return SMTP_CONTINUE;	/* no value: the default, 7bit */
	w = sp_tok_word(sp_enc_words, tok);
	return sp_emit(r, SMTP_EV_MIME_ENCODING, SMTP_DIR_CLIENT, 0,
		       w < 0 ? SMTP_ENC_OTHER : w, 0, 0, i, 0, 0);
}

/*
 * A Content-Transfer-Encoding's value is its first word, after blanks and
 * comments (RFC 2045 allows both); it ends at a blank, a ';', a quote or a
 * comment; a quote or ';' before any word begins one (no encoding).  A
 * comment within a comment or a quoted pair in one is not followed: the
 * encoding is then "others".
 */
static int enc_byte(struct run *r, s32 i, u8 c)
{
	struct smtp_parser *p = r->p;

	if (p->c_flags & MF_CMT) {
		if (c == ')') {
			p->c_flags &= ~MF_CMT;
		} else if (c == '(' || c == '\\') {
			p->c_tok = TOK_DEAD;
			return sp_mime_value_end(r, i);
		}
		return SMTP_CONTINUE;
	}
	if (p->c_tok && (c == ' ' || c == '\t' || c == '(' || c == ';' || c == '"'))
		return sp_mime_value_end(r, i);
	if (c == ' ' || c == '\t')
		return SMTP_CONTINUE;
	if (c == '(') {
		p->c_flags |= MF_CMT;
		return SMTP_CONTINUE;
	}
	p->c_tok = sp_tok_step(sp_enc_words, SP_NENCS, p->c_tok, c);
	return SMTP_CONTINUE;
}

int  sp_mime_value_byte(struct run *r, s32 i, u8 c)
{
	if (r->p->c_flags & (MF_CT | MF_CD))
		return param_byte(r, i, c);
	return enc_byte(r, i, c);
}

int  sp_mime_line_end(struct run *r, s32 i)
{
	struct smtp_parser *p = r->p;

	/* a transfer encoding's word ends here; parameters may go on when folded */
	if (!(p->c_flags & (MF_CT | MF_CD)) && p->c_tok)
		return sp_mime_value_end(r, i);
	return SMTP_CONTINUE;
}

int  sp_mime_line_start(struct run *r, s32 i, u8 c)
{
	if (!(r->p->c_flags & MF_VAL) || c == ' ' || c == '\t')
		return SMTP_CONTINUE;
	return sp_mime_value_end(r, i);
}

/* ---- the state check --------------------------------------------------------- */

const char *sp_mime_check(const struct smtp_parser *p)
{
	u8 f = p->c_flags;
	unsigned int ph = fp_phase(p), sub = fp_sub(p);
	u16 x = p->mime[2];

	if (f & ~MF_ALL)
		return "bad MIME flags";
	if ((f & MF_CT) && (f & MF_CD))
		return "two MIME fields at once";
	if (p->c_lead && !(x & FX_SEC_MASK))
		return "a sectioned name's parameter without sections";
	if ((x & FX_SEC_MASK) && !(p->mime[1] & FN_PEND))
		return "name sections without a name";
	if (!(f & MF_VAL) && (f & (MF_CT | MF_CD | MF_CMT)))
		return "MIME value flags without a value";
	if ((f & MF_VAL) && (p->c_ls == HL_NAME || p->c_ls == HL_WSP))
		return "MIME value matched in a header name";
	if (p->c_ls == DL_DASH && (p->txn & TX_HDR))
		return "boundary in the header section";
	if (!(f & (MF_CT | MF_CD)) && (p->mime[0] || p->mime[1] || p->mime[2]))
		return "file name state outside a parameter list";
	if (!(f & MF_VAL))
		return sp_tok_valid(sp_hdr_words, SP_NHDRS, p->c_tok) ? NULL :
		       "bad header matcher state";
	if (!(f & (MF_CT | MF_CD)))
		return ((f & MF_CMT) ? p->c_tok : !sp_tok_valid(sp_enc_words, SP_NENCS, p->c_tok)) ?
		       "bad encoding matcher state" : NULL;
	if (ph >= FP_MAX)
		return "bad parameter phase";
	if (ph == FP_TYPE && (f & MF_CT) && !sp_tok_valid(sp_ct_words, SP_NCTS, p->c_tok))
		return "bad content type matcher state";
	if (ph == FP_NAME || ph == FP_EQ) {
		if ((sub & ~FS_ALL) >> FS_SEC_SHIFT > FS_SEC_MAX ||
		    ((sub & ~FS_ALL) && !(sub & FS_NUM)))
			return "bad parameter name suffix";
		if (!sp_tok_valid(sp_fn_words, SP_NFNS, p->c_tok))
			return "bad parameter name matcher state";
	} else if (ph != FP_TYPE && p->c_tok) {
		return "parameter name matcher outside a name";
	}
	if ((f & MF_CMT) && ph != FP_TYPE && ph != FP_EQ && ph != FP_SEMI &&
	    ph != FP_VAL && ph != FP_AFTER && ph != FP_TOKEN)
		return "comment in a quoted value";
	if ((p->mime[1] & FN_ON) && !(p->mime[1] & FN_PEND))
		return "file name read but not pending";
	if ((p->mime[1] & FN_TRAIL) && !(p->mime[1] & FN_DOT))
		return "trailing dots before any";
	if ((p->mime[1] & FN_TDOT) && !(p->mime[1] & FN_TRAIL))
		return "a trailing dot outside a trailing run";
	return NULL;
}
