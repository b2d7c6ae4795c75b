// A checked document -> plain JavaScript values: objects, arrays, strings, numbers, booleans, null.
//
// What yaml's doc.toJS() does, for the documents that pass the load checks (plain-text keys, no alias
// problems), in one pass. Why not toJS: it resolves each alias by scanning every anchor and alias
// before it, so a document with many aliases costs their number squared (50,000 uses of one small
// anchor: 47 seconds), which a limit on expansion size cannot prevent. Here an alias is one map
// lookup and, as with toJS, yields the very object its anchor did.
//
// Keys become own properties whatever their name (__proto__ too, though the checks refuse it before
// this runs), so no key can reach an object's prototype.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair } from 'yaml';

export function toPlainValue(doc: Document.Parsed): unknown {
  // Anchor name -> the latest node that set it (in document order, as yaml resolves aliases); anchored node -> its value.
  const anchored = new Map<string, Node>();
  const values = new Map<Node, unknown>();

  const valueOf = (node: unknown): unknown => {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = anchored.get(node.source);
      if (!target || !values.has(target)) throw new Error(`alias *${node.source} was not checked before conversion`);
      return values.get(target);
    }
    if (!isScalar(node) && !isMap(node) && !isSeq(node)) throw new Error('unexpected YAML node');
    if (node.anchor) anchored.set(node.anchor, node);
    let value: unknown;
    if (isScalar(node)) value = node.value;
    else if (isMap(node)) value = objectOf(node.items);
    else value = node.items.map((item) => (isPair(item) ? objectOf([item]) : valueOf(item)));
    if (node.anchor) values.set(node, value);
    return value;
  };

  const objectOf = (pairs: readonly Pair[]): Record<string, unknown> => {
    const object: Record<string, unknown> = {};
    for (const pair of pairs) {
      // An anchored key (`&a name: …`) is a value an alias elsewhere may name.
      if (isScalar(pair.key) && pair.key.anchor) valueOf(pair.key);
      const key = keyOf(pair.key);
      // Assignment creates an own property for every name but one: __proto__ would set the prototype.
      if (key === '__proto__') Object.defineProperty(object, key, { value: valueOf(pair.value), writable: true, enumerable: true, configurable: true });
      else object[key] = valueOf(pair.value);
    }
    return object;
  };

  return valueOf(doc.contents);
}

/** A key as yaml's toJS names it: null is the empty string, anything else its string form. */
function keyOf(key: unknown): string {
  if (key === null) return '';
  if (!isScalar(key)) throw new Error('a key that is not plain text was not checked before conversion');
  return key.value === null ? '' : String(key.value);
}
