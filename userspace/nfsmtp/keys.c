// SPDX-License-Identifier: GPL-2.0
/*
 * nfsmtp: key/value tables and argument parsing (no netlink dependency).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nf_smtp_names.h>

#include "keys.h"
#include "smtp_parser.h"	/* the module's mail-relay set, to check lists as it does */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const starttls_names[] = NFSMTP_STARTTLS_NAMES;

static const char *const banner_names[] = NFSMTP_BANNER_NAMES;

static const char *const out_of_order_names[] = NFSMTP_OUT_OF_ORDER_NAMES;

static const char *const commands_names[] = NFSMTP_COMMANDS_NAMES;

const char *const nfsmtp_action_names[__NFSMTP_ACTION_MAX] = NFSMTP_ACTION_NAMES;

const char *const nfsmtp_rule_names[__NFSMTP_RULE_MAX] = NFSMTP_RULE_NAMES;

const char *const nfsmtp_kw_names[__NFSMTP_KW_MAX] = NFSMTP_KW_NAMES;
const char *const nfsmtp_mime_enc_names[__NFSMTP_MIME_ENC_MAX] = NFSMTP_MIME_ENCODING_NAMES;

/* the module's smtp_stat_names[] has the same, from the same spec */
const char *const nfsmtp_stat_names[__NFSMTP_STAT_MAX] = NFSMTP_STAT_NAMES;

