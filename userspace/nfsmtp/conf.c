// SPDX-License-Identifier: GPL-2.0
/*
 * nfsmtp: policy files, parsed with the command line's own parser
 * (nfsmtp_parse_set) and merged per profile. See conf.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "print.h"

#define BLANKS " \t\r\v\f"

int nfsmtp_conf_init(struct nfsmtp_conf *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->v = calloc((size_t)NFSMTP_CONF_ROWS * nfsmtp_n_keys, sizeof(*c->v));
	return c->v ? 0 : -1;
}

void nfsmtp_conf_free(struct nfsmtp_conf *c)
{
	free(c->v);
	c->v = NULL;
}

const struct nfsmtp_conf_val *nfsmtp_conf_get(const struct nfsmtp_conf *c,
					      unsigned int row, unsigned int k)
{
	if (row >= NFSMTP_CONF_ROWS || k >= nfsmtp_n_keys)
		return NULL;
	return &c->v[row * nfsmtp_n_keys + k];
}

bool nfsmtp_conf_row_used(const struct nfsmtp_conf *c, unsigned int row)
{
	return row < NFSMTP_CONF_ROWS && c->first_line[row] != 0;
}

int nfsmtp_conf_line(struct nfsmtp_conf *c, char *text, unsigned int lineno,
		     char *err, size_t errlen)
{
	struct nfsmtp_set_req req;
	char *words[2 * 64 + 8], *p, *save = NULL;
	unsigned int i;
	int n = 0;

	/* a comment runs from # to the end of the line: no word holds a # */
	p = strchr(text, '#');
	if (p)
		*p = '\0';
	for (p = strtok_r(text, BLANKS, &save); p; p = strtok_r(NULL, BLANKS, &save)) {
		if (n == (int)(sizeof(words) / sizeof(words[0]))) {
			snprintf(err, errlen, "too many words: split it into several policy set lines");
			return -1;
		}
		words[n++] = p;
	}
	if (n == 0)
		return 0;	/* blank or comment */
	if (strcmp(words[0], "policy") || n < 2 || strcmp(words[1], "set")) {
		if (!strcmp(words[0], "policy") && n >= 2)
			snprintf(err, errlen, "\"policy %s\" does not belong in a policy file: its lines are \"policy set [profile N] KEY VALUE...\"",
				 words[1]);
		else
			snprintf(err, errlen, "\"%s\" is not a policy line: use \"policy set [profile N] KEY VALUE...\"",
				 words[0]);
		return -1;
	}
	if (nfsmtp_parse_set(n - 2, words + 2, &req, err, errlen))
		return -1;
	if (req.profile >= NFSMTP_PROFILES) {
		snprintf(err, errlen, "bad profile \"%d\": the kernel has profiles 0 to %d",
			 req.profile, NFSMTP_PROFILES - 1);
		return -1;
	}
	/* merge: a later line overrides an earlier one, as if applied in order */
	for (i = 0; i < req.n; i++) {
		const struct nfsmtp_key *k = req.s[i].key;
		unsigned int row = k->per_ns ? NFSMTP_CONF_NS : req.profile < 0 ? 0 : (unsigned int)req.profile;
		struct nfsmtp_conf_val *v = &c->v[row * nfsmtp_n_keys + (unsigned int)(k - nfsmtp_keys)];

		v->set = true;
		v->value = req.s[i].value;
		v->line = lineno;
		if (!c->first_line[row])
			c->first_line[row] = lineno;
	}
	c->policy_lines++;
	return 0;
}

