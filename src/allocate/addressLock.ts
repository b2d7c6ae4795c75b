// The lock file: which host holds which mesh address, and which addresses were given up.
// It is committed and reviewed, so it is written sorted and pretty-printed.
//
// It is read as strictly as the topology. A reviewer approves the lock's diff, and anything fortress
// would quietly drop or reinterpret is a way round that review: a misspelt "retired" loses every
// retired address, a host listed twice keeps only its last address, two hosts on one address would
// be blamed on topology.yaml. So each problem is reported where it is, in the lock, and a lock with
// any problem is not used at all. A string from the lock is only ever looked up in a Map, or in the
// very object Object.keys read it from: "__proto__" or "constructor" in a lock is text, never a
// property of Object.prototype.
import { describeValue, error, type Diagnostic, type SourceSpan } from '../diagnostics/diagnostic.js';
import type { DiagnosticCode } from '../diagnostics/catalogue.js';
import type { DuplicateKey, JsonDocument } from '../load/jsonDocument.js';
import type { PathSegment } from '../load/sourceDocument.js';
import { didYouMean } from '../validate/suggest.js';
import { parseIpv4, parseIpv4Network, placeInNetwork, type Ipv4Network } from './ipv4Network.js';

export interface AddressLock {
  version: 1;
  cidr: string;
  /** host name -> mesh address */
  addresses: Record<string, string>;
  /** mesh address -> name of the host that last held it */
  retired: Record<string, string>;
}

export const emptyLock = (cidr: string): AddressLock => ({ version: 1, cidr, addresses: {}, retired: {} });

const LOCK_KEYS = ['version', 'cidr', 'addresses', 'retired'];
// The topology schema's host name ($defs/name): a DNS label. Nothing else can ever have held an address.
const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// Four dot-separated numbers: meant as an address, however wrong. Any other key under retired is unknown.
const LOOKS_LIKE_ADDRESS = /^\d+\.\d+\.\d+\.\d+$/;
const RESTORE = 'restore the lock file from git';

