// SPDX-License-Identifier: GPL-2.0
/*
 * Parser benchmark.  Generates, deterministically, a mail corpus that is
 * mostly message text (200 sessions: greeting, EHLO, MAIL, RCPT, DATA, a
 * message of 2 KB .. 2 MB, ".", QUIT) and a command-heavy transcript (many
 * pipelined RCPTs and their replies), then measures on the same buffers:
 *
 *   mail/1448    parser on the mail corpus, client bytes fed in 1448-byte
 *                chunks (TCP MSS)
 *   mail/64K     the same in 64 KB chunks
 *   commands     command and reply lines per second, 1448-byte chunks
 *   memchr       glibc memchr('\n') line split over the same client bytes:
 *                the reference (SIMD, userspace only)
 *
 * Each figure is the median of REPEATS runs, with min and max.  The parser
 * object (smtp_parser.o) is built apart, with the kernel's x86 code
 * generation flags (no SSE/AVX), and linked against a null sink that counts
 * events; the Makefile checks that it calls no libc at all.
 *
 *   parser_bench [--quick] [--ir-per-byte X]
 *   parser_bench --callgrind-only     one pass over a smaller mail corpus,
 *                                     for valgrind --tool=callgrind
 *                                     --toggle-collect=smtp_parse; prints
 *                                     "bytes N" (bytes fed to smtp_parse)
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "smtp_parser.h"

#define REPEATS		7
#define SAMPLE_SECONDS	0.3
#define NMSG		200
#define NMSG_CALLGRIND	20
#define MSS		1448
#define BIGCHUNK	65536

/* ---- deterministic generator ------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned int rnd_in(unsigned int lo, unsigned int hi)	/* [lo, hi] */
{
	return lo + (unsigned int)(rnd() % (hi - lo + 1));
}

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 4096;
		b->s = realloc(b->s, b->cap);
		if (!b->s) {
			perror("realloc");
			exit(1);
		}
	}
	memcpy(b->s + b->len, d, n);
	b->len += n;
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void putf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static const char *const words[] = {
	"the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was",
	"with", "be", "by", "on", "not", "he", "this", "are", "or", "his",
	"from", "at", "which", "but", "have", "an", "had", "they", "you",
	"were", "their", "one", "all", "we", "can", "her", "has", "there",
	"been", "if", "more", "when", "will", "would", "who", "so", "no",
	"meeting", "project", "schedule", "attached", "please", "review",
	"quarterly", "report", "budget", "thanks", "regards", "tomorrow",
	"conntrack", "helper", "kernel", "network", "firewall", "message",
};

/* UTF-8 words for 8-bit text */
static const char *const words8[] = {
	"\xc3\xa9t\xc3\xa9", "gr\xc3\xbc\xc3\x9f" "e", "na\xc3\xafve", "\xc3\xa0",
	"fa\xc3\xa7" "ade", "\xc3\xb6" "ffentlich", "\xe2\x82\xac", "stra\xc3\x9f" "e",
	"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "\xe6\x97\xa5\xe6\x9c\xac",
};

/* A text line of 60..78 octets (before CRLF), possibly 8-bit. */
static void text_line(struct buf *b, int eightbit)
{
	unsigned int want = rnd_in(60, 78), n = 0;
	char line[128];

	/* a few lines start with a dot: dot-stuffed on the wire */
	if (rnd() % 200 == 0)
		line[n++] = '.', line[n++] = '.';
	while (n < want) {
		const char *w = eightbit && rnd() % 5 == 0 ?
			words8[rnd() % (sizeof(words8) / sizeof(words8[0]))] :
			words[rnd() % (sizeof(words) / sizeof(words[0]))];
		size_t l = strlen(w);

		if (n + l + 1 > 78)
			break;
		if (n)
			line[n++] = ' ';
		memcpy(line + n, w, l);
		n += l;
	}
	line[n++] = '\r';
	line[n++] = '\n';
	put(b, line, n);
}

static void base64_line(struct buf *b, unsigned int len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[80];
	unsigned int k;

	for (k = 0; k < len; k++)
		line[k] = b64[rnd() & 63];
	line[len++] = '\r';
	line[len++] = '\n';
	put(b, line, len);
}

