#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# postfix as the real SMTP server of the selftests: a throwaway instance in a
# namespace, from a config directory on the guest's tmpfs, started with
# master -w (seconds faster than `postfix start` under TCG).  Every message
# it accepts is delivered by a pipe transport into DIR/mail/*.eml (dd, not
# tee: tee also writes the message to its stdout, which pipe(8) reads only
# as far as it logs command output; larger messages made tee exit 1 and
# postfix bounced them, though the file was written).
# Source after lib.sh.

# postfix_start NS DIR [banner] [main.cf lines]: STARTTLS with a certificate
# made now; the optional main.cf lines come last and override the defaults.
# POSTFIX_SMTPD_SERVICES, when set, holds the master.cf lines of the smtpd
# services instead of the one on every address (e.g. one per address, with
# -o overrides). The instance is stopped at the end (defer).
postfix_start() {
	local ns=$1 dir=$2 banner=${3:-} extra=${4:-}
	local q=$dir/queue d
	mkdir -p "$dir/etc" "$dir/data" "$dir/mail" "$q"
	# postfix's unprivileged processes must reach their directories
	chmod 0755 "$dir" "$(dirname "$dir")"
	for d in active bounce corrupt defer deferred flush hold incoming private saved trace; do
		mkdir -p "$q/$d"
		chown postfix:root "$q/$d"
		chmod 0700 "$q/$d"
	done
	mkdir -p "$q/maildrop" "$q/public" "$q/pid"
	chown postfix:postdrop "$q/maildrop" "$q/public"
	chmod 1730 "$q/maildrop"
	chmod 2710 "$q/public"
	chown root:root "$q/pid"
	chown postfix:postfix "$dir/data"
	chmod 1777 "$dir/mail"
	if [ ! -f "$dir/etc/key.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mx.example.net" \
			-keyout "$dir/etc/key.pem" -out "$dir/etc/cert.pem" 2>/dev/null || return 1
	fi
	cat >"$dir/etc/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $q
	data_directory = $dir/data
	command_directory = /usr/sbin
	daemon_directory = /usr/lib/postfix/sbin
	meta_directory = /etc/postfix
	shlib_directory = /usr/lib/postfix
	mail_owner = postfix
	setgid_group = postdrop
	myhostname = mx.example.net
	mydomain = example.net
	myorigin = example.net
	inet_interfaces = all
	inet_protocols = all
	mydestination =
	mynetworks = 0.0.0.0/0 [::]/0
	smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
	local_recipient_maps =
	default_transport = savemail
	relay_transport = savemail
	local_transport = savemail
	smtpd_banner = \$myhostname ESMTP ${banner:-Postfix (Debian/GNU)}
	message_size_limit = 52428800
	smtpd_tls_cert_file = $dir/etc/cert.pem
	smtpd_tls_key_file = $dir/etc/key.pem
	smtpd_tls_security_level = may
	smtpd_tls_loglevel = 1
	maillog_file = $dir/maillog
	maillog_file_prefixes = $dir
	biff = no
	append_dot_mydomain = no
	smtpd_delay_reject = yes
	disable_vrfy_command = no
	in_flow_delay = 0
	queue_run_delay = 1s
	minimal_backoff_time = 1s
	EOF
	if [ -n "$extra" ]; then
		# an extra line replaces the default of its key (postfix would
		# warn about the duplicate in every process it starts)
		printf '%s\n' "$extra" | sed -n 's/^\([a-z0-9_]*\)[[:space:]]*=.*/\1/p' |
			while read -r d; do
				sed -i "/^$d[[:space:]]*=/d" "$dir/etc/main.cf"
			done
		printf '%s\n' "$extra" >>"$dir/etc/main.cf"
	fi
	printf '%s\n' "${POSTFIX_SMTPD_SERVICES:-smtp      inet  n       -       n       -       -       smtpd}" \
		>"$dir/etc/master.cf"
	cat >>"$dir/etc/master.cf" <<-EOF
	pickup    unix  n       -       n       60      1       pickup
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	tlsmgr    unix  -       -       n       1000?   1       tlsmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	smtp      unix  -       -       n       -       -       smtp
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	savemail  unix  -       n       n       -       -       pipe
	  flags= user=nobody argv=/usr/bin/dd of=$dir/mail/\${queue_id}.eml bs=65536 status=none
	EOF
	# stopped at the end, even when it does not come up listening
	defer postfix_stop "$ns" "$dir"
	ip netns exec "$ns" /usr/lib/postfix/sbin/master -c "$dir/etc" -w || return 1
	busywait 20000 port_listening "$ns" 25
}

postfix_stop() {
	local ns=$1 dir=$2
	ip netns exec "$ns" /usr/sbin/postfix -c "$dir/etc" stop >/dev/null 2>&1
}

# postfix_mail_count_ge DIR N: N messages or more were delivered
postfix_mail_count_ge() {
	[ "$(ls "$1/mail" | grep -c '\.eml$')" -ge "$2" ]
}

# postfix_wait_mail DIR N [TIMEOUT_MS]: until N messages were delivered (the
# count is taken at every try, not once when busywait is called)
postfix_wait_mail() {
	busywait "${3:-30000}" postfix_mail_count_ge "$1" "$2"
}

# delivered_body FILE: a delivered message as the client sent it: without the
# Received: field postfix prepends, with CRLF line ends again
delivered_body() {
	$PY "$HERE/msgtool.py" body "$1"
}
