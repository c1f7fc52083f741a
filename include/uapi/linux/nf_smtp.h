/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/nf_smtp.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_NF_SMTP_H
#define _UAPI_LINUX_NF_SMTP_H

#define NFSMTP_GENL_NAME	"nf_smtp"
#define NFSMTP_GENL_VERSION	7

/**
 * enum nfsmtp_stat - counters, per network namespace (per CPU in the kernel,
 *   summed on read); in the stats nest, attribute type =
 *   NFSMTP_A_STATS_SESSIONS + counter
 * @NFSMTP_STAT_SESSIONS: connections the helper was assigned to
 * @NFSMTP_STAT_PKTS_ORIG: packets client -> server
 * @NFSMTP_STAT_PKTS_REPLY: packets server -> client
 * @NFSMTP_STAT_BYTES_ORIG: TCP payload bytes client -> server
 * @NFSMTP_STAT_BYTES_REPLY: TCP payload bytes server -> client
 * @NFSMTP_STAT_COMMANDS: client command lines
 * @NFSMTP_STAT_REPLIES: server replies (complete)
 * @NFSMTP_STAT_MESSAGES: messages ended (DATA or BDAT LAST)
 * @NFSMTP_STAT_STARTTLS_SEEN: STARTTLS commands
 * @NFSMTP_STAT_STARTTLS_ALLOWED: STARTTLS let through
 * @NFSMTP_STAT_STARTTLS_STRIPPED: STARTTLS commands or keywords masked
 * @NFSMTP_STAT_TLS_HANDOFF: sessions that went TLS: parsing stopped
 * @NFSMTP_STAT_CMDS_MASKED: client commands masked by the allow-list
 * @NFSMTP_STAT_BANNERS_MASKED: greeting lines masked
 * @NFSMTP_STAT_EHLO_KW_MASKED: EHLO keywords masked
 * @NFSMTP_STAT_LIMIT_HITS: line length or recipient limits hit
 * @NFSMTP_STAT_DUP_HEADERS: repeated singleton header fields
 * @NFSMTP_STAT_SMUGGLING: non-canonical end-of-data sequences
 * @NFSMTP_STAT_BARE_NEWLINES: bare CR or LF in DATA
 * @NFSMTP_STAT_INJECTION: bytes pipelined after STARTTLS, or after its 220
 * @NFSMTP_STAT_RESETS: connections reset by an action
 * @NFSMTP_STAT_DROPS: connections dropped by an action
 * @NFSMTP_STAT_LOST_SYNC: sessions the parser lost track of
 * @NFSMTP_STAT_PICKUPS: sessions joined mid-stream
 * @NFSMTP_STAT_RESYNCS: directions followed again after lost sync
 * @NFSMTP_STAT_GAPS: segments beyond a hole in the stream
 * @NFSMTP_STAT_RETRANS: segments carrying bytes already seen
 * @NFSMTP_STAT_SYNC_REFUSED: helper states from ctnetlink refused
 * @NFSMTP_STAT_RELATED_IGNORED: ICMP errors quoting a connection: never read
 *   as TCP
 * @NFSMTP_STAT_STRAY_SYN: SYNs after the session started: ignored
 * @NFSMTP_STAT_SYN_DATA: SYNs carrying data (TCP Fast Open)
 * @NFSMTP_STAT_RST_DATA: RSTs carrying data: not read (receivers drop it)
 * @NFSMTP_STAT_OUT_OF_WINDOW: segments beyond the receiver's window: not read
 * @NFSMTP_STAT_URGENT: segments with urgent data (URG)
 * @NFSMTP_STAT_OOO_DROPPED: segments ahead of the next byte, dropped
 * @NFSMTP_STAT_RETRANS_MISMATCH: retransmissions that may differ where it
 *   matters
 * @NFSMTP_STAT_DEAD_PACKETS: packets of reset or dropped connections, dropped
 * @NFSMTP_STAT_EVENTS_SUPPRESSED: events and log lines over the per-message
 *   budget
 * @NFSMTP_STAT_REPLY_MISMATCH: replies showing the server read a command
 *   otherwise
 * @NFSMTP_STAT_TLS_FRAMING: bytes after STARTTLS that break the TLS record
 *   framing
 * @NFSMTP_STAT_REQUIRE_TLS: MAIL, RCPT, AUTH, DATA, BDAT before TLS
 *   (require-tls)
 * @NFSMTP_STAT_UPSTREAM_MASK: a masked EHLO keyword: a box upstream strips
 * @NFSMTP_STAT_STARTTLS_REFUSED: STARTTLS refused by a server that offered it
 * @NFSMTP_STAT_REQUIRETLS_PLAIN: MAIL FROM ... REQUIRETLS in plaintext (RFC
 *   8689)
 * @NFSMTP_STAT_ENDED_TLS: sessions that ended in TLS
 * @NFSMTP_STAT_ENDED_PLAIN_OFFERED: sessions that ended in plaintext, the
 *   server offered STARTTLS
 * @NFSMTP_STAT_ENDED_PLAIN: sessions that ended in plaintext, STARTTLS not
 *   offered
 * @NFSMTP_STAT_REOPENED: new connections on a finished one's entry
 * @NFSMTP_STAT_SENDER_TOO_LONG: MAIL FROM paths longer than sender-max
 * @NFSMTP_STAT_SPECIAL_CHAR: MAIL or RCPT paths with a shell metacharacter or
 *   NUL
 * @NFSMTP_STAT_INVALID_RCPT: RCPTs refused with 5xx beyond invalid-rcpt-max
 * @NFSMTP_STAT_TO_FIELDS: To fields beyond to-fields-max in a message
 * @NFSMTP_STAT_HEADER_SECTION_TOO_BIG: header sections longer than
 *   header-section-max (DATA and BDAT)
 * @NFSMTP_STAT_MESSAGE_TOO_BIG: messages longer than message-max (DATA and
 *   BDAT)
 * @NFSMTP_STAT_RELAY_DENIED: RCPTs to a domain not in mail-relay
 * @NFSMTP_STAT_MIME_ENCODING: DATA message or part headers with a transfer
 *   encoding in mime-encoding
 * @NFSMTP_STAT_MIME_FILENAME_TOO_LONG: DATA attachment file names longer than
 *   mime-filename-max
 * @NFSMTP_STAT_MIME_FILETYPE: DATA attachment file names with an extension in
 *   mime-filetype
 * @NFSMTP_STAT_BDAT_UNJUDGED: BDAT messages rules could not judge: mime-*
 *   (DATA only), or header-section-max and message-max where commands other
 *   than the message's MAIL, RCPTs and BDATs were pending
 * @NFSMTP_STAT_RETRANS_ACKED: client retransmissions of bytes the server had
 *   acknowledged: verbs in them are masked again, not counted nor logged again
 * @NFSMTP_STAT_SIZE_EXCESS: DATA messages longer than the SIZE= of their MAIL
 *   FROM by more than size-excess-max
 * @NFSMTP_STAT_SIZE_UNJUDGED: SIZE= declarations not held to their DATA
 *   message (a junk value, commands pending before the MAIL, other commands
 *   inside the transaction)
 */
