// SPDX-License-Identifier: GPL-2.0
/*
 * Streaming SMTP parser: the queue of commands awaiting replies (RFC 2920),
 * as runs of commands, and while a BDAT message's chunks flow as counts
 * beside the message's size.
 */
#include "smtp_parser_int.h"

/*
 * Replies are matched to commands by order (RFC 2920).  The queue keeps runs
 * of pending commands, so 600 pipelined RCPTs take one entry.  When it is
 * full, two neighbouring runs of commands whose replies change nothing the
 * parser follows become one (SMTP_VERB_MIXED), so NOOP, RSET, NOOP, RSET,
 * NOOP, STARTTLS fits; runs of RCPT, DATA, STARTTLS, AUTH and EHLO stay
 * apart.  A run that holds MAIL, RSET, HELO or EHLO is marked: when all its
 * replies were 2xx, the server started a new transaction.
 */
static bool q_plain(unsigned int verb)
{
	switch (verb) {
	case SMTP_VERB_RCPT:
	case SMTP_VERB_DATA:
	case SMTP_VERB_STARTTLS:
	case SMTP_VERB_AUTH:
	case SMTP_VERB_AUTH_DATA:
	case SMTP_VERB_EHLO:
		return false;
	}
	return true;
}

static bool q_resets(unsigned int verb)
{
	return verb == SMTP_VERB_MAIL || verb == SMTP_VERB_RSET ||
	       verb == SMTP_VERB_HELO || verb == SMTP_VERB_EHLO;
}

/*
 * In DATA text no command is pending (a 354 answers the last of a
 * pipelined group; anything after DATA loses sync): the queue's place holds
 * mime[].
 */
static bool q_none(const struct smtp_parser *p)
{
	return p->c_mode == CM_DATA;
}

static u16 q_entry(unsigned int verb, u16 flags, unsigned int count)
{
	return verb << Q_VERB_SHIFT | flags | count;
}

/* ---- the count forms: one transaction's commands beside a size ------------- */

/*
 * While one transaction's commands alone await replies, in their order (its
 * MAIL, RCPTs, then its DATA or BDATs), queue[0] can hold their counts and
 * queue[1..2] a size: the transaction form from a MAIL that declared SIZE=
 * to its DATA's 354 (QT_*), the message form while a BDAT message's chunks
 * flow (QM_*, below).  Their bits differ, their order does not.
 */
struct q_form {
	u16 mail;		/* MAIL pending */
	u16 rcpt_mask;		/* RCPTs pending */
	u8 rcpt_shift;
	u8 last;		/* the last verb */
	u16 last_mask;		/* how many of it, from bit 0 */
};

/* the size the count forms keep in queue[1..2] */
u32  sp_q_size(const struct smtp_parser *p)
{
	return (u32)p->queue[1] << 16 | p->queue[2];
}

static unsigned int q_form_head(const struct q_form *f, u16 form)
{
	if (form & f->mail)
		return SMTP_VERB_MAIL;
	if (form & f->rcpt_mask)
		return SMTP_VERB_RCPT;
	return form & f->last_mask ? f->last : SMTP_VERB_MAX;
}

static u16 q_form_pop(const struct q_form *f, u16 form)
{
	if (form & f->mail)
		return form & ~f->mail;
	if (form & f->rcpt_mask)
		return form - (1 << f->rcpt_shift);
	return form & f->last_mask ? form - 1 : form;
}

static unsigned int q_form_count(const struct q_form *f, u16 form, unsigned int verb)
{
	if (verb == SMTP_VERB_MAIL)
		return !!(form & f->mail);
	if (verb == SMTP_VERB_RCPT)
		return (form & f->rcpt_mask) >> f->rcpt_shift;
	return verb == f->last ? form & f->last_mask : 0;
}

/* Back to runs, in their order: the size is no longer kept. */
static void q_form_to_runs(struct smtp_parser *p, const struct q_form *f)
{
	u16 form = p->queue[0];
	unsigned int i = 0;

	__builtin_memset(p->queue, 0, sizeof(p->queue));
	if (form & f->mail)
		p->queue[i++] = q_entry(SMTP_VERB_MAIL, Q_RESET, 1);
	if (form & f->rcpt_mask)
		p->queue[i++] = q_entry(SMTP_VERB_RCPT, 0, q_form_count(f, form, SMTP_VERB_RCPT));
	if (form & f->last_mask)
		p->queue[i] = q_entry(f->last, 0, form & f->last_mask);
}

/* ---- the transaction form (QT_*: a MAIL's SIZE= kept to its DATA) -------- */

