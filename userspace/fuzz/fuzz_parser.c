// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the shared SMTP parser (kmod/smtp_parser.c).
 *
 * Every input is a two-direction transcript plus run options.  It is fed to
 * the parser several ways, and the rendered event streams (absolute spans,
 * see tests/transcript.c) must be identical:
 *
 *   1. whole:   one chunk per segment;
 *   2. sizes:   chunk sizes taken from the input (cycled);
 *   3. split:   every segment whole but the one holding an input-derived
 *               global offset, which is cut in two there;
 *   4. bytes:   one byte per chunk (inputs under BYTEWISE_MAX bytes only);
 *
 * and the final parser states must be identical too (the state is a function
 * of the bytes seen, not of how they were cut).  parser_invariants() must
 * hold after each run.  Without masked verbs, a run with a sink that has no
 * callback must end in the same state as well.  Any difference is abort()ed
 * so that libFuzzer reports it.
 *
 * Every chunk is copied to its own place in an arena whose gaps are poisoned
 * for ASan, so a read one byte past (or before) the chunk handed to
 * smtp_parse() is reported even though the fuzz input goes on there.
 *
 * Input format (all multi-byte numbers little-endian):
 *
 *   byte 0      flags: bit 0    start with smtp_parser_init_pickup()
 *                      bit 1    a mail-relay set (FUZZ_RELAY) in the sink
 *                      bit 2    the sink answers SMTP_MASKED to a foreign
 *                               RCPT's COMMAND event
 *                      bit 3    a mime-filetype set (FUZZ_FILETYPES)
 *                      bits 4-7 K, the number of chunk sizes that follow the
 *                               options (0: sizes derived from a hash of the
 *                               input)
 *   bytes 1-2   masked verbs: bit v set = the sink answers SMTP_MASKED to the
 *               VERB event of enum smtp_verb v
 *   bytes 3-6   line limits max_cmd, max_reply, max_text, max_header, one
 *               byte each: 0 = RFC default, 1..127 = that many octets,
 *               128..223 = (b - 127) * 64 octets (64 .. 6144),
 *               224..239 = 1016 + (b - 224) (around the reply counter's
 *               maximum), 240..255 = 8184 + (b - 240) (around the line
 *               counter's maximum); the header section and message
 *               size limits are twice max_header and four times max_text
 *   K bytes     chunk sizes for run 2 (0 counts as 256)
 *   segments    until the input ends, each:
 *                 header byte h: bit 7 = direction (0 client, 1 server),
 *                                L = h & 0x7f is the length class:
 *                   L < 0x7e   the length is L (0 .. 125)
 *                   L == 0x7e  the length is the next byte + 126
 *                   L == 0x7f  the length is the next two bytes (u16)
 *                 then that many data bytes (fewer if the input ends)
 *
 * A missing option byte counts as 0.  Inputs over MAX_INPUT bytes are
 * ignored, which bounds the work per input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "transcript.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define HAVE_ASAN 1
#endif
#endif
#ifndef HAVE_ASAN
#define ASAN_POISON_MEMORY_REGION(a, s)		((void)(a), (void)(s))
#define ASAN_UNPOISON_MEMORY_REGION(a, s)	((void)(a), (void)(s))
#endif

#define MAX_INPUT	65536
#define BYTEWISE_MAX	2048
#define MAX_SEGMENTS	MAX_INPUT	/* a segment takes at least its header byte */
#define OPT_BYTES	7
#define REDZONE		16

struct input {
	struct run_opts opts;
	size_t sizes[16];
	size_t nsizes;
	struct step *segs;		/* points into the fuzz input */
	size_t nsegs;
	size_t total;
	uint32_t hash;
};

static u16 limit_of(u8 b)
{
	if (b < 128)
		return b;
	if (b < 224)
		return (u16)((b - 127) * 64);
	if (b < 240)
		return (u16)(1016 + (b - 224));
	return (u16)(8184 + (b - 240));
}

static uint32_t fnv1a(const uint8_t *d, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *d++) * 16777619u;
	return h;
}

/* names that begin one another, a literal, one octet: the matcher's edges */
/* a name past 127 octets: the domain matcher's position fills its low byte */
#define FUZZ_LONG_NAME "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaa.example"
#define FUZZ_RELAY "example.net,a.example,b.example,sub.example.net,example.ne,[192.0.2.1],e," \
	FUZZ_LONG_NAME
#define FUZZ_FILETYPES "exe,ex,e,scr,js,jse,vbs,com,tar,7z,a"

