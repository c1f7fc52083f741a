// SPDX-License-Identifier: GPL-2.0
/*
 * nfsmtp: the Prometheus text format of the counters. See prom.h.
 */
#include <dirent.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "keys.h"
#include "prom.h"

/* a label value: backslash, double quote and newline escaped */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

void nfsmtp_prom_write(FILE *f, const char *netns, const bool *have, const uint64_t *v,
		       unsigned int n)
{
	char name[64];
	unsigned int i;

	for (i = 0; i < n; i++) {
		const char *help = NULL;

		if (!have[i])
			continue;
		if (i < __NFSMTP_STAT_MAX && nfsmtp_stat_names[i]) {
			snprintf(name, sizeof(name), "nfsmtp_%s_total", nfsmtp_stat_names[i]);
			help = nfsmtp_stat_help[i];
		} else {
			snprintf(name, sizeof(name), "nfsmtp_stat_%u_total", i + 1);
		}
		/* help texts are ours: no backslash, no newline to escape */
		if (help)
			fprintf(f, "# HELP %s %s\n", name, help);
		else
			fprintf(f, "# HELP %s nf_conntrack_smtp counter %u (newer than this nfsmtp).\n",
				name, i + 1);
		fprintf(f, "# TYPE %s counter\n%s{netns=\"", name, name);
		label_value(f, netns);
		fprintf(f, "\"} %" PRIu64 "\n", v[i]);
	}
}

static bool same_file(const struct stat *a, const char *path)
{
	struct stat b;

	return !stat(path, &b) && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

int nfsmtp_netns_label(const char *self, const char *run_netns, const char *init,
		       char *buf, size_t len)
{
	char path[4096], best[256];
	struct dirent *d;
	struct stat st;
	DIR *dir;

	if (stat(self, &st))
		return -1;
	/* several names for one namespace: the first in byte order, every time */
	best[0] = '\0';
	dir = opendir(run_netns);
	if (dir) {
		while ((d = readdir(dir))) {
			if (d->d_name[0] == '.' || strlen(d->d_name) >= sizeof(best))
				continue;
			snprintf(path, sizeof(path), "%s/%s", run_netns, d->d_name);
			if (same_file(&st, path) && (!best[0] || strcmp(d->d_name, best) < 0))
				snprintf(best, sizeof(best), "%s", d->d_name);
		}
		closedir(dir);
	}
	if (best[0])
		snprintf(buf, len, "%s", best);
	else if (init && same_file(&st, init))
		snprintf(buf, len, "init");
	else
		snprintf(buf, len, "net:[%ju]", (uintmax_t)st.st_ino);
	return 0;
}