enum nfsmtp_stat {
	NFSMTP_STAT_SESSIONS,
	NFSMTP_STAT_PKTS_ORIG,
	NFSMTP_STAT_PKTS_REPLY,
	NFSMTP_STAT_BYTES_ORIG,
	NFSMTP_STAT_BYTES_REPLY,
	NFSMTP_STAT_COMMANDS,
	NFSMTP_STAT_REPLIES,
	NFSMTP_STAT_MESSAGES,
	NFSMTP_STAT_STARTTLS_SEEN,
	NFSMTP_STAT_STARTTLS_ALLOWED,
	NFSMTP_STAT_STARTTLS_STRIPPED,
	NFSMTP_STAT_TLS_HANDOFF,
	NFSMTP_STAT_CMDS_MASKED,
	NFSMTP_STAT_BANNERS_MASKED,
	NFSMTP_STAT_EHLO_KW_MASKED,
	NFSMTP_STAT_LIMIT_HITS,
	NFSMTP_STAT_DUP_HEADERS,
	NFSMTP_STAT_SMUGGLING,
	NFSMTP_STAT_BARE_NEWLINES,
	NFSMTP_STAT_INJECTION,
	NFSMTP_STAT_RESETS,
	NFSMTP_STAT_DROPS,
	NFSMTP_STAT_LOST_SYNC,
	NFSMTP_STAT_PICKUPS,
	NFSMTP_STAT_RESYNCS,
	NFSMTP_STAT_GAPS,
	NFSMTP_STAT_RETRANS,
	NFSMTP_STAT_SYNC_REFUSED,
	NFSMTP_STAT_RELATED_IGNORED,
	NFSMTP_STAT_STRAY_SYN,
	NFSMTP_STAT_SYN_DATA,
	NFSMTP_STAT_RST_DATA,
	NFSMTP_STAT_OUT_OF_WINDOW,
	NFSMTP_STAT_URGENT,
	NFSMTP_STAT_OOO_DROPPED,
	NFSMTP_STAT_RETRANS_MISMATCH,
	NFSMTP_STAT_DEAD_PACKETS,
	NFSMTP_STAT_EVENTS_SUPPRESSED,
	NFSMTP_STAT_REPLY_MISMATCH,
	NFSMTP_STAT_TLS_FRAMING,
	NFSMTP_STAT_REQUIRE_TLS,
	NFSMTP_STAT_UPSTREAM_MASK,
	NFSMTP_STAT_STARTTLS_REFUSED,
	NFSMTP_STAT_REQUIRETLS_PLAIN,
	NFSMTP_STAT_ENDED_TLS,
	NFSMTP_STAT_ENDED_PLAIN_OFFERED,
	NFSMTP_STAT_ENDED_PLAIN,
	NFSMTP_STAT_REOPENED,
	NFSMTP_STAT_SENDER_TOO_LONG,
	NFSMTP_STAT_SPECIAL_CHAR,
	NFSMTP_STAT_INVALID_RCPT,
	NFSMTP_STAT_TO_FIELDS,
	NFSMTP_STAT_HEADER_SECTION_TOO_BIG,
	NFSMTP_STAT_MESSAGE_TOO_BIG,
	NFSMTP_STAT_RELAY_DENIED,
	NFSMTP_STAT_MIME_ENCODING,
	NFSMTP_STAT_MIME_FILENAME_TOO_LONG,
	NFSMTP_STAT_MIME_FILETYPE,
	NFSMTP_STAT_BDAT_UNJUDGED,
	NFSMTP_STAT_RETRANS_ACKED,
	NFSMTP_STAT_SIZE_EXCESS,
	NFSMTP_STAT_SIZE_UNJUDGED,

