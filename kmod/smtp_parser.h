/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Streaming SMTP parser shared by the conntrack helper and the userspace
 * tests, fuzzers and benchmarks.  It follows both directions of a session
 * through any segmentation: the caller feeds chunks of any size and gets
 * events whose spans are byte offsets relative to the chunk just fed (a span
 * that began in an earlier chunk has a negative start).  It allocates
 * nothing, takes no lock and keeps all of its state in struct smtp_parser.
 */
#ifndef _SMTP_PARSER_H
#define _SMTP_PARSER_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/bug.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/string.h>
#include <linux/version.h>
/* 6.12 moved it from asm/: the parser's one kernel version check (it includes no module header) */
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif
#else
#include "smtp_userspace_shim.h"
#endif

enum smtp_dir {
	SMTP_DIR_CLIENT = 0,	/* conntrack original direction */
	SMTP_DIR_SERVER = 1,
};

/* Known verbs in alphabetical order: the verb matcher relies on it. */
enum smtp_verb {
	SMTP_VERB_UNKNOWN = 0,
	SMTP_VERB_AUTH,
	SMTP_VERB_BDAT,
	SMTP_VERB_DATA,
	SMTP_VERB_EHLO,
	SMTP_VERB_ETRN,
	SMTP_VERB_EXPN,
	SMTP_VERB_HELO,
	SMTP_VERB_HELP,
	SMTP_VERB_MAIL,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_RCPT,
	SMTP_VERB_RSET,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_VRFY,
	SMTP_VERB_EOD,		/* pseudo command: the "." ending DATA */
	SMTP_VERB_AUTH_DATA,	/* pseudo command: a client line answering 334 */
	SMTP_VERB_GREETING,	/* pseudo command: the connection, answered by the banner */
	SMTP_VERB_MIXED,	/* pseudo command: a run of commands that change no mode */
	SMTP_VERB_MAX,
};

/* EHLO reply keywords in alphabetical order, then OTHER. */
enum smtp_ehlo_kw {
	SMTP_KW_8BITMIME = 0,
	SMTP_KW_AUTH,
	SMTP_KW_BINARYMIME,
	SMTP_KW_CHUNKING,
	SMTP_KW_DSN,
	SMTP_KW_ENHANCEDSTATUSCODES,
	SMTP_KW_ETRN,
	SMTP_KW_PIPELINING,
	SMTP_KW_SIZE,
	SMTP_KW_SMTPUTF8,
	SMTP_KW_STARTTLS,
	SMTP_KW_OTHER,
	SMTP_KW_MASKED,		/* X's, maybe one A at the end: a box upstream masked a keyword */
	SMTP_KW_MAX,
};

/* RFC 5322 3.6 singleton fields in alphabetical order, then the others. */
enum smtp_hdr {
	SMTP_HDR_BCC = 0,
	SMTP_HDR_CC,
	SMTP_HDR_DATE,
	SMTP_HDR_FROM,
	SMTP_HDR_IN_REPLY_TO,
	SMTP_HDR_MESSAGE_ID,
	SMTP_HDR_REFERENCES,
	SMTP_HDR_REPLY_TO,
	SMTP_HDR_RESENT,	/* any Resent-* field: such blocks may repeat */
	SMTP_HDR_SENDER,
	SMTP_HDR_SUBJECT,
	SMTP_HDR_TO,
	/* MIME fields: not singletons */
	SMTP_HDR_CONTENT_TRANSFER_ENCODING,
	SMTP_HDR_CONTENT_TYPE,
	SMTP_HDR_CONTENT_DISPOSITION,
	SMTP_HDR_OTHER,
	SMTP_HDR_MAX,
};

/* Content-Transfer-Encoding values (RFC 2045), as enum nfsmtp_mime_enc */
enum smtp_mime_enc {
	SMTP_ENC_7BIT = 0,
	SMTP_ENC_8BIT,
	SMTP_ENC_BASE64,
	SMTP_ENC_BINARY,
	SMTP_ENC_QUOTED_PRINTABLE,
	SMTP_ENC_OTHER,		/* any other value, comments nested or escaped */
	SMTP_ENC_MAX,
};

