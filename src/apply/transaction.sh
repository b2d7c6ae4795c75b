# fortress apply, round trip 3: install the staged files as one transaction, under the host's lock.
# Set before this body (shell-quoted by fortress): TX STAGE FILES IFACE KEYFILE PUBKEY WG_CLASS
# SYSCTL_CHANGED HAPROXY_CHANGED IS_HUB HUB_PUBKEY HUB_ADDR VERIFY_PORT VERIFY_TIMEOUT LOCK_WAIT.
# FILES holds "target mode" lines. Progress goes to stdout as "fortress:<event> <detail>" lines.
set -uo pipefail
# A cut SSH connection must not stop the transaction halfway: it finishes, or rolls back.
trap '' HUP

say() { printf 'fortress:%s\n' "$*"; }
fail() { say "error $*"; [ -n "${locked:-}" ] && journal "failed: $*"; exit 1; }

# Activation commands for systemd hosts; /etc/fortress/profile may override them (the lab has no systemd).
FORTRESS_SYSCTL_APPLY='sysctl -q -p /etc/sysctl.d/90-fortress.conf'
FORTRESS_HAPROXY_START='systemctl start haproxy'
FORTRESS_HAPROXY_RELOAD='systemctl reload haproxy'
FORTRESS_HAPROXY_STOP='systemctl stop haproxy'
if [ -r /etc/fortress/profile ]; then . /etc/fortress/profile; fi

state=/var/lib/fortress
prev="$state/previous.$TX"
mkdir -p "$state"
# The lock lives as long as fd 9 is open anywhere: every command that may leave a daemon behind
# (wg-quick up starting wireguard-go, HAProxy) runs with 9>&- so the daemon does not keep the lock.
exec 9>>"$state/lock"
if ! flock -n 9; then
  say "waiting another apply holds the host's lock"
  flock -w "$LOCK_WAIT" 9 || fail "another apply still holds $state/lock after ${LOCK_WAIT}s"
