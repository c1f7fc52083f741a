// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink control plane of the SMTP helper: policy get/set, counters
 * get/reset, and the "events" multicast group announcing every action.
 * The attribute policy and the operations table are YNL's, from
 * nf_smtp.yaml (smtp_nl_gen.c); the handlers and the family are here.
 * All of it is per network namespace (netnsok); changes need CAP_NET_ADMIN
 * over the namespace's user namespace.
 */
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/sock.h>

#include "smtp_net.h"
#include "smtp_netlink.h"
#include "smtp_nl_gen.h"

static struct genl_family smtp_genl_family;

/*
 * The request attributes: YNL's policy covers every one, and info->attrs
 * holds that many. The two nests after them (stats, event) are only sent.
 */
#define SMTP_NL_REQ_MAX	(ARRAY_SIZE(nf_smtp_nl_policy) - 1)
static_assert(ARRAY_SIZE(nf_smtp_nl_policy) == NFSMTP_A_STATS);

#define ACT(x)		(1U << NFSMTP_ACTION_##x)
#define ACTS_LIMIT	(ACT(LOG) | ACT(DROP) | ACT(RESET))
#define ACTS_REWRITE	(ACTS_LIMIT | ACT(MASK))
#define ACTS_GUARD	(ACTS_LIMIT | ACT(OFF))

/* Per action attribute: the rule it sets and the actions that make sense. */
static const struct {
	u8 rule;
	u8 allowed;	/* bits of enum nfsmtp_action */
} smtp_act_attrs[SMTP_NL_REQ_MAX + 1] = {
	[NFSMTP_A_ACT_COMMAND]	    = { NFSMTP_RULE_COMMAND, ACTS_REWRITE },
	[NFSMTP_A_ACT_CMD_LINE]	    = { NFSMTP_RULE_CMD_LINE, ACTS_LIMIT },
	[NFSMTP_A_ACT_RCPT]	    = { NFSMTP_RULE_RCPT, ACTS_REWRITE },
	[NFSMTP_A_ACT_HEADER_LINE]  = { NFSMTP_RULE_HEADER_LINE, ACTS_LIMIT },
	[NFSMTP_A_ACT_BODY_LINE]    = { NFSMTP_RULE_BODY_LINE, ACTS_LIMIT },
	[NFSMTP_A_ACT_DUP_HEADER]   = { NFSMTP_RULE_DUP_HEADERS, ACTS_GUARD | ACT(MASK) },
	[NFSMTP_A_ACT_SMUGGLING]    = { NFSMTP_RULE_SMUGGLING, ACTS_GUARD },
	[NFSMTP_A_ACT_BARE_NEWLINE] = { NFSMTP_RULE_BARE_NEWLINE, ACTS_GUARD },
	[NFSMTP_A_ACT_INJECTION]    = { NFSMTP_RULE_STARTTLS_INJECTION, ACTS_GUARD },
	[NFSMTP_A_ACT_LOST_SYNC]    = { NFSMTP_RULE_LOST_SYNC, ACTS_LIMIT },
	[NFSMTP_A_ACT_URGENT]	    = { NFSMTP_RULE_URGENT, ACTS_REWRITE },
	[NFSMTP_A_ACT_TLS_FRAMING]  = { NFSMTP_RULE_TLS_FRAMING, ACTS_GUARD },
	[NFSMTP_A_ACT_REQUIRE_TLS]  = { NFSMTP_RULE_REQUIRE_TLS, ACT(OFF) | ACT(LOG) | ACT(MASK) |
									ACT(RESET) },
	[NFSMTP_A_ACT_SENDER]	    = { NFSMTP_RULE_SENDER, ACTS_LIMIT },
	[NFSMTP_A_ACT_SPECIAL_CHAR] = { NFSMTP_RULE_SPECIAL_CHAR, ACTS_GUARD },
	[NFSMTP_A_ACT_INVALID_RCPT] = { NFSMTP_RULE_INVALID_RCPT, ACTS_LIMIT },
	[NFSMTP_A_ACT_TO_FIELDS]    = { NFSMTP_RULE_TO_FIELDS, ACTS_REWRITE },
	[NFSMTP_A_ACT_HEADER_SECTION] = { NFSMTP_RULE_HEADER_SECTION, ACTS_LIMIT },
	[NFSMTP_A_ACT_MESSAGE]	    = { NFSMTP_RULE_MESSAGE, ACTS_LIMIT },
	[NFSMTP_A_ACT_MAIL_RELAY]   = { NFSMTP_RULE_MAIL_RELAY, ACTS_REWRITE },
	[NFSMTP_A_ACT_MIME_ENCODING] = { NFSMTP_RULE_MIME_ENCODING, ACTS_LIMIT },
	[NFSMTP_A_ACT_MIME_FILENAME] = { NFSMTP_RULE_MIME_FILENAME, ACTS_LIMIT },
	[NFSMTP_A_ACT_MIME_FILETYPE] = { NFSMTP_RULE_MIME_FILETYPE, ACTS_LIMIT },
	[NFSMTP_A_ACT_BDAT_UNJUDGED] = { NFSMTP_RULE_BDAT_UNJUDGED, ACTS_LIMIT },
	[NFSMTP_A_ACT_SIZE_EXCESS]  = { NFSMTP_RULE_SIZE_EXCESS, ACTS_LIMIT },
};

