// SPDX-License-Identifier: GPL-2.0
/*
 * ct_helpinfo: the smtp helper's state in ctnetlink's CTA_HELP_INFO, for the
 * failover selftest (selftests/smtp_failover.sh).
 *
 *   ct_helpinfo get    TUPLE        "info HEX" (or "info none") and a line
 *                                   "state started=0|1 profile=N tls=0|1
 *                                   dropped=0|1 synced=0|1 seq=N,N"
 *   ct_helpinfo set    TUPLE HEX    update the entry: CTA_HELP {"smtp", HEX}
 *   ct_helpinfo create TUPLE [HEX]  an ESTABLISHED entry with helper smtp
 *   ct_helpinfo delete TUPLE
 *   ct_helpinfo fuzz   N SEED [TUPLE...]
 *
 * TUPLE is the original direction of a TCP connection: SRC SPORT DST DPORT,
 * IPv4 or IPv6.  HEX is CTA_HELP_INFO's payload as "get" prints it.
 *
 * fuzz sends N helper infos, random and garbled (random bytes, truncated
 * attributes, wrong sizes and versions, unknown and repeated attributes,
 * profiles out of range, flags that contradict the parser state, random
 * and bit-flipped parser states), half as updates of the live entries
 * TUPLE... (only ones the module must refuse), half in entries it creates
 * and deletes again.  It predicts each answer with a decoder that follows
 * the module's rules (kmod/smtp_sync.c) and the module's own parser check
 * (smtp_parser_check(), built from the same source), then reads every entry
 * back: a live entry must export the very same bytes as before, a created
 * one the state sent when it was valid, else a connection not started.  The
 * kernel (6.1 to 7.3) ignores the helper's answer, so ctnetlink acknowledges
 * every message with 0; what was refused shows in what the entry holds.
 * Prints one summary line; exit status 1 on any mismatch or netlink error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/nf_conntrack_smtp.h>

#include "smtp_conn.h"

#define INFO_MAX	512
#define NL_BUF		16384

struct tuple {
	int family;
	unsigned char src[16], dst[16];
	uint16_t sport, dport;
};

struct info {
	bool present;
	size_t len;
	unsigned char b[INFO_MAX];
};

/* ---- netlink --------------------------------------------------------------- */

static struct mnl_socket *nl;
static unsigned int nl_portid, nl_seq;
static char nl_buf[NL_BUF];

static void nl_open(void)
{
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ctnetlink socket");
		exit(2);
	}
	nl_portid = mnl_socket_get_portid(nl);
	nl_seq = (unsigned int)time(NULL);
}

static struct nlmsghdr *msg_start(int type, int flags, int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl_buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl_seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static void put_tuple(struct nlmsghdr *nlh, int type, const struct tuple *t, bool reply)
{
	const unsigned char *src = reply ? t->dst : t->src, *dst = reply ? t->src : t->dst;
	struct nlattr *nt, *n;
	size_t alen = t->family == AF_INET ? 4 : 16;

	nt = mnl_attr_nest_start(nlh, type);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, t->family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, alen, src);
	mnl_attr_put(nlh, t->family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST, alen, dst);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(reply ? t->dport : t->sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(reply ? t->sport : t->dport));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, nt);
}

/* CTA_HELP {"smtp", info}; info NULL: the name alone; nested: NLA_F_NESTED on it */
static void put_help(struct nlmsghdr *nlh, const struct info *info, bool nested)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, CTA_HELP);

	mnl_attr_put_strz(nlh, CTA_HELP_NAME, "smtp");
	if (info)
		mnl_attr_put(nlh, CTA_HELP_INFO | (nested ? NLA_F_NESTED : 0), info->len, info->b);
	mnl_attr_nest_end(nlh, n);
}

/* Send, read to the ack; 0 or the negative errno the kernel answered. */
static int nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned int seq = nlh->nlmsg_seq;
	char buf[NL_BUF];
	int ret;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("ctnetlink send");
		exit(2);
	}
	do {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0) {
			perror("ctnetlink receive");
			exit(2);
		}
		ret = mnl_cb_run(buf, ret, seq, nl_portid, cb, data);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

