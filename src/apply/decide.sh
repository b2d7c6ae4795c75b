# fortress apply: the controller's word to a transaction waiting for confirmation, sent over a
# fresh SSH connection. Set before this body: STAGE DECISION ("confirm" or "rollback <why>").
set -eu
# The transaction reads $STAGE/decision, a named pipe, while it waits; once it has stopped waiting
# there is no pipe (or no reader, and the write is given up after a few seconds).
[ -p "$STAGE/decision" ] || { echo "the transaction is no longer waiting for confirmation" >&2; exit 1; }
timeout 5 bash -c 'printf "%s\n" "$1" > "$2"' decide "$DECISION" "$STAGE/decision"
