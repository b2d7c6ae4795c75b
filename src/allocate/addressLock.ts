// The lock file: which host holds which mesh address, and which addresses were given up.
// It is committed and reviewed, so it is written sorted and pretty-printed.
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { SourceDocument } from '../load/sourceDocument.js';
import { parseIpv4 } from './ipv4Network.js';

export interface AddressLock {
  version: 1;
  cidr: string;
  /** host name -> mesh address */
  addresses: Record<string, string>;
  /** mesh address -> name of the host that last held it */
  retired: Record<string, string>;
}

export const emptyLock = (cidr: string): AddressLock => ({ version: 1, cidr, addresses: {}, retired: {} });

export function readLock(document: SourceDocument): { lock?: AddressLock; diagnostics: Diagnostic[] } {
  const value = document.value as Partial<AddressLock> | null;
  const isStringMap = (v: unknown): v is Record<string, string> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((s) => typeof s === 'string');
  if (
    typeof value !== 'object' || value === null || value.version !== 1 || typeof value.cidr !== 'string' ||
    !isStringMap(value.addresses) || !isStringMap(value.retired ?? {})
  ) {
    return {
      diagnostics: [error('FT104', document.locate([]), 'the lock file does not have the shape fortress writes ({ version: 1, cidr, addresses, retired })', 'restore it from git; deleting it re-allocates every address')],
    };
  }
  return { lock: { version: 1, cidr: value.cidr, addresses: value.addresses, retired: value.retired ?? {} }, diagnostics: [] };
}

export function serializeLock(lock: AddressLock): string {
  const byAddress = (a: string, b: string) => (parseIpv4(a) ?? 0) - (parseIpv4(b) ?? 0);
  const sorted: AddressLock = {
    version: 1,
    cidr: lock.cidr,
    addresses: Object.fromEntries(Object.entries(lock.addresses).sort(([a], [b]) => a.localeCompare(b))),
    retired: Object.fromEntries(Object.entries(lock.retired).sort(([a], [b]) => byAddress(a, b))),
  };
  return `${JSON.stringify(sorted, null, 2)}\n`;
}
