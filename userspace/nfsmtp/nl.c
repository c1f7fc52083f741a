// SPDX-License-Identifier: GPL-2.0
/*
 * nfsmtp: generic netlink plumbing (libmnl).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/netlink.h>

#include "keys.h"
#include "nl.h"

static const char family_missing[] =
	"nfsmtp: the nf_smtp netlink family is not there: load the module (modprobe nf_conntrack_smtp)\n";

struct nlmsghdr *nl_request(struct nfsmtp_nl *nl, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->sbuf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = NFSMTP_GENL_VERSION;
	return nlh;
}

/* ---- acks --------------------------------------------------------------- */

static int policy_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_ack *ack = data;

	if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
		return MNL_CB_OK;
	switch (mnl_attr_get_type(attr)) {
	case NL_POLICY_TYPE_ATTR_MIN_VALUE_U:
		ack->min = mnl_attr_get_u64(attr);
		ack->have_range = true;
		break;
	case NL_POLICY_TYPE_ATTR_MAX_VALUE_U:
		ack->max = mnl_attr_get_u64(attr);
		ack->have_range = true;
		break;
	case NL_POLICY_TYPE_ATTR_MASK:
		ack->mask = mnl_attr_get_u64(attr);
		ack->have_mask = true;
		break;
	}
	return MNL_CB_OK;
}

struct ack_ctx {
	struct nfsmtp_nl *nl;
	uint32_t offs;
	bool have_offs;
};

static int ext_ack_cb(const struct nlattr *attr, void *data)
{
	struct ack_ctx *ctx = data;
	struct nl_ack *ack = &ctx->nl->ack;

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(ack->msg, sizeof(ack->msg), "%s", mnl_attr_get_str(attr));
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
			ctx->offs = mnl_attr_get_u32(attr);
			ctx->have_offs = true;
		}
		break;
	case NLMSGERR_ATTR_POLICY:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
			mnl_attr_parse_nested(attr, policy_attr_cb, ack);
		break;
	}
	return MNL_CB_OK;
}

/* The attribute of our request at offset OFFS (from the nlmsghdr). */
static int attr_at(const struct nfsmtp_nl *nl, uint32_t offs)
{
	const struct nlmsghdr *req = (const struct nlmsghdr *)nl->sbuf;
	const struct nlattr *a;

	if (offs < mnl_nlmsg_size(sizeof(struct genlmsghdr)) ||
	    offs + sizeof(*a) > req->nlmsg_len)
		return -1;
	a = (const struct nlattr *)(nl->sbuf + offs);
	return mnl_attr_get_type(a);
}

static void parse_tlvs(struct nfsmtp_nl *nl, const struct nlmsghdr *nlh, unsigned int off)
{
	struct ack_ctx ctx = { .nl = nl };

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    mnl_nlmsg_get_payload_len(nlh) < off)
		return;
	mnl_attr_parse(nlh, off, ext_ack_cb, &ctx);
	if (ctx.have_offs)
		nl->ack.attr = attr_at(nl, ctx.offs);
}

/* What mnl_cb_run2() passes to every callback of one exchange. */
struct talk {
	struct nfsmtp_nl *nl;
	mnl_cb_t cb;
	void *data;
};

static int data_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct talk *t = arg;

	if (!t->cb)
		return MNL_CB_OK;
	return t->cb(nlh, t->data);
}

static int error_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nfsmtp_nl *nl = ((struct talk *)arg)->nl;
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	unsigned int off = sizeof(*err);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		nl->ack.error = -EBADMSG;
		return MNL_CB_STOP;
	}
	nl->ack.error = err->error;
	/* without NLM_F_CAPPED the request's payload is echoed before the TLVs */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	parse_tlvs(nl, nlh, off);
	return MNL_CB_STOP;
}

static int done_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nfsmtp_nl *nl = ((struct talk *)arg)->nl;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		int err = *(const int *)mnl_nlmsg_get_payload(nlh);

		nl->ack.error = err < 0 ? err : 0;
		parse_tlvs(nl, nlh, sizeof(int));
	}
	return MNL_CB_STOP;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

void nl_error_text(const struct nfsmtp_nl *nl, const char *what, char *buf, size_t len)
{
	const struct nl_ack *ack = &nl->ack;
	const char *name = ack->attr >= 0 ? nfsmtp_attr_name(ack->attr) : NULL;
	int err = -ack->error;

	if (ack->msg[0]) {
		if (name && ack->have_range)
			snprintf(buf, len, "kernel: %s (%s: %llu to %llu)", ack->msg, name,
				 (unsigned long long)ack->min, (unsigned long long)ack->max);
		else if (name && ack->have_mask)
			snprintf(buf, len, "kernel: %s (%s: valid bits 0x%llx)", ack->msg, name,
				 (unsigned long long)ack->mask);
		else if (name)
			snprintf(buf, len, "kernel: %s (%s)", ack->msg, name);
		else
			snprintf(buf, len, "kernel: %s", ack->msg);
		return;
	}
	switch (err) {
	case EPERM:
	case EACCES:
		snprintf(buf, len, "permission denied: %s needs CAP_NET_ADMIN in this network namespace",
			 what);
		break;
	case EOPNOTSUPP:
		snprintf(buf, len, "%s: the loaded nf_conntrack_smtp does not know this command: update the module",
			 what);
		break;
	default:
		snprintf(buf, len, "%s failed: %s", what, strerror(err));
	}
}

