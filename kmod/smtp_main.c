// SPDX-License-Identifier: GPL-2.0
/*
 * nf_conntrack_smtp: conntrack helper for SMTP.
 *
 * Follows both directions of each SMTP session with the shared streaming
 * parser (smtp_parser.c) and applies the fixup policy of the connection's
 * network namespace.  Payload is read piecewise from the skb (no linearizing,
 * no shared buffer); per-connection state sits in the helper area of the
 * conntrack entry and is serialised by the entry's own lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netfilter.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/u64_stats_sync.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <linux/nf_conntrack_smtp.h>

#include "smtp_conn.h"
#include "smtp_net.h"

/* the state must fit the helper area of the conntrack entry */
static_assert(sizeof(struct smtp_conn) <= sizeof_field(struct nf_conn_help, data));

#define SMTP_PORT	25
#define SMTP_MAX_PORTS	8

static u16 ports[SMTP_MAX_PORTS] __read_mostly;
static unsigned int ports_c;
module_param_array(ports, ushort, &ports_c, 0400);
MODULE_PARM_DESC(ports, "TCP ports the helper registers for (default 25, at most 8)");

const char *const smtp_stat_names[__NFSMTP_STAT_MAX] = {
	[NFSMTP_STAT_SESSIONS]		= "sessions",
	[NFSMTP_STAT_PKTS_ORIG]		= "packets_client",
	[NFSMTP_STAT_PKTS_REPLY]	= "packets_server",
	[NFSMTP_STAT_BYTES_ORIG]	= "bytes_client",
	[NFSMTP_STAT_BYTES_REPLY]	= "bytes_server",
	[NFSMTP_STAT_COMMANDS]		= "commands",
	[NFSMTP_STAT_REPLIES]		= "replies",
	[NFSMTP_STAT_MESSAGES]		= "messages",
	[NFSMTP_STAT_STARTTLS_SEEN]	= "starttls_seen",
	[NFSMTP_STAT_STARTTLS_ALLOWED]	= "starttls_allowed",
	[NFSMTP_STAT_STARTTLS_STRIPPED]	= "starttls_stripped",
	[NFSMTP_STAT_TLS_HANDOFF]	= "tls_handoff",
	[NFSMTP_STAT_CMDS_MASKED]	= "commands_masked",
	[NFSMTP_STAT_BANNERS_MASKED]	= "banners_masked",
	[NFSMTP_STAT_EHLO_KW_MASKED]	= "ehlo_keywords_masked",
	[NFSMTP_STAT_LIMIT_HITS]	= "limit_hits",
	[NFSMTP_STAT_DUP_HEADERS]	= "duplicate_headers",
	[NFSMTP_STAT_SMUGGLING]		= "smuggling",
	[NFSMTP_STAT_BARE_NEWLINES]	= "bare_newlines",
	[NFSMTP_STAT_INJECTION]		= "injection",
	[NFSMTP_STAT_RESETS]		= "resets",
	[NFSMTP_STAT_DROPS]		= "drops",
	[NFSMTP_STAT_LOST_SYNC]		= "lost_sync",
	[NFSMTP_STAT_PICKUPS]		= "pickups",
	[NFSMTP_STAT_RESYNCS]		= "resyncs",
	[NFSMTP_STAT_GAPS]		= "gaps",
	[NFSMTP_STAT_RETRANS]		= "retransmissions",
};

static unsigned int smtp_net_id __read_mostly;

struct smtp_net *smtp_pernet(const struct net *net)
{
	return net_generic(net, smtp_net_id);
}

/* Caller holds ct->lock with BH off: this CPU's counters are ours alone. */
static void stat_add(struct smtp_stats *st, enum nfsmtp_stat i, u64 v)
{
	u64_stats_add(&st->c[i], v);
}

void smtp_stats_sum(const struct smtp_net *sn, u64 *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(u64) * __NFSMTP_STAT_MAX);
	for_each_possible_cpu(cpu) {
		const struct smtp_stats *st = per_cpu_ptr(sn->stats, cpu);
		u64 v[__NFSMTP_STAT_MAX];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&st->syncp);
			for (i = 0; i < __NFSMTP_STAT_MAX; i++)
				v[i] = u64_stats_read(&st->c[i]);
		} while (u64_stats_fetch_retry(&st->syncp, start));
		for (i = 0; i < __NFSMTP_STAT_MAX; i++)
			sum[i] += v[i];
	}
}

/* ---- events from the parser --------------------------------------------- */

struct smtp_ctx {
	struct smtp_stats *st;
};