int nfsmtp_conf_read(struct nfsmtp_conf *c, FILE *in, FILE *errf)
{
	char err[1024];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int bad = 0;

	errno = 0;
	while ((len = getline(&line, &cap, in)) >= 0) {
		c->lines++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (strlen(line) != (size_t)len) {
			snprintf(err, sizeof(err), "a NUL byte: a policy file is text");
		} else if (!nfsmtp_conf_line(c, line, c->lines, err, sizeof(err))) {
			continue;
		}
		fprintf(errf, "nfsmtp: %s:%u: %s\n", c->name, c->lines, err);
		bad++;
	}
	free(line);
	if (ferror(in)) {
		fprintf(errf, "nfsmtp: %s: cannot read it: %s\n", c->name,
			strerror(errno ? errno : EIO));
		return -1;
	}
	return bad;
}

/* " KEY VALUE" in text, "json_key":VALUE in JSON */
static void print_key(const struct nfsmtp_key *k, uint32_t v)
{
	char buf[256];
	unsigned int b;
	const char *s;
	size_t len;

	print_string(PRINT_FP, NULL, " %s", k->name);
	switch (k->type) {
	case NFSMTP_KT_FLAGS:
		/* text: none, all or a list; JSON: an array of names */
		nfsmtp_format_value(k, v, buf, sizeof(buf));
		print_string(PRINT_FP, NULL, " %s", buf);
		open_json_array(k->json);
		for (b = 0; b < 32; b++) {
			if (!(v & (1U << b)))
				continue;
			if (b < k->n_names) {
				print_string(PRINT_JSON, NULL, NULL, k->names[b]);
			} else {
				snprintf(buf, sizeof(buf), "bit%u", b);
				print_string(PRINT_JSON, NULL, NULL, buf);
			}
		}
		close_json_array();
		break;
	case NFSMTP_KT_DOMAINS:
		/* text: none or the list; JSON: an array of names */
		print_string(PRINT_FP, NULL, " %s", *nfsmtp_text(v) ? nfsmtp_text(v) : "none");
		open_json_array(k->json);
		for (s = nfsmtp_text(v); *s; s += len + (s[len] == ',')) {
			len = strcspn(s, ",");
			snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
			print_string(PRINT_JSON, NULL, NULL, buf);
		}
		close_json_array();
		break;
	case NFSMTP_KT_ENUM:
	case NFSMTP_KT_ACTION:
		if (v < k->n_names && k->names[v])
			print_string(PRINT_ANY, k->json, " %s", k->names[v]);
		else
			print_uint(PRINT_ANY, k->json, " %u", v);	/* newer kernel than tool */
		break;
	default:
		print_uint(PRINT_ANY, k->json, k->hex ? " 0x%x" : " %u", v);
	}
}

void nfsmtp_policy_print(const struct nfsmtp_profile_vals *p, unsigned int n)
{
	unsigned int i, j, line;
	bool any = false, open;

	open_json_object(NULL);
	for (i = 0; n && i < nfsmtp_n_keys; i++) {
		const struct nfsmtp_key *k = &nfsmtp_keys[i];

		if (!k->per_ns || !p[0].have[k->attr])
			continue;
		if (!any)
			print_string(PRINT_FP, NULL, "%s", "policy set");
		print_key(k, p[0].v[k->attr]);
		any = true;
	}
	if (any)
		print_nl();
	open_json_array("profiles");
	for (j = 0; j < n; j++) {
		if (any || j)
			print_nl();
		open_json_object(NULL);
		print_uint(PRINT_JSON, "profile", NULL, (unsigned int)p[j].profile);
		/* a text line per group: the table keeps each group's keys together */
		for (i = 0, line = 0, open = false; i < nfsmtp_n_keys; i++) {
			const struct nfsmtp_key *k = &nfsmtp_keys[i];

			if (k->per_ns || !p[j].have[k->attr])
				continue;
			if (open && k->line != line) {
				print_nl();
				open = false;
			}
			if (!open)
				print_uint(PRINT_FP, NULL, "policy set profile %u",
					   (unsigned int)p[j].profile);
			line = k->line;
			open = true;
			print_key(k, p[j].v[k->attr]);
		}
		if (open)
			print_nl();
		close_json_object();
	}
	close_json_array();
	close_json_object();
}
