# fortress apply: one host's transaction. start.sh runs it detached from the SSH session (setsid,
# stdin from /dev/null, output to a log on the host), so the controller going away (Ctrl-C, kill -9,
# a cancelled job, a cut connection) cannot stop it halfway: it ends "applied", "rolled back" or
# "ROLLBACK FAILED" by itself and records that in $STATE/last for the next apply to read.
#
# The variables set before this body are declared once, in remoteScripts.ts (TransactionVariables),
# and so are the events it prints as "fortress:<event> <detail>" lines (TRANSACTION_EVENTS).
set -uo pipefail
trap '' HUP PIPE
umask 077
export TZ=UTC
# A daemon's working directory (and cp --parents -p resolves the parents it copies from it).
cd /

STATE=/var/lib/fortress
BACKUP="$STATE/backup/$TX"
DECISION="$STAGE/decision"
WG_CONF="/etc/wireguard/$IFACE.conf"
FW_FILE=/etc/fortress/firewall.nft
failure=""
live_private=""
had_interface=0
key_switched=0
activated_at=0

say() { printf 'fortress:%s\n' "$*"; }

# Waits without a process of its own: a read that times out on a pipe nobody writes to.
exec 7<> <(:)
pause() { read -r -t "$1" -u 7 || true; }

# The outcome of the last transaction, for the next apply: "<tx> <outcome> <detail>", replaced atomically.
record() {
	printf '%s %s\n' "$TX" "$*" > "$STATE/last.new" && mv -f "$STATE/last.new" "$STATE/last"
	printf '%(%Y-%m-%dT%H:%M:%SZ)T %s %s\n' -1 "$TX" "$*" >> "$STATE/journal"
}

# Nothing was changed: say why, record it, leave no litter.
refuse() {
	say "problem $*"
	[ -n "${locked:-}" ] && record refused "$*"
	rm -rf "$STAGE" "$BACKUP"
	say "outcome refused $*"
	exit 1
}

# Something after the backup failed: the EXIT trap rolls back.
die() {
	failure="$*"
	say "problem $*"
	exit 1
}

interface_up() { ip link show dev "$IFACE" >/dev/null 2>&1; }

# Calls "$@" <action> <target> <mode> <hash the plan was made against> for each planned file.
each_file() {
	local action target mode expected
	while read -r action target mode expected; do
		[ -n "$target" ] && "$@" "$action" "$target" "$mode" "$expected"
	done <<< "$FILES"
}

