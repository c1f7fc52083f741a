/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfsmtp: policy files (nfsmtp -f FILE, /etc/nfsmtp.conf). A file holds
 * lines of the command line's syntax,
 *
 *	policy set [profile N] KEY VALUE [KEY VALUE...]
 *
 * with # comments and blank lines: exactly what `nfsmtp policy show`
 * prints. Every key comes from the key table (keys.c). Lines are merged in
 * order into one value per (profile, key), the namespace-wide keys in a row
 * of their own, each remembering the line that set it. No netlink here: the
 * unit tests link this file alone.
 */
#ifndef NFSMTP_CONF_H
#define NFSMTP_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "keys.h"

/* rows: profiles 0..NFSMTP_PROFILES-1, then the namespace-wide keys */
#define NFSMTP_CONF_NS		NFSMTP_PROFILES
#define NFSMTP_CONF_ROWS	(NFSMTP_PROFILES + 1)

struct nfsmtp_conf_val {
	bool set;
	uint32_t value;
	unsigned int line;	/* the last line that set it */
};

struct nfsmtp_conf {
	const char *name;			/* for messages: "/etc/nfsmtp.conf", "<stdin>" */
	struct nfsmtp_conf_val *v;		/* [row * nfsmtp_n_keys + key index] */
	unsigned int first_line[NFSMTP_CONF_ROWS];	/* first line setting a key of the row, 0: none */
	unsigned int lines;			/* lines read */
	unsigned int policy_lines;		/* of those, policy set lines */
};

/* 0, or -1 when out of memory */
int nfsmtp_conf_init(struct nfsmtp_conf *c, const char *name);
void nfsmtp_conf_free(struct nfsmtp_conf *c);

/*
 * One line (its text without the newline; it is modified) as line LINENO.
 * 0, or -1 with a message in ERR (without file and line); a bad line
 * changes nothing in C.
 */
int nfsmtp_conf_line(struct nfsmtp_conf *c, char *text, unsigned int lineno,
		     char *err, size_t errlen);

/*
 * Every line of IN. Each bad line is reported on ERRF as
 * "nfsmtp: NAME:LINE: message". Returns the number of bad lines, or -1
 * when IN could not be read (reported too).
 */
int nfsmtp_conf_read(struct nfsmtp_conf *c, FILE *in, FILE *errf);

/* The value of key index K in ROW (NULL if out of range). */
const struct nfsmtp_conf_val *nfsmtp_conf_get(const struct nfsmtp_conf *c,
					      unsigned int row, unsigned int k);

/* ROW sets at least one key */
bool nfsmtp_conf_row_used(const struct nfsmtp_conf *c, unsigned int row);

/* A profile as the kernel reports it: the value of each attribute it sent */
struct nfsmtp_profile_vals {
	int profile;
	bool have[NFSMTP_A_MAX + 1];
	uint32_t v[NFSMTP_A_MAX + 1];
};

/*
 * `policy show`, in the current output (print.h). Text is the policy file
 * syntax: "policy set" lines, the namespace-wide keys first (from P[0]: the
 * kernel sends them with every profile), then each of the N profiles' keys
 * in the groups of the key table (k->line), a blank line before each
 * profile. JSON: the namespace-wide keys, then "profiles": an array of
 * objects, "profile" and the keys by their JSON names (EHLO keywords as an
 * array, names of values as strings).
 */
void nfsmtp_policy_print(const struct nfsmtp_profile_vals *p, unsigned int n);

#endif /* NFSMTP_CONF_H */
