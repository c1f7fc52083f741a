/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfsmtp: a small streaming JSON writer, under print.h (compact output,
 * valid UTF-8 only: bytes that are not UTF-8 are written as the code point
 * of the same value).
 */
#ifndef NFSMTP_JSON_H
#define NFSMTP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	unsigned int count[JSON_MAX_DEPTH];	/* members written per level */
	bool after_key;
};

void json_init(struct json *j, FILE *f);
void json_obj_open(struct json *j);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j);
void json_arr_close(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t len);
void json_u64(struct json *j, uint64_t v);

#endif /* NFSMTP_JSON_H */
