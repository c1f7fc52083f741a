/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfsmtp: generic netlink plumbing on libmnl: the nf_smtp family lookup,
 * requests with extended acks, and the one-line error reports.
 */
#ifndef NFSMTP_NL_H
#define NFSMTP_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#define NL_RBUF_SIZE	32768	/* one recv: a dump skb is at most this */
#define NL_SBUF_SIZE	4096

struct nl_ack {
	int error;		/* 0, or a negative errno from the kernel */
	char msg[256];		/* NLMSGERR_ATTR_MSG, "" if none */
	int attr;		/* attribute the kernel pointed at, -1 if none */
	bool have_range;	/* policy of that attribute: */
	uint64_t min, max;
	bool have_mask;
	uint64_t mask;
};

struct nfsmtp_nl {
	struct mnl_socket *sk;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;	/* genetlink family id of nf_smtp */
	uint32_t version;
	uint32_t mcgrp_events;	/* multicast group id, 0 if none */
	struct nl_ack ack;
	char *rbuf;
	char sbuf[NL_SBUF_SIZE];
};

/* Open a socket and look the family up; prints the error and returns 1. */
int nl_open(struct nfsmtp_nl *nl);
void nl_close(struct nfsmtp_nl *nl);

/* A request of the nf_smtp family in nl->sbuf; flags beyond NLM_F_REQUEST */
struct nlmsghdr *nl_request(struct nfsmtp_nl *nl, uint8_t cmd, uint16_t flags);

/*
 * Send REQ, pass each reply message to CB (may be NULL), wait for the ack
 * or the end of a dump. WHAT says what the request does ("changing policy"),
 * for the error line. Returns 0, or 1 after printing the error.
 */
int nl_talk(struct nfsmtp_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data,
	    const char *what);

/*
 * nl_talk without the error line: 0, 1 when the kernel refused (nl->ack
 * says why: nl_error_text), or -1 after printing a local failure.
 */
int nl_exchange(struct nfsmtp_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data,
		const char *what);

/* Why the kernel refused (nl->ack), as nl_talk prints it after "nfsmtp: " */
void nl_error_text(const struct nfsmtp_nl *nl, const char *what, char *buf, size_t len);

#endif /* NFSMTP_NL_H */
