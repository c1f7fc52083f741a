// SPDX-License-Identifier: GPL-2.0
/*
 * nfsmtp argument parsing and JSON writer: keys, values, EHLO keyword
 * lists, numbers, `policy set` argument lists, the name tables, and the
 * escaping that keeps -j output valid JSON; policy files (nfsmtp -f: line
 * numbers, comments, the round trip of `policy show` text) and the
 * Prometheus output (stats -o prometheus). No netlink, no kernel needed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "conf.h"
#include "json.h"
#include "keys.h"
#include "print.h"
#include "prom.h"

#define KW(x) (1U << NFSMTP_KW_##x)

static char err[1024];

/* parse_set over a NULL-terminated list of words */
static int set_words(struct nfsmtp_set_req *req, const char *const *words)
{
	int n = 0;

	while (words[n])
		n++;
	err[0] = '\0';
	return nfsmtp_parse_set(n, (char *const *)words, req, err, sizeof(err));
}

static uint32_t value_of(const char *key, const char *val)
{
	const struct nfsmtp_key *k = nfsmtp_key_find(key);
	uint32_t v = 0xdeadbeef;

	if (!k || nfsmtp_parse_value(k, val, &v, err, sizeof(err)))
		return 0xdeadbeef;
	return v;
}

TEST(numbers_decimal_and_hex)
{
	uint32_t v;

	ASSERT_EQ(0, nfsmtp_parse_uint("0", 255, &v));
	EXPECT_EQ(0U, v);
	ASSERT_EQ(0, nfsmtp_parse_uint("65535", 65535, &v));
	EXPECT_EQ(65535U, v);
	ASSERT_EQ(0, nfsmtp_parse_uint("0x1F", 255, &v));
	EXPECT_EQ(31U, v);
	ASSERT_EQ(0, nfsmtp_parse_uint("0XfF", 255, &v));
	EXPECT_EQ(255U, v);
	ASSERT_EQ(0, nfsmtp_parse_uint("0xffffffff", UINT32_MAX, &v));
	EXPECT_EQ(UINT32_MAX, v);
	ASSERT_EQ(0, nfsmtp_parse_uint("4294967295", UINT32_MAX, &v));
	EXPECT_EQ(UINT32_MAX, v);
	/* a leading zero is decimal, not octal */
	ASSERT_EQ(0, nfsmtp_parse_uint("010", 255, &v));
	EXPECT_EQ(10U, v);
}

TEST(numbers_rejected)
{
	static const char *const bad[] = {
		"", "0x", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x1g", "12a", "0b1",
		"65536", "0x10000", "99999999999999999999999",
	};
	unsigned int i;
	uint32_t v = 7;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, nfsmtp_parse_uint(bad[i], 65535, &v))
			TH_LOG("\"%s\" was taken", bad[i]);
	}
	EXPECT_EQ(7U, v);	/* untouched on error */
	EXPECT_EQ(-1, nfsmtp_parse_uint("4294967296", UINT32_MAX, &v));
	EXPECT_EQ(-1, nfsmtp_parse_uint("256", 255, &v));
}

#define EHLO_KEY (nfsmtp_key_find("ehlo-mask"))

TEST(ehlo_lists)
{
	const char *bad;
	size_t badlen;
	uint32_t m;

	ASSERT_EQ(0, nfsmtp_parse_flags(EHLO_KEY, "none", &m, &bad, &badlen));
	EXPECT_EQ(0U, m);
	ASSERT_EQ(0, nfsmtp_parse_flags(EHLO_KEY, "NONE", &m, &bad, &badlen));
	EXPECT_EQ(0U, m);
	ASSERT_EQ(0, nfsmtp_parse_flags(EHLO_KEY, "all", &m, &bad, &badlen));
	EXPECT_EQ(NFSMTP_KW_ALL, m);
	ASSERT_EQ(0, nfsmtp_parse_flags(EHLO_KEY, "STARTTLS", &m, &bad, &badlen));
	EXPECT_EQ(KW(STARTTLS), m);
	ASSERT_EQ(0, nfsmtp_parse_flags(EHLO_KEY, "starttls,Pipelining,8bitmime", &m, &bad, &badlen));
	EXPECT_EQ(KW(STARTTLS) | KW(PIPELINING) | KW(8BITMIME), m);
	ASSERT_EQ(0, nfsmtp_parse_flags(EHLO_KEY, "unknown,UNKNOWN", &m, &bad, &badlen));
	EXPECT_EQ(KW(UNKNOWN), m);
	ASSERT_EQ(0, nfsmtp_parse_flags(EHLO_KEY, "STARTTLS,CHUNKING,PIPELINING,8BITMIME,BINARYMIME,"
				       "SMTPUTF8,SIZE,DSN,AUTH,ENHANCEDSTATUSCODES,ETRN,unknown",
				       &m, &bad, &badlen));
	EXPECT_EQ(NFSMTP_KW_ALL, m);
}

TEST(ehlo_lists_rejected)
{
	static const struct {
		const char *s, *bad;
	} cases[] = {
		{ "FOO", "FOO" },
		{ "STARTTLS,FOO", "FOO" },
		{ "STARTTLS,,AUTH", "" },
		{ "STARTTLS,", "" },
		{ ",AUTH", "" },
		{ "", "" },
		{ "none,AUTH", "none" },
		{ "AUTH,all", "all" },
		{ " AUTH", " AUTH" },
		{ "STARTTLSX", "STARTTLSX" },
		{ "START", "START" },
	};
	unsigned int i;
	const char *bad;
	size_t badlen;
	uint32_t m;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(-1, nfsmtp_parse_flags(EHLO_KEY, cases[i].s, &m, &bad, &badlen))
			TH_LOG("\"%s\" was taken", cases[i].s);
		EXPECT_EQ(strlen(cases[i].bad), badlen);
		EXPECT_EQ(0, strncmp(bad, cases[i].bad, badlen))
			TH_LOG("\"%s\": blamed \"%.*s\"", cases[i].s, (int)badlen, bad);
	}
}

TEST(key_table)
{
	bool seen[NFSMTP_A_MAX + 1] = { 0 };
	unsigned int i;
	char json[64];

	ASSERT_EQ(46U, nfsmtp_n_keys);
	for (i = 0; i < nfsmtp_n_keys; i++) {
		const struct nfsmtp_key *k = &nfsmtp_keys[i];
		char *p;

		EXPECT_EQ(k, nfsmtp_key_find(k->name));
		EXPECT_EQ(k, nfsmtp_key_by_attr(k->attr));
		ASSERT_LE(k->attr, NFSMTP_A_MAX);
		EXPECT_FALSE(seen[k->attr]) TH_LOG("attribute %u twice", k->attr);
		seen[k->attr] = true;
		/* -j keys are the command line keys in snake_case */
		snprintf(json, sizeof(json), "%s", k->name);
		for (p = json; *p; p++)
			if (*p == '-')
				*p = '_';
		EXPECT_STREQ(json, k->json);
		/* the documented default parses */
		ASSERT_NE(NULL, k->def);
		EXPECT_NE(0xdeadbeef, value_of(k->name, k->def)) TH_LOG("%s: %s", k->name, err);
	}
	/* every settable attribute has a key */
	for (i = NFSMTP_A_STARTTLS; i <= NFSMTP_A_MARK_SHIFT; i++)
		EXPECT_TRUE(seen[i]) TH_LOG("attribute %u has no key", i);
	EXPECT_EQ(NULL, nfsmtp_key_find("Starttls"));
	EXPECT_EQ(NULL, nfsmtp_key_find("profile"));
	EXPECT_STREQ("profile", nfsmtp_attr_name(NFSMTP_A_PROFILE));
	EXPECT_STREQ("cmd-line-max", nfsmtp_attr_name(NFSMTP_A_CMD_LINE_MAX));
	EXPECT_EQ(NULL, nfsmtp_attr_name(NFSMTP_A_STATS));
}