static int help_cb(const struct nlattr *a, void *data)
{
	struct info *info = data;

	if (mnl_attr_get_type(a) == CTA_HELP_INFO) {
		size_t len = mnl_attr_get_payload_len(a);

		info->present = true;
		info->len = len < INFO_MAX ? len : INFO_MAX;
		memcpy(info->b, mnl_attr_get_payload(a), info->len);
	}
	return MNL_CB_OK;
}

static int top_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTA_HELP)
		mnl_attr_parse_nested(a, help_cb, data);
	return MNL_CB_OK;
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), top_cb, data);
	return MNL_CB_OK;
}

static int ct_get(const struct tuple *t, struct info *info)
{
	struct nlmsghdr *nlh = msg_start(IPCTNL_MSG_CT_GET, 0, t->family);

	memset(info, 0, sizeof(*info));
	put_tuple(nlh, CTA_TUPLE_ORIG, t, false);
	return nl_talk(nlh, get_cb, info);
}

static int ct_set(const struct tuple *t, const struct info *info, bool nested)
{
	struct nlmsghdr *nlh = msg_start(IPCTNL_MSG_CT_NEW, 0, t->family);

	put_tuple(nlh, CTA_TUPLE_ORIG, t, false);
	put_help(nlh, info, nested);
	return nl_talk(nlh, NULL, NULL);
}

static int ct_create(const struct tuple *t, const struct info *info, bool nested)
{
	struct nlmsghdr *nlh = msg_start(IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL, t->family);
	struct nlattr *p, *tcp;

	put_tuple(nlh, CTA_TUPLE_ORIG, t, false);
	put_tuple(nlh, CTA_TUPLE_REPLY, t, true);
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(120));
	p = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
	tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
	mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
	mnl_attr_nest_end(nlh, tcp);
	mnl_attr_nest_end(nlh, p);
	put_help(nlh, info, nested);
	return nl_talk(nlh, NULL, NULL);
}

static int ct_delete(const struct tuple *t)
{
	struct nlmsghdr *nlh = msg_start(IPCTNL_MSG_CT_DELETE, 0, t->family);

	put_tuple(nlh, CTA_TUPLE_ORIG, t, false);
	return nl_talk(nlh, NULL, NULL);
}

/* ---- the module's rules, mirrored --------------------------------------- */

static const size_t attr_len[NFSMTP_HI_MAX + 1] = {
	[NFSMTP_HI_VERSION] = 4, [NFSMTP_HI_PROFILE] = 1, [NFSMTP_HI_FLAGS] = 4,
	[NFSMTP_HI_PARSER] = NFSMTP_HELPINFO_PARSER_LEN, [NFSMTP_HI_SEQ] = 8,
};

static uint16_t rd16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * What kmod/smtp_sync.c makes of helper info b: NULL and the state it
 * stores in *out, or why it refuses.  Strict attribute parsing as the
 * kernel's nla_parse() does it, then the module's own checks.
 */
static const char *decode(const unsigned char *b, size_t len, struct smtp_conn *out)
{
	const unsigned char *at[NFSMTP_HI_MAX + 1] = { 0 };
	unsigned int seen = 0, i;
	struct smtp_conn sc;
	uint32_t flags, profile;
	long rem = (long)len;
	size_t pos = 0;
	const char *why;

	while (rem >= 4) {
		uint16_t nlen = rd16(b + pos), ntype = rd16(b + pos + 2);
		uint16_t type = ntype & NLA_TYPE_MASK;

		if (nlen < 4 || nlen > rem)
			break;
		if (type == 0 || type > NFSMTP_HI_MAX)
			return "unknown attribute type";
		if (ntype & NLA_F_NESTED)
			return "NLA_F_NESTED on a binary attribute";
		if (nlen - 4u != attr_len[type])
			return "attribute size";
		if (seen & (1u << type))
			return "repeated attribute";
		seen |= 1u << type;
		at[type] = b + pos + 4;
		pos += (nlen + 3u) & ~3u;
		rem -= (nlen + 3) & ~3;
	}
	if (rem > 0)
		return "trailing bytes";
	for (i = NFSMTP_HI_VERSION; i <= NFSMTP_HI_MAX; i++)
		if (!at[i])
			return "missing attribute";
	if (rd32(at[NFSMTP_HI_VERSION]) != NFSMTP_HELPINFO_VERSION)
		return "version";
	profile = at[NFSMTP_HI_PROFILE][0];
	flags = rd32(at[NFSMTP_HI_FLAGS]);
	memset(&sc, 0, sizeof(sc));
	memcpy(&sc.p, at[NFSMTP_HI_PARSER], sizeof(sc.p));
	memcpy(sc.next_seq, at[NFSMTP_HI_SEQ], sizeof(sc.next_seq));
	why = smtp_conn_check(&sc, flags, profile);
	if (why)
		return why;
	*out = sc;
	return NULL;
}

