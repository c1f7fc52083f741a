/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfsmtp: control tool of the nf_conntrack_smtp helper (generic netlink
 * family "nf_smtp"). Each command returns the process exit status.
 */
#ifndef NFSMTP_H
#define NFSMTP_H

#include <stdbool.h>
#include <stdio.h>

#define NFSMTP_TOOL_VERSION "0.1"

enum {
	NFSMTP_EXIT_OK = 0,
	NFSMTP_EXIT_RUNTIME = 1,
	NFSMTP_EXIT_USAGE = 2,
};

struct nfsmtp_opts {
	bool json;		/* -j, -o json */
	bool prometheus;	/* -o prometheus (stats only) */
};

int cmd_policy(int argc, char **argv, const struct nfsmtp_opts *o);
int cmd_stats(int argc, char **argv, const struct nfsmtp_opts *o);
int cmd_monitor(int argc, char **argv, const struct nfsmtp_opts *o);
int cmd_conns(int argc, char **argv, const struct nfsmtp_opts *o);
/* nfsmtp [-c] -f FILE ("-": stdin): check, then apply all or nothing */
int policy_file(const char *path, bool check_only);

void usage_policy(FILE *f);
void usage_policy_show(FILE *f);
void usage_policy_set(FILE *f);
void usage_stats(FILE *f);
void usage_monitor(FILE *f);
void usage_conns(FILE *f);

/* the one help check: is one of the words -h, --help or help? */
bool nfsmtp_wants_help(int argc, char **argv);

/* "nfsmtp: MSG" and a hint at --help; returns NFSMTP_EXIT_USAGE */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* NFSMTP_H */
