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
#include <linux/mutex.h>
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

#include "nf_smtp_compat.h"
#include "smtp_conn.h"
#include "smtp_net.h"
#include "smtp_fixup.h"
#include "smtp_sync.h"

/* the state must fit the helper area of the conntrack entry */
static_assert(sizeof(struct smtp_conn) <= sizeof_field(struct nf_conn_help, data));

#define SMTP_PORT	25
#define SMTP_MAX_PORTS	8

static u16 ports[SMTP_MAX_PORTS] __read_mostly;
static unsigned int ports_c;
module_param_array(ports, ushort, &ports_c, 0400);
MODULE_PARM_DESC(ports, "TCP ports the helper registers for (default 25, at most 8; ignored from kernel 7.3 on, where helpers bind to no port)");

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
	[NFSMTP_STAT_SYNC_REFUSED]	= "sync_refused",
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

static void smtp_stats_sum(const struct smtp_net *sn, u64 *sum)
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

/* Serialises counter reads against resets (control plane only). */
static DEFINE_MUTEX(smtp_stats_mutex);

/* The counters since the last reset: per-CPU sums minus the reset baseline. */
void smtp_stats_read(struct smtp_net *sn, u64 *out)
{
	int i;

	mutex_lock(&smtp_stats_mutex);
	smtp_stats_sum(sn, out);
	for (i = 0; i < __NFSMTP_STAT_MAX; i++)
		out[i] -= sn->stats_base[i];
	mutex_unlock(&smtp_stats_mutex);
}

/* Reset by remembering the sums: per-CPU writers are never raced. */
void smtp_stats_reset(struct smtp_net *sn)
{
	u64 sum[__NFSMTP_STAT_MAX];

	mutex_lock(&smtp_stats_mutex);
	smtp_stats_sum(sn, sum);
	memcpy(sn->stats_base, sum, sizeof(sum));
	mutex_unlock(&smtp_stats_mutex);
}

/* Feed payload bytes [from, to) of skb to the parser, fragment by fragment. */
static void smtp_feed(struct smtp_conn *sc, struct smtp_pkt *pk,
		      unsigned int from, unsigned int to,
		      const struct smtp_sink *sink)
{
	struct skb_seq_state seq;
	unsigned int consumed = 0, len;
	const u8 *data;

	skb_prepare_seq_read(pk->skb, from, to, &seq);
	while ((len = skb_seq_read(consumed, &data, &seq)) != 0) {
		pk->chunk_off = from + consumed;
		if (smtp_parse(&sc->p, pk->dir, data, len, sink) < len) {
			skb_abort_seq_read(&seq);
			return;
		}
		consumed += len;
	}
}

/* The profile comes from the conntrack mark, once, when the helper is assigned. */
static unsigned int smtp_pick_profile(const struct smtp_config *cfg,
				      const struct nf_conn *ct)
{
	u32 n = 0;

#if IS_ENABLED(CONFIG_NF_CONNTRACK_MARK)
	n = (READ_ONCE(ct->mark) & cfg->mark_mask) >> cfg->mark_shift;
#endif
	return n < NFSMTP_PROFILES ? n : 0;
}

/* ack acknowledges the other direction: forget its rewrites once all are acked. */
static void smtp_ack_seen(struct smtp_conn *sc, int other, u32 ack)
{
	u8 bits = other == IP_CT_DIR_ORIGINAL ? SC_RW_CLIENT | SC_TR_CLIENT :
		  SC_RW_SERVER;

	if ((sc->p.user & bits) && sc->next_seq[other] &&
	    (s32)(ack - sc->next_seq[other]) >= 0)
		sc->p.user &= ~bits;
}

/* Dropped connections live on only while their peers keep trying. */
#define SMTP_DROP_TIMEOUT	(150 * HZ)

/* ---- the helper --------------------------------------------------------- */