static int smtp_event(void *vctx, const struct smtp_event *ev)
{
	struct smtp_ctx *ctx = vctx;
	struct smtp_stats *st = ctx->st;

	switch (ev->type) {
	case SMTP_EV_COMMAND:
		stat_add(st, NFSMTP_STAT_COMMANDS, 1);
		if (ev->verb == SMTP_VERB_STARTTLS) {
			stat_add(st, NFSMTP_STAT_STARTTLS_SEEN, 1);
			stat_add(st, NFSMTP_STAT_STARTTLS_ALLOWED, 1);
		}
		break;
	case SMTP_EV_REPLY:
		if (ev->flags & SMTP_EVF_LAST)
			stat_add(st, NFSMTP_STAT_REPLIES, 1);
		break;
	case SMTP_EV_DATA_END:
		stat_add(st, NFSMTP_STAT_MESSAGES, 1);
		break;
	case SMTP_EV_BDAT_END:
		if (ev->flags & SMTP_EVF_LAST)
			stat_add(st, NFSMTP_STAT_MESSAGES, 1);
		break;
	case SMTP_EV_TLS_START:
		stat_add(st, NFSMTP_STAT_TLS_HANDOFF, 1);
		break;
	case SMTP_EV_RESYNC:
		stat_add(st, NFSMTP_STAT_RESYNCS, 1);
		break;
	case SMTP_EV_ANOMALY:
		switch (ev->sub) {
		case SMTP_ANOM_SMUGGLING:
			stat_add(st, NFSMTP_STAT_SMUGGLING, 1);
			break;
		case SMTP_ANOM_BARE_CR:
		case SMTP_ANOM_BARE_LF:
			stat_add(st, NFSMTP_STAT_BARE_NEWLINES, 1);
			break;
		case SMTP_ANOM_STARTTLS_INJECTION:
		case SMTP_ANOM_TLS_RESPONSE_INJECTION:
			stat_add(st, NFSMTP_STAT_INJECTION, 1);
			break;
		case SMTP_ANOM_LOST_SYNC:
			stat_add(st, NFSMTP_STAT_LOST_SYNC, 1);
			break;
		}
		break;
	}
	return SMTP_CONTINUE;
}

/* Feed payload bytes [from, to) of skb to the parser, fragment by fragment. */
static void smtp_feed(struct smtp_conn *sc, enum smtp_dir dir,
		      struct sk_buff *skb, unsigned int from, unsigned int to,
		      const struct smtp_sink *sink)
{
	struct skb_seq_state seq;
	unsigned int consumed = 0, len;
	const u8 *data;

	skb_prepare_seq_read(skb, from, to, &seq);
	while ((len = skb_seq_read(consumed, &data, &seq)) != 0) {
		if (smtp_parse(&sc->p, dir, data, len, sink) < len) {
			skb_abort_seq_read(&seq);
			return;
		}
		consumed += len;
	}
}

/* ---- the helper --------------------------------------------------------- */

static int smtp_help(struct sk_buff *skb, unsigned int protoff,
		     struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	struct smtp_net *sn = smtp_pernet(nf_ct_net(ct));
	struct smtp_conn *sc = nfct_help_data(ct);
	int dir = CTINFO2DIR(ctinfo);
	u8 seq_valid = dir == IP_CT_DIR_ORIGINAL ? SC_SEQ_ORIG : SC_SEQ_REPLY;
	struct smtp_ctx ctx;
	struct smtp_sink sink = { .fn = smtp_event, .ctx = &ctx };
	const struct tcphdr *th;
	struct tcphdr _th;
	unsigned int dataoff, datalen, skip = 0;
	struct smtp_stats *st;
	u32 seq;
	s32 rel;

	th = skb_header_pointer(skb, protoff, sizeof(_th), &_th);
	if (!th)
		return NF_ACCEPT;
	dataoff = protoff + th->doff * 4;
	if (dataoff > skb->len)
		return NF_ACCEPT;
	datalen = skb->len - dataoff;
	seq = ntohl(th->seq);

	spin_lock_bh(&ct->lock);
	st = this_cpu_ptr(sn->stats);
	ctx.st = st;
	u64_stats_update_begin(&st->syncp);

	stat_add(st, dir == IP_CT_DIR_ORIGINAL ? NFSMTP_STAT_PKTS_ORIG :
		 NFSMTP_STAT_PKTS_REPLY, 1);
	stat_add(st, dir == IP_CT_DIR_ORIGINAL ? NFSMTP_STAT_BYTES_ORIG :
		 NFSMTP_STAT_BYTES_REPLY, datalen);

	if (!(sc->p.user & SC_STARTED)) {
		/* first packet since assignment: from the handshake, or mid-stream */
		stat_add(st, NFSMTP_STAT_SESSIONS, 1);
		if (th->syn && dir == IP_CT_DIR_ORIGINAL) {
			smtp_parser_init(&sc->p);
		} else {
			smtp_parser_init_pickup(&sc->p);
			stat_add(st, NFSMTP_STAT_PICKUPS, 1);
		}
		sc->p.user |= SC_STARTED;
	}
	if (th->syn) {
		sc->next_seq[dir] = seq + 1;
		sc->p.user |= seq_valid;
		goto out;
	}
	if (!datalen || smtp_parser_tls(&sc->p))
		goto out;
	if (!(sc->p.user & seq_valid)) {
		/* this direction's handshake went by unseen: start where we are */
		sc->next_seq[dir] = seq;
		sc->p.user |= seq_valid;
		if (smtp_parser_synced(&sc->p, SMTP_DIR_CLIENT))
			smtp_parser_gap(&sc->p);
	}

	rel = (s32)(seq - sc->next_seq[dir]);
	if (rel > 0) {
		/* bytes before this segment never went by: resynchronise */
		stat_add(st, NFSMTP_STAT_GAPS, 1);
		smtp_parser_gap(&sc->p);
	} else if (rel < 0) {
		stat_add(st, NFSMTP_STAT_RETRANS, 1);
		if ((u32)-rel >= datalen)
			goto out;	/* all seen before */
		skip = -rel;
	}
	sc->next_seq[dir] = seq + datalen;
	smtp_feed(sc, dir == IP_CT_DIR_ORIGINAL ? SMTP_DIR_CLIENT : SMTP_DIR_SERVER,
		  skb, dataoff + skip, skb->len, &sink);
out:
	u64_stats_update_end(&st->syncp);
	spin_unlock_bh(&ct->lock);
	return NF_ACCEPT;
}