	/* private: */
	__NFSMTP_STAT_MAX,
	NFSMTP_STAT_MAX = (__NFSMTP_STAT_MAX - 1)
};

/**
 * enum nfsmtp_starttls
 * @NFSMTP_STARTTLS_ALLOW: hand the session to TLS, stop parsing (default)
 * @NFSMTP_STARTTLS_STRIP: mask the keyword in EHLO replies and the command
 */
enum nfsmtp_starttls {
	NFSMTP_STARTTLS_ALLOW,
	NFSMTP_STARTTLS_STRIP,
};

/**
 * enum nfsmtp_banner
 * @NFSMTP_BANNER_KEEP: the greeting as the server sent it (default)
 * @NFSMTP_BANNER_MASK: greeting text becomes '*', the code stays
 */
enum nfsmtp_banner {
	NFSMTP_BANNER_KEEP,
	NFSMTP_BANNER_MASK,
};

/**
 * enum nfsmtp_out_of_order
 * @NFSMTP_OOO_PASS: resynchronise at a gap; the late bytes go unread (default)
 * @NFSMTP_OOO_DROP: drop a segment ahead of the next byte, so senders resend
 *   in order
 */
enum nfsmtp_out_of_order {
	NFSMTP_OOO_PASS,
	NFSMTP_OOO_DROP,
};

