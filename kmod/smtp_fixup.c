// SPDX-License-Identifier: GPL-2.0
/*
 * ESMTP fixup: policy decisions on parser events, same-length rewrites,
 * and the drop/reset actions.  Every action counts, emits a netlink event
 * and a rate-limited log line that names the connection, the rule and the
 * effect the peers will see.
 */
#define pr_fmt(fmt) "nf_conntrack_smtp: " fmt

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/kernel.h>
#include <linux/netfilter.h>
#include <linux/tcp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/tcp.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>

#include <nf_smtp_names.h>

#include "smtp_fixup.h"

/* one spelling everywhere: the tool and the kernel log share these tables */
static const char *const rule_names[__NFSMTP_RULE_MAX] = NFSMTP_RULE_NAMES;
static const char *const action_names[__NFSMTP_ACTION_MAX] = NFSMTP_ACTION_NAMES;

/* a MIME_ENCODING event's sub is its bit in mime-encoding */
static_assert((int)SMTP_ENC_OTHER == (int)NFSMTP_MIME_ENC_OTHERS &&
	      (int)SMTP_ENC_MAX == (int)__NFSMTP_MIME_ENC_MAX, "encoding bits");

/* ---- what the policy allows ---------------------------------------------- */

#define VERB(v)		(1U << SMTP_VERB_##v)
#define MAILGUARD_VERBS	(VERB(HELO) | VERB(MAIL) | VERB(RCPT) | VERB(DATA) | \
			 VERB(RSET) | VERB(NOOP) | VERB(QUIT))
#define KNOWN_VERBS	(((1U << (SMTP_VERB_VRFY + 1)) - 1) & ~VERB(UNKNOWN))

/* Bit per enum smtp_verb that the profile lets through; UNKNOWN for unknown verbs. */
u32 smtp_allowed_verbs(const struct smtp_profile *prof)
{
	u32 allowed;

	switch (prof->commands) {
	case NFSMTP_COMMANDS_MAILGUARD:
		allowed = MAILGUARD_VERBS;
		break;
	case NFSMTP_COMMANDS_ESMTP:
		allowed = KNOWN_VERBS;
		break;
	default:
		allowed = KNOWN_VERBS | VERB(UNKNOWN);
	}
	if (prof->starttls == NFSMTP_STARTTLS_STRIP)
		allowed &= ~VERB(STARTTLS);
	return allowed;
}

/* Verbs that are not masked: with an action other than mask, only STARTTLS is. */
u32 smtp_unmasked_verbs(const struct smtp_profile *prof)
{
	u32 all = KNOWN_VERBS | VERB(UNKNOWN);

	if (prof->act[NFSMTP_RULE_COMMAND] == NFSMTP_ACTION_MASK)
		return smtp_allowed_verbs(prof);
	if (prof->starttls == NFSMTP_STARTTLS_STRIP)
		return all & ~VERB(STARTTLS);
	return all;
}

bool smtp_kw_masked(const struct smtp_profile *prof, unsigned int kw)
{
	/* parser keyword numbers are the UAPI's, OTHER is UNKNOWN (so is MASKED) */
	if (kw > SMTP_KW_OTHER)
		kw = SMTP_KW_OTHER;
	if (kw == SMTP_KW_STARTTLS && prof->starttls == NFSMTP_STARTTLS_STRIP)
		return true;
	return prof->ehlo_mask & (1U << kw);
}

/* ---- log lines, events, counters ------------------------------------------ */

/* The kernel log line of an announced action (the packet path, lock dropped). */
void smtp_note_log(const struct nf_conn *ct, const struct smtp_note *n)
{
	const struct nf_conntrack_tuple *t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	const char *detail = n->detail, *effect = n->effect;

	if (!net_ratelimit())
		return;
	if (nf_ct_l3num(ct) == AF_INET)
		pr_info("%pI4:%u -> %pI4:%u: %s %s: %s%s%s\n",
			&t->src.u3.ip, ntohs(t->src.u.tcp.port),
			&t->dst.u3.ip, ntohs(t->dst.u.tcp.port),
			rule_names[n->rule], action_names[n->action], detail ? detail : "",
			detail && effect ? ": " : "", effect ? effect : "");
	else
		pr_info("[%pI6c]:%u -> [%pI6c]:%u: %s %s: %s%s%s\n",
			&t->src.u3.ip6, ntohs(t->src.u.tcp.port),
			&t->dst.u3.ip6, ntohs(t->dst.u.tcp.port),
			rule_names[n->rule], action_names[n->action], detail ? detail : "",
			detail && effect ? ": " : "", effect ? effect : "");
}

/*
 * Queue the announcement of an action.  No peer may flood event listeners
 * or the kernel log: a rule is announced once per packet, a connection
 * announces at most SMTP_EVENTS_PER_MESSAGE actions per message, the last
 * of them saying that further ones are suppressed; the rest only count.
 */
