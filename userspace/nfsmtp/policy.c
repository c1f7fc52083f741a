// SPDX-License-Identifier: GPL-2.0
/*
 * nfsmtp policy show [profile N]
 * nfsmtp policy set [profile N] KEY VALUE [KEY VALUE...]
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "keys.h"
#include "nfsmtp.h"
#include "nl.h"

#define MAX_SHOWN	256	/* profile numbers are u8 on the wire */

struct profile_vals {
	int profile;
	bool have[NFSMTP_A_MAX + 1];
	uint32_t v[NFSMTP_A_MAX + 1];
};

struct show_ctx {
	const struct nfsmtp_nl *nl;
	unsigned int n;
	struct profile_vals p[MAX_SHOWN];
};

static const char *const line_names[] = {
	"", "limits (octets with CRLF, 0 = off)", "limit actions", "guards",
};

void usage_policy_show(FILE *f)
{
	fputs("Usage: nfsmtp policy show [profile N] [-j]\n"
	      "\n"
	      "Prints profile N, or every profile and the namespace-wide profile-mark-mask\n"
	      "and profile-mark-shift. Each line can be given back to `nfsmtp policy set`.\n", f);
}

void usage_policy_set(FILE *f)
{
	char buf[600];
	unsigned int i;

	fputs("Usage: nfsmtp policy set [profile N] KEY VALUE [KEY VALUE...]\n"
	      "\n"
	      "Changes only the keys given, in profile N (default 0); all at once or none.\n"
	      "\n"
	      "Keys (default in brackets):\n", f);
	for (i = 0; i < nfsmtp_n_keys; i++) {
		const struct nfsmtp_key *k = &nfsmtp_keys[i];

		switch (k->type) {
		case NFSMTP_KT_ENUM:
		case NFSMTP_KT_ACTION:
			nfsmtp_join_names(k->names, k->n_names, "|", "|", buf, sizeof(buf));
			break;
		case NFSMTP_KT_EHLO:
			snprintf(buf, sizeof(buf), "LIST|none|all");
			break;
		default:
			snprintf(buf, sizeof(buf), "N");
		}
		fprintf(f, "  %-19s %-26s [%s]%s\n", k->name, buf, k->def,
			k->per_ns ? " namespace-wide" : "");
	}
	nfsmtp_join_names(nfsmtp_kw_names, __NFSMTP_KW_MAX, ",", ",", buf, sizeof(buf));
	fprintf(f, "\n"
		"LIST: comma-separated EHLO keywords, any case, from\n  %s\n"
		"N: decimal, or hex with 0x. Not every rule takes every action: the kernel\n"
		"says which (see nfsmtp(8)). Needs CAP_NET_ADMIN in the network namespace.\n",
		buf);
}

void usage_policy(FILE *f)
{
	usage_policy_show(f);
	fputc('\n', f);
	usage_policy_set(f);
}

static bool has_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") || !strcmp(argv[i], "help"))
			return true;
	return false;
}

/* ---- show --------------------------------------------------------------- */