/**
 * enum nfsmtp_commands
 * @NFSMTP_COMMANDS_ALL: no allow-list (default)
 * @NFSMTP_COMMANDS_ESMTP: the verbs of RFC 5321 and the extensions the parser
 *   knows
 * @NFSMTP_COMMANDS_MAILGUARD: HELO MAIL RCPT DATA RSET NOOP QUIT only
 */
enum nfsmtp_commands {
	NFSMTP_COMMANDS_ALL,
	NFSMTP_COMMANDS_ESMTP,
	NFSMTP_COMMANDS_MAILGUARD,
};

/**
 * enum nfsmtp_action - what happens on a violation; not every rule takes every
 *   action
 * @NFSMTP_ACTION_OFF: rule not enforced
 * @NFSMTP_ACTION_LOG: count, event, log line; bytes unchanged
 * @NFSMTP_ACTION_MASK: rewrite in place, same length
 * @NFSMTP_ACTION_DROP: drop the connection's packets silently, forget it
 * @NFSMTP_ACTION_RESET: TCP RST to both ends, forget the connection
 */
enum nfsmtp_action {
	NFSMTP_ACTION_OFF,
	NFSMTP_ACTION_LOG,
	NFSMTP_ACTION_MASK,
	NFSMTP_ACTION_DROP,
	NFSMTP_ACTION_RESET,

	/* private: */
	__NFSMTP_ACTION_MAX,
	NFSMTP_ACTION_MAX = (__NFSMTP_ACTION_MAX - 1)
};

/**
 * enum nfsmtp_rule - the rules an event or action names
 * @NFSMTP_RULE_STARTTLS: STARTTLS keyword or command stripped
 * @NFSMTP_RULE_EHLO_MASK: EHLO keyword masked
 * @NFSMTP_RULE_BANNER: greeting masked
 * @NFSMTP_RULE_COMMAND: command outside the allow-list
 * @NFSMTP_RULE_CMD_LINE: command line longer than cmd-line-max
 * @NFSMTP_RULE_RCPT: more RCPTs than rcpt-max
 * @NFSMTP_RULE_HEADER_LINE: header line longer than header-line-max
 * @NFSMTP_RULE_BODY_LINE: body line longer than body-line-max
 * @NFSMTP_RULE_DUP_HEADERS: repeated RFC 5322 singleton field
 * @NFSMTP_RULE_SMUGGLING: non-canonical end of data
 * @NFSMTP_RULE_BARE_NEWLINE: bare CR or LF in DATA
 * @NFSMTP_RULE_STARTTLS_INJECTION: bytes pipelined after STARTTLS or its 220
 * @NFSMTP_RULE_LOST_SYNC: the session can no longer be followed
 * @NFSMTP_RULE_URGENT: urgent data: a receiver drops the byte from the stream
 * @NFSMTP_RULE_OUT_OF_ORDER: a segment ahead of the next expected byte
 * @NFSMTP_RULE_TLS_FRAMING: after STARTTLS, bytes that are no TLS records
 * @NFSMTP_RULE_REQUIRE_TLS: a mail command before TLS started
 * @NFSMTP_RULE_DOWNGRADE: signs that someone else strips STARTTLS (log only)
 * @NFSMTP_RULE_SENDER: MAIL FROM path longer than sender-max
 * @NFSMTP_RULE_SPECIAL_CHAR: | ` $ ; or NUL in a MAIL or RCPT path
 * @NFSMTP_RULE_INVALID_RCPT: more RCPTs refused with 5xx in the session than
 *   invalid-rcpt-max
 * @NFSMTP_RULE_TO_FIELDS: more To fields in a message than to-fields-max
 * @NFSMTP_RULE_HEADER_SECTION: a header section longer than header-section-max
 * @NFSMTP_RULE_MESSAGE: a message longer than message-max
 * @NFSMTP_RULE_MAIL_RELAY: an RCPT to a domain not in mail-relay
 * @NFSMTP_RULE_MIME_ENCODING: a transfer encoding listed in mime-encoding
 * @NFSMTP_RULE_MIME_FILENAME: an attachment file name longer than
 *   mime-filename-max
 * @NFSMTP_RULE_MIME_FILETYPE: an attachment file name with an extension in
 *   mime-filetype
 * @NFSMTP_RULE_BDAT_UNJUDGED: a BDAT message while rules that cannot judge it
 *   are set
 * @NFSMTP_RULE_SIZE_EXCESS: a DATA message longer than its SIZE= by more than
 *   size-excess-max
 */
