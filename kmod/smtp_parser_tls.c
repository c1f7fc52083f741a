// SPDX-License-Identifier: GPL-2.0
/*
 * Streaming SMTP parser after STARTTLS: both directions carry TLS records
 * (RFC 5246 6.2, RFC 8446 5.1) until the connection ends.  Nothing inside
 * a record is read (it is encrypted); the framing is: a 5-byte header
 * (content type 20-24, version 3.x, length at most 2^14 + 2048), then that
 * many bytes.  The client's first record is its hello (a handshake record)
 * and the server sends nothing before it.  A byte that breaks the framing
 * (cleartext after a close_notify, plaintext injected into the stream) is
 * no TLS at all; the parser reports it once and then judges that direction
 * no more, nor one whose alignment it lost (a gap).
 */
#include "smtp_parser_int.h"

#define TLS_HDR_LEN	5
#define TLS_IN_BODY	TLS_HDR_LEN	/* pos: in a record's body */
#define TLS_LEN_MAX	(16384 + 2048)

/* smtp_tls_dir flags */
#define TF_STARTED	0x01	/* a whole record header was seen */
#define TF_UNJUDGED	0x02	/* alignment lost or framing broken: not judged any more */
#define TF_ALL		0x03

void sp_tls_start(struct smtp_parser *p)
{
	__builtin_memset(p->tls, 0, sizeof(p->tls));
	/*
	 * Nothing is read as lines in TLS: a pipelined line's leading blanks
	 * (or DATA's MIME bit) mean nothing there, and a client still to show
	 * a verb after a resync has none to show.
	 */
	p->c_lead = 0;
	p->flags &= ~F_PROBE;
	p->c_mode = CM_TLS;
	p->s_mode = SM_TLS;
	p->s_flags |= SF_TLS_QUIET;
}

void sp_tls_gap(struct smtp_parser *p)
{
	p->tls[SMTP_DIR_CLIENT].flags |= TF_UNJUDGED;
	p->tls[SMTP_DIR_SERVER].flags |= TF_UNJUDGED;
}

const char *sp_tls_check(const struct smtp_parser *p)
{
	unsigned int d;

	for (d = 0; d < 2; d++) {
		const struct smtp_tls_dir *t = &p->tls[d];

		if (t->pos > TLS_IN_BODY || (t->flags & ~TF_ALL))
			return "bad TLS record state";
		if (t->pos == TLS_IN_BODY ? !t->left || t->left > TLS_LEN_MAX :
		    t->pos < 3 && t->left)
			return "bad TLS record length";
	}
	return NULL;
}

static bool header_byte_ok(const struct smtp_tls_dir *t, u8 dir, u8 c)
{
	switch (t->pos) {
	case 0:
		if (dir == SMTP_DIR_CLIENT && !(t->flags & TF_STARTED))
			return c == 22;	/* the client's hello */
		return c >= 20 && c <= 24;
	case 1:
		return c == 3;
	case 2:
		return c <= 4;
	case 3:
		return c <= TLS_LEN_MAX >> 8;
	default:
		return (t->left | c) <= TLS_LEN_MAX;
	}
}

/* Bytes [i, n) of a chunk in TLS; returns the bytes consumed, as sp_parse_*(). */
size_t sp_parse_tls(struct run *r, u8 dir, const u8 *buf, size_t i, size_t n)
{
	struct smtp_parser *p = r->p;
	struct smtp_tls_dir *t = &p->tls[dir];
	int ret;

	if (dir == SMTP_DIR_CLIENT) {
		p->s_flags &= ~SF_TLS_QUIET;
	} else if (p->s_flags & SF_TLS_QUIET) {
		/* server bytes before the client's first record: injected */
		p->s_flags &= ~SF_TLS_QUIET;
		t->flags |= TF_UNJUDGED;
		ret = sp_anomaly(r, dir, SMTP_ANOM_TLS_RESPONSE_INJECTION, i, 1);
		return ret == SMTP_STOP ? i : n;
	}
	while (i < n && !(t->flags & TF_UNJUDGED)) {
		size_t k;

		if (t->pos == TLS_IN_BODY) {
			k = n - i < t->left ? n - i : t->left;
			t->left -= k;
			i += k;
			if (!t->left)
				t->pos = 0;
			continue;
		}
		if (!header_byte_ok(t, dir, buf[i])) {
			t->flags |= TF_UNJUDGED;
			ret = sp_anomaly(r, dir, SMTP_ANOM_TLS_FRAMING, i, 1);
			return ret == SMTP_STOP ? i : n;
		}
		if (t->pos == 3)
			t->left = buf[i] << 8;
		else if (t->pos == 4)
			t->left |= buf[i];
		i++;
		if (++t->pos == TLS_IN_BODY) {
			t->flags |= TF_STARTED;
			if (!t->left)
				t->pos = 0;
		}
	}
	return n;
}
