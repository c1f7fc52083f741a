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
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/net_namespace.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <linux/nf_conntrack_smtp.h>

#include "smtp_kernel_compat.h"
#include "smtp_conn.h"
#include "smtp_net.h"
#include "smtp_fixup.h"
#include "smtp_netlink.h"
#include "smtp_sync.h"

/* the state must fit the helper area of the conntrack entry */
static_assert(sizeof(struct smtp_conn) <= sizeof_field(struct nf_conn_help, data));

#define SMTP_PORT	25
#define SMTP_MAX_PORTS	8

static u16 ports[SMTP_MAX_PORTS] __read_mostly;
static unsigned int ports_c;
module_param_array(ports, ushort, &ports_c, 0400);
MODULE_PARM_DESC(ports, "TCP ports the helper registers for (default 25, at most 8; ignored from kernel 7.3 on, where helpers bind to no port)");

/*
 * Rewrites of the packet in hand: a pipelined burst of RCPTs over the limit
 * can need hundreds in one GRO packet, too many for the stack.  help() runs
 * with BH off, so one buffer per CPU serves every packet.  Allocated at load
 * (8 KB per CPU: more than a module's static per-CPU reserve).
 */
struct smtp_scratch {
	bool busy;
	struct smtp_rewrite rw[SMTP_MAX_REWRITES];
};

static struct smtp_scratch __percpu *smtp_scratch;

/* The actions queued while the lock was held: netlink events and log lines. */
static void smtp_announce(const struct smtp_pkt *pk)
{
	unsigned int i;

	for (i = 0; i < pk->nnotes; i++) {
		const struct smtp_note *n = &pk->notes[i];

		smtp_event_send(pk->net, pk->ct, pk->dir, n->rule, n->action, n->detail);
		smtp_note_log(pk->ct, n);
	}
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
	u16 bits = other == IP_CT_DIR_ORIGINAL ?
		   SC_RW_CLIENT | SC_TR_CLIENT | SC_EOD_TAIL : SC_RW_SERVER;

	if ((sc->p.user & bits) && (sc->p.user & smtp_seq_known_bit(other)) &&
	    (s32)(ack - sc->next_seq[other]) >= 0)
		sc->p.user &= ~bits;
}

/*
 * A reset or dropped connection stays in the table, dropping everything but
 * RSTs (ours and the peers'), until neither end has sent anything for this
 * long: longer than MTAs wait for an idle peer (postfix, exim: 300 s), so
 * its peers are gone before a packet could start a new, unjudged entry.
 */
#define SMTP_DEAD_TIMEOUT	(600 * HZ)

/* A dead entry stays 600 s after its last packet, whatever TCP tracking set. */
static void smtp_hold_dead(struct nf_conn *ct)
{
	WRITE_ONCE(ct->timeout, nfct_time_stamp + SMTP_DEAD_TIMEOUT);
}

/* The receiver cannot take a byte this far beyond the last one we saw. */
static u32 smtp_recv_window(const struct nf_conn *ct, int dir)
{
	u32 win = ct->proto.tcp.seen[!dir].td_maxwin;

	return max_t(u32, win, 65535);
}

/* A SYN or SYN-ACK: only the handshake's own set where a direction starts. */
static bool smtp_syn(struct smtp_pkt *pk, const struct tcphdr *th, u32 seq,
		     int dir, bool first)
{
	struct smtp_conn *sc = pk->sc;
	u16 known = smtp_seq_known_bit(dir);
	bool honour;

	if (dir == IP_CT_DIR_ORIGINAL)
		honour = first && !th->ack;
	else	/* the SYN-ACK to the client's SYN and any data it took */
		honour = th->ack && !(sc->p.user & known) &&
			 (sc->p.user & SC_SEQ_CLIENT) &&
			 (s32)(ntohl(th->ack_seq) - sc->next_seq[IP_CT_DIR_ORIGINAL]) <= 0;
	if (!honour) {
		/* a retransmitted handshake packet is not stray */
		if (!(sc->p.user & known) || seq + 1 != sc->next_seq[dir])
			smtp_stat_inc(pk->st, NFSMTP_STAT_STRAY_SYN);
		return false;
	}
	sc->next_seq[dir] = seq + 1;
	sc->p.user |= known;
	return true;
}

