// YAML text -> a parsed value plus a way back from any path in it to file:line:col.
//
// YAML 1.2 core schema on purpose: under YAML 1.1 `country: NO` would be the boolean false.
// JSON is YAML 1.2 too, so the lock file goes through here as well and gets positions for free.
//
// The steps, each refusing what the next could not handle: the bytes were UTF-8 (decodeSource.ts);
// nesting is bounded before anything recursive runs (boundedParse.ts); YAML syntax and duplicate keys;
// aliases resolve and stay small (aliasExpansion.ts); keys and scalars can be represented exactly
// (keysAndValues.ts); then plain values (plainValue.ts).
import { isMap, isScalar, isSeq, LineCounter, visit, YAMLError, type Document, type Node, type Pair, type ParsedNode } from 'yaml';
import { error, type Diagnostic, type SourceSpan } from '../diagnostics/diagnostic.js';
import { checkAliases } from './aliasExpansion.js';
import { MAX_NESTING_DEPTH, parseBounded } from './boundedParse.js';
import { checkKeysAndValues } from './keysAndValues.js';
import { toPlainValue } from './plainValue.js';

export interface SourceText {
  /** The path printed in diagnostics, as the user gave it. */
  path: string;
  text: string;
  /** Set when the file's bytes are not UTF-8 (see decodeSource); `text` is then empty. */
  encodingError?: Diagnostic;
}

export type PathSegment = string | number;

/** Finds the source span of the node at `path`: its key when `part` is 'key', otherwise its value. */
export type Locate = (path: readonly PathSegment[], part?: 'key' | 'value') => SourceSpan;

export interface SourceDocument {
  source: SourceText;
  value: unknown;
  locate: Locate;
}

export function parseSourceDocument(source: SourceText): { document?: SourceDocument; diagnostics: Diagnostic[] } {
  if (source.encodingError) return { diagnostics: [source.encodingError] };
  const lineCounter = new LineCounter();
  const spanAt = (start: number, end: number): SourceSpan => ({
    file: source.path,
    start: lineCounter.linePos(start),
    end: lineCounter.linePos(Math.max(start, end)),
  });
  // A repeated key's offset -> the key it repeats, to name both in the message.
  const repeated = new Map<number, { earlier: ParsedNode; key: ParsedNode }>();
  const parsed = parseBounded(source.text, lineCounter, {
    prettyErrors: false,
    // Keys equal as JavaScript keys are duplicates, whatever their YAML type: `10:` and `"10":`, `true:` and `"true":`.
    uniqueKeys: (earlier, key) => {
      const same = sameJsKey(earlier, key);
      if (same && key.range) repeated.set(key.range[0], { earlier, key });
      return same;
    },
    version: '1.2',
    schema: 'core',
    merge: false,
    // !!binary, !!timestamp, !!set...: YAML 1.1 types no topology value has; unresolved, they are reported.
    resolveKnownTags: false,
  });
  if ('tooDeep' in parsed) {
    const { offset } = parsed.tooDeep;
    return {
      diagnostics: [
        error('FT107', spanAt(offset, offset + 1), `lists and mappings nest more than ${MAX_NESTING_DEPTH} levels deep here; fortress reads at most ${MAX_NESTING_DEPTH}`, 'flatten the structure: a topology needs fewer than ten levels; look for a run of "[" or "{" that is never closed'),
      ],
    };
  }
  const doc = parsed.document;

  // Duplicate keys are independent mistakes: all of them are reported. After the first syntax error
  // the parser is guessing, and what it reports next is mostly the same mistake again (an
  // over-indented line makes every following line "badly indented"), so only that first one counts.
  const duplicates = doc.errors.filter((e) => e.code === 'DUPLICATE_KEY');
  const [firstSyntaxError] = doc.errors.filter((e) => e.code !== 'DUPLICATE_KEY').sort((a, b) => a.pos[0] - b.pos[0]);
  const problems = [...duplicates, ...(firstSyntaxError ? [firstSyntaxError] : []), ...doc.warnings];
  if (problems.length > 0) {
    return { diagnostics: problems.map((problem) => yamlDiagnostic(problem, spanAt, doc, source.text, repeated)) };
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return { diagnostics: [error('FT100', spanAt(0, 0), 'the file is empty', 'start from the example in topology/topology.yaml')] };
  }

  const invalid = [...checkAliases(doc, spanAt), ...checkKeysAndValues(doc, spanAt)];
  if (invalid.length > 0) return { diagnostics: invalid };
  const value = toPlainValue(doc);

  const locate: Locate = (path, part = 'value') => {
    const found = findNode(doc, path);
    const node = part === 'key' && found.key ? found.key : found.value ?? found.key ?? found.parent;
    const range = node?.range ?? [0, 0, 0];
    return spanAt(range[0], range[1]);
  };
  return { document: { source, value, locate }, diagnostics: [] };
}

