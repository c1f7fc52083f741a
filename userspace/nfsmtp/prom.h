/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfsmtp stats -o prometheus: the counters in the Prometheus text exposition
 * format (version 0.0.4), as node_exporter's textfile collector reads it,
 * and the namespace label. No netlink here: the unit tests link this alone.
 */
#ifndef NFSMTP_PROM_H
#define NFSMTP_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * One metric family per counter: "# HELP", "# TYPE ... counter" and one
 * sample nfsmtp_NAME_total{netns="NETNS"} VALUE, for each counter I below N
 * with HAVE[I]. Counters this tool has no name for are nfsmtp_stat_I_total.
 */
void nfsmtp_prom_write(FILE *f, const char *netns, const bool *have, const uint64_t *v,
		       unsigned int n);

/*
 * The netns label of the network namespace SELF (a path like
 * /proc/self/ns/net): the name of the entry of RUN_NETNS (/run/netns) that
 * is the same namespace, as `ip netns identify` prints it; else "init" when
 * it is the namespace of INIT (/proc/1/ns/net); else "net:[INODE]", as
 * readlink shows a namespace. 0, or -1 when SELF cannot be read.
 */
int nfsmtp_netns_label(const char *self, const char *run_netns, const char *init,
		       char *buf, size_t len);

#endif /* NFSMTP_PROM_H */