static int smtp_help(struct sk_buff *skb, unsigned int protoff,
		     struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	struct net *net = nf_ct_net(ct);
	struct smtp_net *sn = smtp_pernet(net);
	struct smtp_conn *sc = nf_smtp_help_data(ct);
	int dir = CTINFO2DIR(ctinfo);
	const struct smtp_config *cfg;
	struct smtp_pkt pk = {
		.net = net, .ct = ct, .sc = sc, .skb = skb,
		.dir = dir == IP_CT_DIR_ORIGINAL ? SMTP_DIR_CLIENT : SMTP_DIR_SERVER,
	};
	struct smtp_sink sink;
	const struct tcphdr *th;
	struct tcphdr _th;
	unsigned int dataoff, datalen, skip = 0, profile;
	int verdict = NF_ACCEPT;
	struct smtp_stats *st;
	u32 seq;
	s32 rel;

	if (WARN_ON_ONCE(!sc))
		return NF_ACCEPT;	/* only entries with a helper area get here */
	th = skb_header_pointer(skb, protoff, sizeof(_th), &_th);
	if (!th)
		return NF_ACCEPT;
	dataoff = protoff + th->doff * 4;
	if (dataoff > skb->len)
		return NF_ACCEPT;
	datalen = skb->len - dataoff;
	seq = ntohl(th->seq);

	spin_lock_bh(&ct->lock);
	cfg = rcu_dereference(sn->cfg);	/* callers hold rcu_read_lock */
	st = this_cpu_ptr(sn->stats);
	pk.st = st;
	u64_stats_update_begin(&st->syncp);

	stat_add(st, dir == IP_CT_DIR_ORIGINAL ? NFSMTP_STAT_PKTS_ORIG :
		 NFSMTP_STAT_PKTS_REPLY, 1);
	stat_add(st, dir == IP_CT_DIR_ORIGINAL ? NFSMTP_STAT_BYTES_ORIG :
		 NFSMTP_STAT_BYTES_REPLY, datalen);

	if (sc->p.user & SC_DROPPED) {
		WRITE_ONCE(ct->timeout, nfct_time_stamp + SMTP_DROP_TIMEOUT);
		verdict = NF_DROP;
		goto out;
	}
	if (!(sc->p.user & SC_STARTED)) {
		/* first packet since assignment: from the handshake, or mid-stream */
		stat_add(st, NFSMTP_STAT_SESSIONS, 1);
		if (th->syn && dir == IP_CT_DIR_ORIGINAL) {
			smtp_parser_init(&sc->p);
		} else {
			smtp_parser_init_pickup(&sc->p);
			stat_add(st, NFSMTP_STAT_PICKUPS, 1);
		}
		profile = smtp_pick_profile(cfg, ct);
		sc->p.user = SC_STARTED | profile << SC_PROFILE_SHIFT;
	}
	profile = (sc->p.user & SC_PROFILE_MASK) >> SC_PROFILE_SHIFT;
	pk.prof = &cfg->prof[profile];

	if (th->ack)
		smtp_ack_seen(sc, !dir, ntohl(th->ack_seq));
	if (th->syn) {
		sc->next_seq[dir] = seq + 1;
		goto out;
	}
	if (!datalen || smtp_parser_tls(&sc->p))
		goto out;
	if (!sc->next_seq[dir]) {
		/* this direction's handshake went by unseen: start where we are */
		sc->next_seq[dir] = seq;
		if (smtp_parser_synced(&sc->p, SMTP_DIR_CLIENT))
			smtp_parser_gap(&sc->p);
	}

	rel = (s32)(seq - sc->next_seq[dir]);
	if (rel > 0) {
		/* bytes before this segment never went by: resynchronise */
		stat_add(st, NFSMTP_STAT_GAPS, 1);
		smtp_parser_gap(&sc->p);
	} else if (rel < 0) {
		skip = min_t(u32, -rel, datalen);
		pk.new_off = dataoff;
		smtp_fixup_retransmit(&pk, sc, dataoff, skip);
		if (skip == datalen || pk.verdict != SMTP_PASS)
			goto verdict;
	}
	sc->next_seq[dir] = seq + datalen;
	pk.new_off = dataoff + skip;
	smtp_fixup_sink(&pk, &sink);
	smtp_feed(sc, &pk, dataoff + skip, skb->len, &sink);
	if (pk.dir == SMTP_DIR_CLIENT && pk.verdict == SMTP_PASS)
		smtp_fixup_open_verb(&pk, sc);
verdict:
	if (pk.nrw)
		sc->p.user |= pk.dir == SMTP_DIR_CLIENT ? SC_RW_CLIENT : SC_RW_SERVER;
	if (pk.overflow)
		pk.verdict = SMTP_RESET_CONN;
	if (pk.verdict == SMTP_DROP_CONN) {
		sc->p.user |= SC_DROPPED;
		stat_add(st, NFSMTP_STAT_DROPS, 1);
		WRITE_ONCE(ct->timeout, nfct_time_stamp + SMTP_DROP_TIMEOUT);
		verdict = NF_DROP;
	} else if (pk.verdict == SMTP_RESET_CONN) {
		stat_add(st, NFSMTP_STAT_RESETS, 1);
	}
out:
	u64_stats_update_end(&st->syncp);
	spin_unlock_bh(&ct->lock);

	/* outside the lock: a RST we send comes back through this helper */
	if (pk.verdict == SMTP_RESET_CONN) {
		smtp_fixup_reset(&pk, protoff);
		nf_ct_kill(ct);
		return NF_ACCEPT;
	}
	if (verdict == NF_ACCEPT && smtp_fixup_apply(&pk, protoff))
		verdict = NF_DROP;	/* never let the unmasked bytes out */
	return verdict;
}

