// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "transcript.h"
#include "smtp_conn.h"	/* its static_assert: the state fits 32 bytes here too */

void tbuf_printf(struct tbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			abort();
		if (b->s && (size_t)n < room) {
			b->len += n;
			return;
		}
		b->cap = (b->cap + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
}

void tbuf_free(struct tbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

struct stream {			/* one direction, concatenated, for span rendering */
	const struct step *steps;
	int dir;
};

struct ctx {
	struct tbuf *out;
	const struct run_opts *o;
	const struct step *steps;
	size_t base[2];		/* absolute offset of the current chunk per direction */
	int dir;
	size_t events;
};

/* byte at absolute offset off of direction dir, or -1 */
static int stream_byte(const struct step *steps, int dir, size_t off)
{
	for (; steps->data; steps++) {
		if (steps->dir != dir)
			continue;
		if (off < steps->len)
			return (unsigned char)steps->data[off];
		off -= steps->len;
	}
	return -1;
}

static void render_span(struct ctx *c, int dir, long long start, long long len)
{
	long long k;

	tbuf_printf(c->out, " @%lld+%lld", start, len);
	if (!c->o->spans || len < 0 || start < 0)
		return;
	tbuf_printf(c->out, " \"");
	for (k = 0; k < len && k < 64; k++) {
		int b = stream_byte(c->steps, dir, start + k);

		if (b >= 32 && b < 127 && b != '"' && b != '\\')
			tbuf_printf(c->out, "%c", b);
		else
			tbuf_printf(c->out, "\\x%02x", b & 0xff);
	}
	tbuf_printf(c->out, len > 64 ? "...\"" : "\"");
}

static int sink(void *vctx, const struct smtp_event *ev)
{
	struct ctx *c = vctx;
	long long base = c->base[c->dir];
	int ret = SMTP_CONTINUE;

	c->events++;
	tbuf_printf(c->out, "%s", smtp_event_name(ev->type));
	switch (ev->type) {
	case SMTP_EV_VERB:
	case SMTP_EV_COMMAND:
		tbuf_printf(c->out, ":%s", smtp_verb_name(ev->verb));
		if (ev->type == SMTP_EV_VERB && ev->verb < 32 &&
		    (c->o->mask_verbs & (1u << ev->verb)))
			ret = SMTP_MASKED;
		if (ev->type == SMTP_EV_COMMAND && c->o->mask_foreign &&
		    (ev->flags & SMTP_EVF_FOREIGN))
			ret = SMTP_MASKED;
		break;
	case SMTP_EV_REPLY:
		tbuf_printf(c->out, ":%u:%s%s%s", ev->code, smtp_verb_name(ev->verb),
			    ev->flags & SMTP_EVF_FIRST ? ":first" : "",
			    ev->flags & SMTP_EVF_LAST ? ":last" : "");
		if (ev->value)
			tbuf_printf(c->out, " refused=%u", ev->value);
		break;
	case SMTP_EV_EHLO_KEYWORD:
		tbuf_printf(c->out, ":%s", smtp_kw_name(ev->sub));
		break;
	case SMTP_EV_HEADER:
		tbuf_printf(c->out, ":%s%s%s", smtp_hdr_name(ev->sub),
			    ev->flags & SMTP_EVF_DUP ? ":dup" : "",
			    ev->flags & SMTP_EVF_PARTIAL ? ":partial" : "");
		break;
	case SMTP_EV_BDAT_START:
		tbuf_printf(c->out, ":%u%s", ev->value,
			    ev->flags & SMTP_EVF_LAST ? ":last" : "");
		break;
	case SMTP_EV_BDAT_END:
		tbuf_printf(c->out, "%s", ev->flags & SMTP_EVF_LAST ? ":last" : "");
		break;
	case SMTP_EV_RESYNC:
		tbuf_printf(c->out, ":%s", ev->dir == SMTP_DIR_CLIENT ? "client" : "server");
		break;
	case SMTP_EV_ANOMALY:
		tbuf_printf(c->out, ":%s", smtp_anomaly_name(ev->sub));
		break;
	case SMTP_EV_MIME_ENCODING:
		tbuf_printf(c->out, ":%s", smtp_mime_enc_name(ev->sub));
		break;
	case SMTP_EV_MIME_FILENAME:
		tbuf_printf(c->out, ":%u%s", ev->value,
			    ev->flags & SMTP_EVF_BANNED ? ":banned" : "");
		break;
	}
	if (ev->type == SMTP_EV_COMMAND && ev->verb == SMTP_VERB_RCPT)
		tbuf_printf(c->out, " n=%u", ev->value);
	if (ev->type == SMTP_EV_COMMAND && (ev->flags & SMTP_EVF_REQUIRETLS))
		tbuf_printf(c->out, " requiretls");
	if (c->o->sizes && (ev->type == SMTP_EV_HEADERS_END || ev->type == SMTP_EV_DATA_END ||
			    (ev->type == SMTP_EV_HEADER && ev->sub == SMTP_HDR_TO)))
		tbuf_printf(c->out, " n=%u", ev->value);
	if (ev->type == SMTP_EV_COMMAND && ev->verb == SMTP_VERB_MAIL)
		tbuf_printf(c->out, " path=%u", ev->path_len);
	if (ev->type == SMTP_EV_COMMAND && (ev->flags & SMTP_EVF_SPECIAL))
		tbuf_printf(c->out, " special");
	if (ev->type == SMTP_EV_COMMAND && (ev->flags & SMTP_EVF_FOREIGN))
		tbuf_printf(c->out, " foreign");
	if (!(ev->flags & SMTP_EVF_NOSPAN) && ev->type != SMTP_EV_RESYNC &&
	    ev->type != SMTP_EV_BDAT_END && ev->type != SMTP_EV_DATA_START &&
	    ev->type != SMTP_EV_TLS_START && !(ev->type == SMTP_EV_COMMAND &&
	    ev->verb == SMTP_VERB_BDAT)) {
		/* spans belong to the direction whose bytes they cover */
		int sdir = ev->dir;
		long long b = sdir == c->dir ? base : (long long)c->base[sdir];

		render_span(c, sdir, b + ev->start, ev->len);
		if (ev->type == SMTP_EV_COMMAND && ev->arg_len >= 0)
			render_span(c, sdir, b + ev->arg_start, ev->arg_len);
	}
	/* after the span: the expectations written before it still match */
	if (ev->type == SMTP_EV_BDAT_START && (ev->flags & SMTP_EVF_FIRST))
		tbuf_printf(c->out, " first");
	if (ev->type == SMTP_EV_BDAT_START && (ev->flags & SMTP_EVF_SIZED))
		tbuf_printf(c->out, " sized");
	tbuf_printf(c->out, "\n");
	return ret;
}

size_t transcript_total(const struct step *steps)
{
	size_t t = 0;

	for (; steps->data; steps++)
		t += steps->len;
	return t;
}

static void feed(struct smtp_parser *p, struct ctx *c, int dir,
		 const char *data, size_t len, const struct smtp_sink *s)
{
	size_t done = 0;

	c->dir = dir;
	while (done < len) {
		size_t n = smtp_parse(p, dir, (const u8 *)data + done, len - done, s);

		if (n == 0 || n > len - done)
			abort();
		c->base[dir] += n;
		done += n;
	}
}

size_t transcript_run(const struct step *steps, const struct split *sp,
		      const struct run_opts *o, struct tbuf *out,
		      struct smtp_parser *final_state)
{
	struct smtp_parser p = { 0 };
	struct ctx c = { .out = out, .o = o, .steps = steps };
	struct smtp_sink s = {
		.fn = sink, .ctx = &c, .max_cmd = o->max_cmd,
		.max_reply = o->max_reply, .max_text = o->max_text,
		.max_header = o->max_header, .max_message = o->max_message,
		.max_headers = o->max_headers, .size_excess = o->size_excess,
	};
	size_t gpos = 0, sizeidx = 0;
	struct smtp_domains relay, filetypes;
	const char *inv, *err;
	size_t bad;

	/* a test's lists are valid */
	if (o->relay) {
		if (smtp_domains_build(&relay, o->relay, strlen(o->relay), &err, &bad))
			abort();
		s.relay = &relay;
	}
	if (o->filetypes) {
		if (smtp_filetypes_build(&filetypes, o->filetypes, strlen(o->filetypes), &err, &bad))
			abort();
		s.filetypes = &filetypes;
	}

	if (o->pickup)
		smtp_parser_init_pickup(&p);
	else
		smtp_parser_init(&p);
	for (; steps->data; steps++) {
		const char *d = steps->data;
		size_t len = steps->len, off = 0;

		while (off < len) {
			size_t n = len - off;

			switch (sp->kind) {
			case SPLIT_WHOLE:
				break;
			case SPLIT_AT:
				if (gpos + off < sp->at && gpos + len > sp->at)
					n = sp->at - (gpos + off);
				break;
			case SPLIT_BYTES:
				n = 1;
				break;
			case SPLIT_SIZES:
				n = sp->sizes[sizeidx++ % sp->nsizes];
				if (n == 0)
					n = 1;
				if (n > len - off)
					n = len - off;
				break;
			}
			feed(&p, &c, steps->dir, d + off, n, &s);
			off += n;
			/* every state the parser leaves, not only the last, must pass */
			inv = smtp_parser_check(&p);
			if (inv) {
				fprintf(stderr, "parser state check failed after a chunk ending at "
					"offset %zu of a step (dir %d): %s\n", off, steps->dir, inv);
				abort();
			}
		}
		gpos += len;
	}
	if (final_state)
		*final_state = p;
	return c.events;
}

int expect_in_order(const char *got, const char *want, char *why, size_t whylen)
{
	const char *g = got, *w = want;
	char tok[256];

	while (*w) {
		size_t tl;
		const char *hit;

		while (*w == ' ')
			w++;
		if (!*w)
			break;
		tl = strcspn(w, " ");
		if (tl >= sizeof(tok))
			tl = sizeof(tok) - 1;
		memcpy(tok, w, tl);
		tok[tl] = '\0';
		w += tl;
		/* '~' stands for a space: tokens may then reach into the spans */
		for (size_t k = 0; k < tl; k++)
			if (tok[k] == '~')
				tok[k] = ' ';
		if (tok[0] == '!') {
			/* "!x": no line starting with x anywhere after this point */
			const char *q = g;

			while ((q = strstr(q, tok + 1))) {
				if (q == got || q[-1] == '\n') {
					snprintf(why, whylen, "unexpected '%s'", tok + 1);
					return 0;
				}
				q++;
			}
			continue;
		}
		/* find a line that starts with tok at or after g */
		for (hit = strstr(g, tok); hit; hit = strstr(hit + 1, tok))
			if (hit == got || hit[-1] == '\n')
				break;
		if (!hit) {
			snprintf(why, whylen, "missing '%s'", tok);
			return 0;
		}
		g = strchr(hit, '\n');
		g = g ? g + 1 : hit + strlen(hit);
	}
	return 1;
}

/* The parser's own state check (kmod/smtp_parser.c), the one the helper applies to imported states. */
const char *parser_invariants(const struct smtp_parser *p)
{
	return smtp_parser_check(p);
}
