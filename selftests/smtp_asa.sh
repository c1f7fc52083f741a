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
#  - invalid-rcpt-max (ASA: invalid-recipients count gt N): postfix refuses
#    unknown users of example.net (local_recipient_maps); swaks tries 20
#    random ones: past N refusals the reply is dropped (the client learns no
#    more), reset, or logged while the mail to the one real user goes;
#  - to-fields-max (ASA: header to-fields count gt N): a second To field
#    from swaks is masked (delivered as an X'd field) or, in a BDAT message
#    whose chunks cut a To name, reset;
#  - header-section-max and message-max (ASA: header length, body length)
#    for DATA: swaks's padded header section dropped, a 30 kB attachment
#    reset, a 10 kB one delivered;
#  - mail-relay (ASA: mail-relay DOMAIN): an RCPT to a domain not listed
#    gets postfix's 500 (its verb masked) while the listed ones in the same
#    session are delivered, or is reset; domains in any case, the percent
#    hack and a quoted '@' (postfix relays both on) refused; a line cut
#    after its verb cannot be masked and is reset, said so;
#  - mime-encoding (ASA: match mime encoding TYPE): messages made by python's
#    email package (multipart, nested message/rfc822 parts, base64, quoted-
#    printable, 8bit) pass byte for byte by default; listed encodings are
#    counted part by part exactly as python's own parser finds them, dropped
#    or reset before the message ends; a field postfix stores only after
#    dropping a stuffed dot, folded and with a comment, is still read;
#  - mime-filetype and mime-filename-max (ASA: match mime filetype, mime
#    filename length gt N): python's non-ASCII .exe name (RFC 2231 %XX) and
#    its 300-octet name (RFC 2231 sections) are dropped while the multipart
#    message's own names pass; names in RFC 2047 words, with trailing dots
#    or split in sections are read as a mail reader decodes them; sections
#    sent out of order (python sorts them: setup.exe) are dropped, python's
#    255-octet non-ASCII .pdf name in 13 sections passes;
#  - size-excess-max (no ASA match: a message larger than its MAIL FROM's
#    SIZE=): python smtplib's own SIZE= holds for a message of dot-stuffed
#    lines (RFC 1870 leaves the dots out), and postfix's as the MTA client
#    (a second postfix in the client namespace); a declared SIZE=1000 for
#    5 kB is reset before the message ends or, by default, logged; a NOOP
#    inside the transaction leaves the size unjudged (counted, logged);
#  - with the default policy all of it passes untouched, nothing counted.
# Each rule: its counter, its event (nfsmtp monitor), postfix's view.

source "$(dirname "$0")/lib.sh"
source "$HERE/postfix.sh"
GUARDS_NO_MSGS=1
source "$HERE/guards_lib.sh"

# example.net is local and knows one user: the others get 550 5.1.1 at RCPT,
# without postfix's error delays and limits (a harvest test makes 20 errors)
guards_begin 39 "mydestination = example.net
local_recipient_maps = inline:{bob@example.net=ok}
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
smtpd_error_sleep_time = 0"
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

# asa_reset_case DESC CMD DELTAS EVENT ADDR SWAKS_ARGS...: one test point:
# swaks to ADDR fails, the counters grew by DELTAS ("name=N ..."), postfix
# lost the client after CMD (it never read the line judged), and EVENT
# ("rule action detail", or empty) was announced once
asa_reset_case() {
	local desc=$1 after=$2 deltas=$3 event=$4 addr=$5 mark rc
	shift 5
	counters_save "$TMP/rc"
	mark=$(maillog_mark "$PF")
	asa_swaks rc "$addr" "$@"
	rc=$?
	# shellcheck disable=SC2086 # DELTAS and EVENT are word lists
	check "$desc" eval '[ $rc != 0 ] && deltas_are "$TMP/rc" '"$deltas"' &&
		postfix_lost_after "$mark" '"$after"' &&
		{ [ -z "$event" ] || events_are "$EV" 1 $event; }'
}