static void smtp_announce(struct smtp_pkt *pk, enum nfsmtp_rule rule, u8 action,
			  const char *detail, const char *effect)
{
	u16 *user = &pk->sc->p.user;
	unsigned int sent = (*user & SC_EV_MASK) >> SC_EV_SHIFT;
	struct smtp_note *n;

	if ((pk->announced & BIT(rule)) || sent > SMTP_EVENTS_PER_MESSAGE ||
	    pk->nnotes == SMTP_MAX_NOTES) {
		smtp_stat_inc(pk->st, NFSMTP_STAT_EVENTS_SUPPRESSED);
		return;
	}
	if (sent == SMTP_EVENTS_PER_MESSAGE)
		effect = "more of this message's events are only counted (events_suppressed)";
	*user += 1 << SC_EV_SHIFT;
	pk->announced |= BIT(rule);
	n = &pk->notes[pk->nnotes++];
	n->rule = rule;
	n->action = action;
	n->detail = detail;
	n->effect = effect;
}

/*
 * A rule fired with an action.  Returns the sink answer: SMTP_STOP when the
 * connection is being dropped or reset (nothing more to parse).
 */
int smtp_act(struct smtp_pkt *pk, enum nfsmtp_rule rule, u8 action,
	     const char *detail, const char *effect)
{
	if (action == NFSMTP_ACTION_OFF)
		return SMTP_CONTINUE;
	smtp_announce(pk, rule, action, detail, effect);
	switch (action) {
	case NFSMTP_ACTION_DROP:
		if (pk->verdict < SMTP_DROP_CONN)
			pk->verdict = SMTP_DROP_CONN;
		return SMTP_STOP;
	case NFSMTP_ACTION_RESET:
		pk->verdict = SMTP_RESET_CONN;
		return SMTP_STOP;
	}
	return SMTP_CONTINUE;
}

/* ---- rewrites --------------------------------------------------------------- */

/*
 * Queue a same-length rewrite of the span [start, start + len) of the chunk.
 * Bytes of earlier packets are gone: only the part in this skb's new bytes
 * is rewritten.  If none is, the delimiter that ended the span is masked
 * instead (delim), so the far end still sees no valid token.
 */
void smtp_add_rewrite(struct smtp_pkt *pk, s32 start, s32 len, u8 fill,
		      bool delim)
{
	s64 from = (s64)pk->chunk_off + start, to = from + len;
	struct smtp_rewrite *rw;

	if (from < pk->new_off)
		from = pk->new_off;
	if (to <= from) {
		if (!delim || to < pk->new_off || to >= pk->skb->len)
			return;
		from = to;
		to = from + 1;
		fill = SMTP_FILL_X;
	}
	if (to > pk->skb->len)
		to = pk->skb->len;
	if (pk->nrw == pk->rw_max) {
		pk->overflow = true;
		return;
	}
	rw = &pk->rw[pk->nrw++];
	rw->off = from;
	rw->len = to - from;
	rw->fill = fill;
}

/* ---- the event sink ------------------------------------------------------------ */

/* What require-tls holds back until TLS: the mail and the credentials. */
static bool needs_tls(unsigned int verb)
{
	return verb == SMTP_VERB_MAIL || verb == SMTP_VERB_RCPT || verb == SMTP_VERB_AUTH ||
	       verb == SMTP_VERB_DATA || verb == SMTP_VERB_BDAT;
}

/* Signs that someone else strips STARTTLS: counted, announced, nothing rewritten. */
static void downgrade(struct smtp_pkt *pk, enum nfsmtp_stat stat, const char *detail,
		      const char *effect)
{
	smtp_stat_inc(pk->st, stat);
	smtp_act(pk, NFSMTP_RULE_DOWNGRADE, NFSMTP_ACTION_LOG, detail, effect);
}

/*
 * Does the profile mask verb wherever it stands, its line alone deciding?
 * *rule: the rule that masks it, or that acts on it otherwise.
 */
static bool verb_masked(const struct smtp_profile *prof, unsigned int verb,
			enum nfsmtp_rule *rule)
{
	*rule = NFSMTP_RULE_STARTTLS;
	if (verb == SMTP_VERB_STARTTLS && prof->starttls == NFSMTP_STARTTLS_STRIP)
		return true;
	*rule = NFSMTP_RULE_COMMAND;
	if (!(smtp_allowed_verbs(prof) & (1U << verb)))
		return prof->act[NFSMTP_RULE_COMMAND] == NFSMTP_ACTION_MASK;
	*rule = NFSMTP_RULE_REQUIRE_TLS;
	if (needs_tls(verb) && prof->act[NFSMTP_RULE_REQUIRE_TLS] != NFSMTP_ACTION_OFF)
		return prof->act[NFSMTP_RULE_REQUIRE_TLS] == NFSMTP_ACTION_MASK;
	*rule = NFSMTP_RULE_RCPT;
	return false;
}

/* Bit per enum smtp_verb: the known verbs the profile masks wherever they stand. */
u32 smtp_masked_verbs(const struct smtp_profile *prof)
{
	enum nfsmtp_rule rule;
	u32 verbs = 0;
	unsigned int v;

	for (v = SMTP_VERB_AUTH; v <= SMTP_VERB_VRFY; v++)
		if (verb_masked(prof, v, &rule))
			verbs |= 1U << v;
	return verbs;
}

/*
 * Mask the verb at [start, start + len) of the chunk if the profile masks
 * it wherever it stands; count and announce it unless it was before (a
 * retransmission whose first copy was masked).  The first pass and the
 * retransmission rescan share this: they cannot judge a verb differently.
 */
