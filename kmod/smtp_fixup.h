/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ESMTP fixup: what the helper does with the parser's events under the
 * connection's policy profile.  Rewrites are collected while the skb is read
 * and applied afterwards, in place and length-preserving.
 */
#ifndef _SMTP_FIXUP_H
#define _SMTP_FIXUP_H

#include <linux/skbuff.h>
#include <net/netfilter/nf_conntrack.h>

#include "smtp_conn.h"
#include "smtp_net.h"

#define SMTP_MAX_REWRITES	16

enum smtp_fill {
	SMTP_FILL_X,		/* "VRFY" -> "XXXX" */
	SMTP_FILL_XA,		/* "STARTTLS" -> "XXXXXXXA", as PIX did */
	SMTP_FILL_STAR,		/* banner text -> "****" */
};

struct smtp_rewrite {
	u32 off;		/* skb offset */
	u16 len;
	u8 fill;		/* enum smtp_fill */
};

enum smtp_verdict {
	SMTP_PASS,
	SMTP_DROP_CONN,		/* drop this and every later packet */
	SMTP_RESET_CONN,	/* RST both ends, forget the connection */
};

/* Everything the event sink needs about the packet being parsed. */
struct smtp_pkt {
	struct net *net;
	struct nf_conn *ct;
	struct smtp_conn *sc;
	struct sk_buff *skb;
	struct smtp_stats *st;
	const struct smtp_profile *prof;
	u8 dir;			/* enum smtp_dir */
	u8 verdict;		/* enum smtp_verdict */
	u8 nrw;
	bool overflow;		/* more rewrites than SMTP_MAX_REWRITES */
	u32 new_off;		/* skb offset of the first byte not seen before */
	u32 chunk_off;		/* skb offset of the chunk being parsed */
	struct smtp_rewrite rw[SMTP_MAX_REWRITES];
};

int smtp_fixup_event(void *ctx, const struct smtp_event *ev);
void smtp_fixup_sink(struct smtp_pkt *pk, struct smtp_sink *sink);
void smtp_fixup_open_verb(struct smtp_pkt *pk, struct smtp_conn *sc);
void smtp_fixup_retransmit(struct smtp_pkt *pk, struct smtp_conn *sc,
			   unsigned int dataoff, unsigned int oldlen);
int smtp_fixup_apply(struct smtp_pkt *pk, unsigned int protoff);
void smtp_fixup_reset(struct smtp_pkt *pk, unsigned int protoff);
void smtp_stat_inc(struct smtp_stats *st, enum nfsmtp_stat i);

#endif /* _SMTP_FIXUP_H */
