// SPDX-License-Identifier: GPL-2.0
/*
 * nl_fuzz: random requests to the nf_smtp generic netlink family, each
 * checked against a model of what Linux 6.1's generic netlink core and the
 * module must answer (for selftests/smtp_netlink_fuzz.sh).
 *
 *   nl_fuzz fuzz [-n N] [-s SEED] [-e priv|eperm] [-v]
 *   nl_fuzz deputy [-n N] [-s SEED]
 *   nl_fuzz digest
 *
 * fuzz: N requests with random commands, header fields, netlink flags and
 * attributes (random types, sizes, values, nesting up to 3 levels, broken
 * lengths, trailing bytes). The model reads the very bytes sent, the way
 * the kernel does: the genl header checks (reserved field, flags), the
 * command lookup, the permission check, strict attribute validation
 * (NL_VALIDATE_STRICT: unknown and unspec types, exact lengths, no
 * NLA_F_NESTED, the policy ranges and masks, no bytes left over) and the
 * module's own action checks; it predicts the errno and whether extack
 * must name the problem. -e priv (default) expects a caller with
 * CAP_NET_ADMIN over the netns; -e eperm expects one without: every known
 * command must then fail with EPERM. With priv, each policy change is
 * checked against the model by reading the profile back (a rejected request
 * must change nothing). Prints one "summary" line of counters and exits 0
 * when every answer was the predicted one.
 *
 * deputy: opens the socket, then unshares a user and a network namespace
 * (root in them, as unshare -Urn): the old socket belongs to the netns it
 * was opened in, and must get EPERM for every known command (the kernel
 * checks the opener's credentials as well as the sender's); a new socket in
 * the new netns may change policy there.
 *
 * digest: a hash of the 8 profiles of the current netns (to show that a
 * run elsewhere did not change them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>

#include <linux/nf_conntrack_smtp.h>

#include "smtp_parser.h"	/* the module's mail-relay set: what it takes and shows */

#define BUFSZ (1 << 16)
#define RELAY_SHOWN (SMTP_DOMAINS_TEXT_MAX + SMTP_DOMAINS_MAX + 1)

/* ---- random numbers: xorshift64*, reproducible from the seed ------------- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

/* true with probability pct percent */
static bool chance(unsigned int pct)
{
	return below(100) < pct;
}

/* ---- the family's policy, as kmod/smtp_netlink.c declares it -------------- */

enum kind { K_UNSPEC, K_U8, K_U16, K_U32, K_STR };	/* K_STR: NLA_NUL_STRING */

struct attr_pol {
	enum kind kind;
	uint32_t max;		/* NLA_POLICY_MAX (0: any value) */
	uint32_t mask;		/* NLA_POLICY_MASK (0: none) */
};

static struct attr_pol pol[NFSMTP_A_MAX + 1];

#define ACT(x)		(1U << NFSMTP_ACTION_##x)
#define ACTS_LIMIT	(ACT(LOG) | ACT(DROP) | ACT(RESET))
#define ACTS_REWRITE	(ACTS_LIMIT | ACT(MASK))
#define ACTS_GUARD	(ACTS_LIMIT | ACT(OFF))

static const uint8_t act_allowed[NFSMTP_A_MAX + 1] = {
	[NFSMTP_A_ACT_COMMAND]	    = ACTS_REWRITE,
	[NFSMTP_A_ACT_CMD_LINE]	    = ACTS_LIMIT,
	[NFSMTP_A_ACT_RCPT]	    = ACTS_REWRITE,
	[NFSMTP_A_ACT_HEADER_LINE]  = ACTS_LIMIT,
	[NFSMTP_A_ACT_BODY_LINE]    = ACTS_LIMIT,
	[NFSMTP_A_ACT_DUP_HEADER]   = ACTS_GUARD | ACT(MASK),
	[NFSMTP_A_ACT_SMUGGLING]    = ACTS_GUARD,
	[NFSMTP_A_ACT_BARE_NEWLINE] = ACTS_GUARD,
	[NFSMTP_A_ACT_INJECTION]    = ACTS_GUARD,
	[NFSMTP_A_ACT_LOST_SYNC]    = ACTS_LIMIT,
	[NFSMTP_A_ACT_URGENT]	    = ACTS_REWRITE,
	[NFSMTP_A_ACT_TLS_FRAMING]  = ACTS_GUARD,
	[NFSMTP_A_ACT_REQUIRE_TLS]  = ACT(OFF) | ACT(LOG) | ACT(MASK) | ACT(RESET),
	[NFSMTP_A_ACT_SENDER]	    = ACTS_LIMIT,
	[NFSMTP_A_ACT_SPECIAL_CHAR] = ACTS_GUARD,
	[NFSMTP_A_ACT_INVALID_RCPT] = ACTS_LIMIT,
	[NFSMTP_A_ACT_TO_FIELDS]    = ACTS_REWRITE,
	[NFSMTP_A_ACT_HEADER_SECTION] = ACTS_LIMIT,
	[NFSMTP_A_ACT_MESSAGE]	    = ACTS_LIMIT,
	[NFSMTP_A_ACT_MAIL_RELAY]   = ACTS_REWRITE,
	[NFSMTP_A_ACT_MIME_ENCODING] = ACTS_LIMIT,
	[NFSMTP_A_ACT_MIME_FILENAME] = ACTS_LIMIT,
	[NFSMTP_A_ACT_MIME_FILETYPE] = ACTS_LIMIT,
	[NFSMTP_A_ACT_BDAT_UNJUDGED] = ACTS_LIMIT,
	[NFSMTP_A_ACT_SIZE_EXCESS] = ACTS_LIMIT,
};

