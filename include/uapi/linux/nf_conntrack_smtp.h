/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nf_conntrack_smtp: the SMTP conntrack helper's userspace ABI, shared by the
 * module and the nfsmtp tool.
 *
 * The generic netlink family "nf_smtp" (commands, attributes, counters and the
 * enums of their values) is <linux/nf_smtp.h>, which scripts/gen-netlink.sh
 * writes from userspace/nfsmtp/nf_smtp.yaml with the kernel's YNL generator.
 * This header adds what that generator cannot write: the defines the spec
 * names as its consts (YNL 6.12 would prefix them NF_SMTP_), and the helper
 * info of ctnetlink, which is no part of the family.
 */
#ifndef _UAPI_LINUX_NF_CONNTRACK_SMTP_H
#define _UAPI_LINUX_NF_CONNTRACK_SMTP_H

#include <linux/nf_smtp.h>

#define NFSMTP_PROFILES		8	/* numbered profiles per namespace */
#define NFSMTP_LINE_MAX_LIMIT	8000	/* largest line limit the parser can count */

/* every bit of enum nfsmtp_kw: what NFSMTP_A_EHLO_MASK may hold */
#define NFSMTP_KW_ALL ((1U << __NFSMTP_KW_MAX) - 1)
/* every bit of enum nfsmtp_mime_enc: what NFSMTP_A_MIME_ENCODING may hold */
#define NFSMTP_MIME_ENC_ALL ((1U << __NFSMTP_MIME_ENC_MAX) - 1)

/*
 * Helper info: the per-connection state in CTA_HELP_INFO of a ctnetlink
 * conntrack entry whose helper is "smtp" (dumps, events, and entries created
 * or updated through ctnetlink, as conntrackd does on a backup gateway).
 * CTA_HELP_INFO holds these attributes, each exactly once and of exactly its
 * size; anything else is refused whole.  Version 2 carries the parser state
 * in the module's own layout: both gateways of a pair run the same module
 * build.  A connection not yet started (no packet seen) has flags 0 and
 * everything else 0.  The kernel ignores a refusal's error (Linux 6.1 to
 * 7.3): a created entry then starts as if it had no helper info (mid-stream
 * pickup at its first packet), an updated one keeps its state.
 */
#define NFSMTP_HELPINFO_VERSION	2
#define NFSMTP_HELPINFO_PARSER_LEN	24

enum nfsmtp_helpinfo_attr {
	NFSMTP_HI_UNSPEC,
	NFSMTP_HI_VERSION,	/* u32: NFSMTP_HELPINFO_VERSION */
	NFSMTP_HI_PROFILE,	/* u8: the policy profile, 0..7 */
	NFSMTP_HI_FLAGS,	/* u32: NFSMTP_HIF_* */
	NFSMTP_HI_PARSER,	/* binary, NFSMTP_HELPINFO_PARSER_LEN: the parser state */
	NFSMTP_HI_SEQ,		/* binary: u32 next sequence number client, server (0: unknown) */
	__NFSMTP_HI_MAX
};

#define NFSMTP_HI_MAX (__NFSMTP_HI_MAX - 1)

#define NFSMTP_HIF_STARTED	0x1	/* a packet was seen: the state below is live */
#define NFSMTP_HIF_TLS		0x2	/* handed off to TLS: nothing is parsed any more */
#define NFSMTP_HIF_DROPPED	0x4	/* reset or dropped: every packet but a RST is dropped */
#define NFSMTP_HIF_OFFERED	0x8	/* the server offered STARTTLS in an EHLO reply */
#define NFSMTP_HIF_ALL		0xf

#endif /* _UAPI_LINUX_NF_CONNTRACK_SMTP_H */