TEST(name_tables_complete)
{
	unsigned int i, j;

	for (i = 0; i < __NFSMTP_STAT_MAX; i++) {
		ASSERT_NE(NULL, nfsmtp_stat_names[i]) TH_LOG("counter %u", i);
		for (j = 0; j < i; j++)
			EXPECT_STRNE(nfsmtp_stat_names[i], nfsmtp_stat_names[j]);
	}
	for (i = 0; i < __NFSMTP_RULE_MAX; i++)
		EXPECT_NE(NULL, nfsmtp_rule_names[i]) TH_LOG("rule %u", i);
	for (i = 0; i < __NFSMTP_ACTION_MAX; i++)
		EXPECT_NE(NULL, nfsmtp_action_names[i]) TH_LOG("action %u", i);
	for (i = 0; i < __NFSMTP_KW_MAX; i++)
		EXPECT_NE(NULL, nfsmtp_kw_names[i]) TH_LOG("keyword %u", i);
}

TEST(values_by_name)
{
	EXPECT_EQ((uint32_t)NFSMTP_STARTTLS_STRIP, value_of("starttls", "strip"));
	EXPECT_EQ((uint32_t)NFSMTP_STARTTLS_ALLOW, value_of("starttls", "allow"));
	EXPECT_EQ((uint32_t)NFSMTP_BANNER_MASK, value_of("banner", "mask"));
	EXPECT_EQ((uint32_t)NFSMTP_COMMANDS_MAILGUARD, value_of("commands", "mailguard"));
	EXPECT_EQ((uint32_t)NFSMTP_COMMANDS_ESMTP, value_of("commands", "esmtp"));
	EXPECT_EQ((uint32_t)NFSMTP_ACTION_OFF, value_of("smuggling", "off"));
	EXPECT_EQ((uint32_t)NFSMTP_ACTION_RESET, value_of("starttls-injection", "reset"));
	/* the tool takes every action for every rule: the kernel decides */
	EXPECT_EQ((uint32_t)NFSMTP_ACTION_MASK, value_of("smuggling", "mask"));
	EXPECT_EQ((uint32_t)NFSMTP_ACTION_DROP, value_of("body-line-action", "drop"));
	EXPECT_EQ(KW(AUTH) | KW(SIZE), value_of("ehlo-mask", "auth,size"));
	EXPECT_EQ(8000U, value_of("cmd-line-max", "8000"));
	EXPECT_EQ(65535U, value_of("rcpt-max", "65535"));	/* wire range; the kernel checks */
	EXPECT_EQ(0xff00U, value_of("profile-mark-mask", "0xff00"));
	EXPECT_EQ(255U, value_of("profile-mark-shift", "255"));
	/* names are exact */
	EXPECT_EQ(0xdeadbeef, value_of("starttls", "Strip"));
	EXPECT_EQ(0xdeadbeef, value_of("smuggling", "1"));
	EXPECT_EQ(0xdeadbeef, value_of("banner", ""));
	EXPECT_EQ(0xdeadbeef, value_of("cmd-line-max", "65536"));
	EXPECT_EQ(0xdeadbeef, value_of("profile-mark-shift", "256"));
	EXPECT_EQ(0xdeadbeef, value_of("profile-mark-mask", "0x100000000"));
}

TEST(bad_values_list_the_allowed_ones)
{
	ASSERT_EQ(0xdeadbeef, value_of("starttls", "maybe"));
	EXPECT_STREQ("bad value \"maybe\" for starttls: use allow or strip", err);
	ASSERT_EQ(0xdeadbeef, value_of("dup-headers", "block"));
	EXPECT_STREQ("bad value \"block\" for dup-headers: use off, log, mask, drop or reset", err);
	ASSERT_EQ(0xdeadbeef, value_of("commands", "some"));
	EXPECT_STREQ("bad value \"some\" for commands: use all, esmtp or mailguard", err);
	ASSERT_EQ(0xdeadbeef, value_of("cmd-line-max", "lots"));
	EXPECT_NE(NULL, strstr(err, "use a number from 0 to 65535")) TH_LOG("%s", err);
	ASSERT_EQ(0xdeadbeef, value_of("profile-mark-mask", "-1"));
	EXPECT_NE(NULL, strstr(err, "from 0 to 4294967295 (decimal, or hex with 0x)")) TH_LOG("%s", err);
	ASSERT_EQ(0xdeadbeef, value_of("ehlo-mask", "STARTTLS,BDAT"));
	EXPECT_NE(NULL, strstr(err, "unknown EHLO keyword \"BDAT\" in ehlo-mask")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "none, all, or a comma-separated list of 8BITMIME, AUTH,"))
		TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "STARTTLS and unknown")) TH_LOG("%s", err);
	ASSERT_EQ(0xdeadbeef, value_of("ehlo-mask", "AUTH,,SIZE"));
	EXPECT_NE(NULL, strstr(err, "empty EHLO keyword in ehlo-mask \"AUTH,,SIZE\"")) TH_LOG("%s", err);
	ASSERT_EQ(0xdeadbeef, value_of("mime-encoding", "base64,uuencode"));
	EXPECT_STREQ("unknown encoding \"uuencode\" in mime-encoding: use none, all, or a "
		     "comma-separated list of 7bit, 8bit, base64, binary, quoted-printable "
		     "and others", err);
}

/* mime-encoding: ASA's encoding names, any case; shown in bit order */
TEST(mime_encoding_lists)
{
	const struct nfsmtp_key *k = nfsmtp_key_find("mime-encoding");
	const char *bad;
	size_t badlen;
	char buf[128];
	uint32_t m;

	ASSERT_NE(NULL, k);
	ASSERT_EQ(0, nfsmtp_parse_flags(k, "Others,BASE64,quoted-printable", &m, &bad, &badlen));
	EXPECT_EQ((1U << NFSMTP_MIME_ENC_OTHERS) | (1U << NFSMTP_MIME_ENC_BASE64) |
		  (1U << NFSMTP_MIME_ENC_QUOTED_PRINTABLE), m);
	nfsmtp_format_value(k, m, buf, sizeof(buf));
	EXPECT_STREQ("base64,quoted-printable,others", buf);
	ASSERT_EQ(0, nfsmtp_parse_flags(k, "all", &m, &bad, &badlen));
	EXPECT_EQ(NFSMTP_MIME_ENC_ALL, m);
	nfsmtp_format_value(k, m, buf, sizeof(buf));
	EXPECT_STREQ("all", buf);
	ASSERT_EQ(-1, nfsmtp_parse_flags(k, "7bit,STARTTLS", &m, &bad, &badlen));
	EXPECT_EQ(0, strncmp(bad, "STARTTLS", badlen));
	EXPECT_EQ(8U, badlen);
}