/* The string attributes: name lists, checked by the module's own builders. */
enum { S_RELAY, S_FILETYPE, S_N };
static const struct {
	int type;
	const char *name;
	int (*build)(struct smtp_domains *set, const char *text, size_t len,
		     const char **err, size_t *bad);
} str_attrs[S_N] = {
	[S_RELAY] = { NFSMTP_A_MAIL_RELAY, "mail-relay", smtp_domains_build },
	[S_FILETYPE] = { NFSMTP_A_MIME_FILETYPE, "mime-filetype", smtp_filetypes_build },
};

/* which of them attribute t is, or -1 */
static int str_slot(int t)
{
	for (int i = 0; i < S_N; i++)
		if (str_attrs[i].type == t)
			return i;
	return -1;
}

static void pol_init(void)
{
	int a;

	pol[NFSMTP_A_PROFILE] = (struct attr_pol){ K_U8, NFSMTP_PROFILES - 1, 0 };
	pol[NFSMTP_A_STARTTLS] = (struct attr_pol){ K_U8, NFSMTP_STARTTLS_STRIP, 0 };
	pol[NFSMTP_A_BANNER] = (struct attr_pol){ K_U8, NFSMTP_BANNER_MASK, 0 };
	pol[NFSMTP_A_EHLO_MASK] = (struct attr_pol){ K_U32, 0, NFSMTP_KW_ALL };
	pol[NFSMTP_A_COMMANDS] = (struct attr_pol){ K_U8, NFSMTP_COMMANDS_MAILGUARD, 0 };
	pol[NFSMTP_A_CMD_LINE_MAX] = (struct attr_pol){ K_U16, NFSMTP_LINE_MAX_LIMIT, 0 };
	pol[NFSMTP_A_RCPT_MAX] = (struct attr_pol){ K_U16, 0, 0 };
	pol[NFSMTP_A_HEADER_LINE_MAX] = (struct attr_pol){ K_U16, NFSMTP_LINE_MAX_LIMIT, 0 };
	pol[NFSMTP_A_BODY_LINE_MAX] = (struct attr_pol){ K_U16, NFSMTP_LINE_MAX_LIMIT, 0 };
	for (a = NFSMTP_A_ACT_COMMAND; a <= NFSMTP_A_ACT_INJECTION; a++)
		pol[a] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_ACT_LOST_SYNC] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_ACT_URGENT] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_OUT_OF_ORDER] = (struct attr_pol){ K_U8, NFSMTP_OOO_DROP, 0 };
	pol[NFSMTP_A_ACT_TLS_FRAMING] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_ACT_REQUIRE_TLS] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_SENDER_MAX] = (struct attr_pol){ K_U16, NFSMTP_LINE_MAX_LIMIT, 0 };
	pol[NFSMTP_A_ACT_SENDER] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_ACT_SPECIAL_CHAR] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_INVALID_RCPT_MAX] = (struct attr_pol){ K_U8, 6, 0 };
	pol[NFSMTP_A_ACT_INVALID_RCPT] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_TO_FIELDS_MAX] = (struct attr_pol){ K_U8, 6, 0 };
	pol[NFSMTP_A_ACT_TO_FIELDS] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_HEADER_SECTION_MAX] = (struct attr_pol){ K_U32, 0, 0 };
	pol[NFSMTP_A_ACT_HEADER_SECTION] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_MESSAGE_MAX] = (struct attr_pol){ K_U32, 0, 0 };
	pol[NFSMTP_A_ACT_MESSAGE] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_MAIL_RELAY] = (struct attr_pol){ K_STR, SMTP_DOMAINS_TEXT_MAX, 0 };
	pol[NFSMTP_A_ACT_MAIL_RELAY] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_MIME_ENCODING] = (struct attr_pol){ K_U32, 0, NFSMTP_MIME_ENC_ALL };
	pol[NFSMTP_A_ACT_MIME_ENCODING] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_MIME_FILENAME_MAX] = (struct attr_pol){ K_U16, 1000, 0 };
	pol[NFSMTP_A_ACT_MIME_FILENAME] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_MIME_FILETYPE] = (struct attr_pol){ K_STR, SMTP_DOMAINS_TEXT_MAX, 0 };
	pol[NFSMTP_A_ACT_MIME_FILETYPE] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_ACT_BDAT_UNJUDGED] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_SIZE_EXCESS_MAX] = (struct attr_pol){ K_U32, 0, 0 };
	pol[NFSMTP_A_ACT_SIZE_EXCESS] = (struct attr_pol){ K_U8, NFSMTP_ACTION_RESET, 0 };
	pol[NFSMTP_A_MARK_MASK] = (struct attr_pol){ K_U32, 0, 0 };
	pol[NFSMTP_A_MARK_SHIFT] = (struct attr_pol){ K_U8, 31, 0 };
	/* PAD, STATS and the event attributes: NLA_UNSPEC, refused in requests */
}