load_profile() {
	FORTRESS_SYSCTL_APPLY='sysctl -q -p /etc/sysctl.d/90-fortress.conf'
	FORTRESS_HAPROXY_START='systemctl start haproxy'
	FORTRESS_HAPROXY_RELOAD='systemctl reload haproxy'
	FORTRESS_HAPROXY_STOP='systemctl stop haproxy'
	# The unit that loads the firewall at boot; a host without systemd loads it some other way.
	FORTRESS_FIREWALL_ENABLE='[ ! -d /run/systemd/system ] || { systemctl daemon-reload && systemctl enable --quiet /etc/fortress/fortress-firewall.service; }'
	FORTRESS_FIREWALL_DISABLE='[ ! -d /run/systemd/system ] || { systemctl disable --quiet fortress-firewall.service; systemctl daemon-reload; }'
	local profile=/etc/fortress/profile owner_mode
	[ -e "$profile" ] || return 0
	owner_mode=$(stat -c '%u %a' "$profile")
	# Sourced as root: only a file no one but root can change may say what root runs.
	if [ -L "$profile" ] || [ "${owner_mode% *}" != 0 ] || (( 8#${owner_mode#* } & 8#022 )); then
		refuse "profile: $profile must be a regular file owned by root and not writable by group or others (it is $owner_mode); fix it with chown root: and chmod go-w"
	fi
	. "$profile"
}

# The host's state is root's alone: a lock anyone else could open is replaced, not reused, so a
# descriptor someone holds on the old one blocks nothing.
lock_is_private() { [ -f "$STATE/lock" ] && [ ! -L "$STATE/lock" ] && [ "$(stat -c '%u %a' "$STATE/lock")" = "0 600" ]; }
take_lock() {
	# start.sh made $STATE root's (0700); umask 077 makes what is created here private too.
	[ -d "$STATE/backup" ] || mkdir "$STATE/backup" || refuse "cannot prepare $STATE"
	if [ -e "$STATE/lock" ] && ! lock_is_private; then
		# Replaced once, under a lock on the directory itself, so two applies never replace it twice.
		exec 8<"$STATE"
		flock -w "$LOCK_WAIT" 8 || refuse "another apply still holds $STATE after ${LOCK_WAIT}s"
		lock_is_private || rm -rf "$STATE/lock"
		exec 8<&-
	fi
	exec 9>>"$STATE/lock" || refuse "cannot open $STATE/lock"
	if ! flock -n 9; then
		say "waiting another apply holds the host's lock"
		flock -w "$LOCK_WAIT" 9 || refuse "another apply still holds $STATE/lock after ${LOCK_WAIT}s"
	fi
	locked=1
	record running
	say "step locked"
	# Uploads of applies whose controller vanished before their transaction started (an apply
	# uploading right now is younger than that), and logs older than a day.
	find "$STATE/staging" "$STATE/log" -mindepth 1 -maxdepth 1 ! -name "$TX" ! -name "$TX.log" \
		\( -path "$STATE/staging/*" -mmin +10 -o -path "$STATE/log/*" -mmin +1440 \) -exec rm -rf {} + 2>/dev/null
}

# Apply executes the plan it showed: every file must still be what the plan was made against.
declare -A current
check_file() {
	[ "${current[$2]:--}" = "$4" ] || refuse "the host changed since it was read ($2); run apply again"
	[ "$1" = remove ] || [ -f "$STAGE$2" ] || refuse "the upload is incomplete: $2 is missing from $STAGE"
}
check_plan() {
	local hash target existing=()
	collect_existing() { [ -f "$2" ] && existing+=("$2"); }
	each_file collect_existing
	if ((${#existing[@]})); then
		while read -r hash target; do current[$target]=$hash; done < <(sha256sum -- "${existing[@]}")
	fi
	each_file check_file
}

# WireGuard is only touched on the host the topology means: the live key and the key file that
# activation will load must both be the topology's.
check_identity() {
	[ "$WG_CLASS" = none ] && return 0
	local file_key live_key next_key
	[ -r "$KEYFILE" ] || refuse "identity: there is no WireGuard key at $KEYFILE; run fortress keys bootstrap for this host"
	file_key=$(wg pubkey < "$KEYFILE" 2>/dev/null) || refuse "identity: $KEYFILE is not a WireGuard private key"
	# A rotation: the topology names the new key waiting at $KEYFILE.next; the host still runs the old one.
	if [ "$ROTATE_KEY" = 1 ]; then
		next_key=$(wg pubkey < "$KEYFILE.next" 2>/dev/null) || refuse "identity: there is no new key at $KEYFILE.next to rotate to; run fortress keys rotate for this host"
		[ "$next_key" = "$PUBKEY" ] || refuse "identity: the new key $KEYFILE.next is the key of $next_key, but the topology says $PUBKEY"
		PUBKEY_BEFORE=$file_key
	else
		PUBKEY_BEFORE=$PUBKEY
	fi
	[ "$file_key" = "$PUBKEY_BEFORE" ] || refuse "identity: the key file $KEYFILE is the key of $file_key, but the topology says $PUBKEY"
	if interface_up; then
		had_interface=1
		live_key=$(wg show "$IFACE" public-key 2>/dev/null)
		[ "$live_key" = "$PUBKEY_BEFORE" ] || refuse "identity: this host's WireGuard key is $live_key, but the topology says $PUBKEY"
		live_private=$(wg show "$IFACE" private-key)
	fi
}

validate_staged() {
	local out
	if [ "$HAPROXY_ACTION" = start ] || [ "$HAPROXY_ACTION" = reload ]; then
		out=$(haproxy -c -f "$STAGE/etc/haproxy/haproxy.cfg" 2>&1) || refuse "validate: haproxy -c rejects the new haproxy.cfg: $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
	fi
	# A key rotation alone stages no config.
	if [ "$WG_CLASS" != none ] && [ -e "$STAGE$WG_CONF" ]; then
		out=$(wg-quick strip "$STAGE$WG_CONF" 2>&1 >/dev/null) || refuse "validate: wg-quick cannot read the new $WG_CONF: $out"
	fi
	if [ "$FIREWALL_CHANGED" = 1 ]; then
		command -v nft >/dev/null || refuse "validate: nft is not installed; install the nftables package"
		out=$(nft -c -f "$STAGE$FW_FILE" 2>&1) || refuse "validate: nft -c rejects the new $FW_FILE: $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
	fi
	say "step validated"
}

# The live table, not the file: what runs is what a rollback must bring back.
fortress_table_live() { nft list tables 2>/dev/null | grep -qx 'table inet fortress'; }

# Keep what is there now; nothing is installed unless all of it was kept.
backup_failed() { refuse "backup: cannot keep $1 in $BACKUP; nothing was changed"; }
backup() {
	local existing=() keys=() key rest
	# A file absent before has no copy here: restoring from this tree removes it again.
	keep_existing() { [ -e "$2" ] && existing+=("$2"); }
	each_file keep_existing
	[ ! -e "$BACKUP" ] || rm -rf "$BACKUP"
	mkdir "$BACKUP" 2>/dev/null || backup_failed "anything (cannot create the directory)"
	if ((${#existing[@]})); then cp -p --parents -- "${existing[@]}" "$BACKUP" 2>/dev/null || backup_failed "the previous files"; fi
	if [ "$SYSCTL_CHANGED" = 1 ]; then
		while read -r key rest; do [[ $key == [a-z]* ]] && keys+=("$key"); done < "$STAGE/etc/sysctl.d/90-fortress.conf"
		if ((${#keys[@]})); then sysctl -e "${keys[@]}" > "$BACKUP/.sysctl" 2>/dev/null || backup_failed "the kernel's current values"; fi
	fi
	if [ "$FIREWALL_CHANGED" = 1 ] && fortress_table_live; then
		nft list table inet fortress > "$BACKUP/.nft" 2>/dev/null || backup_failed "the live firewall table"
	fi
	say "step backed-up"
}

# Files from a tree ($1: the staging directory, or the backup), each installed by rename. From the
# staging directory a file is put or removed; from the backup it is put back, or removed again when
# it did not exist before.
install_file() { # tree action target mode
	local absent=0
	if [ "$1" = "$BACKUP" ]; then [ ! -e "$BACKUP$3" ] && absent=1; else [ "$2" = remove ] && absent=1; fi
	if [ "$absent" = 1 ]; then
		rm -f "$3" || installed=0
	else
		{ [ -d "${3%/*}" ] || mkdir -p -m 0755 "${3%/*}"; } &&
			install -m "$4" "$1$3" "$3.fortress-new" && mv -f "$3.fortress-new" "$3" || installed=0
	fi
}
install_from() {
	installed=1
	each_file install_file "$1"
	[ "$installed" = 1 ]
}

# A plain syncconf also drops every preshared key, as it drops the private key: each peer whose key
# file the config's PostUp lines name gets it back as a PresharedKey line, read by builtins.
with_preshared_keys() { # the stripped config on stdin
	local line file key pub
	local -A psk=()
	while read -r pub file; do psk[$pub]=$file; done < <(sed -n 's/^PostUp = .*wg set %i peer \([^ ]*\) preshared-key \([^ ]*\)$/\1 \2/p' "/etc/wireguard/$IFACE.conf")
	while IFS= read -r line; do
		printf '%s\n' "$line"
		[[ $line =~ ^PublicKey\ =\ ([^ ]+)$ ]] || continue
		file=${psk[${BASH_REMATCH[1]}]:-}
		if [ -n "$file" ] && [ -r "$file" ] && { read -r key || [ -n "$key" ]; } < "$file"; then printf 'PresharedKey = %s\n' "$key"; fi
	done
}

# Never a key-less syncconf: that wipes the live private key. The key comes from $1 (the live key
# found before the change) or the key file, read by builtins so it is in no argv and on no disk.
reload_wireguard() {
	local stripped key
	stripped=$(wg-quick strip "$IFACE") || return 1
	stripped=$(printf '%s\n' "$stripped" | with_preshared_keys)
	key=${1:-}
	if [ -z "$key" ]; then { read -r key || [ -n "$key" ]; } < "$KEYFILE" || return 1; fi
	wg syncconf "$IFACE" <(printf '%s\n[Interface]\nPrivateKey = %s\n' "$stripped" "$key")
}

# The new key into the key file by rename; the old one kept under $KEYFILE.old (a second name of the
# same file: never copied) until the new one is verified.
switch_key() {
	ln -f "$KEYFILE" "$KEYFILE.old" && mv -f "$KEYFILE.next" "$KEYFILE" || die "install: cannot switch to the new key at $KEYFILE.next"
	key_switched=1
}

# The table replaces itself in one nft transaction: created if absent, deleted, defined anew.
load_firewall() { # rendered | a saved listing | none (no table before)
	case "$1" in
		rendered) nft -f "$FW_FILE" ;;
		none) printf 'table inet fortress\ndelete table inet fortress\n' | nft -f - ;;
		*) { printf 'table inet fortress\ndelete table inet fortress\n'; cat "$1"; } | nft -f - ;;
	esac
}

# One activation for both directions: $1 wireguard (none|live|restart|down); $2 sysctl: "-" for
# nothing, "rendered" for the installed file, or saved kernel values to restore after the restored
# file (which may lack some keys the new one set); $3 haproxy (none|start|reload|stop); $4 the
# private key a live reload must keep; $5 firewall: "-" for nothing, else what load_firewall loads;
# $6 the boot unit (-|enable|disable). Every step is tried even when one before it failed: a rollback
# restores all it can, and a failure either way ends in a rollback or ROLLBACK FAILED.
# Kernel settings go first, so an interface that comes up starts with them; the keys of the
# interface itself exist only once it is up, so the host's own sysctl command runs after it. The
# firewall matches interfaces by name, so it is in place before the interface comes up.
activate() {
	local rc=0
	if [ "$2" != - ] && [ -f /etc/sysctl.d/90-fortress.conf ]; then sysctl -q -e -p /etc/sysctl.d/90-fortress.conf >/dev/null 2>&1; fi
	if [ "${5:--}" != - ]; then load_firewall "$5" || rc=1; fi
	case "$1" in
		live) if interface_up; then reload_wireguard "${4:-}" || rc=1; else wg-quick up "$IFACE" >/dev/null 2>&1 9>&- || rc=1; fi ;;
		restart)
			if interface_up; then wg-quick down "$IFACE" >/dev/null 2>&1 || rc=1; fi
			wg-quick up "$IFACE" >/dev/null 2>&1 9>&- || rc=1 ;;
		down) if interface_up; then wg-quick down "$IFACE" >/dev/null 2>&1 || rc=1; fi ;;
	esac
	case "$2" in
		-) ;;
		rendered) eval "$FORTRESS_SYSCTL_APPLY" || rc=1 ;;
		*)
			if [ -f /etc/sysctl.d/90-fortress.conf ]; then eval "$FORTRESS_SYSCTL_APPLY" || rc=1; fi
			if [ -f "$2" ]; then sysctl -q -p "$2" || rc=1; fi ;;
	esac
	# Daemons started here run with 9>&-: otherwise they would hold the host's lock forever.
	case "$3" in
		start) eval "$FORTRESS_HAPROXY_START" 9>&- || rc=1 ;;
		reload) eval "$FORTRESS_HAPROXY_RELOAD" 9>&- || rc=1 ;;
		stop) eval "$FORTRESS_HAPROXY_STOP" >/dev/null 2>&1 9>&- || rc=1 ;;
	esac
	case "${6:--}" in
		enable) eval "$FORTRESS_FIREWALL_ENABLE" >/dev/null 2>&1 9>&- || rc=1 ;;
		disable) eval "$FORTRESS_FIREWALL_DISABLE" >/dev/null 2>&1 9>&- || rc=1 ;;
	esac
	return $rc
}

