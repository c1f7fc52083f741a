// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace state of the SMTP helper: the policy's defaults,
 * the per-CPU counters and their names in /proc/net/nf_conntrack_smtp.
 * The layer above the parser: the policy, netlink and helper-info code use
 * it, the packet path uses all of them, and nothing here calls up.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/u64_stats_sync.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/nf_conntrack_smtp.h>
#include <nf_smtp_names.h>

#include "smtp_net.h"

static const char *const smtp_stat_names[__NFSMTP_STAT_MAX] = NFSMTP_STAT_NAMES;

static unsigned int smtp_net_id __read_mostly;

struct smtp_net *smtp_pernet(const struct net *net)
{
	return net_generic(net, smtp_net_id);
}

/*
 * Counters.  The packet path holds ct->lock with BH off and has opened this
 * CPU's u64_stats section: smtp_stat_add() and smtp_stat_inc() write inside
 * it.  Anything else (an ICMP error, a refused helper info from ctnetlink)
 * uses smtp_stat_count(), which makes the section itself.
 */
void smtp_stat_add(struct smtp_stats *st, enum nfsmtp_stat i, u64 v)
{
	u64_stats_add(&st->c[i], v);
}

void smtp_stat_inc(struct smtp_stats *st, enum nfsmtp_stat i)
{
	u64_stats_inc(&st->c[i]);
}

void smtp_stat_count(struct net *net, enum nfsmtp_stat i)
{
	struct smtp_stats *st;

	local_bh_disable();
	st = this_cpu_ptr(smtp_pernet(net)->stats);
	u64_stats_update_begin(&st->syncp);
	u64_stats_inc(&st->c[i]);
	u64_stats_update_end(&st->syncp);
	local_bh_enable();
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

/* The transparent default: nothing is rewritten or dropped. */
static void smtp_profile_default(struct smtp_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->starttls = NFSMTP_STARTTLS_ALLOW;
	p->banner = NFSMTP_BANNER_KEEP;
	p->commands = NFSMTP_COMMANDS_ALL;
	p->act[NFSMTP_RULE_COMMAND] = NFSMTP_ACTION_MASK;
	p->act[NFSMTP_RULE_CMD_LINE] = NFSMTP_ACTION_RESET;
	p->act[NFSMTP_RULE_RCPT] = NFSMTP_ACTION_MASK;
	p->act[NFSMTP_RULE_HEADER_LINE] = NFSMTP_ACTION_RESET;
	p->act[NFSMTP_RULE_BODY_LINE] = NFSMTP_ACTION_LOG;
	p->act[NFSMTP_RULE_DUP_HEADERS] = NFSMTP_ACTION_OFF;
	/* evidence without touching a byte: README says why not reset */
	p->act[NFSMTP_RULE_SMUGGLING] = NFSMTP_ACTION_LOG;
	p->act[NFSMTP_RULE_BARE_NEWLINE] = NFSMTP_ACTION_OFF;
	/* pipelined plaintext after STARTTLS is an attack (CVE-2011-0411) */
	p->act[NFSMTP_RULE_STARTTLS_INJECTION] = NFSMTP_ACTION_RESET;
	/* what the parser cannot follow passes, counted: fail closed is opt-in */
	p->act[NFSMTP_RULE_LOST_SYNC] = NFSMTP_ACTION_LOG;
	p->act[NFSMTP_RULE_URGENT] = NFSMTP_ACTION_LOG;
	/* a byte breaking TLS framing after STARTTLS is never traffic: README says why reset */
	p->act[NFSMTP_RULE_TLS_FRAMING] = NFSMTP_ACTION_RESET;
	p->act[NFSMTP_RULE_REQUIRE_TLS] = NFSMTP_ACTION_OFF;
	/* ASA's sender-address length action; the limit itself is off */
	p->act[NFSMTP_RULE_SENDER] = NFSMTP_ACTION_DROP;
	p->act[NFSMTP_RULE_SPECIAL_CHAR] = NFSMTP_ACTION_OFF;
	p->act[NFSMTP_RULE_INVALID_RCPT] = NFSMTP_ACTION_DROP;
	p->act[NFSMTP_RULE_TO_FIELDS] = NFSMTP_ACTION_MASK;
	p->act[NFSMTP_RULE_HEADER_SECTION] = NFSMTP_ACTION_DROP;
	p->act[NFSMTP_RULE_MESSAGE] = NFSMTP_ACTION_DROP;
	/* the list is empty: any domain; a listed one makes foreign RCPTs 500 */
	p->act[NFSMTP_RULE_MAIL_RELAY] = NFSMTP_ACTION_MASK;
	/* no encoding is listed: a listed one drops, as ASA's drop-connection */
	p->act[NFSMTP_RULE_MIME_ENCODING] = NFSMTP_ACTION_DROP;
	/* ASA's mime filename length and filetype actions; the checks are off */
	p->act[NFSMTP_RULE_MIME_FILENAME] = NFSMTP_ACTION_DROP;
	p->act[NFSMTP_RULE_MIME_FILETYPE] = NFSMTP_ACTION_DROP;
	/* a BDAT message those rules cannot judge: said, by default */
	p->act[NFSMTP_RULE_BDAT_UNJUDGED] = NFSMTP_ACTION_LOG;
	/* SIZE= is an estimate (RFC 1870): a message over it is said, by default */
	p->act[NFSMTP_RULE_SIZE_EXCESS] = NFSMTP_ACTION_LOG;
	p->out_of_order = NFSMTP_OOO_PASS;
}

/* ---- /proc/net/nf_conntrack_smtp and the namespace's life --------------- */

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
	struct proc_dir_entry *pde;
	struct smtp_config *cfg;
	kuid_t root_uid;
	kgid_t root_gid;
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
	pde = proc_create_net_single("nf_conntrack_smtp", 0440, net->proc_net,
				     smtp_stat_show, NULL);
	if (!pde)
		goto nomem;
	/* readable by the namespace owner's root, as /proc/net/nf_conntrack */
	root_uid = make_kuid(net->user_ns, 0);
	root_gid = make_kgid(net->user_ns, 0);
	if (uid_valid(root_uid) && gid_valid(root_gid))
		proc_set_user(pde, root_uid, root_gid);
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

int smtp_net_register(void)
{
	return register_pernet_subsys(&smtp_net_ops);
}

void smtp_net_unregister(void)
{
	unregister_pernet_subsys(&smtp_net_ops);
}