static void decode(const uint8_t *d, size_t n, struct input *in)
{
	uint8_t opt[OPT_BYTES] = { 0 };
	size_t pos, k;

	memcpy(opt, d, n < OPT_BYTES ? n : OPT_BYTES);
	pos = n < OPT_BYTES ? n : OPT_BYTES;
	memset(&in->opts, 0, sizeof(in->opts));
	in->opts.pickup = opt[0] & 1;
	in->opts.relay = (opt[0] & 2) ? FUZZ_RELAY : NULL;
	in->opts.mask_foreign = (opt[0] >> 2) & 1;
	in->opts.filetypes = (opt[0] & 8) ? FUZZ_FILETYPES : NULL;
	in->opts.mask_verbs = opt[1] | (unsigned int)opt[2] << 8;
	in->opts.max_cmd = limit_of(opt[3]);
	in->opts.max_reply = limit_of(opt[4]);
	in->opts.max_text = limit_of(opt[5]);
	in->opts.max_header = limit_of(opt[6]);
	/* the size limits follow the line limits: small ones are crossed often */
	in->opts.max_headers = in->opts.max_header * 2;
	in->opts.max_message = in->opts.max_text * 4;
	/* an excess over SIZE= the size of a line: crossed in small messages */
	in->opts.size_excess = in->opts.max_text;
	in->hash = fnv1a(d, n);

	in->nsizes = 0;
	for (k = 0; k < (size_t)(opt[0] >> 4) && pos < n; k++)
		in->sizes[in->nsizes++] = d[pos++] ? d[pos - 1] : 256;
	if (!in->nsizes) {
		uint32_t h = in->hash;

		for (k = 0; k < 4; k++, h = h * 2654435761u + 1)
			in->sizes[in->nsizes++] = 1 + (h >> 27);	/* 1..32 */
	}

	in->nsegs = 0;
	in->total = 0;
	while (pos < n) {
		uint8_t h = d[pos++];
		size_t l = h & 0x7f;

		if (l == 0x7e) {
			l = pos < n ? d[pos++] + 126u : 0;
		} else if (l == 0x7f) {
			l = pos < n ? d[pos++] : 0;
			l |= pos < n ? (size_t)d[pos++] << 8 : 0;
		}
		if (l > n - pos)
			l = n - pos;
		if (!l)
			continue;
		in->segs[in->nsegs].dir = h & 0x80 ? SMTP_DIR_SERVER : SMTP_DIR_CLIENT;
		in->segs[in->nsegs].data = (const char *)d + pos;
		in->segs[in->nsegs].len = l;
		in->nsegs++;
		in->total += l;
		pos += l;
	}
	in->segs[in->nsegs] = (struct step)STEP_END;
}

/*
 * Cut the segments into steps of one chunk each, every chunk copied to an
 * arena with poisoned gaps, and run them whole: the parser sees exactly the
 * chunks of split sp.
 */
static struct step *chunk_steps;
static uint8_t *arena;
static size_t arena_cap;

static size_t chunk_len(const struct split *sp, size_t *sizeidx, size_t gpos,
			size_t off, size_t len)
{
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
		n = sp->sizes[(*sizeidx)++ % sp->nsizes];
		if (n == 0)
			n = 1;
		if (n > len - off)
			n = len - off;
		break;
	}
	return n;
}

static void run(const struct input *in, const struct split *sp,
		struct tbuf *out, struct smtp_parser *st)
{
	size_t nsteps = 0, apos = REDZONE, gpos = 0, sizeidx = 0, s;
	const char *why;

	ASAN_UNPOISON_MEMORY_REGION(arena, arena_cap);
	for (s = 0; s < in->nsegs; s++) {
		const struct step *g = &in->segs[s];
		size_t off = 0;

		while (off < g->len) {
			size_t n = chunk_len(sp, &sizeidx, gpos, off, g->len);

			if (apos + n + REDZONE + 8 > arena_cap)
				abort();	/* sized for the worst case */
			memcpy(arena + apos, g->data + off, n);
			chunk_steps[nsteps].dir = g->dir;
			chunk_steps[nsteps].data = (const char *)arena + apos;
			chunk_steps[nsteps].len = n;
			nsteps++;
			/* next chunk: 8-aligned, a red zone of at least REDZONE */
			apos = (apos + n + REDZONE + 7) & ~(size_t)7;
			off += n;
		}
		gpos += g->len;
	}
	chunk_steps[nsteps] = (struct step)STEP_END;
	/* poison everything between chunks */
	{
		size_t prev = 0, k;

		for (k = 0; k < nsteps; k++) {
			size_t a = (const uint8_t *)chunk_steps[k].data - arena;

			ASAN_POISON_MEMORY_REGION(arena + prev, a - prev);
			prev = a + chunk_steps[k].len;
		}
		ASAN_POISON_MEMORY_REGION(arena + prev, arena_cap - prev);
	}
	{
		struct split whole = { .kind = SPLIT_WHOLE };

		transcript_run(chunk_steps, &whole, &in->opts, out, st);
	}
	ASAN_UNPOISON_MEMORY_REGION(arena, arena_cap);
	why = parser_invariants(st);
	if (why) {
		fprintf(stderr, "parser invariant broken (split kind %d): %s\n",
			sp->kind, why);
		abort();
	}
}

