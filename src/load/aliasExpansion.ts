// Aliases, checked before any is followed. Each must name an anchor set before it; none may sit inside
// the node it names (it would expand forever); expanded, they may not nest the document deeper than
// MAX_NESTING_DEPTH; and together they may add at most MAX_ALIAS_EXPANSION values.
//
// Size, not uses: `ssh: *ssh` in 500 hosts adds 500 small mappings and is a legitimate way to share
// settings, while nine aliases of nine aliases of ... (a "billion laughs") add 9^n values from a few
// lines. yaml's own guard (maxAliasCount) counts uses and refuses the first and allows too much of the
// second, so it is switched off and this counts what every later stage would have to walk.
import { isAlias, isCollection, isPair, isScalar, type Document } from 'yaml';
import { error, type Diagnostic, type SourceSpan } from '../diagnostics/diagnostic.js';
import { MAX_NESTING_DEPTH } from './boundedParse.js';

/** Values aliases may add to the document: a hundred times what the largest honest use of them adds. */
export const MAX_ALIAS_EXPANSION = 100_000;

export type SpanAt = (start: number, end: number) => SourceSpan;

interface Expansion {
  /** Values (scalars and collections) in the node once its aliases are expanded. */
  size: number;
  /** Levels of collections in it once its aliases are expanded; 0 for a scalar. */
  depth: number;
  /** The offset of the first alias it holds, directly or through the anchors its aliases name. */
  firstAlias: number | undefined;
}

const SCALAR: Expansion = { size: 1, depth: 0, firstAlias: undefined };
const NOTHING: Expansion = { size: 0, depth: 0, firstAlias: undefined };

export function checkAliases(doc: Document.Parsed, spanAt: SpanAt): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  // Anchor name -> the latest node that set it; its expansion is known once the node is finished.
  // yaml resolves an alias to the last node before it, in document order, that set the name.
  const anchors = new Map<string, { expansion?: Expansion }>();
  let added = 0;
  let bombReported = false;
  let depthReported = false;

  const measure = (node: unknown, levelsAbove: number): Expansion => {
    if (isAlias(node)) {
      const [start, end] = node.range ?? [0, 0];
      const quoted = JSON.stringify(`*${node.source}`);
      const anchor = anchors.get(node.source);
      if (!anchor) {
        diagnostics.push(
          error('FT105', spanAt(start, end), `${quoted} is an alias, but no anchor "&${node.source}" is set before it`, `quote the value if it is text: ${quoted}`),
        );
        return SCALAR;
      }
      if (!anchor.expansion) {
        diagnostics.push(error('FT103', spanAt(start, end), `${quoted} is inside the node anchored "&${node.source}" it repeats, so it would expand forever`, 'an alias can repeat only a node that is finished before it'));
        return SCALAR;
      }
      const { size, depth, firstAlias } = anchor.expansion;
      added += size;
      if (!bombReported && added > MAX_ALIAS_EXPANSION) {
        bombReported = true;
        // Where the chain of aliases that blows up starts, not wherever the running total happened to cross.
        const origin = Math.min(start, firstAlias ?? start);
        diagnostics.push(
          error('FT103', spanAt(origin, origin === start ? end : origin), `aliases expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString('en')} values, starting here: the document looks like an alias bomb`, 'write the values out, or share only small anchors'),
        );
      }
      if (!depthReported && levelsAbove + depth > MAX_NESTING_DEPTH) {
        depthReported = true;
        diagnostics.push(error('FT107', spanAt(start, end), `with this alias expanded, lists and mappings nest ${levelsAbove + depth} levels deep; fortress reads at most ${MAX_NESTING_DEPTH}`, 'flatten the structure; a topology needs fewer than ten levels'));
      }
      return { size, depth, firstAlias: Math.min(start, firstAlias ?? start) };
    }

    if (isScalar(node)) {
      if (node.anchor) anchors.set(node.anchor, { expansion: SCALAR });
      return SCALAR;
    }
    if (!isCollection(node)) return NOTHING;
    // Registered before its children, finished after them: an alias inside it finds it unfinished.
    const anchor: { expansion?: Expansion } | undefined = node.anchor ? {} : undefined;
    if (anchor) anchors.set(node.anchor!, anchor);
    const expansion: Expansion = { size: 1, depth: 1, firstAlias: undefined };
    const add = (child: unknown) => {
      const inner = measure(child, levelsAbove + 1);
      expansion.size += inner.size;
      if (inner.depth + 1 > expansion.depth) expansion.depth = inner.depth + 1;
      if (inner.firstAlias !== undefined && (expansion.firstAlias === undefined || inner.firstAlias < expansion.firstAlias)) expansion.firstAlias = inner.firstAlias;
    };
    for (const item of node.items) {
      if (isPair(item)) {
        add(item.key);
        add(item.value);
      } else add(item);
    }
    if (anchor) anchor.expansion = expansion;
    return expansion;
  };

  measure(doc.contents, 0);
  return diagnostics;
}
