// SPDX-License-Identifier: GPL-2.0
/*
 * nfsmtp monitor [-j]: one line (or one JSON object) per event of the
 * "events" multicast group, until SIGINT or SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "keys.h"
#include "nfsmtp.h"
#include "nl.h"
#include "print.h"

struct event {
	bool have[NFSMTP_A_EVENT_MAX + 1];
	uint32_t v[NFSMTP_A_EVENT_MAX + 1];
	unsigned char saddr[16], daddr[16];
	unsigned int saddr_len, daddr_len;
	const char *detail;
	size_t detail_len;
};

struct monitor_ctx {
	const struct nfsmtp_nl *nl;
	bool json;
};

void usage_monitor(FILE *f)
{
	fputs("Usage: nfsmtp monitor [-j]\n"
	      "\n"
	      "Prints each action the helper takes in this network namespace, one line\n"
	      "(or one JSON object) per event, until interrupted (SIGINT or SIGTERM).\n"
	      "Text lines read:\n"
	      "  FAMILY CLIENT:PORT > SERVER:PORT dir client|server rule RULE action ACTION [detail TEXT]\n", f);
}

static int event_attr_cb(const struct nlattr *attr, void *data)
{
	struct event *ev = data;
	unsigned int t = mnl_attr_get_type(attr);
	size_t len = mnl_attr_get_payload_len(attr);

	switch (t) {
	case NFSMTP_A_EVENT_FAMILY:
	case NFSMTP_A_EVENT_RULE:
	case NFSMTP_A_EVENT_ACTION:
	case NFSMTP_A_EVENT_DIR:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return MNL_CB_OK;
		ev->v[t] = mnl_attr_get_u8(attr);
		break;
	case NFSMTP_A_EVENT_SPORT:
	case NFSMTP_A_EVENT_DPORT:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return MNL_CB_OK;
		ev->v[t] = mnl_attr_get_u16(attr);
		break;
	case NFSMTP_A_EVENT_SADDR:
	case NFSMTP_A_EVENT_DADDR:
		if (len != 4 && len != 16)
			return MNL_CB_OK;
		memcpy(t == NFSMTP_A_EVENT_SADDR ? ev->saddr : ev->daddr,
		       mnl_attr_get_payload(attr), len);
		*(t == NFSMTP_A_EVENT_SADDR ? &ev->saddr_len : &ev->daddr_len) = (unsigned int)len;
		break;
	case NFSMTP_A_EVENT_DETAIL:
		/* a NUL-terminated string; its bytes come from the network */
		ev->detail = mnl_attr_get_payload(attr);
		ev->detail_len = strnlen(ev->detail, len);
		break;
	default:
		return MNL_CB_OK;
	}
	ev->have[t] = true;
	return MNL_CB_OK;
}

/* the message's one attribute: the event nest (NFSMTP_A_EVENT) */
static int event_nest_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == NFSMTP_A_EVENT &&
	    mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
		mnl_attr_parse_nested(attr, event_attr_cb, data);
	return MNL_CB_OK;
}