/*
 * A new connection on the ports of a finished one, as conntrack saw it.
 * Conntrack ignores its SYN while the old entry waits in LAST_ACK (or in
 * TIME_WAIT or CLOSE without a close of its own) and takes the server's
 * SYN-ACK to it as the start of a new connection: SYN_RECV after that.  A
 * SYN on an entry still in its handshake, or without state, moves it to
 * SYN_SENT.  The server reads a new session from its first byte; the old
 * one's view would hide it.  The handshake's own SYN or SYN-ACK sent again
 * is no new connection.
 */
static bool smtp_reopened(const struct nf_conn *ct, const struct tcphdr *th,
			  u32 seq, int dir, const struct smtp_conn *sc)
{
	u16 known = smtp_seq_known_bit(dir);

	if (!th->syn)
		return false;
	if (dir == IP_CT_DIR_ORIGINAL)
		return !th->ack && ct->proto.tcp.state == TCP_CONNTRACK_SYN_SENT &&
		       (!(sc->p.user & known) || seq + 1 != sc->next_seq[dir]);
	return th->ack && ct->proto.tcp.state == TCP_CONNTRACK_SYN_RECV &&
	       (sc->p.user & known) && seq + 1 != sc->next_seq[dir];
}

/* ---- the helper --------------------------------------------------------- */

/* A packet of a reset or dropped connection. */
static int smtp_dead(struct smtp_pkt *pk, const struct tcphdr *th, int dir,
		     bool *forget)
{
	if (th->syn && !th->ack && dir == IP_CT_DIR_ORIGINAL) {
		/* a new connection on the same ports: start it afresh */
		*forget = true;
		return NF_DROP;
	}
	/* TCP tracking gave a RST the CLOSE timeout (10 s): the mark must outlive it */
	smtp_hold_dead(pk->ct);
	if (th->rst)
		return NF_ACCEPT;
	smtp_stat_inc(pk->st, NFSMTP_STAT_DEAD_PACKETS);
	return NF_DROP;
}

/* Urgent data: receivers without SO_OOBINLINE take the byte out of the stream. */
static void smtp_urgent(struct smtp_pkt *pk)
{
	u8 action = pk->prof->act[NFSMTP_RULE_URGENT];

	smtp_stat_inc(pk->st, NFSMTP_STAT_URGENT);
	if (action == NFSMTP_ACTION_MASK) {
		pk->clear_urg = true;
		smtp_act(pk, NFSMTP_RULE_URGENT, action, "URG",
			 "urgent flag cleared: the receiver reads the byte in line, as the helper does");
		return;
	}
	smtp_act(pk, NFSMTP_RULE_URGENT, action, "URG",
		 action == NFSMTP_ACTION_LOG ?
		 "the receiver drops the urgent byte from the stream, the helper does not" :
		 "urgent data refused");
}

/*
 * Where this segment's bytes go in the stream.  Returns how many leading
 * bytes were seen before (they were judged again), or -1 when the segment
 * is not to be parsed at all (pk->verdict may say why).
 */