enum nfsmtp_rule {
	NFSMTP_RULE_STARTTLS,
	NFSMTP_RULE_EHLO_MASK,
	NFSMTP_RULE_BANNER,
	NFSMTP_RULE_COMMAND,
	NFSMTP_RULE_CMD_LINE,
	NFSMTP_RULE_RCPT,
	NFSMTP_RULE_HEADER_LINE,
	NFSMTP_RULE_BODY_LINE,
	NFSMTP_RULE_DUP_HEADERS,
	NFSMTP_RULE_SMUGGLING,
	NFSMTP_RULE_BARE_NEWLINE,
	NFSMTP_RULE_STARTTLS_INJECTION,
	NFSMTP_RULE_LOST_SYNC,
	NFSMTP_RULE_URGENT,
	NFSMTP_RULE_OUT_OF_ORDER,
	NFSMTP_RULE_TLS_FRAMING,
	NFSMTP_RULE_REQUIRE_TLS,
	NFSMTP_RULE_DOWNGRADE,
	NFSMTP_RULE_SENDER,
	NFSMTP_RULE_SPECIAL_CHAR,
	NFSMTP_RULE_INVALID_RCPT,
	NFSMTP_RULE_TO_FIELDS,
	NFSMTP_RULE_HEADER_SECTION,
	NFSMTP_RULE_MESSAGE,
	NFSMTP_RULE_MAIL_RELAY,
	NFSMTP_RULE_MIME_ENCODING,
	NFSMTP_RULE_MIME_FILENAME,
	NFSMTP_RULE_MIME_FILETYPE,
	NFSMTP_RULE_BDAT_UNJUDGED,
	NFSMTP_RULE_SIZE_EXCESS,

	/* private: */
	__NFSMTP_RULE_MAX,
	NFSMTP_RULE_MAX = (__NFSMTP_RULE_MAX - 1)
};

/**
 * enum nfsmtp_kw - EHLO keywords; the ehlo-mask attribute holds (1 << keyword)
 *   bits
 * @NFSMTP_KW_UNKNOWN: any keyword not listed above
 */
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
	NFSMTP_KW_UNKNOWN,

	/* private: */
	__NFSMTP_KW_MAX,
	NFSMTP_KW_MAX = (__NFSMTP_KW_MAX - 1)
};

/**
 * enum nfsmtp_mime_enc - Content-Transfer-Encoding values (RFC 2045, ASA's
 *   mime encoding types); the mime-encoding attribute holds (1 << encoding)
 *   bits
 * @NFSMTP_MIME_ENC_OTHERS: any other value, or one the parser cannot read for
 *   sure
 */
enum nfsmtp_mime_enc {
	NFSMTP_MIME_ENC_7BIT,
	NFSMTP_MIME_ENC_8BIT,
	NFSMTP_MIME_ENC_BASE64,
	NFSMTP_MIME_ENC_BINARY,
	NFSMTP_MIME_ENC_QUOTED_PRINTABLE,
	NFSMTP_MIME_ENC_OTHERS,

	/* private: */
	__NFSMTP_MIME_ENC_MAX,
	NFSMTP_MIME_ENC_MAX = (__NFSMTP_MIME_ENC_MAX - 1)
};