bool smtp_mask_verb(struct smtp_pkt *pk, unsigned int verb, s32 start, s32 len,
		    bool count, bool retrans)
{
	static const struct {
		u8 stat;
		const char *effect;
	} why[] = {
		[NFSMTP_RULE_STARTTLS] = { NFSMTP_STAT_STARTTLS_STRIPPED,
			"masked: the server will answer 500 and the session stays in plaintext" },
		[NFSMTP_RULE_COMMAND] = { NFSMTP_STAT_CMDS_MASKED,
			"not allowed: masked, the server will answer 500" },
		[NFSMTP_RULE_REQUIRE_TLS] = { NFSMTP_STAT_REQUIRE_TLS,
			"sent before TLS: masked, the server will answer 500" },
	};
	enum nfsmtp_rule rule;

	if (!verb_masked(pk->prof, verb, &rule))
		return false;
	smtp_add_rewrite(pk, start, len, SMTP_FILL_X, true);
	if (!count)
		return true;
	if (rule == NFSMTP_RULE_STARTTLS && !retrans)
		smtp_stat_inc(pk->st, NFSMTP_STAT_STARTTLS_SEEN);
	smtp_stat_inc(pk->st, why[rule].stat);
	smtp_act(pk, rule, NFSMTP_ACTION_MASK, smtp_verb_name(verb),
		 retrans ? "masked in a retransmission: the server will answer 500" :
		 why[rule].effect);
	return true;
}

static int on_verb(struct smtp_pkt *pk, const struct smtp_event *ev)
{
	const struct smtp_profile *prof = pk->prof;
	const char *name = smtp_verb_name(ev->verb);
	enum nfsmtp_rule rule;
	u8 action;

	if (smtp_mask_verb(pk, ev->verb, ev->start, ev->len, true, false))
		return SMTP_MASKED;
	verb_masked(prof, ev->verb, &rule);
	action = prof->act[rule];
	switch (rule) {
	case NFSMTP_RULE_COMMAND:
		return smtp_act(pk, rule, action, name, "not allowed");
	case NFSMTP_RULE_REQUIRE_TLS:
		smtp_stat_inc(pk->st, NFSMTP_STAT_REQUIRE_TLS);
		return smtp_act(pk, rule, action, name, "sent before TLS");
	default:
		break;
	}
	if (ev->verb == SMTP_VERB_RCPT && prof->rcpt_max && ev->value > prof->rcpt_max) {
		smtp_stat_inc(pk->st, NFSMTP_STAT_LIMIT_HITS);
		if (action == NFSMTP_ACTION_MASK) {
			smtp_add_rewrite(pk, ev->start, ev->len, SMTP_FILL_X, true);
			smtp_act(pk, rule, action, name,
				 "over rcpt-max: masked, the server will answer 500 for this recipient");
			return SMTP_MASKED;
		}
		return smtp_act(pk, rule, action, name, "over rcpt-max");
	}
	return SMTP_CONTINUE;
}

/* A guard fired: counted and acted on unless the profile turned it off. */
static int guard_act(struct smtp_pkt *pk, enum nfsmtp_rule rule, enum nfsmtp_stat stat,
		     const char *detail, const char *effect)
{
	u8 action = pk->prof->act[rule];

	if (action == NFSMTP_ACTION_OFF)
		return SMTP_CONTINUE;
	smtp_stat_inc(pk->st, stat);
	return smtp_act(pk, rule, action, detail, effect);
}

/* The line limits: which anomaly hits which of the profile's limits and rules. */
static const struct {
	u8 anomaly;		/* enum smtp_anomaly */
	u8 rule;		/* enum nfsmtp_rule */
	u8 limit;		/* offset of the u16 limit in struct smtp_profile */
	const char *effect;
} smtp_line_limits[] = {
	{ SMTP_ANOM_CMD_TOO_LONG, NFSMTP_RULE_CMD_LINE,
	  offsetof(struct smtp_profile, cmd_line_max), "command line over cmd-line-max" },
	{ SMTP_ANOM_HEADER_TOO_LONG, NFSMTP_RULE_HEADER_LINE,
	  offsetof(struct smtp_profile, header_line_max), "header line over header-line-max" },
	{ SMTP_ANOM_TEXT_TOO_LONG, NFSMTP_RULE_BODY_LINE,
	  offsetof(struct smtp_profile, body_line_max), "body line over body-line-max" },
};

static int on_line_limit(struct smtp_pkt *pk, unsigned int anomaly, const char *name)
{
	const u8 *prof = (const u8 *)pk->prof;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(smtp_line_limits); i++) {
		u8 rule = smtp_line_limits[i].rule;

		if (smtp_line_limits[i].anomaly != anomaly)
			continue;
		if (!*(const u16 *)(prof + smtp_line_limits[i].limit))
			return SMTP_CONTINUE;	/* the limit is off */
		smtp_stat_inc(pk->st, NFSMTP_STAT_LIMIT_HITS);
		return smtp_act(pk, rule, pk->prof->act[rule], name, smtp_line_limits[i].effect);
	}
	return SMTP_CONTINUE;
}