/* # HELP of each counter in nfsmtp stats -o prometheus (uapi's comments) */
const char *const nfsmtp_stat_help[__NFSMTP_STAT_MAX] = {
	[NFSMTP_STAT_SESSIONS]		= "Connections the SMTP helper was assigned to.",
	[NFSMTP_STAT_PKTS_ORIG]		= "Packets from client to server.",
	[NFSMTP_STAT_PKTS_REPLY]	= "Packets from server to client.",
	[NFSMTP_STAT_BYTES_ORIG]	= "TCP payload bytes from client to server.",
	[NFSMTP_STAT_BYTES_REPLY]	= "TCP payload bytes from server to client.",
	[NFSMTP_STAT_COMMANDS]		= "Client command lines.",
	[NFSMTP_STAT_REPLIES]		= "Complete server replies.",
	[NFSMTP_STAT_MESSAGES]		= "Messages ended by DATA or BDAT LAST.",
	[NFSMTP_STAT_STARTTLS_SEEN]	= "STARTTLS commands seen.",
	[NFSMTP_STAT_STARTTLS_ALLOWED]	= "STARTTLS commands let through.",
	[NFSMTP_STAT_STARTTLS_STRIPPED]	= "STARTTLS commands or EHLO keywords masked (starttls strip).",
	[NFSMTP_STAT_TLS_HANDOFF]	= "Sessions handed off to TLS (no longer parsed).",
	[NFSMTP_STAT_CMDS_MASKED]	= "Client commands masked by the commands allow-list.",
	[NFSMTP_STAT_BANNERS_MASKED]	= "Greeting lines masked (banner mask).",
	[NFSMTP_STAT_EHLO_KW_MASKED]	= "EHLO keywords masked (ehlo-mask).",
	[NFSMTP_STAT_LIMIT_HITS]	= "Line length or recipient limits hit.",
	[NFSMTP_STAT_DUP_HEADERS]	= "Repeated RFC 5322 singleton header fields.",
	[NFSMTP_STAT_SMUGGLING]		= "Non-canonical ends of data (SMTP smuggling).",
	[NFSMTP_STAT_BARE_NEWLINES]	= "Bare CR or LF in message data.",
	[NFSMTP_STAT_INJECTION]		= "Bytes pipelined after STARTTLS or its 220 reply.",
	[NFSMTP_STAT_RESETS]		= "Connections reset by an action.",
	[NFSMTP_STAT_DROPS]		= "Connections dropped by an action.",
	[NFSMTP_STAT_LOST_SYNC]		= "Sessions the parser lost track of.",
	[NFSMTP_STAT_PICKUPS]		= "Sessions joined mid-stream.",
	[NFSMTP_STAT_RESYNCS]		= "Directions followed again after losing track.",
	[NFSMTP_STAT_GAPS]		= "Segments beyond a hole in the stream.",
	[NFSMTP_STAT_RETRANS]		= "Segments carrying bytes already seen.",
	[NFSMTP_STAT_SYNC_REFUSED]	= "Helper states from ctnetlink refused.",
	[NFSMTP_STAT_RELATED_IGNORED]	= "ICMP errors quoting a connection, not read as TCP.",
	[NFSMTP_STAT_STRAY_SYN]		= "SYNs after the session started, ignored.",
	[NFSMTP_STAT_SYN_DATA]		= "SYNs carrying data (TCP Fast Open).",
	[NFSMTP_STAT_RST_DATA]		= "RSTs carrying data, not read.",
	[NFSMTP_STAT_OUT_OF_WINDOW]	= "Segments beyond the receiver's window, not read.",
	[NFSMTP_STAT_URGENT]		= "Segments with urgent data.",
	[NFSMTP_STAT_OOO_DROPPED]	= "Segments ahead of the next byte, dropped (out-of-order drop).",
	[NFSMTP_STAT_RETRANS_MISMATCH]	= "Retransmissions that differ where it matters.",
	[NFSMTP_STAT_DEAD_PACKETS]	= "Packets of reset or dropped connections, dropped.",
	[NFSMTP_STAT_EVENTS_SUPPRESSED]	= "Events and log lines over the per-message budget.",
	[NFSMTP_STAT_REPLY_MISMATCH]	= "Replies showing the server read a command otherwise.",
	[NFSMTP_STAT_TLS_FRAMING]	= "Bytes after STARTTLS that are no TLS record.",
	[NFSMTP_STAT_REQUIRE_TLS]	= "Mail commands before TLS (require-tls).",
	[NFSMTP_STAT_UPSTREAM_MASK]	= "EHLO replies with a masked keyword: a box upstream strips.",
	[NFSMTP_STAT_STARTTLS_REFUSED]	= "STARTTLS refused by a server that offered it.",
	[NFSMTP_STAT_REQUIRETLS_PLAIN]	= "MAIL FROM with REQUIRETLS in plaintext.",
	[NFSMTP_STAT_ENDED_TLS]		= "Sessions that ended in TLS.",
	[NFSMTP_STAT_ENDED_PLAIN_OFFERED] = "Sessions that ended in plaintext, STARTTLS offered.",
	[NFSMTP_STAT_ENDED_PLAIN]	= "Sessions that ended in plaintext, STARTTLS not offered.",
	[NFSMTP_STAT_REOPENED]		= "New connections on the ports of a finished one: followed afresh.",
	[NFSMTP_STAT_SENDER_TOO_LONG]	= "MAIL FROM paths longer than sender-max.",
	[NFSMTP_STAT_SPECIAL_CHAR]	= "MAIL or RCPT paths with a shell metacharacter or NUL.",
	[NFSMTP_STAT_INVALID_RCPT]	= "RCPTs refused with 5xx beyond invalid-rcpt-max.",
	[NFSMTP_STAT_TO_FIELDS]		= "To fields beyond to-fields-max in a message.",
	[NFSMTP_STAT_HEADER_SECTION_TOO_BIG] = "Header sections longer than header-section-max.",
	[NFSMTP_STAT_MESSAGE_TOO_BIG]	= "Messages longer than message-max.",
	[NFSMTP_STAT_RELAY_DENIED]	= "RCPTs to a domain not in mail-relay.",
	[NFSMTP_STAT_MIME_ENCODING]	= "DATA transfer encodings listed in mime-encoding.",
	[NFSMTP_STAT_MIME_FILENAME_TOO_LONG] = "DATA file names longer than mime-filename-max.",
	[NFSMTP_STAT_MIME_FILETYPE]	= "DATA file names with an extension in mime-filetype.",
	[NFSMTP_STAT_BDAT_UNJUDGED]	= "BDAT messages the MIME or size rules could not judge.",
	[NFSMTP_STAT_RETRANS_ACKED]	= "Client retransmissions of bytes the server had acknowledged.",
	[NFSMTP_STAT_SIZE_EXCESS]	= "DATA messages over their SIZE= by more than size-excess-max.",
	[NFSMTP_STAT_SIZE_UNJUDGED]	= "SIZE= declarations not held to their DATA message.",
};

