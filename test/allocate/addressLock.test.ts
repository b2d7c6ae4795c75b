// The lock file is read strictly: every problem is a diagnostic at its own line and column of the lock.
import { describe, expect, test } from 'vitest';
import { readLock, serializeLock } from '../../src/allocate/addressLock.js';
import { parseJsonDocument } from '../../src/load/jsonDocument.js';

const PATH = 'topology/topology.lock.json';

function read(text: string) {
  const parsed = parseJsonDocument({ path: PATH, text });
  expect(parsed.diagnostics).toEqual([]);
  return readLock(parsed.document!);
}

/** code line:col message, one string per diagnostic, in the order a reader meets them. */
function problems(text: string): string[] {
  const { lock, diagnostics } = read(text);
  expect(lock).toBeUndefined();
  for (const d of diagnostics) expect(d.span.file).toBe(PATH);
  return diagnostics
    .sort((a, b) => a.span.start.line - b.span.start.line || a.span.start.col - b.span.start.col)
    .map((d) => `${d.code} ${d.span.start.line}:${d.span.start.col} ${d.message}`);
}

const lockText = (addresses: string, retired = '{}', extra = '') =>
  `{\n  "version": 1,\n  "cidr": "10.100.0.0/24",\n  "addresses": ${addresses},\n  "retired": ${retired}${extra}\n}\n`;