/* Helper info as the module writes it. */
static void encode_attr(struct info *in, uint16_t type, const void *data, size_t len)
{
	uint16_t nlen = 4 + len;

	memcpy(in->b + in->len, &nlen, 2);
	memcpy(in->b + in->len + 2, &type, 2);
	memcpy(in->b + in->len + 4, data, len);
	memset(in->b + in->len + 4 + len, 0, ((len + 3) & ~3u) - len);
	in->len += 4 + ((len + 3) & ~3u);
}

static void encode(struct info *in, uint32_t version, uint8_t profile, uint32_t flags,
		   const struct smtp_parser *p, const uint32_t *seq)
{
	in->present = true;
	in->len = 0;
	encode_attr(in, NFSMTP_HI_VERSION, &version, 4);
	encode_attr(in, NFSMTP_HI_PROFILE, &profile, 1);
	encode_attr(in, NFSMTP_HI_FLAGS, &flags, 4);
	encode_attr(in, NFSMTP_HI_PARSER, p, sizeof(*p));
	encode_attr(in, NFSMTP_HI_SEQ, seq, 8);
}

/* the flags and profile that go with a connection state */
static void encode_conn(struct info *in, const struct smtp_conn *sc)
{
	encode(in, NFSMTP_HELPINFO_VERSION, smtp_conn_profile(sc), smtp_conn_flags(sc), &sc->p,
	       sc->next_seq);
}

/* ---- printing and parsing ---------------------------------------------- */

static void print_info(const struct info *info)
{
	struct smtp_conn sc;
	const char *why;
	size_t i;

	if (!info->present) {
		printf("info none\n");
		return;
	}
	printf("info ");
	for (i = 0; i < info->len; i++)
		printf("%02x", info->b[i]);
	printf("\n");
	why = decode(info->b, info->len, &sc);
	if (why) {
		printf("state invalid (%s)\n", why);
		return;
	}
	printf("state started=%d profile=%u tls=%d dropped=%d synced=%d seq=%" PRIu32 ",%" PRIu32 "\n",
	       !!(sc.p.user & SC_STARTED), smtp_conn_profile(&sc), smtp_parser_tls(&sc.p),
	       !!(sc.p.user & SC_DEAD),
	       smtp_parser_synced(&sc.p, SMTP_DIR_CLIENT) && smtp_parser_synced(&sc.p, SMTP_DIR_SERVER),
	       sc.next_seq[0], sc.next_seq[1]);
}

static bool parse_hex(const char *s, struct info *info)
{
	size_t n = strlen(s), i;

	if (n % 2 || n / 2 > INFO_MAX)
		return false;
	info->present = true;
	info->len = n / 2;
	for (i = 0; i < info->len; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return false;
		info->b[i] = v;
	}
	return true;
}

static bool parse_tuple(char **arg, struct tuple *t)
{
	char *end;
	long sp = strtol(arg[1], &end, 10), dp;

	if (*end || sp < 1 || sp > 65535)
		return false;
	dp = strtol(arg[3], &end, 10);
	if (*end || dp < 1 || dp > 65535)
		return false;
	t->sport = sp;
	t->dport = dp;
	if (inet_pton(AF_INET, arg[0], t->src) == 1 && inet_pton(AF_INET, arg[2], t->dst) == 1) {
		t->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, arg[0], t->src) == 1 && inet_pton(AF_INET6, arg[2], t->dst) == 1) {
		t->family = AF_INET6;
		return true;
	}
	return false;
}