#define ENUM_KEY(n, j, a, tbl, l, d) \
	{ .name = n, .json = j, .attr = a, .type = NFSMTP_KT_ENUM, \
	  .names = tbl, .n_names = ARRAY_SIZE(tbl), .line = l, .def = d }
#define ACT_KEY(n, j, a, d) \
	{ .name = n, .json = j, .attr = a, .type = NFSMTP_KT_ACTION, \
	  .names = nfsmtp_action_names, .n_names = __NFSMTP_ACTION_MAX, \
	  .line = 2 + ((a) >= NFSMTP_A_ACT_DUP_HEADER), .def = d }
/* the keys that make a profile fail closed, and the TLS ones: a line of their own */
#define ACT4_KEY(n, j, a, d) \
	{ .name = n, .json = j, .attr = a, .type = NFSMTP_KT_ACTION, \
	  .names = nfsmtp_action_names, .n_names = __NFSMTP_ACTION_MAX, .line = 4, .def = d }
/* ASA's envelope and message checks: lines 5 to 7 */
#define ASA_KEY(n, j, a, l, d) \
	{ .name = n, .json = j, .attr = a, .type = NFSMTP_KT_ACTION, \
	  .names = nfsmtp_action_names, .n_names = __NFSMTP_ACTION_MAX, .line = l, .def = d }
#define NUM_KEY(n, j, a, t, l) \
	{ .name = n, .json = j, .attr = a, .type = t, .line = l, .def = "0" }