enum smtp_anomaly {
	SMTP_ANOM_CMD_TOO_LONG = 0,	/* command line over the limit (512 with CRLF) */
	SMTP_ANOM_REPLY_TOO_LONG,	/* reply line over the limit (512 with CRLF) */
	SMTP_ANOM_TEXT_TOO_LONG,	/* DATA body line over the limit (1000 with CRLF) */
	SMTP_ANOM_HEADER_TOO_LONG,	/* header line over the limit (998 + CRLF) */
	SMTP_ANOM_NUL,			/* NUL outside BDAT content */
	SMTP_ANOM_BARE_CR,
	SMTP_ANOM_BARE_LF,
	SMTP_ANOM_SMUGGLING,		/* a "." line not framed by CRLF on both sides */
	SMTP_ANOM_STARTTLS_INJECTION,	/* client bytes after STARTTLS, before its reply */
	SMTP_ANOM_TLS_RESPONSE_INJECTION, /* server bytes after the 220 to STARTTLS */
	SMTP_ANOM_DATA_PIPELINED,	/* client bytes after DATA, before its reply */
	SMTP_ANOM_REPLY_UNEXPECTED,	/* reply without a pending command */
	SMTP_ANOM_BAD_REPLY,		/* server line that is not a reply */
	SMTP_ANOM_BDAT_SYNTAX,		/* missing, negative or junk chunk size */
	SMTP_ANOM_BDAT_TOO_BIG,		/* chunk size beyond 32 bits */
	SMTP_ANOM_QUEUE_FULL,		/* too many distinct pipelined commands */
	SMTP_ANOM_LOST_SYNC,		/* from here on the parser claims nothing */
	SMTP_ANOM_REPLY_MISMATCH,	/* the reply shows the server read a command otherwise */
	SMTP_ANOM_EOD_UNSEEN,		/* a reply ends message text the parser still reads */
	SMTP_ANOM_TLS_FRAMING,		/* after STARTTLS, a byte that is no TLS record's */
	SMTP_ANOM_MESSAGE_TOO_BIG,	/* DATA text, or BDAT chunks declared, over the limit */
	SMTP_ANOM_HEADERS_TOO_BIG,	/* header section over the limit */
	SMTP_ANOM_SIZE_EXCEEDED,	/* DATA text over its SIZE= by more than size_excess */
	SMTP_ANOM_SIZE_UNJUDGED,	/* a SIZE= declared the parser cannot hold to the message */
	SMTP_ANOM_MAX,
};

enum smtp_ev_type {
	SMTP_EV_VERB = 1,	/* verb complete: verb, span = verb; sink may mask it */
	SMTP_EV_COMMAND,	/* command line complete: verb, span = line, arg span */
	SMTP_EV_REPLY,		/* reply line complete: code, verb answered, FIRST/LAST */
	SMTP_EV_EHLO_KEYWORD,	/* keyword line of an EHLO reply: sub = kw, span = keyword */
	SMTP_EV_BANNER,		/* greeting line: span = text after the code */
	SMTP_EV_DATA_START,	/* 354 to DATA: message text follows */
	SMTP_EV_DATA_END,	/* CRLF.CRLF: span = the ".\r\n" line, value = octets of the text */
	SMTP_EV_BDAT_START,	/* chunk content begins: value = size, flags LAST, FIRST */
	SMTP_EV_BDAT_END,	/* chunk content ended before span start */
	SMTP_EV_HEADER,		/* header field name: sub = hdr, span = name, flag DUP;
				 * To: value = To fields so far (SMTP_TO_FIELDS_MAX)
				 */
	SMTP_EV_HEADERS_END,	/* empty line ending the header section; DATA: value = its octets */
	SMTP_EV_TLS_START,	/* 220 to STARTTLS: nothing more is parsed */
	SMTP_EV_RESYNC,		/* dir is followed again after lost sync or pickup */
	SMTP_EV_ANOMALY,	/* sub = anomaly, span where it was seen */
	SMTP_EV_MIME_ENCODING,	/* DATA: a Content-Transfer-Encoding value of the
				 * message or a part: sub = enum smtp_mime_enc,
				 * span = the byte after the value
				 */
	SMTP_EV_MIME_FILENAME,	/* DATA: a file name (Content-Type name=,
				 * Content-Disposition filename=, RFC 2231
				 * sections joined): value = its octets as sent
				 * (SMTP_FILENAME_LEN_MAX at most), flag BANNED;
				 * span = where its field or the next name began
				 */
	SMTP_EV_MAX,
};

/* event flags */
#define SMTP_EVF_FIRST		0x01	/* reply: its first line; BDAT: a message's first chunk */
#define SMTP_EVF_LAST		0x02	/* reply: last line; BDAT: the LAST chunk */
#define SMTP_EVF_DUP		0x04	/* header: repeated singleton */
#define SMTP_EVF_NOSPAN		0x08	/* span start unknown (line longer than the counter) */
#define SMTP_EVF_PARTIAL	0x10	/* header name split by a BDAT command: span is its tail */
#define SMTP_EVF_REQUIRETLS	0x20	/* MAIL command: with the REQUIRETLS parameter */
#define SMTP_EVF_SPECIAL	0x40	/* MAIL, RCPT command: a special character in the path */
#define SMTP_EVF_FOREIGN	0x80	/* RCPT command: a domain not in the sink's relay set */
#define SMTP_EVF_BANNED		0x100	/* MIME file name: an extension in the sink's filetypes */
#define SMTP_EVF_SIZED		0x200	/* BDAT: a message's first chunk, its sizes followed */