/* ---- fuzz ---------------------------------------------------------------- */

static uint64_t rnd_state;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state >> 16);
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

/* A state for the blob-based kinds: one of the live ones, or a pickup. */
static void base_state(struct smtp_conn *sc, const struct smtp_conn *bases, unsigned int nbases)
{
	if (nbases && below(4)) {
		*sc = bases[below(nbases)];
		return;
	}
	memset(sc, 0, sizeof(*sc));
	smtp_parser_init_pickup(&sc->p);
	sc->p.user = SC_STARTED | below(NFSMTP_PROFILES) << SC_PROFILE_SHIFT;
	sc->next_seq[0] = rnd();
	sc->next_seq[1] = rnd();
}

/* Garble one attribute of a well-formed info: index k of the five. */
static size_t attr_off(const struct info *in, unsigned int k)
{
	size_t pos = 0;

	while (k--)
		pos += (rd16(in->b + pos) + 3u) & ~3u;
	return pos;
}

static void remove_bytes(struct info *in, size_t at, size_t n)
{
	memmove(in->b + at, in->b + at + n, in->len - at - n);
	in->len -= n;
}

static void insert_bytes(struct info *in, size_t at, const unsigned char *b, size_t n)
{
	memmove(in->b + at + n, in->b + at, in->len - at);
	memcpy(in->b + at, b, n);
	in->len += n;
}

/* One helper info of a random kind; *nested: send it with NLA_F_NESTED. */
static void gen(struct info *in, bool *nested, const struct smtp_conn *bases,
		unsigned int nbases)
{
	struct smtp_conn sc;
	unsigned char junk[64];
	unsigned int kind = below(17), k, i;
	size_t off;

	*nested = below(2);
	base_state(&sc, bases, nbases);
	encode_conn(in, &sc);
	switch (kind) {
	case 0:		/* random bytes */
		in->len = below(160);
		for (i = 0; i < in->len; i++)
			in->b[i] = rnd();
		break;
	case 1:		/* another version */
		encode(in, below(2) ? below(4) : rnd(), smtp_conn_profile(&sc), NFSMTP_HIF_STARTED,
		       &sc.p, sc.next_seq);
		break;
	case 2:		/* profile out of range (the parser's user bits can't say it) */
		encode(in, NFSMTP_HELPINFO_VERSION, NFSMTP_PROFILES + below(248),
		       NFSMTP_HIF_STARTED, &sc.p, sc.next_seq);
		break;
	case 3:		/* one attribute's size off */
		off = attr_off(in, below(5));
		{
			uint16_t nlen = rd16(in->b + off);

			nlen = below(2) ? nlen - 1 - below(nlen - 4 ? nlen - 4 : 1) : nlen + 1 + below(8);
			memcpy(in->b + off, &nlen, 2);
		}
		break;
	case 4:		/* one attribute missing */
		k = below(5);
		off = attr_off(in, k);
		remove_bytes(in, off, (rd16(in->b + off) + 3u) & ~3u);
		break;
	case 5:		/* an unknown, empty-typed or repeated attribute */
		k = below(3);
		if (k == 2) {
			off = attr_off(in, below(5));
			memcpy(junk, in->b + off, (rd16(in->b + off) + 3u) & ~3u);
			insert_bytes(in, attr_off(in, below(6)), junk, (rd16(junk) + 3u) & ~3u);
		} else {
			uint16_t type = k ? NFSMTP_HI_MAX + 1 + below(100) : 0, nlen = 8;

			memcpy(junk, &nlen, 2);
			memcpy(junk + 2, &type, 2);
			memset(junk + 4, 0, 4);
			insert_bytes(in, attr_off(in, below(6)), junk, 8);
		}
		break;
	case 6:		/* NLA_F_NESTED on a leaf */
		off = attr_off(in, below(5));
		in->b[off + 3] |= NLA_F_NESTED >> 8;
		break;
	case 7:		/* truncated */
		in->len = below(in->len);
		break;
	case 8:		/* trailing bytes */
		for (i = 1 + below(3); i; i--)
			in->b[in->len++] = rnd();
		break;
	case 9:		/* unknown or contradicting flags */
		encode(in, NFSMTP_HELPINFO_VERSION, smtp_conn_profile(&sc), rnd() & (below(2) ? 0xff : 0x7),
		       &sc.p, sc.next_seq);
		break;
	case 10:	/* a random parser state, flags to match */
		for (i = 0; i < sizeof(sc.p); i++)
			((unsigned char *)&sc.p)[i] = rnd();
		sc.p.user |= SC_STARTED;
		encode_conn(in, &sc);
		break;
	case 11:	/* a state with a few bits flipped, flags to match */
	case 12:
		for (i = 1 + below(3); i; i--)
			((unsigned char *)&sc.p)[below(sizeof(sc.p))] ^= 1u << below(8);
		sc.p.user |= SC_STARTED;
		encode_conn(in, &sc);
		break;
	case 13:	/* other sequence numbers: valid */
		sc.next_seq[0] = rnd();
		sc.next_seq[1] = rnd();
		encode_conn(in, &sc);
		break;
	case 14:	/* a connection not started: zeros, maybe with one byte set */
		memset(&sc, 0, sizeof(sc));
		encode(in, NFSMTP_HELPINFO_VERSION, 0, 0, &sc.p, sc.next_seq);
		if (below(2)) {
			/* payload offsets: profile 12, flags 20, parser 28..51, seq 56..63 */
			static const unsigned char at[] = { 12, 20, 28, 33, 40, 47, 51, 56, 59, 63 };

			in->b[at[below(sizeof(at))]] = 1 + below(255);
		}
		break;
	case 15:	/* dropped: the parser state does not matter */
		for (i = 0; i < sizeof(sc.p); i++)
			((unsigned char *)&sc.p)[i] = rnd();
		sc.p.user |= SC_STARTED | SC_DEAD;
		encode_conn(in, &sc);
		break;
	default:	/* the whole info nested once more */
		junk[0] = 0;
		{
			uint16_t nlen = 4 + in->len, type = NFSMTP_HI_PARSER | NLA_F_NESTED;

			memcpy(junk, &nlen, 2);
			memcpy(junk + 2, &type, 2);
			insert_bytes(in, 0, junk, 4);
		}
		break;
	}
}