static void header_section(struct buf *b, unsigned int msg)
{
	unsigned int nf = rnd_in(15, 40), k, hops = rnd_in(2, 6);

	putf(b, "Return-Path: <sender%u@example.com>\r\n", msg);
	for (k = 0; k < hops && k < nf; k++)
		putf(b, "Received: from relay%u.example.net (relay%u.example.net [192.0.2.%u])\r\n"
		     "\tby mx%u.example.org (Postfix) with ESMTPS id %08llX\r\n"
		     "\tfor <rcpt%u@example.org>; Mon, 3 Jun 2024 10:%02u:%02u +0200 (CEST)\r\n",
		     k, k, rnd_in(1, 254), k, (unsigned long long)(rnd() & 0xffffffff),
		     msg, rnd_in(0, 59), rnd_in(0, 59));
	puts_(b, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com;\r\n"
		 "\ts=selector1; t=1717400000; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
		 "\th=From:To:Subject:Date:Message-ID:MIME-Version:Content-Type;\r\n\tb=");
	base64_line(b, 70);
	puts_(b, "\t");
	base64_line(b, 70);
	puts_(b, "\t");
	base64_line(b, 60);
	putf(b, "Authentication-Results: mx.example.org; dkim=pass header.d=example.com;\r\n"
	     "\tspf=pass smtp.mailfrom=sender%u@example.com; dmarc=pass\r\n", msg);
	putf(b, "From: Sender %u <sender%u@example.com>\r\n", msg, msg);
	putf(b, "To: Recipient <rcpt%u@example.org>\r\n", msg);
	if (rnd() & 1)
		putf(b, "Cc: other%u@example.org, third@example.org\r\n", msg);
	putf(b, "Subject: Re: quarterly report %u - please review\r\n", msg);
	puts_(b, "Date: Mon, 3 Jun 2024 10:11:12 +0200\r\n");
	putf(b, "Message-ID: <%016llx.%u@example.com>\r\n",
	     (unsigned long long)rnd(), msg);
	if (rnd() & 1)
		putf(b, "In-Reply-To: <%016llx@example.org>\r\n"
		     "References: <%016llx@example.org>\r\n",
		     (unsigned long long)rnd(), (unsigned long long)rnd());
	puts_(b, "MIME-Version: 1.0\r\n");
	for (k = hops + 12; k < nf; k++)
		putf(b, "X-Header-%u: value %llu for a filter or a list\r\n", k,
		     (unsigned long long)(rnd() % 100000));
}

