#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# exim 4.96 as an MTA client of the selftests: its binary is unpacked (not
# installed: it would replace postfix) by scripts/install-deps.sh. Source
# after lib.sh and fixup_lib.sh; needs TMP, client and S4.

EXIM=${NFSMTP_EXIM:-${NFSMTP_CACHE:-/var/cache/nf-smtp}/exim4/usr/sbin/exim4}

# exim_setup: a client-only exim in $TMP/exim sending everything to the
# server ($S4); its user exists in the test VM's throwaway /etc only.
# EXIM_AVOID_TLS= (empty) lets it use STARTTLS where offered.
exim_setup() {
	E=$TMP/exim
	[ -x "$EXIM" ] || { log "no exim4 at $EXIM: run make deps"; return 1; }
	if ! getent passwd Debian-exim >/dev/null; then
		[ "${NFSMTP_IN_VM:-}" = 1 ] ||
			{ log "no Debian-exim user (created only inside the test VM)"; return 1; }
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			Debian-exim || return 1
	fi
	mkdir -p "$E/spool" "$E/log"
	chown Debian-exim:Debian-exim "$E/spool" "$E/log"
	cat >"$E/exim.conf" <<-EOF
	exim_path = $EXIM
	primary_hostname = relay.example.com
	spool_directory = $E/spool
	log_file_path = $E/log/%slog
	keep_environment =
	tls_advertise_hosts =
	begin routers
	out:
	  driver = accept
	  transport = remote_smtp
	begin transports
	remote_smtp:
	  driver = smtp
	  hosts = $S4
	  hosts_override
	  hosts_avoid_tls = ${EXIM_AVOID_TLS-*}
	  helo_data = relay.example.com
	  connection_max_messages = 1
	begin retry
	* * F,1h,1m
	EOF
	chmod 644 "$E/exim.conf"
	"$EXIM" -C "$E/exim.conf" -bV >"$E/version" 2>&1 ||
		{ log "exim -bV: $(head -3 "$E/version")"; return 1; }
}

# exim_send FILE: exim takes FILE and delivers it at once (-odf); the lines
# it logs meanwhile are in $E/last.log
exim_send() {
	local mark
	mark=$(cat "$E/log/mainlog" 2>/dev/null | wc -l)
	ip netns exec "$client" "$EXIM" -C "$E/exim.conf" -odf -oi \
		-f alice@example.com bob@example.org <"$1" >>"$E/out" 2>&1
	tail -n +$((mark + 1)) "$E/log/mainlog" >"$E/last.log"
	# forget host retry times: each message gets its own try
	rm -f "$E"/spool/db/*
}

