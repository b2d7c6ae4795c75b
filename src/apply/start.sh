# fortress apply: start the uploaded transaction detached from this SSH session, then follow its log.
# The transaction runs in a session of its own with its output in a file, so when this connection
# drops (and takes `tail` with it) nothing reaches the transaction: no SIGHUP, no SIGPIPE, no
# blocked write. Set before this body: TX STAGE UPLOADED_AS (the SSH user whose home the files
# were uploaded to, when it is not root).
set -eu
umask 077
state=/var/lib/fortress
install -d -m 0700 "$state" "$state/staging" "$state/log"
chmod 0700 "$state"
if [ "$UPLOADED_AS" != root ]; then
  home=$(getent passwd "$UPLOADED_AS" | cut -d: -f6)
  rm -rf "$STAGE"
  mv "$home/.fortress-upload/$TX" "$STAGE"
  chown -R 0:0 "$STAGE"
  rmdir "$home/.fortress-upload" 2>/dev/null || true
fi
log="$state/log/$TX.log"
: > "$log"
setsid bash "$STAGE/transaction.sh" < /dev/null > "$log" 2>&1 &
transaction=$!
tail --pid="$transaction" -s 0.1 -n +1 -f "$log" &
# Reaped here, so `tail --pid` sees it end (a zombie would keep tail waiting forever).
wait "$transaction" || true
wait
