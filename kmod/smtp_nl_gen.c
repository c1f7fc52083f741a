// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/nf_smtp.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "smtp_nl_gen.h"

#include <uapi/linux/nf_smtp.h>
#include <linux/nf_conntrack_smtp.h>
#include <linux/nf_conntrack_smtp.h>
#include <linux/nf_conntrack_smtp.h>
#include <linux/nf_conntrack_smtp.h>

/* Global operation policy for nf_smtp */
const struct nla_policy nf_smtp_nl_policy[NFSMTP_A_ACT_SIZE_EXCESS + 1] = {
	[NFSMTP_A_PROFILE] = NLA_POLICY_MAX(NLA_U8, 7),
	[NFSMTP_A_STARTTLS] = NLA_POLICY_MAX(NLA_U8, 1),
	[NFSMTP_A_BANNER] = NLA_POLICY_MAX(NLA_U8, 1),
	[NFSMTP_A_EHLO_MASK] = NLA_POLICY_MASK(NLA_U32, 0xfff),
	[NFSMTP_A_COMMANDS] = NLA_POLICY_MAX(NLA_U8, 2),
	[NFSMTP_A_CMD_LINE_MAX] = NLA_POLICY_MAX(NLA_U16, 8000),
	[NFSMTP_A_RCPT_MAX] = { .type = NLA_U16, },
	[NFSMTP_A_HEADER_LINE_MAX] = NLA_POLICY_MAX(NLA_U16, 8000),
	[NFSMTP_A_BODY_LINE_MAX] = NLA_POLICY_MAX(NLA_U16, 8000),
	[NFSMTP_A_ACT_COMMAND] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_ACT_CMD_LINE] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_ACT_RCPT] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_ACT_HEADER_LINE] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_ACT_BODY_LINE] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_ACT_DUP_HEADER] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_ACT_SMUGGLING] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_ACT_BARE_NEWLINE] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_ACT_INJECTION] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_MARK_MASK] = { .type = NLA_U32, },
	[NFSMTP_A_MARK_SHIFT] = NLA_POLICY_MAX(NLA_U8, 31),
	[NFSMTP_A_ACT_LOST_SYNC] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_ACT_URGENT] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_OUT_OF_ORDER] = NLA_POLICY_MAX(NLA_U8, 1),
	[NFSMTP_A_ACT_TLS_FRAMING] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_ACT_REQUIRE_TLS] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_SENDER_MAX] = NLA_POLICY_MAX(NLA_U16, 8000),
	[NFSMTP_A_ACT_SENDER] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_ACT_SPECIAL_CHAR] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_INVALID_RCPT_MAX] = NLA_POLICY_MAX(NLA_U8, 6),
	[NFSMTP_A_ACT_INVALID_RCPT] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_TO_FIELDS_MAX] = NLA_POLICY_MAX(NLA_U8, 6),
	[NFSMTP_A_ACT_TO_FIELDS] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_HEADER_SECTION_MAX] = { .type = NLA_U32, },
	[NFSMTP_A_ACT_HEADER_SECTION] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_MESSAGE_MAX] = { .type = NLA_U32, },
	[NFSMTP_A_ACT_MESSAGE] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_MAIL_RELAY] = { .type = NLA_NUL_STRING, .len = 1023, },
	[NFSMTP_A_ACT_MAIL_RELAY] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_MIME_ENCODING] = NLA_POLICY_MASK(NLA_U32, 0x3f),
	[NFSMTP_A_ACT_MIME_ENCODING] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_MIME_FILENAME_MAX] = NLA_POLICY_MAX(NLA_U16, 1000),
	[NFSMTP_A_ACT_MIME_FILENAME] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_MIME_FILETYPE] = { .type = NLA_NUL_STRING, .len = 1023, },
	[NFSMTP_A_ACT_MIME_FILETYPE] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_ACT_BDAT_UNJUDGED] = NLA_POLICY_MAX(NLA_U8, 4),
	[NFSMTP_A_SIZE_EXCESS_MAX] = { .type = NLA_U32, },
	[NFSMTP_A_ACT_SIZE_EXCESS] = NLA_POLICY_MAX(NLA_U8, 4),
};

/* Ops table for nf_smtp */
const struct genl_small_ops nf_smtp_nl_ops[4] = {
	{
		.cmd	= NFSMTP_CMD_POLICY_GET,
		.doit	= nf_smtp_nl_policy_get_doit,
		.dumpit	= nf_smtp_nl_policy_get_dumpit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= NFSMTP_CMD_POLICY_SET,
		.doit	= nf_smtp_nl_policy_set_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= NFSMTP_CMD_STATS_GET,
		.doit	= nf_smtp_nl_stats_get_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= NFSMTP_CMD_STATS_RESET,
		.doit	= nf_smtp_nl_stats_reset_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group nf_smtp_nl_mcgrps[] = {
	[NF_SMTP_NLGRP_EVENTS] = { "events", },
};
