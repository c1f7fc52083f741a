/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ESMTP fixup: what the helper does with the parser's events under the
 * connection's policy profile.  Rewrites, resets and the events and log
 * lines that announce actions are collected while the skb is read under
 * ct->lock and carried out afterwards.
 */
#ifndef _SMTP_FIXUP_H
#define _SMTP_FIXUP_H

#include <linux/skbuff.h>
#include <net/netfilter/nf_conntrack.h>

#include "smtp_conn.h"
#include "smtp_net.h"

#define SMTP_MAX_REWRITES	1024	/* per packet, in a per-CPU buffer */
#define SMTP_STACK_REWRITES	8	/* if that buffer were in use */
#define SMTP_MAX_NOTES		4	/* announcements per packet */
#define SMTP_EVENTS_PER_MESSAGE	8	/* then one summary, then silence until the next message */

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
	SMTP_DROP_SEGMENT,	/* drop this packet only (the sender resends) */
	SMTP_DROP_CONN,		/* drop this and every later packet */
	SMTP_RESET_CONN,	/* RST both ends, then drop every later packet */
};

/* An action to announce (netlink event, kernel log line) once the lock is dropped. */
struct smtp_note {
	u8 rule;		/* enum nfsmtp_rule */
	u8 action;		/* enum nfsmtp_action */
	const char *detail;	/* static strings only */
	const char *effect;
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
	u8 nnotes;
	u16 nrw;
	u16 rw_max;
	bool overflow;		/* more rewrites than SMTP_MAX_REWRITES */
	bool clear_urg;		/* urgent mask: clear URG and the urgent pointer */
	u32 announced;		/* rules announced for this packet (bit per rule) */
	u32 new_off;		/* skb offset of the first byte not seen before */
	u32 chunk_off;		/* skb offset of the chunk being parsed */
	struct smtp_rewrite *rw;
	struct smtp_note notes[SMTP_MAX_NOTES];
};

void smtp_fixup_sink(struct smtp_pkt *pk, struct smtp_sink *sink);
void smtp_fixup_open_verb(struct smtp_pkt *pk, struct smtp_conn *sc);
int smtp_act(struct smtp_pkt *pk, enum nfsmtp_rule rule, u8 action,
	     const char *detail, const char *effect);
void smtp_note_log(const struct nf_conn *ct, const struct smtp_note *n);
int smtp_fixup_apply(struct smtp_pkt *pk, unsigned int protoff);
int smtp_fixup_reset(struct smtp_pkt *pk, unsigned int protoff);
void smtp_stat_inc(struct smtp_stats *st, enum nfsmtp_stat i);

/* smtp_retrans.c */
void smtp_fixup_retransmit(struct smtp_pkt *pk, struct smtp_conn *sc,
			   unsigned int dataoff, unsigned int oldlen, u32 back);
bool smtp_kw_masked(const struct smtp_profile *prof, unsigned int kw);
u32 smtp_allowed_verbs(const struct smtp_profile *prof);
u32 smtp_unmasked_verbs(const struct smtp_profile *prof);
u32 smtp_masked_verbs(const struct smtp_profile *prof);
bool smtp_mask_verb(struct smtp_pkt *pk, unsigned int verb, s32 start, s32 len,
		    bool count, bool retrans);
void smtp_add_rewrite(struct smtp_pkt *pk, s32 start, s32 len, u8 fill, bool delim);
int smtp_judge_path(struct smtp_pkt *pk, const struct smtp_event *ev, bool retrans,
		    bool again);

#endif /* _SMTP_FIXUP_H */
