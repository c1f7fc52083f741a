// SPDX-License-Identifier: GPL-2.0
/*
 * Helper info for failover: the helper's per-connection state travels in
 * CTA_HELP_INFO (enum nfsmtp_helpinfo_attr).  to_nlattr puts a consistent
 * copy into every ctnetlink dump and event of an entry; from_nlattr takes
 * one from an entry created or updated through ctnetlink, as a backup
 * gateway's conntrackd does, and the connection goes on where the primary
 * was.  Imported state is checked whole (format, sizes, profile, flags
 * against the parser state, smtp_parser_check()) and refused on any doubt:
 * the parser runs on it in softirq context.  Without helper info (what
 * Debian's conntrackd 1.4.7 sends: the helper name only) an entry created
 * through ctnetlink starts zeroed, and its first packet starts a mid-stream
 * pickup, which resynchronises at the next command and reply boundary.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <net/netlink.h>
#include <net/netfilter/nf_conntrack.h>
#include <linux/nf_conntrack_smtp.h>

#include "smtp_kernel_compat.h"
#include "smtp_conn.h"
#include "smtp_net.h"
#include "smtp_sync.h"

static_assert(sizeof(struct smtp_parser) == NFSMTP_HELPINFO_PARSER_LEN);
static_assert(sizeof_field(struct smtp_conn, next_seq) == 2 * sizeof(u32));
static_assert(SC_PROFILE_MASK >> SC_PROFILE_SHIFT == NFSMTP_PROFILES - 1);

static const struct nla_policy smtp_hi_policy[NFSMTP_HI_MAX + 1] = {
	[NFSMTP_HI_VERSION]	= NLA_POLICY_EXACT_LEN(sizeof(u32)),
	[NFSMTP_HI_PROFILE]	= NLA_POLICY_EXACT_LEN(sizeof(u8)),
	[NFSMTP_HI_FLAGS]	= NLA_POLICY_EXACT_LEN(sizeof(u32)),
	[NFSMTP_HI_PARSER]	= NLA_POLICY_EXACT_LEN(NFSMTP_HELPINFO_PARSER_LEN),
	[NFSMTP_HI_SEQ]		= NLA_POLICY_EXACT_LEN(2 * sizeof(u32)),
};

int smtp_helpinfo_to_nlattr(struct sk_buff *skb, const struct nf_conn *ct)
{
	/* ctnetlink hands us a const entry; its lock is ours to take all the same */
	struct nf_conn *entry = (struct nf_conn *)ct;
	const struct smtp_conn *live = nf_smtp_help_data(ct);
	struct smtp_conn sc;
	struct nlattr *nest;

	if (!live)
		return 0;
	/* a consistent copy: help() changes the state under the same lock */
	spin_lock_bh(&entry->lock);
	sc = *live;
	spin_unlock_bh(&entry->lock);

	nest = nla_nest_start(skb, CTA_HELP_INFO);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, NFSMTP_HI_VERSION, NFSMTP_HELPINFO_VERSION) ||
	    nla_put_u8(skb, NFSMTP_HI_PROFILE, smtp_conn_profile(&sc)) ||
	    nla_put_u32(skb, NFSMTP_HI_FLAGS, smtp_conn_flags(&sc)) ||
	    nla_put(skb, NFSMTP_HI_PARSER, sizeof(sc.p), &sc.p) ||
	    nla_put(skb, NFSMTP_HI_SEQ, sizeof(sc.next_seq), sc.next_seq)) {
		/* the message goes out with the helper's name only */
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Decode and check helper info into *out; NULL, or why it is refused. */
static const char *smtp_hi_decode(const struct nlattr *attr, struct smtp_conn *out)
{
	struct nlattr *tb[NFSMTP_HI_MAX + 1];
	const struct nlattr *a;
	struct smtp_conn sc;
	u32 flags, profile, seen = 0;
	const char *why;
	int i, rem;

	/* strict: every size exact, no unknown attribute, no trailing bytes */
	if (nla_parse(tb, NFSMTP_HI_MAX, nla_data(attr), nla_len(attr),
		      smtp_hi_policy, NULL) < 0)
		return "malformed attributes";
	/* nla_parse() keeps the last of repeated ones: refuse them (types are 1..MAX here) */
	nla_for_each_attr(a, nla_data(attr), nla_len(attr), rem) {
		if (seen & BIT(nla_type(a)))
			return "an attribute is repeated";
		seen |= BIT(nla_type(a));
	}
	for (i = NFSMTP_HI_VERSION; i <= NFSMTP_HI_MAX; i++)
		if (!tb[i])
			return "an attribute is missing";
	if (nla_get_u32(tb[NFSMTP_HI_VERSION]) != NFSMTP_HELPINFO_VERSION)
		return "unknown format version";
	profile = nla_get_u8(tb[NFSMTP_HI_PROFILE]);
	flags = nla_get_u32(tb[NFSMTP_HI_FLAGS]);
	memset(&sc, 0, sizeof(sc));
	nla_memcpy(&sc.p, tb[NFSMTP_HI_PARSER], sizeof(sc.p));
	nla_memcpy(sc.next_seq, tb[NFSMTP_HI_SEQ], sizeof(sc.next_seq));
	why = smtp_conn_check(&sc, flags, profile);
	if (why)
		return why;
	*out = sc;
	return NULL;
}

static void smtp_hi_refused(const struct nf_conn *ct, const char *why)
{
	const struct nf_conntrack_tuple *t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	const char *effect = nf_ct_is_confirmed(ct) ?
		"the connection keeps its state" :
		"the connection is picked up mid-stream at its first packet";

	smtp_stat_count(nf_ct_net(ct), NFSMTP_STAT_SYNC_REFUSED);

	if (!net_ratelimit())
		return;
	if (nf_ct_l3num(ct) == AF_INET)
		pr_info("%pI4:%u -> %pI4:%u: helper info refused (%s): %s\n",
			&t->src.u3.ip, ntohs(t->src.u.tcp.port),
			&t->dst.u3.ip, ntohs(t->dst.u.tcp.port), why, effect);
	else
		pr_info("[%pI6c]:%u -> [%pI6c]:%u: helper info refused (%s): %s\n",
			&t->src.u3.ip6, ntohs(t->src.u.tcp.port),
			&t->dst.u3.ip6, ntohs(t->dst.u.tcp.port), why, effect);
}

/*
 * ctnetlink calls this when it creates an entry (not yet confirmed, its help
 * area zeroed) and when it updates one that has our helper (maybe live: the
 * state is replaced under the lock help() takes).  attr is NULL when the
 * message has no CTA_HELP_INFO: the state stays as it is.  Linux 6.1 to 7.3
 * ignore the result: a refused entry is created all the same (zeroed) and a
 * refused update changes nothing, which is what -EINVAL should mean anyway.
 */
int smtp_helpinfo_from_nlattr(struct nlattr *attr, struct nf_conn *ct)
{
	struct smtp_conn *sc = nf_smtp_help_data(ct);
	struct smtp_conn in;
	const char *why;

	if (!attr)
		return 0;
	if (!sc)
		return -EINVAL;
	why = smtp_hi_decode(attr, &in);
	if (why) {
		smtp_hi_refused(ct, why);
		return -EINVAL;
	}
	spin_lock_bh(&ct->lock);
	*sc = in;
	spin_unlock_bh(&ct->lock);
	return 0;
}
