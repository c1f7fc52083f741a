#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The envelope checks of Cisco ASA's inspect esmtp, against postfix (the
# server) and swaks (the client), through the gateway:
#  - sender-max (ASA: match sender-address length gt N): a longer MAIL FROM
#    address is dropped (ASA's default action) or reset before postfix reads
#    the line; one of exactly N octets is delivered; the address is read as
#    postfix reads it (blanks after the colon, quoted strings);
#  - special-char (ASA: special-character): | ` $ ; or NUL in a MAIL or RCPT
#    address is reset, dropped or logged; the same bytes in ESMTP parameters
#    (ORCPT=rfc822;...) or in other commands are not addresses;
#  - with the default policy all of it passes untouched, nothing counted.
# Each rule: its counter, its event (nfsmtp monitor), postfix's view.

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
GUARDS_NO_MSGS=1
source "$HERE/guards_lib.sh"

guards_begin 10
monitor_start "$EV" || log "the event monitor did not subscribe"

# local_part N: N octets of local part
local_part() { head -c "$1" /dev/zero | tr '\0' s; }
# sender N: an address of N octets (local part @ example.com)
sender() { echo "$(local_part $(($1 - 12)))@example.com"; }

# asa_swaks NAME ADDR ARGS...: swaks to ADDR in the client namespace, its
# transcript in $TMP/NAME.out; short timeout: a dropped line gets no reply
asa_swaks() {
	local out=$TMP/$1.out addr=$2
	shift 2
	ip netns exec "$client" swaks --server "$addr" --helo client.example.com \
		--timeout $((8 * WAIT_SCALE)) --from alice@example.com --to bob@example.org \
		--body "asa test" "$@" >"$out" 2>&1
}

# postfix_lost_after MARK CMD: postfix logged a connection lost after CMD
# (the last command it read) since MARK
postfix_lost_after() { maillog_wait "$PF" "$1" "lost connection after $2 from"; }

phase "defaults"
counters_save "$TMP/c0"
n=$(mail_count "$PF")
asa_swaks def1 "$S4" --from "$(sender 400)" --to 'a`id`b@example.org'
check "asa: default policy: a 400-octet sender and a backquote recipient are delivered, nothing counted" \
	eval 'mail_wait "$PF" $((n + 1)) && deltas_are "$TMP/c0" sender_too_long=0 special_characters=0 drops=0 resets=0'

phase "sender-max"
policy sender-max 320
counters_save "$TMP/c1"
n=$(mail_count "$PF")
mark=$(maillog_mark "$PF")
asa_swaks snd1 "$S4" --from "$(sender 330)"
rc=$?
check "asa: sender-max 320 (drop, ASA's default): a 330-octet sender is dropped before postfix reads it (ipv4)" \
	eval '[ $rc != 0 ] && deltas_are "$TMP/c1" sender_too_long=1 drops=1 &&
	      events_are "$EV" 1 sender drop MAIL && [ "$(mail_count "$PF")" = $n ] &&
	      ! maillog_since "$PF" "$mark" | grep -q "from=<sss"'

counters_save "$TMP/c2"
asa_swaks snd2 "$S4" --from "$(sender 320)"
check "asa: sender-max 320: a sender of exactly 320 octets is delivered, nothing counted" \
	eval 'mail_wait "$PF" $((n + 1)) && deltas_are "$TMP/c2" sender_too_long=0 drops=0'

policy sender-max 320 sender-action reset
counters_save "$TMP/c3"
mark=$(maillog_mark "$PF")
asa_swaks snd3 "$S6" --from "$(sender 321)"
rc=$?
check "asa: sender-action reset: a 321-octet sender is reset, postfix lost the client after EHLO (ipv6)" \
	eval '[ $rc != 0 ] && deltas_are "$TMP/c3" sender_too_long=1 resets=1 && postfix_lost_after "$mark" EHLO &&
	      events_are "$EV" 1 sender reset MAIL'

# as postfix reads it: blanks after the colon, a quoted local part holding '>' and a blank
counters_save "$TMP/c4"
mark=$(maillog_mark "$PF")
client "$TMP/snd4.out" raw reply 'cmd:EHLO c.example' \
	"cmd:MAIL FROM: \t<\"a> b\"$(local_part 310)@example.com>" 'cmd:QUIT'
check "asa: sender-max: the address read as postfix reads it (blanks after the colon, quoted '>'): reset" \
	eval 'deltas_are "$TMP/c4" sender_too_long=1 resets=1 && postfix_lost_after "$mark" EHLO'
policy sender-max 0 sender-action drop

phase "special-char"
policy special-char reset
counters_save "$TMP/c5"
mark=$(maillog_mark "$PF")
asa_swaks sc1 "$S4" --to '"|touch /tmp/owned"@example.org'
rc=$?
check "asa: special-char reset: RCPT TO a quoted pipe is reset, postfix lost the client after MAIL (ipv4)" \
	eval '[ $rc != 0 ] && deltas_are "$TMP/c5" special_characters=1 resets=1 && postfix_lost_after "$mark" MAIL &&
	      events_are "$EV" 1 special-char reset RCPT'

counters_save "$TMP/c6"
mark=$(maillog_mark "$PF")
asa_swaks sc2 "$S6" --from 'x$(reboot)@example.com'
rc=$?
check "asa: special-char reset: MAIL FROM with \$( is reset before postfix reads it (ipv6)" \
	eval '[ $rc != 0 ] && deltas_are "$TMP/c6" special_characters=1 resets=1 && postfix_lost_after "$mark" EHLO'

# a NUL, the sender sent one byte per segment: the same judgement
policy special-char drop
counters_save "$TMP/c7"
steps=()
for c in M A I L ' ' F R O M : '<' a '\x00' b @ x . t '>' '\r' '\n'; do
	steps+=("send:$c")
done
client "$TMP/sc3.out" --timeout $((8 * WAIT_SCALE)) raw reply 'cmd:EHLO c.example' "${steps[@]}" reply
check "asa: special-char drop: a NUL in the sender, one byte per segment, is dropped" \
	eval 'deltas_are "$TMP/c7" special_characters=1 drops=1 && grep -q "result: timeout" "$TMP/sc3.out"'

policy special-char log
counters_save "$TMP/c8"
n=$(mail_count "$PF")
asa_swaks sc4 "$S4" --to 'a`b@example.org'
check "asa: special-char log: a backquote recipient is delivered, counted once, one event" \
	eval 'mail_wait "$PF" $((n + 1)) && deltas_are "$TMP/c8" special_characters=1 resets=0 drops=0 &&
	      events_are "$EV" 1 special-char log RCPT'

# the same bytes outside an address are no address's
counters_save "$TMP/c9"
client "$TMP/sc5.out" raw reply 'cmd:EHLO c.example' 'cmd:MAIL FROM:<a@example.com>' \
	'cmd:RCPT TO:<b@example.org> NOTIFY=FAILURE ORCPT=rfc822;a|b`c@example.org' \
	'cmd:VRFY |x$y;z' 'cmd:RSET' 'cmd:QUIT'
check "asa: special-char: ORCPT=rfc822;a|b in the parameters and | in VRFY are no addresses: nothing counted" \
	eval 'deltas_are "$TMP/c9" special_characters=0 && grep -q "result: ok" "$TMP/sc5.out" &&
	      grep -q "^S: 250 .*Ok" "$TMP/sc5.out"'
policy special-char off

ktap_finished
