import { describe, expect, test } from 'vitest';
import { emptyLock, serializeLock, type AddressLock } from '../../src/allocate/addressLock.js';
import { allocateAddresses } from '../../src/allocate/allocateAddresses.js';
import { parseIpv4Network, type Ipv4Network } from '../../src/allocate/ipv4Network.js';
import type { TopologyInput } from '../../src/validate/topologyInput.js';

const nowhere = () => ({ file: 'x', start: { line: 1, col: 1 }, end: { line: 1, col: 1 } });
const locate = { topology: nowhere, lock: nowhere };

function topology(hosts: Record<string, { hub?: boolean; pin?: string }>, cidr = '10.100.0.0/24'): TopologyInput {
  return {
    version: 1,
    name: 't',
    mesh: { cidr },
    sites: { oslo: { provider: 'p', region: 'r', country: 'NO' } },
    hosts: Object.fromEntries(
      Object.entries(hosts).map(([name, h]) => [
        name,
        { site: 'oslo', publicKey: 'k', roles: h.hub ? ['hub'] : ['app'], ...(h.pin ? { meshAddress: h.pin } : {}) },
      ]),
    ),
  };
}

function allocate(t: TopologyInput, previous?: AddressLock) {
  const network = parseIpv4Network(t.mesh.cidr) as Ipv4Network;
  return allocateAddresses(t, network, previous ?? emptyLock(t.mesh.cidr), locate);
}

function addresses(t: TopologyInput, previous?: AddressLock): Record<string, string> {
  const result = allocate(t, previous);
  expect(result.diagnostics).toEqual([]);
  return result.allocation!.lock.addresses;
}