TEST(set_partial_update)
{
	const char *const w[] = { "starttls", "strip", "ehlo-mask", "STARTTLS,chunking",
				  "rcpt-max", "100", NULL };
	struct nfsmtp_set_req req;

	ASSERT_EQ(0, set_words(&req, w)) TH_LOG("%s", err);
	EXPECT_EQ(-1, req.profile);	/* not sent: the kernel's default */
	ASSERT_EQ(3U, req.n);
	EXPECT_EQ(NFSMTP_A_STARTTLS, req.s[0].key->attr);
	EXPECT_EQ((uint32_t)NFSMTP_STARTTLS_STRIP, req.s[0].value);
	EXPECT_EQ(NFSMTP_A_EHLO_MASK, req.s[1].key->attr);
	EXPECT_EQ(KW(STARTTLS) | KW(CHUNKING), req.s[1].value);
	EXPECT_EQ(NFSMTP_A_RCPT_MAX, req.s[2].key->attr);
	EXPECT_EQ(100U, req.s[2].value);
}

TEST(set_profile_anywhere)
{
	const char *const first[] = { "profile", "3", "smuggling", "reset", NULL };
	const char *const last[] = { "smuggling", "drop", "profile", "0x7", NULL };
	const char *const only_ns[] = { "profile-mark-mask", "0xf0", "profile-mark-shift", "4", NULL };
	struct nfsmtp_set_req req;

	ASSERT_EQ(0, set_words(&req, first)) TH_LOG("%s", err);
	EXPECT_EQ(3, req.profile);
	EXPECT_EQ(1U, req.n);
	ASSERT_EQ(0, set_words(&req, last)) TH_LOG("%s", err);
	EXPECT_EQ(7, req.profile);
	EXPECT_EQ((uint32_t)NFSMTP_ACTION_DROP, req.s[0].value);
	ASSERT_EQ(0, set_words(&req, only_ns)) TH_LOG("%s", err);
	EXPECT_EQ(2U, req.n);
	EXPECT_TRUE(req.s[0].key->per_ns);
	EXPECT_EQ(0xf0U, req.s[0].value);
	EXPECT_EQ(4U, req.s[1].value);
}

TEST(set_every_key_at_once)
{
	const char *w[2 * 46 + 3];
	struct nfsmtp_set_req req;
	unsigned int i, n = 0;

	w[n++] = "profile";
	w[n++] = "5";
	for (i = 0; i < nfsmtp_n_keys; i++) {
		w[n++] = nfsmtp_keys[i].name;
		w[n++] = nfsmtp_keys[i].def;
	}
	w[n] = NULL;
	ASSERT_EQ(0, set_words(&req, w)) TH_LOG("%s", err);
	EXPECT_EQ(nfsmtp_n_keys, req.n);
	EXPECT_EQ(5, req.profile);
}

/* mail-relay: checked as the module checks it, kept in the form it shows */
TEST(mail_relay_lists)
{
	const struct nfsmtp_key *k = nfsmtp_key_find("mail-relay");
	char buf[1200];
	uint32_t v;

	ASSERT_NE(NULL, k);
	ASSERT_EQ(0, nfsmtp_parse_value(k, "none", &v, err, sizeof(err)));
	EXPECT_EQ(0U, v);
	ASSERT_EQ(0, nfsmtp_parse_value(k, "Example.NET., a.example,[192.0.2.1]", &v, err,
					sizeof(err))) TH_LOG("%s", err);
	nfsmtp_format_value(k, v, buf, sizeof(buf));
	EXPECT_STREQ("[192.0.2.1],a.example,example.net", buf);
	ASSERT_EQ(0, nfsmtp_parse_value(k, "a.example,[192.0.2.1],example.net", &v, err,
					sizeof(err)));
	nfsmtp_format_value(k, v, buf, sizeof(buf));
	EXPECT_STREQ("[192.0.2.1],a.example,example.net", buf);
	EXPECT_EQ(-1, nfsmtp_parse_value(k, "ok.example,x..y,z", &v, err, sizeof(err)));
	EXPECT_STREQ("bad mail-relay at \"x..y\": a domain holds a byte no domain has, "
		     "or an empty label", err);
	EXPECT_EQ(-1, nfsmtp_parse_value(k, "a.example,A.Example", &v, err, sizeof(err)));
	EXPECT_STREQ("bad mail-relay at \"A.Example\": a domain is listed twice", err);
	memset(buf, 'a', 1100);
	buf[1100] = '\0';
	EXPECT_EQ(-1, nfsmtp_parse_value(k, buf, &v, err, sizeof(err)));
	EXPECT_STREQ("mail-relay is longer than 1023 octets: list fewer domains", err);
}

/* mime-filetype: extensions, any case, a leading dot dropped, shown sorted */
TEST(mime_filetype_lists)
{
	const struct nfsmtp_key *k = nfsmtp_key_find("mime-filetype");
	char buf[200];
	uint32_t v;

	ASSERT_NE(NULL, k);
	ASSERT_EQ(0, nfsmtp_parse_value(k, "EXE, .scr,js,7z", &v, err, sizeof(err))) TH_LOG("%s", err);
	nfsmtp_format_value(k, v, buf, sizeof(buf));
	EXPECT_STREQ("7z,exe,js,scr", buf);
	EXPECT_EQ(-1, nfsmtp_parse_value(k, "exe,tar.gz", &v, err, sizeof(err)));
	EXPECT_STREQ("bad mime-filetype at \"tar.gz\": a file type holds a dot, a blank or a "
		     "byte no file name ends in", err);
	EXPECT_EQ(-1, nfsmtp_parse_value(k, "exe,Exe", &v, err, sizeof(err)));
	EXPECT_STREQ("bad mime-filetype at \"Exe\": a file type is listed twice", err);
	EXPECT_EQ(-1, nfsmtp_parse_value(k, "abcdefghijklmnop", &v, err, sizeof(err)));
	EXPECT_STREQ("bad mime-filetype at \"abcdefghijklmnop\": a file type is longer than "
		     "15 octets", err);
}