/* One message of about size octets, dot-stuffed, ending with CRLF. */
static void message(struct buf *b, unsigned int msg, size_t size)
{
	size_t start = b->len;
	int eightbit = rnd() % 4 == 0;
	int attach = size > 20000 && rnd() % 2 == 0;

	header_section(b, msg);
	if (attach)
		puts_(b, "Content-Type: multipart/mixed; boundary=\"=_b0und4ry\"\r\n\r\n"
			 "--=_b0und4ry\r\nContent-Type: text/plain; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: 8bit\r\n\r\n");
	else
		puts_(b, eightbit ? "Content-Type: text/plain; charset=utf-8\r\n"
				    "Content-Transfer-Encoding: 8bit\r\n\r\n" :
				    "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
	/* text: all of it, or about a quarter before an attachment */
	while (b->len - start < (attach ? size / 4 : size)) {
		text_line(b, eightbit);
		if (rnd() % 8 == 0)
			puts_(b, "\r\n");
	}
	if (attach) {
		puts_(b, "\r\n--=_b0und4ry\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
			 "Content-Transfer-Encoding: base64\r\n"
			 "Content-Disposition: attachment; filename=\"report.pdf\"\r\n\r\n");
		while (b->len - start < size)
			base64_line(b, 76);
		puts_(b, "\r\n--=_b0und4ry--\r\n");
	}
}

/* ---- transcripts ----------------------------------------------------------- */

struct tstep {
	int dir;
	size_t off, len;	/* into the client or the server buffer */
};

struct corpus {
	struct buf cli, srv;
	struct tstep *steps;
	size_t nsteps, cap;
	size_t *session_start;	/* first step of each session */
	size_t nsessions;
	size_t lines;		/* command and reply lines (command corpus) */
};

static void step(struct corpus *c, int dir, size_t off)
{
	struct buf *b = dir == SMTP_DIR_CLIENT ? &c->cli : &c->srv;

	if (b->len == off)
		return;
	if (c->nsteps == c->cap) {
		c->cap = c->cap * 2 + 64;
		c->steps = realloc(c->steps, c->cap * sizeof(*c->steps));
		if (!c->steps)
			exit(1);
	}
	c->steps[c->nsteps++] = (struct tstep){ dir, off, b->len - off };
}

#define CLI(...) do { size_t o_ = c->cli.len; putf(&c->cli, __VA_ARGS__); step(c, SMTP_DIR_CLIENT, o_); } while (0)
#define SRV(...) do { size_t o_ = c->srv.len; putf(&c->srv, __VA_ARGS__); step(c, SMTP_DIR_SERVER, o_); } while (0)

static void new_session(struct corpus *c)
{
	c->session_start = realloc(c->session_start,
				   (c->nsessions + 2) * sizeof(*c->session_start));
	if (!c->session_start)
		exit(1);
	c->session_start[c->nsessions++] = c->nsteps;
}

static void end_corpus(struct corpus *c)
{
	new_session(c);
	c->nsessions--;		/* a sentinel: the end of the last session */
}

static void session_head(struct corpus *c, unsigned int s)
{
	SRV("220 mx%u.example.org ESMTP Postfix (Debian/GNU)\r\n", s % 8);
	CLI("EHLO relay%u.example.net\r\n", s);
	SRV("250-mx%u.example.org\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n"
	    "250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n"
	    "250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n", s % 8);
}

/* message sizes: about log-uniform over 2 KB .. 2 MB */
static size_t msg_size(void)
{
	size_t s = (size_t)2048 << (rnd() % 10);

	return s + rnd() % s;
}

static void build_mail(struct corpus *c, unsigned int nmsg)
{
	unsigned int s;

	rng_state = 0x9e3779b97f4a7c15ULL;
	for (s = 0; s < nmsg; s++) {
		unsigned int r, nr = rnd_in(1, 3);
		size_t o, size = msg_size();

		new_session(c);
		session_head(c, s);
		CLI("MAIL FROM:<sender%u@example.com> SIZE=%zu BODY=8BITMIME\r\n", s,
		    size);
		SRV("250 2.1.0 Ok\r\n");
		for (r = 0; r < nr; r++) {
			CLI("RCPT TO:<rcpt%u.%u@example.org>\r\n", s, r);
			SRV("250 2.1.5 Ok\r\n");
		}
		CLI("DATA\r\n");
		SRV("354 End data with <CR><LF>.<CR><LF>\r\n");
		o = c->cli.len;
		message(&c->cli, s, size);
		puts_(&c->cli, ".\r\n");
		step(c, SMTP_DIR_CLIENT, o);
		SRV("250 2.0.0 Ok: queued as %08llX\r\n",
		    (unsigned long long)(rnd() & 0xffffffff));
		CLI("QUIT\r\n");
		SRV("221 2.0.0 Bye\r\n");
	}
	end_corpus(c);
}

static void build_commands(struct corpus *c, unsigned int nsess)
{
	unsigned int s, t, r;

	rng_state = 0x5851f42d4c957f2dULL;
	for (s = 0; s < nsess; s++) {
		new_session(c);
		session_head(c, s);
		c->lines += 1 + 1 + 11;
		for (t = 0; t < 20; t++) {
			unsigned int nr = rnd_in(20, 100);
			size_t o = c->cli.len;

			/* MAIL and its RCPTs pipelined in one write, then RSET */
			putf(&c->cli, "MAIL FROM:<bounce-%u-%u@lists.example.com>\r\n", s, t);
			for (r = 0; r < nr; r++)
				putf(&c->cli, "RCPT TO:<member%u@example.org> NOTIFY=NEVER\r\n",
				     (unsigned int)(rnd() % 100000));
			step(c, SMTP_DIR_CLIENT, o);
			o = c->srv.len;
			putf(&c->srv, "250 2.1.0 Ok\r\n");
			for (r = 0; r < nr; r++)
				putf(&c->srv, r % 17 ? "250 2.1.5 Ok\r\n" :
				     "550 5.1.1 <member@example.org>: Recipient address rejected\r\n");
			step(c, SMTP_DIR_SERVER, o);
			CLI("RSET\r\n");
			SRV("250 2.0.0 Ok\r\n");
			c->lines += 2 * (nr + 2);
		}
		CLI("QUIT\r\n");
		SRV("221 2.0.0 Bye\r\n");
		c->lines += 2;
	}
	end_corpus(c);
}

/* ---- running ---------------------------------------------------------------- */

static unsigned long long events;

static int null_sink(void *ctx, const struct smtp_event *ev)
{
	(void)ctx;
	(void)ev;
	events++;
	return SMTP_CONTINUE;
}

static const struct smtp_sink sink = { .fn = null_sink };

/* the same with a mail-relay set of 8 names that the corpus's RCPTs hit (example.org) */
static struct smtp_domains relay;
static struct smtp_sink relay_sink = { .fn = null_sink, .relay = &relay };
#define BENCH_RELAY "example.com,example.net,example.org,example.edu,mail.example.org," \
		    "lists.example.org,a.example,b.example"

/* Feed every session of c, cutting each step into chunks of at most chunk. */
static size_t run_parser_sink(const struct corpus *c, size_t chunk, const struct smtp_sink *sk)
{
	size_t s, k, fed = 0;

	for (s = 0; s < c->nsessions; s++) {
		struct smtp_parser p;

		p.user = 0;
		smtp_parser_init(&p);
		for (k = c->session_start[s]; k < c->session_start[s + 1]; k++) {
			const struct tstep *t = &c->steps[k];
			const u8 *d = (const u8 *)(t->dir == SMTP_DIR_CLIENT ?
						   c->cli.s : c->srv.s) + t->off;
			size_t off = 0;

			while (off < t->len) {
				size_t n = t->len - off;

				if (n > chunk)
					n = chunk;
				if (smtp_parse(&p, t->dir, d + off, n, sk) != n)
					abort();
				off += n;
			}
			fed += t->len;
		}
	}
	return fed;
}

static size_t run_parser(const struct corpus *c, size_t chunk)
{
	return run_parser_sink(c, chunk, &sink);
}

static volatile unsigned long long sink_sum;

/* glibc memchr line split, touching each line once (its first byte and length) */
static size_t run_memchr(const struct buf *b)
{
	const char *p = b->s, *end = b->s + b->len;
	unsigned long long lines = 0, sum = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		if (!nl)
			nl = end - 1;
		lines++;
		sum += (unsigned char)*p + (unsigned long long)(nl - p);
		p = nl + 1;
	}
	sink_sum += sum;
	return lines;
}

