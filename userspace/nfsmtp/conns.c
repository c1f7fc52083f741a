// SPDX-License-Identifier: GPL-2.0
/*
 * nfsmtp conns [-j]: the conntrack entries (IPv4 and IPv6) whose helper is
 * "smtp", or "smtp-N" for the extra ports= of the module.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/nf_conntrack_smtp.h>

#include "nfsmtp.h"
#include "print.h"

static const char *const tcp_states[] = {
	[TCP_CONNTRACK_NONE] = "NONE",
	[TCP_CONNTRACK_SYN_SENT] = "SYN_SENT",
	[TCP_CONNTRACK_SYN_RECV] = "SYN_RECV",
	[TCP_CONNTRACK_ESTABLISHED] = "ESTABLISHED",
	[TCP_CONNTRACK_FIN_WAIT] = "FIN_WAIT",
	[TCP_CONNTRACK_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_CONNTRACK_LAST_ACK] = "LAST_ACK",
	[TCP_CONNTRACK_TIME_WAIT] = "TIME_WAIT",
	[TCP_CONNTRACK_CLOSE] = "CLOSE",
	[TCP_CONNTRACK_SYN_SENT2] = "SYN_SENT2",
};

struct tuple {
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	unsigned char rawsrc[16], rawdst[16];
	uint16_t sport, dport;
};

void usage_conns(FILE *f)
{
	fputs("Usage: nfsmtp conns [-j]\n"
	      "\n"
	      "Lists the conntrack entries of this network namespace that the smtp helper\n"
	      "follows (helper \"smtp\" or \"smtp-N\"), IPv4 and IPv6: original tuple, TCP state,\n"
	      "timeout (s), the reply tuple when NAT changed it, the conntrack mark, and\n"
	      "where the session stands: tls (it went TLS), plaintext-offered (plaintext,\n"
	      "the server offered STARTTLS), plaintext (not offered), dead (reset or\n"
	      "dropped by the helper), or new (no packet seen yet).\n"
	      "Needs CAP_NET_ADMIN in the network namespace.\n", f);
}

static void get_tuple(const struct nf_conntrack *ct, int family, bool reply, struct tuple *t)
{
	int alen = family == AF_INET ? 4 : 16;
	enum nf_conntrack_attr s, d;

	if (family == AF_INET) {
		s = reply ? ATTR_REPL_IPV4_SRC : ATTR_ORIG_IPV4_SRC;
		d = reply ? ATTR_REPL_IPV4_DST : ATTR_ORIG_IPV4_DST;
	} else {
		s = reply ? ATTR_REPL_IPV6_SRC : ATTR_ORIG_IPV6_SRC;
		d = reply ? ATTR_REPL_IPV6_DST : ATTR_ORIG_IPV6_DST;
	}
	memset(t, 0, sizeof(*t));
	memcpy(t->rawsrc, nfct_get_attr(ct, s), alen);
	memcpy(t->rawdst, nfct_get_attr(ct, d), alen);
	inet_ntop(family, t->rawsrc, t->src, sizeof(t->src));
	inet_ntop(family, t->rawdst, t->dst, sizeof(t->dst));
	t->sport = ntohs(nfct_get_attr_u16(ct, reply ? ATTR_REPL_PORT_SRC : ATTR_ORIG_PORT_SRC));
	t->dport = ntohs(nfct_get_attr_u16(ct, reply ? ATTR_REPL_PORT_DST : ATTR_ORIG_PORT_DST));
}

/* NAT changed the reply tuple when it is not the original one turned round */
static bool nat_changed(const struct tuple *o, const struct tuple *r)
{
	return memcmp(o->rawsrc, r->rawdst, 16) || memcmp(o->rawdst, r->rawsrc, 16) ||
	       o->sport != r->dport || o->dport != r->sport;
}

static void show_tuple(const struct tuple *t, int family)
{
	print_tuple(t->src, t->sport, t->dst, t->dport, family == AF_INET6);
}

/* The helper's flags in CTA_HELP_INFO (enum nfsmtp_helpinfo_attr), or -1. */
struct hi_walk {
	int depth;
	long flags;
};

static int hi_cb(const struct nlattr *a, void *data)
{
	struct hi_walk *w = data;
	int type = mnl_attr_get_type(a);

	if (w->depth == 0 && type == CTA_HELP) {
		w->depth = 1;
		mnl_attr_parse_nested(a, hi_cb, w);
		w->depth = 0;
	} else if (w->depth == 1 && type == CTA_HELP_INFO) {
		w->depth = 2;
		mnl_attr_parse_nested(a, hi_cb, w);
		w->depth = 1;
	} else if (w->depth == 2 && type == NFSMTP_HI_FLAGS &&
		   mnl_attr_get_payload_len(a) == sizeof(uint32_t)) {
		w->flags = mnl_attr_get_u32(a);
	}
	return MNL_CB_OK;
}

