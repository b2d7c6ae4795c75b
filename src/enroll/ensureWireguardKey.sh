# fortress enroll (and keys bootstrap): this host's WireGuard key, made here if it has none.
# Set before this body: KEYFILE (/etc/wireguard/<interface>.key). Runs as root.
# Prints two lines: "created" or "existing", then the public key. The private key is never printed:
# wg genkey writes it under umask 077 beside its place, and it is moved in only once complete.
set -euo pipefail
umask 077

require_wg() {
  command -v wg >/dev/null 2>&1 || { echo 'fortress:missing-tool wg' >&2; exit 1; }
}

make_key_if_missing() {
  mkdir -p -- "${KEYFILE%/*}"
  if [ -s "$KEYFILE" ]; then
    echo existing
    return
  fi
  trap 'rm -f -- "$KEYFILE.new"' EXIT
  wg genkey > "$KEYFILE.new"
  mv -- "$KEYFILE.new" "$KEYFILE"
  trap - EXIT
  echo created
}

print_public_key() {
  wg pubkey < "$KEYFILE"
}

require_wg
make_key_if_missing
print_public_key