/* In the order `policy show` prints them and the help lists them. */
const struct nfsmtp_key nfsmtp_keys[] = {
	ENUM_KEY("starttls", "starttls", NFSMTP_A_STARTTLS, starttls_names, 0, "allow"),
	ENUM_KEY("banner", "banner", NFSMTP_A_BANNER, banner_names, 0, "keep"),
	{ .name = "ehlo-mask", .json = "ehlo_mask", .attr = NFSMTP_A_EHLO_MASK,
	  .type = NFSMTP_KT_FLAGS, .names = nfsmtp_kw_names,
	  .n_names = __NFSMTP_KW_MAX, .what = "EHLO keyword", .line = 0, .def = "none" },
	ENUM_KEY("commands", "commands", NFSMTP_A_COMMANDS, commands_names, 0, "all"),
	NUM_KEY("cmd-line-max", "cmd_line_max", NFSMTP_A_CMD_LINE_MAX, NFSMTP_KT_U16, 1),
	NUM_KEY("rcpt-max", "rcpt_max", NFSMTP_A_RCPT_MAX, NFSMTP_KT_U16, 1),
	NUM_KEY("header-line-max", "header_line_max", NFSMTP_A_HEADER_LINE_MAX, NFSMTP_KT_U16, 1),
	NUM_KEY("body-line-max", "body_line_max", NFSMTP_A_BODY_LINE_MAX, NFSMTP_KT_U16, 1),
	ACT_KEY("command-action", "command_action", NFSMTP_A_ACT_COMMAND, "mask"),
	ACT_KEY("cmd-line-action", "cmd_line_action", NFSMTP_A_ACT_CMD_LINE, "reset"),
	ACT_KEY("rcpt-action", "rcpt_action", NFSMTP_A_ACT_RCPT, "mask"),
	ACT_KEY("header-line-action", "header_line_action", NFSMTP_A_ACT_HEADER_LINE, "reset"),
	ACT_KEY("body-line-action", "body_line_action", NFSMTP_A_ACT_BODY_LINE, "log"),
	ACT_KEY("dup-headers", "dup_headers", NFSMTP_A_ACT_DUP_HEADER, "off"),
	ACT_KEY("smuggling", "smuggling", NFSMTP_A_ACT_SMUGGLING, "log"),
	ACT_KEY("bare-newline", "bare_newline", NFSMTP_A_ACT_BARE_NEWLINE, "off"),
	ACT_KEY("starttls-injection", "starttls_injection", NFSMTP_A_ACT_INJECTION, "reset"),
	ACT4_KEY("lost-sync", "lost_sync", NFSMTP_A_ACT_LOST_SYNC, "log"),
	ACT4_KEY("urgent", "urgent", NFSMTP_A_ACT_URGENT, "log"),
	ENUM_KEY("out-of-order", "out_of_order", NFSMTP_A_OUT_OF_ORDER, out_of_order_names, 4, "pass"),
	ACT4_KEY("tls-framing", "tls_framing", NFSMTP_A_ACT_TLS_FRAMING, "reset"),
	ACT4_KEY("require-tls", "require_tls", NFSMTP_A_ACT_REQUIRE_TLS, "off"),
	/* the envelope checks of ASA's inspect esmtp */
	NUM_KEY("sender-max", "sender_max", NFSMTP_A_SENDER_MAX, NFSMTP_KT_U16, 5),
	ASA_KEY("sender-action", "sender_action", NFSMTP_A_ACT_SENDER, 5, "drop"),
	ASA_KEY("special-char", "special_char", NFSMTP_A_ACT_SPECIAL_CHAR, 5, "off"),
	NUM_KEY("invalid-rcpt-max", "invalid_rcpt_max", NFSMTP_A_INVALID_RCPT_MAX, NFSMTP_KT_U8, 6),
	ASA_KEY("invalid-rcpt-action", "invalid_rcpt_action", NFSMTP_A_ACT_INVALID_RCPT, 6, "drop"),
	NUM_KEY("to-fields-max", "to_fields_max", NFSMTP_A_TO_FIELDS_MAX, NFSMTP_KT_U8, 6),
	ASA_KEY("to-fields-action", "to_fields_action", NFSMTP_A_ACT_TO_FIELDS, 6, "mask"),
	NUM_KEY("header-section-max", "header_section_max", NFSMTP_A_HEADER_SECTION_MAX,
		NFSMTP_KT_U32, 7),
	ASA_KEY("header-section-action", "header_section_action", NFSMTP_A_ACT_HEADER_SECTION,
		7, "drop"),
	NUM_KEY("message-max", "message_max", NFSMTP_A_MESSAGE_MAX, NFSMTP_KT_U32, 7),
	ASA_KEY("message-action", "message_action", NFSMTP_A_ACT_MESSAGE, 7, "drop"),
	NUM_KEY("size-excess-max", "size_excess_max", NFSMTP_A_SIZE_EXCESS_MAX, NFSMTP_KT_U32, 7),
	ASA_KEY("size-excess-action", "size_excess_action", NFSMTP_A_ACT_SIZE_EXCESS, 7, "log"),
	{ .name = "mail-relay", .json = "mail_relay", .attr = NFSMTP_A_MAIL_RELAY,
	  .type = NFSMTP_KT_DOMAINS, .what = "domain", .build = smtp_domains_build,
	  .line = 8, .def = "none" },
	ASA_KEY("mail-relay-action", "mail_relay_action", NFSMTP_A_ACT_MAIL_RELAY, 8, "mask"),
	{ .name = "mime-encoding", .json = "mime_encoding", .attr = NFSMTP_A_MIME_ENCODING,
	  .type = NFSMTP_KT_FLAGS, .names = nfsmtp_mime_enc_names,
	  .n_names = __NFSMTP_MIME_ENC_MAX, .what = "encoding", .line = 9, .def = "none" },
	ASA_KEY("mime-encoding-action", "mime_encoding_action", NFSMTP_A_ACT_MIME_ENCODING, 9,
		"drop"),
	NUM_KEY("mime-filename-max", "mime_filename_max", NFSMTP_A_MIME_FILENAME_MAX,
		NFSMTP_KT_U16, 9),
	ASA_KEY("mime-filename-action", "mime_filename_action", NFSMTP_A_ACT_MIME_FILENAME, 9,
		"drop"),
	{ .name = "mime-filetype", .json = "mime_filetype", .attr = NFSMTP_A_MIME_FILETYPE,
	  .type = NFSMTP_KT_DOMAINS, .what = "file type", .build = smtp_filetypes_build,
	  .line = 10, .def = "none" },
	ASA_KEY("mime-filetype-action", "mime_filetype_action", NFSMTP_A_ACT_MIME_FILETYPE, 10,
		"drop"),
	ASA_KEY("bdat-unjudged", "bdat_unjudged", NFSMTP_A_ACT_BDAT_UNJUDGED, 10, "log"),
	{ .name = "profile-mark-mask", .json = "profile_mark_mask",
	  .attr = NFSMTP_A_MARK_MASK, .type = NFSMTP_KT_U32, .per_ns = true, .hex = true, .def = "0x0" },
	{ .name = "profile-mark-shift", .json = "profile_mark_shift",
	  .attr = NFSMTP_A_MARK_SHIFT, .type = NFSMTP_KT_U8, .per_ns = true, .def = "0" },
};

