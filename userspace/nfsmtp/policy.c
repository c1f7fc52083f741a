// SPDX-License-Identifier: GPL-2.0
/*
 * nfsmtp policy show [profile N]
 * nfsmtp policy set [profile N] KEY VALUE [KEY VALUE...]
 * nfsmtp [-c] -f FILE: a file of policy set lines, all or nothing
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "keys.h"
#include "nfsmtp.h"
#include "nl.h"
#include "print.h"

#define MAX_SHOWN	256	/* profile numbers are u8 on the wire */

struct show_ctx {
	const struct nfsmtp_nl *nl;
	unsigned int n;
	struct nfsmtp_profile_vals p[MAX_SHOWN];
};

void usage_policy_show(FILE *f)
{
	fputs("Usage: nfsmtp policy show [profile N] [-j]\n"
	      "\n"
	      "Prints the namespace-wide profile-mark-mask and profile-mark-shift and\n"
	      "profile N, or every profile, as \"policy set\" lines: the syntax of\n"
	      "nfsmtp -f FILE, so `nfsmtp policy show > FILE; nfsmtp -f FILE` restores it.\n", f);
}

void usage_policy_set(FILE *f)
{
	char buf[600], encs[128];
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
		case NFSMTP_KT_FLAGS:
			snprintf(buf, sizeof(buf), "LIST|none|all");
			break;
		case NFSMTP_KT_DOMAINS:
			snprintf(buf, sizeof(buf), "%s|none",
				 k->attr == NFSMTP_A_MAIL_RELAY ? "DOMAINS" : "TYPES");
			break;
		default:
			snprintf(buf, sizeof(buf), "N");
		}
		fprintf(f, "  %-21s %-26s [%s]%s\n", k->name, buf, k->def,
			k->per_ns ? " namespace-wide" : "");
	}
	nfsmtp_join_names(nfsmtp_kw_names, __NFSMTP_KW_MAX, ",", ",", buf, sizeof(buf));
	nfsmtp_join_names(nfsmtp_mime_enc_names, __NFSMTP_MIME_ENC_MAX, ",", ",", encs,
			  sizeof(encs));
	fprintf(f, "\n"
		"LIST: comma-separated names, any case: EHLO keywords for ehlo-mask, from\n"
		"  %s\n"
		"  and transfer encodings for mime-encoding, from\n  %s\n"
		"DOMAINS: up to 32 mail domains separated by commas, any case\n"
		"TYPES: up to 32 file name extensions (exe, scr, js) separated by commas\n"
		"N: decimal, or hex with 0x. Not every rule takes every action: the kernel\n"
		"says which (see nfsmtp(8)). Needs CAP_NET_ADMIN in the network namespace.\n",
		buf, encs);
}

void usage_policy(FILE *f)
{
	usage_policy_show(f);
	fputc('\n', f);
	usage_policy_set(f);
}

/* ---- show --------------------------------------------------------------- */

