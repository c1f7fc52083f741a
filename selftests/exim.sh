#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# exim 4.96 in the selftests, as an MTA client (smtp_bdat.sh,
# smtp_tls_guard.sh) and as a server (smtp_differential.sh): its binary is
# unpacked (not installed: it would replace postfix) by
# scripts/install-deps.sh. exim_conf is the one place that writes an exim
# configuration. Source after lib.sh; exim_setup and exim_send need TMP,
# client and S4.

EXIM=${NFSMTP_EXIM:-${NFSMTP_CACHE:-/var/cache/nf-smtp}/exim4/usr/sbin/exim4}

# exim_dirs DIR: DIR/spool and DIR/log for exim's user, which exists in the
# test VM's throwaway /etc only (made here on first use)
exim_dirs() {
	local dir=$1
	[ -x "$EXIM" ] || { log "no exim4 at $EXIM: run make deps"; return 1; }
	if ! getent passwd Debian-exim >/dev/null; then
		[ "${NFSMTP_IN_VM:-}" = 1 ] ||
			{ log "no Debian-exim user (created only inside the test VM)"; return 1; }
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			Debian-exim || return 1
	fi
	mkdir -p "$dir/spool" "$dir/log"
	chown Debian-exim:Debian-exim "$dir/spool" "$dir/log"
}

# exim_conf client|server DIR [--OPTION VALUE]...: DIR/exim.conf, spool and
# logs in DIR. Both roles: --name HOSTNAME (client relay.example.com,
# server mx.example.net).
#  client: relays every message to one host, a message per connection:
#   --host ADDR ($S4), --avoid-tls HOSTS (*; empty: STARTTLS where offered)
#  server: a daemon that takes everything and discards it, as tolerant of
#  odd clients as exim lets it be, STARTTLS with DIR/cert.pem and
#  DIR/key.pem (the caller puts them there), pid file DIR/exim.pid:
#   --listen 'ADDR ; ADDR' (local_interfaces), --port P (25),
#   --nochunk HOST (the one client not offered CHUNKING)
exim_conf() {
	local role=$1 dir=$2 name host=${S4:-} avoid_tls='*' listen='' port=25 nochunk='' chunk='*'
	shift 2
	case $role in
	client) name=relay.example.com ;;
	server) name=mx.example.net ;;
	*) log "exim_conf: role client or server, not $role"; return 1 ;;
	esac
	take_opts exim_conf "name host avoid-tls listen port nochunk" "$@" || return 1
	[ -n "$nochunk" ] && chunk="! $nochunk : *"
	{
		printf '%s\n' "exim_path = $EXIM" "primary_hostname = $name" \
			"spool_directory = $dir/spool" "log_file_path = $dir/log/%slog"
		[ "$role" = server ] && echo "pid_file_path = $dir/exim.pid"
		echo "keep_environment ="
		if [ "$role" = client ]; then
			cat <<-EOF
			tls_advertise_hosts =
			begin routers
			out:
			  driver = accept
			  transport = remote_smtp
			begin transports
			remote_smtp:
			  driver = smtp
			  hosts = $host
			  hosts_override
			  hosts_avoid_tls = $avoid_tls
			  helo_data = $name
			  connection_max_messages = 1
			begin retry
			* * F,1h,1m
			EOF
		else
			cat <<-EOF
			local_interfaces = <; $listen
			daemon_smtp_ports = $port
			host_lookup =
			rfc1413_hosts =
			tls_advertise_hosts = *
			tls_certificate = $dir/cert.pem
			tls_privatekey = $dir/key.pem
			pipelining_advertise_hosts = *
			chunking_advertise_hosts = $chunk
			smtp_enforce_sync = false
			smtp_max_unknown_commands = 1000000
			smtp_max_synprot_errors = 1000000
			smtp_accept_max_nonmail_hosts =
			smtp_accept_max = 200
			smtp_receive_timeout = 120s
			smtp_etrn_command = /bin/true
			acl_smtp_rcpt = accept_all
			acl_smtp_vrfy = accept_all
			acl_smtp_expn = accept_all
			acl_smtp_etrn = accept_all
			acl_smtp_data = discard_all
			begin acl
			accept_all:
			  accept
			discard_all:
			  discard
			begin routers
			all:
			  driver = accept
			  transport = devnull
			begin transports
			devnull:
			  driver = appendfile
			  file = /dev/null
			EOF
		fi
	} >"$dir/exim.conf" && chmod 644 "$dir/exim.conf"
}

# exim_setup: a client-only exim in $TMP/exim sending everything to the
# server ($S4). EXIM_AVOID_TLS= (empty) lets it use STARTTLS where offered.
exim_setup() {
	E=$TMP/exim
	exim_dirs "$E" && exim_conf client "$E" --avoid-tls "${EXIM_AVOID_TLS-*}" || return 1
	"$EXIM" -C "$E/exim.conf" -bV >"$E/version" 2>&1 ||
		{ log "exim -bV: $(head -3 "$E/version")"; return 1; }
}

# exim_send FILE [OPTION...]: exim takes FILE and delivers it at once (-odf),
# with the OPTIONs (-v: the SMTP dialogue on its output); the lines it logs
# meanwhile are in $E/last.log, its output in $E/last.out
exim_send() {
	local file=$1 mark
	shift
	mark=$(cat "$E/log/mainlog" 2>/dev/null | wc -l)
	ip netns exec "$client" "$EXIM" -C "$E/exim.conf" -odf -oi "$@" \
		-f alice@example.com bob@example.org <"$file" >"$E/last.out" 2>&1
	cat "$E/last.out" >>"$E/out"
	tail -n +$((mark + 1)) "$E/log/mainlog" >"$E/last.log"
	# forget host retry times: each message gets its own try
	rm -f "$E"/spool/db/*
}
