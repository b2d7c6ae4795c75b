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