export function readLock(document: JsonDocument): { lock?: AddressLock; diagnostics: Diagnostic[] } {
  const { value, locate } = document;
  const diagnostics: Diagnostic[] = document.duplicateKeys.map(duplicateDiagnostic);
  const report = (code: DiagnosticCode, path: readonly PathSegment[], part: 'key' | 'value', message: string, hint?: string) => {
    diagnostics.push(error(code, locate(path, part), message, hint));
  };

  if (!isObject(value)) {
    report('FT104', [], 'value', `the lock file must be an object { version, cidr, addresses, retired }, not ${describeValue(value, 'an object')}`, RESTORE);
    return { diagnostics };
  }
  const top = new Map(Object.entries(value));
  const version = top.get('version');
  if (!top.has('version')) report('FT104', [], 'value', 'the lock file has no "version"', RESTORE);
  else if (version !== 1) {
    // Another version may mean another shape: what else looks wrong would only be noise.
    report('FT104', ['version'], 'value', `the lock file is version ${typeof version === 'number' ? version : describeValue(version, 'an object')}, but this fortress reads version 1`, `render with the fortress that wrote it, or ${RESTORE}`);
    return { diagnostics };
  }
  for (const key of top.keys()) {
    if (!LOCK_KEYS.includes(key)) report('FT115', [key], 'key', `unknown key ${JSON.stringify(key)} in the lock file`, didYouMean(key, LOCK_KEYS) ?? `the lock holds only ${LOCK_KEYS.join(', ')}`);
  }

  let network: Ipv4Network | undefined;
  const cidr = top.get('cidr');
  if (!top.has('cidr')) report('FT104', [], 'value', 'the lock file has no "cidr"', RESTORE);
  else if (typeof cidr !== 'string') report('FT104', ['cidr'], 'value', `the lock's cidr must be a string such as "10.100.0.0/24", not ${describeValue(cidr, 'an object')}`, RESTORE);
  else {
    const parsed = parseIpv4Network(cidr);
    if (typeof parsed === 'string') report('FT117', ['cidr'], 'value', `the lock's cidr ${JSON.stringify(cidr)} is not an IPv4 network with room for hosts`, RESTORE);
    else network = parsed;
  }

  const addresses = readObject('addresses');
  const retired = readObject('retired') ?? {};

  /** The address as a number when it is a usable address of the lock's network, undefined after reporting why not. */
  const usableAddress = (text: string, section: 'addresses' | 'retired', entry: string): number | undefined => {
    const address = parseIpv4(text);
    const problem = address === undefined ? 'invalid' : network === undefined ? undefined : placeInNetwork(address, network);
    if (problem === undefined) return address;
    // Paths and messages are built only here: a lock of thousands of hosts is checked entry by entry on every render.
    const [path, part, subject, hint] =
      section === 'addresses'
        ? [[section, entry], 'value' as const, `host ${JSON.stringify(entry)} is locked to`, `delete ${JSON.stringify(entry)} from the lock's addresses to allocate it a new one`]
        : [[section, entry], 'key' as const, 'the lock retires', `delete ${text} from the lock's retired`];
    if (problem === 'invalid') report('FT305', path, part, `${subject} ${JSON.stringify(text)}, which is not an IPv4 address`, hint);
    else if (problem === 'outside') report('FT305', path, part, `${subject} ${text}, outside the lock's cidr ${network!.cidr}`, hint);
    else report('FT306', path, part, `${subject} ${text}, the ${problem} address of the lock's cidr ${network!.cidr}`, hint);
    return undefined;
  };

  const holders = new Map<number, string>(); // address -> the first host the lock gives it to
  // Object.keys and an index, not Object.entries: an array per entry makes a large lock several times slower to read.
  for (const host of addresses ? Object.keys(addresses) : []) {
    const text = addresses![host];
    if (typeof text !== 'string') {
      report('FT104', ['addresses', host], 'value', `the address of host ${JSON.stringify(host)} must be a string such as "10.100.0.1", not ${describeValue(text, 'an object')}`, RESTORE);
      continue;
    }
    if (!HOST_NAME.test(host)) {
      report('FT119', ['addresses', host], 'key', `${JSON.stringify(host)} in the lock's addresses is not a host name (a DNS label: lower-case letters, digits and '-')`, `delete the entry, or ${RESTORE}`);
    }
    const address = usableAddress(text, 'addresses', host);
    if (address === undefined) continue;
    const first = holders.get(address);
    if (first === undefined) {
      holders.set(address, host);
      continue;
    }
    // Reported once, at whichever of the two comes later in the file: the line a merge most likely added.
    const [earlier, later] = ordered([first, locate(['addresses', first])], [host, locate(['addresses', host])]);
    diagnostics.push(error('FT307', later[1], `address ${text} is locked to host "${earlier[0]}" (line ${earlier[1].start.line}) and to host "${later[0]}"`, `delete one of them from the lock's addresses; it gets a new address on the next render`));
  }

  for (const text of Object.keys(retired)) {
    const host = retired[text];
    if (!LOOKS_LIKE_ADDRESS.test(text)) {
      report('FT115', ['retired', text], 'key', `unknown key ${JSON.stringify(text)} in the lock's retired: its keys are the mesh addresses given up`, `delete the entry, or ${RESTORE}`);
      continue;
    }
    if (typeof host !== 'string') {
      report('FT104', ['retired', text], 'value', `the host that held retired address ${JSON.stringify(text)} must be a host name, not ${describeValue(host, 'an object')}`, RESTORE);
      continue;
    }
    if (!HOST_NAME.test(host)) {
      report('FT119', ['retired', text], 'value', `retired address ${text} names ${describeValue(host, 'an object')}, which is not a host name`, `write the name of the host that held it, or ${RESTORE}`);
    }
    const address = usableAddress(text, 'retired', text);
    const holder = address === undefined ? undefined : holders.get(address);
    if (holder !== undefined) {
      report('FT118', ['retired', text], 'key', `address ${text} is retired, but the lock's addresses give it to host "${holder}"`, `delete ${text} from the lock's retired`);
    }
  }

  if (diagnostics.length > 0 || network === undefined || addresses === undefined) return { diagnostics };
  // Nothing was reported, so these are JSON.parse's own objects holding strings only, keyed by DNS
  // labels and addresses: never "__proto__". Readers still go through Object.entries or Object.hasOwn.
  return {
    lock: { version: 1, cidr: network.cidr, addresses: addresses as Record<string, string>, retired: retired as Record<string, string> },
    diagnostics,
  };

  /** The object under `key`, reported when it is something else; `retired` may be absent (older locks), `addresses` may not. */
  function readObject(key: 'addresses' | 'retired'): Record<string, unknown> | undefined {
    const map = top.get(key);
    if (!top.has(key)) {
      if (key === 'addresses') report('FT104', [], 'value', 'the lock file has no "addresses"', RESTORE);
      return undefined;
    }
    if (isObject(map)) return map;
    report('FT104', [key], 'value', `the lock's ${key} must be an object, not ${describeValue(map, 'an object')}`, RESTORE);
    return undefined;
  }
}

function duplicateDiagnostic(duplicate: DuplicateKey): Diagnostic {
  const [where, key] = duplicate.path.length === 2 ? duplicate.path : [undefined, duplicate.path.at(-1)];
  const first = `first at line ${duplicate.first.start.line}`;
  if (where === 'addresses') {
    return error('FT116', duplicate.span, `host ${JSON.stringify(key)} is listed twice in the lock's addresses (${first})`, 'keep the entry with the address the host has now and delete the other');
  }
  if (where === 'retired') {
    return error('FT116', duplicate.span, `address ${String(key)} is retired twice in the lock (${first})`, 'keep one of the two entries');
  }
  return error('FT116', duplicate.span, `key ${JSON.stringify(String(key))} appears twice in the same object of the lock file (${first})`, 'keep one of the two');
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function ordered<T>(a: [T, SourceSpan], b: [T, SourceSpan]): [[T, SourceSpan], [T, SourceSpan]] {
  const before = a[1].start.line - b[1].start.line || a[1].start.col - b[1].start.col;
  return before <= 0 ? [a, b] : [b, a];
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