/* ---- per-namespace state ------------------------------------------------ */

static int smtp_stat_show(struct seq_file *m, void *v)
{
	struct smtp_net *sn = smtp_pernet(seq_file_single_net(m));
	u64 sum[__NFSMTP_STAT_MAX];
	int i;

	smtp_stats_read(sn, sum);
	for (i = 0; i < __NFSMTP_STAT_MAX; i++)
		seq_printf(m, "%s %llu\n", smtp_stat_names[i], sum[i]);
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
	if (!proc_create_net_single("nf_conntrack_smtp", 0440, net->proc_net,
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
/* what is registered: smtp_helpers[] themselves, or (7.2+) the core's copies */
static struct nf_conntrack_helper *smtp_helpers_reg[SMTP_MAX_PORTS * 2];
static unsigned int smtp_helpers_n __read_mostly;

static int __init nf_conntrack_smtp_init(void)
{
	unsigned int i;
	int ret;

	if (ports_c == 0)
		ports[ports_c++] = SMTP_PORT;
	if (!NF_SMTP_HELPER_PORTS && (ports_c > 1 || ports[0] != SMTP_PORT)) {
		/*
		 * Ignored rather than refused: a refused load would make every
		 * ruleset naming the helper fail to load.  Rules pick the
		 * ports: the one helper "smtp" serves them all.
		 */
		pr_warn("ports= is ignored: this kernel binds helpers to no port, nft/iptables rules choose the ports\n");
		ports_c = 1;
	}

	ret = register_pernet_subsys(&smtp_net_ops);
	if (ret < 0)
		return ret;
	ret = smtp_netlink_init();
	if (ret < 0) {
		unregister_pernet_subsys(&smtp_net_ops);
		return ret;
	}

	/* no ->destroy: on 7.3 it could be called after the module is gone */
	for (i = 0; i < ports_c; i++) {
		nf_smtp_helper_init(&smtp_helpers[2 * i], AF_INET, "smtp",
				    SMTP_PORT, ports[i], i, &smtp_exp_policy,
				    smtp_help);
		nf_smtp_helper_init(&smtp_helpers[2 * i + 1], AF_INET6, "smtp",
				    SMTP_PORT, ports[i], i, &smtp_exp_policy,
				    smtp_help);
	}
	smtp_helpers_n = 2 * ports_c;
	/* failover: the state travels in CTA_HELP_INFO (smtp_sync.c) */
	for (i = 0; i < smtp_helpers_n; i++) {
		smtp_helpers[i].to_nlattr = smtp_helpinfo_to_nlattr;
		smtp_helpers[i].from_nlattr = smtp_helpinfo_from_nlattr;
	}

	ret = nf_smtp_helpers_register(smtp_helpers, smtp_helpers_n,
				       smtp_helpers_reg);
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
	/*
	 * Readers are drained first.  Entries using the helper are unhelped;
	 * from 7.3 they keep the core's copy, with ->help cleared.
	 */
	nf_smtp_helpers_unregister(smtp_helpers_reg, smtp_helpers_n);
	smtp_netlink_exit();
	unregister_pernet_subsys(&smtp_net_ops);
}

module_init(nf_conntrack_smtp_init);
module_exit(nf_conntrack_smtp_fini);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SMTP connection tracking helper with ESMTP fixup");
MODULE_VERSION("0.1");
MODULE_ALIAS_NFCT_HELPER("smtp");
