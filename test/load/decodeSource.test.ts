// Bytes -> text: UTF-8 only, with everything else named for what it is and placed.
import { describe, expect, test } from 'vitest';
import { decodeSource, firstInvalidUtf8 } from '../../src/load/decodeSource.js';
import { parseJsonDocument } from '../../src/load/jsonDocument.js';
import { parseSourceDocument } from '../../src/load/sourceDocument.js';

const TEXT = 'version: 1\nname: acme\n';
const utf16le = (text: string) => Buffer.from(text, 'utf16le');
const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();

function problemOf(bytes: Uint8Array) {
  const source = decodeSource('t.yaml', bytes);
  const parsed = parseSourceDocument(source);
  expect(parsed.document).toBeUndefined();
  expect(parsed.diagnostics).toHaveLength(1);
  return parsed.diagnostics[0]!;
}

describe('decodeSource', () => {
  test('UTF-8 is read as it is, non-ASCII characters included', () => {
    const source = decodeSource('t.yaml', Buffer.from('region: tromsø 🏔\n'));
    expect(source).toEqual({ path: 't.yaml', text: 'region: tromsø 🏔\n' });
  });

  test('a UTF-8 byte order mark is accepted and dropped, so columns on line 1 stay right', () => {
    const source = decodeSource('t.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)]));
    expect(source.text).toBe(TEXT);
    const parsed = parseSourceDocument(source);
    expect(parsed.document?.value).toEqual({ version: 1, name: 'acme' });
    expect(parsed.document?.locate(['version'], 'key').start).toEqual({ line: 1, col: 1 });
  });

  test.each([
    ['UTF-16 (little-endian, with a byte order mark)', Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le(TEXT)])],
    ['UTF-16 (big-endian, with a byte order mark)', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)])],
    ['UTF-16 (little-endian)', utf16le(TEXT)],
    ['UTF-16 (big-endian)', utf16be(TEXT)],
    ['UTF-16 (little-endian)', utf16le('# ключ: комментарий\nversion: 1\n')],
    ['UTF-32 (little-endian, with a byte order mark)', Buffer.from([0xff, 0xfe, 0, 0, 0x76, 0, 0, 0])],
    ['UTF-32 (big-endian, with a byte order mark)', Buffer.from([0, 0, 0xfe, 0xff, 0, 0, 0, 0x76])],
    ['UTF-32 (little-endian)', Buffer.from([0x76, 0, 0, 0, 0x3a, 0, 0, 0])],
  ])('%s is named, at line 1', (name, bytes) => {
    const problem = problemOf(bytes);
    expect(problem.code).toBe('FT106');
    expect(problem.message).toBe(`the file is ${name}; save it as UTF-8`);
    expect(problem.span?.start).toEqual({ line: 1, col: 1 });
  });

  test('a Latin-1 byte is placed at its line and column, counted in characters', () => {
    const bytes = Buffer.concat([Buffer.from('version: 1\nname: "å"\nregion: troms'), Buffer.from([0xf8]), Buffer.from('\n')]);
    const problem = problemOf(bytes);
    expect(problem.code).toBe('FT106');
    expect(problem.message).toMatch(/^the file is not UTF-8: byte 0xF8 here is not valid UTF-8/);
    expect(problem.span?.start).toEqual({ line: 3, col: 14 });
  });

  test('an invalid first byte is at 1:1', () => {
    expect(problemOf(Buffer.from([0x93, 0x41])).span?.start).toEqual({ line: 1, col: 1 });
  });

  test.each([
    ['a lead byte at the end of the file', [0x61, 0xc3], 1],
    ['a lead byte followed by ASCII', [0x61, 0xc3, 0x28], 1],
    ['an overlong encoding of "/"', [0xc0, 0xaf], 0],
    ['an overlong three-byte form', [0xe0, 0x80, 0xaf], 0],
    ['a surrogate encoded in UTF-8', [0x61, 0xed, 0xa0, 0x80], 1],
    ['a code point beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a stray continuation byte', [0x61, 0x62, 0x80], 2],
    ['0xFF', [0xff], 0],
  ])('%s is invalid UTF-8, found where it starts', (_what, bytes, offset) => {
    expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(offset);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes))).toThrow();
  });

  test('firstInvalidUtf8 agrees with the platform decoder on random bytes', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // Mostly ASCII and well-formed sequences, with a chance of damage, so that both answers occur often.
    const samples = ['a', 'ø', '€', '🏔', '\n'].map((c) => [...Buffer.from(c)]);
    for (let round = 0; round < 3000; round++) {
      const bytes: number[] = [];
      const length = 1 + Math.floor(random() * 12);
      for (let i = 0; i < length; i++) {
        if (random() < 0.08) bytes.push(Math.floor(random() * 256));
        else bytes.push(...samples[Math.floor(random() * samples.length)]!);
      }
      const array = Uint8Array.from(bytes);
      let valid = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(array);
      } catch {
        valid = false;
      }
      expect(firstInvalidUtf8(array) === undefined, `bytes ${Buffer.from(array).toString('hex')}`).toBe(valid);
    }
  });

  test('the lock file is decoded the same way: a UTF-16 lock is named, in the lock', () => {
    const problem = parseJsonDocument(decodeSource('topology/topology.lock.json', utf16le('{"version": 1}\n')));
    expect(problem.diagnostics.map((d) => [d.code, d.span?.file])).toEqual([['FT106', 'topology/topology.lock.json']]);
  });
});