TEST(set_usage_errors)
{
	static const struct {
		const char *words[6];
		const char *msg;
	} cases[] = {
		{ { NULL }, "nothing to set: give KEY VALUE pairs" },
		{ { "profile", "1", NULL }, "nothing to set" },
		{ { "starttls", NULL }, "starttls needs a value: use allow or strip" },
		{ { "starttls", "strip", "starttls", "allow", NULL }, "key starttls given twice" },
		{ { "profile", "1", "profile", "2", "banner", "mask" }, "profile given twice" },
		{ { "profile", NULL }, "profile needs a number: the kernel has profiles 0 to 7" },
		{ { "profile", "x", "banner", "mask", NULL }, "bad profile \"x\"" },
		{ { "profile", "256", "banner", "mask", NULL }, "bad profile \"256\"" },
		{ { "tls", "strip", NULL }, "unknown key \"tls\": the keys are profile, starttls, banner, ehlo-mask, commands, cmd-line-max, rcpt-max, header-line-max, body-line-max, command-action, cmd-line-action, rcpt-action, header-line-action, body-line-action, dup-headers, smuggling, bare-newline, starttls-injection, lost-sync, urgent, out-of-order, tls-framing, require-tls, sender-max, sender-action, special-char, invalid-rcpt-max, invalid-rcpt-action, to-fields-max, to-fields-action, header-section-max, header-section-action, message-max, message-action, size-excess-max, size-excess-action, mail-relay, mail-relay-action, mime-encoding, mime-encoding-action, mime-filename-max, mime-filename-action, mime-filetype, mime-filetype-action, bdat-unjudged, profile-mark-mask, profile-mark-shift" },
		{ { "smuggling", "mask", "banner", "hide", NULL }, "bad value \"hide\" for banner: use keep or mask" },
	};
	struct nfsmtp_set_req req;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EXPECT_EQ(-1, set_words(&req, cases[i].words)) TH_LOG("case %u was taken", i);
		EXPECT_NE(NULL, strstr(err, cases[i].msg))
			TH_LOG("case %u: \"%s\" lacks \"%s\"", i, err, cases[i].msg);
	}
}

TEST(show_profile_argument)
{
	char *const none[] = { NULL };
	char *const one[] = { "profile", "6" };
	char *const missing[] = { "profile" };
	char *const junk[] = { "profile", "1", "extra" };
	char *const other[] = { "starttls" };
	int p;

	ASSERT_EQ(0, nfsmtp_parse_profile_arg(0, none, &p, err, sizeof(err)));
	EXPECT_EQ(-1, p);
	ASSERT_EQ(0, nfsmtp_parse_profile_arg(2, one, &p, err, sizeof(err)));
	EXPECT_EQ(6, p);
	EXPECT_EQ(-1, nfsmtp_parse_profile_arg(1, missing, &p, err, sizeof(err)));
	EXPECT_EQ(-1, nfsmtp_parse_profile_arg(3, junk, &p, err, sizeof(err)));
	EXPECT_STREQ("unexpected \"extra\" after profile 1", err);
	EXPECT_EQ(-1, nfsmtp_parse_profile_arg(1, other, &p, err, sizeof(err)));
	EXPECT_STREQ("unexpected \"starttls\": use [profile N]", err);
}

/* what `policy show` prints parses back to the same value */
TEST(format_round_trip)
{
	static const struct {
		const char *key, *text;
	} cases[] = {
		{ "starttls", "strip" }, { "banner", "keep" }, { "commands", "esmtp" },
		{ "ehlo-mask", "none" }, { "ehlo-mask", "all" },
		{ "ehlo-mask", "8BITMIME,STARTTLS,unknown" },
		{ "cmd-line-max", "512" }, { "rcpt-max", "0" },
		{ "command-action", "drop" }, { "starttls-injection", "log" },
		{ "profile-mark-mask", "0xff0000" }, { "profile-mark-shift", "16" },
	};
	char buf[256];
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct nfsmtp_key *k = nfsmtp_key_find(cases[i].key);

		ASSERT_NE(NULL, k);
		nfsmtp_format_value(k, value_of(cases[i].key, cases[i].text), buf, sizeof(buf));
		EXPECT_STREQ(cases[i].text, buf);
	}
	/* values from a newer kernel print as numbers */
	nfsmtp_format_value(nfsmtp_key_find("smuggling"), 9, buf, sizeof(buf));
	EXPECT_STREQ("9", buf);
	nfsmtp_format_value(nfsmtp_key_find("ehlo-mask"), KW(AUTH) | (1U << 20), buf, sizeof(buf));
	EXPECT_STREQ("AUTH,bit20", buf);
}

/* ---- policy files (nfsmtp -f) ---------------------------------------------- */

/* conf_text: read TEXT (LEN bytes) as file "t.conf" into C; the error
 * lines in *ERRS (free it); the number of bad lines */
static int conf_textn(struct nfsmtp_conf *c, const char *text, size_t len, char **errs)
{
	FILE *in, *ef;
	size_t elen;
	int bad;

	if (nfsmtp_conf_init(c, "t.conf"))
		return -100;
	in = fmemopen((void *)text, len, "r");
	ef = open_memstream(errs, &elen);
	if (!in || !ef)
		return -100;
	bad = nfsmtp_conf_read(c, in, ef);
	fclose(in);
	fclose(ef);
	return bad;
}

static int conf_text(struct nfsmtp_conf *c, const char *text, char **errs)
{
	return conf_textn(c, text, strlen(text), errs);
}