tcp_connect() { timeout 2 bash -c "exec 3<>/dev/tcp/$HUB_ADDR/$VERIFY_PORT" 2>/dev/null; }

# The hub's latest handshake, in seconds since the epoch (0: never).
hub_handshake() {
	local key time
	while read -r key time; do [ "$key" = "$HUB_PUBKEY" ] && { echo "$time"; return; }; done < <(wg show "$IFACE" latest-handshakes)
	echo 0
}

verify() {
	local deadline handshake start end
	if [ "$WG_CLASS" != none ] || interface_up; then
		[ "$(wg show "$IFACE" public-key 2>/dev/null)" = "$PUBKEY" ] || die "verify: the interface does not hold the host's key"
	fi
	[ "$VERIFY_HUB" = 1 ] || return 0
	# Through the tunnel: TCP to the hub's mesh address (ICMP would not show the tunnel's own overhead).
	deadline=$((SECONDS + VERIFY_TIMEOUT))
	until tcp_connect; do
		[ "$SECONDS" -lt "$deadline" ] || die "verify: no TCP connection to the hub at $HUB_ADDR:$VERIFY_PORT through the tunnel within ${VERIFY_TIMEOUT}s"
		pause 0.2
	done
	handshake=$(hub_handshake)
	[ "$handshake" -gt 0 ] || die "verify: no handshake with the hub"
	# A new key counts once the hub has shaken hands with it, not with the old one before the switch.
	[ "$ROTATE_KEY" = 0 ] || [ "$handshake" -ge "$activated_at" ] || die "verify: the hub has not shaken hands with the new key"
	start=${EPOCHREALTIME/./}; tcp_connect; end=${EPOCHREALTIME/./}
	say "rtt $((end - start))"
	say "step verified"
}