enum nfsmtp_attr {
	NFSMTP_A_UNSPEC,
	NFSMTP_A_PROFILE,
	NFSMTP_A_STARTTLS,
	NFSMTP_A_BANNER,
	NFSMTP_A_EHLO_MASK,
	NFSMTP_A_COMMANDS,
	NFSMTP_A_CMD_LINE_MAX,
	NFSMTP_A_RCPT_MAX,
	NFSMTP_A_HEADER_LINE_MAX,
	NFSMTP_A_BODY_LINE_MAX,
	NFSMTP_A_ACT_COMMAND,
	NFSMTP_A_ACT_CMD_LINE,
	NFSMTP_A_ACT_RCPT,
	NFSMTP_A_ACT_HEADER_LINE,
	NFSMTP_A_ACT_BODY_LINE,
	NFSMTP_A_ACT_DUP_HEADER,
	NFSMTP_A_ACT_SMUGGLING,
	NFSMTP_A_ACT_BARE_NEWLINE,
	NFSMTP_A_ACT_INJECTION,
	NFSMTP_A_MARK_MASK,
	NFSMTP_A_MARK_SHIFT,
	NFSMTP_A_ACT_LOST_SYNC,
	NFSMTP_A_ACT_URGENT,
	NFSMTP_A_OUT_OF_ORDER,
	NFSMTP_A_ACT_TLS_FRAMING,
	NFSMTP_A_ACT_REQUIRE_TLS,
	NFSMTP_A_SENDER_MAX,
	NFSMTP_A_ACT_SENDER,
	NFSMTP_A_ACT_SPECIAL_CHAR,
	NFSMTP_A_INVALID_RCPT_MAX,
	NFSMTP_A_ACT_INVALID_RCPT,
	NFSMTP_A_TO_FIELDS_MAX,
	NFSMTP_A_ACT_TO_FIELDS,
	NFSMTP_A_HEADER_SECTION_MAX,
	NFSMTP_A_ACT_HEADER_SECTION,
	NFSMTP_A_MESSAGE_MAX,
	NFSMTP_A_ACT_MESSAGE,
	NFSMTP_A_MAIL_RELAY,
	NFSMTP_A_ACT_MAIL_RELAY,
	NFSMTP_A_MIME_ENCODING,
	NFSMTP_A_ACT_MIME_ENCODING,
	NFSMTP_A_MIME_FILENAME_MAX,
	NFSMTP_A_ACT_MIME_FILENAME,
	NFSMTP_A_MIME_FILETYPE,
	NFSMTP_A_ACT_MIME_FILETYPE,
	NFSMTP_A_ACT_BDAT_UNJUDGED,
	NFSMTP_A_SIZE_EXCESS_MAX,
	NFSMTP_A_ACT_SIZE_EXCESS,
	NFSMTP_A_STATS,
	NFSMTP_A_EVENT,

	__NFSMTP_A_MAX
};
#define NFSMTP_A_MAX (__NFSMTP_A_MAX - 1)

