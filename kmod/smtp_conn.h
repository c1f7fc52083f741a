/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-connection state of the SMTP helper: it lives in the 32-byte private
 * area of struct nf_conn_help, so it is allocated with the conntrack entry
 * and needs no freeing.
 */
#ifndef _SMTP_CONN_H
#define _SMTP_CONN_H

#include "smtp_parser.h"

/* bits of smtp_parser.user, which the parser leaves to us */
#define SC_STARTED	0x01	/* first packet seen: parser initialised */
#define SC_DROPPED	0x02	/* action drop: every packet is dropped */
#define SC_RW_CLIENT	0x04	/* client bytes rewritten, not all acknowledged yet */
#define SC_RW_SERVER	0x08	/* server bytes rewritten, not all acknowledged yet */
#define SC_TR_CLIENT	0x10	/* client switched commands/message text, not all acked */
#define SC_PROFILE_SHIFT 5	/* 3 bits: the policy profile picked at assignment */
#define SC_PROFILE_MASK	0xe0

/*
 * next_seq 0 means "not known yet": a real 0 (one in 2^32) only costs a
 * resynchronisation.
 */
struct smtp_conn {
	struct smtp_parser p;
	u32 next_seq[2];	/* next stream byte the parser expects, per direction */
};

static_assert(sizeof(struct smtp_conn) <= 32,
	      "SMTP helper state must fit struct nf_conn_help's data[32]");

#endif /* _SMTP_CONN_H */