/* 6.1 has no formatted extack messages: one fixed text per action */
static void act_error(struct netlink_ext_ack *extack, const struct nlattr *attr,
		      u8 action)
{
	switch (action) {
	case NFSMTP_ACTION_OFF:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "action off does not apply to this rule: set its limit or command set instead");
		break;
	case NFSMTP_ACTION_MASK:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "action mask does not apply to this rule: nothing to rewrite");
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, attr, "action does not apply to this rule");
	}
}

/*
 * A name list (mail-relay, mime-filetype) from its attribute, or NULL when
 * absent; refused with the builder's text in the extack (a static string
 * like the macros' literals, which take nothing else).
 */
static struct smtp_domains *names_get(struct genl_info *info, unsigned int type,
				      int (*build)(struct smtp_domains *, const char *, size_t,
						   const char **, size_t *))
{
	const struct nlattr *attr = info->attrs[type];
	struct smtp_domains *set;
	const char *err;
	size_t bad;

	if (!attr)
		return NULL;
	set = kmalloc(sizeof(*set), GFP_KERNEL);
	if (!set)
		return ERR_PTR(-ENOMEM);
	if (build(set, nla_data(attr), nla_len(attr), &err, &bad)) {
		kfree(set);
		if (info->extack) {
			info->extack->_msg = err;
			info->extack->bad_attr = attr;
		}
		return ERR_PTR(-EINVAL);
	}
	return set;
}

/* Serialises policy writers (control plane only; packets use RCU). */
static DEFINE_MUTEX(smtp_cfg_mutex);

static struct smtp_config *cfg_locked(struct smtp_net *sn)
{
	return rcu_dereference_protected(sn->cfg, lockdep_is_held(&smtp_cfg_mutex));
}

/* ---- policy ------------------------------------------------------------- */

/* a name list as it was set: sorted, lower case */
static int put_names(struct sk_buff *skb, unsigned int type, const struct smtp_domains *set)
{
	size_t len = set->n ? set->n - 1 : 0;	/* the commas */
	struct nlattr *attr;
	unsigned int i;

	for (i = 0; i < set->n; i++)
		len += set->len[i];
	attr = nla_reserve(skb, type, len + 1);
	if (!attr)
		return -EMSGSIZE;
	smtp_domains_format(set, nla_data(attr), len + 1);
	return 0;
}

