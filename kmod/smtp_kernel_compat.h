/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels the helper is built for:
 * Debian bookworm 6.1, trixie 6.12 and trixie-backports/sid 7.x.  Every
 * version check of the module lives here, but for the parser's choice of
 * <linux/unaligned.h> (6.12) or <asm/unaligned.h>: it includes no module
 * header.  Each shim names the kernel and the change it covers.  APIs
 * found unchanged from 6.1 to 7.3 (and used as is):
 * inet_proto_csum_replace_by_diff() with its ipv6 argument,
 * skb_prepare_seq_read()/skb_seq_read(), u64_stats_t, nf_send_reset() and
 * nf_send_reset6(), u32 ct->timeout with nfct_time_stamp, genl_small_ops
 * (resv_start_op left 0: strict validation), proc_create_net_single().
 */
#ifndef _SMTP_KERNEL_COMPAT_H
#define _SMTP_KERNEL_COMPAT_H

#include <linux/version.h>
#include <net/netfilter/nf_conntrack_helper.h>

/* The only use of LINUX_VERSION_CODE in the module. */
#define NF_SMTP_KERNEL_AT_LEAST(major, minor) \
	(KERNEL_VERSION(major, minor, 0) <= LINUX_VERSION_CODE)

/*
 * 7.3: helpers bind to no port.  struct nf_conntrack_helper lost its tuple
 * and nf_ct_helper_init() its default_port, spec_port and id arguments;
 * helpers are found by name only (nft "ct helper", iptables CT --helper),
 * so a second helper of the same name and family is -EBUSY.  The
 * expect_policy pointer became an array that nf_ct_helper_init() copies.
 * Before 7.3 a helper for port spec_port != default_port is named
 * "<name>-<id>".
 */
#if NF_SMTP_KERNEL_AT_LEAST(7, 3)
#define NF_SMTP_HELPER_PORTS	0
#else
#define NF_SMTP_HELPER_PORTS	1
#endif

static inline void
nf_smtp_helper_init(struct nf_conntrack_helper *helper, u16 l3num,
		    const char *name, u16 default_port, u16 port,
		    unsigned int id,
		    const struct nf_conntrack_expect_policy *exp_pol,
		    int (*help)(struct sk_buff *skb, unsigned int protoff,
				struct nf_conn *ct,
				enum ip_conntrack_info ctinfo))
{
#if NF_SMTP_HELPER_PORTS
	nf_ct_helper_init(helper, l3num, IPPROTO_TCP, name, default_port,
			  port, id, exp_pol, 0, help, NULL, THIS_MODULE);
#else
	nf_ct_helper_init(helper, l3num, IPPROTO_TCP, name, exp_pol, 0, help,
			  NULL, THIS_MODULE);
#endif
}

/*
 * 7.2: the core registers a copy of each helper that it allocates itself
 * (nf_conntrack_helpers_register(h, n, out) returns the copies through
 * out[]) and unregisters by the copies; it frees a copy only when the last
 * conntrack entry using it is gone, possibly after our module is (7.3:
 * rmmod succeeds while entries still show the helper; the core clears
 * ->help but not ->destroy, so the helper must not set ->destroy).
 * Before 7.2 the caller's structures are registered; reg[] then points at
 * them, so callers use reg[] alike.
 */
static inline int nf_smtp_helpers_register(struct nf_conntrack_helper *h,
					   unsigned int n,
					   struct nf_conntrack_helper **reg)
{
#if NF_SMTP_KERNEL_AT_LEAST(7, 2)
	return nf_conntrack_helpers_register(h, n, reg);
#else
	unsigned int i;
	int ret;

	ret = nf_conntrack_helpers_register(h, n);
	for (i = 0; i < n; i++)
		reg[i] = ret < 0 ? NULL : &h[i];
	return ret;
#endif
}

static inline void nf_smtp_helpers_unregister(struct nf_conntrack_helper **reg,
					      unsigned int n)
{
#if NF_SMTP_KERNEL_AT_LEAST(7, 2)
	nf_conntrack_helpers_unregister(reg, n);
#else
	/* the registered structures form one array from reg[0] */
	nf_conntrack_helpers_unregister(reg[0], n);
#endif
}

/*
 * 7.3: nfct_help_data() returns NULL for an entry without a helper
 * extension; before, it returned an offset from NULL.  The helper is only
 * called for entries that have one: read the area through nfct_help() so
 * the NULL check means the same on every kernel.
 */
static inline void *nf_smtp_help_data(const struct nf_conn *ct)
{
	struct nf_conn_help *help = nfct_help(ct);

	return help ? (void *)help->data : NULL;
}

#endif /* _SMTP_KERNEL_COMPAT_H */
