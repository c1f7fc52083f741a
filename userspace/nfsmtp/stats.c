// SPDX-License-Identifier: GPL-2.0
/*
 * nfsmtp stats [-j | -o prometheus]
 * nfsmtp stats reset
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "keys.h"
#include "nfsmtp.h"
#include "nl.h"
#include "print.h"
#include "prom.h"

#define MAX_STATS	256	/* room for counters newer kernels add */

struct stats_ctx {
	const struct nfsmtp_nl *nl;
	unsigned int n;		/* highest counter index seen + 1 */
	bool have[MAX_STATS];
	uint64_t v[MAX_STATS];
	bool got;
};

void usage_stats(FILE *f)
{
	fputs("Usage: nfsmtp stats [-j | -o prometheus]\n"
	      "       nfsmtp stats reset\n"
	      "\n"
	      "Prints the helper's counters of this network namespace, or sets them back to\n"
	      "zero (needs CAP_NET_ADMIN there, as reading them does). -o prometheus prints\n"
	      "them in the Prometheus text format for node_exporter's textfile collector:\n"
	      "nfsmtp_COUNTER_total{netns=\"NAME\"}, NAME from /run/netns (ip netns), else\n"
	      "\"init\" for the initial namespace, else \"net:[INODE]\".\n", f);
}

static int stat_cb(const struct nlattr *attr, void *data)
{
	struct stats_ctx *ctx = data;
	unsigned int t = mnl_attr_get_type(attr);

	/* type = NFSMTP_A_STATS_SESSIONS + counter index; pad is skipped */
	if (t < NFSMTP_A_STATS_SESSIONS || t - NFSMTP_A_STATS_SESSIONS >= MAX_STATS ||
	    mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return MNL_CB_OK;
	t -= NFSMTP_A_STATS_SESSIONS;
	ctx->have[t] = true;
	ctx->v[t] = mnl_attr_get_u64(attr);
	if (t + 1 > ctx->n)
		ctx->n = t + 1;
	return MNL_CB_OK;
}

static int stats_attr_cb(const struct nlattr *attr, void *data)
{
	struct stats_ctx *ctx = data;

	if (mnl_attr_get_type(attr) == NFSMTP_A_STATS &&
	    mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0) {
		ctx->got = true;
		mnl_attr_parse_nested(attr, stat_cb, ctx);
	}
	return MNL_CB_OK;
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct stats_ctx *ctx = data;
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != ctx->nl->family || genl->cmd != NFSMTP_CMD_STATS_GET)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*genl), stats_attr_cb, ctx);
	return MNL_CB_OK;
}

static const char *stat_name(unsigned int i, char *buf, size_t len)
{
	if (i < __NFSMTP_STAT_MAX)
		return nfsmtp_stat_names[i];
	snprintf(buf, len, "stat_%u", i + 1);	/* a counter newer than this tool */
	return buf;
}

static int stats_show(struct nfsmtp_nl *nl, const struct nfsmtp_opts *o)
{
	struct stats_ctx ctx = { .nl = nl };
	struct nlmsghdr *nlh = nl_request(nl, NFSMTP_CMD_STATS_GET, NLM_F_ACK);
	char buf[32];
	unsigned int i;

	if (nl_talk(nl, nlh, stats_cb, &ctx, "reading counters"))
		return NFSMTP_EXIT_RUNTIME;
	if (!ctx.got) {
		fprintf(stderr, "nfsmtp: reading counters failed: the kernel sent none\n");
		return NFSMTP_EXIT_RUNTIME;
	}
	if (o->prometheus) {
		char netns[300];

		if (nfsmtp_netns_label("/proc/self/ns/net", "/run/netns", "/proc/1/ns/net",
				       netns, sizeof(netns))) {
			fprintf(stderr, "nfsmtp: cannot read /proc/self/ns/net for the netns label: %s\n",
				strerror(errno));
			return NFSMTP_EXIT_RUNTIME;
		}
		nfsmtp_prom_write(stdout, netns, ctx.have, ctx.v, ctx.n);
	} else {
		print_begin(stdout, o->json);
		open_json_object(NULL);
		for (i = 0; i < ctx.n; i++) {
			const char *name = stat_name(i, buf, sizeof(buf));

			if (!ctx.have[i])
				continue;
			print_string(PRINT_FP, NULL, "%-22s ", name);
			print_u64(PRINT_ANY, name, "%" PRIu64, ctx.v[i]);
			print_nl();
		}
		close_json_object();
		print_end();
	}
	return NFSMTP_EXIT_OK;
}

int cmd_stats(int argc, char **argv, const struct nfsmtp_opts *o)
{
	struct nfsmtp_nl nl;
	bool reset = false;
	int ret;

	if (argc == 1 && !strcmp(argv[0], "reset"))
		reset = true;
	else if (argc == 1 && !strcmp(argv[0], "show"))
		reset = false;
	else if (argc)
		return usage_error("stats", "unexpected \"%s\": use stats [reset]",
				   argc > 1 && (!strcmp(argv[0], "reset") || !strcmp(argv[0], "show")) ?
				   argv[1] : argv[0]);

	if (nl_open(&nl))
		return NFSMTP_EXIT_RUNTIME;
	if (reset)
		ret = nl_talk(&nl, nl_request(&nl, NFSMTP_CMD_STATS_RESET, NLM_F_ACK), NULL, NULL,
			      "resetting counters") ? NFSMTP_EXIT_RUNTIME : NFSMTP_EXIT_OK;
	else
		ret = stats_show(&nl, o);
	nl_close(&nl);
	return ret;
}
