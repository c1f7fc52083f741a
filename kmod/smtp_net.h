/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-network-namespace state of the SMTP helper: the policy (eight
 * profiles, swapped as a whole under RCU so a packet sees the old or the new
 * policy, never a mix) and the per-CPU counters.
 */
#ifndef _SMTP_NET_H
#define _SMTP_NET_H

#include <linux/rcupdate.h>
#include <linux/u64_stats_sync.h>
#include <net/net_namespace.h>
#include <linux/nf_conntrack_smtp.h>

#include "smtp_parser.h"

struct smtp_profile {
	u8 starttls;			/* enum nfsmtp_starttls */
	u8 banner;			/* enum nfsmtp_banner */
	u8 commands;			/* enum nfsmtp_commands */
	u8 out_of_order;		/* enum nfsmtp_out_of_order */
	u8 act[__NFSMTP_RULE_MAX];	/* enum nfsmtp_action per rule */
	u32 ehlo_mask;			/* bits of enum nfsmtp_kw */
	u16 cmd_line_max;		/* line limits: octets with CRLF, 0 = off */
	u16 rcpt_max;
	u16 header_line_max;
	u16 body_line_max;
	u16 sender_max;			/* octets of the MAIL FROM path, 0 = off */
	u8 invalid_rcpt_max;		/* RCPTs refused with 5xx per session, 0 = off */
	u8 to_fields_max;		/* To fields per message, 0 = off */
	u32 header_section_max;		/* DATA: octets, 0 = off */
	u32 message_max;
	u32 size_excess_max;		/* DATA: octets over the SIZE= declared, 0 = off */
	u32 mime_encoding;		/* DATA: bits of enum nfsmtp_mime_enc to act on */
	u16 mime_filename_max;		/* DATA: octets of a file name as sent, 0 = off */
	struct smtp_domains relay;	/* mail-relay: RCPT domains allowed, none = any */
	struct smtp_domains filetypes;	/* mime-filetype: extensions to act on, none = off */
};

struct smtp_config {
	struct rcu_head rcu;
	u32 mark_mask;
	u8 mark_shift;
	struct smtp_profile prof[NFSMTP_PROFILES];
};

struct smtp_stats {
	u64_stats_t c[__NFSMTP_STAT_MAX];
	struct u64_stats_sync syncp;
};

struct smtp_net {
	struct smtp_stats __percpu *stats;
	struct smtp_config __rcu *cfg;
	u64 stats_base[__NFSMTP_STAT_MAX];	/* sums at the last reset */
};

/* smtp_net.c */
int smtp_net_register(void);
void smtp_net_unregister(void);
struct smtp_net *smtp_pernet(const struct net *net);
void smtp_stat_add(struct smtp_stats *st, enum nfsmtp_stat i, u64 v);
void smtp_stat_inc(struct smtp_stats *st, enum nfsmtp_stat i);
void smtp_stat_count(struct net *net, enum nfsmtp_stat i);
void smtp_stats_read(struct smtp_net *sn, u64 *out);
void smtp_stats_reset(struct smtp_net *sn);

#endif /* _SMTP_NET_H */
