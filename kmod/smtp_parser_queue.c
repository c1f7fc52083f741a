// SPDX-License-Identifier: GPL-2.0
/*
 * Streaming SMTP parser: the queue of commands awaiting replies (RFC 2920).
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

unsigned int  sp_q_head(const struct smtp_parser *p)
{
	if (p->flags & F_GREETING)
		return SMTP_VERB_GREETING;
	if (q_none(p) || !p->queue[0])
		return SMTP_VERB_MAX;	/* nothing pending */
	return p->queue[0] >> Q_VERB_SHIFT;
}

static u16 q_entry(unsigned int verb, u16 flags, unsigned int count)
{
	return verb << Q_VERB_SHIFT | flags | count;
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

	for (i = 0; !q_none(p) && i < ARRAY_SIZE(p->queue) && p->queue[i]; i++)
		if ((p->queue[i] >> Q_VERB_SHIFT) == verb)
			return true;
	return false;
}

/* ---- state validation ------------------------------------------------------ */

const char *sp_q_check(const struct smtp_parser *p)
{
	bool empty = false;
	unsigned int i, verb;

	for (i = 0; i < ARRAY_SIZE(p->queue); i++) {
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