static unsigned int kind_len(enum kind k)
{
	return k == K_U8 ? 1 : k == K_U16 ? 2 : k == K_U32 ? 4 : 0;
}

/* ---- the policy model --------------------------------------------------------- */

/* per profile: the value of every per-profile attribute, by attribute type */
struct model {
	uint32_t prof[NFSMTP_PROFILES][NFSMTP_A_MAX + 1];
	uint32_t mark_mask, mark_shift;
	char shown[NFSMTP_PROFILES][S_N][RELAY_SHOWN];	/* the name lists as shown */
};

/* the per-profile numbers (the name lists, strings, are kept apart) */
static bool per_profile(int a)
{
	return (a >= NFSMTP_A_STARTTLS && a <= NFSMTP_A_ACT_INJECTION) ||
	       (a >= NFSMTP_A_ACT_LOST_SYNC && a <= NFSMTP_A_ACT_SIZE_EXCESS &&
		str_slot(a) < 0);
}

/* ---- netlink ---------------------------------------------------------------- */

struct nl {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t seq;
	uint32_t portid;
};

struct answer {
	int err;		/* 0, or the negative errno of the ack */
	bool answered;
	bool extack;		/* the ack carried a message or an attribute offset */
	char msg[128];
	int replies;		/* family messages before the ack or DONE */
	/* the last POLICY_GET reply */
	uint32_t got[NFSMTP_A_MAX + 1];
	bool have[NFSMTP_A_MAX + 1];
	char shown[S_N][RELAY_SHOWN];
};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "nl_fuzz: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static int ext_cb(const struct nlattr *attr, void *data)
{
	struct answer *a = data;

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(a->msg, sizeof(a->msg), "%s", mnl_attr_get_str(attr));
		a->extack = true;
		break;
	case NLMSGERR_ATTR_OFFS:
		a->extack = true;
		break;
	}
	return MNL_CB_OK;
}

static int reply_attr_cb(const struct nlattr *attr, void *data)
{
	struct answer *a = data;
	int t = mnl_attr_get_type(attr);

	if (t <= 0 || t > NFSMTP_A_MAX)
		return MNL_CB_OK;
	if (str_slot(t) >= 0) {
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0) {
			snprintf(a->shown[str_slot(t)], RELAY_SHOWN, "%s", mnl_attr_get_str(attr));
			a->have[t] = true;
		}
		return MNL_CB_OK;
	}
	switch (mnl_attr_get_payload_len(attr)) {
	case 1:
		a->got[t] = mnl_attr_get_u8(attr);
		break;
	case 2:
		a->got[t] = mnl_attr_get_u16(attr);
		break;
	case 4:
		a->got[t] = mnl_attr_get_u32(attr);
		break;
	default:
		return MNL_CB_OK;
	}
	a->have[t] = true;
	return MNL_CB_OK;
}

/* Receive until the ack (or DONE) of request seq; 5 s without one: none. */
static void nl_wait(struct nl *nl, uint32_t seq, struct answer *a)
{
	static char buf[BUFSZ];

	memset(a, 0, sizeof(*a));
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		struct nlmsghdr *h;
		int len;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;	/* not answered */
			if (errno == ENOBUFS)
				continue;
			die("recv: %s", strerror(errno));
		}
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_seq != seq)
				continue;	/* a late answer to an earlier request */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
				unsigned int off = sizeof(*e);

				a->err = e->error;
				a->answered = true;
				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
				if ((h->nlmsg_flags & NLM_F_ACK_TLVS) &&
				    mnl_nlmsg_get_payload_len(h) > off)
					mnl_attr_parse(h, off, ext_cb, a);
				return;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				a->answered = true;
				return;
			}
			if (h->nlmsg_type == nl->family) {
				a->replies++;
				mnl_attr_parse(h, GENL_HDRLEN, reply_attr_cb, a);
			}
		}
	}
}

static void nl_open(struct nl *nl)
{
	struct timeval tv = { .tv_sec = 5 };
	int one = 1, fd;

	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock)
		die("socket: %s", strerror(errno));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		die("bind: %s", strerror(errno));
	fd = mnl_socket_get_fd(nl->sock);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
}

static int family_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(attr, MNL_TYPE_U16) >= 0)
		*(uint16_t *)data = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

/* the family id, through the controller (unprivileged callers may ask it) */
static void nl_family(struct nl *nl)
{
	static char buf[BUFSZ];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	uint32_t seq = ++nl->seq;
	ssize_t n;
	int len;

	h->nlmsg_type = GENL_ID_CTRL;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(h, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(h, CTRL_ATTR_FAMILY_NAME, NFSMTP_GENL_NAME);
	if (mnl_socket_sendto(nl->sock, h, h->nlmsg_len) < 0)
		die("send: %s", strerror(errno));
	nl->family = 0;
	while ((n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf))) > 0) {
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

				if (e->error)
					die("family %s: %s (is the module loaded?)",
					    NFSMTP_GENL_NAME, strerror(-e->error));
				if (!nl->family)
					die("no family id");
				return;
			}
			mnl_attr_parse(h, GENL_HDRLEN, family_cb, &nl->family);
		}
	}
	die("family lookup: no answer");
}

