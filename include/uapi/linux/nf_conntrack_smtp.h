/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nf_conntrack_smtp: the SMTP conntrack helper's userspace ABI, shared by the
 * module and the nfsmtp tool.
 */
#ifndef _UAPI_LINUX_NF_CONNTRACK_SMTP_H
#define _UAPI_LINUX_NF_CONNTRACK_SMTP_H

/* Counters, per network namespace (per CPU in the kernel, summed on read). */
enum nfsmtp_stat {
	NFSMTP_STAT_SESSIONS,		/* connections the helper was assigned to */
	NFSMTP_STAT_PKTS_ORIG,		/* packets client -> server */
	NFSMTP_STAT_PKTS_REPLY,		/* packets server -> client */
	NFSMTP_STAT_BYTES_ORIG,		/* TCP payload bytes client -> server */
	NFSMTP_STAT_BYTES_REPLY,	/* TCP payload bytes server -> client */
	NFSMTP_STAT_COMMANDS,		/* client command lines */
	NFSMTP_STAT_REPLIES,		/* server replies (complete) */
	NFSMTP_STAT_MESSAGES,		/* messages ended (DATA or BDAT LAST) */
	NFSMTP_STAT_STARTTLS_SEEN,	/* STARTTLS commands */
	NFSMTP_STAT_STARTTLS_ALLOWED,	/* STARTTLS let through */
	NFSMTP_STAT_STARTTLS_STRIPPED,	/* STARTTLS commands or keywords masked */
	NFSMTP_STAT_TLS_HANDOFF,	/* sessions that went TLS: parsing stopped */
	NFSMTP_STAT_CMDS_MASKED,	/* client commands masked by the allow-list */
	NFSMTP_STAT_BANNERS_MASKED,	/* greeting lines masked */
	NFSMTP_STAT_EHLO_KW_MASKED,	/* EHLO keywords masked */
	NFSMTP_STAT_LIMIT_HITS,		/* line length or recipient limits hit */
	NFSMTP_STAT_DUP_HEADERS,	/* repeated singleton header fields */
	NFSMTP_STAT_SMUGGLING,		/* non-canonical end-of-data sequences */
	NFSMTP_STAT_BARE_NEWLINES,	/* bare CR or LF in DATA */
	NFSMTP_STAT_INJECTION,		/* bytes pipelined after STARTTLS, or after its 220 */
	NFSMTP_STAT_RESETS,		/* connections reset by an action */
	NFSMTP_STAT_DROPS,		/* connections dropped by an action */
	NFSMTP_STAT_LOST_SYNC,		/* sessions the parser lost track of */
	NFSMTP_STAT_PICKUPS,		/* sessions joined mid-stream */
	NFSMTP_STAT_RESYNCS,		/* directions followed again after lost sync */
	NFSMTP_STAT_GAPS,		/* segments beyond a hole in the stream */
	NFSMTP_STAT_RETRANS,		/* segments carrying bytes already seen */
	__NFSMTP_STAT_MAX
};
#define NFSMTP_STAT_MAX (__NFSMTP_STAT_MAX - 1)

#endif /* _UAPI_LINUX_NF_CONNTRACK_SMTP_H */