phase "defaults"
counters_save "$TMP/c0"
n=$(mail_count "$PF")
asa_swaks def1 "$S4" --from "$(sender 400)" --to 'a`id`b@example.org'
check "asa: default policy: a 400-octet sender and a backquote recipient are delivered, nothing counted" \
	eval 'mail_wait "$PF" $((n + 1)) && deltas_are "$TMP/c0" sender_too_long=0 special_characters=0 relay_denied=0 drops=0 resets=0'

# twenty addresses nobody has (swaks sends one RCPT each)
harvest=$(for i in $(seq 20); do printf 'u%s@example.net,' "$RANDOM$i"; done)
harvest=${harvest%,}
# refused_seen OUT: the 550s to RCPT in a swaks transcript
refused_seen() { grep -c '^<\*\{0,2\} *550 5.1.1' "$1"; }

counters_save "$TMP/h0"
asa_swaks h0 "$S4" --to "$harvest"
check "asa: default policy: 20 RCPTs to unknown users, postfix refuses each (550), nothing counted" \
	eval '[ "$(refused_seen "$TMP/h0.out")" = 20 ] && deltas_are "$TMP/h0" invalid_recipients=0 drops=0'

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
asa_reset_case "asa: sender-action reset: a 321-octet sender is reset, postfix lost the client after EHLO (ipv6)" \
	EHLO "sender_too_long=1 resets=1" "sender reset MAIL" "$S6" --from "$(sender 321)"

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
asa_reset_case "asa: special-char reset: RCPT TO a quoted pipe is reset, postfix lost the client after MAIL (ipv4)" \
	MAIL "special_characters=1 resets=1" "special-char reset RCPT" "$S4" \
	--to '"|touch /tmp/owned"@example.org'
asa_reset_case "asa: special-char reset: MAIL FROM with \$( is reset before postfix reads it (ipv6)" \
	EHLO "special_characters=1 resets=1" "" "$S6" --from 'x$(reboot)@example.com'

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

phase "invalid-rcpt"
policy invalid-rcpt-max 5
counters_save "$TMP/h1"
asa_swaks h1 "$S4" --to "$harvest"
rc=$?
check "asa: invalid-rcpt-max 5 (drop): the sixth 550 never reaches swaks, the session is dropped (ipv4)" \
	eval '[ $rc != 0 ] && [ "$(refused_seen "$TMP/h1.out")" = 5 ] &&
	      deltas_are "$TMP/h1" invalid_recipients=1 drops=1 && events_are "$EV" 1 invalid-rcpt drop RCPT'

policy invalid-rcpt-max 5 invalid-rcpt-action reset
counters_save "$TMP/h2"
asa_swaks h2 "$S6" --pipeline --to "$harvest"
rc=$?
check "asa: invalid-rcpt-action reset: pipelined RCPTs, the session is reset at the sixth refusal (ipv6)" \
	eval '[ $rc != 0 ] && [ "$(refused_seen "$TMP/h2.out")" -le 5 ] &&
	      deltas_are "$TMP/h2" invalid_recipients=1 resets=1'

policy invalid-rcpt-max 5 invalid-rcpt-action log
counters_save "$TMP/h3"
n=$(mail_count "$PF")
asa_swaks h3 "$S4" --to "$harvest,bob@example.net"
check "asa: invalid-rcpt-action log: 15 refusals over 5 counted, the mail to the real user delivered" \
	eval 'mail_wait "$PF" $((n + 1)) && [ "$(refused_seen "$TMP/h3.out")" = 20 ] &&
	      deltas_are "$TMP/h3" invalid_recipients=15 resets=0 drops=0'
policy invalid-rcpt-max 0 invalid-rcpt-action drop

phase "message checks"
policy to-fields-max 1
counters_save "$TMP/m1"
n=$(mail_count "$PF")
asa_swaks m1 "$S4" --add-header "To: carol@example.org"
check "asa: to-fields-max 1 (mask): swaks's second To field arrives renamed to XX, counted (ipv4)" \
	eval 'mail_wait "$PF" $((n + 1)) && deltas_are "$TMP/m1" to_fields=1 resets=0 &&
	      grep -q "^XX: carol@example.org" "$(mail_newest "$PF")" &&
	      [ "$(grep -c "^To: " "$(mail_newest "$PF")")" = 1 ]'

