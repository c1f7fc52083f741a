/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfsmtp: the tables that name things (policy keys and their values, EHLO
 * keywords, counters, event rules) and the argument parsing built on them.
 * No netlink here: the unit tests link this file alone.
 */
#ifndef NFSMTP_KEYS_H
#define NFSMTP_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/nf_conntrack_smtp.h>

/* How a key's value is spelled on the command line and on the wire. */
enum nfsmtp_key_type {
	NFSMTP_KT_ENUM,		/* u8, one of a list of names */
	NFSMTP_KT_ACTION,	/* u8, enum nfsmtp_action by name */
	NFSMTP_KT_FLAGS,	/* u32, comma-separated names of the bits (names) */
	NFSMTP_KT_U8,		/* numbers: decimal or 0x hex */
	NFSMTP_KT_U16,
	NFSMTP_KT_U32,
	NFSMTP_KT_DOMAINS,	/* string: names separated by commas (build checks
				 * them as the module does); the value is its index
				 * among the texts (nfsmtp_text)
				 */
};

struct smtp_domains;

struct nfsmtp_key {
	const char *name;		/* on the command line: "cmd-line-max" */
	const char *json;		/* in -j output: "cmd_line_max" */
	uint16_t attr;			/* NFSMTP_A_* */
	enum nfsmtp_key_type type;
	const char *const *names;	/* value names by value; FLAGS: by bit */
	unsigned int n_names;
	const char *what;		/* FLAGS, DOMAINS: what a name is, in errors ("EHLO keyword") */
	/* DOMAINS: the module's own check (smtp_domains_build, smtp_filetypes_build) */
	int (*build)(struct smtp_domains *set, const char *text, size_t len,
		     const char **err, size_t *bad);
	bool per_ns;			/* namespace-wide, not per profile */
	bool hex;			/* shown in hex */
	unsigned int line;		/* `policy show` groups keys on lines */
	const char *def;		/* the module's default (smtp_profile_default) */
};

extern const struct nfsmtp_key nfsmtp_keys[];
extern const unsigned int nfsmtp_n_keys;

/* Names indexed by their enum value; NULL where there is none. */
extern const char *const nfsmtp_action_names[__NFSMTP_ACTION_MAX];
extern const char *const nfsmtp_rule_names[__NFSMTP_RULE_MAX];
extern const char *const nfsmtp_kw_names[__NFSMTP_KW_MAX];
extern const char *const nfsmtp_mime_enc_names[__NFSMTP_MIME_ENC_MAX];
/* Counter names, the same as the module's smtp_stat_names[] */
extern const char *const nfsmtp_stat_names[__NFSMTP_STAT_MAX];
/* One sentence per counter (# HELP of the Prometheus output); NULL if none */
extern const char *const nfsmtp_stat_help[__NFSMTP_STAT_MAX];

const struct nfsmtp_key *nfsmtp_key_find(const char *name);
const struct nfsmtp_key *nfsmtp_key_by_attr(unsigned int attr);
/* What to call attribute ATTR in a message: a key name, "profile", or NULL */
const char *nfsmtp_attr_name(unsigned int attr);

/*
 * Numbers: decimal, or hex with 0x; no sign, no spaces, at most MAX.
 * Returns 0, or -1 when S is not such a number.
 */
int nfsmtp_parse_uint(const char *s, uint32_t max, uint32_t *out);

/*
 * A FLAGS key's list (EHLO keywords, encodings): "none", "all", or names of
 * k's bits separated by commas, in any case. On error returns -1 and points
 * *bad at the offending item (within s).
 */
int nfsmtp_parse_flags(const struct nfsmtp_key *k, const char *s, uint32_t *mask,
		       const char **bad, size_t *badlen);

/* The value of key K from S; on error, a message for the user in ERR. */
int nfsmtp_parse_value(const struct nfsmtp_key *k, const char *s, uint32_t *out,
		       char *err, size_t errlen);

/* Value V of key K as `policy show` prints it (a name, list or number). */
void nfsmtp_format_value(const struct nfsmtp_key *k, uint32_t v, char *buf, size_t len);

/*
 * Texts of NFSMTP_KT_DOMAINS values, kept once each for the tool's life:
 * index 0 is "" (none). Returns the index of S, or UINT32_MAX when the
 * table is full.
 */
uint32_t nfsmtp_text_intern(const char *s);
const char *nfsmtp_text(uint32_t i);

/* Largest value of a key's wire type. */
uint32_t nfsmtp_key_max(const struct nfsmtp_key *k);

/* `policy set` arguments: [profile N] KEY VALUE [KEY VALUE...] */
struct nfsmtp_setting {
	const struct nfsmtp_key *key;
	uint32_t value;
};

struct nfsmtp_set_req {
	int profile;		/* -1: not given (the kernel's default, 0) */
	unsigned int n;
	struct nfsmtp_setting s[48];	/* more than the keys: each at most once */
};

int nfsmtp_parse_set(int argc, char *const argv[], struct nfsmtp_set_req *req,
		     char *err, size_t errlen);

/* [profile N] alone, as `policy show` takes it; profile -1 when not given */
int nfsmtp_parse_profile_arg(int argc, char *const argv[], int *profile,
			     char *err, size_t errlen);

/* names joined by SEP, the last one by LAST ("a, b, c or d") into buf */
void nfsmtp_join_names(const char *const *names, unsigned int n, const char *sep,
		       const char *last, char *buf, size_t len);

#endif /* NFSMTP_KEYS_H */