static int smtp_place(struct smtp_pkt *pk, u32 seq, unsigned int dataoff,
		      unsigned int datalen, int dir)
{
	struct smtp_conn *sc = pk->sc;
	u16 known = smtp_seq_known_bit(dir);
	unsigned int skip;
	s32 rel;

	if (!(sc->p.user & known)) {
		/* this direction's handshake went by unseen: start where we are */
		sc->next_seq[dir] = seq;
		sc->p.user |= known;
		if (smtp_parser_synced(&sc->p, SMTP_DIR_CLIENT))
			smtp_parser_gap(&sc->p);
	}
	rel = (s32)(seq - sc->next_seq[dir]);
	if (rel > 0) {
		if ((u32)rel > smtp_recv_window(pk->ct, dir)) {
			/* the receiver drops it: so must our view of the stream */
			smtp_stat_inc(pk->st, NFSMTP_STAT_OUT_OF_WINDOW);
			return -1;
		}
		if (pk->prof->out_of_order == NFSMTP_OOO_DROP) {
			/* the sender resends the missing bytes, then this */
			smtp_stat_inc(pk->st, NFSMTP_STAT_OOO_DROPPED);
			pk->verdict = SMTP_DROP_SEGMENT;
			return -1;
		}
		/* bytes before this segment never went by: resynchronise */
		smtp_stat_inc(pk->st, NFSMTP_STAT_GAPS);
		smtp_parser_gap(&sc->p);
		return 0;
	}
	if (rel == 0)
		return 0;
	skip = min_t(u32, -rel, datalen);
	pk->new_off = dataoff;
	smtp_fixup_retransmit(pk, sc, dataoff, skip, -rel);
	if (skip == datalen || pk->verdict != SMTP_PASS)
		return -1;
	return skip;
}

/* Parse what the packet brings under the connection's profile (ct->lock held). */
static void smtp_packet(struct smtp_pkt *pk, const struct tcphdr *th, u32 seq,
			unsigned int dataoff, unsigned int datalen, int dir,
			bool first)
{
	struct smtp_conn *sc = pk->sc;
	struct smtp_sink sink;
	int skip;

	if (th->ack)
		smtp_ack_seen(sc, !dir, ntohl(th->ack_seq));
	if ((th->fin || th->rst) && !(sc->p.user & SC_ENDED)) {
		/* how the session ended: the figures for an MTA-STS or TLS-RPT rollout */
		sc->p.user |= SC_ENDED;
		smtp_stat_inc(pk->st, smtp_parser_tls(&sc->p) ? NFSMTP_STAT_ENDED_TLS :
			      smtp_parser_starttls_offered(&sc->p) ?
			      NFSMTP_STAT_ENDED_PLAIN_OFFERED : NFSMTP_STAT_ENDED_PLAIN);
	}
	if (th->rst) {
		/* a receiver never reads a RST's payload: neither do we */
		if (datalen)
			smtp_stat_inc(pk->st, NFSMTP_STAT_RST_DATA);
		return;
	}
	if (th->syn) {
		if (!smtp_syn(pk, th, seq, dir, first) || !datalen)
			return;
		/* TCP Fast Open: data on the SYN, from the sequence after it */
		smtp_stat_inc(pk->st, NFSMTP_STAT_SYN_DATA);
		if (pk->prof->out_of_order == NFSMTP_OOO_DROP) {
			/* the client resends the SYN without data, then the data */
			pk->verdict = SMTP_DROP_SEGMENT;
			return;
		}
		seq++;
	}
	if (th->urg)
		smtp_urgent(pk);
	if (!datalen || pk->verdict != SMTP_PASS)
		return;
	skip = smtp_place(pk, seq, dataoff, datalen, dir);
	if (skip < 0)
		return;
	sc->next_seq[dir] = seq + datalen;
	pk->new_off = dataoff + skip;
	smtp_fixup_sink(pk, &sink);
	smtp_feed(sc, pk, dataoff + skip, dataoff + datalen, &sink);
	if (pk->dir == SMTP_DIR_CLIENT && pk->verdict == SMTP_PASS)
		smtp_fixup_open_verb(pk, sc);
}

/*
 * The session's start: the first packet since assignment (from the
 * handshake, or mid-stream), or a new connection on a finished one's entry.
 * Returns true when this packet starts it.
 */