static void dump_state(const char *what, const struct smtp_parser *p)
{
	fprintf(stderr, "%s: c_len=%u c_ls=%u c_mode=%u c_tok=%#x txn=%#x c_flags=%#x flags=%#x user=%u "
		"s_len=%u s_ls=%u s_mode=%u s_tok=%u s_flags=%#x bdat_left=%u queue=%#x,%#x,%#x\n",
		what, p->c_len, p->c_ls, p->c_mode, p->c_tok, p->txn, p->c_flags,
		p->flags, p->user, p->s_len, p->s_ls, p->s_mode, p->s_tok,
		p->s_flags, p->bdat_left, p->queue[0], p->queue[1], p->queue[2]);
}

static void compare(const char *what, const struct tbuf *ref, const struct tbuf *got,
		    const struct smtp_parser *sref, const struct smtp_parser *sgot)
{
	if (ref->len != got->len || (ref->len && memcmp(ref->s, got->s, ref->len))) {
		size_t k = 0;

		while (k < ref->len && k < got->len && ref->s[k] == got->s[k])
			k++;
		while (k && ref->s[k - 1] != '\n')
			k--;
		fprintf(stderr, "%s: events differ from the whole run at:\n"
			"  whole: %.300s\n  %s: %.300s\n", what,
			ref->s ? ref->s + k : "", what, got->s ? got->s + k : "");
		abort();
	}
	if (memcmp(sref, sgot, sizeof(*sref))) {
		fprintf(stderr, "%s: final parser state differs from the whole run\n", what);
		dump_state("whole", sref);
		dump_state(what, sgot);
		abort();
	}
}

/* Whole run again with a sink without callback: no events, same state. */
static void run_silent(const struct input *in, const struct smtp_parser *sref)
{
	struct smtp_sink s = {
		.fn = NULL, .max_cmd = in->opts.max_cmd,
		.max_reply = in->opts.max_reply, .max_text = in->opts.max_text,
		.max_header = in->opts.max_header, .max_headers = in->opts.max_headers,
		.max_message = in->opts.max_message, .size_excess = in->opts.size_excess,
	};
	struct smtp_parser p = { 0 };
	struct smtp_domains relay, filetypes;
	const char *err;
	size_t k, bad;

	if (in->opts.relay &&
	    !smtp_domains_build(&relay, in->opts.relay, strlen(in->opts.relay), &err, &bad))
		s.relay = &relay;
	if (in->opts.filetypes &&
	    !smtp_filetypes_build(&filetypes, in->opts.filetypes, strlen(in->opts.filetypes),
				  &err, &bad))
		s.filetypes = &filetypes;

	if (in->opts.pickup)
		smtp_parser_init_pickup(&p);
	else
		smtp_parser_init(&p);
	for (k = 0; k < in->nsegs; k++) {
		const struct step *g = &in->segs[k];

		if (smtp_parse(&p, g->dir, (const u8 *)g->data, g->len, &s) != g->len)
			abort();
	}
	if (memcmp(&p, sref, sizeof(p))) {
		fprintf(stderr, "silent: final parser state differs from the whole run\n");
		dump_state("whole", sref);
		dump_state("silent", &p);
		abort();
	}
}

/* FUZZ_PRINT=1 in the environment: print the events of the whole run */
static int print_events;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *e = getenv("FUZZ_PRINT");

	(void)argc;
	(void)argv;
	print_events = e && *e == '1';
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct step *segs;
	struct input in;
	struct tbuf ref = { 0 }, t = { 0 };
	struct smtp_parser sref, st;
	struct split sp;

	if (size > MAX_INPUT)
		return -1;
	if (!segs) {
		segs = malloc((MAX_SEGMENTS + 1) * sizeof(*segs));
		chunk_steps = malloc((MAX_INPUT + MAX_SEGMENTS + 1) * sizeof(*chunk_steps));
		/* worst case: every byte its own chunk, 8-aligned with a red zone */
		arena_cap = REDZONE + (size_t)MAX_INPUT * (REDZONE + 8) + 64;
		arena = malloc(arena_cap);
		if (!segs || !chunk_steps || !arena)
			abort();
	}
	in.segs = segs;
	decode(data, size, &in);

	sp = (struct split){ .kind = SPLIT_WHOLE };
	run(&in, &sp, &ref, &sref);
	if (print_events)
		fprintf(stderr, "%.*s", (int)ref.len, ref.s ? ref.s : "");

	sp = (struct split){ .kind = SPLIT_SIZES, .sizes = in.sizes, .nsizes = in.nsizes };
	run(&in, &sp, &t, &st);
	compare("sizes", &ref, &t, &sref, &st);
	tbuf_free(&t);

	if (in.total > 1) {
		sp = (struct split){ .kind = SPLIT_AT, .at = 1 + in.hash % (in.total - 1) };
		run(&in, &sp, &t, &st);
		compare("split", &ref, &t, &sref, &st);
		tbuf_free(&t);
	}

	if (in.total < BYTEWISE_MAX) {
		sp = (struct split){ .kind = SPLIT_BYTES };
		run(&in, &sp, &t, &st);
		compare("bytes", &ref, &t, &sref, &st);
		tbuf_free(&t);
	}

	if (!in.opts.mask_verbs && !in.opts.mask_foreign)
		run_silent(&in, &sref);

	tbuf_free(&ref);
	return 0;
}
