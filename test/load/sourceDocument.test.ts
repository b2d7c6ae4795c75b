// The loader's document-wide checks: aliases, keys, nesting, numbers, strings. The corpus
// (test/corpus/bad/yaml-*, value-*) shows each through the CLI; these pin down what a corpus case
// cannot: boundaries, timing, no warning printed, and the shape of the values handed on.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { parseDocument } from 'yaml';
import { MAX_ALIAS_EXPANSION } from '../../src/load/aliasExpansion.js';
import { MAX_NESTING_DEPTH } from '../../src/load/boundedParse.js';
import { parseSourceDocument } from '../../src/load/sourceDocument.js';
import { toPlainValue } from '../../src/load/plainValue.js';

const load = (text: string) => parseSourceDocument({ path: 't.yaml', text });

/** The diagnostics of a text that must fail to load, as "CODE line:col". */
function problems(text: string): string[] {
  const { document, diagnostics } = load(text);
  expect(document).toBeUndefined();
  return diagnostics.map((d) => `${d.code} ${d.span?.start.line}:${d.span?.start.col}`);
}

function valueOf(text: string): unknown {
  const { document, diagnostics } = load(text);
  expect(diagnostics).toEqual([]);
  return document!.value;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('aliases', () => {
  test('an alias to an anchor never set is named as such, at the alias, with a hint to quote it', () => {
    const { diagnostics } = load('frontends:\n  - name: db\n    bind: *:5433\n');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      code: 'FT105',
      message: '"*:5433" is an alias, but no anchor "&:5433" is set before it',
      hint: 'quote the value if it is text: "*:5433"',
      span: { start: { line: 3, col: 11 } },
    });
  });

  test('an anchor on a key may be named by a later alias, like any anchor', () => {
    const { document, diagnostics } = load('&k name: 1\nother: *k\n');
    expect(diagnostics).toEqual([]);
    expect(document!.value).toEqual({ name: 1, other: 'name' });
  });

  test('an alias before its anchor is undefined too, and each such alias is reported', () => {
    expect(problems('a: *x\nb: &x 1\nc: *y\n')).toEqual(['FT105 1:4', 'FT105 3:4']);
  });

  test('500 hosts sharing a small anchor pass, and share the one object', () => {
    const hosts = Array.from({ length: 500 }, (_, i) => `  host-${i}: { site: oslo, ssh: *ssh }`).join('\n');
    const started = performance.now();
    const value = valueOf(`defaults: &ssh { user: deploy, port: 22 }\nhosts:\n${hosts}\n`) as { hosts: Record<string, { ssh: unknown }>; defaults: unknown };
    expect(performance.now() - started).toBeLessThan(2000);
    expect(Object.keys(value.hosts)).toHaveLength(500);
    expect(value.hosts['host-499']!.ssh).toEqual({ user: 'deploy', port: 22 });
    expect(value.hosts['host-0']!.ssh).toBe(value.defaults);
  });

  test('50,000 uses of a scalar anchor cost linear time (yaml toJS would take their number squared)', () => {
    const started = performance.now();
    const value = valueOf(`a: &a x\nb: [${Array(50_000).fill('*a').join(', ')}]\n`) as { b: string[] };
    const elapsed = performance.now() - started;
    expect(value.b).toHaveLength(50_000);
    expect(elapsed).toBeLessThan(5000);
  });

  test('a billion laughs is refused where its chain of aliases starts', () => {
    const laughs = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (const [i, name] of [...'bcdefghi'].entries()) laughs.push(`${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`);
    const { diagnostics } = load(`unrelated: &u 1\nuse: *u\n${laughs.join('\n')}\n`);
    expect(diagnostics.map((d) => `${d.code} ${d.span?.start.line}:${d.span?.start.col}`)).toEqual(['FT103 4:8']);
    expect(diagnostics[0]!.message).toMatch(/more than 100,000 values/);
  });

  test('the budget is on values added, so just under it passes and just over it does not', () => {
    // The anchor is a list of 999 scalars: 1,000 values per use.
    const anchor = `a: &a [${Array(999).fill('x').join(', ')}]\n`;
    const uses = (n: number) => `${anchor}b: [${Array(n).fill('*a').join(', ')}]\n`;
    expect(MAX_ALIAS_EXPANSION).toBe(100_000);
    expect(load(uses(100)).diagnostics).toEqual([]);
    // A flat anchor starts no chain: the alias that crosses the budget is the one reported.
    expect(problems(uses(101))).toEqual([`FT103 2:${5 + 4 * 100}`]);
  });

  test('an alias inside the node it repeats is refused (it would expand forever)', () => {
    expect(problems('a: &a { b: *a }\n')).toEqual(['FT103 1:12']);
    expect(problems('a: &a [1, [2, *a]]\n')).toEqual(['FT103 1:15']);
  });

  test('an alias resolves to the latest anchor of that name before it, as YAML says', () => {
    const text = 'a: &x 1\nb: *x\nc: &x [2, &x 3, *x]\nd: *x\n';
    expect(valueOf(text)).toEqual({ a: 1, b: 1, c: [2, 3, 3], d: 3 });
    expect(valueOf(text)).toEqual(parseDocument(text).toJS());
  });

  test('aliases that nest beyond the depth limit once expanded are refused at the alias', () => {
    const nest = (inner: string) => `${'['.repeat(30)}${inner}${']'.repeat(30)}`;
    const { diagnostics } = load(`a: &a ${nest('x')}\nb: &b ${nest('*a')}\nc: ${nest('*b')}\n`);
    // b expands to 1 + 30 + 30 = 61 levels, which is fine; c to 1 + 30 + 60.
    expect(diagnostics.map((d) => `${d.code} ${d.span?.start.line}:${d.span?.start.col}`)).toEqual(['FT107 3:34']);
    expect(diagnostics[0]!.message).toBe('with this alias expanded, lists and mappings nest 91 levels deep; fortress reads at most 64');
  });
});