static bool smtp_start(struct smtp_pkt *pk, const struct smtp_config *cfg,
		       const struct tcphdr *th, int dir)
{
	struct smtp_conn *sc = pk->sc;
	bool reopened = false;

	if (sc->p.user & SC_STARTED) {
		if (!smtp_reopened(pk->ct, th, ntohl(th->seq), dir, sc))
			return false;
		smtp_stat_inc(pk->st, NFSMTP_STAT_REOPENED);
		reopened = true;
	}
	smtp_stat_inc(pk->st, NFSMTP_STAT_SESSIONS);
	if (reopened || (th->syn && !th->ack && dir == IP_CT_DIR_ORIGINAL)) {
		smtp_parser_init(&sc->p);
	} else {
		smtp_parser_init_pickup(&sc->p);
		smtp_stat_inc(pk->st, NFSMTP_STAT_PICKUPS);
	}
	sc->p.user = SC_STARTED | smtp_pick_profile(cfg, pk->ct) << SC_PROFILE_SHIFT;
	if (reopened && dir == IP_CT_DIR_REPLY) {
		/* the SYN it answers went by as stray: the client starts after it */
		sc->next_seq[IP_CT_DIR_ORIGINAL] = ntohl(th->ack_seq);
		sc->p.user |= SC_SEQ_CLIENT;
	}
	return true;
}

/* One TCP segment of the connection, under its profile; returns the verdict. */
static int smtp_segment(struct smtp_pkt *pk, const struct tcphdr *th,
			unsigned int protoff, unsigned int dataoff,
			unsigned int datalen, int dir)
{
	struct smtp_net *sn = smtp_pernet(pk->net);
	struct smtp_conn *sc = pk->sc;
	struct nf_conn *ct = pk->ct;
	const struct smtp_config *cfg;
	unsigned int profile;
	int verdict = NF_ACCEPT;
	bool first = false, forget = false;
	struct smtp_stats *st;

	spin_lock_bh(&ct->lock);
	cfg = rcu_dereference(sn->cfg);	/* callers hold rcu_read_lock */
	st = this_cpu_ptr(sn->stats);
	pk->st = st;
	u64_stats_update_begin(&st->syncp);

	smtp_stat_add(st, dir == IP_CT_DIR_ORIGINAL ? NFSMTP_STAT_PKTS_ORIG :
		 NFSMTP_STAT_PKTS_REPLY, 1);
	smtp_stat_add(st, dir == IP_CT_DIR_ORIGINAL ? NFSMTP_STAT_BYTES_ORIG :
		 NFSMTP_STAT_BYTES_REPLY, datalen);

	if (sc->p.user & SC_DEAD) {
		verdict = smtp_dead(pk, th, dir, &forget);
		goto out;
	}
	first = smtp_start(pk, cfg, th, dir);
	profile = (sc->p.user & SC_PROFILE_MASK) >> SC_PROFILE_SHIFT;
	pk->prof = &cfg->prof[profile];

	smtp_packet(pk, th, ntohl(th->seq), dataoff, datalen, dir, first);

	if (pk->nrw)
		sc->p.user |= pk->dir == SMTP_DIR_CLIENT ? SC_RW_CLIENT : SC_RW_SERVER;
	if (pk->overflow)
		pk->verdict = SMTP_RESET_CONN;
	switch (pk->verdict) {
	case SMTP_DROP_SEGMENT:
		verdict = NF_DROP;
		break;
	case SMTP_DROP_CONN:
		smtp_stat_add(st, NFSMTP_STAT_DROPS, 1);
		verdict = NF_DROP;
		fallthrough;
	case SMTP_RESET_CONN:
		if (pk->verdict == SMTP_RESET_CONN)
			smtp_stat_add(st, NFSMTP_STAT_RESETS, 1);
		sc->p.user |= SC_DEAD;
		smtp_hold_dead(ct);
		break;
	}
out:
	u64_stats_update_end(&st->syncp);
	spin_unlock_bh(&ct->lock);

	smtp_announce(pk);
	if (forget) {
		nf_ct_kill(ct);
		return NF_DROP;
	}
	/* outside the lock: a RST we send comes back through this helper */
	if (pk->verdict == SMTP_RESET_CONN) {
		verdict = smtp_fixup_reset(pk, protoff) ? NF_DROP : NF_ACCEPT;
		/*
		 * nf_send_reset() moved the entry to CLOSE with TCP's 10 s
		 * timeout (nf_ct_set_closing); dead entries outlive that
		 */
		smtp_hold_dead(ct);
		return verdict;
	}
	if (verdict == NF_ACCEPT && smtp_fixup_apply(pk, protoff))
		verdict = NF_DROP;	/* never let the unmasked bytes out */
	return verdict;
}