fi
say "step locked"
# An audit trail of transactions, one line as each takes the lock and one as it ends.
journal() { printf '%s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$TX" "$1" >> "$state/journal"; }
journal locked
locked=1
# Staging directories of applies that died long ago.
find "$state/staging" -mindepth 1 -maxdepth 1 -mmin +30 -exec rm -rf {} + 2>/dev/null

for target_mode in $(printf '%s\n' "$FILES" | cut -d' ' -f1); do
  [ -f "$STAGE$target_mode" ] || fail "the upload is incomplete: $target_mode is missing from $STAGE"
done

wg_conf="/etc/wireguard/$IFACE.conf"
interface_up() { ip link show dev "$IFACE" >/dev/null 2>&1; }

# Identity guard: WireGuard is only touched on the host the topology means.
if [ "$WG_CLASS" != none ]; then
  if interface_up; then
    live=$(wg show "$IFACE" public-key 2>/dev/null)
  elif [ -r "$KEYFILE" ]; then
    live=$(wg pubkey < "$KEYFILE")
  else
    fail "identity: there is no WireGuard key at $KEYFILE; run fortress keys bootstrap for this host"
  fi
  [ "$live" = "$PUBKEY" ] || fail "identity: this host's WireGuard key is $live, but the topology says $PUBKEY"
fi

# Validate with the host's own tools before anything is installed.
if [ "$HAPROXY_CHANGED" = 1 ]; then
  out=$(haproxy -c -f "$STAGE/etc/haproxy/haproxy.cfg" 2>&1) || fail "validate: haproxy -c rejects the new haproxy.cfg: $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
fi
if [ "$WG_CLASS" != none ]; then
  out=$(wg-quick strip "$STAGE$wg_conf" 2>&1 >/dev/null) || fail "validate: wg-quick cannot read the new $wg_conf: $out"
fi
say "step validated"

# Keep what is there now: the files, which of them did not exist, and the kernel values about to change.
rm -rf "$prev" && mkdir -p "$prev"
had_interface=0; interface_up && had_interface=1
had_haproxy=0; [ -f /etc/haproxy/haproxy.cfg ] && had_haproxy=1
while read -r target mode; do
  [ -n "$target" ] || continue
  if [ -e "$target" ]; then mkdir -p "$prev$(dirname "$target")" && cp -p "$target" "$prev$target"; else echo "$target" >> "$prev/.absent"; fi
done <<< "$FILES"
if [ "$SYSCTL_CHANGED" = 1 ]; then
  for key in $(sed -n 's/^\([a-z0-9_.-]*\) = .*/\1/p' "$STAGE/etc/sysctl.d/90-fortress.conf"); do
    value=$(sysctl -n "$key" 2>/dev/null) && printf '%s = %s\n' "$key" "$value" >> "$prev/.sysctl"
  done
fi

install_from() { # $1: the tree to copy from (the staging dir, or the previous files)
  while read -r target mode; do
    [ -n "$target" ] || continue
    if [ -e "$1$target" ]; then
      mkdir -p "$(dirname "$target")" &&
        cp "$1$target" "$target.fortress-new" && chmod "$mode" "$target.fortress-new" &&
        mv -f "$target.fortress-new" "$target" || return 1
    else
      rm -f "$target"
    fi
  done <<< "$FILES"
}

reload_wireguard() { # never a key-less syncconf: that wipes the live private key
  wg syncconf "$IFACE" <(wg-quick strip "$IFACE"; printf '[Interface]\nPrivateKey = %s\n' "$(cat "$KEYFILE")")
}

activate() {
  if [ "$WG_CLASS" = restart ] || { [ "$WG_CLASS" = live ] && ! interface_up; }; then
    if interface_up; then wg-quick down "$IFACE" >/dev/null 2>&1 || return 1; fi
    wg-quick up "$IFACE" >/dev/null 2>&1 9>&- || return 1
  elif [ "$WG_CLASS" = live ]; then
    reload_wireguard || return 1
  fi
  if [ "$SYSCTL_CHANGED" = 1 ]; then eval "$FORTRESS_SYSCTL_APPLY" || return 1; fi
  if [ "$HAPROXY_CHANGED" = 1 ]; then
    if [ "$had_haproxy" = 1 ]; then eval "$FORTRESS_HAPROXY_RELOAD" 9>&- || return 1; else eval "$FORTRESS_HAPROXY_START" 9>&- || return 1; fi
  fi
}

tcp_connect() { timeout 2 bash -c "exec 3<>/dev/tcp/$HUB_ADDR/$VERIFY_PORT" 2>/dev/null; }

verify() {
  if [ "$WG_CLASS" != none ] || interface_up; then
    [ "$(wg show "$IFACE" public-key 2>/dev/null)" = "$PUBKEY" ] || { say "problem verify: the interface does not hold the host's key"; return 1; }
  fi
  [ "$IS_HUB" = 1 ] && return 0
  # Through the tunnel: TCP to the hub's mesh address (ICMP would not show the tunnel's own overhead).
  deadline=$((SECONDS + VERIFY_TIMEOUT))
  until tcp_connect; do
    if [ "$SECONDS" -ge "$deadline" ]; then say "problem verify: no TCP connection to the hub at $HUB_ADDR:$VERIFY_PORT through the tunnel within ${VERIFY_TIMEOUT}s"; return 1; fi
    sleep 0.5
  done
  handshake=$(wg show "$IFACE" latest-handshakes | awk -v key="$HUB_PUBKEY" '$1 == key { print $2 }')
  [ -n "$handshake" ] && [ "$handshake" -gt 0 ] || { say "problem verify: no handshake with the hub"; return 1; }
  start=$(date +%s%N); tcp_connect; end=$(date +%s%N)
  say "rtt $(( (end - start) / 1000 ))"
}

if install_from "$STAGE"; then
  say "step installed"
  if activate; then
    say "step activated"
    if verify; then
      rm -rf "$state/previous" && mv "$prev" "$state/previous"
      rm -rf "$STAGE"
      journal applied
      say "done"
      exit 0
    fi
  else
    say "problem activation failed"
  fi
fi

# Roll back: the previous files, activated again the same way, and the kernel values as they were.
say "step rolling back"
rollback_ok=1
install_from "$prev" || rollback_ok=0
if [ "$WG_CLASS" != none ]; then
  if [ "$had_interface" = 0 ]; then
    if interface_up; then wg-quick down "$IFACE" >/dev/null 2>&1 || rollback_ok=0; fi
  elif [ "$WG_CLASS" = restart ] || ! interface_up; then
    if interface_up; then wg-quick down "$IFACE" >/dev/null 2>&1; fi
    wg-quick up "$IFACE" >/dev/null 2>&1 9>&- || rollback_ok=0
  else
    reload_wireguard || rollback_ok=0
  fi
fi
if [ -f "$prev/.sysctl" ]; then sysctl -q -p "$prev/.sysctl" || rollback_ok=0; fi
if [ "$HAPROXY_CHANGED" = 1 ]; then
  if [ "$had_haproxy" = 1 ]; then eval "$FORTRESS_HAPROXY_RELOAD" 9>&- || rollback_ok=0; else eval "$FORTRESS_HAPROXY_STOP" >/dev/null 2>&1; fi
fi
rm -rf "$STAGE"
if [ "$rollback_ok" = 1 ]; then fail "rolled back to the previous files"; fi
journal "ROLLBACK FAILED"
say "error ROLLBACK FAILED: the host may be half-configured; previous files are in $prev"
exit 2
