// SPDX-License-Identifier: GPL-2.0
/*
 * The sets of names the parser matches as bytes stream by: mail-relay's
 * domains and mime-filetype's file name extensions.  Built from their text
 * when the policy is set (netlink, the unit tests) and printed back; the
 * parser narrows a range of them per octet (smtp_set_narrow()).  Part of the
 * parser's layer: no allocation, no kernel-only call.
 */
#include "smtp_parser.h"

/* Bytes a listed name may hold: a host name's, '_' and an address literal's. */
static bool domain_char(u8 c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_' || c == '[' || c == ']' || c == ':' || c >= 0x80;
}

/* An extension's bytes: a file name's, but no dot, blank or quote */
static bool filetype_char(u8 c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '~' || c == '+' || c == '!' || c == '#' || c == '$' ||
	       c >= 0x80;
}

/* What a set holds: the limits and the texts of its refusals */
struct set_kind {
	bool domains;
	unsigned int len_max;
	const char *too_many, *too_long, *bad_byte, *twice;
};

static const struct set_kind domain_kind = {
	.domains = true, .len_max = SMTP_DOMAIN_LEN_MAX,
	.too_many = "too many domains: at most 32",
	.too_long = "a domain is longer than 255 octets",
	.bad_byte = "a domain holds a byte no domain has, or an empty label",
	.twice = "a domain is listed twice",
};

static const struct set_kind filetype_kind = {
	.len_max = SMTP_FILETYPE_LEN_MAX,
	.too_many = "too many file types: at most 32",
	.too_long = "a file type is longer than 15 octets",
	.bad_byte = "a file type holds a dot, a blank or a byte no file name ends in",
	.twice = "a file type is listed twice",
};

static bool list_sep(char c)
{
	return c == ',' || smtp_is_blank((u8)c);
}

/* a before b: bytes first, then the shorter (a name before names it begins) */
static int domain_cmp(const struct smtp_domains *set, unsigned int a, unsigned int b)
{
	unsigned int la = set->len[a], lb = set->len[b];
	int d = memcmp(set->name + set->off[a], set->name + set->off[b], la < lb ? la : lb);

	return d ? d : (int)la - (int)lb;
}

/* a name's bytes are the kind's; domains: no empty label (no '.' first, last or twice) */
static bool name_ok(const struct set_kind *kind, const char *name, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++) {
		u8 c = (u8)name[k];

		if (!kind->domains) {
			if (!filetype_char(c))
				return false;
		} else if (!domain_char(c) ||
			   (c == '.' && (k == 0 || k == n - 1 || name[k - 1] == '.'))) {
			return false;
		}
	}
	return true;
}

static int set_build(struct smtp_domains *set, const struct set_kind *kind,
		     const char *text, size_t len, const char **err, size_t *bad)
{
	size_t i = 0, used = 0;
	unsigned int j, k;

	memset(set, 0, sizeof(*set));
	while (i < len && text[i]) {
		size_t start, n;

		while (i < len && text[i] && list_sep(text[i]))
			i++;
		start = i;
		while (i < len && text[i] && !list_sep(text[i]))
			i++;
		n = i - start;
		*bad = start;
		if (!n)
			break;
		if (kind->domains && n > 1 && text[start + n - 1] == '.')
			n--;	/* "example.net." is example.net */
		if (!kind->domains && n > 1 && text[start] == '.') {
			start++;	/* ".exe" is exe */
			n--;
		}
		if (set->n == SMTP_DOMAINS_MAX) {
			*err = kind->too_many;
			return -1;
		}
		if (n > kind->len_max) {
			*err = kind->too_long;
			return -1;
		}
		if (used + n > sizeof(set->name)) {
			*err = "the names are longer than 1023 octets together";
			return -1;
		}
		for (k = 0; k < n; k++) {
			u8 c = (u8)text[start + k];

			set->name[used + k] = (char)(c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c);
		}
		if (!name_ok(kind, set->name + used, (unsigned int)n)) {
			*err = kind->bad_byte;
			return -1;
		}
		set->off[set->n] = (u16)used;
		set->len[set->n] = (u8)n;
		used += n;
		/* insertion sort: at most 32 names, set from the control plane */
		for (j = set->n++; j > 0 && domain_cmp(set, j - 1, j) >= 0; j--) {
			u16 off = set->off[j];
			u8 l = set->len[j];

			if (!domain_cmp(set, j - 1, j)) {
				*err = kind->twice;
				return -1;
			}
			set->off[j] = set->off[j - 1];
			set->len[j] = set->len[j - 1];
			set->off[j - 1] = off;
			set->len[j - 1] = l;
		}
	}
	return 0;
}

int smtp_domains_build(struct smtp_domains *set, const char *text, size_t len,
		       const char **err, size_t *bad)
{
	return set_build(set, &domain_kind, text, len, err, bad);
}

int smtp_filetypes_build(struct smtp_domains *set, const char *text, size_t len,
			 const char **err, size_t *bad)
{
	return set_build(set, &filetype_kind, text, len, err, bad);
}

size_t smtp_domains_format(const struct smtp_domains *set, char *buf, size_t size)
{
	size_t used = 0;
	unsigned int i;

	for (i = 0; i < set->n; i++) {
		if (used + !!i + set->len[i] >= size)
			break;	/* the caller's buffer is short: the names that fit */
		if (i)
			buf[used++] = ',';
		memcpy(buf + used, set->name + set->off[i], set->len[i]);
		used += set->len[i];
	}
	if (size)
		buf[used] = '\0';
	return used;
}
