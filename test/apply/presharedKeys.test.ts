// Which pairs get a new preshared key: decided from the hashes both ends report, never from keys.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { keyFileHash, newPresharedKey, pairsNeedingKeys, parseKeyListing, peerPairs } from '../../src/apply/presharedKeys.js';
import { compileText } from '../support/compileExample.js';
import { readFileSync } from 'node:fs';

const example = compileText(readFileSync(new URL('../../topology/topology.yaml', import.meta.url), 'utf8'));

describe('preshared keys', () => {
  test('every pair of peers once, in name order; --hosts keeps the pairs with a selected end', () => {
    const model = example.model;
    const pairs = peerPairs(model);
    const expected = new Set<string>();
    for (const h of model.hosts) for (const p of h.peers) expected.add([h.name, p.name].sort().join(' '));
    expect(pairs.map((p) => p.join(' '))).toEqual([...expected].sort());
    const spoke = model.hosts.find((h) => !h.isHub)!;
    expect(peerPairs(model, [spoke.name]).every((p) => p.includes(spoke.name))).toBe(true);
    expect(peerPairs(model, [spoke.name])).toHaveLength(spoke.peers.length);
  });

  test('a pair needs a key when either end lacks it or the ends disagree, and only when both ends were read', () => {
    const same = keyFileHash('a');
    const listings = new Map([
      ['hub', new Map([['s1', same], ['s2', same], ['s3', keyFileHash('b')]])],
      ['s1', new Map([['hub', same]])],
      ['s2', new Map()],
      ['s3', new Map([['hub', keyFileHash('c')]])],
    ]);
    const pairs = [['hub', 's1'], ['hub', 's2'], ['hub', 's3'], ['hub', 's4']] as const;
    expect(pairsNeedingKeys(pairs, listings)).toEqual([['hub', 's2'], ['hub', 's3']]);
  });

  test('the hash is what sha256sum prints for the key file, and listings parse only well-formed lines', () => {
    const key = newPresharedKey();
    expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(newPresharedKey()).not.toBe(key);
    expect(keyFileHash(key)).toBe(createHash('sha256').update(`${key}\n`).digest('hex'));
    expect(parseKeyListing(`psk hub ${'a'.repeat(64)}\npsk bad zz\nnoise\n`)).toEqual(new Map([['hub', 'a'.repeat(64)]]));
  });
});
