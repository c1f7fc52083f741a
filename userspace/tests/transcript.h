/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transcripts for the parser tests, fuzzer and benchmark: a session is a
 * list of steps (direction, bytes).  transcript_run() feeds it to the shared
 * parser cut into chunks by a chosen split rule and renders every event, with
 * spans turned into absolute stream offsets, so that runs with different
 * splits can be compared byte for byte.
 */
#ifndef TRANSCRIPT_H
#define TRANSCRIPT_H

#include <stddef.h>
#include "smtp_parser.h"

struct step {
	int dir;		/* SMTP_DIR_CLIENT or SMTP_DIR_SERVER */
	const char *data;
	size_t len;
};

#define C(s) { SMTP_DIR_CLIENT, (s), sizeof(s) - 1 }
#define S(s) { SMTP_DIR_SERVER, (s), sizeof(s) - 1 }
#define STEP_END { -1, NULL, 0 }

struct tbuf {			/* growing text buffer */
	char *s;
	size_t len, cap;
};

enum split_kind {
	SPLIT_WHOLE,		/* one chunk per step */
	SPLIT_AT,		/* the step holding global offset 'at' is cut there */
	SPLIT_BYTES,		/* one byte per chunk */
	SPLIT_SIZES,		/* chunk sizes from a list, cycled */
};

struct split {
	enum split_kind kind;
	size_t at;
	const size_t *sizes;
	size_t nsizes;
};

struct run_opts {
	unsigned int mask_verbs;	/* bit per enum smtp_verb: answer VERB with SMTP_MASKED */
	int pickup;			/* start with smtp_parser_init_pickup() */
	int spans;			/* render span contents too */
	u16 max_cmd, max_reply, max_text, max_header;
	u32 max_message, max_headers;
	u32 size_excess;		/* octets a DATA message may exceed its SIZE= by */
	int sizes;			/* render the sizes of headers-end, data-end, To: */
	const char *relay;		/* mail-relay domains (smtp_domains_build) */
	const char *filetypes;		/* mime-filetype extensions (smtp_filetypes_build) */
	int mask_foreign;		/* answer a foreign RCPT's COMMAND with SMTP_MASKED */
};

/* Feed steps; append the rendered events to out. Returns the number of events. */
size_t transcript_run(const struct step *steps, const struct split *sp,
		      const struct run_opts *o, struct tbuf *out,
		      struct smtp_parser *final_state);
size_t transcript_total(const struct step *steps);

void tbuf_printf(struct tbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tbuf_free(struct tbuf *b);

/*
 * Does every space-separated token of want prefix a line of got, in order?
 * "!x": no line starting with x after this point.  A '~' in a token stands
 * for a space, so that a token can check a span: ehlo-keyword:SIZE~@74+4.
 */
int expect_in_order(const char *got, const char *want, char *why, size_t whylen);

/* Check the structural invariants of a parser state; returns NULL or a reason. */
const char *parser_invariants(const struct smtp_parser *p);

#endif