# BDAT (postfix offers CHUNKING), three To fields, the chunks cut inside "To"
policy to-fields-max 2 to-fields-action reset
printf 'From: a@example.com\r\nTo: 1@example.org\r\nTo: 2@example.org\r\nTo: 3@example.org\r\nSubject: three\r\n\r\nhi\r\n' >"$TMP/to3.eml"
counters_save "$TMP/m2"
client "$TMP/m2.out" session "bdat:$TMP/to3.eml:60,61"
check "asa: to-fields-max 2, reset: a BDAT message whose third To name is cut between chunks is reset" \
	eval 'deltas_are "$TMP/m2" to_fields=1 resets=1 && grep -q "result: reset" "$TMP/m2.out"'
policy to-fields-max 0 to-fields-action mask

policy header-section-max 500
counters_save "$TMP/m3"
n=$(mail_count "$PF")
asa_swaks m3 "$S4" --add-header "X-Pad: $(local_part 600)"
rc=$?
check "asa: header-section-max 500 (drop): swaks's 600-octet header field, the message is never delivered" \
	eval '[ $rc != 0 ] && deltas_are "$TMP/m3" header_section_too_big=1 drops=1 &&
	      [ "$(mail_count "$PF")" = $n ] && events_are "$EV" 1 header-section drop'
policy header-section-max 0

policy message-max 20000 message-action reset
head -c 22500 /dev/urandom >"$TMP/30k.bin"
head -c 7500 /dev/urandom >"$TMP/10k.bin"
counters_save "$TMP/m4"
n=$(mail_count "$PF")
asa_swaks m4 "$S6" --attach @"$TMP/30k.bin"
rc=$?
asa_swaks m5 "$S6" --attach @"$TMP/10k.bin"
check "asa: message-max 20000, reset: a 30 kB message is reset, a 10 kB one delivered (ipv6)" \
	eval '[ $rc != 0 ] && mail_wait "$PF" $((n + 1)) && [ "$(mail_count "$PF")" = $((n + 1)) ] &&
	      deltas_are "$TMP/m4" message_too_big=1 resets=1'
policy message-max 0 message-action drop

phase "mail-relay"
# postfix relays for everyone here: what it refuses below, the gateway refused
out=$(gw_nfsmtp policy set mail-relay 'example.net,x..y' 2>&1)
rc=$?
policy mail-relay 'example.net, Example.ORG.'
counters_save "$TMP/r1"
n=$(mail_count "$PF")
asa_swaks r1 "$S4" --to eve@evil.example
rc1=$?
check "asa: mail-relay example.net,example.org (mask): an RCPT to evil.example gets postfix's 500, nothing delivered, one event (ipv4)" \
	eval '[ $rc != 0 ] && [[ $out == *"bad mail-relay at \"x..y\": "*"empty label"* ]] &&
	      [ $rc1 != 0 ] && grep -q "^<\*\* *500 " "$TMP/r1.out" &&
	      deltas_are "$TMP/r1" relay_denied=1 resets=0 drops=0 &&
	      events_are "$EV" 1 mail-relay mask RCPT && [ "$(mail_count "$PF")" = $n ] &&
	      gw_nfsmtp policy show profile 0 | grep -qx "policy set profile 0 mail-relay example.net,example.org mail-relay-action mask"'

# delivered_to MARK: the recipients postfix delivered to since MARK, sorted
delivered_to() {
	maillog_since "$PF" "$1" | sed -n 's/.* to=<\([^>]*\)>.*status=sent.*/\1/p' | sort | xargs
}
counters_save "$TMP/r2"
mark=$(maillog_mark "$PF")
asa_swaks r2 "$S6" --to "bob@EXAMPLE.net,eve@evil.example,carol@example.org"
busywait 10000 eval '[ "$(delivered_to "$mark" | wc -w)" -ge 2 ]'
log "delivered to: $(delivered_to "$mark"); refused: $(grep "^<\*\*" "$TMP/r2.out" | head -3 | xargs)"
check "asa: mail-relay mask: one session, the listed recipients (any case) delivered, the foreign one refused with 500 (ipv6)" \
	eval 'deltas_are "$TMP/r2" relay_denied=1 resets=0 &&
	      [ "$(grep -c "^<\*\* *500 " "$TMP/r2.out")" = 1 ] &&
	      [ "$(delivered_to "$mark" | tr A-Z a-z)" = "bob@example.net carol@example.org" ]'

