// A file's bytes -> its text, only when the bytes are UTF-8 (a UTF-8 byte order mark is accepted and
// dropped). Anything else is named for what it is, so a topology saved as UTF-16 by an editor on
// Windows reads "the file is UTF-16; save it as UTF-8" rather than a YAML syntax error about a
// character nobody can see. Pure: the CLI reads the bytes and hands them in.
import { error } from '../diagnostics/diagnostic.js';
import type { SourceText } from './sourceDocument.js';

const SAVE_AS_UTF8 = 'most editors show the encoding in the status bar or offer "Save with Encoding"; choose UTF-8';

export function decodeSource(path: string, bytes: Uint8Array): SourceText {
  const other = otherUnicodeEncoding(bytes);
  if (other !== undefined) {
    const at = { line: 1, col: 1 };
    return { path, text: '', encodingError: error('FT106', { file: path, start: at, end: at }, `the file is ${other}; save it as UTF-8`, SAVE_AS_UTF8) };
  }
  try {
    // fatal: an invalid byte is an error, never a silent U+FFFD in a value that ends up in a rendered file.
    return { path, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const offset = firstInvalidUtf8(bytes) ?? 0;
    const lineStart = offset === 0 ? 0 : bytes.lastIndexOf(0x0a, offset - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    // Columns count characters, as they do for every other diagnostic; the part of the line before the bad byte is valid UTF-8.
    const col = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, offset)).length + 1;
    const at = { line, col };
    const byte = bytes[offset]!.toString(16).toUpperCase().padStart(2, '0');
    return {
      path,
      text: '',
      encodingError: error(
        'FT106',
        { file: path, start: at, end: { line, col: col + 1 } },
        `the file is not UTF-8: byte 0x${byte} here is not valid UTF-8 (the file is probably Latin-1 or Windows-1252); save it as UTF-8`,
        SAVE_AS_UTF8,
      ),
    };
  }
}

/**
 * UTF-32 or UTF-16, by byte order mark or, without one, by where the NUL bytes are: ASCII text in
 * UTF-16LE has a NUL after every character, in UTF-16BE before it. A UTF-8 topology has no NUL at all.
 */
function otherUnicodeEncoding(bytes: Uint8Array): string | undefined {
  const [b0, b1, b2, b3] = bytes;
  if (b0 === 0x00 && b1 === 0x00 && b2 === 0xfe && b3 === 0xff) return 'UTF-32 (big-endian, with a byte order mark)';
  if (b0 === 0xff && b1 === 0xfe && b2 === 0x00 && b3 === 0x00) return 'UTF-32 (little-endian, with a byte order mark)';
  if (b0 === 0xfe && b1 === 0xff) return 'UTF-16 (big-endian, with a byte order mark)';
  if (b0 === 0xff && b1 === 0xfe) return 'UTF-16 (little-endian, with a byte order mark)';
  if (bytes.length >= 4 && b0 !== 0 && b1 === 0 && b2 === 0 && b3 === 0) return 'UTF-32 (little-endian)';
  if (bytes.length >= 4 && b0 === 0 && b1 === 0 && b2 === 0 && b3 !== 0) return 'UTF-32 (big-endian)';

  const sample = bytes.subarray(0, Math.min(bytes.length, 512) & ~1);
  let nulAtEven = 0;
  let nulAtOdd = 0;
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) i % 2 === 0 ? nulAtEven++ : nulAtOdd++;
  const pairs = sample.length / 2;
  // Most characters of a topology are ASCII; a quarter of the pairs with their NUL on one side is unmistakable.
  if (pairs > 0 && nulAtOdd >= pairs / 4 && nulAtEven === 0) return 'UTF-16 (little-endian)';
  if (pairs > 0 && nulAtEven >= pairs / 4 && nulAtOdd === 0) return 'UTF-16 (big-endian)';
  return undefined;
}

/** The offset of the first byte that does not start a well-formed UTF-8 sequence (Unicode table 3-7). */
export function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let following: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) following = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      following = 2;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f; // no UTF-16 surrogates in UTF-8
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      following = 3;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f; // nothing beyond U+10FFFF
    } else return i;
    for (let k = 1; k <= following; k++) {
      const next = bytes[i + k];
      if (next === undefined || next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return i;
    }
    i += following + 1;
  }
  return undefined;
}