/* the value of KEY in ROW (a profile, or NFSMTP_CONF_NS) */
static const struct nfsmtp_conf_val *conf_val(const struct nfsmtp_conf *c, unsigned int row,
					      const char *key)
{
	const struct nfsmtp_key *k = nfsmtp_key_find(key);

	return k ? nfsmtp_conf_get(c, row, (unsigned int)(k - nfsmtp_keys)) : NULL;
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

TEST(conf_comments_blank_lines_and_spacing)
{
	static const char text[] =
		"# /etc/nfsmtp.conf\n"
		"\n"
		"   \t\n"
		"policy set profile 1 starttls strip commands mailguard   # strict\n"
		"\tpolicy  set\tsmuggling reset\r\n"
		"policy set profile-mark-mask 0x100 profile-mark-shift 8 #no space before\n"
		"# policy set banner mask\n"
		"policy set profile 1 ehlo-mask auth,STARTTLS";	/* no newline at the end */
	struct nfsmtp_conf c;
	char *errs = NULL;
	unsigned int row;

	ASSERT_EQ(0, conf_text(&c, text, &errs)) TH_LOG("%s", errs);
	EXPECT_STREQ("", errs);
	EXPECT_EQ(8U, c.lines);
	EXPECT_EQ(4U, c.policy_lines);
	EXPECT_TRUE(conf_val(&c, 1, "starttls")->set);
	EXPECT_EQ((uint32_t)NFSMTP_STARTTLS_STRIP, conf_val(&c, 1, "starttls")->value);
	EXPECT_EQ(4U, conf_val(&c, 1, "starttls")->line);
	EXPECT_EQ((uint32_t)NFSMTP_COMMANDS_MAILGUARD, conf_val(&c, 1, "commands")->value);
	/* no profile: profile 0, as on the command line; CRLF is fine */
	EXPECT_EQ((uint32_t)NFSMTP_ACTION_RESET, conf_val(&c, 0, "smuggling")->value);
	EXPECT_EQ(5U, conf_val(&c, 0, "smuggling")->line);
	EXPECT_EQ(0x100U, conf_val(&c, NFSMTP_CONF_NS, "profile-mark-mask")->value);
	EXPECT_EQ(8U, conf_val(&c, NFSMTP_CONF_NS, "profile-mark-shift")->value);
	EXPECT_EQ(KW(AUTH) | KW(STARTTLS), conf_val(&c, 1, "ehlo-mask")->value);
	EXPECT_EQ(8U, conf_val(&c, 1, "ehlo-mask")->line);
	/* commented out: set nowhere */
	for (row = 0; row < NFSMTP_CONF_ROWS; row++)
		EXPECT_FALSE(conf_val(&c, row, "banner")->set);
	EXPECT_EQ(5U, c.first_line[0]);
	EXPECT_EQ(4U, c.first_line[1]);
	EXPECT_EQ(6U, c.first_line[NFSMTP_CONF_NS]);
	for (row = 2; row < NFSMTP_PROFILES; row++)
		EXPECT_FALSE(nfsmtp_conf_row_used(&c, row));
	free(errs);
	nfsmtp_conf_free(&c);
}

/* every bad line is named by file and line; a bad line sets nothing */
TEST(conf_bad_lines_named_by_number)
{
	static const char text[] =
		"policy set starttls strip\n"				/* 1 */
		"policy set banner hide\n"				/* 2 */
		"# fine\n"						/* 3 */
		"policy set profile 2 cmd-line-max 512 rcpt-max\n"	/* 4 */
		"policy show\n"						/* 5 */
		"set starttls strip\n"					/* 6 */
		"policy set profile 8 banner mask\n"			/* 7 */
		"policy set tls strip\n"				/* 8 */
		"policy set profile 3 starttls strip starttls allow\n"	/* 9 */
		"policy set\n"						/* 10 */
		"policy set profile 4\n"				/* 11 */
		"\n"							/* 12 */
		"policy set profile 5 ehlo-mask STARTTLS,,AUTH\n";	/* 13 */
	static const char *const want[] = {
		"nfsmtp: t.conf:2: bad value \"hide\" for banner: use keep or mask\n",
		"nfsmtp: t.conf:4: rcpt-max needs a value: use a number from 0 to 65535",
		"nfsmtp: t.conf:5: \"policy show\" does not belong in a policy file",
		"nfsmtp: t.conf:6: \"set\" is not a policy line: use \"policy set [profile N] KEY VALUE...\"\n",
		"nfsmtp: t.conf:7: bad profile \"8\": the kernel has profiles 0 to 7\n",
		"nfsmtp: t.conf:8: unknown key \"tls\": the keys are profile, starttls, ",
		"nfsmtp: t.conf:9: key starttls given twice\n",
		"nfsmtp: t.conf:10: nothing to set: give KEY VALUE pairs\n",
		"nfsmtp: t.conf:11: nothing to set: give KEY VALUE pairs\n",
		"nfsmtp: t.conf:13: empty EHLO keyword in ehlo-mask \"STARTTLS,,AUTH\"",
	};
	struct nfsmtp_conf c;
	char *errs = NULL;
	unsigned int i;

	ASSERT_EQ(10, conf_text(&c, text, &errs));
	EXPECT_EQ(10U, count_lines(errs)) TH_LOG("%s", errs);
	ASSERT_NE(NULL, errs);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *hit = strstr(errs, want[i]);

		EXPECT_NE(NULL, hit) TH_LOG("missing: %s", want[i]);
	}
	EXPECT_EQ(13U, c.lines);
	/* the good line counts; the bad ones changed nothing */
	EXPECT_EQ(1U, c.policy_lines);
	EXPECT_TRUE(conf_val(&c, 0, "starttls")->set);
	EXPECT_FALSE(conf_val(&c, 0, "banner")->set);
	EXPECT_FALSE(conf_val(&c, 2, "cmd-line-max")->set);
	EXPECT_FALSE(conf_val(&c, 3, "starttls")->set);
	EXPECT_FALSE(nfsmtp_conf_row_used(&c, 2));
	EXPECT_FALSE(nfsmtp_conf_row_used(&c, 3));
	EXPECT_FALSE(nfsmtp_conf_row_used(&c, 5));
	free(errs);
	nfsmtp_conf_free(&c);
}

TEST(conf_later_line_wins)
{
	static const char text[] =
		"policy set profile 6 rcpt-max 100 rcpt-action log\n"
		"policy set profile 6 rcpt-max 50\n"
		"policy set profile 2 profile-mark-mask 0xf\n"		/* namespace-wide: profile ignored */
		"policy set profile-mark-mask 0xf0\n";
	struct nfsmtp_conf c;
	char *errs = NULL;

	ASSERT_EQ(0, conf_text(&c, text, &errs)) TH_LOG("%s", errs);
	EXPECT_EQ(50U, conf_val(&c, 6, "rcpt-max")->value);
	EXPECT_EQ(2U, conf_val(&c, 6, "rcpt-max")->line);
	EXPECT_EQ((uint32_t)NFSMTP_ACTION_LOG, conf_val(&c, 6, "rcpt-action")->value);
	EXPECT_EQ(1U, c.first_line[6]);
	EXPECT_EQ(0xf0U, conf_val(&c, NFSMTP_CONF_NS, "profile-mark-mask")->value);
	EXPECT_EQ(4U, conf_val(&c, NFSMTP_CONF_NS, "profile-mark-mask")->line);
	EXPECT_EQ(3U, c.first_line[NFSMTP_CONF_NS]);
	EXPECT_FALSE(nfsmtp_conf_row_used(&c, 2));
	free(errs);
	nfsmtp_conf_free(&c);
}

TEST(conf_nul_byte_and_empty_file)
{
	static const char text[] = "policy set starttls strip\0 banner mask\npolicy set banner keep\n";
	struct nfsmtp_conf c;
	char *errs = NULL;

	ASSERT_EQ(1, conf_textn(&c, text, sizeof(text) - 1, &errs));
	EXPECT_STREQ("nfsmtp: t.conf:1: a NUL byte: a policy file is text\n", errs);
	EXPECT_FALSE(conf_val(&c, 0, "starttls")->set);
	EXPECT_TRUE(conf_val(&c, 0, "banner")->set);
	free(errs);
	nfsmtp_conf_free(&c);

	/* only comments: valid, and nothing to apply */
	ASSERT_EQ(0, conf_text(&c, "# all commented out\n#policy set starttls strip\n", &errs));
	EXPECT_EQ(0U, c.policy_lines);
	EXPECT_FALSE(nfsmtp_conf_row_used(&c, 0));
	EXPECT_FALSE(nfsmtp_conf_row_used(&c, NFSMTP_CONF_NS));
	free(errs);
	nfsmtp_conf_free(&c);
}

/* a value every key can take, different per profile and key: names by
 * turn, EHLO masks by bits, numbers in the wire type's range */