static int on_anomaly(struct smtp_pkt *pk, const struct smtp_event *ev)
{
	const struct smtp_profile *prof = pk->prof;
	const char *name = smtp_anomaly_name(ev->sub);

	switch (ev->sub) {
	case SMTP_ANOM_STARTTLS_INJECTION:
	case SMTP_ANOM_TLS_RESPONSE_INJECTION:
		return guard_act(pk, NFSMTP_RULE_STARTTLS_INJECTION, NFSMTP_STAT_INJECTION, name,
				 "plaintext pipelined around STARTTLS (CVE-2011-0411 class)");
	case SMTP_ANOM_TLS_FRAMING:
		return guard_act(pk, NFSMTP_RULE_TLS_FRAMING, NFSMTP_STAT_TLS_FRAMING, name,
				 "bytes after STARTTLS that are no TLS record (CVE-2026-45185 class)");
	case SMTP_ANOM_SMUGGLING:
		return guard_act(pk, NFSMTP_RULE_SMUGGLING, NFSMTP_STAT_SMUGGLING, name,
				 "non-canonical end of data (SMTP smuggling)");
	case SMTP_ANOM_DATA_PIPELINED:
		/*
		 * Client bytes behind DATA, before its reply: no client may
		 * send them (RFC 2920), but servers read them as message text
		 * once they answer 354.  The parser took them for commands and
		 * stops following the session at the 354, so the smuggling
		 * guard would never see an end-of-data sequence in them.
		 */
		return guard_act(pk, NFSMTP_RULE_SMUGGLING, NFSMTP_STAT_SMUGGLING, name,
				 "message text before the 354 reply: no guard can follow it");
	case SMTP_ANOM_BARE_CR:
	case SMTP_ANOM_BARE_LF:
		/*
		 * The guard is about message text.  The parser reports bare
		 * line ends in command lines too, and those are common (telnet,
		 * netcat, old clients end commands with a bare LF).
		 */
		if (ev->dir != SMTP_DIR_CLIENT ||
		    smtp_parser_client_commands(&pk->sc->p))
			return SMTP_CONTINUE;
		smtp_stat_inc(pk->st, NFSMTP_STAT_BARE_NEWLINES);
		return smtp_act(pk, NFSMTP_RULE_BARE_NEWLINE,
				prof->act[NFSMTP_RULE_BARE_NEWLINE], name, NULL);
	case SMTP_ANOM_CMD_TOO_LONG:
	case SMTP_ANOM_HEADER_TOO_LONG:
	case SMTP_ANOM_TEXT_TOO_LONG:
		return on_line_limit(pk, ev->sub, name);
	case SMTP_ANOM_REPLY_MISMATCH:
		smtp_stat_inc(pk->st, NFSMTP_STAT_REPLY_MISMATCH);
		return smtp_act(pk, NFSMTP_RULE_LOST_SYNC, prof->act[NFSMTP_RULE_LOST_SYNC], name,
				"the server read a command otherwise: followed");
	case SMTP_ANOM_EOD_UNSEEN:
		return guard_act(pk, NFSMTP_RULE_SMUGGLING, NFSMTP_STAT_SMUGGLING, name,
				 "the server ended the message where no end of data was");
	case SMTP_ANOM_HEADERS_TOO_BIG:
		smtp_stat_inc(pk->st, NFSMTP_STAT_HEADER_SECTION_TOO_BIG);
		return smtp_act(pk, NFSMTP_RULE_HEADER_SECTION,
				prof->act[NFSMTP_RULE_HEADER_SECTION], name,
				"header section over header-section-max");
	case SMTP_ANOM_MESSAGE_TOO_BIG:
		smtp_stat_inc(pk->st, NFSMTP_STAT_MESSAGE_TOO_BIG);
		return smtp_act(pk, NFSMTP_RULE_MESSAGE, prof->act[NFSMTP_RULE_MESSAGE], name,
				"message over message-max");
	case SMTP_ANOM_SIZE_EXCEEDED:
		smtp_stat_inc(pk->st, NFSMTP_STAT_SIZE_EXCESS);
		return smtp_act(pk, NFSMTP_RULE_SIZE_EXCESS, prof->act[NFSMTP_RULE_SIZE_EXCESS],
				name, "message over its SIZE= by more than size-excess-max");
	case SMTP_ANOM_SIZE_UNJUDGED:
		/* a client that declares no SIZE= escapes the check alike: said, not acted on */
		smtp_stat_inc(pk->st, NFSMTP_STAT_SIZE_UNJUDGED);
		return smtp_act(pk, NFSMTP_RULE_SIZE_EXCESS, NFSMTP_ACTION_LOG, name,
				"SIZE= not held to its message: size-excess-max cannot judge it");
	case SMTP_ANOM_LOST_SYNC:
		smtp_stat_inc(pk->st, NFSMTP_STAT_LOST_SYNC);
		return smtp_act(pk, NFSMTP_RULE_LOST_SYNC, prof->act[NFSMTP_RULE_LOST_SYNC], name,
				"session no longer followed until it resynchronises");
	}
	return SMTP_CONTINUE;
}