const unsigned int nfsmtp_n_keys = ARRAY_SIZE(nfsmtp_keys);

const struct nfsmtp_key *nfsmtp_key_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < nfsmtp_n_keys; i++)
		if (!strcmp(nfsmtp_keys[i].name, name))
			return &nfsmtp_keys[i];
	return NULL;
}

const struct nfsmtp_key *nfsmtp_key_by_attr(unsigned int attr)
{
	unsigned int i;

	for (i = 0; i < nfsmtp_n_keys; i++)
		if (nfsmtp_keys[i].attr == attr)
			return &nfsmtp_keys[i];
	return NULL;
}

const char *nfsmtp_attr_name(unsigned int attr)
{
	const struct nfsmtp_key *k;

	if (attr == NFSMTP_A_PROFILE)
		return "profile";
	k = nfsmtp_key_by_attr(attr);
	return k ? k->name : NULL;
}

/* a few lists per profile at most, in a file or the kernel's answer */
#define NFSMTP_TEXTS	128

static char nfsmtp_texts[NFSMTP_TEXTS][SMTP_DOMAINS_TEXT_MAX + 1];
static uint32_t nfsmtp_n_texts = 1;	/* [0] is "" */

uint32_t nfsmtp_text_intern(const char *s)
{
	uint32_t i;

	if (strlen(s) > SMTP_DOMAINS_TEXT_MAX)
		return UINT32_MAX;
	for (i = 0; i < nfsmtp_n_texts; i++)
		if (!strcmp(nfsmtp_texts[i], s))
			return i;
	if (nfsmtp_n_texts == NFSMTP_TEXTS)
		return UINT32_MAX;
	strcpy(nfsmtp_texts[nfsmtp_n_texts], s);
	return nfsmtp_n_texts++;
}

const char *nfsmtp_text(uint32_t i)
{
	return i < nfsmtp_n_texts ? nfsmtp_texts[i] : "";
}

/*
 * A mail-relay list as the module reads it (smtp_domains_build), into its
 * shown form: sorted, lower case, joined by commas.
 */
static int parse_domains(const struct nfsmtp_key *k, const char *s, uint32_t *out,
			 char *err, size_t errlen)
{
	char shown[SMTP_DOMAINS_TEXT_MAX + SMTP_DOMAINS_MAX + 1];
	struct smtp_domains set;
	const char *why;
	size_t bad;

	if (!strcmp(s, "none")) {
		*out = 0;
		return 0;
	}
	if (strlen(s) > SMTP_DOMAINS_TEXT_MAX) {
		snprintf(err, errlen, "%s is longer than %d octets: list fewer %ss",
			 k->name, SMTP_DOMAINS_TEXT_MAX, k->what);
		return -1;
	}
	if (k->build(&set, s, strlen(s), &why, &bad)) {
		snprintf(err, errlen, "bad %s at \"%.*s\": %s", k->name,
			 (int)strcspn(s + bad, ", \t"), s + bad, why);
		return -1;
	}
	smtp_domains_format(&set, shown, sizeof(shown));
	*out = nfsmtp_text_intern(shown);
	if (*out == UINT32_MAX) {
		snprintf(err, errlen, "too many different %s lists at once", k->name);
		return -1;
	}
	return 0;
}

uint32_t nfsmtp_key_max(const struct nfsmtp_key *k)
{
	switch (k->type) {
	case NFSMTP_KT_U16:
		return UINT16_MAX;
	case NFSMTP_KT_U32:
	case NFSMTP_KT_FLAGS:
		return UINT32_MAX;
	default:
		return UINT8_MAX;
	}
}

