// SPDX-License-Identifier: GPL-2.0
/*
 * nfsmtp argument parsing and JSON writer: keys, values, EHLO keyword
 * lists, numbers, `policy set` argument lists, the name tables, and the
 * escaping that keeps -j output valid JSON. No netlink, no kernel needed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "json.h"
#include "keys.h"

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

TEST(ehlo_lists)
{
	const char *bad;
	size_t badlen;
	uint32_t m;

	ASSERT_EQ(0, nfsmtp_parse_ehlo("none", &m, &bad, &badlen));
	EXPECT_EQ(0U, m);
	ASSERT_EQ(0, nfsmtp_parse_ehlo("NONE", &m, &bad, &badlen));
	EXPECT_EQ(0U, m);
	ASSERT_EQ(0, nfsmtp_parse_ehlo("all", &m, &bad, &badlen));
	EXPECT_EQ(NFSMTP_KW_ALL, m);
	ASSERT_EQ(0, nfsmtp_parse_ehlo("STARTTLS", &m, &bad, &badlen));
	EXPECT_EQ(KW(STARTTLS), m);
	ASSERT_EQ(0, nfsmtp_parse_ehlo("starttls,Pipelining,8bitmime", &m, &bad, &badlen));
	EXPECT_EQ(KW(STARTTLS) | KW(PIPELINING) | KW(8BITMIME), m);
	ASSERT_EQ(0, nfsmtp_parse_ehlo("unknown,UNKNOWN", &m, &bad, &badlen));
	EXPECT_EQ(KW(UNKNOWN), m);
	ASSERT_EQ(0, nfsmtp_parse_ehlo("STARTTLS,CHUNKING,PIPELINING,8BITMIME,BINARYMIME,"
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
		ASSERT_EQ(-1, nfsmtp_parse_ehlo(cases[i].s, &m, &bad, &badlen))
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

	ASSERT_EQ(24U, nfsmtp_n_keys);
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
	const char *w[2 * 24 + 3];
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
		{ { "tls", "strip", NULL }, "unknown key \"tls\": the keys are profile, starttls, banner, ehlo-mask, commands, cmd-line-max, rcpt-max, header-line-max, body-line-max, command-action, cmd-line-action, rcpt-action, header-line-action, body-line-action, dup-headers, smuggling, bare-newline, starttls-injection, lost-sync, urgent, out-of-order, tls-framing, require-tls, profile-mark-mask, profile-mark-shift" },
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
	json_kv_u64(j, "a", 1);
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
	json_kv_str(j, "d", "e");
	json_kv_bool(j, "f", false);
	json_obj_close(j);
	json_kv_u64(j, "big", UINT64_MAX);
	json_obj_close(j);
	EXPECT_STREQ("{\"a\":1,\"b\":[1,\"two\",[],{}],\"c\":{\"d\":\"e\",\"f\":false},"
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

TEST_HARNESS_MAIN