static_assert((QT_MARK ^ QT_MAIL ^ QT_RCPT_MASK ^ QT_DATA) == 0xffff &&
	      QT_MARK >> Q_VERB_SHIFT >= SMTP_VERB_MAX, "transaction form bits");

static const struct q_form q_txn = {
	.mail = QT_MAIL, .rcpt_mask = QT_RCPT_MASK, .rcpt_shift = QT_RCPT_SHIFT,
	.last = SMTP_VERB_DATA, .last_mask = QT_DATA,
};

/*
 * The MAIL that declared size (its digits already in queue[1..2]) was
 * pushed on an empty queue: keep the size beside the transaction's counts.
 */
void  sp_q_txn_begin(struct smtp_parser *p, u32 size)
{
	p->queue[0] = QT_MARK | QT_MAIL;
	p->queue[1] = size >> 16;
	p->queue[2] = size & 0xffff;
}

void  sp_q_txn_end(struct smtp_parser *p)
{
	q_form_to_runs(p, &q_txn);
}

/* An RCPT or DATA the form holds; false: it must become runs first. */
static bool q_txn_push(struct smtp_parser *p, unsigned int verb)
{
	u16 form = p->queue[0];

	if (form & QT_DATA)
		return false;	/* nothing of the transaction comes after its DATA */
	if (verb == SMTP_VERB_DATA) {
		p->queue[0] |= QT_DATA;
		return true;
	}
	if (verb != SMTP_VERB_RCPT || (form & QT_RCPT_MASK) == QT_RCPT_MASK)
		return false;
	p->queue[0] += 1 << QT_RCPT_SHIFT;
	return true;
}

/*
 * The form's head got its final reply with code: a refused MAIL ends the
 * transaction (and the form), an accepted one starts it with the RCPTs
 * sent since; a refused RCPT is not in it.
 */
static void q_txn_pop(struct smtp_parser *p, u16 code)
{
	u16 form = p->queue[0];
	bool ok = code >= 200 && code <= 299;

	p->queue[0] = q_form_pop(&q_txn, form);
	if (form & QT_MAIL) {
		if (!ok)
			sp_q_txn_end(p);
		else
			p->txn = q_form_count(&q_txn, form, SMTP_VERB_RCPT);
	} else if ((form & QT_RCPT_MASK) && !ok && p->txn && p->txn < TX_RCPT_MAX) {
		p->txn--;
	}
}

/*
 * A BDAT message's chunks flow: only its MAIL, RCPTs and BDATs can be
 * pending, in that order, so the queue holds their counts in queue[0]
 * ("message form", marked by c_lead, which BDAT lines never set) and its
 * other words the octets the message's BDAT commands declared so far
 * (saturating): the message's size, and with what its chunk still owes,
 * the offset of the next byte in it.  sp_q_msg_begin() enters the form at
 * the first chunk when the queue fits it; sp_q_msg_end() turns it back into
 * runs when the parser leaves the message (its end, a command in its place).
 */
#define QM_MAIL		0x8000
#define QM_RCPT_SHIFT	7
#define QM_RCPT_MASK	0x7f80
#define QM_BDAT_MASK	0x007f
static_assert((QM_MAIL ^ QM_RCPT_MASK ^ QM_BDAT_MASK) == 0xffff &&
	      QM_RCPT_MASK >> QM_RCPT_SHIFT == 0xff, "message form bits");

/* it pops without transaction changes (txn is the header state) */
static const struct q_form q_msg = {
	.mail = QM_MAIL, .rcpt_mask = QM_RCPT_MASK, .rcpt_shift = QM_RCPT_SHIFT,
	.last = SMTP_VERB_BDAT, .last_mask = QM_BDAT_MASK,
};

bool  sp_q_msg(const struct smtp_parser *p)
{
	return p->c_lead && (p->c_mode == CM_BDAT || p->c_mode == CM_BDAT_NEXT);
}

/* A chunk of size octets more; returns the message's size before it. */
u32  sp_q_msg_add(struct smtp_parser *p, u32 size)
{
	u32 old = sp_q_size(p), sum = old + size < old ? U32_MAX : old + size;

	p->queue[1] = sum >> 16;
	p->queue[2] = sum & 0xffff;
	return old;
}

