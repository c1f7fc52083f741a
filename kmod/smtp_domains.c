// SPDX-License-Identifier: GPL-2.0
/*
 * The mail-relay domain set: built from its text when the policy is set
 * (netlink, the unit tests) and printed back; the parser matches against
 * it (smtp_parser_client.c).  Part of the parser's layer: no allocation, no
 * kernel-only call.
 */
#include "smtp_parser.h"

/* Bytes a listed name may hold: a host name's, '_' and an address literal's. */
static bool domain_char(u8 c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_' || c == '[' || c == ']' || c == ':' || c >= 0x80;
}

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

int smtp_domains_build(struct smtp_domains *set, const char *text, size_t len,
		       const char **err, size_t *bad)
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
		if (n > 1 && text[start + n - 1] == '.')
			n--;	/* "example.net." is example.net */
		if (set->n == SMTP_DOMAINS_MAX) {
			*err = "too many domains: at most 32";
			return -1;
		}
		if (n > SMTP_DOMAIN_LEN_MAX) {
			*err = "a domain is longer than 255 octets";
			return -1;
		}
		if (used + n > sizeof(set->name)) {
			*err = "the domains are longer than 1023 octets together";
			return -1;
		}
		for (k = 0; k < n; k++) {
			u8 c = (u8)text[start + k];
			bool empty;

			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			/* and no empty label: no '.' first, last or after a '.' */
			empty = c == '.' &&
				(k == 0 || k == n - 1 || set->name[used + k - 1] == '.');
			if (!domain_char(c) || empty) {
				*err = "a domain holds a byte no domain has, or an empty label";
				return -1;
			}
			set->name[used + k] = (char)c;
		}
		set->off[set->n] = (u16)used;
		set->len[set->n] = (u8)n;
		used += n;
		/* insertion sort: at most 32 names, set from the control plane */
		for (j = set->n++; j > 0 && domain_cmp(set, j - 1, j) >= 0; j--) {
			u16 off = set->off[j];
			u8 l = set->len[j];

			if (!domain_cmp(set, j - 1, j)) {
				*err = "a domain is listed twice";
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