describe('allocateAddresses', () => {
  test('hubs take the lowest addresses first, then everybody else by name', () => {
    expect(addresses(topology({ zeta: {}, alpha: {}, hub: { hub: true } }))).toEqual({
      hub: '10.100.0.1',
      alpha: '10.100.0.2',
      zeta: '10.100.0.3',
    });
  });

  test('the order of hosts in the YAML does not matter', () => {
    const a = addresses(topology({ b: {}, a: {}, c: { hub: true } }));
    const b = addresses(topology({ c: { hub: true }, a: {}, b: {} }));
    expect(JSON.stringify(Object.entries(a).sort())).toBe(JSON.stringify(Object.entries(b).sort()));
  });

  test('a recorded host never moves when others are added, even a new hub that sorts first', () => {
    const first = allocate(topology({ m: { hub: true }, n: {} })).allocation!.lock;
    const second = addresses(topology({ a: { hub: true }, b: {}, m: { hub: true }, n: {} }), first);
    expect(second.m).toBe(first.addresses.m);
    expect(second.n).toBe(first.addresses.n);
    expect(second.a).toBe('10.100.0.3');
    expect(second.b).toBe('10.100.0.4');
  });

  test('a removed host is retired and its address is not handed out while never-used ones remain', () => {
    const first = allocate(topology({ hub: { hub: true }, a: {}, b: {} })).allocation!.lock;
    const second = allocate(topology({ hub: { hub: true }, b: {} }), first).allocation!.lock;
    expect(second.retired).toEqual({ '10.100.0.2': 'a' });
    expect(second.addresses.b).toBe(first.addresses.b);
    const third = allocate(topology({ hub: { hub: true }, b: {}, c: {} }), second).allocation!.lock;
    expect(third.addresses.c).toBe('10.100.0.4');
    expect(third.retired).toEqual({ '10.100.0.2': 'a' });
  });

  test('retired addresses are reused, lowest first, once no never-used address is left', () => {
    // A /29 has six usable addresses: .1 to .6.
    const full = allocate(topology({ h: { hub: true }, a: {}, b: {}, c: {}, d: {}, e: {} }, '10.0.0.0/29')).allocation!.lock;
    const shrunk = allocate(topology({ h: { hub: true }, a: {}, e: {} }, '10.0.0.0/29'), full).allocation!.lock;
    expect(Object.keys(shrunk.retired)).toEqual(['10.0.0.3', '10.0.0.4', '10.0.0.5']);
    const regrown = allocate(topology({ h: { hub: true }, a: {}, e: {}, x: {} }, '10.0.0.0/29'), shrunk).allocation!.lock;
    expect(regrown.addresses.x).toBe('10.0.0.3');
    expect(Object.keys(regrown.retired)).toEqual(['10.0.0.4', '10.0.0.5']);
  });

  test('pins are honoured and a pinned address is never given to anybody else', () => {
    expect(addresses(topology({ hub: { hub: true, pin: '10.100.0.10' }, a: { pin: '10.100.0.1' }, b: {} }))).toEqual({
      a: '10.100.0.1',
      b: '10.100.0.2',
      hub: '10.100.0.10',
    });
  });

  test('pinning a new host onto an address the lock gives another host is an error', () => {
    const first = allocate(topology({ hub: { hub: true }, a: {} })).allocation!.lock;
    const result = allocate(topology({ hub: { hub: true }, a: {}, b: { pin: '10.100.0.2' } }), first);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['FT307']);
    expect(result.diagnostics[0]!.message).toContain('already allocated to host "a"');
  });

  test('an exhausted network says how many addresses are needed and free', () => {
    const result = allocate(topology({ h: { hub: true }, a: {}, b: {}, c: {} }, '10.0.0.0/30'));
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]!.code).toBe('FT401');
    expect(result.diagnostics[0]!.message).toBe('mesh.cidr 10.0.0.0/30 is full: 4 new hosts need an address but only 2 are free (2 usable in all)');
  });

  test('a locked address outside a changed mesh.cidr is an error naming the host', () => {
    const first = allocate(topology({ hub: { hub: true } })).allocation!.lock;
    const result = allocate(topology({ hub: { hub: true } }, '10.200.0.0/24'), first);
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ['FT305', 'locked address 10.100.0.1 of host "hub" is not inside mesh.cidr 10.200.0.0/24'],
    ]);
  });

  test('a widened mesh.cidr keeps every locked address, and the lock records the new cidr', () => {
    const first = allocate(topology({ hub: { hub: true }, a: {} })).allocation!.lock;
    const widened = allocate(topology({ hub: { hub: true }, a: {}, b: {} }, '10.100.0.0/23'), first).allocation!.lock;
    expect(widened).toEqual({ version: 1, cidr: '10.100.0.0/23', addresses: { hub: '10.100.0.1', a: '10.100.0.2', b: '10.100.0.3' }, retired: {} });
  });

  test('retired addresses outside a changed mesh.cidr are forgotten: they can never be handed out again', () => {
    const lock: AddressLock = { version: 1, cidr: '10.100.0.0/23', addresses: { hub: '10.100.0.1' }, retired: { '10.100.0.9': 'x', '10.100.1.9': 'y' } };
    expect(allocate(topology({ hub: { hub: true } }), lock).allocation!.lock.retired).toEqual({ '10.100.0.9': 'x' });
  });

  test('host names that are also Object.prototype properties are names like any other', () => {
    const lock: AddressLock = { version: 1, cidr: '10.100.0.0/24', addresses: { hub: '10.100.0.1', constructor: '10.100.0.2', tostring: '10.100.0.3' }, retired: {} };
    // "constructor" left the topology: its address is retired, not lost; "tostring" stays where it was.
    const next = allocate(topology({ hub: { hub: true }, tostring: {}, valueof: {} }), lock).allocation!.lock;
    expect(next.addresses).toEqual({ hub: '10.100.0.1', tostring: '10.100.0.3', valueof: '10.100.0.4' });
    expect(next.retired).toEqual({ '10.100.0.2': 'constructor' });
    expect(addresses(topology({ hub: { hub: true }, constructor: {} }))).toEqual({ hub: '10.100.0.1', constructor: '10.100.0.2' });
  });

  test('the lock is written sorted by host name, retired addresses in numeric order', () => {
    const text = serializeLock({ version: 1, cidr: '10.0.0.0/24', addresses: { b: '10.0.0.2', a: '10.0.0.10' }, retired: { '10.0.0.10': 'x', '10.0.0.9': 'y' } });
    expect(text).toBe(
      '{\n  "version": 1,\n  "cidr": "10.0.0.0/24",\n  "addresses": {\n    "a": "10.0.0.10",\n    "b": "10.0.0.2"\n  },\n  "retired": {\n    "10.0.0.9": "y",\n    "10.0.0.10": "x"\n  }\n}\n',
    );
  });
});

describe('parseIpv4Network', () => {
  test.each(['10.0.0.0/8/24', '10.0.0.0/', '10.0.0.0', '10.0.0.0/0x18', '10.0.0.0/ 24', '10.0.0.0/024', '10.0.0.0/33', '10.1/16'])('refuses %s', (cidr) => {
    expect(parseIpv4Network(cidr)).toBe('invalid');
  });
  test('reads a network', () => {
    expect(parseIpv4Network('10.100.0.0/24')).toMatchObject({ cidr: '10.100.0.0/24', prefixLength: 24 });
  });
});
