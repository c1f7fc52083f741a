/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* Do not edit: written by scripts/gen-names.py from nf_smtp.yaml */
#ifndef _NF_SMTP_NAMES_H
#define _NF_SMTP_NAMES_H

#include <linux/nf_smtp.h>

/* enum nfsmtp_starttls */
#define NFSMTP_STARTTLS_NAMES { \
	[NFSMTP_STARTTLS_ALLOW] = "allow", \
	[NFSMTP_STARTTLS_STRIP] = "strip", \
}

/* enum nfsmtp_banner */
#define NFSMTP_BANNER_NAMES { \
	[NFSMTP_BANNER_KEEP] = "keep", \
	[NFSMTP_BANNER_MASK] = "mask", \
}

/* enum nfsmtp_out_of_order */
#define NFSMTP_OUT_OF_ORDER_NAMES { \
	[NFSMTP_OOO_PASS] = "pass", \
	[NFSMTP_OOO_DROP] = "drop", \
}

/* enum nfsmtp_commands */
#define NFSMTP_COMMANDS_NAMES { \
	[NFSMTP_COMMANDS_ALL] = "all", \
	[NFSMTP_COMMANDS_ESMTP] = "esmtp", \
	[NFSMTP_COMMANDS_MAILGUARD] = "mailguard", \
}

/* enum nfsmtp_action */
#define NFSMTP_ACTION_NAMES { \
	[NFSMTP_ACTION_OFF] = "off", \
	[NFSMTP_ACTION_LOG] = "log", \
	[NFSMTP_ACTION_MASK] = "mask", \
	[NFSMTP_ACTION_DROP] = "drop", \
	[NFSMTP_ACTION_RESET] = "reset", \
}

/* enum nfsmtp_rule */
#define NFSMTP_RULE_NAMES { \
	[NFSMTP_RULE_STARTTLS] = "starttls", \
	[NFSMTP_RULE_EHLO_MASK] = "ehlo-mask", \
	[NFSMTP_RULE_BANNER] = "banner", \
	[NFSMTP_RULE_COMMAND] = "command", \
	[NFSMTP_RULE_CMD_LINE] = "cmd-line", \
	[NFSMTP_RULE_RCPT] = "rcpt", \
	[NFSMTP_RULE_HEADER_LINE] = "header-line", \
	[NFSMTP_RULE_BODY_LINE] = "body-line", \
	[NFSMTP_RULE_DUP_HEADERS] = "dup-headers", \
	[NFSMTP_RULE_SMUGGLING] = "smuggling", \
	[NFSMTP_RULE_BARE_NEWLINE] = "bare-newline", \
	[NFSMTP_RULE_STARTTLS_INJECTION] = "starttls-injection", \
	[NFSMTP_RULE_LOST_SYNC] = "lost-sync", \
	[NFSMTP_RULE_URGENT] = "urgent", \
	[NFSMTP_RULE_OUT_OF_ORDER] = "out-of-order", \
	[NFSMTP_RULE_TLS_FRAMING] = "tls-framing", \
	[NFSMTP_RULE_REQUIRE_TLS] = "require-tls", \
	[NFSMTP_RULE_DOWNGRADE] = "downgrade", \
	[NFSMTP_RULE_SENDER] = "sender", \
	[NFSMTP_RULE_SPECIAL_CHAR] = "special-char", \
	[NFSMTP_RULE_INVALID_RCPT] = "invalid-rcpt", \
	[NFSMTP_RULE_TO_FIELDS] = "to-fields", \
	[NFSMTP_RULE_HEADER_SECTION] = "header-section", \
	[NFSMTP_RULE_MESSAGE] = "message", \
	[NFSMTP_RULE_MAIL_RELAY] = "mail-relay", \
	[NFSMTP_RULE_MIME_ENCODING] = "mime-encoding", \
	[NFSMTP_RULE_MIME_FILENAME] = "mime-filename", \
	[NFSMTP_RULE_MIME_FILETYPE] = "mime-filetype", \
	[NFSMTP_RULE_BDAT_UNJUDGED] = "bdat-unjudged", \
	[NFSMTP_RULE_SIZE_EXCESS] = "size-excess", \
}

/* enum nfsmtp_kw */
#define NFSMTP_KW_NAMES { \
	[NFSMTP_KW_8BITMIME] = "8BITMIME", \
	[NFSMTP_KW_AUTH] = "AUTH", \
	[NFSMTP_KW_BINARYMIME] = "BINARYMIME", \
	[NFSMTP_KW_CHUNKING] = "CHUNKING", \
	[NFSMTP_KW_DSN] = "DSN", \
	[NFSMTP_KW_ENHANCEDSTATUSCODES] = "ENHANCEDSTATUSCODES", \
	[NFSMTP_KW_ETRN] = "ETRN", \
	[NFSMTP_KW_PIPELINING] = "PIPELINING", \
	[NFSMTP_KW_SIZE] = "SIZE", \
	[NFSMTP_KW_SMTPUTF8] = "SMTPUTF8", \
	[NFSMTP_KW_STARTTLS] = "STARTTLS", \
	[NFSMTP_KW_UNKNOWN] = "unknown", \
}

/* enum nfsmtp_mime_enc */
#define NFSMTP_MIME_ENCODING_NAMES { \
	[NFSMTP_MIME_ENC_7BIT] = "7bit", \
	[NFSMTP_MIME_ENC_8BIT] = "8bit", \
	[NFSMTP_MIME_ENC_BASE64] = "base64", \
	[NFSMTP_MIME_ENC_BINARY] = "binary", \
	[NFSMTP_MIME_ENC_QUOTED_PRINTABLE] = "quoted-printable", \
	[NFSMTP_MIME_ENC_OTHERS] = "others", \
}