/* The To fields a HEADER event counts saturate here (3 bits of the state). */
#define SMTP_TO_FIELDS_MAX	7

/* The refused RCPTs a reply reports saturate here (3 bits of the state). */
#define SMTP_REFUSED_RCPT_MAX	7

/* MIME file names: the longest length the parser reports (saturating) */
#define SMTP_FILENAME_LEN_MAX	1023

/* MAIL, RCPT: the longest path length the parser reports (saturating) */
#define SMTP_PATH_LEN_MAX	8191

struct smtp_event {
	u8 type;		/* enum smtp_ev_type */
	u8 dir;			/* enum smtp_dir the event belongs to */
	u8 verb;		/* enum smtp_verb: command, or command a reply answers */
	u8 sub;			/* enum smtp_ehlo_kw, smtp_hdr or smtp_anomaly */
	u16 code;		/* reply code */
	u16 flags;		/* SMTP_EVF_* */
	s32 start;		/* span relative to the chunk passed to smtp_parse() */
	s32 len;
	s32 arg_start;		/* COMMAND of a known verb: the arguments */
	s32 arg_len;		/* -1 when unknown */
	u32 value;		/* BDAT chunk size; RCPT: its number in the transaction;
				 * last line of a reply to RCPT: RCPTs refused with
				 * 5xx in the session so far, this one included
				 */
	u32 path_len;		/* MAIL command: octets of the path, brackets excluded */
};

/* What a sink returns */
enum smtp_sink_ret {
	SMTP_CONTINUE = 0,
	SMTP_STOP,		/* stop parsing this chunk (the connection is being killed) */
	SMTP_MASKED,		/* VERB, COMMAND: the sink masked the verb: unknown to the server */
};

typedef int (*smtp_event_fn)(void *ctx, const struct smtp_event *ev);

/*
 * A set of mail domains (mail-relay): lower case, without a trailing dot,
 * sorted by their bytes (a name before the longer names it begins).  The
 * parser matches an RCPT's domain against it byte by byte as the line
 * streams by, keeping the range of names that still match (8 + 2 x 5 bits).
 */
#define SMTP_DOMAINS_MAX	32
#define SMTP_DOMAIN_LEN_MAX	255	/* RFC 1035 */
#define SMTP_DOMAINS_TEXT_MAX	1023	/* the list as text: the names and their commas */

struct smtp_domains {
	u8 n;
	u8 len[SMTP_DOMAINS_MAX];
	u16 off[SMTP_DOMAINS_MAX];	/* into name */
	char name[SMTP_DOMAINS_TEXT_MAX];
};

/*
 * The set from text: names separated by commas (or blanks), any case, a
 * trailing dot dropped.  Returns 0, or -1 with *err saying what is wrong
 * (a fixed text) and *bad at the offending name.
 */
int smtp_domains_build(struct smtp_domains *set, const char *text, size_t len,
		       const char **err, size_t *bad);
/*
 * mime-filetype: file name extensions in the same form (at most 32, each at
 * most SMTP_FILETYPE_LEN_MAX octets, a leading dot dropped).
 */
#define SMTP_FILETYPE_LEN_MAX	15
int smtp_filetypes_build(struct smtp_domains *set, const char *text, size_t len,
			 const char **err, size_t *bad);
/*
 * In a sorted set, narrow [*lo, *hi] to the names whose octet pos is c;
 * false when none is left (or the set shrank under a line being read).
 */
bool smtp_set_narrow(const struct smtp_domains *set, unsigned int pos, unsigned int *lo,
		     unsigned int *hi, u8 c);
/* The set as text, names joined by commas; returns the length written. */
size_t smtp_domains_format(const struct smtp_domains *set, char *buf, size_t size);

/*
 * Event sink and line limits (octets including CRLF; 0 means the RFC value),
 * and the size limits of a DATA message (octets of text as sent, dot lines
 * and all; 0 means none).
 */
struct smtp_sink {
	smtp_event_fn fn;
	void *ctx;
	u16 max_cmd;
	u16 max_reply;
	u16 max_text;
	u16 max_header;
	u32 max_message;
	u32 max_headers;
	/*
	 * DATA: the octets a message may exceed its MAIL's SIZE= by (sized as
	 * RFC 1870 says: no line-start dot, no end-of-data line); 0: no check
	 */
	u32 size_excess;
	const struct smtp_domains *relay;	/* RCPT domains allowed; NULL or empty: any */
	const struct smtp_domains *filetypes;	/* MIME file name extensions flagged BANNED */
};

#define SMTP_LINE_COUNTER_MAX	8191	/* line lengths saturate here */

/*
 * Bytes a server skips before a verb and takes for the end of one: postfix
 * splits command words on isspace() (a CR not ending the line included);
 * no byte may be white space to a server and part of a verb to us.
 */
