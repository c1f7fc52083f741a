/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfsmtp: one output path for text and JSON, after iproute2's json_print.
 * Each value is printed by one call: in text, FMT with the value; in JSON
 * (print_begin(f, true)), a member KEY (an array element when KEY is NULL).
 * PRINT_FP or PRINT_JSON restrict a call to one of the two.
 *
 *	print_begin(stdout, json);
 *	open_json_object(NULL);
 *	print_string(PRINT_ANY, "family", "%s", "ipv4");
 *	print_uint(PRINT_ANY, "mark", " mark 0x%x", 42);
 *	close_json_object();
 *	print_nl();		text only: the end of a line
 *	print_end();		JSON only: the newline after the document
 *
 * No netlink here: the unit tests link this file alone.
 */
#ifndef NFSMTP_PRINT_H
#define NFSMTP_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum output_type {
	PRINT_FP = 1,		/* text only */
	PRINT_JSON = 2,		/* JSON only */
	PRINT_ANY = PRINT_FP | PRINT_JSON,
};

/* a document on F: text, or JSON when JSON */
void print_begin(FILE *f, bool json);
void print_end(void);

/* JSON only: KEY names the container inside an object, NULL elsewhere */
void open_json_object(const char *key);
void close_json_object(void);
void open_json_array(const char *key);
void close_json_array(void);

/* text only: the end of a line */
void print_nl(void);

void print_string(enum output_type t, const char *key, const char *fmt, const char *value);
void print_uint(enum output_type t, const char *key, const char *fmt, unsigned int value);
void print_u64(enum output_type t, const char *key, const char *fmt, uint64_t value);

/*
 * LEN bytes from the network: in text, in double quotes where FMT has %s,
 * printable ASCII as is, " and \ backslashed, other bytes as \xNN; in
 * JSON, a string (json_strn()).
 */
void print_quoted(enum output_type t, const char *key, const char *fmt, const char *s,
		  size_t len);

/* " SRC:SPORT > DST:DPORT" (addresses in brackets when V6); src, sport, dst, dport */
void print_tuple(const char *src, unsigned int sport, const char *dst, unsigned int dport,
		 bool v6);

#endif /* NFSMTP_PRINT_H */