/* enum nfsmtp_stat, named by the stats attribute set */
#define NFSMTP_STAT_NAMES { \
	[NFSMTP_STAT_SESSIONS] = "sessions", \
	[NFSMTP_STAT_PKTS_ORIG] = "packets_client", \
	[NFSMTP_STAT_PKTS_REPLY] = "packets_server", \
	[NFSMTP_STAT_BYTES_ORIG] = "bytes_client", \
	[NFSMTP_STAT_BYTES_REPLY] = "bytes_server", \
	[NFSMTP_STAT_COMMANDS] = "commands", \
	[NFSMTP_STAT_REPLIES] = "replies", \
	[NFSMTP_STAT_MESSAGES] = "messages", \
	[NFSMTP_STAT_STARTTLS_SEEN] = "starttls_seen", \
	[NFSMTP_STAT_STARTTLS_ALLOWED] = "starttls_allowed", \
	[NFSMTP_STAT_STARTTLS_STRIPPED] = "starttls_stripped", \
	[NFSMTP_STAT_TLS_HANDOFF] = "tls_handoff", \
	[NFSMTP_STAT_CMDS_MASKED] = "commands_masked", \
	[NFSMTP_STAT_BANNERS_MASKED] = "banners_masked", \
	[NFSMTP_STAT_EHLO_KW_MASKED] = "ehlo_keywords_masked", \
	[NFSMTP_STAT_LIMIT_HITS] = "limit_hits", \
	[NFSMTP_STAT_DUP_HEADERS] = "duplicate_headers", \
	[NFSMTP_STAT_SMUGGLING] = "smuggling", \
	[NFSMTP_STAT_BARE_NEWLINES] = "bare_newlines", \
	[NFSMTP_STAT_INJECTION] = "injection", \
	[NFSMTP_STAT_RESETS] = "resets", \
	[NFSMTP_STAT_DROPS] = "drops", \
	[NFSMTP_STAT_LOST_SYNC] = "lost_sync", \
	[NFSMTP_STAT_PICKUPS] = "pickups", \
	[NFSMTP_STAT_RESYNCS] = "resyncs", \
	[NFSMTP_STAT_GAPS] = "gaps", \
	[NFSMTP_STAT_RETRANS] = "retransmissions", \
	[NFSMTP_STAT_SYNC_REFUSED] = "sync_refused", \
	[NFSMTP_STAT_RELATED_IGNORED] = "related_ignored", \
	[NFSMTP_STAT_STRAY_SYN] = "stray_syn", \
	[NFSMTP_STAT_SYN_DATA] = "syn_data", \
	[NFSMTP_STAT_RST_DATA] = "rst_data", \
	[NFSMTP_STAT_OUT_OF_WINDOW] = "out_of_window", \
	[NFSMTP_STAT_URGENT] = "urgent", \
	[NFSMTP_STAT_OOO_DROPPED] = "out_of_order_dropped", \
	[NFSMTP_STAT_RETRANS_MISMATCH] = "retransmission_mismatch", \
	[NFSMTP_STAT_DEAD_PACKETS] = "dead_packets", \
	[NFSMTP_STAT_EVENTS_SUPPRESSED] = "events_suppressed", \
	[NFSMTP_STAT_REPLY_MISMATCH] = "reply_mismatch", \
	[NFSMTP_STAT_TLS_FRAMING] = "tls_framing", \
	[NFSMTP_STAT_REQUIRE_TLS] = "require_tls", \
	[NFSMTP_STAT_UPSTREAM_MASK] = "upstream_mask_seen", \
	[NFSMTP_STAT_STARTTLS_REFUSED] = "starttls_refused", \
	[NFSMTP_STAT_REQUIRETLS_PLAIN] = "requiretls_plaintext", \
	[NFSMTP_STAT_ENDED_TLS] = "ended_tls", \
	[NFSMTP_STAT_ENDED_PLAIN_OFFERED] = "ended_plaintext_offered", \
	[NFSMTP_STAT_ENDED_PLAIN] = "ended_plaintext", \
	[NFSMTP_STAT_REOPENED] = "reopened", \
	[NFSMTP_STAT_SENDER_TOO_LONG] = "sender_too_long", \
	[NFSMTP_STAT_SPECIAL_CHAR] = "special_characters", \
	[NFSMTP_STAT_INVALID_RCPT] = "invalid_recipients", \
	[NFSMTP_STAT_TO_FIELDS] = "to_fields", \
	[NFSMTP_STAT_HEADER_SECTION_TOO_BIG] = "header_section_too_big", \
	[NFSMTP_STAT_MESSAGE_TOO_BIG] = "message_too_big", \
	[NFSMTP_STAT_RELAY_DENIED] = "relay_denied", \
	[NFSMTP_STAT_MIME_ENCODING] = "mime_encoding", \
	[NFSMTP_STAT_MIME_FILENAME_TOO_LONG] = "mime_filename_too_long", \
	[NFSMTP_STAT_MIME_FILETYPE] = "mime_filetype", \
	[NFSMTP_STAT_BDAT_UNJUDGED] = "bdat_unjudged", \
	[NFSMTP_STAT_RETRANS_ACKED] = "retransmissions_acked", \
	[NFSMTP_STAT_SIZE_EXCESS] = "size_excess", \
	[NFSMTP_STAT_SIZE_UNJUDGED] = "size_unjudged", \
}

#endif /* _NF_SMTP_NAMES_H */