static void print_error(const struct nfsmtp_nl *nl, const char *what)
{
	char buf[1024];

	nl_error_text(nl, what, buf, sizeof(buf));
	fprintf(stderr, "nfsmtp: %s\n", buf);
}

/*
 * Send REQ and read until its ack or the end of its dump, passing replies
 * to CB. Returns 0, 1 when the kernel refused (nl->ack says why), or -1
 * after printing a local failure.
 */
int nl_exchange(struct nfsmtp_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data,
		const char *what)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = noop_cb,
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
	};
	struct talk t = { .nl = nl, .cb = cb, .data = data };
	int ret;

	memset(&nl->ack, 0, sizeof(nl->ack));
	nl->ack.attr = -1;
	nl->ack.error = 1;	/* no ack yet */
	if (mnl_socket_sendto(nl->sk, req, req->nlmsg_len) < 0) {
		fprintf(stderr, "nfsmtp: %s failed: sending to the kernel: %s\n", what, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sk, nl->rbuf, NL_RBUF_SIZE);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "nfsmtp: %s failed: receiving from the kernel: %s\n",
				what, strerror(errno));
			return -1;
		}
		errno = 0;
		ret = mnl_cb_run2(nl->rbuf, n, req->nlmsg_seq, nl->portid,
				  data_cb, &t, ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR) {
			fprintf(stderr, "nfsmtp: %s failed: %s\n", what,
				errno ? strerror(errno) : "bad reply from the kernel");
			return -1;
		}
		if (ret == MNL_CB_STOP && nl->ack.error != 1)
			break;
	}
	return nl->ack.error ? 1 : 0;
}

int nl_talk(struct nfsmtp_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data,
	    const char *what)
{
	int ret = nl_exchange(nl, req, cb, data, what);

	if (ret < 0)
		return 1;
	if (ret > 0) {
		print_error(nl, what);
		return 1;
	}
	if (nl->ack.msg[0])
		fprintf(stderr, "nfsmtp: kernel warning: %s\n", nl->ack.msg);
	return 0;
}

/* ---- the family --------------------------------------------------------- */

static int mcgrp_cb(const struct nlattr *attr, void *data)
{
	struct nfsmtp_nl *nl = data;
	const struct nlattr *a;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, attr) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			name = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
			 mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			id = mnl_attr_get_u32(a);
	}
	if (name && !strcmp(name, NFSMTP_MCGRP_EVENTS))
		nl->mcgrp_events = id;
	return MNL_CB_OK;
}

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	struct nfsmtp_nl *nl = data;

	switch (mnl_attr_get_type(attr)) {
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) >= 0)
			nl->family = mnl_attr_get_u16(attr);
		break;
	case CTRL_ATTR_VERSION:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			nl->version = mnl_attr_get_u32(attr);
		break;
	case CTRL_ATTR_MCAST_GROUPS:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
			mnl_attr_parse_nested(attr, mcgrp_cb, nl);
		break;
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type != GENL_ID_CTRL)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, data);
	return MNL_CB_OK;
}

int nl_open(struct nfsmtp_nl *nl)
{
	struct nlmsghdr *nlh;
	int one = 1, ret;

	memset(nl, 0, sizeof(*nl));
	nl->rbuf = malloc(NL_RBUF_SIZE);
	if (!nl->rbuf) {
		fprintf(stderr, "nfsmtp: out of memory\n");
		return 1;
	}
	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sk) {
		fprintf(stderr, "nfsmtp: cannot open a generic netlink socket: %s\n", strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "nfsmtp: cannot bind the netlink socket: %s\n", strerror(errno));
		goto fail;
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (uint32_t)time(NULL);
	/* error texts from the kernel; acks without our request echoed back */
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));

	nl->family = GENL_ID_CTRL;
	nlh = nl_request(nl, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NFSMTP_GENL_NAME);
	nl->family = 0;
	ret = nl_exchange(nl, nlh, family_cb, nl, "looking up the nf_smtp family");
	if (ret < 0)
		goto fail;
	if ((ret > 0 && nl->ack.error == -ENOENT) || (ret == 0 && !nl->family)) {
		fputs(family_missing, stderr);
		goto fail;
	}
	if (ret > 0) {
		print_error(nl, "looking up the nf_smtp family");
		goto fail;
	}
	return 0;
fail:
	nl_close(nl);
	return 1;
}

void nl_close(struct nfsmtp_nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	nl->sk = NULL;
	free(nl->rbuf);
	nl->rbuf = NULL;
}