describe('keys', () => {
  test('a list as a key is an error at the key, and nothing is printed (no process warning)', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    const { diagnostics } = load('name: x\n? [a, b]\n: x\n');
    expect(diagnostics.map((d) => [d.code, d.span?.start])).toEqual([['FT108', { line: 2, col: 3 }]]);
    expect(diagnostics[0]!.message).toBe('this key is a list, but keys in a topology are plain text');
    expect(warn).not.toHaveBeenCalled();
  });

  test('yaml itself would warn on stderr for that key (what the check prevents)', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    parseDocument('? [a, b]\n: x\n').toJS();
    expect(warn).toHaveBeenCalledOnce();
  });

  test('mappings and aliases as keys are errors too; nested ones are found', () => {
    expect(problems('a:\n  b:\n    { c: 1 }: x\n')).toEqual(['FT108 3:5']);
    expect(problems('a: &k x\nb:\n  *k : y\n')).toEqual(['FT108 3:3']);
  });

  test.each([
    ['10 and "10"', '10: a\n"10": b\n', 'FT102 2:1'],
    ['true and "true"', 'true: a\n"true": b\n', 'FT102 2:1'],
    ['0x10 and 16', '0x10: a\n16: b\n', 'FT102 2:1'],
    ['1.0 and 1', '1.0: a\n1: b\n', 'FT102 2:1'],
    ['null and ""', '~: a\n"": b\n', 'FT102 2:1'],
    ['inside a flow mapping', 'x: { 10: a, "10": b }\n', 'FT102 1:13'],
  ])('keys of different types that load as one key are duplicates: %s', (_what, text, expected) => {
    expect(problems(text)).toEqual([expected]);
  });

  test('the duplicate names the key it repeats', () => {
    expect(load('a: 1\n10: a\n"10": b\n').diagnostics[0]!.message).toBe('this key is the same as 10 on line 2: "10" and 10 are one key once loaded');
    expect(load('a: 1\na: 2\n').diagnostics[0]!.message).toBe('this key appears twice in the same mapping (first on line 1)');
  });

  test('different keys of different types are not duplicates', () => {
    expect(valueOf('10: a\n"11": b\ntrue: c\n"false": d\n')).toEqual({ 10: 'a', 11: 'b', true: 'c', false: 'd' });
  });

  test('yaml toJS keeps a __proto__ key as an own property; fortress refuses the key all the same', () => {
    const fromYaml = parseDocument('__proto__: { polluted: true }\n').toJS() as Record<string, unknown>;
    expect(Object.getPrototypeOf(fromYaml)).toBe(Object.prototype);
    expect(Object.hasOwn(fromYaml, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    expect(problems('__proto__: { polluted: true }\n')).toEqual(['FT111 1:1']);
    expect(problems('a:\n  "__proto__": 1\n')).toEqual(['FT111 2:3']);
    expect(problems('a: [{ __proto__: 1 }]\n')).toEqual(['FT111 1:7']);
  });

  test('constructor and prototype are ordinary keys: own properties, and the prototype is untouched', () => {
    const value = valueOf('constructor: a\nprototype: { constructor: b }\ntoString: c\nhasOwnProperty: d\n') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['constructor', 'prototype', 'toString', 'hasOwnProperty']);
    expect(Object.hasOwn(value, 'constructor') && value.constructor).toBe('a');
    expect(Object.hasOwn(value.prototype as object, 'constructor')).toBe(true);
  });

  test('the value builder never assigns a key, so even an unchecked __proto__ stays an own property', () => {
    const value = toPlainValue(parseDocument('__proto__: { polluted: true }\n')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
  });
});

