/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helper info: the per-connection state in CTA_HELP_INFO of ctnetlink, out
 * in dumps and events, in for entries created or updated through ctnetlink
 * (state replication between the gateways of a pair, e.g. by conntrackd).
 */
#ifndef _SMTP_SYNC_H
#define _SMTP_SYNC_H

#include <linux/skbuff.h>
#include <net/netfilter/nf_conntrack.h>

int smtp_helpinfo_to_nlattr(struct sk_buff *skb, const struct nf_conn *ct);
int smtp_helpinfo_from_nlattr(struct nlattr *attr, struct nf_conn *ct);

#endif /* _SMTP_SYNC_H */
