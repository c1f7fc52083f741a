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
#define SC_SEQ_ORIG	0x02	/* next_seq[IP_CT_DIR_ORIGINAL] is valid */
#define SC_SEQ_REPLY	0x04	/* next_seq[IP_CT_DIR_REPLY] is valid */
#define SC_PROFILE_SHIFT 5	/* 3 bits: the policy profile picked at assignment */

struct smtp_conn {
	struct smtp_parser p;
	u32 next_seq[2];	/* next stream byte the parser expects, per direction */
};

static_assert(sizeof(struct smtp_conn) <= 32,
	      "SMTP helper state must fit struct nf_conn_help's data[32]");

#endif /* _SMTP_CONN_H */