static int cmd_fuzz(unsigned long n, unsigned long seed, struct tuple *live, unsigned int nlive)
{
	struct info base[16], got, in;
	struct smtp_conn bases[16], want, have;
	unsigned long i, live_sent = 0, live_refused = 0, created = 0, accepted = 0,
		      refused = 0, mismatch = 0, ack_zero = 0, ack_err = 0;
	unsigned int k;
	bool nested;
	int err;

	rnd_state = seed * 2654435761u + 88172645463325252ull;
	for (k = 0; k < nlive; k++) {
		if (ct_get(&live[k], &base[k]) || !base[k].present ||
		    decode(base[k].b, base[k].len, &bases[k]) ||
		    !(bases[k].p.user & SC_STARTED)) {
			fprintf(stderr, "fuzz: live entry %u has no started helper state\n", k);
			return 1;
		}
	}
	for (i = 0; i < n; i++) {
		bool to_live = nlive && (i & 1);
		const char *why;

		gen(&in, &nested, bases, nlive);
		why = decode(in.b, in.len, &want);
		if (to_live) {
			/* live sessions only get what the module must refuse */
			unsigned int tries = 0;

			while (!why && tries++ < 50) {
				gen(&in, &nested, bases, nlive);
				why = decode(in.b, in.len, &want);
			}
			if (!why)
				continue;
			k = below(nlive);
			err = ct_set(&live[k], &in, nested);
			live_sent++;
			err ? ack_err++ : ack_zero++;
			if (err)
				fprintf(stderr, "fuzz %lu: update answered %d (%s)\n", i, err, strerror(-err));
			if (ct_get(&live[k], &got) || got.len != base[k].len ||
			    memcmp(got.b, base[k].b, got.len)) {
				fprintf(stderr, "fuzz %lu: the live entry changed after an update it should refuse (%s)\n",
					i, why);
				mismatch++;
				base[k] = got;
			} else {
				live_refused++;
			}
			continue;
		}
		{
			struct tuple t = { .family = (i % 8 == 2) ? AF_INET6 : AF_INET };

			if (t.family == AF_INET) {
				t.src[0] = 198, t.src[1] = 18, t.src[2] = (i >> 8) & 0xff, t.src[3] = i & 0xff;
				t.dst[0] = 198, t.dst[1] = 19, t.dst[2] = 255, t.dst[3] = 1;
			} else {
				inet_pton(AF_INET6, "2001:db8:ff::", t.src);
				t.src[14] = (i >> 8) & 0xff, t.src[15] = i & 0xff;
				inet_pton(AF_INET6, "2001:db8:fe::1", t.dst);
			}
			t.sport = 20000 + (i % 40000);
			t.dport = 25;
			err = ct_create(&t, &in, nested);
			err ? ack_err++ : ack_zero++;
			if (err) {
				fprintf(stderr, "fuzz %lu: create answered %d (%s)\n", i, err, strerror(-err));
				continue;
			}
			created++;
			if (ct_get(&t, &got) || !got.present || decode(got.b, got.len, &have)) {
				fprintf(stderr, "fuzz %lu: the created entry exports no valid helper info\n", i);
				mismatch++;
			} else {
				if (why)
					memset(&want, 0, sizeof(want));	/* refused: not started */
				if (memcmp(&want, &have, sizeof(want))) {
					fprintf(stderr, "fuzz %lu: the created entry holds another state than predicted (%s)\n",
						i, why ? why : "valid");
					mismatch++;
				} else {
					why ? refused++ : accepted++;
				}
			}
			if (ct_delete(&t))
				fprintf(stderr, "fuzz %lu: delete failed\n", i);
		}
	}
	printf("fuzz: %lu sent: %lu to live entries (%lu refused, state unchanged), %lu new entries "
	       "(%lu valid states taken, %lu refused: not started); ctnetlink acks 0: %lu, errors: %lu; "
	       "mismatches: %lu\n", ack_zero + ack_err, live_sent, live_refused, created, accepted,
	       refused, ack_zero, ack_err, mismatch);
	return mismatch || ack_err ? 1 : 0;
}