# Magic rollback: the controller must reach this host again over a fresh SSH connection and say so,
# by writing to the $DECISION pipe. A change that cut SSH, or a controller that vanished, leaves no
# answer: the host reverts.
confirm() {
	local answer=""
	mkfifo -m 0600 "$DECISION" || die "confirm: cannot create $DECISION"
	exec 6<> "$DECISION"
	say "await-confirm $CONFIRM_TIMEOUT"
	read -r -t "$CONFIRM_TIMEOUT" -u 6 answer || die "confirm: no confirmation from the controller over a fresh SSH connection within ${CONFIRM_TIMEOUT}s"
	exec 6<&-
	[ "$answer" = confirm ] || die "confirm: the controller asked to roll back: ${answer#rollback }"
	say "step confirmed"
}

# The inverse of this transaction's activation, with the files, kernel values and key found before it.
rollback() {
	local wg_back=none haproxy_back=none sysctl_back=- firewall_back=- unit_back=- ok=1
	trap '' EXIT TERM INT
	say "step rolling-back"
	install_from "$BACKUP" || ok=0
	# The old key back in its file, the new one back where keys rotate left it, for the next apply.
	if [ "$key_switched" = 1 ]; then mv -f "$KEYFILE" "$KEYFILE.next" && mv -f "$KEYFILE.old" "$KEYFILE" || ok=0; fi
	if [ "$WG_CLASS" != none ]; then
		if [ "$had_interface" = 0 ]; then wg_back=down; elif [ "$WG_CLASS" = restart ] || ! interface_up; then wg_back=restart; else wg_back=live; fi
	fi
	[ "$SYSCTL_CHANGED" = 1 ] && sysctl_back="$BACKUP/.sysctl"
	# No table kept: there was none before, and the rollback deletes the new one.
	if [ "$FIREWALL_CHANGED" = 1 ]; then if [ -f "$BACKUP/.nft" ]; then firewall_back="$BACKUP/.nft"; else firewall_back=none; fi; fi
	# The unit file is restored with the others: enabled again if it was there, disabled if it was not.
	if [ "$UNIT_CHANGED" = 1 ]; then if [ -f /etc/fortress/fortress-firewall.service ]; then unit_back=enable; else unit_back=disable; fi; fi
	case "$HAPROXY_ACTION" in start) haproxy_back=stop ;; stop) haproxy_back=start ;; reload) haproxy_back=reload ;; esac
	activate "$wg_back" "$sysctl_back" "$haproxy_back" "$live_private" "$firewall_back" "$unit_back" || ok=0
	rm -rf "$STAGE"
	if [ "$ok" = 1 ]; then
		rm -rf "$BACKUP"
		record rolled-back "$failure"
		say "outcome rolled-back $failure"
		exit 1
	fi
	record "ROLLBACK-FAILED" "$failure"
	say "outcome ROLLBACK-FAILED $failure; the previous files are kept in $BACKUP"
	exit 2
}

