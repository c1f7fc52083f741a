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
	NFSMTP_STAT_SYNC_REFUSED,	/* helper states from ctnetlink refused */
	NFSMTP_STAT_RELATED_IGNORED,	/* ICMP errors quoting a connection: never read as TCP */
	NFSMTP_STAT_STRAY_SYN,		/* SYNs after the session started: ignored */
	NFSMTP_STAT_SYN_DATA,		/* SYNs carrying data (TCP Fast Open) */
	NFSMTP_STAT_RST_DATA,		/* RSTs carrying data: not read (receivers drop it) */
	NFSMTP_STAT_OUT_OF_WINDOW,	/* segments beyond the receiver's window: not read */
	NFSMTP_STAT_URGENT,		/* segments with urgent data (URG) */
	NFSMTP_STAT_OOO_DROPPED,	/* segments ahead of the next byte, dropped */
	NFSMTP_STAT_RETRANS_MISMATCH,	/* retransmissions that may differ where it matters */
	NFSMTP_STAT_DEAD_PACKETS,	/* packets of reset or dropped connections, dropped */
	NFSMTP_STAT_EVENTS_SUPPRESSED,	/* events and log lines over the per-message budget */
	NFSMTP_STAT_REPLY_MISMATCH,	/* replies showing the server read a command otherwise */
	NFSMTP_STAT_TLS_FRAMING,	/* bytes after STARTTLS that break the TLS record framing */
	NFSMTP_STAT_REQUIRE_TLS,	/* MAIL, RCPT, AUTH, DATA, BDAT before TLS (require-tls) */
	NFSMTP_STAT_UPSTREAM_MASK,	/* a masked EHLO keyword: a box upstream strips */
	NFSMTP_STAT_STARTTLS_REFUSED,	/* STARTTLS refused by a server that offered it */
	NFSMTP_STAT_REQUIRETLS_PLAIN,	/* MAIL FROM ... REQUIRETLS in plaintext (RFC 8689) */
	NFSMTP_STAT_ENDED_TLS,		/* sessions that ended in TLS */
	NFSMTP_STAT_ENDED_PLAIN_OFFERED, /* ... in plaintext, the server offered STARTTLS */
	NFSMTP_STAT_ENDED_PLAIN,	/* ... in plaintext, STARTTLS not offered */
	NFSMTP_STAT_REOPENED,		/* new connections on a finished one's entry */
	__NFSMTP_STAT_MAX
};

#define NFSMTP_STAT_MAX (__NFSMTP_STAT_MAX - 1)

/*
 * Generic netlink family "nf_smtp".  Policy and counters are per network
 * namespace; changing policy or resetting counters needs CAP_NET_ADMIN over
 * the namespace's user namespace.  Every attribute is validated strictly.
 */
#define NFSMTP_GENL_NAME	"nf_smtp"
#define NFSMTP_GENL_VERSION	1
#define NFSMTP_MCGRP_EVENTS	"events"
#define NFSMTP_PROFILES		8	/* numbered profiles per namespace */
#define NFSMTP_LINE_MAX_LIMIT	8000	/* largest line limit the parser can count */

enum nfsmtp_cmd {
	NFSMTP_CMD_UNSPEC,
	NFSMTP_CMD_POLICY_GET,	/* PROFILE given: that one; else a dump of all */
	NFSMTP_CMD_POLICY_SET,	/* PROFILE (default 0) plus the attributes to change */
	NFSMTP_CMD_STATS_GET,
	NFSMTP_CMD_STATS_RESET,
	NFSMTP_CMD_EVENT,	/* multicast on "events": an action the helper took */
	__NFSMTP_CMD_MAX
};

#define NFSMTP_CMD_MAX (__NFSMTP_CMD_MAX - 1)

enum nfsmtp_starttls {
	NFSMTP_STARTTLS_ALLOW,	/* default: hand the session to TLS, stop parsing */
	NFSMTP_STARTTLS_STRIP,	/* mask the keyword in EHLO replies and the command */
};

enum nfsmtp_banner {
	NFSMTP_BANNER_KEEP,	/* default */
	NFSMTP_BANNER_MASK,	/* greeting text becomes '*', the code stays */
};

enum nfsmtp_out_of_order {
	NFSMTP_OOO_PASS,	/* default: resynchronise at a gap; the late bytes go unread */
	NFSMTP_OOO_DROP,	/* drop a segment ahead of the next byte: senders resend in order */
};

enum nfsmtp_commands {
	NFSMTP_COMMANDS_ALL,		/* default: no allow-list */
	NFSMTP_COMMANDS_ESMTP,		/* the verbs of RFC 5321 and its extensions we know */
	NFSMTP_COMMANDS_MAILGUARD,	/* HELO MAIL RCPT DATA RSET NOOP QUIT, as PIX */
};

/* What happens on a violation; not every rule takes every action. */
enum nfsmtp_action {
	NFSMTP_ACTION_OFF,	/* rule not enforced */
	NFSMTP_ACTION_LOG,	/* count, event, log line; bytes unchanged */
	NFSMTP_ACTION_MASK,	/* rewrite in place, same length */
	NFSMTP_ACTION_DROP,	/* drop the connection's packets silently, forget it */
	NFSMTP_ACTION_RESET,	/* TCP RST to both ends, forget the connection */
	__NFSMTP_ACTION_MAX
};