static void on_ehlo_keyword(struct smtp_pkt *pk, const struct smtp_event *ev)
{
	if (ev->sub == SMTP_KW_MASKED)
		downgrade(pk, NFSMTP_STAT_UPSTREAM_MASK, "XXXXXXXA",
			  "an upstream box masks STARTTLS: clients will see 250-XXXXXXXA");
	if (!smtp_kw_masked(pk->prof, ev->sub))
		return;
	smtp_stat_inc(pk->st, NFSMTP_STAT_EHLO_KW_MASKED);
	smtp_add_rewrite(pk, ev->start, ev->len, SMTP_FILL_XA, true);
	if (ev->sub == SMTP_KW_STARTTLS) {
		smtp_stat_inc(pk->st, NFSMTP_STAT_STARTTLS_STRIPPED);
		smtp_act(pk, NFSMTP_RULE_STARTTLS, NFSMTP_ACTION_MASK, "STARTTLS",
			 "masked in the EHLO reply: clients will see 250-XXXXXXXA and stay in plaintext");
	} else {
		smtp_act(pk, NFSMTP_RULE_EHLO_MASK, NFSMTP_ACTION_MASK, smtp_kw_name(ev->sub),
			 "masked in the EHLO reply: clients will not use it");
	}
}

/*
 * A header field a rule judged (the name at the event's span): counted,
 * then renamed to X's (mask) or acted on.
 */
static int header_act(struct smtp_pkt *pk, const struct smtp_event *ev, enum nfsmtp_rule rule,
		      enum nfsmtp_stat stat, const char *effect)
{
	u8 action = pk->prof->act[rule];
	const char *name = smtp_hdr_name(ev->sub);

	smtp_stat_inc(pk->st, stat);
	if (action != NFSMTP_ACTION_MASK)
		return smtp_act(pk, rule, action, name, effect);
	smtp_add_rewrite(pk, ev->start, ev->len, SMTP_FILL_X, true);
	smtp_act(pk, rule, action, name, "field renamed to X's: no mail reader shows it");
	return SMTP_CONTINUE;
}

/*
 * A header field name: a To past to-fields-max (the parser counts them,
 * saturating at 7), a repeated RFC 5322 3.6 singleton (dup-headers).
 */
static int on_header(struct smtp_pkt *pk, const struct smtp_event *ev)
{
	const struct smtp_profile *prof = pk->prof;
	int ret = SMTP_CONTINUE;

	if (ev->sub == SMTP_HDR_TO && prof->to_fields_max && ev->value > prof->to_fields_max)
		ret = header_act(pk, ev, NFSMTP_RULE_TO_FIELDS, NFSMTP_STAT_TO_FIELDS,
				 "To fields over to-fields-max");
	if (ret != SMTP_STOP && (ev->flags & SMTP_EVF_DUP) &&
	    prof->act[NFSMTP_RULE_DUP_HEADERS] != NFSMTP_ACTION_OFF)
		ret = header_act(pk, ev, NFSMTP_RULE_DUP_HEADERS, NFSMTP_STAT_DUP_HEADERS,
				 "repeated singleton header field");
	return ret;
}

/* Does rule act on a retransmission?  Only to stop it: a log counts the first copy twice. */
static bool acts_again(const struct smtp_profile *prof, enum nfsmtp_rule rule, bool retrans)
{
	u8 action = prof->act[rule];

	return !retrans || action == NFSMTP_ACTION_DROP || action == NFSMTP_ACTION_RESET;
}

/*
 * An RCPT to a domain outside mail-relay.  mask: its verb becomes X's and the
 * server answers 500 for this recipient alone; again in a retransmission
 * (counted there only if the first copy was not masked: it may have held
 * another domain).  The verb must still be in this packet: where the line
 * was cut after it (an attacker's or a long pipelined batch's segment
 * boundary), or leading blanks hide where it is, the connection is reset
 * instead.
 */
static int judge_relay(struct smtp_pkt *pk, const struct smtp_event *ev, bool retrans,
		       bool again)
{
	u8 action = pk->prof->act[NFSMTP_RULE_MAIL_RELAY];
	s64 verb_end = (s64)pk->chunk_off + ev->start + 4;
	const char *effect = "domain not in mail-relay";

	if (action == NFSMTP_ACTION_MASK) {
		if (ev->arg_len >= 0 && !(ev->flags & SMTP_EVF_NOSPAN) && verb_end > pk->new_off) {
			smtp_add_rewrite(pk, ev->start, 4, SMTP_FILL_X, false);
			if (again)
				return SMTP_MASKED;
			effect = retrans ? "domain not in mail-relay: masked in a retransmission" :
				 "domain not in mail-relay: masked, the server will answer 500";
			smtp_stat_inc(pk->st, NFSMTP_STAT_RELAY_DENIED);
			smtp_act(pk, NFSMTP_RULE_MAIL_RELAY, action, "RCPT", effect);
			return SMTP_MASKED;
		}
		action = NFSMTP_ACTION_RESET;
		effect = "domain not in mail-relay, its verb sent in an earlier packet: reset";
	} else if (!acts_again(pk->prof, NFSMTP_RULE_MAIL_RELAY, retrans)) {
		return SMTP_CONTINUE;
	}
	smtp_stat_inc(pk->st, NFSMTP_STAT_RELAY_DENIED);
	return smtp_act(pk, NFSMTP_RULE_MAIL_RELAY, action, "RCPT", effect);
}