static void usage(void)
{
	fputs("usage: ct_helpinfo get|delete SRC SPORT DST DPORT\n"
	      "       ct_helpinfo set SRC SPORT DST DPORT HEX\n"
	      "       ct_helpinfo create SRC SPORT DST DPORT [HEX]\n"
	      "       ct_helpinfo fuzz N SEED [SRC SPORT DST DPORT]...\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct tuple t, live[16];
	struct info info = { 0 };
	unsigned int nlive = 0;
	int err;

	if (argc < 2)
		usage();
	nl_open();
	if (!strcmp(argv[1], "fuzz")) {
		int a;

		if (argc < 4 || (argc - 4) % 4 || (argc - 4) / 4 > 16)
			usage();
		for (a = 4; a < argc; a += 4)
			if (!parse_tuple(argv + a, &live[nlive++]))
				usage();
		return cmd_fuzz(strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10), live, nlive);
	}
	if (argc < 6 || !parse_tuple(argv + 2, &t))
		usage();
	if (!strcmp(argv[1], "get") && argc == 6) {
		err = ct_get(&t, &info);
		if (!err)
			print_info(&info);
	} else if (!strcmp(argv[1], "set") && argc == 7) {
		if (!parse_hex(argv[6], &info))
			usage();
		err = ct_set(&t, &info, true);
	} else if (!strcmp(argv[1], "create") && (argc == 6 || argc == 7)) {
		if (argc == 7 && !parse_hex(argv[6], &info))
			usage();
		err = ct_create(&t, argc == 7 ? &info : NULL, true);
	} else if (!strcmp(argv[1], "delete") && argc == 6) {
		err = ct_delete(&t);
	} else {
		usage();
	}
	if (err) {
		fprintf(stderr, "ct_helpinfo %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	return 0;
}