static int put_profile(struct sk_buff *skb, const struct smtp_config *cfg,
		       unsigned int n)
{
	const struct smtp_profile *p = &cfg->prof[n];
	unsigned int a;

	if (nla_put_u8(skb, NFSMTP_A_PROFILE, n) ||
	    nla_put_u8(skb, NFSMTP_A_STARTTLS, p->starttls) ||
	    nla_put_u8(skb, NFSMTP_A_BANNER, p->banner) ||
	    nla_put_u32(skb, NFSMTP_A_EHLO_MASK, p->ehlo_mask) ||
	    nla_put_u8(skb, NFSMTP_A_COMMANDS, p->commands) ||
	    nla_put_u8(skb, NFSMTP_A_OUT_OF_ORDER, p->out_of_order) ||
	    nla_put_u16(skb, NFSMTP_A_CMD_LINE_MAX, p->cmd_line_max) ||
	    nla_put_u16(skb, NFSMTP_A_RCPT_MAX, p->rcpt_max) ||
	    nla_put_u16(skb, NFSMTP_A_HEADER_LINE_MAX, p->header_line_max) ||
	    nla_put_u16(skb, NFSMTP_A_BODY_LINE_MAX, p->body_line_max) ||
	    nla_put_u16(skb, NFSMTP_A_SENDER_MAX, p->sender_max) ||
	    nla_put_u8(skb, NFSMTP_A_INVALID_RCPT_MAX, p->invalid_rcpt_max) ||
	    nla_put_u8(skb, NFSMTP_A_TO_FIELDS_MAX, p->to_fields_max) ||
	    nla_put_u32(skb, NFSMTP_A_HEADER_SECTION_MAX, p->header_section_max) ||
	    nla_put_u32(skb, NFSMTP_A_MESSAGE_MAX, p->message_max) ||
	    nla_put_u32(skb, NFSMTP_A_SIZE_EXCESS_MAX, p->size_excess_max) ||
	    nla_put_u32(skb, NFSMTP_A_MIME_ENCODING, p->mime_encoding) ||
	    nla_put_u16(skb, NFSMTP_A_MIME_FILENAME_MAX, p->mime_filename_max) ||
	    nla_put_u32(skb, NFSMTP_A_MARK_MASK, cfg->mark_mask) ||
	    nla_put_u8(skb, NFSMTP_A_MARK_SHIFT, cfg->mark_shift))
		return -EMSGSIZE;
	for (a = 0; a <= SMTP_NL_REQ_MAX; a++)
		if (smtp_act_attrs[a].allowed &&
		    nla_put_u8(skb, a, p->act[smtp_act_attrs[a].rule]))
			return -EMSGSIZE;
	if (put_names(skb, NFSMTP_A_MAIL_RELAY, &p->relay))
		return -EMSGSIZE;
	return put_names(skb, NFSMTP_A_MIME_FILETYPE, &p->filetypes);
}

static int fill_policy(struct sk_buff *skb, u32 portid, u32 seq, int flags,
		       const struct smtp_config *cfg, unsigned int n)
{
	void *hdr = genlmsg_put(skb, portid, seq, &smtp_genl_family, flags,
				NFSMTP_CMD_POLICY_GET);

	if (!hdr)
		return -EMSGSIZE;
	if (put_profile(skb, cfg, n)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

int nf_smtp_nl_policy_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct smtp_net *sn = smtp_pernet(genl_info_net(info));
	unsigned int n = 0;
	struct sk_buff *msg;
	int ret;

	if (info->attrs[NFSMTP_A_PROFILE])
		n = nla_get_u8(info->attrs[NFSMTP_A_PROFILE]);
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&smtp_cfg_mutex);
	ret = fill_policy(msg, info->snd_portid, info->snd_seq, 0,
			  cfg_locked(sn), n);
	mutex_unlock(&smtp_cfg_mutex);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

int nf_smtp_nl_policy_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct smtp_net *sn = smtp_pernet(sock_net(skb->sk));
	const struct smtp_config *cfg;
	unsigned int n;

	rcu_read_lock();
	cfg = rcu_dereference(sn->cfg);
	for (n = cb->args[0]; n < NFSMTP_PROFILES; n++)
		if (fill_policy(skb, NETLINK_CB(cb->skb).portid,
				cb->nlh->nlmsg_seq, NLM_F_MULTI, cfg, n))
			break;
	rcu_read_unlock();
	cb->args[0] = n;
	return skb->len;
}