/*
 * The path of a MAIL or RCPT line (a COMMAND event), judged when the line
 * ends: the packet holding its end has not left, so drop and reset keep the
 * command from the server.  No address is rewritten: that would be another
 * address (mail-relay masks the verb).  The retransmission rescan judges
 * whole lines again with it (retrans; again: its first copy was rewritten,
 * and counted then): a first copy that died after the gateway may have held
 * another address.
 */
int smtp_judge_path(struct smtp_pkt *pk, const struct smtp_event *ev, bool retrans,
		    bool again)
{
	const struct smtp_profile *prof = pk->prof;
	const char *name = smtp_verb_name(ev->verb);
	int ret = SMTP_CONTINUE;

	if ((ev->flags & SMTP_EVF_SPECIAL) && acts_again(prof, NFSMTP_RULE_SPECIAL_CHAR, retrans))
		ret = guard_act(pk, NFSMTP_RULE_SPECIAL_CHAR, NFSMTP_STAT_SPECIAL_CHAR, name,
				"a shell metacharacter or NUL in the address");
	if (ret != SMTP_STOP && (ev->flags & SMTP_EVF_FOREIGN))
		return judge_relay(pk, ev, retrans, again);
	if (ret == SMTP_STOP || ev->verb != SMTP_VERB_MAIL || !prof->sender_max ||
	    ev->path_len <= prof->sender_max || !acts_again(prof, NFSMTP_RULE_SENDER, retrans))
		return ret;
	smtp_stat_inc(pk->st, NFSMTP_STAT_SENDER_TOO_LONG);
	return smtp_act(pk, NFSMTP_RULE_SENDER, prof->act[NFSMTP_RULE_SENDER],
			name, "sender address over sender-max");
}

/*
 * A final reply to RCPT: value counts the session's RCPTs refused with 5xx.
 * Over the limit, the reply is held back (drop, reset): a directory
 * harvest learns no more addresses from this session.
 */
static int on_rcpt_reply(struct smtp_pkt *pk, const struct smtp_event *ev)
{
	const struct smtp_profile *prof = pk->prof;

	if (!prof->invalid_rcpt_max || ev->code < 500 || ev->code > 599 ||
	    ev->value <= prof->invalid_rcpt_max)
		return SMTP_CONTINUE;
	smtp_stat_inc(pk->st, NFSMTP_STAT_INVALID_RCPT);
	return smtp_act(pk, NFSMTP_RULE_INVALID_RCPT, prof->act[NFSMTP_RULE_INVALID_RCPT],
			"RCPT", "recipients refused over invalid-rcpt-max");
}

/*
 * A BDAT message's first chunk, its command just read.  The MIME rules
 * judge DATA text only (their state has no room beside BDAT's framing); the
 * size rules judge a message whose pipelined commands the parser could
 * hold beside its size (SMTP_EVF_SIZED).  Whatever cannot judge it is said,
 * and acted on, before its content flows.
 */
static int on_bdat_first(struct smtp_pkt *pk, const struct smtp_event *ev)
{
	const struct smtp_profile *prof = pk->prof;
	bool sizes = prof->header_section_max || prof->message_max;

	/* size-excess-max judges DATA only: a chunk's SIZE= is not kept */
	if (!prof->mime_encoding && !prof->mime_filename_max && !prof->filetypes.n &&
	    !prof->size_excess_max && (!sizes || (ev->flags & SMTP_EVF_SIZED)))
		return SMTP_CONTINUE;
	smtp_stat_inc(pk->st, NFSMTP_STAT_BDAT_UNJUDGED);
	return smtp_act(pk, NFSMTP_RULE_BDAT_UNJUDGED, prof->act[NFSMTP_RULE_BDAT_UNJUDGED], "BDAT",
			"rules that cannot judge it are set (ehlo-mask CHUNKING: clients send DATA)");
}

/* An attachment's file name: its length as sent, its extension (the parser matched it). */
static int on_filename(struct smtp_pkt *pk, const struct smtp_event *ev)
{
	const struct smtp_profile *prof = pk->prof;
	int ret = SMTP_CONTINUE;

	if (prof->mime_filename_max && ev->value > prof->mime_filename_max) {
		smtp_stat_inc(pk->st, NFSMTP_STAT_MIME_FILENAME_TOO_LONG);
		ret = smtp_act(pk, NFSMTP_RULE_MIME_FILENAME, prof->act[NFSMTP_RULE_MIME_FILENAME],
			       "filename", "file name longer than mime-filename-max");
	}
	if (ret != SMTP_STOP && (ev->flags & SMTP_EVF_BANNED)) {
		smtp_stat_inc(pk->st, NFSMTP_STAT_MIME_FILETYPE);
		ret = smtp_act(pk, NFSMTP_RULE_MIME_FILETYPE, prof->act[NFSMTP_RULE_MIME_FILETYPE],
			       "filename", "file name extension listed in mime-filetype");
	}
	return ret;
}