# postfix's percent hack would send a%evil.example@example.org on to evil.example,
# and it looks inside quotes: "x@evil.example"@example.net goes to evil.example
# too (postfix said 250 to it when the helper let it through); a path without
# "@" names postfix's own user (bob@example.net: 250)
counters_save "$TMP/r3"
client "$TMP/r3.out" raw reply 'cmd:EHLO c.example' 'cmd:MAIL FROM:<a@example.com>' \
	'cmd:RCPT TO:<a%evil.example@example.org>' 'cmd:RCPT TO:<"x@evil.example"@example.net>' \
	'cmd:RCPT TO:<bob>' 'cmd:QUIT'
codes=$(sed -n "s/^S: \([0-9]*\) .*/\1/p" "$TMP/r3.out" | xargs)
log "replies: $codes"
check "asa: mail-relay: the percent hack and a quoted @ are foreign (500), a path without @ is left to postfix" \
	eval 'deltas_are "$TMP/r3" relay_denied=2 && [ "$codes" = "220 250 250 500 500 250 221" ]'

# the line cut after its verb: that left in the first segment, no mask can reach it
counters_save "$TMP/r4"
mark=$(maillog_mark "$PF")
client "$TMP/r4.out" raw reply 'cmd:EHLO c.example' 'cmd:MAIL FROM:<a@example.com>' \
	'send:RCPT TO:<eve@ev' 'sleep:0.3' 'send:il.example>\r\n' reply
check "asa: mail-relay mask: an RCPT line cut after its verb is reset instead, and logged so" \
	eval 'deltas_are "$TMP/r4" relay_denied=1 resets=1 && events_are "$EV" 1 mail-relay reset RCPT &&
	      grep -q "result: reset" "$TMP/r4.out" && postfix_lost_after "$mark" MAIL'

policy mail-relay-action reset
asa_reset_case "asa: mail-relay-action reset: an RCPT to another domain is reset before postfix reads it (ipv4)" \
	MAIL "relay_denied=1 resets=1" "" "$S4" --to eve@evil.example
policy mail-relay none mail-relay-action mask

phase "mime-encoding"
mkdir -p "$TMP/mime"
$PY "$HERE/msgtool.py" mime "$TMP/mime" || log "the MIME messages were not made"
# enc_count FILE ENC...: how many parts python found with these encodings
enc_count() {
	local f=$1
	shift
	awk -v want=" $* " 'index(want, " " $1 " ") { n += $2 } END { print n + 0 }' "$f.enc"
}
# mail_has TEXT: a delivery has the header line TEXT
mail_has() { [ -n "$(mail_with "$1")" ]; }
counters_save "$TMP/e0"
client "$TMP/e0.out" session "data:$TMP/mime/mixed.eml"
check "asa: mime-encoding none (default): python's multipart message (base64, qp, 8bit, nested message/rfc822) delivered byte for byte" \
	eval 'grep -q "result: ok" "$TMP/e0.out" && busywait 10000 mail_has "Subject: mime mixed" &&
	      subject_delivered_as "mime mixed" "$TMP/mime/mixed.eml" && deltas_are "$TMP/e0" mime_encoding=0'

policy mime-encoding base64,8bit mime-encoding-action log
want=$(enc_count "$TMP/mime/mixed.eml" base64 8bit)
log "python finds $(xargs <"$TMP/mime/mixed.eml.enc") in mixed.eml: $want base64 or 8bit"
counters_save "$TMP/e1"
n=$(mail_count "$PF")
client "$TMP/e1.out" session "data:$TMP/mime/mixed.eml"
check "asa: mime-encoding base64,8bit log: every such part counted as python's parser finds them ($want), delivered (ipv4)" \
	eval '[ "$want" -ge 5 ] && mail_wait "$PF" $((n + 1)) && deltas_are "$TMP/e1" mime_encoding=$want drops=0 &&
	      busywait 3000 events_ge "$EV" 1 mime-encoding log'