static void addr_str(const struct event *ev, bool src, char *buf, size_t len)
{
	unsigned int alen = src ? ev->saddr_len : ev->daddr_len;
	const void *a = src ? ev->saddr : ev->daddr;

	if (!alen || !inet_ntop(alen == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static const char *name_of(const char *const *names, unsigned int n, const struct event *ev,
			   unsigned int attr, char *buf, size_t len)
{
	uint32_t v = ev->v[attr];

	if (!ev->have[attr])
		return "?";
	if (v < n && names[v])
		return names[v];
	snprintf(buf, len, "%u", v);
	return buf;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct monitor_ctx *ctx = data;
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN], b1[16], b2[16];
	const char *fam, *dir, *rule, *action;
	struct event ev;

	if (nlh->nlmsg_type != ctx->nl->family || genl->cmd != NFSMTP_CMD_EVENT)
		return MNL_CB_OK;
	memset(&ev, 0, sizeof(ev));
	mnl_attr_parse(nlh, sizeof(*genl), event_nest_cb, &ev);

	addr_str(&ev, true, sa, sizeof(sa));
	addr_str(&ev, false, da, sizeof(da));
	fam = !ev.have[NFSMTP_A_EVENT_FAMILY] ? "?" :
	      ev.v[NFSMTP_A_EVENT_FAMILY] == AF_INET ? "ipv4" :
	      ev.v[NFSMTP_A_EVENT_FAMILY] == AF_INET6 ? "ipv6" : "?";
	dir = !ev.have[NFSMTP_A_EVENT_DIR] ? "?" : ev.v[NFSMTP_A_EVENT_DIR] ? "server" : "client";
	rule = name_of(nfsmtp_rule_names, __NFSMTP_RULE_MAX, &ev, NFSMTP_A_EVENT_RULE, b1, sizeof(b1));
	action = name_of(nfsmtp_action_names, __NFSMTP_ACTION_MAX, &ev, NFSMTP_A_EVENT_ACTION,
			 b2, sizeof(b2));

	print_begin(stdout, ctx->json);
	open_json_object(NULL);
	print_string(PRINT_ANY, "family", "%s", fam);
	print_tuple(sa, ev.v[NFSMTP_A_EVENT_SPORT], da, ev.v[NFSMTP_A_EVENT_DPORT], ev.saddr_len == 16);
	print_string(PRINT_ANY, "dir", " dir %s", dir);
	print_string(PRINT_ANY, "rule", " rule %s", rule);
	print_string(PRINT_ANY, "action", " action %s", action);
	if (ev.detail)
		print_quoted(PRINT_ANY, "detail", " detail %s", ev.detail, ev.detail_len);
	close_json_object();
	print_nl();
	print_end();
	fflush(stdout);
	return MNL_CB_OK;
}

static int monitor(struct nfsmtp_nl *nl, int sfd, const struct nfsmtp_opts *o)
{
	struct monitor_ctx ctx = { .nl = nl, .json = o->json };
	struct pollfd pfd[2] = {
		{ .fd = mnl_socket_get_fd(nl->sk), .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
	};
	unsigned int grp = nl->mcgrp_events;

	if (!grp) {
		fprintf(stderr, "nfsmtp: the nf_smtp family has no \"%s\" multicast group: update the module\n",
			NFSMTP_MCGRP_EVENTS);
		return NFSMTP_EXIT_RUNTIME;
	}
	if (mnl_socket_setsockopt(nl->sk, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		if (errno == EPERM || errno == EACCES)
			fprintf(stderr, "nfsmtp: permission denied: monitoring events needs CAP_NET_ADMIN in this network namespace\n");
		else
			fprintf(stderr, "nfsmtp: cannot subscribe to the events: %s\n", strerror(errno));
		return NFSMTP_EXIT_RUNTIME;
	}
	for (;;) {
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "nfsmtp: monitor: poll: %s\n", strerror(errno));
			return NFSMTP_EXIT_RUNTIME;
		}
		if (pfd[1].revents)
			return NFSMTP_EXIT_OK;	/* SIGINT or SIGTERM */
		if (!pfd[0].revents)
			continue;
		n = mnl_socket_recvfrom(nl->sk, nl->rbuf, NL_RBUF_SIZE);
		if (n < 0) {
			if (errno == ENOBUFS) {
				/* the kernel dropped events: say so, go on */
				fprintf(stderr, "nfsmtp: events lost: the receive buffer overflowed\n");
				continue;
			}
			if (errno == EINTR)
				continue;
			fprintf(stderr, "nfsmtp: monitor: receiving events: %s\n", strerror(errno));
			return NFSMTP_EXIT_RUNTIME;
		}
		if (mnl_cb_run(nl->rbuf, n, 0, 0, event_cb, &ctx) < 0) {
			fprintf(stderr, "nfsmtp: monitor: bad event message: %s\n", strerror(errno));
			return NFSMTP_EXIT_RUNTIME;
		}
	}
}

int cmd_monitor(int argc, char **argv, const struct nfsmtp_opts *o)
{
	struct nfsmtp_nl nl;
	sigset_t mask;
	int sfd, ret;

	if (argc)
		return usage_error("monitor", "unexpected \"%s\": monitor takes no arguments", argv[0]);

	/* before anything else: a signal from now on ends the loop cleanly */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		fprintf(stderr, "nfsmtp: monitor: sigprocmask: %s\n", strerror(errno));
		return NFSMTP_EXIT_RUNTIME;
	}
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, "nfsmtp: monitor: signalfd: %s\n", strerror(errno));
		return NFSMTP_EXIT_RUNTIME;
	}
	if (nl_open(&nl)) {
		close(sfd);
		return NFSMTP_EXIT_RUNTIME;
	}
	ret = monitor(&nl, sfd, o);
	nl_close(&nl);
	close(sfd);
	return ret;
}
