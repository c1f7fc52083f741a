/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-connection state of the SMTP helper: it lives in the 32-byte private
 * area of struct nf_conn_help, so it is allocated with the conntrack entry
 * and needs no freeing.
 */
#ifndef _SMTP_CONN_H
#define _SMTP_CONN_H

#include <linux/nf_conntrack_smtp.h>
#include "smtp_parser.h"

/* bits of smtp_parser.user, which the parser leaves to us */
#define SC_STARTED	0x0001	/* first packet seen: parser initialised */
#define SC_DEAD		0x0002	/* reset or dropped: every packet but a RST is dropped */
#define SC_RW_CLIENT	0x0004	/* client bytes rewritten, not all acknowledged yet */
#define SC_RW_SERVER	0x0008	/* server bytes rewritten, not all acknowledged yet */
#define SC_TR_CLIENT	0x0010	/* client switched commands/message text, not all acked */
#define SC_PROFILE_SHIFT 5	/* 3 bits: the policy profile picked at assignment */
#define SC_PROFILE_MASK	0x00e0
#define SC_SEQ_CLIENT	0x0100	/* next_seq[client] is known */
#define SC_SEQ_SERVER	0x0200	/* next_seq[server] is known */
#define SC_EV_SHIFT	10	/* 4 bits: events announced in this message */
#define SC_EV_MASK	0x3c00
#define SC_ENDED	0x4000	/* a FIN or RST was seen: the session's ending is counted */
#define SC_EOD_TAIL	0x8000	/* end of data right before the current line, not acked */
#define SC_ALL		0xffff

struct smtp_conn {
	struct smtp_parser p;
	u32 next_seq[2];	/* next stream byte the parser expects, per direction */
};

static_assert(sizeof(struct smtp_conn) <= 32,
	      "SMTP helper state must fit struct nf_conn_help's data[32]");

static inline u16 smtp_seq_known_bit(int dir)
{
	return dir ? SC_SEQ_SERVER : SC_SEQ_CLIENT;
}

static inline unsigned int smtp_conn_profile(const struct smtp_conn *sc)
{
	return (sc->p.user & SC_PROFILE_MASK) >> SC_PROFILE_SHIFT;
}

/* The helper-info flags (NFSMTP_HIF_*) that describe sc. */
static inline u32 smtp_conn_flags(const struct smtp_conn *sc)
{
	u32 flags = NFSMTP_HIF_STARTED;

	if (!(sc->p.user & SC_STARTED))
		return 0;
	if (smtp_parser_tls(&sc->p))
		flags |= NFSMTP_HIF_TLS;
	if (sc->p.user & SC_DEAD)
		flags |= NFSMTP_HIF_DROPPED;
	if (smtp_parser_starttls_offered(&sc->p))
		flags |= NFSMTP_HIF_OFFERED;
	return flags;
}

/*
 * Is sc, imported with these flags and this profile, a state the helper can
 * be in?  NULL if so, else why not.  A dead connection's parser state is
 * reset (every packet is dropped before the parser).  The module checks
 * helper info with it (smtp_sync.c); the failover test predicts with it.
 */
static inline const char *smtp_conn_check(struct smtp_conn *sc, u32 flags, u32 profile)
{
	u16 zero[sizeof(*sc) / 2] = { 0 };

	if (flags & ~NFSMTP_HIF_ALL)
		return "unknown flags";
	if (profile >= NFSMTP_PROFILES)
		return "profile out of range";
	if (!(flags & NFSMTP_HIF_STARTED)) {
		/* no packet seen yet: nothing but zeros */
		if (flags || profile || __builtin_memcmp(sc, zero, sizeof(*sc)))
			return "state of a connection not started";
		return NULL;
	}
	if (sc->p.user & ~SC_ALL)
		return "unknown helper bits";
	if (smtp_conn_flags(sc) != flags || smtp_conn_profile(sc) != profile)
		return "flags or profile disagree with the parser state";
	if (flags & NFSMTP_HIF_DROPPED) {
		smtp_parser_init_pickup(&sc->p);	/* keeps the user bits */
		return NULL;
	}
	return smtp_parser_check(&sc->p);
}

#endif /* _SMTP_CONN_H */