/* The first chunk's command (pushed) was read: enter message form if the queue fits. */
bool  sp_q_msg_begin(struct smtp_parser *p, u32 size)
{
	static const u8 order[] = { SMTP_VERB_MAIL, SMTP_VERB_RCPT, SMTP_VERB_BDAT };
	static const u16 max[] = { 1, QM_RCPT_MASK >> QM_RCPT_SHIFT, QM_BDAT_MASK };
	static const u8 shift[] = { 15, QM_RCPT_SHIFT, 0 };
	unsigned int i, k = 0, n;
	u16 form = 0;

	if (p->flags & F_RUN_FAILED)
		return false;
	for (i = 0; i < ARRAY_SIZE(p->queue) && p->queue[i]; i++) {
		while (k < ARRAY_SIZE(order) && p->queue[i] >> Q_VERB_SHIFT != order[k])
			k++;
		n = p->queue[i] & Q_COUNT_MASK;
		if (k == ARRAY_SIZE(order) || n > max[k])
			return false;
		form |= n << shift[k++];
	}
	p->queue[0] = form;
	p->queue[1] = 0;
	p->queue[2] = 0;
	p->c_lead = 1;
	sp_q_msg_add(p, size);
	return true;
}

/* Back to runs, in their order, as command mode comes. */
void  sp_q_msg_end(struct smtp_parser *p)
{
	q_form_to_runs(p, &q_msg);
	p->c_lead = 0;
}

unsigned int  sp_q_head(const struct smtp_parser *p)
{
	if (p->flags & F_GREETING)
		return SMTP_VERB_GREETING;
	if (sp_q_msg(p))
		return q_form_head(&q_msg, p->queue[0]);
	if (sp_q_txn(p))
		return q_form_head(&q_txn, p->queue[0]);
	if (q_none(p) || !p->queue[0])
		return SMTP_VERB_MAX;	/* nothing pending */
	return p->queue[0] >> Q_VERB_SHIFT;
}

/* Merge two neighbouring plain runs to make room; false if none can be. */
static bool q_compact(struct smtp_parser *p)
{
	unsigned int i, j, n;
	u16 a, b;

	for (i = 0; i + 1 < ARRAY_SIZE(p->queue); i++) {
		a = p->queue[i];
		b = p->queue[i + 1];
		n = (a & Q_COUNT_MASK) + (b & Q_COUNT_MASK);
		if (!q_plain(a >> Q_VERB_SHIFT) || !q_plain(b >> Q_VERB_SHIFT) ||
		    n > Q_COUNT_MASK)
			continue;
		p->queue[i] = q_entry(SMTP_VERB_MIXED, (a | b) & Q_RESET, n);
		for (j = i + 1; j + 1 < ARRAY_SIZE(p->queue); j++)
			p->queue[j] = p->queue[j + 1];
		p->queue[j] = 0;
		return true;
	}
	return false;
}

bool  sp_q_push(struct smtp_parser *p, unsigned int verb)
{
	u16 reset = q_resets(verb) ? Q_RESET : 0;
	unsigned int i;

	if (q_none(p))
		return false;
	if (sp_q_msg(p)) {
		/* a BDAT message: only its chunks' commands come */
		if (verb != SMTP_VERB_BDAT || (p->queue[0] & QM_BDAT_MASK) == QM_BDAT_MASK)
			return false;
		p->queue[0]++;
		return true;
	}
	if (sp_q_txn(p)) {
		if (q_txn_push(p, verb))
			return true;
		sp_q_txn_end(p);
	}
	for (i = 0; i < ARRAY_SIZE(p->queue) && p->queue[i]; i++)
		;
	if (i && p->queue[i - 1] >> Q_VERB_SHIFT == verb &&
	    (p->queue[i - 1] & Q_COUNT_MASK) < Q_COUNT_MASK) {
		p->queue[i - 1]++;
		return true;
	}
	if (i == ARRAY_SIZE(p->queue)) {
		/* a plain command joins a plain tail run before runs are merged */
		if (q_plain(verb) && q_plain(p->queue[i - 1] >> Q_VERB_SHIFT) &&
		    (p->queue[i - 1] & Q_COUNT_MASK) < Q_COUNT_MASK) {
			p->queue[i - 1] = q_entry(SMTP_VERB_MIXED,
						  (p->queue[i - 1] & Q_RESET) | reset,
						  (p->queue[i - 1] & Q_COUNT_MASK) + 1);
			return true;
		}
		if (!q_compact(p))
			return false;
		i--;
	}
	p->queue[i] = q_entry(verb, reset, 1);
	return true;
}

