// Facts of the text that no later stage could place, checked on every key and scalar of the document:
//
// - keys are plain text: a list or mapping as a key (`? [a, b]`) has no JavaScript form but a string
//   yaml would make up (and warn about on stderr), and an alias as a key is never meant;
// - no key is `__proto__`, which JavaScript objects take as their prototype rather than as data
//   (`constructor` and `prototype` are ordinary own properties and pass);
// - numbers survive as written: an integer beyond 2^53 would be rendered with other digits, and .inf
//   or .nan would be rendered as nothing at all;
// - strings can be written as UTF-8: a lone surrogate from an escape like "\ud800" cannot, and would
//   make every render differ from the committed one.
import { isCollection, isMap, isPair, isScalar, isSeq, type Document, type Scalar } from 'yaml';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { SpanAt } from './aliasExpansion.js';

// The core schema's integers: decimal, octal, hexadecimal.
const INTEGER = /^[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function checkKeysAndValues(doc: Document.Parsed, spanAt: SpanAt): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const at = (node: { range?: readonly [number, number, number] | null }) => spanAt(node.range?.[0] ?? 0, node.range?.[1] ?? 0);

  const checkScalar = (scalar: Scalar) => {
    const { value } = scalar;
    const written = scalar.source ?? String(value);
    if (typeof value === 'number' && !Number.isFinite(value)) {
      diagnostics.push(error('FT109', at(scalar), `${written} is not a finite number, and no rendered file can hold it`, `write a finite number, or quote it if it is text: "${written}"`));
    } else if (typeof value === 'number' && !Number.isSafeInteger(value) && INTEGER.test(written)) {
      diagnostics.push(
        error(
          'FT109',
          at(scalar),
          `${written} is beyond the integers fortress keeps exactly (±${Number.MAX_SAFE_INTEGER}): it would be written as ${BigInt(value)}`,
          `quote it to keep every digit as text: "${written}"`,
        ),
      );
    } else if (typeof value === 'string' && LONE_SURROGATE.test(value)) {
      const unit = LONE_SURROGATE.exec(value)![0].charCodeAt(0).toString(16);
      diagnostics.push(
        error('FT110', at(scalar), `this string holds \\u${unit}, half of a UTF-16 surrogate pair without its other half, which a UTF-8 file cannot hold`, 'write the character itself, or escape the whole character ("\\U0001F600")'),
      );
    }
  };

  const check = (node: unknown) => {
    if (isScalar(node)) checkScalar(node);
    if (!isCollection(node)) return;
    for (const item of node.items) {
      if (!isPair(item)) {
        check(item);
        continue;
      }
      const key = item.key;
      if (isScalar(key)) {
        if (key.value === '__proto__') diagnostics.push(error('FT111', at(key), '"__proto__" cannot be a key: JavaScript objects take it as their prototype, not as data', 'rename or remove the key'));
        checkScalar(key);
      } else if (key !== null && typeof key === 'object') {
        const what = isMap(key) ? 'a mapping' : isSeq(key) ? 'a list' : 'an alias';
        const hint = what === 'an alias' ? 'write the key out as plain text' : 'write the key as plain text, and put the list or mapping in the value';
        diagnostics.push(error('FT108', at(key as { range?: readonly [number, number, number] | null }), `this key is ${what}, but keys in a topology are plain text`, hint));
      }
      check(item.value);
    }
  };

  check(doc.contents);
  return diagnostics;
}
