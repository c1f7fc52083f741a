// SPDX-License-Identifier: GPL-2.0
/*
 * Parser unit tests: each case is a transcript plus the events it must
 * produce.  Every case runs three ways (whole steps, every two-chunk split,
 * one byte at a time); the rendered event streams, with absolute spans, must
 * be identical, and must contain the expected events in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "transcript.h"

/* Cases above this size get sampled split points instead of all of them. */
#define SPLIT_ALL_MAX	4096
#define SPLIT_SAMPLES	1500

struct tcase {
	const struct step *steps;
	const char *expect;		/* tokens that must appear in order ("!x": never) */
	struct run_opts opts;
};

FIXTURE(parser) {
	struct tbuf whole;
};

FIXTURE_VARIANT(parser) {
	const struct tcase *c;
};

FIXTURE_SETUP(parser)
{
	memset(&self->whole, 0, sizeof(self->whole));
}

FIXTURE_TEARDOWN(parser)
{
	tbuf_free(&self->whole);
}

/* Run one split and compare with the whole run; returns 0 when identical. */
static int same_as_whole(struct __test_metadata *_metadata, const struct tcase *c,
			 const struct tbuf *whole, const struct split *sp,
			 const char *what)
{
	struct tbuf t = { 0 };
	struct smtp_parser st;
	const char *inv;
	int bad = 0;

	transcript_run(c->steps, sp, &c->opts, &t, &st);
	inv = parser_invariants(&st);
	if (inv) {
		TH_LOG("%s: invariant broken: %s", what, inv);
		bad = 1;
	} else if (t.len != whole->len || (t.len && memcmp(t.s, whole->s, t.len))) {
		size_t k = 0;

		while (k < t.len && k < whole->len && t.s[k] == whole->s[k])
			k++;
		while (k && whole->s[k - 1] != '\n')
			k--;
		TH_LOG("%s: events differ from the whole run at:\n  whole: %.200s\n  split: %.200s",
		       what, whole->s ? whole->s + k : "", t.s ? t.s + k : "");
		bad = 1;
	}
	tbuf_free(&t);
	return bad;
}

/*
 * A wall-clock limit: the 5000-RCPT case needs about a second of CPU, and a
 * machine shared with a few VMs can stretch that past the default 30 s.
 */
TEST_F_TIMEOUT(parser, three_ways, 300)
{
	const struct tcase *c = variant->c;
	struct split whole = { .kind = SPLIT_WHOLE };
	struct split bytes = { .kind = SPLIT_BYTES };
	struct smtp_parser st;
	size_t total = transcript_total(c->steps), at, stride;
	char why[300], what[64];
	const char *inv;

	transcript_run(c->steps, &whole, &c->opts, &self->whole, &st);
	inv = parser_invariants(&st);
	if (inv)
		TH_LOG("whole: invariant broken: %s", inv);
	ASSERT_EQ(NULL, inv);
	if (!expect_in_order(self->whole.s ? self->whole.s : "", c->expect,
			     why, sizeof(why))) {
		TH_LOG("%s; events were:\n%s", why, self->whole.s ? self->whole.s : "");
		ASSERT_TRUE(0);
	}
	ASSERT_EQ(0, same_as_whole(_metadata, c, &self->whole, &bytes, "bytewise"));
	stride = total <= SPLIT_ALL_MAX ? 1 : total / SPLIT_SAMPLES;
	for (at = 1; at < total; at += stride) {
		struct split sp = { .kind = SPLIT_AT, .at = at };

		snprintf(what, sizeof(what), "split at %zu", at);
		ASSERT_EQ(0, same_as_whole(_metadata, c, &self->whole, &sp, what));
	}
}

#define CASE(name, expect_, ...)						\
	static const struct step name##_steps[] = { __VA_ARGS__, STEP_END };	\
	static const struct tcase name##_case = {				\
		.steps = name##_steps, .expect = (expect_),			\
	};									\
	FIXTURE_VARIANT_ADD(parser, name) { .c = &name##_case, };

#define CASE_OPTS(name, expect_, opts_, ...)					\
	static const struct step name##_steps[] = { __VA_ARGS__, STEP_END };	\
	static const struct tcase name##_case = {				\
		.steps = name##_steps, .expect = (expect_), .opts = opts_,	\
	};									\
	FIXTURE_VARIANT_ADD(parser, name) { .c = &name##_case, };

#define OPTS(...) ((struct run_opts){ __VA_ARGS__ })
#define MASK(v) (1u << SMTP_VERB_##v)

#include "cases_gen.inc"		/* CASE_GEN: transcripts built at run time */
#include "cases_basic.inc"
#include "cases_commands.inc"
#include "cases_replies.inc"
#include "cases_ehlo.inc"
#include "cases_data.inc"		/* defines DATA_PROLOGUE for the next files */
#include "cases_headers.inc"
#include "cases_bdat.inc"
#include "cases_smuggling.inc"
#include "cases_tls.inc"
#include "cases_resync.inc"
#include "cases_limits.inc"
#include "cases_agree.inc"
#include "cases_paths.inc"
#include "cases_relay.inc"
#include "cases_mime.inc"
#include "cases_size.inc"

TEST_HARNESS_MAIN