static int profile_attr_cb(const struct nlattr *attr, void *data)
{
	struct nfsmtp_profile_vals *p = data;
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
	if (k->type == NFSMTP_KT_DOMAINS) {
		uint32_t v;

		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_OK;
		v = nfsmtp_text_intern(mnl_attr_get_str(attr));
		if (v == UINT32_MAX)
			return MNL_CB_OK;	/* not shown rather than shown wrong */
		p->have[t] = true;
		p->v[t] = v;
		return MNL_CB_OK;
	}
	switch (k->type) {
	case NFSMTP_KT_U16:
		mt = MNL_TYPE_U16;
		break;
	case NFSMTP_KT_U32:
	case NFSMTP_KT_FLAGS:
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
	struct nfsmtp_profile_vals *p;

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

/* PROFILE's policy (all profiles when -1) into CTX; 0, or 1 after the error line */
static int policy_read(struct nfsmtp_nl *nl, int profile, struct show_ctx *ctx)
{
	struct nlmsghdr *nlh;

	memset(ctx, 0, sizeof(*ctx));
	ctx->nl = nl;
	if (profile >= 0) {
		nlh = nl_request(nl, NFSMTP_CMD_POLICY_GET, NLM_F_ACK);
		mnl_attr_put_u8(nlh, NFSMTP_A_PROFILE, (uint8_t)profile);
	} else {
		nlh = nl_request(nl, NFSMTP_CMD_POLICY_GET, NLM_F_DUMP);
	}
	if (nl_talk(nl, nlh, profile_cb, ctx, "reading policy"))
		return 1;
	if (ctx->n == 0) {
		fprintf(stderr, "nfsmtp: reading policy failed: the kernel sent no profile\n");
		return 1;
	}
	return 0;
}

static int policy_show(struct nfsmtp_nl *nl, int profile, const struct nfsmtp_opts *o)
{
	struct show_ctx *ctx;
	int ret;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		fprintf(stderr, "nfsmtp: out of memory\n");
		return NFSMTP_EXIT_RUNTIME;
	}
	ret = policy_read(nl, profile, ctx);
	if (!ret) {
		print_begin(stdout, o->json);
		nfsmtp_policy_print(ctx->p, ctx->n);
		print_end();
	}
	free(ctx);
	return ret ? NFSMTP_EXIT_RUNTIME : NFSMTP_EXIT_OK;
}

/* ---- set ---------------------------------------------------------------- */

static void put_value(struct nlmsghdr *nlh, const struct nfsmtp_key *k, uint32_t v)
{
	switch (k->type) {
	case NFSMTP_KT_U16:
		mnl_attr_put_u16(nlh, k->attr, (uint16_t)v);
		break;
	case NFSMTP_KT_U32:
	case NFSMTP_KT_FLAGS:
		mnl_attr_put_u32(nlh, k->attr, v);
		break;
	case NFSMTP_KT_DOMAINS:
		mnl_attr_put_strz(nlh, k->attr, nfsmtp_text(v));
		break;
	default:
		mnl_attr_put_u8(nlh, k->attr, (uint8_t)v);
	}
}

static int policy_set(struct nfsmtp_nl *nl, const struct nfsmtp_set_req *req)
{
	struct nlmsghdr *nlh = nl_request(nl, NFSMTP_CMD_POLICY_SET, NLM_F_ACK);
	unsigned int i;

	if (req->profile >= 0)
		mnl_attr_put_u8(nlh, NFSMTP_A_PROFILE, (uint8_t)req->profile);
	for (i = 0; i < req->n; i++)
		put_value(nlh, req->s[i].key, req->s[i].value);
	return nl_talk(nl, nlh, NULL, NULL, "changing policy") ?
		NFSMTP_EXIT_RUNTIME : NFSMTP_EXIT_OK;
}

/* ---- policy files ------------------------------------------------------- */

/*
 * The requests of a file: one per profile it names, in profile order, the
 * namespace-wide keys with the first (a request is applied whole or not at
 * all by the kernel); only namespace-wide keys: one request without a
 * profile.
 */
struct file_req {
	int profile;		/* -1: none (namespace-wide keys only) */
	bool ns;		/* carries the namespace-wide keys */
};

static unsigned int file_requests(const struct nfsmtp_conf *c, struct file_req *r)
{
	bool ns = nfsmtp_conf_row_used(c, NFSMTP_CONF_NS);
	unsigned int n = 0;
	int p;

	for (p = 0; p < NFSMTP_PROFILES; p++) {
		if (!nfsmtp_conf_row_used(c, (unsigned int)p))
			continue;
		r[n].profile = p;
		r[n].ns = ns && n == 0;
		n++;
	}
	if (ns && n == 0) {
		r[0].profile = -1;
		r[0].ns = true;
		n = 1;
	}
	return n;
}

/* the values of the file for request R */
static struct nlmsghdr *file_request(struct nfsmtp_nl *nl, const struct nfsmtp_conf *c,
				     const struct file_req *r)
{
	struct nlmsghdr *nlh = nl_request(nl, NFSMTP_CMD_POLICY_SET, NLM_F_ACK);
	unsigned int i;

	if (r->profile >= 0)
		mnl_attr_put_u8(nlh, NFSMTP_A_PROFILE, (uint8_t)r->profile);
	for (i = 0; i < nfsmtp_n_keys; i++) {
		const struct nfsmtp_key *k = &nfsmtp_keys[i];
		const struct nfsmtp_conf_val *v;

		if (k->per_ns && !r->ns)
			continue;
		v = nfsmtp_conf_get(c, k->per_ns ? NFSMTP_CONF_NS : (unsigned int)r->profile, i);
		if (v->set)
			put_value(nlh, k, v->value);
	}
	return nlh;
}

/* what request R changed, back as SAVED had it (every key it has a value of) */
static struct nlmsghdr *restore_request(struct nfsmtp_nl *nl, const struct show_ctx *saved,
					const struct file_req *r)
{
	struct nlmsghdr *nlh = nl_request(nl, NFSMTP_CMD_POLICY_SET, NLM_F_ACK);
	const struct nfsmtp_profile_vals *pv = NULL;
	unsigned int i;

	for (i = 0; i < saved->n; i++)
		if (saved->p[i].profile == (r->profile < 0 ? 0 : r->profile))
			pv = &saved->p[i];
	if (r->profile >= 0)
		mnl_attr_put_u8(nlh, NFSMTP_A_PROFILE, (uint8_t)r->profile);
	for (i = 0; pv && i < nfsmtp_n_keys; i++) {
		const struct nfsmtp_key *k = &nfsmtp_keys[i];

		if (k->per_ns ? !r->ns : r->profile < 0)
			continue;
		if (pv->have[k->attr])
			put_value(nlh, k, pv->v[k->attr]);
	}
	return nlh;
}

/* the line to blame for the kernel refusing request R */
static unsigned int refused_line(const struct nfsmtp_nl *nl, const struct nfsmtp_conf *c,
				 const struct file_req *r)
{
	const struct nfsmtp_key *k = nl->ack.attr > 0 ? nfsmtp_key_by_attr(nl->ack.attr) : NULL;
	const struct nfsmtp_conf_val *v = NULL;

	if (k && (!k->per_ns || r->ns) && (k->per_ns || r->profile >= 0))
		v = nfsmtp_conf_get(c, k->per_ns ? NFSMTP_CONF_NS : (unsigned int)r->profile,
				    (unsigned int)(k - nfsmtp_keys));
	if (v && v->set)
		return v->line;
	return r->profile >= 0 ? c->first_line[r->profile] : c->first_line[NFSMTP_CONF_NS];
}

static int file_apply(struct nfsmtp_nl *nl, const struct nfsmtp_conf *c)
{
	struct file_req reqs[NFSMTP_CONF_ROWS];
	struct show_ctx *saved;
	char why[1024];
	unsigned int n, i, j, line;
	int ret = NFSMTP_EXIT_OK, rc;
	bool restored;

	n = file_requests(c, reqs);
	saved = calloc(1, sizeof(*saved));
	if (!saved) {
		fprintf(stderr, "nfsmtp: out of memory\n");
		return NFSMTP_EXIT_RUNTIME;
	}
	/* the policy before the first change, to go back to */
	if (policy_read(nl, -1, saved)) {
		free(saved);
		return NFSMTP_EXIT_RUNTIME;
	}
	for (i = 0; i < n; i++) {
		rc = nl_exchange(nl, file_request(nl, c, &reqs[i]), NULL, NULL, "changing policy");
		if (rc == 0) {
			if (nl->ack.msg[0])
				fprintf(stderr, "nfsmtp: %s: kernel warning: %s\n", c->name, nl->ack.msg);
			continue;
		}
		ret = NFSMTP_EXIT_RUNTIME;
		if (rc > 0)
			nl_error_text(nl, "changing policy", why, sizeof(why));
		else	/* said already: the socket failed */
			snprintf(why, sizeof(why), "not sent to the kernel");
		line = refused_line(nl, c, &reqs[i]);
		/* requests 0..i-1 went through: undo them, last first */
		restored = true;
		for (j = i; j > 0 && restored; j--)
			restored = !nl_exchange(nl, restore_request(nl, saved, &reqs[j - 1]), NULL, NULL,
						"restoring policy");
		if (i == 0)
			fprintf(stderr, "nfsmtp: %s:%u: %s; nothing was changed\n", c->name, line, why);
		else if (restored)
			fprintf(stderr, "nfsmtp: %s:%u: %s; nothing was changed (the policy before %s is back)\n",
				c->name, line, why, c->name);
		else
			fprintf(stderr, "nfsmtp: %s:%u: %s; restoring the policy before it failed too: check nfsmtp policy show\n",
				c->name, line, why);
		break;
	}
	free(saved);
	return ret;
}

int policy_file(const char *path, bool check_only)
{
	struct file_req reqs[NFSMTP_CONF_ROWS];
	struct nfsmtp_conf c;
	struct nfsmtp_nl nl;
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	FILE *in;
	int bad, ret;

	in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!in) {
		fprintf(stderr, "nfsmtp: %s: cannot open it: %s\n", path, strerror(errno));
		return NFSMTP_EXIT_RUNTIME;
	}
	if (nfsmtp_conf_init(&c, name)) {
		fprintf(stderr, "nfsmtp: out of memory\n");
		if (in != stdin)
			fclose(in);
		return NFSMTP_EXIT_RUNTIME;
	}
	bad = nfsmtp_conf_read(&c, in, stderr);
	if (in != stdin)
		fclose(in);
	if (bad != 0) {
		ret = bad < 0 ? NFSMTP_EXIT_RUNTIME : NFSMTP_EXIT_USAGE;
	} else if (check_only || file_requests(&c, reqs) == 0) {
		ret = NFSMTP_EXIT_OK;	/* checked; or nothing to apply: no module needed */
	} else if (nl_open(&nl)) {
		ret = NFSMTP_EXIT_RUNTIME;
	} else {
		ret = file_apply(&nl, &c);
		nl_close(&nl);
	}
	nfsmtp_conf_free(&c);
	return ret;
}

int cmd_policy(int argc, char **argv, const struct nfsmtp_opts *o)
{
	struct nfsmtp_set_req req;
	struct nfsmtp_nl nl;
	char err[1024];
	int profile, ret;
	bool set;

	if (argc == 0 || !strcmp(argv[0], "show") || !strcmp(argv[0], "list")) {
		if (nfsmtp_wants_help(argc, argv)) {
			usage_policy_show(stdout);
			return NFSMTP_EXIT_OK;
		}
		if (argc && nfsmtp_parse_profile_arg(argc - 1, argv + 1, &profile, err, sizeof(err)))
			return usage_error("policy show", "%s", err);
		if (!argc)
			profile = -1;
		set = false;
	} else if (!strcmp(argv[0], "set")) {
		if (nfsmtp_wants_help(argc, argv)) {
			usage_policy_set(stdout);
			return NFSMTP_EXIT_OK;
		}
		if (nfsmtp_parse_set(argc - 1, argv + 1, &req, err, sizeof(err)))
			return usage_error("policy set", "%s", err);
		set = true;
	} else if (nfsmtp_wants_help(argc, argv)) {
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