/* RCPTs pending: sent after every command still ahead of them */
static unsigned int q_rcpts(const struct smtp_parser *p)
{
	unsigned int i, n = 0;

	if (sp_q_msg(p))
		return q_form_count(&q_msg, p->queue[0], SMTP_VERB_RCPT);
	if (sp_q_txn(p))
		return q_form_count(&q_txn, p->queue[0], SMTP_VERB_RCPT);
	for (i = 0; !q_none(p) && i < ARRAY_SIZE(p->queue) && p->queue[i]; i++)
		if (p->queue[i] >> Q_VERB_SHIFT == SMTP_VERB_RCPT)
			n += p->queue[i] & Q_COUNT_MASK;
	return n;
}

/* The head command got its final reply with code. */
void  sp_q_pop(struct smtp_parser *p, u16 code)
{
	u16 head = q_none(p) ? 0 : p->queue[0];
	unsigned int i;

	if (sp_q_msg(p)) {
		p->queue[0] = q_form_pop(&q_msg, head);
		return;
	}
	if (sp_q_txn(p)) {
		q_txn_pop(p, code);
		return;
	}
	if (!head)
		return;
	/* a refused recipient is not in the transaction */
	if (head >> Q_VERB_SHIFT == SMTP_VERB_RCPT && (code < 200 || code > 299) &&
	    sp_txn_rcpts(p) && p->txn && p->txn < TX_RCPT_MAX)
		p->txn--;
	if ((head & Q_RESET) && (code < 200 || code > 299))
		p->flags |= F_RUN_FAILED;
	if (--p->queue[0] & Q_COUNT_MASK)
		return;
	for (i = 0; i + 1 < ARRAY_SIZE(p->queue); i++)
		p->queue[i] = p->queue[i + 1];
	p->queue[i] = 0;
	/*
	 * The server accepted every MAIL, RSET, HELO or EHLO of the run: its
	 * transaction holds just the RCPTs sent since (in a message, txn is
	 * the header state, and the message's end starts a transaction anyway).
	 */
	if ((head & Q_RESET) && !(p->flags & F_RUN_FAILED) && sp_txn_rcpts(p))
		p->txn = q_rcpts(p);
	p->flags &= ~F_RUN_FAILED;
}

bool  sp_q_contains(const struct smtp_parser *p, unsigned int verb)
{
	unsigned int i;

	if (sp_q_msg(p))
		return q_form_count(&q_msg, p->queue[0], verb);
	if (sp_q_txn(p))
		return q_form_count(&q_txn, p->queue[0], verb);
	for (i = 0; !q_none(p) && i < ARRAY_SIZE(p->queue) && p->queue[i]; i++)
		if ((p->queue[i] >> Q_VERB_SHIFT) == verb)
			return true;
	return false;
}

/* ---- state validation ------------------------------------------------------ */

const char *sp_q_check(const struct smtp_parser *p)
{
	bool empty = false;
	unsigned int i, verb, n = ARRAY_SIZE(p->queue);

	if (sp_q_msg(p)) {
		if (p->c_mode == CM_BDAT_NEXT && p->c_ls == CL_BDAT_FIRST)
			return "message form of the queue before the message";
		if (p->c_mode == CM_BDAT && sp_q_size(p) < p->bdat_left)
			return "more BDAT octets due than the message declared";
		if (p->flags & F_RUN_FAILED)
			return "failed reset run flag in a message";
		return NULL;
	}
	if (sp_q_txn(p)) {
		if (!sp_q_size(p))
			return "transaction form without a size";
		if (p->flags & (F_RUN_FAILED | F_QAPPROX))
			return "transaction form with failed or approximate runs";
		return NULL;
	}
	/* a MAIL line's SIZE= digits, read while nothing is pending, are no runs */
	if (p->c_mode == CM_CMD && !p->queue[0] && (p->arg_scan & AS_ON) &&
	    (p->arg_scan & AS_SZ_HELD))
		n = 1;
	for (i = 0; i < n; i++) {
		if (!p->queue[i]) {
			empty = true;
			continue;
		}
		if (empty)
			return "queue has a hole";
		if (!(p->queue[i] & Q_COUNT_MASK))
			return "queue entry with count 0";
		verb = p->queue[i] >> Q_VERB_SHIFT;
		if (verb >= SMTP_VERB_MAX || verb == SMTP_VERB_GREETING)
			return "queue entry with a bad verb";
		if ((p->queue[i] & Q_RESET) && !q_plain(verb) && verb != SMTP_VERB_EHLO)
			return "reset mark on a run that cannot hold a reset";
		if (!(p->queue[i] & Q_RESET) && q_resets(verb))
			return "reset command in an unmarked run";
	}
	if ((p->flags & F_RUN_FAILED) && !(p->queue[0] & Q_RESET))
		return "failed reset run flag without such a run";
	return NULL;
}
