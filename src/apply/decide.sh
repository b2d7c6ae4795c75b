# fortress apply: the controller's word to a transaction waiting for confirmation, sent over a
# fresh SSH connection. Set before this body: STAGE DECISION ("confirm" or "rollback <why>").
set -eu
umask 077
[ -d "$STAGE" ] || { echo "the transaction has already ended" >&2; exit 1; }
printf '%s\n' "$DECISION" > "$STAGE/decision.new"
mv -f "$STAGE/decision.new" "$STAGE/decision"