static uint32_t sample_value(const struct nfsmtp_key *k, unsigned int profile, unsigned int i)
{
	unsigned int n, j;

	switch (k->type) {
	case NFSMTP_KT_ENUM:
	case NFSMTP_KT_ACTION:
		for (n = 0; n < k->n_names; n++) {
			j = (profile + i + n) % k->n_names;
			if (k->names[j])
				return j;
		}
		return 0;
	case NFSMTP_KT_FLAGS: {
		uint32_t all = (uint32_t)((1ULL << k->n_names) - 1);

		return profile == 7 ? all : (0x5a5U >> profile) & all;
	}
	case NFSMTP_KT_DOMAINS: {
		char text[64];

		if (profile % 3 == 0)
			return 0;
		if (k->attr == NFSMTP_A_MIME_FILETYPE)
			snprintf(text, sizeof(text), "exe,p%u", profile);
		else
			snprintf(text, sizeof(text), "example.net,p%u.example", profile);
		return nfsmtp_text_intern(text);
	}
	default:
		return (uint32_t)(profile * 37 + i) % (nfsmtp_key_max(k) + 1ULL);
	}
}

/* policy show's text, read back as a policy file, holds the same values */
TEST(conf_round_trip_of_policy_show_text)
{
	struct nfsmtp_profile_vals p[NFSMTP_PROFILES];
	struct nfsmtp_conf c;
	char *text = NULL, *errs = NULL, *line, *save = NULL;
	size_t len;
	unsigned int n, i;
	FILE *f;

	memset(p, 0, sizeof(p));
	for (n = 0; n < NFSMTP_PROFILES; n++) {
		p[n].profile = (int)n;
		for (i = 0; i < nfsmtp_n_keys; i++) {
			const struct nfsmtp_key *k = &nfsmtp_keys[i];

			/* the kernel sends the namespace-wide keys in every profile */
			p[n].have[k->attr] = true;
			p[n].v[k->attr] = sample_value(k, k->per_ns ? 3 : n, i);
		}
	}
	f = open_memstream(&text, &len);
	ASSERT_NE(NULL, f);
	print_begin(f, false);
	nfsmtp_policy_print(p, NFSMTP_PROFILES);
	print_end();
	fclose(f);

	ASSERT_EQ(0, conf_text(&c, text, &errs)) TH_LOG("%s\n%s", errs, text);
	for (n = 0; n < NFSMTP_PROFILES; n++)
		for (i = 0; i < nfsmtp_n_keys; i++) {
			const struct nfsmtp_key *k = &nfsmtp_keys[i];
			const struct nfsmtp_conf_val *v =
				nfsmtp_conf_get(&c, k->per_ns ? NFSMTP_CONF_NS : n, i);

			ASSERT_TRUE(v->set) TH_LOG("profile %u %s not in\n%s", n, k->name, text);
			EXPECT_EQ(p[n].v[k->attr], v->value) TH_LOG("profile %u %s", n, k->name);
		}
	/* only policy set lines and blank lines; none over 160 columns */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		EXPECT_EQ(0, strncmp(line, "policy set ", 11)) TH_LOG("%s", line);
		EXPECT_LE(strlen(line), 160U) TH_LOG("%s", line);
	}
	free(text);
	free(errs);
	nfsmtp_conf_free(&c);
}

/* `policy show` of the N profiles P as text or JSON (malloc'd) */
static char *policy_shown(const struct nfsmtp_profile_vals *p, unsigned int n, bool json)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	print_begin(f, json);
	nfsmtp_policy_print(p, n);
	print_end();
	fclose(f);
	return text;
}

/* policy show prints a text line per group of keys: each group is one run of the table */
TEST(key_groups_contiguous)
{
	unsigned int i;

	for (i = 1; i < nfsmtp_n_keys; i++)
		if (!nfsmtp_keys[i].per_ns && !nfsmtp_keys[i - 1].per_ns)
			EXPECT_LE(nfsmtp_keys[i - 1].line, nfsmtp_keys[i].line)
				TH_LOG("%s after %s", nfsmtp_keys[i].name, nfsmtp_keys[i - 1].name);
}

TEST(policy_print_exact_text_and_json)
{
	const struct nfsmtp_key *mask = nfsmtp_key_find("profile-mark-mask");
	const struct nfsmtp_key *tls = nfsmtp_key_find("starttls");
	const struct nfsmtp_key *smug = nfsmtp_key_find("smuggling");
	const struct nfsmtp_key *cmds = nfsmtp_key_find("commands");
	struct nfsmtp_profile_vals p[2];
	char *text;

	ASSERT_NE(NULL, mask);
	ASSERT_NE(NULL, tls);
	ASSERT_NE(NULL, smug);
	ASSERT_NE(NULL, cmds);
	ASSERT_NE(tls->line, smug->line);	/* two groups: two lines */
	ASSERT_EQ(tls->line, cmds->line);
	memset(p, 0, sizeof(p));
	p[0].profile = 2;
	p[0].have[mask->attr] = p[0].have[tls->attr] = p[0].have[smug->attr] = true;
	p[0].v[mask->attr] = 0xff00;
	p[0].v[tls->attr] = NFSMTP_STARTTLS_STRIP;
	p[0].v[smug->attr] = NFSMTP_ACTION_RESET;
	p[1].profile = 5;
	p[1].have[cmds->attr] = p[1].have[tls->attr] = true;
	p[1].v[cmds->attr] = NFSMTP_COMMANDS_ESMTP;
	p[1].v[tls->attr] = NFSMTP_STARTTLS_ALLOW;
	text = policy_shown(p, 2, false);
	EXPECT_STREQ("policy set profile-mark-mask 0xff00\n"
		     "\n"
		     "policy set profile 2 starttls strip\n"
		     "policy set profile 2 smuggling reset\n"
		     "\n"
		     "policy set profile 5 starttls allow commands esmtp\n", text);
	free(text);
	text = policy_shown(p, 2, true);
	EXPECT_STREQ("{\"profile_mark_mask\":65280,\"profiles\":["
		     "{\"profile\":2,\"starttls\":\"strip\",\"smuggling\":\"reset\"},"
		     "{\"profile\":5,\"starttls\":\"allow\",\"commands\":\"esmtp\"}]}\n", text);
	free(text);
}

/*
 * The default /etc/nfsmtp.conf (contrib/nfsmtp.conf, NFSMTP_CONF_EXAMPLE):
 * it sets nothing; it explains every key of the table with the tool's
 * default ("#   KEY ...default DEF" in the key's paragraph); its commented
 * examples, uncommented, are a valid policy file.
 */