int nf_smtp_nl_policy_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct smtp_net *sn = smtp_pernet(genl_info_net(info));
	struct nlattr **tb = info->attrs;
	struct smtp_config *old, *cfg;
	struct smtp_domains *relay, *filetypes;
	struct smtp_profile *p;
	unsigned int a, n = 0;

	if (tb[NFSMTP_A_PROFILE])
		n = nla_get_u8(tb[NFSMTP_A_PROFILE]);

	/* check every action before changing anything */
	for (a = 0; a <= SMTP_NL_REQ_MAX; a++) {
		u8 v;

		if (!tb[a] || !smtp_act_attrs[a].allowed)
			continue;
		v = nla_get_u8(tb[a]);
		if (!(smtp_act_attrs[a].allowed & (1U << v))) {
			act_error(info->extack, tb[a], v);
			return -EINVAL;
		}
	}

	relay = names_get(info, NFSMTP_A_MAIL_RELAY, smtp_domains_build);
	if (IS_ERR(relay))
		return PTR_ERR(relay);
	filetypes = names_get(info, NFSMTP_A_MIME_FILETYPE, smtp_filetypes_build);
	if (IS_ERR(filetypes)) {
		kfree(relay);
		return PTR_ERR(filetypes);
	}

	mutex_lock(&smtp_cfg_mutex);
	old = cfg_locked(sn);
	cfg = kmemdup(old, sizeof(*old), GFP_KERNEL);
	if (!cfg) {
		mutex_unlock(&smtp_cfg_mutex);
		kfree(relay);
		kfree(filetypes);
		return -ENOMEM;
	}
	p = &cfg->prof[n];
	if (tb[NFSMTP_A_STARTTLS])
		p->starttls = nla_get_u8(tb[NFSMTP_A_STARTTLS]);
	if (tb[NFSMTP_A_BANNER])
		p->banner = nla_get_u8(tb[NFSMTP_A_BANNER]);
	if (tb[NFSMTP_A_EHLO_MASK])
		p->ehlo_mask = nla_get_u32(tb[NFSMTP_A_EHLO_MASK]);
	if (tb[NFSMTP_A_MIME_ENCODING])
		p->mime_encoding = nla_get_u32(tb[NFSMTP_A_MIME_ENCODING]);
	if (tb[NFSMTP_A_MIME_FILENAME_MAX])
		p->mime_filename_max = nla_get_u16(tb[NFSMTP_A_MIME_FILENAME_MAX]);
	if (tb[NFSMTP_A_COMMANDS])
		p->commands = nla_get_u8(tb[NFSMTP_A_COMMANDS]);
	if (tb[NFSMTP_A_OUT_OF_ORDER])
		p->out_of_order = nla_get_u8(tb[NFSMTP_A_OUT_OF_ORDER]);
	if (tb[NFSMTP_A_CMD_LINE_MAX])
		p->cmd_line_max = nla_get_u16(tb[NFSMTP_A_CMD_LINE_MAX]);
	if (tb[NFSMTP_A_RCPT_MAX])
		p->rcpt_max = nla_get_u16(tb[NFSMTP_A_RCPT_MAX]);
	if (tb[NFSMTP_A_HEADER_LINE_MAX])
		p->header_line_max = nla_get_u16(tb[NFSMTP_A_HEADER_LINE_MAX]);
	if (tb[NFSMTP_A_BODY_LINE_MAX])
		p->body_line_max = nla_get_u16(tb[NFSMTP_A_BODY_LINE_MAX]);
	if (tb[NFSMTP_A_SENDER_MAX])
		p->sender_max = nla_get_u16(tb[NFSMTP_A_SENDER_MAX]);
	if (tb[NFSMTP_A_INVALID_RCPT_MAX])
		p->invalid_rcpt_max = nla_get_u8(tb[NFSMTP_A_INVALID_RCPT_MAX]);
	if (tb[NFSMTP_A_TO_FIELDS_MAX])
		p->to_fields_max = nla_get_u8(tb[NFSMTP_A_TO_FIELDS_MAX]);
	if (tb[NFSMTP_A_HEADER_SECTION_MAX])
		p->header_section_max = nla_get_u32(tb[NFSMTP_A_HEADER_SECTION_MAX]);
	if (tb[NFSMTP_A_MESSAGE_MAX])
		p->message_max = nla_get_u32(tb[NFSMTP_A_MESSAGE_MAX]);
	if (tb[NFSMTP_A_SIZE_EXCESS_MAX])
		p->size_excess_max = nla_get_u32(tb[NFSMTP_A_SIZE_EXCESS_MAX]);
	for (a = 0; a <= SMTP_NL_REQ_MAX; a++)
		if (tb[a] && smtp_act_attrs[a].allowed)
			p->act[smtp_act_attrs[a].rule] = nla_get_u8(tb[a]);
	if (relay)
		p->relay = *relay;
	if (filetypes)
		p->filetypes = *filetypes;
	if (tb[NFSMTP_A_MARK_MASK])
		cfg->mark_mask = nla_get_u32(tb[NFSMTP_A_MARK_MASK]);
	if (tb[NFSMTP_A_MARK_SHIFT])
		cfg->mark_shift = nla_get_u8(tb[NFSMTP_A_MARK_SHIFT]);

	/* packets see the old or the new policy as a whole */
	rcu_assign_pointer(sn->cfg, cfg);
	mutex_unlock(&smtp_cfg_mutex);
	kfree_rcu(old, rcu);
	kfree(relay);
	kfree(filetypes);
	return 0;
}