/** Whether two keys become the same property of a JavaScript object (named as yaml's toJS names them: null is ''). */
function sameJsKey(a: ParsedNode, b: ParsedNode): boolean {
  if (a === b) return true;
  if (!isScalar(a) || !isScalar(b)) return false;
  // The common case first: yaml calls this for every pair of keys in a mapping.
  if (typeof a.value === 'string' && typeof b.value === 'string') return a.value === b.value;
  return (a.value === null ? '' : String(a.value)) === (b.value === null ? '' : String(b.value));
}

function yamlDiagnostic(problem: YAMLError, spanAt: (start: number, end: number) => SourceSpan, doc: Document, text: string, repeated: ReadonlyMap<number, { earlier: ParsedNode; key: ParsedNode }>): Diagnostic {
  const span = spanAt(problem.pos[0], problem.pos[1]);
  if (problem.code === 'DUPLICATE_KEY') {
    const { earlier: earlierKey, key } = repeated.get(problem.pos[0]) ?? {};
    const earlier = earlierKey?.range;
    if (!earlier || !key?.range) return error('FT102', span, 'this key appears twice in the same mapping', 'remove or rename one of them');
    const written = text.slice(key.range[0], key.range[1]);
    const writtenBefore = text.slice(earlier[0], earlier[1]);
    const line = spanAt(earlier[0], earlier[0]).start.line;
    const message =
      written === writtenBefore
        ? `this key appears twice in the same mapping (first on line ${line})`
        : `this key is the same as ${writtenBefore} on line ${line}: ${written} and ${writtenBefore} are one key once loaded`;
    return error('FT102', span, message, 'remove or rename one of them');
  }
  if (problem.code === 'TAG_RESOLVE_FAILED') {
    return error('FT101', span, 'YAML tags such as !!binary or !!timestamp are not supported in a topology', 'remove the tag and write a plain value');
  }
  if (problem.code === 'MULTIPLE_DOCS') {
    return error('FT101', span, 'the file holds more than one YAML document, but a topology is a single document', 'remove the "---" line and what follows it, or merge it into the first document');
  }
  // yaml notices a missing ] or } where the next line starts; the mistake is where the list or mapping opened.
  const closing = /end with an? ([\]}])/.exec(problem.message)?.[1];
  const opened = closing === undefined ? undefined : unclosedFlowCollection(doc, text, closing, problem.pos[0]);
  if (opened !== undefined) {
    const what = closing === ']' ? 'list' : 'mapping';
    return error('FT101', spanAt(opened, opened + 1), `this ${what} is never closed: "${closing === ']' ? '[' : '{'}" has no matching "${closing}"`, `add the "${closing}" at the end of the ${what}`);
  }
  // yaml's messages end with a code excerpt once prettified; we asked for the bare sentence.
  return error('FT101', span, problem.message.split('\n')[0] ?? problem.message);
}

interface FoundNode {
  parent?: Node;
  key?: Node;
  value?: Node;
}

/** Walks down the document; stops at the deepest node that exists, so a missing key points at its parent. */
function findNode(doc: Document, path: readonly PathSegment[]): FoundNode {
  let found: FoundNode = { value: doc.contents ?? undefined };
  for (const segment of path) {
    const node = found.value;
    if (isMap(node)) {
      const pair = node.items.find((item: Pair) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return { parent: node, value: node };
      found = { parent: node, key: pair.key as Node, value: (pair.value as Node | null) ?? (pair.key as Node) };
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
      found = { parent: node, value: node.items[segment] as Node };
    } else {
      return found;
    }
  }
  return found;
}

/** The start of the innermost flow collection (`[...]` or `{...}`) opened before `before` that does not end with `closing`. */
function unclosedFlowCollection(doc: Document, text: string, closing: string, before: number): number | undefined {
  let start: number | undefined;
  visit(doc, {
    Collection(_key, node) {
      const range = node.flow ? node.range : undefined;
      if (range && range[0] < before && text.slice(range[0], range[1]).trimEnd().slice(-1) !== closing && (start === undefined || range[0] > start)) start = range[0];
    },
  });
  return start;
}