policy mime-encoding base64 mime-encoding-action drop
counters_save "$TMP/e2"
n=$(mail_count "$PF")
asa_swaks e2 "$S6" --data @"$TMP/mime/mixed.eml"
rc=$?
check "asa: mime-encoding base64 (drop): swaks sending python's message is dropped at the first base64 part, never delivered (ipv6)" \
	eval '[ $rc != 0 ] && deltas_are "$TMP/e2" mime_encoding=1 drops=1 &&
	      events_are "$EV" 1 mime-encoding drop base64 && [ "$(mail_count "$PF")" = $n ]'

policy mime-encoding quoted-printable,others mime-encoding-action reset
counters_save "$TMP/e3"
n=$(mail_count "$PF")
client "$TMP/e3.out" session "data:$TMP/mime/qp.eml"
client "$TMP/e4.out" session "data:$TMP/mime/plain.eml"
check "asa: mime-encoding quoted-printable,others reset: a qp message is reset, a 7bit and 8bit one delivered" \
	eval 'grep -q "result: reset" "$TMP/e3.out" && grep -q "result: ok" "$TMP/e4.out" &&
	      mail_wait "$PF" $((n + 1)) && [ "$(mail_count "$PF")" = $((n + 1)) ] &&
	      deltas_are "$TMP/e3" mime_encoding=1 resets=1 && busywait 10000 mail_has "Subject: mime plain"'

# postfix drops the stuffed dot: it stores "Content-Transfer-Encoding:" with a
# folded, commented value; a reader decodes base64
policy mime-encoding base64 mime-encoding-action log
counters_save "$TMP/e5"
n=$(mail_count "$PF")
client "$TMP/e5.out" raw reply 'cmd:EHLO c.example' 'cmd:MAIL FROM:<a@example.com>' \
	'cmd:RCPT TO:<bob@example.org>' 'cmd:DATA' \
	'send:Subject: stuffed\r\n.Content-Transfer-Encoding:\r\n (note) BASE64\r\n\r\naGk=\r\n.\r\n' \
	reply 'cmd:QUIT'
check "asa: mime-encoding: a dot-stuffed, folded, commented field postfix stores as Content-Transfer-Encoding is read" \
	eval 'mail_wait "$PF" $((n + 1)) && deltas_are "$TMP/e5" mime_encoding=1 &&
	      grep -q "^Content-Transfer-Encoding:" "$(mail_with "Subject: stuffed")"'
policy mime-encoding none mime-encoding-action drop

phase "mime-filetype and mime-filename-max"
# mime_drop_case DESC DROPPED DELIVERED DELTAS...: python's message DROPPED
# never gets its 250, DELIVERED (sent next) is the one delivery, the
# counters grew by DELTAS
mime_drop_case() {
	local desc=$1 dropped=$2 delivered=$3 n deltas
	shift 3
	deltas="$*"
	counters_save "$TMP/md"
	n=$(mail_count "$PF")
	client "$TMP/md1.out" session "data:$TMP/mime/$dropped.eml"
	client "$TMP/md2.out" session "data:$TMP/mime/$delivered.eml"
	# shellcheck disable=SC2086 # DELTAS is a word list
	check "$desc" eval '! grep -q "result: ok" "$TMP/md1.out" && grep -q "result: ok" "$TMP/md2.out" &&
		mail_wait "$PF" $((n + 1)) && [ "$(mail_count "$PF")" = $((n + 1)) ] &&
		deltas_are "$TMP/md" $deltas'
}
policy mime-filetype exe,scr,js,vbs
mime_drop_case "asa: mime-filetype exe,scr,js,vbs (drop): python's non-ASCII .exe name (RFC 2231 %XX) is dropped, the multipart message's names pass" \
	exe mixed mime_filetype=1 drops=1
check "asa: mime-filetype drop: exactly one event (rule mime-filetype, action drop, detail filename)" \
	events_are "$EV" 1 mime-filetype drop filename