enum nfsmtp_stats_attr {
	NFSMTP_A_STATS_UNSPEC,
	NFSMTP_A_STATS_PAD,
	NFSMTP_A_STATS_SESSIONS,
	NFSMTP_A_STATS_PACKETS_CLIENT,
	NFSMTP_A_STATS_PACKETS_SERVER,
	NFSMTP_A_STATS_BYTES_CLIENT,
	NFSMTP_A_STATS_BYTES_SERVER,
	NFSMTP_A_STATS_COMMANDS,
	NFSMTP_A_STATS_REPLIES,
	NFSMTP_A_STATS_MESSAGES,
	NFSMTP_A_STATS_STARTTLS_SEEN,
	NFSMTP_A_STATS_STARTTLS_ALLOWED,
	NFSMTP_A_STATS_STARTTLS_STRIPPED,
	NFSMTP_A_STATS_TLS_HANDOFF,
	NFSMTP_A_STATS_COMMANDS_MASKED,
	NFSMTP_A_STATS_BANNERS_MASKED,
	NFSMTP_A_STATS_EHLO_KEYWORDS_MASKED,
	NFSMTP_A_STATS_LIMIT_HITS,
	NFSMTP_A_STATS_DUPLICATE_HEADERS,
	NFSMTP_A_STATS_SMUGGLING,
	NFSMTP_A_STATS_BARE_NEWLINES,
	NFSMTP_A_STATS_INJECTION,
	NFSMTP_A_STATS_RESETS,
	NFSMTP_A_STATS_DROPS,
	NFSMTP_A_STATS_LOST_SYNC,
	NFSMTP_A_STATS_PICKUPS,
	NFSMTP_A_STATS_RESYNCS,
	NFSMTP_A_STATS_GAPS,
	NFSMTP_A_STATS_RETRANSMISSIONS,
	NFSMTP_A_STATS_SYNC_REFUSED,
	NFSMTP_A_STATS_RELATED_IGNORED,
	NFSMTP_A_STATS_STRAY_SYN,
	NFSMTP_A_STATS_SYN_DATA,
	NFSMTP_A_STATS_RST_DATA,
	NFSMTP_A_STATS_OUT_OF_WINDOW,
	NFSMTP_A_STATS_URGENT,
	NFSMTP_A_STATS_OUT_OF_ORDER_DROPPED,
	NFSMTP_A_STATS_RETRANSMISSION_MISMATCH,
	NFSMTP_A_STATS_DEAD_PACKETS,
	NFSMTP_A_STATS_EVENTS_SUPPRESSED,
	NFSMTP_A_STATS_REPLY_MISMATCH,
	NFSMTP_A_STATS_TLS_FRAMING,
	NFSMTP_A_STATS_REQUIRE_TLS,
	NFSMTP_A_STATS_UPSTREAM_MASK_SEEN,
	NFSMTP_A_STATS_STARTTLS_REFUSED,
	NFSMTP_A_STATS_REQUIRETLS_PLAINTEXT,
	NFSMTP_A_STATS_ENDED_TLS,
	NFSMTP_A_STATS_ENDED_PLAINTEXT_OFFERED,
	NFSMTP_A_STATS_ENDED_PLAINTEXT,
	NFSMTP_A_STATS_REOPENED,
	NFSMTP_A_STATS_SENDER_TOO_LONG,
	NFSMTP_A_STATS_SPECIAL_CHARACTERS,
	NFSMTP_A_STATS_INVALID_RECIPIENTS,
	NFSMTP_A_STATS_TO_FIELDS,
	NFSMTP_A_STATS_HEADER_SECTION_TOO_BIG,
	NFSMTP_A_STATS_MESSAGE_TOO_BIG,
	NFSMTP_A_STATS_RELAY_DENIED,
	NFSMTP_A_STATS_MIME_ENCODING,
	NFSMTP_A_STATS_MIME_FILENAME_TOO_LONG,
	NFSMTP_A_STATS_MIME_FILETYPE,
	NFSMTP_A_STATS_BDAT_UNJUDGED,
	NFSMTP_A_STATS_RETRANSMISSIONS_ACKED,
	NFSMTP_A_STATS_SIZE_EXCESS,
	NFSMTP_A_STATS_SIZE_UNJUDGED,

	__NFSMTP_A_STATS_MAX
};
#define NFSMTP_A_STATS_MAX (__NFSMTP_A_STATS_MAX - 1)

enum nfsmtp_event_attr {
	NFSMTP_A_EVENT_UNSPEC,
	NFSMTP_A_EVENT_FAMILY,
	NFSMTP_A_EVENT_SADDR,
	NFSMTP_A_EVENT_DADDR,
	NFSMTP_A_EVENT_SPORT,
	NFSMTP_A_EVENT_DPORT,
	NFSMTP_A_EVENT_RULE,
	NFSMTP_A_EVENT_ACTION,
	NFSMTP_A_EVENT_DETAIL,
	NFSMTP_A_EVENT_DIR,

	__NFSMTP_A_EVENT_MAX
};
#define NFSMTP_A_EVENT_MAX (__NFSMTP_A_EVENT_MAX - 1)

enum nfsmtp_cmd {
	NFSMTP_CMD_UNSPEC,
	NFSMTP_CMD_POLICY_GET,
	NFSMTP_CMD_POLICY_SET,
	NFSMTP_CMD_STATS_GET,
	NFSMTP_CMD_STATS_RESET,
	NFSMTP_CMD_EVENT,

	__NFSMTP_CMD_MAX
};
#define NFSMTP_CMD_MAX (__NFSMTP_CMD_MAX - 1)

#define NFSMTP_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_NF_SMTP_H */