static int smtp_fixup_event(void *ctx, const struct smtp_event *ev)
{
	struct smtp_pkt *pk = ctx;
	const struct smtp_profile *prof = pk->prof;

	switch (ev->type) {
	case SMTP_EV_VERB:
		return on_verb(pk, ev);
	case SMTP_EV_COMMAND:
		pk->sc->p.user &= ~SC_EOD_TAIL;	/* the current line starts after this one */
		smtp_stat_inc(pk->st, NFSMTP_STAT_COMMANDS);
		if (ev->verb == SMTP_VERB_STARTTLS) {
			smtp_stat_inc(pk->st, NFSMTP_STAT_STARTTLS_SEEN);
			smtp_stat_inc(pk->st, NFSMTP_STAT_STARTTLS_ALLOWED);
		}
		if (ev->flags & SMTP_EVF_REQUIRETLS)
			downgrade(pk, NFSMTP_STAT_REQUIRETLS_PLAIN, "REQUIRETLS",
				  prof->starttls == NFSMTP_STARTTLS_STRIP ?
				  "requires TLS and this profile strips STARTTLS: it will bounce" :
				  "mail that requires TLS (RFC 8689) sent in plaintext");
		if (ev->verb == SMTP_VERB_MAIL || ev->verb == SMTP_VERB_RCPT)
			return smtp_judge_path(pk, ev, false, false);
		break;
	case SMTP_EV_REPLY:
		if (!(ev->flags & SMTP_EVF_LAST))
			break;
		smtp_stat_inc(pk->st, NFSMTP_STAT_REPLIES);
		if (ev->verb == SMTP_VERB_STARTTLS && (ev->code == 454 || ev->code >= 500) &&
		    smtp_parser_starttls_offered(&pk->sc->p))
			downgrade(pk, NFSMTP_STAT_STARTTLS_REFUSED, "STARTTLS",
				  "refused by a server that offered it: a box on the way may mask it");
		if (ev->verb == SMTP_VERB_RCPT)
			return on_rcpt_reply(pk, ev);
		break;
	case SMTP_EV_EHLO_KEYWORD:
		on_ehlo_keyword(pk, ev);
		break;
	case SMTP_EV_BANNER:
		if (prof->banner != NFSMTP_BANNER_MASK || ev->len <= 0)
			break;
		smtp_stat_inc(pk->st, NFSMTP_STAT_BANNERS_MASKED);
		smtp_add_rewrite(pk, ev->start, ev->len, SMTP_FILL_STAR, false);
		smtp_act(pk, NFSMTP_RULE_BANNER, NFSMTP_ACTION_MASK, "greeting",
			 "text masked with '*', the reply code kept");
		break;
	case SMTP_EV_HEADER:
		return on_header(pk, ev);
	case SMTP_EV_DATA_START:
	case SMTP_EV_BDAT_START:
		pk->sc->p.user |= SC_TR_CLIENT;
		if (ev->type == SMTP_EV_BDAT_START && (ev->flags & SMTP_EVF_FIRST))
			return on_bdat_first(pk, ev);
		break;
	case SMTP_EV_DATA_END:
		pk->sc->p.user = (pk->sc->p.user & ~SC_EV_MASK) | SC_TR_CLIENT | SC_EOD_TAIL;
		smtp_stat_inc(pk->st, NFSMTP_STAT_MESSAGES);
		break;
	case SMTP_EV_BDAT_END:
		pk->sc->p.user |= SC_TR_CLIENT;
		if (ev->flags & SMTP_EVF_LAST) {
			pk->sc->p.user &= ~SC_EV_MASK;	/* a new message: a new event budget */
			smtp_stat_inc(pk->st, NFSMTP_STAT_MESSAGES);
		}
		break;
	case SMTP_EV_TLS_START:
		smtp_stat_inc(pk->st, NFSMTP_STAT_TLS_HANDOFF);
		break;
	case SMTP_EV_RESYNC:
		/*
		 * Bytes before this point were never judged as commands or
		 * text: until the server has all of them, a retransmission of
		 * some is not rescanned as commands (it may be message text)
		 */
		pk->sc->p.user |= SC_TR_CLIENT;
		smtp_stat_inc(pk->st, NFSMTP_STAT_RESYNCS);
		break;
	case SMTP_EV_ANOMALY:
		return on_anomaly(pk, ev);
	case SMTP_EV_MIME_ENCODING:
		if (!(prof->mime_encoding & BIT(ev->sub)))
			break;
		smtp_stat_inc(pk->st, NFSMTP_STAT_MIME_ENCODING);
		return smtp_act(pk, NFSMTP_RULE_MIME_ENCODING,
				prof->act[NFSMTP_RULE_MIME_ENCODING], smtp_mime_enc_name(ev->sub),
				"transfer encoding listed in mime-encoding");
	case SMTP_EV_MIME_FILENAME:
		return on_filename(pk, ev);
	}
	return SMTP_CONTINUE;
}

void smtp_fixup_sink(struct smtp_pkt *pk, struct smtp_sink *sink)
{
	sink->fn = smtp_fixup_event;
	sink->ctx = pk;
	sink->max_cmd = pk->prof->cmd_line_max;
	sink->max_reply = 0;
	sink->max_text = pk->prof->body_line_max;
	sink->max_header = pk->prof->header_line_max;
	sink->max_message = pk->prof->message_max;
	sink->max_headers = pk->prof->header_section_max;
	sink->size_excess = pk->prof->size_excess_max;
	sink->relay = &pk->prof->relay;
	sink->filetypes = &pk->prof->filetypes;
}

