// SPDX-License-Identifier: GPL-2.0
/*
 * nfsmtp: one output path for text and JSON. See print.h.
 */
#include <string.h>

#include "json.h"
#include "print.h"

static struct {
	FILE *f;
	bool json;
	struct json j;
} out;

void print_begin(FILE *f, bool json)
{
	out.f = f;
	out.json = json;
	if (json)
		json_init(&out.j, f);
}

void print_end(void)
{
	if (out.json)
		fputc('\n', out.f);
}

/* this call writes in the current output: which half of it, and the key */
static bool want_text(enum output_type t)
{
	return !out.json && (t & PRINT_FP);
}

static bool want_json(enum output_type t, const char *key)
{
	if (!out.json || !(t & PRINT_JSON))
		return false;
	if (key)
		json_key(&out.j, key);
	return true;
}

void open_json_object(const char *key)
{
	if (want_json(PRINT_JSON, key))
		json_obj_open(&out.j);
}

void close_json_object(void)
{
	if (out.json)
		json_obj_close(&out.j);
}

void open_json_array(const char *key)
{
	if (want_json(PRINT_JSON, key))
		json_arr_open(&out.j);
}

void close_json_array(void)
{
	if (out.json)
		json_arr_close(&out.j);
}

void print_nl(void)
{
	if (!out.json)
		fputc('\n', out.f);
}

void print_string(enum output_type t, const char *key, const char *fmt, const char *value)
{
	if (want_text(t))
		fprintf(out.f, fmt, value);
	else if (want_json(t, key))
		json_str(&out.j, value);
}

void print_uint(enum output_type t, const char *key, const char *fmt, unsigned int value)
{
	if (want_text(t))
		fprintf(out.f, fmt, value);
	else if (want_json(t, key))
		json_u64(&out.j, value);
}

void print_u64(enum output_type t, const char *key, const char *fmt, uint64_t value)
{
	if (want_text(t))
		fprintf(out.f, fmt, value);
	else if (want_json(t, key))
		json_u64(&out.j, value);
}

static void quote(FILE *f, const char *s, size_t len)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, f);
		else
			fprintf(f, "\\x%02x", c);
	}
	fputc('"', f);
}

void print_quoted(enum output_type t, const char *key, const char *fmt, const char *s,
		  size_t len)
{
	const char *pct = fmt ? strstr(fmt, "%s") : NULL;

	if (want_text(t) && pct) {
		fwrite(fmt, 1, (size_t)(pct - fmt), out.f);
		quote(out.f, s, len);
		fputs(pct + 2, out.f);
	} else if (want_json(t, key)) {
		json_strn(&out.j, s, len);
	}
}

void print_tuple(const char *src, unsigned int sport, const char *dst, unsigned int dport,
		 bool v6)
{
	print_string(PRINT_ANY, "src", v6 ? " [%s]" : " %s", src);
	print_uint(PRINT_ANY, "sport", ":%u", sport);
	print_string(PRINT_ANY, "dst", v6 ? " > [%s]" : " > %s", dst);
	print_uint(PRINT_ANY, "dport", ":%u", dport);
}