static const char *session_state(const struct nlmsghdr *nlh)
{
	struct hi_walk w = { .flags = -1 };

	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), hi_cb, &w);
	if (w.flags < 0)
		return NULL;
	if (!(w.flags & NFSMTP_HIF_STARTED))
		return "new";
	if (w.flags & NFSMTP_HIF_DROPPED)
		return "dead";
	if (w.flags & NFSMTP_HIF_TLS)
		return "tls";
	return w.flags & NFSMTP_HIF_OFFERED ? "plaintext-offered" : "plaintext";
}

static int ct_cb(const struct nlmsghdr *nlh, enum nf_conntrack_msg_type type,
		 struct nf_conntrack *ct, void *data)
{
	const char *helper, *fam, *state = NULL, *session = session_state(nlh);
	struct tuple orig, repl;
	char proto[16], sbuf[16];
	int family, l4;
	bool nat;

	(void)type;
	(void)data;
	if (!nfct_attr_is_set(ct, ATTR_HELPER_NAME))
		return NFCT_CB_CONTINUE;
	helper = nfct_get_attr(ct, ATTR_HELPER_NAME);
	if (strcmp(helper, "smtp") && strncmp(helper, "smtp-", 5))
		return NFCT_CB_CONTINUE;
	family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	if (family != AF_INET && family != AF_INET6)
		return NFCT_CB_CONTINUE;
	fam = family == AF_INET ? "ipv4" : "ipv6";
	l4 = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	if (l4 == IPPROTO_TCP)
		snprintf(proto, sizeof(proto), "tcp");
	else
		snprintf(proto, sizeof(proto), "%d", l4);
	if (l4 == IPPROTO_TCP && nfct_attr_is_set(ct, ATTR_TCP_STATE)) {
		uint8_t s = nfct_get_attr_u8(ct, ATTR_TCP_STATE);

		if (s < sizeof(tcp_states) / sizeof(tcp_states[0]) && tcp_states[s]) {
			state = tcp_states[s];
		} else {
			snprintf(sbuf, sizeof(sbuf), "%u", s);
			state = sbuf;
		}
	}
	get_tuple(ct, family, false, &orig);
	get_tuple(ct, family, true, &repl);
	nat = nat_changed(&orig, &repl);

	open_json_object(NULL);
	print_string(PRINT_ANY, "family", "%s", fam);
	print_string(PRINT_ANY, "protocol", " %s", proto);
	if (state)
		print_string(PRINT_ANY, "state", " %s", state);
	if (nfct_attr_is_set(ct, ATTR_TIMEOUT))
		print_uint(PRINT_ANY, "timeout", " timeout %u", nfct_get_attr_u32(ct, ATTR_TIMEOUT));
	show_tuple(&orig, family);
	if (nat) {
		print_string(PRINT_FP, NULL, "%s", " reply");
		open_json_object("reply");
		show_tuple(&repl, family);
		close_json_object();
	}
	print_uint(PRINT_ANY, "mark", " mark 0x%x", nfct_get_attr_u32(ct, ATTR_MARK));
	print_string(PRINT_ANY, "helper", " helper %s", helper);
	if (session)
		print_string(PRINT_ANY, "session", " session %s", session);
	close_json_object();
	print_nl();
	return NFCT_CB_CONTINUE;
}

int cmd_conns(int argc, char **argv, const struct nfsmtp_opts *o)
{
	uint32_t family = AF_UNSPEC;	/* both IPv4 and IPv6 */
	struct nfct_handle *h;
	FILE *out;	/* printed only once the whole dump went well */
	char *buf = NULL;
	size_t len = 0;
	int ret, err;

	if (argc)
		return usage_error("conns", "unexpected \"%s\": conns takes no arguments", argv[0]);

	h = nfct_open(CONNTRACK, 0);
	if (!h) {
		fprintf(stderr, "nfsmtp: cannot open a conntrack netlink socket: %s\n", strerror(errno));
		return NFSMTP_EXIT_RUNTIME;
	}
	out = open_memstream(&buf, &len);
	if (!out) {
		fprintf(stderr, "nfsmtp: out of memory\n");
		nfct_close(h);
		return NFSMTP_EXIT_RUNTIME;
	}
	nfct_callback_register2(h, NFCT_T_ALL, ct_cb, NULL);
	print_begin(out, o->json);
	open_json_array(NULL);
	ret = nfct_query(h, NFCT_Q_DUMP, &family);
	err = errno;
	nfct_close(h);
	close_json_array();
	print_end();
	fclose(out);
	if (ret < 0) {
		free(buf);
		if (err == EPERM || err == EACCES)
			fprintf(stderr, "nfsmtp: permission denied: listing connections needs CAP_NET_ADMIN in this network namespace\n");
		else if (err == EPROTONOSUPPORT || err == EOPNOTSUPP)
			fprintf(stderr, "nfsmtp: conntrack netlink is not there: load it (modprobe nf_conntrack_netlink)\n");
		else
			fprintf(stderr, "nfsmtp: listing connections failed: %s\n", strerror(err));
		return NFSMTP_EXIT_RUNTIME;
	}
	fputs(buf, stdout);
	free(buf);
	return NFSMTP_EXIT_OK;
}