/* The rules an event or action names. */
enum nfsmtp_rule {
	NFSMTP_RULE_STARTTLS,		/* STARTTLS keyword or command stripped */
	NFSMTP_RULE_EHLO_MASK,		/* EHLO keyword masked */
	NFSMTP_RULE_BANNER,		/* greeting masked */
	NFSMTP_RULE_COMMAND,		/* command outside the allow-list */
	NFSMTP_RULE_CMD_LINE,		/* command line longer than cmd-line-max */
	NFSMTP_RULE_RCPT,		/* more RCPTs than rcpt-max */
	NFSMTP_RULE_HEADER_LINE,	/* header line longer than header-line-max */
	NFSMTP_RULE_BODY_LINE,		/* body line longer than body-line-max */
	NFSMTP_RULE_DUP_HEADERS,	/* repeated RFC 5322 singleton field */
	NFSMTP_RULE_SMUGGLING,		/* non-canonical end of data */
	NFSMTP_RULE_BARE_NEWLINE,	/* bare CR or LF in DATA */
	NFSMTP_RULE_STARTTLS_INJECTION,	/* bytes pipelined after STARTTLS or its 220 */
	NFSMTP_RULE_LOST_SYNC,		/* the session can no longer be followed */
	NFSMTP_RULE_URGENT,		/* urgent data: a receiver drops the byte from the stream */
	NFSMTP_RULE_OUT_OF_ORDER,	/* a segment ahead of the next expected byte */
	NFSMTP_RULE_TLS_FRAMING,	/* after STARTTLS, bytes that are no TLS records */
	NFSMTP_RULE_REQUIRE_TLS,	/* a mail command before TLS started */
	NFSMTP_RULE_DOWNGRADE,		/* signs that someone else strips STARTTLS (log only) */
	__NFSMTP_RULE_MAX
};

/* EHLO keywords for NFSMTP_A_EHLO_MASK: bit (1 << NFSMTP_KW_x) */
enum nfsmtp_kw {
	NFSMTP_KW_8BITMIME,
	NFSMTP_KW_AUTH,
	NFSMTP_KW_BINARYMIME,
	NFSMTP_KW_CHUNKING,
	NFSMTP_KW_DSN,
	NFSMTP_KW_ENHANCEDSTATUSCODES,
	NFSMTP_KW_ETRN,
	NFSMTP_KW_PIPELINING,
	NFSMTP_KW_SIZE,
	NFSMTP_KW_SMTPUTF8,
	NFSMTP_KW_STARTTLS,
	NFSMTP_KW_UNKNOWN,	/* any keyword not listed above */
	__NFSMTP_KW_MAX
};

#define NFSMTP_KW_ALL ((1U << __NFSMTP_KW_MAX) - 1)

enum nfsmtp_attr {
	NFSMTP_A_UNSPEC,
	NFSMTP_A_PAD,
	NFSMTP_A_PROFILE,		/* u8: 0..7 */
	/* per profile */
	NFSMTP_A_STARTTLS,		/* u8: enum nfsmtp_starttls */
	NFSMTP_A_BANNER,		/* u8: enum nfsmtp_banner */
	NFSMTP_A_EHLO_MASK,		/* u32: keyword bits to mask */
	NFSMTP_A_COMMANDS,		/* u8: enum nfsmtp_commands */
	NFSMTP_A_CMD_LINE_MAX,		/* u16: octets with CRLF, 0 = off */
	NFSMTP_A_RCPT_MAX,		/* u16: recipients per message, 0 = off */
	NFSMTP_A_HEADER_LINE_MAX,	/* u16: octets with CRLF, 0 = off */
	NFSMTP_A_BODY_LINE_MAX,		/* u16: octets with CRLF, 0 = off */
	NFSMTP_A_ACT_COMMAND,		/* u8 actions: enum nfsmtp_action */
	NFSMTP_A_ACT_CMD_LINE,
	NFSMTP_A_ACT_RCPT,
	NFSMTP_A_ACT_HEADER_LINE,
	NFSMTP_A_ACT_BODY_LINE,
	NFSMTP_A_ACT_DUP_HEADER,	/* the dup-headers guard */
	NFSMTP_A_ACT_SMUGGLING,		/* the smuggling guard */
	NFSMTP_A_ACT_BARE_NEWLINE,
	NFSMTP_A_ACT_INJECTION,		/* the starttls-injection guard */
	/* per namespace */
	NFSMTP_A_MARK_MASK,		/* u32: ct mark bits that pick the profile */
	NFSMTP_A_MARK_SHIFT,		/* u8: right shift after masking, 0..31 */
	/* counters */
	NFSMTP_A_STATS,			/* nest of u64, type = enum nfsmtp_stat + 1 */
	/* events */
	NFSMTP_A_EV_FAMILY,		/* u8: AF_INET or AF_INET6 */
	NFSMTP_A_EV_SADDR,		/* binary: client address (original tuple) */
	NFSMTP_A_EV_DADDR,		/* binary: server address */
	NFSMTP_A_EV_SPORT,		/* u16, host order */
	NFSMTP_A_EV_DPORT,		/* u16, host order */
	NFSMTP_A_EV_RULE,		/* u8: enum nfsmtp_rule */
	NFSMTP_A_EV_ACTION,		/* u8: enum nfsmtp_action taken */
	NFSMTP_A_EV_DETAIL,		/* string: the verb, keyword or header concerned */
	NFSMTP_A_EV_DIR,		/* u8: 0 client to server, 1 server to client */
	/* per profile, later additions */
	NFSMTP_A_ACT_LOST_SYNC,		/* u8 action: what the parser cannot follow */
	NFSMTP_A_ACT_URGENT,		/* u8 action: mask clears URG and the urgent pointer */
	NFSMTP_A_OUT_OF_ORDER,		/* u8: enum nfsmtp_out_of_order */
	NFSMTP_A_ACT_TLS_FRAMING,	/* u8 action: the tls-framing guard */
	NFSMTP_A_ACT_REQUIRE_TLS,	/* u8 action: require-tls */
	__NFSMTP_A_MAX
};

#define NFSMTP_A_MAX (__NFSMTP_A_MAX - 1)

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
