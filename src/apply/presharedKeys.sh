# fortress apply: the preshared keys this host shares with its WireGuard peers, one file per peer in
# $DIR (0700), each file 0600. Prints hashes, never a key; keys arrive in this script's own text (over
# SSH stdin), never in an argument or a file outside $DIR.
# Set before this body: DIR, IFACE, MODE (list | stage | commit); for stage, KEYS ("<peer> <key>" per
# line); for commit, PEERS ("<peer> <peer's public key>" per line).
set -u
umask 077

# One line per key file: "psk <peer> <sha256 of the file>", so the controller can tell whether both
# ends of a pair hold the same key without ever seeing it.
list_keys() {
	local file name
	for file in "$DIR"/*.psk; do
		[ -f "$file" ] || continue
		name=${file##*/}
		printf 'psk %s %s\n' "${name%.psk}" "$(sha256sum < "$file" | cut -d' ' -f1)"
	done
}

# New keys beside the current ones (<peer>.psk.new): nothing changes until both ends have theirs.
# Split by word splitting, not a here-string: bash may back that with a temporary file.
stage_keys() {
	local line IFS=$'\n'
	set -f
	mkdir -p -m 0700 "$DIR" || exit 1
	for line in $KEYS; do
		printf '%s\n' "${line#* }" > "$DIR/${line%% *}.psk.new" || exit 1
	done
	echo staged
}

# Each staged key replaces the current one by rename, and a live interface takes it at once; the
# session in progress keeps running, and the next handshake uses the new key.
commit_keys() {
	local line peer public up=0 IFS=$'\n'
	set -f
	[ -e "/sys/class/net/$IFACE" ] && up=1
	for line in $PEERS; do
		peer=${line%% *} public=${line#* }
		mv -f "$DIR/$peer.psk.new" "$DIR/$peer.psk" || exit 1
		if [ "$up" = 1 ] && wg show "$IFACE" peers | grep -qxF -- "$public"; then
			wg set "$IFACE" peer "$public" preshared-key "$DIR/$peer.psk" || exit 1
		fi
	done
	echo committed
}

case "$MODE" in
	list) list_keys ;;
	stage) stage_keys ;;
	commit) commit_keys ;;
esac