static int profile_attr_cb(const struct nlattr *attr, void *data)
{
	struct profile_vals *p = data;
	unsigned int t = mnl_attr_get_type(attr);
	const struct nfsmtp_key *k;
	enum mnl_attr_data_type mt;

	if (t == NFSMTP_A_PROFILE) {
		if (mnl_attr_validate(attr, MNL_TYPE_U8) >= 0)
			p->profile = mnl_attr_get_u8(attr);
		return MNL_CB_OK;
	}
	k = nfsmtp_key_by_attr(t);
	if (!k)
		return MNL_CB_OK;	/* newer kernel: not ours to show */
	switch (k->type) {
	case NFSMTP_KT_U16:
		mt = MNL_TYPE_U16;
		break;
	case NFSMTP_KT_U32:
	case NFSMTP_KT_EHLO:
		mt = MNL_TYPE_U32;
		break;
	default:
		mt = MNL_TYPE_U8;
	}
	if (mnl_attr_validate(attr, mt) < 0)
		return MNL_CB_OK;
	p->have[t] = true;
	p->v[t] = mt == MNL_TYPE_U8 ? mnl_attr_get_u8(attr) :
		  mt == MNL_TYPE_U16 ? mnl_attr_get_u16(attr) : mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int profile_cb(const struct nlmsghdr *nlh, void *data)
{
	struct show_ctx *ctx = data;
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	struct profile_vals *p;

	if (nlh->nlmsg_type != ctx->nl->family || genl->cmd != NFSMTP_CMD_POLICY_GET ||
	    ctx->n == MAX_SHOWN)
		return MNL_CB_OK;
	p = &ctx->p[ctx->n];
	memset(p, 0, sizeof(*p));
	p->profile = -1;
	mnl_attr_parse(nlh, sizeof(*genl), profile_attr_cb, p);
	if (p->profile >= 0)
		ctx->n++;
	return MNL_CB_OK;
}

static void show_json(const struct show_ctx *ctx)
{
	char buf[256];
	struct json j;
	unsigned int i, n, b;

	json_init(&j, stdout);
	json_obj_open(&j);
	/* namespace-wide: the same in every profile's message */
	for (i = 0; i < nfsmtp_n_keys; i++) {
		const struct nfsmtp_key *k = &nfsmtp_keys[i];

		if (k->per_ns && ctx->n && ctx->p[0].have[k->attr])
			json_kv_u64(&j, k->json, ctx->p[0].v[k->attr]);
	}
	json_key(&j, "profiles");
	json_arr_open(&j);
	for (n = 0; n < ctx->n; n++) {
		const struct profile_vals *p = &ctx->p[n];

		json_obj_open(&j);
		json_kv_u64(&j, "profile", p->profile);
		for (i = 0; i < nfsmtp_n_keys; i++) {
			const struct nfsmtp_key *k = &nfsmtp_keys[i];
			uint32_t v = p->v[k->attr];

			if (k->per_ns || !p->have[k->attr])
				continue;
			json_key(&j, k->json);
			switch (k->type) {
			case NFSMTP_KT_EHLO:
				json_arr_open(&j);
				for (b = 0; b < 32; b++) {
					if (!(v & (1U << b)))
						continue;
					if (b < __NFSMTP_KW_MAX) {
						json_str(&j, nfsmtp_kw_names[b]);
					} else {
						snprintf(buf, sizeof(buf), "bit%u", b);
						json_str(&j, buf);
					}
				}
				json_arr_close(&j);
				break;
			case NFSMTP_KT_ENUM:
			case NFSMTP_KT_ACTION:
				if (v < k->n_names && k->names[v])
					json_str(&j, k->names[v]);
				else
					json_u64(&j, v);	/* no name in this tool */
				break;
			default:
				json_u64(&j, v);
			}
		}
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_obj_close(&j);
	putchar('\n');
}

static void show_text(const struct show_ctx *ctx)
{
	char buf[256];
	unsigned int i, n, line;
	bool any;

	any = false;
	for (i = 0; i < nfsmtp_n_keys; i++) {
		const struct nfsmtp_key *k = &nfsmtp_keys[i];

		if (!k->per_ns || !ctx->n || !ctx->p[0].have[k->attr])
			continue;
		nfsmtp_format_value(k, ctx->p[0].v[k->attr], buf, sizeof(buf));
		printf("%s%s %s", any ? " " : "", k->name, buf);
		any = true;
	}
	if (any)
		printf("\n");
	for (n = 0; n < ctx->n; n++) {
		const struct profile_vals *p = &ctx->p[n];

		printf("profile %d\n", p->profile);
		for (line = 0; line < sizeof(line_names) / sizeof(line_names[0]); line++) {
			any = false;
			for (i = 0; i < nfsmtp_n_keys; i++) {
				const struct nfsmtp_key *k = &nfsmtp_keys[i];

				if (k->per_ns || k->line != line || !p->have[k->attr])
					continue;
				nfsmtp_format_value(k, p->v[k->attr], buf, sizeof(buf));
				printf("%s%s %s", any ? " " : "\t", k->name, buf);
				any = true;
			}
			if (any)
				printf("\n");
		}
	}
}

static int policy_show(struct nfsmtp_nl *nl, int profile, const struct nfsmtp_opts *o)
{
	struct show_ctx *ctx;
	struct nlmsghdr *nlh;
	int ret;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		fprintf(stderr, "nfsmtp: out of memory\n");
		return NFSMTP_EXIT_RUNTIME;
	}
	ctx->nl = nl;
	if (profile >= 0) {
		nlh = nl_request(nl, NFSMTP_CMD_POLICY_GET, NLM_F_ACK);
		mnl_attr_put_u8(nlh, NFSMTP_A_PROFILE, (uint8_t)profile);
	} else {
		nlh = nl_request(nl, NFSMTP_CMD_POLICY_GET, NLM_F_DUMP);
	}
	ret = nl_talk(nl, nlh, profile_cb, ctx, "reading policy");
	if (!ret && ctx->n == 0) {
		fprintf(stderr, "nfsmtp: reading policy failed: the kernel sent no profile\n");
		ret = 1;
	}
	if (!ret) {
		if (o->json)
			show_json(ctx);
		else
			show_text(ctx);
	}
	free(ctx);
	return ret ? NFSMTP_EXIT_RUNTIME : NFSMTP_EXIT_OK;
}

/* ---- set ---------------------------------------------------------------- */

static int policy_set(struct nfsmtp_nl *nl, const struct nfsmtp_set_req *req)
{
	struct nlmsghdr *nlh = nl_request(nl, NFSMTP_CMD_POLICY_SET, NLM_F_ACK);
	unsigned int i;

	if (req->profile >= 0)
		mnl_attr_put_u8(nlh, NFSMTP_A_PROFILE, (uint8_t)req->profile);
	for (i = 0; i < req->n; i++) {
		const struct nfsmtp_key *k = req->s[i].key;
		uint32_t v = req->s[i].value;

		switch (k->type) {
		case NFSMTP_KT_U16:
			mnl_attr_put_u16(nlh, k->attr, (uint16_t)v);
			break;
		case NFSMTP_KT_U32:
		case NFSMTP_KT_EHLO:
			mnl_attr_put_u32(nlh, k->attr, v);
			break;
		default:
			mnl_attr_put_u8(nlh, k->attr, (uint8_t)v);
		}
	}
	return nl_talk(nl, nlh, NULL, NULL, "changing policy") ?
		NFSMTP_EXIT_RUNTIME : NFSMTP_EXIT_OK;
}

int cmd_policy(int argc, char **argv, const struct nfsmtp_opts *o)
{
	struct nfsmtp_set_req req;
	struct nfsmtp_nl nl;
	char err[1024];
	int profile, ret;
	bool set;

	if (argc == 0 || !strcmp(argv[0], "show") || !strcmp(argv[0], "list")) {
		if (has_help(argc, argv)) {
			usage_policy_show(stdout);
			return NFSMTP_EXIT_OK;
		}
		if (argc && nfsmtp_parse_profile_arg(argc - 1, argv + 1, &profile, err, sizeof(err)))
			return usage_error("policy show", "%s", err);
		if (!argc)
			profile = -1;
		set = false;
	} else if (!strcmp(argv[0], "set")) {
		if (has_help(argc, argv)) {
			usage_policy_set(stdout);
			return NFSMTP_EXIT_OK;
		}
		if (nfsmtp_parse_set(argc - 1, argv + 1, &req, err, sizeof(err)))
			return usage_error("policy set", "%s", err);
		set = true;
	} else if (has_help(argc, argv)) {
		usage_policy(stdout);
		return NFSMTP_EXIT_OK;
	} else {
		return usage_error("policy", "unknown policy command \"%s\": use show or set", argv[0]);
	}

	if (nl_open(&nl))
		return NFSMTP_EXIT_RUNTIME;
	ret = set ? policy_set(&nl, &req) : policy_show(&nl, profile, o);
	nl_close(&nl);
	return ret;
}