/* ---- per-namespace state ------------------------------------------------ */

static int smtp_stat_show(struct seq_file *m, void *v)
{
	const struct smtp_net *sn = smtp_pernet(seq_file_single_net(m));
	u64 sum[__NFSMTP_STAT_MAX];
	int i;

	smtp_stats_sum(sn, sum);
	for (i = 0; i < __NFSMTP_STAT_MAX; i++)
		seq_printf(m, "%s %llu\n", smtp_stat_names[i],
			   sum[i] - sn->stats_base[i]);
	return 0;
}

static int __net_init smtp_net_init(struct net *net)
{
	struct smtp_net *sn = smtp_pernet(net);
	struct smtp_config *cfg;
	int cpu, i;

	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	for (i = 0; i < NFSMTP_PROFILES; i++)
		smtp_profile_default(&cfg->prof[i]);
	sn->stats = alloc_percpu(struct smtp_stats);
	if (!sn->stats)
		goto nomem;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(sn->stats, cpu)->syncp);
	if (!proc_create_net_single("nf_conntrack_smtp", 0444, net->proc_net,
				    smtp_stat_show, NULL))
		goto nomem;
	RCU_INIT_POINTER(sn->cfg, cfg);
	return 0;
nomem:
	free_percpu(sn->stats);
	kfree(cfg);
	return -ENOMEM;
}

static void __net_exit smtp_net_exit(struct net *net)
{
	struct smtp_net *sn = smtp_pernet(net);

	remove_proc_entry("nf_conntrack_smtp", net->proc_net);
	free_percpu(sn->stats);
	/* no reader is left: helpers are gone or the namespace is dying */
	kfree(rcu_dereference_protected(sn->cfg, true));
}

static struct pernet_operations smtp_net_ops = {
	.init = smtp_net_init,
	.exit = smtp_net_exit,
	.id = &smtp_net_id,
	.size = sizeof(struct smtp_net),
};

/* ---- registration ------------------------------------------------------- */

static const struct nf_conntrack_expect_policy smtp_exp_policy = {
	.max_expected	= 0,	/* SMTP opens no other connections */
	.timeout	= 0,
};

static struct nf_conntrack_helper smtp_helpers[SMTP_MAX_PORTS * 2] __read_mostly;
static unsigned int smtp_helpers_n __read_mostly;

static int __init nf_conntrack_smtp_init(void)
{
	unsigned int i;
	int ret;

	if (ports_c == 0)
		ports[ports_c++] = SMTP_PORT;

	ret = register_pernet_subsys(&smtp_net_ops);
	if (ret < 0)
		return ret;
	ret = smtp_netlink_init();
	if (ret < 0) {
		unregister_pernet_subsys(&smtp_net_ops);
		return ret;
	}

	for (i = 0; i < ports_c; i++) {
		nf_ct_helper_init(&smtp_helpers[2 * i], AF_INET, IPPROTO_TCP,
				  "smtp", SMTP_PORT, ports[i], i, &smtp_exp_policy,
				  0, smtp_help, NULL, THIS_MODULE);
		nf_ct_helper_init(&smtp_helpers[2 * i + 1], AF_INET6, IPPROTO_TCP,
				  "smtp", SMTP_PORT, ports[i], i, &smtp_exp_policy,
				  0, smtp_help, NULL, THIS_MODULE);
	}
	smtp_helpers_n = 2 * ports_c;

	ret = nf_conntrack_helpers_register(smtp_helpers, smtp_helpers_n);
	if (ret < 0) {
		pr_err("failed to register helpers: %d\n", ret);
		smtp_netlink_exit();
		unregister_pernet_subsys(&smtp_net_ops);
		return ret;
	}
	return 0;
}

static void __exit nf_conntrack_smtp_fini(void)
{
	/* entries using the helper are unhelped and readers drained first */
	nf_conntrack_helpers_unregister(smtp_helpers, smtp_helpers_n);
	smtp_netlink_exit();
	unregister_pernet_subsys(&smtp_net_ops);
}

module_init(nf_conntrack_smtp_init);
module_exit(nf_conntrack_smtp_fini);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SMTP connection tracking helper with ESMTP fixup");
MODULE_VERSION("0.1");
MODULE_ALIAS_NFCT_HELPER("smtp");