static double now(void)
{
	struct timespec ts;

	/*
	 * CPU time of this thread: the machine is shared, and time spent
	 * descheduled is not the parser's.
	 */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
};

static struct stat3 stats(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return (struct stat3){ v[n / 2], v[0], v[n - 1] };
}

enum what { W_MSS, W_BIG, W_MEMCHR, W_CMD, W_CMD_RELAY, W_MAX };

struct bench {
	const struct corpus *mail, *cmds;
	int passes[W_MAX];
};

static void once(const struct bench *b, enum what w)
{
	switch (w) {
	case W_MSS:
		run_parser(b->mail, MSS);
		break;
	case W_BIG:
		run_parser(b->mail, BIGCHUNK);
		break;
	case W_MEMCHR:
		run_memchr(&b->mail->cli);
		break;
	case W_CMD_RELAY:
		run_parser_sink(b->cmds, MSS, &relay_sink);
		break;
	default:
		run_parser(b->cmds, MSS);
		break;
	}
}

/* Seconds for one sample of w: enough passes to last about SAMPLE_SECONDS. */
static double sample(struct bench *b, enum what w)
{
	double t0;
	int j;

	if (!b->passes[w]) {
		int passes = 1;

		for (;;) {
			t0 = now();
			for (j = 0; j < passes; j++)
				once(b, w);
			if (now() - t0 >= SAMPLE_SECONDS / 4 || passes >= 1 << 20)
				break;
			passes *= 2;
		}
		b->passes[w] = passes * 4;
	}
	t0 = now();
	for (j = 0; j < b->passes[w]; j++)
		once(b, w);
	return (now() - t0) / b->passes[w];
}

static void row(const char *name, const char *unit, struct stat3 s, double scale,
		const char *note)
{
	printf("  %-26s %10.2f %-7s [%9.2f .. %9.2f]  %s\n", name, s.med / scale,
	       unit, s.min / scale, s.max / scale, note);
}

