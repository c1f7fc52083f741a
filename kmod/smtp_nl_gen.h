/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/nf_smtp.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_NF_SMTP_GEN_H
#define _LINUX_NF_SMTP_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/nf_smtp.h>
#include <linux/nf_conntrack_smtp.h>
#include <linux/nf_conntrack_smtp.h>
#include <linux/nf_conntrack_smtp.h>
#include <linux/nf_conntrack_smtp.h>

/* Global operation policy for nf_smtp */
extern const struct nla_policy nf_smtp_nl_policy[NFSMTP_A_ACT_SIZE_EXCESS + 1];

/* Ops table for nf_smtp */
extern const struct genl_small_ops nf_smtp_nl_ops[4];

int nf_smtp_nl_policy_get_doit(struct sk_buff *skb, struct genl_info *info);
int nf_smtp_nl_policy_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb);
int nf_smtp_nl_policy_set_doit(struct sk_buff *skb, struct genl_info *info);
int nf_smtp_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info);
int nf_smtp_nl_stats_reset_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	NF_SMTP_NLGRP_EVENTS,
};

#endif /* _LINUX_NF_SMTP_GEN_H */
