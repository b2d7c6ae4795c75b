// Properties of the whole compile: deterministic bytes, YAML order irrelevant, addresses stable.
import { parse, stringify } from 'yaml';
import { describe, expect, test } from 'vitest';
import { generateKeyPair, generateTopology } from '../../bench/generateTopology.mjs';
import { compileText, filesByPath } from '../support/compileExample.js';

/** A small seeded PRNG (mulberry32), so a failing case can be replayed from its seed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe.each([
  ['hub-and-spoke', 60],
  ['full-mesh', 20],
] as const)('%s with %i hosts', (shape, hosts) => {
  const { topology, yaml } = generateTopology({ hosts, shape });

  test('rendering twice gives identical bytes', () => {
    const first = compileText(yaml);
    const second = compileText(yaml);
    expect(filesByPath(second)).toEqual(filesByPath(first));
    expect(second.lockText).toBe(first.lockText);
  });

  test.each([1, 2, 3])('reordering hosts, sites and services in the YAML changes no byte (seed %i)', (seed) => {
    const next = random(seed);
    const reordered = { ...topology } as Record<string, unknown>;
    for (const key of ['hosts', 'sites', 'services']) {
      const entries = Object.entries(topology[key] as Record<string, unknown>);
      reordered[key] = Object.fromEntries(shuffled(entries, next));
    }
    const keyOrder = shuffled(Object.keys(reordered), next);
    const text = stringify(Object.fromEntries(keyOrder.map((k) => [k, reordered[k]])));
    expect(text).not.toBe(yaml);
    expect(filesByPath(compileText(text))).toEqual(filesByPath(compileText(yaml)));
  });

  test.each([1, 2, 3])('adding and removing hosts moves no other host (seed %i)', (seed) => {
    const next = random(seed);
    let current = parse(yaml) as typeof topology;
    let lockText = compileText(yaml).lockText;
    for (let round = 0; round < 5; round++) {
      const before = JSON.parse(lockText).addresses as Record<string, string>;
      const hostsNow = { ...current.hosts };
      // Plain app hosts only: the hub, the databases and load balancers are referenced elsewhere.
      const removable = Object.keys(hostsNow).filter((n) => (hostsNow[n]!.roles as string[]).join() === 'app');
      for (const name of shuffled(removable, next).slice(0, 3)) delete hostsNow[name];
      for (let i = 0; i < 3; i++) {
        const name = `new-${seed}-${round}-${i}`;
        hostsNow[name] = { site: 'frankfurt', roles: ['app'], publicKey: generateKeyPair().publicKey, ...(shape === 'full-mesh' && { endpoint: `198.19.${round}.${i + 1}` }) };
      }
      current = { ...current, hosts: Object.fromEntries(shuffled(Object.entries(hostsNow), next)) };
      const compiled = compileText(stringify(current), lockText);
      const after = JSON.parse(compiled.lockText).addresses as Record<string, string>;
      for (const [name, address] of Object.entries(before)) {
        if (name in hostsNow) expect(after[name], name).toBe(address);
      }
      expect(new Set(Object.values(after)).size).toBe(Object.keys(after).length);
      lockText = compiled.lockText;
    }
  });
});

describe('the generated header', () => {
  test('a newline in the topology path cannot end the comment in any rendered file', async () => {
    const { compile } = await import('../../src/compile.js');
    const { yaml } = generateTopology({ hosts: 3 });
    const { compiled } = compile({ topology: { path: 't.yaml', text: yaml }, source: 'topology/x\nPostUp = evil.yaml' });
    for (const file of compiled!.files.filter((f) => f.path !== 'manifest.json')) {
      expect(file.content, file.path).not.toMatch(/^PostUp = evil/m);
      expect(file.content, file.path).toContain('topology/x?PostUp = evil.yaml');
    }
  });
});