check "asa: python reads setup.exe from sections sent as *0, *2, *1" \
	grep -qx setup.exe "$TMP/mime/shuffled.eml.names"
mime_drop_case "asa: mime-filetype drop: RFC 2231 sections out of order are dropped, python's 255-octet .pdf name in 13 sections passes" \
	shuffled cjk mime_filetype=1 drops=1

policy mime-filetype none mime-filename-max 255
mime_drop_case "asa: mime-filename-max 255 (drop, ASA's default): python's 300-octet name in five RFC 2231 sections is dropped, shorter names pass" \
	long mixed mime_filename_too_long=1 drops=1
policy mime-filename-max 0

# names as a reader decodes them: an RFC 2047 word, trailing dots, RFC 2231 sections
policy mime-filetype exe,scr,js mime-filetype-action log
counters_save "$TMP/f5"
n=$(mail_count "$PF")
client "$TMP/f5.out" raw reply 'cmd:EHLO c.example' 'cmd:MAIL FROM:<a@example.com>' \
	'cmd:RCPT TO:<bob@example.org>' 'cmd:DATA' \
	'send:Subject: names\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/x; name="=?utf-8?B?ZXZpbC5leGU=?="\r\n\r\nx\r\n--b\r\nContent-Disposition: attachment; filename="a.scr. "\r\n\r\nx\r\n--b\r\nContent-Disposition: attachment; filename*0*=utf-8'"''"'a%2E;\r\n filename*1=js\r\n\r\nx\r\n--b\r\nContent-Disposition: attachment; filename="a.exe.txt"\r\n\r\nx\r\n--b--\r\n.\r\n' \
	reply 'cmd:QUIT'
check "asa: mime-filetype log: a base64 RFC 2047 name, a name with trailing dots and one in RFC 2231 sections each counted, a.exe.txt not; delivered" \
	eval 'mail_wait "$PF" $((n + 1)) && deltas_are "$TMP/f5" mime_filetype=3 drops=0 resets=0'
policy mime-filetype none mime-filetype-action drop

phase "size-excess"
# smtplib declares SIZE= as its message's length (CRLF line ends): RFC 1870's
# size, without the dot smtplib then adds to each of these 60 lines
# size_msg NAME: $TMP/NAME.eml, about 5 kB, Subject NAME
size_msg() {
	{
		printf 'From: alice@example.com\r\nTo: bob@example.org\r\nSubject: %s\r\n\r\n' "$1"
		for i in $(seq 60); do printf '.line %03d %s\r\n' "$i" "$(local_part 70)"; done
	} >"$TMP/$1.eml"
}
# size_send NAME ADDR ARGS...: smtp_send.py (smtplib) with message NAME
size_send() {
	local name=$1 addr=$2
	shift 2
	[ -f "$TMP/$name.eml" ] || size_msg "$name"
	ip netns exec "$client" $PY "$HERE/smtp_send.py" --server "$addr" --msg "$TMP/$name.eml" \
		"$@" >"$TMP/$name.out" 2>&1
}
policy size-excess-max 1 size-excess-action reset
counters_save "$TMP/z1"
n=$(mail_count "$PF")
size_send size_ok "$S4"
rc=$?
check "asa: size-excess-max 1 (reset): smtplib's own SIZE= for a 5 kB message of 60 dot-stuffed lines holds, delivered byte for byte (ipv4)" \
	eval '[ $rc = 0 ] && mail_wait "$PF" $((n + 1)) && subject_delivered_as size_ok "$TMP/size_ok.eml" &&
	      deltas_are "$TMP/z1" size_excess=0 size_unjudged=0 resets=0'