/* A well-formed request; returns its sequence number. */
static uint32_t nl_simple(struct nl *nl, uint8_t cmd, uint16_t flags, int profile,
			  int attr, unsigned int len, uint32_t val)
{
	static char buf[BUFSZ];
	struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	h->nlmsg_type = nl->family;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	h->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(h, sizeof(*g));
	g->cmd = cmd;
	g->version = NFSMTP_GENL_VERSION;
	if (profile >= 0)
		mnl_attr_put_u8(h, NFSMTP_A_PROFILE, profile);
	if (attr > 0) {
		if (len == 1)
			mnl_attr_put_u8(h, attr, val);
		else if (len == 2)
			mnl_attr_put_u16(h, attr, val);
		else
			mnl_attr_put_u32(h, attr, val);
	}
	if (mnl_socket_sendto(nl->sock, h, h->nlmsg_len) < 0)
		die("send: %s", strerror(errno));
	return h->nlmsg_seq;
}

/* read profile n back: false when the kernel refused */
static bool read_profile(struct nl *nl, int n, struct answer *a)
{
	nl_wait(nl, nl_simple(nl, NFSMTP_CMD_POLICY_GET, 0, n, 0, 0, 0), a);
	return a->answered && a->err == 0 && a->replies == 1;
}

static void model_load(struct nl *nl, struct model *m)
{
	struct answer a;
	int n, t;

	for (n = 0; n < NFSMTP_PROFILES; n++) {
		if (!read_profile(nl, n, &a))
			die("reading profile %d: %s", n, a.answered ? strerror(-a.err) : "no answer");
		for (t = 1; t <= NFSMTP_A_MAX; t++)
			if (per_profile(t))
				m->prof[n][t] = a.got[t];
		memcpy(m->shown[n], a.shown, sizeof(a.shown));
		m->mark_mask = a.got[NFSMTP_A_MARK_MASK];
		m->mark_shift = a.got[NFSMTP_A_MARK_SHIFT];
	}
}

/* ---- random requests -------------------------------------------------------------- */

struct req {
	unsigned char buf[BUFSZ];
	unsigned int len;
};