int main(int argc, char **argv)
{
	struct corpus mail = { 0 }, cmds = { 0 };
	struct stat3 p_mss, p_big, p_cmd, p_rel, m_ref, ratio_big, ratio_mss;
	double r_mss[REPEATS], r_big[REPEATS], r_mem[REPEATS], r_cmd[REPEATS], r_rel[REPEATS];
	double q_big[REPEATS], q_mss[REPEATS];
	struct bench b = { .mail = &mail, .cmds = &cmds };
	double ir_per_byte = -1, mb = 1e6;
	int repeats = REPEATS, quick = 0, i;
	size_t fed;
	unsigned long long ev_mail;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--callgrind-only")) {
			build_mail(&mail, NMSG_CALLGRIND);
			fed = run_parser(&mail, MSS);
			printf("bytes %zu\nevents %llu\n", fed, events);
			return 0;
		} else if (!strcmp(argv[i], "--quick")) {
			quick = 1;
		} else if (!strcmp(argv[i], "--ir-per-byte") && i + 1 < argc) {
			ir_per_byte = strtod(argv[++i], NULL);
		} else {
			fprintf(stderr, "usage: %s [--quick] [--ir-per-byte X] | --callgrind-only\n",
				argv[0]);
			return 2;
		}
	}
	if (quick)
		repeats = 5;

	build_mail(&mail, quick ? NMSG / 4 : NMSG);
	build_commands(&cmds, quick ? 10 : 40);
	{
		const char *err;
		size_t bad;

		if (smtp_domains_build(&relay, BENCH_RELAY, strlen(BENCH_RELAY), &err, &bad))
			abort();
	}

	/* warm up (page faults, caches) and count events once */
	events = 0;
	fed = run_parser(&mail, MSS);
	ev_mail = events;
	run_memchr(&mail.cli);
	run_parser(&cmds, MSS);

	/* rounds of one sample each, interleaved: the ratios come from the same round */
	for (i = 0; i < repeats; i++) {
		double t_mss = sample(&b, W_MSS), t_big = sample(&b, W_BIG);
		double t_mem = sample(&b, W_MEMCHR), t_cmd = sample(&b, W_CMD);
		double t_rel = sample(&b, W_CMD_RELAY);

		r_mss[i] = mail.cli.len / t_mss;
		r_big[i] = mail.cli.len / t_big;
		r_mem[i] = mail.cli.len / t_mem;
		r_cmd[i] = cmds.lines / t_cmd;
		r_rel[i] = cmds.lines / t_rel;
		q_big[i] = t_mem / t_big;
		q_mss[i] = t_mem / t_mss;
	}
	p_mss = stats(r_mss, repeats);
	p_big = stats(r_big, repeats);
	m_ref = stats(r_mem, repeats);
	p_cmd = stats(r_cmd, repeats);
	p_rel = stats(r_rel, repeats);
	ratio_big = stats(q_big, repeats);
	ratio_mss = stats(q_mss, repeats);

	printf("\nSMTP parser benchmark (kmod/smtp_parser.c, kernel code generation: no SIMD)\n");
	printf("  mail corpus: %u sessions, %.1f MB client + %.1f KB server, %llu events/pass\n",
	       (unsigned int)mail.nsessions, mail.cli.len / mb, mail.srv.len / 1e3, ev_mail);
	printf("  command corpus: %u sessions, %zu lines, %.1f MB both directions\n",
	       (unsigned int)cmds.nsessions, cmds.lines,
	       (cmds.cli.len + cmds.srv.len) / mb);
	printf("  %d runs each: median [min .. max]; MB = 10^6 client bytes"
	       " (server bytes are parsed too)\n\n", repeats);
	row("parser, mail, 1448 B chunks", "MB/s", p_mss, mb, "");
	row("parser, mail, 64 KB chunks", "MB/s", p_big, mb, "");
	row("memchr line split (glibc)", "MB/s", m_ref, mb, "reference");
	row("parser, command lines", "Mline/s", p_cmd, 1e6, "1448 B chunks");
	row("  with a mail-relay set", "Mline/s", p_rel, 1e6, "8 names");
	row("ratio parser/memchr, 64 KB", "x", ratio_big, 1, "target >= 0.50");
	row("ratio parser/memchr, 1448", "x", ratio_mss, 1, "");
	if (ir_per_byte >= 0)
		printf("  %-26s %10.2f instructions/byte (callgrind, %u sessions)\n",
		       "parser cost", ir_per_byte, NMSG_CALLGRIND);
	printf("\n");
	(void)fed;
	return 0;
}