# postfix as the MTA client: smtplib hands it the message on its own
# loopback, it relays to $S4 through the gateway declaring its queue file's
# size; it logs its SMTP dialogue with the server (debug_peer_list)
PFC=$TMP/pfc
mkdir -p "$PFC/etc"
cp "$PF/etc/key.pem" "$PF/etc/cert.pem" "$PFC/etc/"
# the fields postfix would add for a client on its own interfaces are there
{
	printf 'From: alice@example.com\r\nTo: bob@example.org\r\nSubject: size_pf\r\n'
	printf 'Date: Mon, 7 Dec 2026 08:00:00 +0000\r\nMessage-ID: <size-pf@example.com>\r\n\r\n'
	for i in $(seq 60); do printf '.line %03d %s\r\n' "$i" "$(local_part 70)"; done
	for i in $(seq 400); do printf 'body %04d %s\r\n' "$i" "$(local_part 130)"; done
} >"$TMP/size_pf.eml"
counters_save "$TMP/z5"
if postfix_start "$client" "$PFC" "" "inet_interfaces = loopback-only
myhostname = relay.example.com
mydomain = example.com
myorigin = example.com
default_transport = smtp
relay_transport = smtp
relayhost = [$S4]
debug_peer_list = $S4
debug_peer_level = 2"; then
	ip netns exec "$client" $PY "$HERE/smtp_send.py" --server 127.0.0.1 --msg "$TMP/size_pf.eml" \
		>"$TMP/size_pf.out" 2>&1
	mail_wait "$PF" $((n + 2))
	declared=$(sed -n 's/.*: MAIL FROM:<alice@example.com> SIZE=\([0-9]*\).*/\1/p' "$PFC/maillog" |
		tail -1)
	log "postfix declared SIZE=${declared:-none}; the message it sent: $(wc -c <"$(mail_with "Subject: size_pf")" 2>/dev/null) octets stored"
fi
check "asa: size-excess-max 1 (reset): postfix as the MTA client declares its queue file's size, its 60 kB message holds and arrives byte for byte" \
	eval '[ -n "$declared" ] && subject_delivered_as size_pf "$TMP/size_pf.eml" 2 &&
	      deltas_are "$TMP/z5" size_excess=0 size_unjudged=0 resets=0'
n=$((n + 1))

counters_save "$TMP/z2"
mark=$(maillog_mark "$PF")
size_send size_lie "$S6" --declare-size 1000
rc=$?
check "asa: size-excess-max 1, reset: a client that declares SIZE=1000 for the 5 kB message is reset before its end, postfix delivers nothing (ipv6)" \
	eval '[ $rc != 0 ] && deltas_are "$TMP/z2" size_excess=1 resets=1 &&
	      events_are "$EV" 1 size-excess reset &&
	      maillog_wait "$PF" "$mark" "lost connection after DATA" &&
	      [ "$(mail_count "$PF")" = $((n + 1)) ] && [ -z "$(mail_with "Subject: size_lie")" ]'

policy size-excess-max 1 size-excess-action log
counters_save "$TMP/z3"
size_msg size_log
size_send size_log "$S4" --declare-size "$(($(wc -c <"$TMP/size_log.eml") - 2))"
rc=$?
check "asa: size-excess-action log (default): SIZE= declared 2 octets short is over by more than 1: delivered, counted and logged once" \
	eval '[ $rc = 0 ] && mail_wait "$PF" $((n + 2)) && deltas_are "$TMP/z3" size_excess=1 resets=0 drops=0 &&
	      events_are "$EV" 1 size-excess log'

# NOOP inside the transaction: the transaction form cannot hold it beside the size
counters_save "$TMP/z4"
client "$TMP/z4.out" raw reply 'cmd:EHLO c.example' 'cmd:MAIL FROM:<alice@example.com> SIZE=10' \
	'cmd:RCPT TO:<bob@example.org>' 'cmd:NOOP' 'cmd:DATA' \
	'send:Subject: size_unjudged\r\n\r\nforty octets of text, more than ten.\r\n.\r\n' reply 'cmd:QUIT'
check "asa: size-excess-max: a SIZE= not held to its message (NOOP inside the transaction) is counted size_unjudged and logged, the message delivered" \
	eval 'mail_wait "$PF" $((n + 3)) && grep -q "result: ok" "$TMP/z4.out" &&
	      deltas_are "$TMP/z4" size_unjudged=1 size_excess=0 resets=0 &&
	      events_are "$EV" 1 size-excess log size-unjudged'
policy size-excess-max 0 size-excess-action log

ktap_finished
