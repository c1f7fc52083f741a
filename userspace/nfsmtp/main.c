// SPDX-License-Identifier: GPL-2.0
/*
 * nfsmtp: command line and dispatch.
 *
 *   nfsmtp [-j | -o FORMAT] {policy|stats|monitor|conns} ... [-j | -o FORMAT] [-h]
 *   nfsmtp [-c] -f FILE
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/nf_conntrack_smtp.h>

#include "nfsmtp.h"

static void usage(FILE *f)
{
	fputs("Usage: nfsmtp [-j | -o FORMAT] COMMAND [ARGS...]\n"
	      "       nfsmtp [-c] -f FILE\n"
	      "       nfsmtp {-h | --help | --version}\n"
	      "\n"
	      "Commands:\n"
	      "  policy show [profile N]              the policy, as policy set lines: profile N,\n"
	      "                                       or all profiles and the namespace-wide\n"
	      "                                       profile mark\n"
	      "  policy set [profile N] KEY VALUE...  change the given keys of profile N (0)\n"
	      "  stats                                the helper's counters\n"
	      "  stats reset                          set the counters back to zero\n"
	      "  monitor                              print the helper's events until Ctrl-C\n"
	      "  conns                                conntrack entries using the smtp helper\n"
	      "\n"
	      "Options:\n"
	      "  -f, --file FILE    apply a policy file (\"-\": standard input): lines of\n"
	      "                     policy set [profile N] KEY VALUE..., # comments; all of\n"
	      "                     it or, if a line is bad or refused, nothing\n"
	      "  -c, --check        with -f: check the file only (no module needed)\n"
	      "  -j, --json         print JSON (anywhere on the line)\n"
	      "  -o, --output FMT   text, json, or prometheus (stats: the text exposition\n"
	      "                     format of node_exporter's textfile collector)\n"
	      "  -h, --help         this help; after a command, that command's help\n"
	      "      --version      print the version\n"
	      "\n"
	      "Policy and counters belong to the network namespace nfsmtp runs in; reading\n"
	      "or changing them needs CAP_NET_ADMIN there. Exit status: 0 done, 1 failed,\n"
	      "2 bad usage or a bad line in a policy file. See nfsmtp(8).\n", f);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("nfsmtp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see nfsmtp %s%s--help)\n", cmd ? cmd : "", cmd ? " " : "");
	return NFSMTP_EXIT_USAGE;
}

/* policy's help depends on its subcommand: it asks nfsmtp_wants_help() itself */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, const struct nfsmtp_opts *o);
	void (*usage)(FILE *f);
	bool own_help;
} commands[] = {
	{ "policy", cmd_policy, usage_policy, true },
	{ "stats", cmd_stats, usage_stats, false },
	{ "monitor", cmd_monitor, usage_monitor, false },
	{ "conns", cmd_conns, usage_conns, false },
};

static bool is_help(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help") || !strcmp(s, "help");
}

bool nfsmtp_wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (is_help(argv[i]))
			return true;
	return false;
}

static bool is_json(const char *s)
{
	return !strcmp(s, "-j") || !strcmp(s, "--json");
}

/* -o FORMAT into O; 0, or -1 when FORMAT is none of them */
static int set_output(struct nfsmtp_opts *o, const char *fmt)
{
	if (!fmt)
		return -1;
	o->json = !strcmp(fmt, "json");
	o->prometheus = !strcmp(fmt, "prometheus");
	return o->json || o->prometheus || !strcmp(fmt, "text") ? 0 : -1;
}

static bool is_output(const char *s)
{
	return !strcmp(s, "-o") || !strcmp(s, "--output");
}

static int bad_output(const char *fmt)
{
	if (!fmt)
		return usage_error(NULL, "-o needs a format: text, json or prometheus");
	return usage_error(NULL, "unknown output format \"%s\": use text, json or prometheus", fmt);
}

int main(int argc, char **argv)
{
	struct nfsmtp_opts o = { 0 };
	const char *file = NULL;
	bool check = false;
	int i, n = 0;
	unsigned int c;

	/* options before the command */
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (is_json(argv[i])) {
			o.json = true;
		} else if (is_output(argv[i])) {
			if (set_output(&o, i + 1 < argc ? argv[i + 1] : NULL))
				return bad_output(i + 1 < argc ? argv[i + 1] : NULL);
			i++;
		} else if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--file")) {
			if (i + 1 == argc)
				return usage_error(NULL, "-f needs a file: nfsmtp -f /etc/nfsmtp.conf (\"-\" reads standard input)");
			file = argv[++i];
		} else if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--check")) {
			check = true;
		} else if (is_help(argv[i])) {
			usage(stdout);
			return NFSMTP_EXIT_OK;
		} else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("nfsmtp %s (nf_smtp generic netlink family, version %d)\n",
			       NFSMTP_TOOL_VERSION, NFSMTP_GENL_VERSION);
			return NFSMTP_EXIT_OK;
		} else {
			return usage_error(NULL, "unknown option \"%s\"", argv[i]);
		}
	}
	if (file) {
		if (i < argc)
			return usage_error(NULL, "-f applies a file: nothing may follow it (\"%s\")", argv[i]);
		return policy_file(file, check);
	}
	if (check)
		return usage_error(NULL, "-c checks a policy file: use nfsmtp -c -f FILE");
	if (i == argc) {
		usage(stderr);
		return NFSMTP_EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 == argc) {
			usage(stdout);
			return NFSMTP_EXIT_OK;
		}
		for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
			if (!strcmp(argv[i + 1], commands[c].name)) {
				commands[c].usage(stdout);
				return NFSMTP_EXIT_OK;
			}
		return usage_error(NULL, "no help on \"%s\": the commands are policy, stats, monitor and conns",
				   argv[i + 1]);
	}
	for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (!strcmp(argv[i], commands[c].name))
			break;
	if (c == sizeof(commands) / sizeof(commands[0]))
		return usage_error(NULL, "unknown command \"%s\": the commands are policy, stats, monitor and conns",
				   argv[i]);

	/* -j and -o FORMAT anywhere after the command; the rest are the command's */
	char **args = argv + i + 1;
	int nargs = argc - i - 1;
	for (i = 0; i < nargs; i++) {
		if (is_json(args[i])) {
			o.json = true;
		} else if (is_output(args[i])) {
			if (set_output(&o, i + 1 < nargs ? args[i + 1] : NULL))
				return bad_output(i + 1 < nargs ? args[i + 1] : NULL);
			i++;
		} else {
			args[n++] = args[i];
		}
	}
	if (!commands[c].own_help && nfsmtp_wants_help(n, args)) {
		commands[c].usage(stdout);
		return NFSMTP_EXIT_OK;
	}
	if (o.prometheus && strcmp(commands[c].name, "stats"))
		return usage_error(commands[c].name, "-o prometheus is for nfsmtp stats only");
	return commands[c].fn(n, args, &o);
}