static int smtp_help(struct sk_buff *skb, unsigned int protoff,
		     struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	struct net *net = nf_ct_net(ct);
	struct smtp_conn *sc = nf_smtp_help_data(ct);
	int dir = CTINFO2DIR(ctinfo);
	struct smtp_rewrite stack_rw[SMTP_STACK_REWRITES];
	struct smtp_pkt pk = {
		.net = net, .ct = ct, .sc = sc, .skb = skb,
		.dir = dir == IP_CT_DIR_ORIGINAL ? SMTP_DIR_CLIENT : SMTP_DIR_SERVER,
		.rw = stack_rw, .rw_max = SMTP_STACK_REWRITES,
	};
	struct smtp_scratch *scratch;
	unsigned int dataoff;
	const struct tcphdr *th;
	struct tcphdr _th;
	int verdict;

	if (WARN_ON_ONCE(!sc))
		return NF_ACCEPT;	/* only entries with a helper area get here */
	/*
	 * Only the connection's own TCP segments: an ICMP error that quotes
	 * one arrives RELATED, and its bytes are no TCP header of ours.
	 */
	if (ctinfo != IP_CT_ESTABLISHED && ctinfo != IP_CT_ESTABLISHED_REPLY &&
	    ctinfo != IP_CT_NEW) {
		smtp_stat_count(net, NFSMTP_STAT_RELATED_IGNORED);
		return NF_ACCEPT;
	}
	th = skb_header_pointer(skb, protoff, sizeof(_th), &_th);
	if (!th)
		return NF_ACCEPT;
	dataoff = protoff + th->doff * 4;
	if (dataoff > skb->len)
		return NF_ACCEPT;

	local_bh_disable();
	scratch = this_cpu_ptr(smtp_scratch);
	if (!scratch->busy) {
		scratch->busy = true;
		pk.rw = scratch->rw;
		pk.rw_max = SMTP_MAX_REWRITES;
	}
	verdict = smtp_segment(&pk, th, protoff, dataoff, skb->len - dataoff, dir);
	if (pk.rw == scratch->rw)
		scratch->busy = false;
	local_bh_enable();
	return verdict;
}

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

	smtp_scratch = alloc_percpu(struct smtp_scratch);
	if (!smtp_scratch)
		return -ENOMEM;
	ret = smtp_net_register();
	if (ret < 0)
		goto free_scratch;
	ret = smtp_netlink_init();
	if (ret < 0) {
		smtp_net_unregister();
		goto free_scratch;
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
		smtp_net_unregister();
		goto free_scratch;
	}
	return 0;
free_scratch:
	free_percpu(smtp_scratch);
	return ret;
}

static void __exit nf_conntrack_smtp_fini(void)
{
	/*
	 * Readers are drained first.  Entries using the helper are unhelped;
	 * from 7.3 they keep the core's copy, with ->help cleared.
	 */
	nf_smtp_helpers_unregister(smtp_helpers_reg, smtp_helpers_n);
	smtp_netlink_exit();
	smtp_net_unregister();
	free_percpu(smtp_scratch);
}

module_init(nf_conntrack_smtp_init);
module_exit(nf_conntrack_smtp_fini);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SMTP connection tracking helper with ESMTP fixup");
MODULE_VERSION("0.1");
MODULE_ALIAS_NFCT_HELPER("smtp");