finish() {
	trap - EXIT
	trap '' TERM INT
	# Only the last successful transaction's previous files are kept.
	local kept
	for kept in "$STATE"/backup/*; do [ "$kept" = "$BACKUP" ] || [ ! -e "$kept" ] || rm -rf "$kept"; done
	# The old key goes only now, once the new one has shaken hands and the controller confirmed.
	[ "$key_switched" = 0 ] || rm -f "$KEYFILE.old"
	rm -rf "$STAGE"
	record applied
	say "outcome applied"
	exit 0
}

main() {
	load_profile
	take_lock
	check_plan
	check_identity
	validate_staged
	backup
	trap rollback EXIT
	trap 'die "stopped by SIGTERM"' TERM
	trap 'die "stopped by SIGINT"' INT
	install_from "$STAGE" || die "install: cannot install the new files"
	[ "$ROTATE_KEY" = 0 ] || switch_key
	say "step installed"
	activated_at=$EPOCHSECONDS
	activate "$WG_CLASS" "$([ "$SYSCTL_CHANGED" = 1 ] && echo rendered || echo -)" "$HAPROXY_ACTION" "" \
		"$([ "$FIREWALL_CHANGED" = 1 ] && echo rendered || echo -)" "$([ "$UNIT_CHANGED" = 1 ] && echo enable || echo -)" || die "activation failed"
	say "step activated"
	verify
	confirm
	finish
}

main
