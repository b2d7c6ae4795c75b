// YAML text -> a parsed value plus a way back from any path in it to file:line:col.
//
// YAML 1.2 core schema on purpose: under YAML 1.1 `country: NO` would be the boolean false.
// JSON is YAML 1.2 too, so the lock file goes through here as well and gets positions for free.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, YAMLError, type Document, type Node, type Pair } from 'yaml';
import { error, type Diagnostic, type SourceSpan } from '../diagnostics/diagnostic.js';

export interface SourceText {
  /** The path printed in diagnostics, as the user gave it. */
  path: string;
  text: string;
}

export type PathSegment = string | number;

/** Finds the source span of the node at `path`: its key when `part` is 'key', otherwise its value. */
export type Locate = (path: readonly PathSegment[], part?: 'key' | 'value') => SourceSpan;

export interface SourceDocument {
  source: SourceText;
  value: unknown;
  locate: Locate;
}

// Enough for any honest topology; a billion-laughs document trips it long before it hurts.
const MAX_ALIAS_COUNT = 100;

export function parseSourceDocument(source: SourceText): { document?: SourceDocument; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    version: '1.2',
    schema: 'core',
    merge: false,
  });
  const spanAt = (start: number, end: number): SourceSpan => ({
    file: source.path,
    start: lineCounter.linePos(start),
    end: lineCounter.linePos(Math.max(start, end)),
  });

  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return { diagnostics: problems.map((problem) => yamlDiagnostic(problem, spanAt)) };
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return { diagnostics: [error('FT100', spanAt(0, 0), 'the file is empty', 'start from the example in topology/topology.yaml')] };
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (cause) {
    if (cause instanceof ReferenceError) {
      const alias = firstAliasOffset(doc) ?? 0;
      return {
        diagnostics: [
          error('FT103', spanAt(alias, alias), `aliases expand too many times (more than ${MAX_ALIAS_COUNT} per anchor)`, 'write the values out instead of nesting aliases'),
        ],
      };
    }
    throw cause;
  }

  const locate: Locate = (path, part = 'value') => {
    const found = findNode(doc, path);
    const node = part === 'key' && found.key ? found.key : found.value ?? found.key ?? found.parent;
    const range = node?.range ?? [0, 0, 0];
    return spanAt(range[0], range[1]);
  };
  return { document: { source, value, locate }, diagnostics: [] };
}

function yamlDiagnostic(problem: YAMLError, spanAt: (start: number, end: number) => SourceSpan): Diagnostic {
  const span = spanAt(problem.pos[0], problem.pos[1]);
  if (problem.code === 'DUPLICATE_KEY') {
    return error('FT102', span, 'this key appears twice in the same mapping', 'remove or rename one of them');
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

function firstAliasOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, alias) {
      offset = alias.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}