TEST(conf_default_file)
{
	const char *path = getenv("NFSMTP_CONF_EXAMPLE");
	char *text = NULL, *errs = NULL, *examples, *line, *save = NULL, *out;
	struct nfsmtp_conf c;
	size_t len = 0, n;
	unsigned int i;
	FILE *f;

	if (!path || !*path)
		SKIP(return, "NFSMTP_CONF_EXAMPLE is not set (make unit sets it)");
	f = fopen(path, "r");
	ASSERT_NE(NULL, f) TH_LOG("%s", path);
	ASSERT_EQ(0, getdelim(&text, &len, '\0', f) < 0);
	fclose(f);
	ASSERT_EQ(0, conf_text(&c, text, &errs)) TH_LOG("%s", errs);
	EXPECT_EQ(0U, c.policy_lines) TH_LOG("the default file must change nothing");
	nfsmtp_conf_free(&c);
	free(errs);

	for (i = 0; i < nfsmtp_n_keys; i++) {
		const struct nfsmtp_key *k = &nfsmtp_keys[i];
		char head[64], def[64], para[1024];
		const char *p, *e;

		snprintf(head, sizeof(head), "\n#   %s ", k->name);
		p = strstr(text, head);
		ASSERT_NE(NULL, p) TH_LOG("%s does not explain key %s", path, k->name);
		/* the paragraph: its line and the indented ones after it */
		for (e = p + 1; (e = strchr(e, '\n')) && !strncmp(e, "\n#      ", 8); e++)
			;
		n = e ? (size_t)(e - p) : strlen(p);
		snprintf(para, sizeof(para), "%.*s ", (int)(n < sizeof(para) - 2 ? n : sizeof(para) - 2), p);
		snprintf(def, sizeof(def), "default %s", k->def);
		p = strstr(para, def);
		EXPECT_TRUE(p && strchr(" ,.;:(\n", p[strlen(def)]))
			TH_LOG("%s: %s does not say \"%s\"", path, k->name, def);
	}

	/* the examples */
	examples = out = calloc(1, strlen(text) + 1);
	ASSERT_NE(NULL, examples);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "#policy set ", 12))
			out += sprintf(out, "%s\n", line + 1);
	ASSERT_EQ(0, conf_text(&c, examples, &errs)) TH_LOG("%s", errs);
	EXPECT_LE(3U, c.policy_lines);
	nfsmtp_conf_free(&c);
	free(errs);
	free(examples);
	free(text);
}

/* ---- stats -o prometheus ----------------------------------------------------- */

