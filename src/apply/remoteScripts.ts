// The scripts fortress runs on a host: a fixed body (the .sh files beside this one) behind variable
// assignments that are shell-quoted here, so no value can become a command. The variables each
// script reads and the events the transaction prints are declared here, once.
import { readFileSync } from 'node:fs';

const body = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
const READ_STATE = body('readState.sh');
const START = body('start.sh');
const TRANSACTION = body('transaction.sh');
const DECIDE = body('decide.sh');
const PRESHARED_KEYS = body('presharedKeys.sh');

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function withVariables(variables: object, script: string): string {
  const assignments = Object.entries(variables).map(([name, value]) => `${name}=${shellQuote(String(value))}`);
  return `${assignments.join('\n')}\n${script}`;
}

/** How a command runs as root: directly for root, through `sudo -n` (never a password prompt) for anyone else. */
export function asRoot(user: string, command: string): string {
  if (user === 'root') return command;
  // Checked first, so a missing rule is told apart from a failing script.
  return `if ! sudo -n true 2>/dev/null; then echo ${SUDO_REFUSED} >&2; exit 1; fi; sudo -n ${command}`;
}
export const SUDO_REFUSED = 'fortress:sudo-refused';

/** What to tell a user whose host refused `sudo -n`. */
export function sudoRuleMissing(user: string): string {
  return `sudo: ${user} cannot run commands as root without a password (sudo -n); add the rule "${user} ALL=(root) NOPASSWD: ALL" to /etc/sudoers.d/fortress on the host`;
}

export function readStateScript(files: readonly string[], interfaceName: string, keyFile: string): string {
  return withVariables({ FILES: files.join('\n'), IFACE: interfaceName, KEYFILE: keyFile }, READ_STATE);
}

export interface TransactionVariables {
  /** The transaction's id: a timestamp and random hex. */
  TX: string;
  /** Where the files were uploaded, mirroring the host's tree: /var/lib/fortress/staging/<TX>. */
  STAGE: string;
  /** One line per planned file: "<put|remove> <target> <mode> <sha256 the plan was made against, or ->". */
  FILES: string;
  IFACE: string;
  KEYFILE: string;
  /** The topology's public key of this host. */
  PUBKEY: string;
  WG_CLASS: 'none' | 'live' | 'restart';
  SYSCTL_CHANGED: 0 | 1;
  HAPROXY_ACTION: 'none' | 'start' | 'reload' | 'stop';
  /** 1: firewall.nft changes: checked with `nft -c`, the live table kept, loaded after sysctl. */
  FIREWALL_CHANGED: 0 | 1;
  /** 1: the unit that loads the firewall at boot changes: enabled after activation. */
  UNIT_CHANGED: 0 | 1;
  /** 1: switch to the new key `keys rotate` left at KEYFILE.next (the topology's PUBKEY); the old file goes once verified. */
  ROTATE_KEY: 0 | 1;
  /** 1: verify dials the hub through the tunnel (HUB_ADDR:VERIFY_PORT) and wants a handshake with HUB_PUBKEY. */
  VERIFY_HUB: 0 | 1;
  HUB_PUBKEY: string;
  HUB_ADDR: string;
  VERIFY_PORT: number;
  VERIFY_TIMEOUT: number;
  /** Seconds the host waits for the controller's confirmation before it rolls back by itself. */
  CONFIRM_TIMEOUT: number;
  LOCK_WAIT: number;
}

export function transactionScript(variables: TransactionVariables): string {
  return withVariables(variables, TRANSACTION);
}

export function startScript(variables: { TX: string; STAGE: string; UPLOADED_AS: string }): string {
  return withVariables(variables, START);
}

export function decideScript(variables: { STAGE: string; DECISION: string }): string {
  return withVariables(variables, DECIDE);
}

/** The preshared-key script: list hashes, stage new keys (sent in the script's text), or commit them. */
export function presharedKeysScript(variables: { DIR: string; IFACE: string } & ({ MODE: 'list' } | { MODE: 'stage'; KEYS: string } | { MODE: 'commit'; PEERS: string })): string {
  return withVariables(variables, PRESHARED_KEYS);
}

/**
 * What the transaction prints, one `fortress:<event> <detail>` line each:
 * step (locked, validated, backed-up, installed, activated, verified, confirmed, rolling-back),
 * waiting (for the lock), problem (why it refuses or rolls back), rtt (microseconds through the
 * tunnel), await-confirm (seconds it waits for the controller), and last, outcome (how it ended).
 */
export const TRANSACTION_EVENTS = ['step', 'waiting', 'problem', 'rtt', 'await-confirm', 'outcome'] as const;
export type TransactionEvent = (typeof TRANSACTION_EVENTS)[number];

/** How a transaction ended, as the host records it in /var/lib/fortress/last. */
export const TRANSACTION_OUTCOMES = ['running', 'applied', 'refused', 'rolled-back', 'ROLLBACK-FAILED'] as const;
export type TransactionOutcome = (typeof TRANSACTION_OUTCOMES)[number];

export function parseTransactionLine(line: string): { event: TransactionEvent; detail: string } | undefined {
  const match = /^fortress:(\S+) ?(.*)$/.exec(line);
  if (!match || !(TRANSACTION_EVENTS as readonly string[]).includes(match[1]!)) return undefined;
  return { event: match[1] as TransactionEvent, detail: match[2]! };
}