/* ---- counters ----------------------------------------------------------- */

/* one u64 attribute per counter, in enum nfsmtp_stat order */
static_assert(NFSMTP_A_STATS_SESSIONS + __NFSMTP_STAT_MAX - 1 == NFSMTP_A_STATS_MAX);

int nf_smtp_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct smtp_net *sn = smtp_pernet(genl_info_net(info));
	u64 sum[__NFSMTP_STAT_MAX];
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	int i;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &smtp_genl_family, 0,
				NFSMTP_CMD_STATS_GET);
	if (!hdr)
		goto nospace;
	smtp_stats_read(sn, sum);
	nest = nla_nest_start(msg, NFSMTP_A_STATS);
	if (!nest)
		goto nospace;
	for (i = 0; i < __NFSMTP_STAT_MAX; i++)
		if (nla_put_u64_64bit(msg, NFSMTP_A_STATS_SESSIONS + i, sum[i],
				      NFSMTP_A_STATS_PAD))
			goto nospace;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int nf_smtp_nl_stats_reset_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct smtp_net *sn = smtp_pernet(genl_info_net(info));

	smtp_stats_reset(sn);
	return 0;
}

/* ---- events ------------------------------------------------------------- */

static const struct genl_multicast_group smtp_mcgrps[] = {
	/* events name connections and what they sent: admins only */
	{ .name = NFSMTP_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN, },
};

static bool smtp_event_wanted(struct net *net)
{
	return genl_has_listeners(&smtp_genl_family, net, 0);
}

void smtp_event_send(struct net *net, const struct nf_conn *ct, u8 dir,
		     enum nfsmtp_rule rule, enum nfsmtp_action action,
		     const char *detail)
{
	const struct nf_conntrack_tuple *t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	u8 family = nf_ct_l3num(ct);
	int alen = family == AF_INET ? 4 : 16;
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;

	if (!smtp_event_wanted(net))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &smtp_genl_family, 0, NFSMTP_CMD_EVENT);
	nest = hdr ? nla_nest_start(msg, NFSMTP_A_EVENT) : NULL;
	if (!nest ||
	    nla_put_u8(msg, NFSMTP_A_EVENT_FAMILY, family) ||
	    nla_put(msg, NFSMTP_A_EVENT_SADDR, alen, &t->src.u3) ||
	    nla_put(msg, NFSMTP_A_EVENT_DADDR, alen, &t->dst.u3) ||
	    nla_put_u16(msg, NFSMTP_A_EVENT_SPORT, ntohs(t->src.u.tcp.port)) ||
	    nla_put_u16(msg, NFSMTP_A_EVENT_DPORT, ntohs(t->dst.u.tcp.port)) ||
	    nla_put_u8(msg, NFSMTP_A_EVENT_RULE, rule) ||
	    nla_put_u8(msg, NFSMTP_A_EVENT_ACTION, action) ||
	    nla_put_u8(msg, NFSMTP_A_EVENT_DIR, dir) ||
	    (detail && nla_put_string(msg, NFSMTP_A_EVENT_DETAIL, detail))) {
		nlmsg_free(msg);
		return;
	}
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&smtp_genl_family, net, msg, 0, 0, GFP_ATOMIC);
}

/* ---- family ------------------------------------------------------------- */

static struct genl_family smtp_genl_family __ro_after_init = {
	.name = NFSMTP_GENL_NAME,
	.version = NFSMTP_GENL_VERSION,
	.maxattr = ARRAY_SIZE(nf_smtp_nl_policy) - 1,
	.policy = nf_smtp_nl_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.small_ops = nf_smtp_nl_ops,
	.n_small_ops = ARRAY_SIZE(nf_smtp_nl_ops),
	.mcgrps = smtp_mcgrps,
	.n_mcgrps = ARRAY_SIZE(smtp_mcgrps),
};

int smtp_netlink_init(void)
{
	return genl_register_family(&smtp_genl_family);
}

void smtp_netlink_exit(void)
{
	genl_unregister_family(&smtp_genl_family);
}

MODULE_ALIAS_GENL_FAMILY(NFSMTP_GENL_NAME);