static bool metric_name_ok(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == ':'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
		      *s == ':' || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

TEST(prom_every_counter_named_and_helped)
{
	char name[80];
	unsigned int i;

	for (i = 0; i < __NFSMTP_STAT_MAX; i++) {
		snprintf(name, sizeof(name), "nfsmtp_%s_total", nfsmtp_stat_names[i]);
		EXPECT_TRUE(metric_name_ok(name)) TH_LOG("%s", name);
		ASSERT_NE(NULL, nfsmtp_stat_help[i]) TH_LOG("counter %s has no help text", name);
		EXPECT_NE(0U, strlen(nfsmtp_stat_help[i]));
		EXPECT_EQ(NULL, strpbrk(nfsmtp_stat_help[i], "\\\n")) TH_LOG("%s", name);
	}
}

TEST(prom_text_format)
{
	bool have[__NFSMTP_STAT_MAX + 2] = { 0 };
	uint64_t v[__NFSMTP_STAT_MAX + 2] = { 0 };
	char *text = NULL, want[1024];
	size_t len;
	FILE *f;

	have[NFSMTP_STAT_SESSIONS] = true;
	v[NFSMTP_STAT_SESSIONS] = 3;
	have[NFSMTP_STAT_STARTTLS_STRIPPED] = true;
	v[NFSMTP_STAT_STARTTLS_STRIPPED] = UINT64_MAX;
	have[__NFSMTP_STAT_MAX + 1] = true;	/* a counter of a newer module */
	v[__NFSMTP_STAT_MAX + 1] = 7;
	f = open_memstream(&text, &len);
	ASSERT_NE(NULL, f);
	nfsmtp_prom_write(f, "gw \"a\\b\"\n", have, v, __NFSMTP_STAT_MAX + 2);
	fclose(f);
	snprintf(want, sizeof(want),
		 "# HELP nfsmtp_sessions_total %s\n"
		 "# TYPE nfsmtp_sessions_total counter\n"
		 "nfsmtp_sessions_total{netns=\"gw \\\"a\\\\b\\\"\\n\"} 3\n"
		 "# HELP nfsmtp_starttls_stripped_total %s\n"
		 "# TYPE nfsmtp_starttls_stripped_total counter\n"
		 "nfsmtp_starttls_stripped_total{netns=\"gw \\\"a\\\\b\\\"\\n\"} 18446744073709551615\n"
		 "# HELP nfsmtp_stat_%u_total nf_conntrack_smtp counter %u (newer than this nfsmtp).\n"
		 "# TYPE nfsmtp_stat_%u_total counter\n"
		 "nfsmtp_stat_%u_total{netns=\"gw \\\"a\\\\b\\\"\\n\"} 7\n",
		 nfsmtp_stat_help[NFSMTP_STAT_SESSIONS], nfsmtp_stat_help[NFSMTP_STAT_STARTTLS_STRIPPED],
		 __NFSMTP_STAT_MAX + 2, __NFSMTP_STAT_MAX + 2, __NFSMTP_STAT_MAX + 2,
		 __NFSMTP_STAT_MAX + 2);
	EXPECT_STREQ(want, text);
	free(text);
}

/* the whole output passes `promtool check metrics` (Debian's prometheus,
 * unpacked by install-deps.sh; NFSMTP_PROMTOOL overrides) */
TEST(prom_promtool_check_metrics)
{
	const char *tool = getenv("NFSMTP_PROMTOOL");
	bool have[__NFSMTP_STAT_MAX];
	uint64_t v[__NFSMTP_STAT_MAX];
	char file[64], cmd[1024], out[4096];
	unsigned int i;
	size_t n;
	FILE *p;

	if (!tool || !*tool)
		tool = "/var/cache/nf-smtp/prometheus/usr/bin/promtool";
	if (strlen(tool) > 512 || access(tool, X_OK))
		SKIP(return, "no promtool at %s (scripts/install-deps.sh unpacks it)", tool);
	for (i = 0; i < __NFSMTP_STAT_MAX; i++) {
		have[i] = true;
		v[i] = (uint64_t)i * 1000003;
	}
	snprintf(file, sizeof(file), "/tmp/nfsmtp-prom-%d.txt", (int)getpid());
	p = fopen(file, "w");
	ASSERT_NE(NULL, p);
	nfsmtp_prom_write(p, "init", have, v, __NFSMTP_STAT_MAX);
	fclose(p);
	snprintf(cmd, sizeof(cmd), "'%s' check metrics <'%s' 2>&1", tool, file);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	/* exit 0 and no lint finding at all */
	EXPECT_EQ(0, pclose(p)) TH_LOG("promtool check metrics: %s", out);
	EXPECT_EQ(0U, n) TH_LOG("promtool check metrics says: %s", out);
	unlink(file);
}

FIXTURE(netns_dir) {
	char dir[64];
	char path[128];
};

FIXTURE_SETUP(netns_dir)
{
	const char *const names[] = { "gw", "other", "self" };
	unsigned int i;
	FILE *f;

	snprintf(self->dir, sizeof(self->dir), "/tmp/nfsmtp-netns-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/run", self->dir);
	ASSERT_EQ(0, mkdir(self->path, 0755));
	for (i = 0; i < 3; i++) {
		snprintf(self->path, sizeof(self->path), "%s/%s", self->dir, names[i]);
		f = fopen(self->path, "w");
		ASSERT_NE(NULL, f);
		fclose(f);
	}
}

FIXTURE_TEARDOWN(netns_dir)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

/* names, init, inode: as a namespace's bind mounts would show them */
TEST_F(netns_dir, label_name_init_or_inode)
{
	char gw[160], run[160], a[200], b[200], init[160], label[300], want[64];
	struct stat st;

	snprintf(gw, sizeof(gw), "%s/gw", self->dir);
	snprintf(init, sizeof(init), "%s/other", self->dir);
	snprintf(run, sizeof(run), "%s/run", self->dir);
	/* not in the run dir, not init: the inode */
	ASSERT_EQ(0, nfsmtp_netns_label(gw, run, init, label, sizeof(label)));
	ASSERT_EQ(0, stat(gw, &st));
	snprintf(want, sizeof(want), "net:[%ju]", (uintmax_t)st.st_ino);
	EXPECT_STREQ(want, label);
	/* the init namespace */
	ASSERT_EQ(0, nfsmtp_netns_label(init, run, init, label, sizeof(label)));
	EXPECT_STREQ("init", label);
	/* named in the run dir (two names: the first in byte order), before init */
	snprintf(a, sizeof(a), "%s/zeta", run);
	snprintf(b, sizeof(b), "%s/gw-1", run);
	ASSERT_EQ(0, link(gw, a));
	ASSERT_EQ(0, link(gw, b));
	ASSERT_EQ(0, nfsmtp_netns_label(gw, run, gw, label, sizeof(label)));
	EXPECT_STREQ("gw-1", label);
	/* no run dir: still fine */
	ASSERT_EQ(0, nfsmtp_netns_label(init, "/nonexistent", init, label, sizeof(label)));
	EXPECT_STREQ("init", label);
	EXPECT_EQ(-1, nfsmtp_netns_label("/nonexistent/ns", run, init, label, sizeof(label)));
}

/* ---- JSON --------------------------------------------------------------- */

FIXTURE(json) {
	char *buf;
	size_t len;
	FILE *f;
	struct json j;
};

FIXTURE_SETUP(json)
{
	self->f = open_memstream(&self->buf, &self->len);
	ASSERT_NE(NULL, self->f);
	json_init(&self->j, self->f);
}

FIXTURE_TEARDOWN(json)
{
	if (self->f)
		fclose(self->f);
	free(self->buf);
}

static const char *json_text(FILE **f, char **buf)
{
	fclose(*f);
	*f = NULL;
	return *buf;
}

TEST_F(json, nesting_and_commas)
{
	struct json *j = &self->j;

	json_obj_open(j);
	json_key(j, "a");
	json_u64(j, 1);
	json_key(j, "b");
	json_arr_open(j);
	json_u64(j, 1);
	json_str(j, "two");
	json_arr_open(j);
	json_arr_close(j);
	json_obj_open(j);
	json_obj_close(j);
	json_arr_close(j);
	json_key(j, "c");
	json_obj_open(j);
	json_key(j, "d");
	json_str(j, "e");
	json_obj_close(j);
	json_key(j, "big");
	json_u64(j, UINT64_MAX);
	json_obj_close(j);
	EXPECT_STREQ("{\"a\":1,\"b\":[1,\"two\",[],{}],\"c\":{\"d\":\"e\"},"
		     "\"big\":18446744073709551615}", json_text(&self->f, &self->buf));
}

TEST_F(json, escapes)
{
	json_str(&self->j, "q\"b\\s/\n\r\t\x01\x1f\x7f");
	EXPECT_STREQ("\"q\\\"b\\\\s/\\n\\r\\t\\u0001\\u001f\\u007f\"",
		     json_text(&self->f, &self->buf));
}

/* bytes off the network: the output stays valid UTF-8 */
TEST_F(json, utf8_kept_and_invalid_bytes_escaped)
{
	/* é (2 bytes), € (3), 😀 (4) pass; lone 0xff, truncated 0xe2 0x82,
	 * overlong 0xc0 0xaf and a surrogate 0xed 0xa0 0x80 do not */
	static const char in[] =
		"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xff|\xe2\x82|\xc0\xaf|\xed\xa0\x80";

	json_strn(&self->j, in, sizeof(in) - 1);
	EXPECT_STREQ("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\\u00ff|\\u00e2\\u0082|\\u00c0\\u00af|"
		     "\\u00ed\\u00a0\\u0080\"", json_text(&self->f, &self->buf));
}

TEST_F(json, embedded_nul_with_length)
{
	json_strn(&self->j, "a\0b", 3);
	EXPECT_STREQ("\"a\\u0000b\"", json_text(&self->f, &self->buf));
}

/* print.h: the same calls write the text form or the JSON members */
static char *printed(bool json)
{
	static const char detail[] = "a\"b\\c\x01\xff";
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	print_begin(f, json);
	open_json_array(NULL);
	open_json_object(NULL);
	print_string(PRINT_ANY, "family", "%s", "ipv6");
	print_tuple("2001:db8::1", 1025, "2001:db8::2", 25, true);
	print_string(PRINT_FP, NULL, "%s", " reply");
	open_json_object("reply");
	print_tuple("192.0.2.1", 25, "192.0.2.2", 1025, false);
	close_json_object();
	print_uint(PRINT_ANY, "mark", " mark 0x%x", 42);
	print_u64(PRINT_JSON, "big", NULL, UINT64_MAX);
	print_quoted(PRINT_ANY, "detail", " detail %s!", detail, sizeof(detail) - 1);
	close_json_object();
	print_nl();
	close_json_array();
	print_end();
	fclose(f);
	return buf;
}

TEST(print_text_or_json)
{
	char *text = printed(false), *json = printed(true);

	EXPECT_STREQ("ipv6 [2001:db8::1]:1025 > [2001:db8::2]:25 reply 192.0.2.1:25 > 192.0.2.2:1025"
		     " mark 0x2a detail \"a\\\"b\\\\c\\x01\\xff\"!\n", text);
	EXPECT_STREQ("[{\"family\":\"ipv6\",\"src\":\"2001:db8::1\",\"sport\":1025,"
		     "\"dst\":\"2001:db8::2\",\"dport\":25,\"reply\":{\"src\":\"192.0.2.1\","
		     "\"sport\":25,\"dst\":\"192.0.2.2\",\"dport\":1025},\"mark\":42,"
		     "\"big\":18446744073709551615,\"detail\":\"a\\\"b\\\\c\\u0001\\u00ff\"}]\n", json);
	free(text);
	free(json);
}

TEST_HARNESS_MAIN