/*
 * The skb ended inside a client verb: if no allowed verb can come of it, mask
 * its bytes now, before they leave; a telnet user typing one character per
 * packet then sees the same result as a whole line would give.
 */
void smtp_fixup_open_verb(struct smtp_pkt *pk, struct smtp_conn *sc)
{
	u32 len, verbs = smtp_parser_open_verb(&sc->p, &len);

	if (!verbs || (verbs & smtp_unmasked_verbs(pk->prof)))
		return;
	pk->chunk_off = pk->skb->len;
	smtp_add_rewrite(pk, -(s32)len, len, SMTP_FILL_X, false);
}

/* ---- applying rewrites ------------------------------------------------------------ */

static void fill_bytes(u8 *p, unsigned int len, u8 fill)
{
	memset(p, fill == SMTP_FILL_STAR ? '*' : 'X', len);
	if (fill == SMTP_FILL_XA)
		p[len - 1] = 'A';	/* a span always ends where the token does */
}

/*
 * Write the queued rewrites and fix the TCP checksum incrementally: the
 * packet keeps its length, so sequence numbers and NAT state stay valid.
 * For CHECKSUM_PARTIAL the checksum is computed later over the new bytes;
 * for CHECKSUM_COMPLETE the sum over the segment does not change (the
 * checksum field moves against the bytes).
 */
int smtp_fixup_apply(struct smtp_pkt *pk, unsigned int protoff)
{
	struct sk_buff *skb = pk->skb;
	unsigned int i, end = protoff + sizeof(struct tcphdr);
	__wsum diff = 0;
	struct tcphdr *th;
	__be32 flags;

	if (!pk->nrw && !pk->clear_urg)
		return 0;
	for (i = 0; i < pk->nrw; i++)
		end = max_t(unsigned int, end, pk->rw[i].off + pk->rw[i].len);
	/* the packet was read in place; writing may need a private copy */
	if (skb_ensure_writable(skb, end))
		return -ENOMEM;
	for (i = 0; i < pk->nrw; i++) {
		const struct smtp_rewrite *rw = &pk->rw[i];
		u8 *p = skb->data + rw->off;
		__wsum old = csum_partial(p, rw->len, 0);

		fill_bytes(p, rw->len, rw->fill);
		diff = csum_block_add(diff, csum_sub(csum_partial(p, rw->len, 0), old),
				      rw->off - protoff);
	}
	th = (struct tcphdr *)(skb->data + protoff);
	if (pk->nrw)
		inet_proto_csum_replace_by_diff(&th->check, skb, diff, false,
						nf_ct_l3num(pk->ct) == AF_INET6);
	if (pk->clear_urg) {
		/* the receiver then reads the urgent byte in line, as the parser did */
		flags = tcp_flag_word(th);
		th->urg = 0;
		inet_proto_csum_replace4(&th->check, skb, flags, tcp_flag_word(th), false);
		inet_proto_csum_replace2(&th->check, skb, th->urg_ptr, 0, false);
		th->urg_ptr = 0;
	}
	return 0;
}

/* ---- reset ---------------------------------------------------------------------------- */

/*
 * Reset both ends: a RST back to this packet's sender, and this packet,
 * emptied and turned into a RST, to its receiver (whose next expected
 * sequence number is exactly this packet's).  When the packet cannot be
 * turned into a RST the caller drops it: its payload must not go out.
 */
int smtp_fixup_reset(struct smtp_pkt *pk, unsigned int protoff)
{
	struct sk_buff *skb = pk->skb;
	bool v6 = nf_ct_l3num(pk->ct) == AF_INET6;
	unsigned int thlen, tcplen;
	struct tcphdr *th;

	if (v6)
		nf_send_reset6(pk->net, NULL, skb, NF_INET_FORWARD);
	else
		nf_send_reset(pk->net, NULL, skb, NF_INET_FORWARD);

	th = skb_header_pointer(skb, protoff, sizeof(*th), &(struct tcphdr){});
	if (!th)
		return -EINVAL;
	thlen = th->doff * 4;
	if (skb_is_gso(skb))
		skb_gso_reset(skb);
	if (pskb_trim(skb, protoff + thlen) || skb_ensure_writable(skb, protoff + thlen))
		return -ENOMEM;
	th = (struct tcphdr *)(skb->data + protoff);
	th->rst = 1;
	th->ack = 1;
	th->psh = 0;
	th->fin = 0;
	th->syn = 0;
	th->urg = 0;
	th->urg_ptr = 0;
	tcplen = thlen;
	th->check = 0;
	if (v6) {
		struct ipv6hdr *ip6h = ipv6_hdr(skb);

		ip6h->payload_len = htons(skb->len - sizeof(*ip6h));
		th->check = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, tcplen,
					    IPPROTO_TCP, csum_partial(th, tcplen, 0));
	} else {
		struct iphdr *iph = ip_hdr(skb);

		iph->tot_len = htons(skb->len);
		ip_send_check(iph);
		th->check = csum_tcpudp_magic(iph->saddr, iph->daddr, tcplen,
					      IPPROTO_TCP, csum_partial(th, tcplen, 0));
	}
	skb->ip_summed = CHECKSUM_NONE;
	return 0;
}