int nfsmtp_parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	unsigned long v;
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoul would also take blanks, a sign, octal or a second 0x */
	if (!(base == 16 ? isxdigit((unsigned char)s[0]) : isdigit((unsigned char)s[0])) ||
	    (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* every bit a FLAGS key names */
static uint32_t flags_all(const struct nfsmtp_key *k)
{
	return (uint32_t)((1ULL << k->n_names) - 1);
}

int nfsmtp_parse_flags(const struct nfsmtp_key *k, const char *s, uint32_t *mask,
		       const char **bad, size_t *badlen)
{
	uint32_t m = 0;
	const char *p = s;

	if (!strcasecmp(s, "none")) {
		*mask = 0;
		return 0;
	}
	if (!strcasecmp(s, "all")) {
		*mask = flags_all(k);
		return 0;
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		unsigned int i;

		for (i = 0; i < k->n_names; i++)
			if (strlen(k->names[i]) == len && !strncasecmp(p, k->names[i], len))
				break;
		if (i == k->n_names) {
			*bad = p;
			*badlen = len;
			return -1;
		}
		m |= 1U << i;
		if (!p[len])
			break;
		p += len + 1;
	}
	*mask = m;
	return 0;
}

void nfsmtp_join_names(const char *const *names, unsigned int n, const char *sep,
		       const char *last, char *buf, size_t len)
{
	unsigned int i;
	size_t used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++) {
		const char *s = i == 0 ? "" : i == n - 1 ? last : sep;
		int w = snprintf(buf + used, len - used, "%s%s", s, names[i]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* "use allow or strip" for a key's values */
static void allowed_values(const struct nfsmtp_key *k, char *buf, size_t len)
{
	char names[512];

	switch (k->type) {
	case NFSMTP_KT_ENUM:
	case NFSMTP_KT_ACTION:
		nfsmtp_join_names(k->names, k->n_names, ", ", " or ", names, sizeof(names));
		snprintf(buf, len, "use %s", names);
		break;
	case NFSMTP_KT_FLAGS:
		nfsmtp_join_names(k->names, k->n_names, ", ", " and ", names, sizeof(names));
		snprintf(buf, len, "use none, all, or a comma-separated list of %s", names);
		break;
	case NFSMTP_KT_DOMAINS:
		snprintf(buf, len, "use none, or up to %d %ss separated by commas",
			 SMTP_DOMAINS_MAX, k->what);
		break;
	default:
		snprintf(buf, len, "use a number from 0 to %u (decimal, or hex with 0x)%s",
			 nfsmtp_key_max(k),
			 k->type == NFSMTP_KT_U16 ? "; 0 turns the limit off" : "");
	}
}

int nfsmtp_parse_value(const struct nfsmtp_key *k, const char *s, uint32_t *out,
		       char *err, size_t errlen)
{
	char allowed[600];
	const char *bad;
	size_t badlen;
	unsigned int i;

	switch (k->type) {
	case NFSMTP_KT_ENUM:
	case NFSMTP_KT_ACTION:
		for (i = 0; i < k->n_names; i++)
			if (k->names[i] && !strcmp(s, k->names[i])) {
				*out = i;
				return 0;
			}
		break;
	case NFSMTP_KT_FLAGS:
		if (!nfsmtp_parse_flags(k, s, out, &bad, &badlen))
			return 0;
		allowed_values(k, allowed, sizeof(allowed));
		if (badlen == 0)
			snprintf(err, errlen, "empty %s in %s \"%s\": %s",
				 k->what, k->name, s, allowed);
		else
			snprintf(err, errlen, "unknown %s \"%.*s\" in %s: %s",
				 k->what, (int)badlen, bad, k->name, allowed);
		return -1;
	case NFSMTP_KT_DOMAINS:
		return parse_domains(k, s, out, err, errlen);
	default:
		if (!nfsmtp_parse_uint(s, nfsmtp_key_max(k), out))
			return 0;
	}
	allowed_values(k, allowed, sizeof(allowed));
	snprintf(err, errlen, "bad value \"%s\" for %s: %s", s, k->name, allowed);
	return -1;
}

void nfsmtp_format_value(const struct nfsmtp_key *k, uint32_t v, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	switch (k->type) {
	case NFSMTP_KT_ENUM:
	case NFSMTP_KT_ACTION:
		if (v < k->n_names && k->names[v])
			snprintf(buf, len, "%s", k->names[v]);
		else
			snprintf(buf, len, "%u", v);	/* newer kernel than tool */
		return;
	case NFSMTP_KT_FLAGS:
		if (v == 0) {
			snprintf(buf, len, "none");
			return;
		}
		if (v == flags_all(k)) {
			snprintf(buf, len, "all");
			return;
		}
		buf[0] = '\0';
		for (i = 0; i < 32 && used < len; i++) {
			int w;

			if (!(v & (1U << i)))
				continue;
			if (i < k->n_names)
				w = snprintf(buf + used, len - used, "%s%s",
					     used ? "," : "", k->names[i]);
			else
				w = snprintf(buf + used, len - used, "%sbit%u",
					     used ? "," : "", i);
			if (w < 0)
				return;
			used += (size_t)w;
		}
		return;
	case NFSMTP_KT_DOMAINS:
		snprintf(buf, len, "%s", *nfsmtp_text(v) ? nfsmtp_text(v) : "none");
		return;
	default:
		snprintf(buf, len, k->hex ? "0x%x" : "%u", v);
	}
}

static void keys_list(char *buf, size_t len)
{
	const char *names[64];
	unsigned int i;

	for (i = 0; i < nfsmtp_n_keys && i < ARRAY_SIZE(names); i++)
		names[i] = nfsmtp_keys[i].name;
	nfsmtp_join_names(names, i, ", ", ", ", buf, len);
}

static int parse_profile(const char *s, int *profile, char *err, size_t errlen)
{
	uint32_t v;

	if (!s) {
		snprintf(err, errlen, "profile needs a number: the kernel has profiles 0 to %d",
			 NFSMTP_PROFILES - 1);
		return -1;
	}
	if (nfsmtp_parse_uint(s, UINT8_MAX, &v)) {
		snprintf(err, errlen, "bad profile \"%s\": use a number (the kernel has profiles 0 to %d)",
			 s, NFSMTP_PROFILES - 1);
		return -1;
	}
	*profile = (int)v;
	return 0;
}

int nfsmtp_parse_set(int argc, char *const argv[], struct nfsmtp_set_req *req,
		     char *err, size_t errlen)
{
	char list[900];
	int i;

	req->profile = -1;
	req->n = 0;
	for (i = 0; i < argc; i += 2) {
		const struct nfsmtp_key *k;
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned int j;

		if (!strcmp(argv[i], "profile")) {
			if (req->profile >= 0) {
				snprintf(err, errlen, "profile given twice");
				return -1;
			}
			if (parse_profile(val, &req->profile, err, errlen))
				return -1;
			continue;
		}
		k = nfsmtp_key_find(argv[i]);
		if (!k) {
			keys_list(list, sizeof(list));
			snprintf(err, errlen, "unknown key \"%s\": the keys are profile, %s",
				 argv[i], list);
			return -1;
		}
		for (j = 0; j < req->n; j++)
			if (req->s[j].key == k) {
				snprintf(err, errlen, "key %s given twice", k->name);
				return -1;
			}
		if (req->n == ARRAY_SIZE(req->s)) {
			snprintf(err, errlen, "too many keys at once: set them in two commands");
			return -1;
		}
		if (!val) {
			allowed_values(k, list, sizeof(list));
			snprintf(err, errlen, "%s needs a value: %s", k->name, list);
			return -1;
		}
		if (nfsmtp_parse_value(k, val, &req->s[req->n].value, err, errlen))
			return -1;
		req->s[req->n++].key = k;
	}
	if (req->n == 0) {
		snprintf(err, errlen, "nothing to set: give KEY VALUE pairs");
		return -1;
	}
	return 0;
}

int nfsmtp_parse_profile_arg(int argc, char *const argv[], int *profile,
			     char *err, size_t errlen)
{
	*profile = -1;
	if (argc == 0)
		return 0;
	if (strcmp(argv[0], "profile")) {
		snprintf(err, errlen, "unexpected \"%s\": use [profile N]", argv[0]);
		return -1;
	}
	if (parse_profile(argc > 1 ? argv[1] : NULL, profile, err, errlen))
		return -1;
	if (argc > 2) {
		snprintf(err, errlen, "unexpected \"%s\" after profile %s", argv[2], argv[1]);
		return -1;
	}
	return 0;
}