static void put(struct req *r, const void *p, unsigned int n)
{
	if (r->len + n > sizeof(r->buf))
		n = sizeof(r->buf) - r->len;
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

static void pad(struct req *r)
{
	static const unsigned char zero[4];

	put(r, zero, NLA_ALIGN(r->len) - r->len);
}

static void rand_fill(struct req *r, unsigned int n)
{
	while (n-- && r->len < sizeof(r->buf))
		r->buf[r->len++] = (unsigned char)rnd();
}

/* a value the policy accepts for attribute t (and, for actions, the rule) */
static uint32_t good_value(int t)
{
	uint32_t v;

	if (act_allowed[t]) {
		do
			v = below(NFSMTP_ACTION_RESET + 1);
		while (!(act_allowed[t] & (1U << v)) && chance(90));
		return v;
	}
	if (pol[t].mask)
		return rnd() & pol[t].mask;
	if (pol[t].max)
		return below(pol[t].max + 1);
	if (pol[t].kind == K_U16)
		return rnd() & 0xffff;
	if (pol[t].kind == K_U8)
		return rnd() & 0xff;
	return rnd();
}

static void rand_attrs(struct req *r, unsigned int count, int depth);

/* a name list: mostly good names in any case, some bad, some too many */
static void rand_names(struct req *r, bool filetypes)
{
	static const char *const domains[] = {
		"example.net", "Example.NET.", "a.example", "B.example", "sub.example.net",
		"[192.0.2.1]", "x..y", "bad/char", ".", "xn--bcher-kva.example", "",
	};
	static const char *const types[] = {
		"exe", "SCR", ".js", "7z", "tar.gz", "a b", "abcdefghijklmnop", "vbs", "",
		"\xe9xe", "jse", "Js",
	};
	const char *const *names = filetypes ? types : domains;
	unsigned int nnames = filetypes ? sizeof(types) / sizeof(types[0]) :
			      sizeof(domains) / sizeof(domains[0]);
	unsigned int n = chance(5) ? 40 : below(5), i;
	char buf[40];

	for (i = 0; i < n; i++) {
		if (i)
			put(r, chance(80) ? "," : " ", 1);
		if (chance(10)) {
			snprintf(buf, sizeof(buf), "h%u.example", below(1000));
			put(r, buf, strlen(buf));
		} else {
			const char *s = names[below(nnames)];

			put(r, s, strlen(s));
		}
	}
	if (chance(2))
		rand_fill(r, 300);	/* a long label, or bytes no name has */
	put(r, "", 1);
}

static void rand_attr(struct req *r, int depth)
{
	unsigned int start = r->len, plen;
	struct nlattr nla;
	uint16_t type;
	int t;

	if (chance(10))
		t = NFSMTP_A_ACT_LOST_SYNC +
		    below(NFSMTP_A_ACT_SIZE_EXCESS - NFSMTP_A_ACT_LOST_SYNC + 1);
	else if (chance(80))
		t = NFSMTP_A_PROFILE + below(NFSMTP_A_MARK_SHIFT - NFSMTP_A_PROFILE + 1);
	else if (chance(60))
		t = below(NFSMTP_A_MAX + 4);
	else
		t = below(0x4000);
	type = (uint16_t)t;
	if (chance(4))
		type |= NLA_F_NESTED;
	if (chance(4))
		type |= NLA_F_NET_BYTEORDER;

	r->len += NLA_HDRLEN;	/* header written below, once the size is known */
	if ((type & NLA_F_NESTED) && depth < 3) {
		rand_attrs(r, below(4), depth + 1);
	} else if (t <= NFSMTP_A_MAX && pol[t].kind == K_STR && chance(85)) {
		rand_names(r, t == NFSMTP_A_MIME_FILETYPE);
	} else if (t <= NFSMTP_A_MAX && pol[t].kind != K_UNSPEC && chance(85)) {
		uint32_t v = chance(85) ? good_value(t) : rnd();
		unsigned int n = kind_len(pol[t].kind);

		if (n == 1) {
			uint8_t b = (uint8_t)v;

			put(r, &b, 1);
		} else if (n == 2) {
			uint16_t w = (uint16_t)v;

			put(r, &w, 2);
		} else {
			put(r, &v, 4);
		}
	} else if (chance(97)) {
		rand_fill(r, below(13));
	} else {
		rand_fill(r, 100 + below(4000));
	}
	plen = r->len - start;
	nla.nla_type = type;
	nla.nla_len = (uint16_t)plen;
	if (chance(3))	/* a broken length: too short or beyond the end */
		nla.nla_len = chance(50) ? below(NLA_HDRLEN) : (uint16_t)(plen + 1 + below(64));
	memcpy(r->buf + start, &nla, sizeof(nla));
	pad(r);
}

static void rand_attrs(struct req *r, unsigned int count, int depth)
{
	while (count--)
		rand_attr(r, depth);
}

static const uint16_t odd_flags[] = {
	NLM_F_MULTI, NLM_F_DUMP_INTR, NLM_F_DUMP_FILTERED, NLM_F_ROOT, NLM_F_MATCH,
	NLM_F_ATOMIC, NLM_F_APPEND, 0x1000, 0x8000,
};

static void rand_request(struct nl *nl, struct req *r)
{
	struct nlmsghdr *h = (struct nlmsghdr *)r->buf;
	struct genlmsghdr g = { 0 };
	unsigned int n;

	memset(r->buf, 0, NLMSG_HDRLEN);
	r->len = NLMSG_HDRLEN;
	h->nlmsg_type = nl->family;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (chance(10))
		h->nlmsg_flags |= NLM_F_ECHO;
	if (chance(10))
		h->nlmsg_flags |= NLM_F_DUMP;
	if (chance(5))
		h->nlmsg_flags |= odd_flags[below(sizeof(odd_flags) / sizeof(odd_flags[0]))];
	h->nlmsg_seq = ++nl->seq;

	if (chance(3)) {	/* not even a whole genl header */
		rand_fill(r, below(GENL_HDRLEN));
		h->nlmsg_len = r->len;
		return;
	}
	if (chance(88)) {
		n = below(100);
		g.cmd = n < 55 ? NFSMTP_CMD_POLICY_SET : n < 80 ? NFSMTP_CMD_POLICY_GET :
			n < 92 ? NFSMTP_CMD_STATS_GET : NFSMTP_CMD_STATS_RESET;
	} else {
		g.cmd = (uint8_t)rnd();
	}
	g.version = chance(90) ? NFSMTP_GENL_VERSION : (uint8_t)rnd();
	if (chance(4))
		g.reserved = (uint16_t)(1 + below(0xffff));
	put(r, &g, sizeof(g));

	n = chance(95) ? below(9) : below(200);
	rand_attrs(r, n, 0);
	if (chance(5))
		rand_fill(r, 1 + below(3));	/* bytes after the last attribute */
	h->nlmsg_len = r->len;
}

/* ---- the model: what the kernel must answer to these bytes ------------------------ */

struct expect {
	int err;		/* 0 or -errno */
	bool extack;		/* the ack must carry a message or an offset */
	bool dump;		/* a POLICY_GET dump: 8 replies and DONE */
	bool change;		/* a POLICY_SET that takes effect */
	int profile;
	const char *why;
};

/* the strict parse of the attribute stream; tb[t] = offset of the last t */
static int parse_attrs(const unsigned char *p, int len, int tb[], const char **why)
{
	int rem = len, off = 0;

	for (int t = 0; t <= NFSMTP_A_MAX; t++)
		tb[t] = -1;
	while (rem >= NLA_HDRLEN) {
		struct nlattr nla;
		int t, alen;
		uint32_t v = 0;

		memcpy(&nla, p + off, sizeof(nla));
		if (nla.nla_len < NLA_HDRLEN || nla.nla_len > rem)
			break;
		t = nla.nla_type & NLA_TYPE_MASK;
		alen = nla.nla_len - NLA_HDRLEN;
		if (t == 0 || t > NFSMTP_A_MAX) {
			*why = "unknown attribute type";
			return -EINVAL;
		}
		if (kind_len(pol[t].kind) && alen != (int)kind_len(pol[t].kind)) {
			*why = "invalid attribute length";
			return -EINVAL;
		}
		if (pol[t].kind != K_UNSPEC && (nla.nla_type & NLA_F_NESTED)) {
			*why = "NLA_F_NESTED not expected";
			return -EINVAL;
		}
		if (pol[t].kind == K_UNSPEC) {
			*why = "unsupported attribute";
			return -EINVAL;
		}
		if (pol[t].kind == K_STR) {	/* NLA_NUL_STRING with a length */
			const unsigned char *d = p + off + NLA_HDRLEN;
			int n = alen < (int)pol[t].max + 1 ? alen : (int)pol[t].max + 1;

			if (!n || !memchr(d, 0, n)) {
				*why = "string without a NUL";
				return -EINVAL;
			}
			if (alen - (d[alen - 1] == 0) > (int)pol[t].max) {
				*why = "string too long";
				return -ERANGE;
			}
			goto next;
		}
		memcpy(&v, p + off + NLA_HDRLEN, alen);
		if (pol[t].mask && (v & ~pol[t].mask)) {
			*why = "reserved bit set";
			return -EINVAL;
		}
		if (pol[t].max && v > pol[t].max) {
			*why = "integer out of range";
			return -ERANGE;
		}
next:
		tb[t] = off;
		off += NLA_ALIGN(nla.nla_len);
		rem -= NLA_ALIGN(nla.nla_len);
	}
	if (rem > 0) {
		*why = "bytes leftover after parsing attributes";
		return -EINVAL;
	}
	return 0;
}

static uint32_t attr_val(const unsigned char *p, int off)
{
	struct nlattr nla;
	uint32_t v = 0;

	memcpy(&nla, p + off, sizeof(nla));
	memcpy(&v, p + off + NLA_HDRLEN, nla.nla_len - NLA_HDRLEN);
	return v;
}

static struct expect predict(const struct req *r, bool priv, int tb[])
{
	const struct nlmsghdr *h = (const void *)r->buf;
	struct expect e = { .profile = 0 };
	struct genlmsghdr g;
	const unsigned char *attrs;
	int alen, t;
	uint16_t flags = h->nlmsg_flags;

	if (r->len < NLMSG_HDRLEN + GENL_HDRLEN) {
		e.err = -EINVAL;
		e.why = "no genl header";
		return e;
	}
	memcpy(&g, r->buf + NLMSG_HDRLEN, sizeof(g));
	/* genl_header_check(): resv_start_op is 0, every command is checked */
	if (g.reserved) {
		e.err = -EINVAL;
		e.extack = true;
		e.why = "reserved field";
		return e;
	}
	if ((flags & NLM_F_DUMP) == NLM_F_DUMP)
		flags &= ~NLM_F_DUMP;
	if (flags & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)) {
		e.err = -EINVAL;
		e.extack = true;
		e.why = "netlink flags";
		return e;
	}
	if (g.cmd < NFSMTP_CMD_POLICY_GET || g.cmd > NFSMTP_CMD_STATS_RESET) {
		e.err = -EOPNOTSUPP;
		e.why = "no such command";
		return e;
	}
	if (!priv) {
		e.err = -EPERM;
		e.why = "not CAP_NET_ADMIN over the netns";
		return e;
	}
	if ((h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP) {
		if (g.cmd != NFSMTP_CMD_POLICY_GET) {
			e.err = -EOPNOTSUPP;
			e.why = "no dump for this command";
			return e;
		}
		e.dump = true;
	}
	attrs = r->buf + NLMSG_HDRLEN + GENL_HDRLEN;
	alen = (int)r->len - NLMSG_HDRLEN - GENL_HDRLEN;
	e.err = parse_attrs(attrs, alen, tb, &e.why);
	if (e.err) {
		e.extack = true;
		return e;
	}
	if (e.dump)
		return e;
	if (tb[NFSMTP_A_PROFILE] >= 0)
		e.profile = attr_val(attrs, tb[NFSMTP_A_PROFILE]);
	if (g.cmd != NFSMTP_CMD_POLICY_SET)
		return e;
	for (t = 1; t <= NFSMTP_A_MAX; t++) {
		if (tb[t] < 0 || !act_allowed[t])
			continue;
		if (!(act_allowed[t] & (1U << attr_val(attrs, tb[t])))) {
			e.err = -EINVAL;
			e.extack = true;
			e.why = "action does not apply to the rule";
			return e;
		}
	}
	for (int i = 0; i < S_N; i++) {
		struct smtp_domains set;
		const char *err;
		size_t bad;

		if (tb[str_attrs[i].type] < 0)
			continue;
		if (str_attrs[i].build(&set, (const char *)attrs + tb[str_attrs[i].type] +
				       NLA_HDRLEN, SMTP_DOMAINS_TEXT_MAX + 1, &err, &bad)) {
			e.err = -EINVAL;
			e.extack = true;
			e.why = err;
			return e;
		}
	}
	e.change = true;
	return e;
}

/* a list as the kernel shows it once set (predict() checked it builds) */
static void names_apply(char *shown, int slot, const char *text)
{
	struct smtp_domains set;
	const char *err;
	size_t bad;

	str_attrs[slot].build(&set, text, SMTP_DOMAINS_TEXT_MAX + 1, &err, &bad);
	smtp_domains_format(&set, shown, RELAY_SHOWN);
}

static void model_apply(struct model *m, const struct req *r, const int tb[], int profile)
{
	const unsigned char *attrs = r->buf + NLMSG_HDRLEN + GENL_HDRLEN;

	for (int t = 1; t <= NFSMTP_A_MAX; t++) {
		if (tb[t] < 0)
			continue;
		if (per_profile(t))
			m->prof[profile][t] = attr_val(attrs, tb[t]);
		else if (str_slot(t) >= 0)
			names_apply(m->shown[profile][str_slot(t)], str_slot(t),
				    (const char *)attrs + tb[t] + NLA_HDRLEN);
		else if (t == NFSMTP_A_MARK_MASK)
			m->mark_mask = attr_val(attrs, tb[t]);
		else if (t == NFSMTP_A_MARK_SHIFT)
			m->mark_shift = attr_val(attrs, tb[t]);
	}
}

/* profile n as read back equals the model; logs what differs */
static bool model_check(struct nl *nl, const struct model *m, int n, bool verbose)
{
	struct answer a;
	bool ok = true;

	if (!read_profile(nl, n, &a)) {
		printf("# profile %d: cannot read it back\n", n);
		return false;
	}
	for (int t = 1; t <= NFSMTP_A_MAX; t++) {
		uint32_t want;

		if (per_profile(t))
			want = m->prof[n][t];
		else if (t == NFSMTP_A_MARK_MASK)
			want = m->mark_mask;
		else if (t == NFSMTP_A_MARK_SHIFT)
			want = m->mark_shift;
		else
			continue;
		if (!a.have[t] || a.got[t] != want) {
			if (verbose || ok)
				printf("# profile %d attribute %d: kernel %u, model %u\n",
				       n, t, a.got[t], want);
			ok = false;
		}
	}
	for (int i = 0; i < S_N; i++) {
		if (a.have[str_attrs[i].type] && !strcmp(a.shown[i], m->shown[n][i]))
			continue;
		printf("# profile %d %s: kernel \"%s\", model \"%s\"\n",
		       n, str_attrs[i].name, a.shown[i], m->shown[n][i]);
		ok = false;
	}
	return ok;
}

static void hexdump(const struct req *r)
{
	printf("#   request (%u bytes):", r->len);
	for (unsigned int i = 0; i < r->len && i < 96; i++)
		printf("%s%02x", i % 32 ? " " : "\n#     ", r->buf[i]);
	printf("%s\n", r->len > 96 ? " ..." : "");
}

struct counts {
	unsigned long requests, valid, invalid, errors, ok, extack, need_extack;
	unsigned long missing_extack, mismatches, noanswer, eperm, known_cmd;
	unsigned long state_checks, state_mismatches, changes;
};

static void print_counts(const char *what, const struct counts *c)
{
	printf("summary %s requests=%lu valid=%lu invalid=%lu ok=%lu errors=%lu eperm=%lu known_cmd=%lu "
	       "extack=%lu need_extack=%lu missing_extack=%lu mismatches=%lu noanswer=%lu "
	       "changes=%lu state_checks=%lu state_mismatches=%lu\n",
	       what, c->requests, c->valid, c->invalid, c->ok, c->errors, c->eperm, c->known_cmd,
	       c->extack, c->need_extack, c->missing_extack, c->mismatches, c->noanswer,
	       c->changes, c->state_checks, c->state_mismatches);
}

static bool fuzz(struct nl *nl, unsigned long n, bool priv, bool verbose, const char *what)
{
	static struct req r;
	struct counts c = { 0 };
	struct model m;
	int tb[NFSMTP_A_MAX + 1];

	if (priv)
		model_load(nl, &m);
	for (unsigned long i = 0; i < n; i++) {
		struct expect e;
		struct answer a;
		struct genlmsghdr g = { 0 };
		bool bad = false;

		rand_request(nl, &r);
		e = predict(&r, priv, tb);
		if (r.len >= NLMSG_HDRLEN + GENL_HDRLEN)
			memcpy(&g, r.buf + NLMSG_HDRLEN, sizeof(g));
		c.requests++;
		if (e.err)
			c.invalid++;
		else
			c.valid++;
		if (g.cmd >= NFSMTP_CMD_POLICY_GET && g.cmd <= NFSMTP_CMD_STATS_RESET &&
		    r.len >= NLMSG_HDRLEN + GENL_HDRLEN)
			c.known_cmd++;
		if (mnl_socket_sendto(nl->sock, r.buf, r.len) < 0)
			die("send: %s", strerror(errno));
		nl_wait(nl, ((struct nlmsghdr *)r.buf)->nlmsg_seq, &a);
		if (!a.answered) {
			c.noanswer++;
			printf("# request %lu: no answer within 5 s (expected %s)\n", i,
			       e.err ? strerror(-e.err) : "success");
			hexdump(&r);
			continue;
		}
		if (a.err)
			c.errors++;
		else
			c.ok++;
		if (a.err == -EPERM)
			c.eperm++;
		if (a.extack)
			c.extack++;
		if (e.err && e.extack) {
			c.need_extack++;
			if (!a.extack) {
				c.missing_extack++;
				bad = true;
			}
		}
		if (a.err != e.err)
			bad = true;
		if (!a.err && e.dump && a.replies != NFSMTP_PROFILES)
			bad = true;
		if (bad) {
			c.mismatches++;
			if (verbose || c.mismatches <= 10) {
				printf("# request %lu (cmd %u, flags 0x%x): kernel %s%s%s%s, model %s (%s)%s\n",
				       i, g.cmd, ((struct nlmsghdr *)r.buf)->nlmsg_flags,
				       a.err ? strerror(-a.err) : "success",
				       a.extack ? " with extack \"" : "", a.msg,
				       a.extack ? "\"" : "",
				       e.err ? strerror(-e.err) : "success", e.why ? e.why : "-",
				       e.extack ? ", extack due" : "");
				hexdump(&r);
			}
		}
		if (!priv)
			continue;
		if (e.change && !a.err) {
			model_apply(&m, &r, tb, e.profile);
			c.changes++;
		}
		/* after every POLICY_SET, accepted or not: the kernel holds the model */
		if (g.cmd == NFSMTP_CMD_POLICY_SET && !(e.err == -EOPNOTSUPP)) {
			c.state_checks++;
			if (!model_check(nl, &m, e.profile, verbose))
				c.state_mismatches++;
		}
	}
	if (priv) {
		for (int p = 0; p < NFSMTP_PROFILES; p++) {
			c.state_checks++;
			if (!model_check(nl, &m, p, verbose))
				c.state_mismatches++;
		}
	}
	print_counts(what, &c);
	return !c.mismatches && !c.noanswer && !c.state_mismatches;
}

/* ---- unshare -Urn, by hand ------------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die("%s: %s", path, strerror(errno));
	close(fd);
}

static void become_userns_root(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		die("unshare(CLONE_NEWUSER | CLONE_NEWNET): %s", strerror(errno));
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", uid);
	write_file("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "0 %u 1", gid);
	write_file("/proc/self/gid_map", map);
}

/*
 * The socket opened before unshare stays in the old netns: every known
 * command over it must fail with EPERM although we are root in our user
 * namespace. A new socket in the new netns may change the policy there.
 */
static bool deputy(unsigned long n, bool verbose)
{
	struct nl old, fresh;
	struct answer a;
	bool ok;

	nl_open(&old);
	nl_family(&old);
	become_userns_root();
	printf("# now uid %u in a new user namespace, new netns; fuzzing over the socket opened before\n",
	       getuid());
	ok = fuzz(&old, n, false, verbose, "unpriv");
	/* the same set over a socket of our own netns: allowed */
	nl_open(&fresh);
	fresh.family = old.family;
	nl_wait(&fresh, nl_simple(&fresh, NFSMTP_CMD_POLICY_SET, 0, 3,
				  NFSMTP_A_BANNER, 1, NFSMTP_BANNER_MASK), &a);
	printf("own-netns-set %s\n", a.answered ? (a.err ? strerror(-a.err) : "ok") : "no answer");
	if (!a.answered || a.err)
		ok = false;
	return ok;
}

/* ---- digest --------------------------------------------------------------------------- */

static void digest(struct nl *nl)
{
	uint64_t hsh = 1469598103934665603ULL;
	struct answer a;

	for (int n = 0; n < NFSMTP_PROFILES; n++) {
		if (!read_profile(nl, n, &a))
			die("reading profile %d: %s", n, a.answered ? strerror(-a.err) : "no answer");
		for (int t = 1; t <= NFSMTP_A_MAX; t++) {
			uint32_t v = a.have[t] ? a.got[t] + 1 : 0;

			for (int k = 0; k < 4; k++) {
				hsh ^= (v >> (8 * k)) & 0xff;
				hsh *= 1099511628211ULL;
			}
		}
	}
	printf("digest %016llx\n", (unsigned long long)hsh);
}

static void usage(void)
{
	fprintf(stderr, "usage: nl_fuzz fuzz [-n N] [-s SEED] [-e priv|eperm] [-v]\n"
		"       nl_fuzz deputy [-n N] [-s SEED] [-v]\n"
		"       nl_fuzz digest\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long n = 1000;
	uint64_t seed = 1;
	bool priv = true, verbose = false, ok;
	const char *mode;
	struct nl nl;
	int opt;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "n:s:e:v")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'e':
			if (!strcmp(optarg, "priv"))
				priv = true;
			else if (!strcmp(optarg, "eperm"))
				priv = false;
			else
				usage();
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
		}
	}
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	pol_init();
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(mode, "deputy"))
		return deputy(n, verbose) ? 0 : 1;
	nl_open(&nl);
	nl_family(&nl);
	if (!strcmp(mode, "digest")) {
		digest(&nl);
		return 0;
	}
	if (strcmp(mode, "fuzz"))
		usage();
	ok = fuzz(&nl, n, priv, verbose, priv ? "priv" : "unpriv");
	return ok ? 0 : 1;
}