describe('readLock', () => {
  test('a lock fortress wrote reads back as it was written', () => {
    const lock = { version: 1 as const, cidr: '10.100.0.0/24', addresses: { a: '10.100.0.2', hub: '10.100.0.1' }, retired: { '10.100.0.3': 'gone' } };
    expect(read(serializeLock(lock))).toEqual({ lock, diagnostics: [] });
  });

  test('a lock without retired (as older ones were) is read with none', () => {
    expect(read('{ "version": 1, "cidr": "10.0.0.0/24", "addresses": {} }').lock).toEqual({ version: 1, cidr: '10.0.0.0/24', addresses: {}, retired: {} });
  });

  test('a misspelt key is unknown, with the key it most likely meant', () => {
    const { diagnostics } = read(lockText('{}', undefined, ',\n  "retierd": { "10.100.0.4": "old" }'));
    expect(diagnostics.map((d) => [d.code, d.span.start.line, d.span.start.col, d.message, d.hint])).toEqual([
      ['FT115', 6, 3, 'unknown key "retierd" in the lock file', 'did you mean "retired"?'],
    ]);
  });

  test('a host listed twice and an address retired twice are reported at the second entry, naming the first', () => {
    const text = lockText('{\n    "a": "10.100.0.2",\n    "b": "10.100.0.3",\n    "a": "10.100.0.4"\n  }', '{\n    "10.100.0.9": "x",\n    "10.100.0.9": "y"\n  }');
    expect(problems(text)).toEqual([
      'FT116 7:5 host "a" is listed twice in the lock\'s addresses (first at line 5)',
      'FT116 11:5 address 10.100.0.9 is retired twice in the lock (first at line 10)',
    ]);
  });

  test('a duplicate spelt with an escape is still a duplicate', () => {
    expect(problems(lockText('{ "ab": "10.100.0.2", "a\\u0062": "10.100.0.3" }'))).toEqual([
      'FT116 4:38 host "ab" is listed twice in the lock\'s addresses (first at line 4)',
    ]);
  });

  test('a duplicate top-level key is reported too', () => {
    expect(problems(lockText('{}', undefined, ',\n  "cidr": "10.100.0.0/24"'))).toEqual([
      'FT116 6:3 key "cidr" appears twice in the same object of the lock file (first at line 3)',
    ]);
  });

  test('two hosts on one address: one diagnostic, at the later line, naming both', () => {
    const text = lockText('{\n    "b": "10.100.0.2",\n    "a": "10.100.0.2"\n  }');
    expect(problems(text)).toEqual(['FT307 6:10 address 10.100.0.2 is locked to host "b" (line 5) and to host "a"']);
  });

  test('addresses must be addresses of the lock\'s own cidr', () => {
    const text = lockText('{\n    "a": "10.100.0.02",\n    "b": "10.100.1.2",\n    "c": "10.100.0.255",\n    "d": "10.100.0.0"\n  }');
    expect(problems(text)).toEqual([
      'FT305 5:10 host "a" is locked to "10.100.0.02", which is not an IPv4 address',
      'FT305 6:10 host "b" is locked to 10.100.1.2, outside the lock\'s cidr 10.100.0.0/24',
      'FT306 7:10 host "c" is locked to 10.100.0.255, the broadcast address of the lock\'s cidr 10.100.0.0/24',
      'FT306 8:10 host "d" is locked to 10.100.0.0, the network address of the lock\'s cidr 10.100.0.0/24',
    ]);
  });

  test('retired entries: an address, not held by a host, naming a host', () => {
    const text = lockText('{ "a": "10.100.0.2" }', '{\n    "10.100.0.2": "old",\n    "10.100.0.3": "Old Host",\n    "10.200.0.4": "old",\n    "note": "old"\n  }');
    expect(problems(text)).toEqual([
      'FT118 6:5 address 10.100.0.2 is retired, but the lock\'s addresses give it to host "a"',
      'FT119 7:19 retired address 10.100.0.3 names "Old Host", which is not a host name',
      'FT305 8:5 the lock retires 10.200.0.4, outside the lock\'s cidr 10.100.0.0/24',
      'FT115 9:5 unknown key "note" in the lock\'s retired: its keys are the mesh addresses given up',
    ]);
  });

  test('wrong types are reported at the value, each of them', () => {
    const text = '{\n  "version": 1,\n  "cidr": 24,\n  "addresses": {\n    "a": 2,\n    "b": null\n  },\n  "retired": []\n}\n';
    expect(problems(text)).toEqual([
      'FT104 3:11 the lock\'s cidr must be a string such as "10.100.0.0/24", not number 24',
      'FT104 5:10 the address of host "a" must be a string such as "10.100.0.1", not number 2',
      'FT104 6:10 the address of host "b" must be a string such as "10.100.0.1", not null',
      'FT104 8:14 the lock\'s retired must be an object, not a list',
    ]);
  });

  test('another version is refused at the version, and nothing else is judged', () => {
    expect(problems('{\n  "version": 2,\n  "hosts": {}\n}\n')).toEqual(['FT104 2:14 the lock file is version 2, but this fortress reads version 1']);
    expect(problems('{\n  "version": "1"\n}\n')[0]).toBe('FT104 2:14 the lock file is version "1", but this fortress reads version 1');
  });

  test('missing keys and a lock that is not an object are reported at the top', () => {
    expect(problems('{ "version": 1 }')).toEqual(['FT104 1:1 the lock file has no "cidr"', 'FT104 1:1 the lock file has no "addresses"']);
    expect(problems('[1, 2]')).toEqual(['FT104 1:1 the lock file must be an object { version, cidr, addresses, retired }, not a list']);
  });

  test('a cidr that is not a network', () => {
    for (const cidr of ['10.100.0.0/33', '10.100.0.0/0x18', '10.100.0.1/24', '10.100.0.0']) {
      expect(problems(lockText('{}').replace('10.100.0.0/24', cidr))).toEqual([`FT117 3:11 the lock's cidr "${cidr}" is not an IPv4 network with room for hosts`]);
    }
  });

  test('"__proto__", "constructor" and friends are text: no crash, no pollution', () => {
    const text = lockText('{\n    "__proto__": "10.100.0.2",\n    "constructor": "10.100.0.3",\n    "tostring": "10.100.0.4"\n  }', '{ "10.100.0.5": "hasownproperty" }');
    expect(problems(text)).toEqual(['FT119 5:5 "__proto__" in the lock\'s addresses is not a host name (a DNS label: lower-case letters, digits and \'-\')']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);

    // "constructor" is a DNS label: a valid host name, and read as one.
    const { lock } = read(lockText('{ "constructor": "10.100.0.3" }', '{ "10.100.0.5": "valueof" }'));
    expect(Object.entries(lock!.addresses)).toEqual([['constructor', '10.100.0.3']]);
    expect(Object.entries(lock!.retired)).toEqual([['10.100.0.5', 'valueof']]);
  });

  test('a lock nested a hundred thousand levels deep is refused where it gets too deep, without recursing', () => {
    const text = `{\n  "version": 1,\n  "addresses": ${'['.repeat(100_000)}${']'.repeat(100_000)}\n}\n`;
    const parsed = parseJsonDocument({ path: PATH, text });
    expect(parsed.diagnostics.map((d) => [d.code, d.span.file, d.span.start.line, d.span.start.col])).toEqual([['FT107', PATH, 3, 79]]);
  });

  test('syntax errors stay syntax errors, at their line', () => {
    const parsed = parseJsonDocument({ path: PATH, text: '{\n  "version": 1,\n  "cidr": "10.0.0.0/24",\n}\n' });
    expect(parsed.diagnostics.map((d) => [d.code, d.span.start.line])).toEqual([['FT101', 4]]);
  });

  // A guard against anything quadratic creeping into the read (yaml's own duplicate-key check is):
  // on a quiet machine this takes about 10 ms.
  test('4,000 hosts are read in well under a second', () => {
    const addresses = Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`host-${i}`, `10.100.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}`]));
    const text = serializeLock({ version: 1, cidr: '10.100.0.0/16', addresses, retired: {} });
    const started = performance.now();
    const { lock, diagnostics } = read(text);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(diagnostics).toEqual([]);
    expect(Object.keys(lock!.addresses)).toHaveLength(4000);
  });
});
