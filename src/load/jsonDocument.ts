// Machine-written JSON (the lock file) the fast way: JSON.parse, and a position-tracking parse only
// when something needs a line number. A lock of 4,000 hosts costs a few milliseconds this way; the
// positioned parse costs some 60 ms and is paid only when there is something to report.
//
// JSON.parse keeps the last of two equal keys without a word, and a lock that lists a host twice
// must not pass for one that lists it once. Counting the keys written in the text against the keys
// of the parsed value finds that out in one cheap scan; only when they differ is the text walked
// with positions to say which keys repeat.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { error, type Diagnostic, type SourceSpan } from '../diagnostics/diagnostic.js';
import { MAX_NESTING_DEPTH, parseBounded } from './boundedParse.js';
import { parseSourceDocument, type Locate, type PathSegment, type SourceDocument, type SourceText } from './sourceDocument.js';

/** A key written again in the same object: JSON.parse kept this occurrence's value, not the first one's. */
export interface DuplicateKey {
  /** Path to the repeated key, the key itself last. */
  path: PathSegment[];
  span: SourceSpan;
  first: SourceSpan;
}

export interface JsonDocument extends SourceDocument {
  /** Every repetition of a key after its first, in text order; empty for almost every file. */
  duplicateKeys: DuplicateKey[];
}

export function parseJsonDocument(source: SourceText): { document?: JsonDocument; diagnostics: Diagnostic[] } {
  if (source.encodingError) return { diagnostics: [source.encodingError] };
  let value: unknown;
  try {
    value = JSON.parse(source.text);
  } catch (cause) {
    // The YAML parser places most syntax errors; what it accepts but JSON does not (a trailing comma,
    // a comment) is still an error, placed where JSON.parse says.
    const asYaml = parseSourceDocument(source);
    if (asYaml.diagnostics.length > 0) return { diagnostics: asYaml.diagnostics };
    const message = (cause as Error).message;
    const offset = Number(/at position (\d+)/.exec(message)?.[1] ?? 0);
    const lines = source.text.slice(0, offset).split('\n');
    const position = { line: lines.length, col: (lines.at(-1)?.length ?? 0) + 1 };
    return { diagnostics: [error('FT101', { file: source.path, start: position, end: position }, `not valid JSON: ${message}`, 'restore the lock from git')] };
  }

  let positioned: PositionedJson | undefined;
  const positions = () => (positioned ??= parsePositioned(source));
  const locate: Locate = (path, part = 'value') => positions().locate(path, part);
  const parsed = measureParsed(value);
  // JSON.parse reads any depth, but the positioned parse, like everything recursive, must not meet it.
  if (parsed.depth > MAX_NESTING_DEPTH) return { diagnostics: [tooDeep(source)] };
  const duplicateKeys = countWrittenKeys(source.text) === parsed.keys ? [] : positions().duplicateKeys();
  return { document: { source, value, locate, duplicateKeys }, diagnostics: [] };
}

/** Keys as written: every string followed by a colon. The text is valid JSON, so strings cannot be misaligned. */
function countWrittenKeys(text: string): number {
  // Without a backslash no string holds a quote, so every quote before a colon ends a key.
  if (!text.includes('\\')) return text.match(/"\s*:/g)?.length ?? 0;
  let keys = 0;
  for (const match of text.matchAll(/"(?:[^"\\]|\\.)*"(\s*:)?/g)) if (match[1] !== undefined) keys++;
  return keys;
}

/**
 * Keys that survived JSON.parse (one per distinct key of every object), and how deeply objects and
 * lists nest. Without recursion: a hostile file may nest a hundred thousand levels.
 */
function measureParsed(value: unknown): { keys: number; depth: number } {
  let keys = 0;
  let depth = 0;
  const pending: [object, number][] = typeof value === 'object' && value !== null ? [[value, 1]] : [];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, level] = next;
    if (level > depth) depth = level;
    if (depth > MAX_NESTING_DEPTH) break;
    const children: readonly unknown[] = Array.isArray(node) ? node : Object.keys(node);
    if (!Array.isArray(node)) keys += children.length;
    for (const item of children) {
      const child = Array.isArray(node) ? item : (node as Record<string, unknown>)[item as string];
      if (typeof child === 'object' && child !== null) pending.push([child, level + 1]);
    }
  }
  return { keys, depth };
}

function tooDeep(source: SourceText): Diagnostic {
  const lineCounter = new LineCounter();
  const bounded = parseBounded(source.text, lineCounter, { prettyErrors: false, uniqueKeys: false, version: '1.2', schema: 'core' });
  const offset = 'tooDeep' in bounded ? bounded.tooDeep.offset : 0;
  const at = lineCounter.linePos(offset);
  return error('FT107', { file: source.path, start: at, end: { line: at.line, col: at.col + 1 } }, `lists and objects nest more than ${MAX_NESTING_DEPTH} levels deep here; a lock file is two levels deep`, 'restore the lock file from git');
}

interface PositionedJson {
  locate: Locate;
  duplicateKeys(): DuplicateKey[];
}

/** JSON is YAML 1.2: yaml's parser gives every node its range. Repeated keys are allowed here, to be found and reported. */
function parsePositioned(source: SourceText): PositionedJson {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter, uniqueKeys: false, version: '1.2', schema: 'core', merge: false, resolveKnownTags: false });
  const spanOf = (node: Node | null | undefined): SourceSpan => {
    const [start, end] = node?.range ?? [0, 0];
    return { file: source.path, start: lineCounter.linePos(start), end: lineCounter.linePos(Math.max(start, end)) };
  };
  return {
    locate: (path, part = 'value') => {
      const found = findNode(doc, path);
      return spanOf(part === 'key' && found.key ? found.key : found.value);
    },
    duplicateKeys: () => {
      const duplicates: DuplicateKey[] = [];
      const walk = (node: unknown, path: PathSegment[]): void => {
        if (isSeq(node)) node.items.forEach((item, i) => walk(item, [...path, i]));
        if (!isMap(node)) return;
        const seen = new Map<string, Pair>();
        for (const pair of node.items) {
          const key = keyText(pair);
          const first = seen.get(key);
          if (first) duplicates.push({ path: [...path, key], span: spanOf(pair.key as Node), first: spanOf(first.key as Node) });
          else seen.set(key, pair);
          walk(pair.value, [...path, key]);
        }
      };
      walk(doc.contents, []);
      return duplicates;
    },
  };
}

const keyText = (pair: Pair): string => String(isScalar(pair.key) ? pair.key.value : pair.key);

/**
 * Walks down the document to the node at `path`, as JSON.parse resolved it: of two equal keys, the
 * last. Stops at the deepest node that exists, so a missing key points at the object that lacks it.
 */
function findNode(doc: Document, path: readonly PathSegment[]): { key?: Node; value?: Node } {
  let found: { key?: Node; value?: Node } = { value: doc.contents ?? undefined };
  for (const segment of path) {
    const node = found.value;
    if (isMap(node)) {
      let pair: Pair | undefined;
      for (const item of node.items) if (keyText(item) === String(segment)) pair = item;
      if (!pair) return found;
      found = { key: pair.key as Node, value: (pair.value as Node | null) ?? (pair.key as Node) };
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
      found = { value: node.items[segment] as Node };
    } else {
      return found;
    }
  }
  return found;
}