describe('nesting depth', () => {
  const flowSeq = (n: number) => `a: ${'['.repeat(n)}${']'.repeat(n)}\n`;
  const flowMap = (n: number) => `a: ${'{a: '.repeat(n)}1${'}'.repeat(n)}\n`;
  const blockSeq = (n: number) => `a:\n  ${'- '.repeat(n)}x\n`;
  const blockMap = (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n';

  test(`${MAX_NESTING_DEPTH} levels pass, one more is refused where it starts`, () => {
    // The root mapping is the first level.
    expect(load(flowSeq(MAX_NESTING_DEPTH - 1)).diagnostics).toEqual([]);
    expect(problems(flowSeq(MAX_NESTING_DEPTH))).toEqual([`FT107 1:${4 + MAX_NESTING_DEPTH - 1}`]);
    expect(load(blockMap(MAX_NESTING_DEPTH)).diagnostics).toEqual([]);
    expect(problems(blockMap(MAX_NESTING_DEPTH + 1))).toEqual([`FT107 ${MAX_NESTING_DEPTH + 1}:${MAX_NESTING_DEPTH + 1}`]);
  });

  test.each([
    ['flow lists', flowSeq],
    ['flow mappings', flowMap],
    ['block lists', blockSeq],
  ])('10,000 and 100,000 levels of %s are refused at once, with no stack overflow', (_what, make) => {
    for (const levels of [10_000, 100_000]) {
      const text = make(levels);
      const started = performance.now();
      const { diagnostics } = load(text);
      const elapsed = performance.now() - started;
      expect(diagnostics.map((d) => d.code)).toEqual(['FT107']);
      expect(diagnostics[0]!.message).toMatch(/more than 64 levels deep/);
      expect(elapsed, `${levels} levels took ${elapsed.toFixed(1)} ms`).toBeLessThan(1000);
    }
  });

  test('10,000 levels of indented block mappings (50 MB of indentation) are refused at once', () => {
    const text = blockMap(10_000);
    const started = performance.now();
    expect(problems(text)).toEqual([`FT107 ${MAX_NESTING_DEPTH + 1}:${MAX_NESTING_DEPTH + 1}`]);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('numbers', () => {
  test.each([
    ['count: 99999999999999999999', 'FT109 1:8'],
    ['count: 9007199254740992', 'FT109 1:8'],
    ['count: -9007199254740992', 'FT109 1:8'],
    ['count: 0x20000000000000', 'FT109 1:8'],
    ['count: 0o400000000000000000', 'FT109 1:8'],
    ['count: .inf', 'FT109 1:8'],
    ['count: -.Inf', 'FT109 1:8'],
    ['count: .nan', 'FT109 1:8'],
    ['count: 1e400', 'FT109 1:8'],
    ['99999999999999999999: x', 'FT109 1:1'],
  ])('%s is refused', (text, expected) => {
    expect(problems(`${text}\n`)).toEqual([expected]);
  });

  test('the message says what would be written instead, and the hint how to keep the digits', () => {
    expect(load('x: 99999999999999999999\n').diagnostics[0]).toMatchObject({
      message: '99999999999999999999 is beyond the integers fortress keeps exactly (±9007199254740991): it would be written as 100000000000000000000',
      hint: 'quote it to keep every digit as text: "99999999999999999999"',
    });
  });

  test('safe integers, floats and quoted numbers pass', () => {
    expect(valueOf('a: 9007199254740991\nb: -9007199254740991\nc: 1.5\nd: 1e20\ne: "99999999999999999999"\nf: 0x1F\n')).toEqual({
      a: Number.MAX_SAFE_INTEGER,
      b: Number.MIN_SAFE_INTEGER,
      c: 1.5,
      d: 1e20,
      e: '99999999999999999999',
      f: 31,
    });
  });
});

describe('strings', () => {
  test.each([
    ['a lone high surrogate', 'a: "x\\ud800y"\n', 'FT110 1:4'],
    ['a lone low surrogate', 'a: "\\udc00"\n', 'FT110 1:4'],
    ['a lone surrogate at the end', 'a: "abc\\uDBFF"\n', 'FT110 1:4'],
    ['a reversed pair', 'a: "\\ude00\\ud83d"\n', 'FT110 1:4'],
    ['a key with a lone surrogate', 'a:\n  "k\\ud800": 1\n', 'FT110 2:3'],
  ])('%s is refused at the string', (_what, text, expected) => {
    expect(problems(text)).toEqual([expected]);
  });

  test('a whole surrogate pair, written as two escapes or as one, is fine', () => {
    expect(valueOf('a: "\\ud83d\\ude00"\nb: "\\U0001F600"\nc: 😀\n')).toEqual({ a: '😀', b: '😀', c: '😀' });
  });
});

describe('values', () => {
  test('the values handed on are what yaml toJS makes, for the documents that load', () => {
    const texts = [
      'a: 1\nb: [x, { c: null, d: true }]\ne: ~\nf:\n',
      'list: [a: 1, b]\n',
      '? x\n: y\n"": empty\n',
      'n: 0o17\nh: 0xff\nf: -1.5e3\ns: "NO"\nc: NO\n',
      'a: &a { x: 1 }\nb: *a\nc: [*a, *a]\n',
      '- 1\n- two\n',
    ];
    for (const text of texts) expect(valueOf(text), text).toEqual(parseDocument(text, { version: '1.2', schema: 'core' }).toJS());
  });

  test.each(['topology/topology.yaml', 'test/fixtures/full-mesh.yaml'])('%s loads to exactly what yaml toJS makes of it', (path) => {
    const text = readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
    expect(valueOf(text)).toStrictEqual(parseDocument(text, { version: '1.2', schema: 'core' }).toJS());
  });

  test('positions still resolve through the document', () => {
    const { document } = load('hosts:\n  a:\n    site: oslo\n');
    expect(document!.locate(['hosts', 'a', 'site']).start).toEqual({ line: 3, col: 11 });
    expect(document!.locate(['hosts', 'a', 'site'], 'key').start).toEqual({ line: 3, col: 5 });
  });
});