static inline bool smtp_is_blank(u8 c)
{
	return c == ' ' || (c >= '\t' && c <= '\r' && c != '\n');
}

/* TLS record framing of one direction, once TLS started */
struct smtp_tls_dir {
	u16 left;		/* body bytes of the record still due; its length while read */
	u8 pos;			/* header byte next (0-4), or 5: in a body */
	u8 flags;
};

/*
 * Parser state: 24 bytes for both directions.  Bitfields keep it inside the
 * 32-byte helper area next to the helper's own sequence numbers.
 */
struct smtp_parser {
	/* client direction: the current line */
	u32 c_len:13;		/* content bytes of the line so far (saturating) */
	u32 c_ls:5;		/* line sub-state */
	u32 c_mode:3;		/* what the client sends: commands, DATA, BDAT content ... */
	u32 c_tok:10;		/* verb or header-name matcher */
	u32 c_lead:1;		/* blanks came before the verb of this command line;
				 * DATA: the sectioned file name is a filename=
				 */
	/* server direction: the current line */
	u32 s_len:10;
	u32 s_ls:4;
	u32 s_mode:2;
	u32 s_tok:10;		/* reply code, or keyword matcher on EHLO keyword lines */
	u32 s_flags:6;
	union {
		u32 bdat_left;	/* BDAT content bytes still due; size accumulator in the command */
		u32 arg_scan;	/* a MAIL or RCPT line: the argument matcher */
		u32 text_len;	/* DATA: octets of message text so far (saturating) */
	};
	u16 c_flags:6;		/* per client mode */
	u16 flags:10;		/* session flags */
	union {
		struct {
			/*
			 * Commands: RCPTs in the transaction as the server
			 * sees it (saturating).  In a message: singleton header
			 * fields seen, and the header flag.
			 */
			u16 txn;
			union {
				/* pending commands, head first: runs of verbs */
				u16 queue[3];
				/* DATA text (no command pending): a MIME file name */
				u16 mime[3];
			};
		};
		struct smtp_tls_dir tls[2];	/* after STARTTLS: TLS records, per direction */
	};
	u16 user;		/* the caller's (the helper keeps its flags and profile here) */
};

#define SMTP_PARSER_SIZE 24

/* A connection seen from its first byte (the three-way handshake was seen). */
void smtp_parser_init(struct smtp_parser *p);
/* A connection joined mid-stream (pickup, failover): claim nothing until resynchronised. */
void smtp_parser_init_pickup(struct smtp_parser *p);
/*
 * A client command line judged on its own (a retransmission): the start of a
 * line, nothing pending, the banner seen.
 */
void smtp_parser_init_line(struct smtp_parser *p);
/* The caller lost bytes of a direction (sequence gap): resynchronise. */
void smtp_parser_gap(struct smtp_parser *p);

/*
 * Feed a chunk of direction dir.  Returns the bytes consumed: len, or fewer
 * when the sink returned SMTP_STOP (the state covers exactly the bytes
 * consumed).
 */
size_t smtp_parse(struct smtp_parser *p, enum smtp_dir dir, const u8 *buf,
		  size_t len, const struct smtp_sink *sink);

bool smtp_parser_tls(const struct smtp_parser *p);
/* The server offered STARTTLS in an EHLO reply of this session. */
bool smtp_parser_starttls_offered(const struct smtp_parser *p);
bool smtp_parser_client_commands(const struct smtp_parser *p);
/* The client sends message text after DATA (dot lines matter). */
bool smtp_parser_client_text(const struct smtp_parser *p);
/* Bytes of the client's current command line so far, or -1 when not known. */
int smtp_parser_client_line_len(const struct smtp_parser *p);
u32 smtp_parser_open_verb(const struct smtp_parser *p, u32 *len);
unsigned int smtp_verb_lookup(const u8 *s, unsigned int len);
unsigned int smtp_kw_lookup(const u8 *s, unsigned int len);
bool smtp_parser_synced(const struct smtp_parser *p, enum smtp_dir dir);
/*
 * Is p a state the parser can be in?  NULL if so, else what is wrong.  Every
 * state smtp_parse() leaves passes (the unit tests and the fuzzer check it
 * after every chunk); a state that passes is safe to parse from.  The helper
 * checks states it imports from netlink (conntrackd failover) with it.  The
 * user byte is the caller's and is not looked at.
 */
const char *smtp_parser_check(const struct smtp_parser *p);

const char *smtp_verb_name(unsigned int verb);
const char *smtp_kw_name(unsigned int kw);
const char *smtp_hdr_name(unsigned int hdr);
const char *smtp_mime_enc_name(unsigned int enc);
const char *smtp_anomaly_name(unsigned int anom);
const char *smtp_event_name(unsigned int type);

#endif /* _SMTP_PARSER_H */
