// The scripts fortress runs on a host: a fixed body (readState.sh, transaction.sh, beside this file)
// behind variable assignments that are shell-quoted here, so no value can become a command.
import { readFileSync } from 'node:fs';

const body = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
const READ_STATE = body('readState.sh');
const TRANSACTION = body('transaction.sh');

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function withVariables(variables: Record<string, string | number>, script: string): string {
  const assignments = Object.entries(variables).map(([name, value]) => `${name}=${shellQuote(String(value))}`);
  return `${assignments.join('\n')}\n${script}`;
}

export function readStateScript(files: readonly string[], interfaceName: string): string {
  return withVariables({ FILES: files.join('\n'), IFACE: interfaceName }, READ_STATE);
}

export interface TransactionVariables {
  TX: string;
  STAGE: string;
  /** "target mode" lines */
  FILES: string;
  IFACE: string;
  KEYFILE: string;
  PUBKEY: string;
  WG_CLASS: 'none' | 'live' | 'restart';
  SYSCTL_CHANGED: 0 | 1;
  HAPROXY_CHANGED: 0 | 1;
  IS_HUB: 0 | 1;
  HUB_PUBKEY: string;
  HUB_ADDR: string;
  VERIFY_PORT: number;
  VERIFY_TIMEOUT: number;
  LOCK_WAIT: number;
}

export function transactionScript(variables: TransactionVariables): string {
  return withVariables({ ...variables }, TRANSACTION);
}
