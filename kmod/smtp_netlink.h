/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nf_smtp generic netlink family: policy, counters and events.
 */
#ifndef _SMTP_NETLINK_H
#define _SMTP_NETLINK_H

#include <net/netfilter/nf_conntrack.h>
#include <linux/nf_conntrack_smtp.h>

int smtp_netlink_init(void);
void smtp_netlink_exit(void);
void smtp_event_send(struct net *net, const struct nf_conn *ct, u8 dir,
		     enum nfsmtp_rule rule, enum nfsmtp_action action,
		     const char *detail);

#endif /* _SMTP_NETLINK_H */
