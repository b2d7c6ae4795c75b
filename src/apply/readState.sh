# fortress apply, round trip 1: what the managed files on this host are now. Changes nothing.
# Set before this body: FILES (one target path per line), IFACE, KEYFILE.
state=/var/lib/fortress
existing=()
while IFS= read -r target; do
  [ -n "$target" ] || continue
  if [ -f "$target" ]; then existing+=("$target"); else printf 'file - %s\n' "$target"; fi
done <<< "$FILES"
if ((${#existing[@]})); then
  sha256sum -- "${existing[@]}" | while read -r hash target; do printf 'file %s %s\n' "$hash" "$target"; done
fi
# The [Interface] settings of the live config decide between a live reload and a restart.
if [ -f "/etc/wireguard/$IFACE.conf" ]; then
  printf 'interface %s\n' "$(sed -n '/^\[Peer\]/q;/^[A-Za-z]/p' "/etc/wireguard/$IFACE.conf" | base64 -w0)"
fi
# The live interface's key and the key file's: a host that is not the one the topology means is
# refused before any upload.
if [ -e "/sys/class/net/$IFACE" ]; then
  printf 'key %s\n' "$(wg show "$IFACE" public-key 2>/dev/null)"
fi
if [ -r "$KEYFILE" ]; then
  printf 'keyfile %s\n' "$(wg pubkey < "$KEYFILE" 2>/dev/null)"
fi
# A new key made by `fortress keys rotate`, waiting beside the current one for the apply that switches.
if [ -r "$KEYFILE.next" ]; then
  printf 'nextkey %s\n' "$(wg pubkey < "$KEYFILE.next" 2>/dev/null)"
fi
# How the last transaction ended, and whether one is running now (it holds the lock).
if [ -s "$state/last" ]; then
  read -r last < "$state/last"
  busy=free
  if [ -f "$state/lock" ]; then
    exec 8<"$state/lock"
    flock -n 8 || busy=busy
    exec 8<&-
  fi
  printf 'last %s %s\n' "$busy" "$last"
fi

# fortress status reads the rest of what runs on the host in the same round trip: STATUS_PROBE=1 and
# the variables declared in src/status/statusScript.ts (StatusProbeVariables). apply never sets it,
# so for apply this script ends above. Nothing here changes the host either.
status_clock() { printf 'now %(%s)T\n' -1; }

# The live peers, from `wg show <iface> dump` without its first line (the interface's private key)
# and without the preshared-key column: no secret crosses SSH.
status_peers() {
	local dump peers key psk endpoint allowed handshake rx tx keepalive
	if [ ! -e "/sys/class/net/$IFACE" ]; then echo 'wg down'; return 0; fi
	if ! dump=$(wg show "$IFACE" dump 2>/dev/null); then dump=''; echo 'wg unreadable'; return 0; fi
	echo 'wg up'
	peers=''
	# An interface without peers dumps its own line only: nothing of it is a peer.
	[[ $dump == *$'\n'* ]] && peers=${dump#*$'\n'}
	dump=''
	[ -n "$peers" ] || return 0
	while IFS=$'\t' read -r key psk endpoint allowed handshake rx tx keepalive; do
		printf 'peer %s %s %s %s %s %s %s\n' "$key" "$endpoint" "$allowed" "$handshake" "$rx" "$tx" "$keepalive"
	done <<< "$peers"
	psk=''
}

# TCP round trips through the tunnel, as apply's verify measures one: each sample is one connect to
# the hub's mesh address (SYN to SYN-ACK), timed by the shell that makes it, so no process start sits
# between the two clock reads. A connect through a dead tunnel hangs: the whole run is bounded.
status_rtt() {
	[ -n "$RTT_ADDR" ] && [ -e "/sys/class/net/$IFACE" ] || return 0
	timeout "$RTT_BUDGET" bash -c '
		for ((i = 0; i < $3; i++)); do
			start=${EPOCHREALTIME/./}
			{ : 3<>"/dev/tcp/$1/$2"; } 2>/dev/null || { echo rtt-failed; exit 0; }
			end=${EPOCHREALTIME/./}
			echo "rtt $((end - start))"
		done' rtt "$RTT_ADDR" "$RTT_PORT" "$RTT_SAMPLES" < /dev/null
	[ $? != 124 ] || echo rtt-timeout
}

# Each HAProxy server's state from the stats socket (`show stat`, type 2 rows), through perl's
# IO::Socket::UNIX (perl-base is part of every Debian and Ubuntu), one tab-separated line each.
status_haproxy() {
	[ -n "$HAPROXY_SOCKET" ] || return 0
	[ -S "$HAPROXY_SOCKET" ] || { echo "haproxy-error no stats socket at $HAPROXY_SOCKET: HAProxy is not running"; return 0; }
	command -v perl > /dev/null || { echo 'haproxy-error perl is not installed, so the stats socket cannot be read'; return 0; }
	timeout 5 perl -MIO::Socket::UNIX -e '
		my $socket = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "cannot connect to $ARGV[0]: $!\n";
		print $socket "show stat\n";
		my @columns;
		while (my $line = <$socket>) {
			chomp $line;
			if ($line =~ s/^# //) { @columns = split /,/, $line; next; }
			next if $line eq "";
			my %row; @row{@columns} = split /,/, $line, -1;
			next unless ($row{type} // "") eq "2";
			print join("\t", "haproxy", map { $_ // "" } @row{qw(pxname svname status check_status lastchg bck)}), "\n";
		}' "$HAPROXY_SOCKET" < /dev/null 2>&1 | sed '/^haproxy\t/!s/^/haproxy-error /'
}

# A table as comparable text: no comments or blank lines, not the file's first two lines (which make
# it replace itself), whitespace collapsed, and each set's elements one per line, sorted (nft lists
# them in an order of its own). Nothing that changes what the table does is dropped, so two texts
# that normalise alike are the same table. (Words are split by read, not by a pattern substitution:
# bash's extended patterns take a hundred times longer.)
status_normalize_nft() {
	local line elements='' collecting=0 item
	local -a words items
	while read -r -a words; do
		line=${words[*]}
		if ((collecting)); then
			elements+=" $line"
		elif [[ $line == 'elements = {'* ]]; then
			collecting=1
			elements=${line#'elements = {'}
		else
			[[ -z $line || $line == '#'* || $line == 'table inet fortress' || $line == 'delete table inet fortress' ]] || printf '%s\n' "$line"
			continue
		fi
		[[ $elements == *'}' ]] || continue
		collecting=0
		IFS=',' read -r -a items <<< "${elements%'}'}"
		echo 'elements = {'
		for item in "${items[@]}"; do item=${item# }; printf '%s\n' "${item% }"; done | LC_ALL=C sort
		echo '}'
	done
}

# The live table against the rendered one. Most often they normalise alike and are equal. Otherwise
# the rendered file is loaded into a throwaway network namespace (never into the host's own ruleset)
# and listed there by this host's nft, so that both sides are in nft's own layout, whatever its
# version, and compared exactly: only then is the table different.
status_firewall() {
	local live rendered
	[ -n "$FIREWALL" ] || return 0
	command -v nft > /dev/null || { echo 'firewall unknown nft is not installed'; return 0; }
	live=$(nft list table inet fortress 2>/dev/null) || { echo 'firewall missing'; return 0; }
	if [ "$(status_normalize_nft <<< "$live")" = "$(status_normalize_nft <<< "$FIREWALL")" ]; then echo 'firewall equal'; return 0; fi
	if ! rendered=$(unshare --net sh -c 'nft -f - && nft list table inet fortress' 2>&1 <<< "$FIREWALL"); then
		echo "firewall unknown cannot load the rendered table into a scratch network namespace: $(printf '%s' "$rendered" | tail -n 1)"
		return 0
	fi
	if [ "$live" = "$rendered" ]; then echo 'firewall equal'; return 0; fi
	echo 'firewall different'
	# "-" a rendered line the live table lacks, "+" a live line the rendered table lacks.
	diff -U0 <(printf '%s\n' "$rendered") <(printf '%s\n' "$live") | sed -n '/^[-+][-+][-+] /d;s/^\([-+]\)[[:space:]]*/firewall-diff \1 /p' | head -n 20
}

if [ "${STATUS_PROBE:-0}" = 1 ]; then
	export LC_ALL=C
	# The firewall and HAProxy are read in the background while the round trips are timed.
	[ -z "$FIREWALL" ] || exec {firewall_out}< <(status_firewall < /dev/null)
	[ -z "$HAPROXY_SOCKET" ] || exec {haproxy_out}< <(status_haproxy < /dev/null)
	status_clock
	status_peers
	status_rtt
	for out in ${haproxy_out:-} ${firewall_out:-}; do
		while IFS= read -r line; do printf '%s\n' "$line"; done <&"$out"
	done
fi
