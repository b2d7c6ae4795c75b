// YAML text -> yaml's Document, refusing a document nested deeper than MAX_NESTING_DEPTH before anything
// recursive looks at it.
//
// yaml's lexer and CST parser are iterative, but its composer (CST -> nodes) and everything after it
// recurse once per level: 10,000 `[` overflow the stack, and 100,000 exhaust the heap. So this does
// what `parseDocument` does, lexer -> parser -> composer, but watches the parser's stack of open
// collections on the way and stops at the first one beyond the limit, having read no further.
import { Composer, Lexer, Parser, YAMLParseError, type CST, type Document, type DocumentOptions, type LineCounter, type ParseOptions, type SchemaOptions } from 'yaml';

/** A topology is some five levels deep; 64 leaves room for anything honest and none for a recursion bomb. */
export const MAX_NESTING_DEPTH = 64;

export type BoundedParse = { document: Document.Parsed } | { tooDeep: { offset: number } };

type Options = Omit<ParseOptions, 'lineCounter'> & DocumentOptions & SchemaOptions;

export function parseBounded(text: string, lineCounter: LineCounter, options: Options): BoundedParse {
  const parser = new Parser(lineCounter.addNewLine);
  const tokens: CST.Token[] = [];
  lineCounter.addNewLine(0); // as Parser.parse does: the first line starts at 0
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    // The stack also holds the document and a scalar being read; count collections only when it could matter.
    if (parser.stack.length > MAX_NESTING_DEPTH) {
      const open = parser.stack.filter(isCollection);
      const first = open[MAX_NESTING_DEPTH];
      if (first) return { tooDeep: { offset: first.offset } };
    }
  }
  for (const token of parser.end()) tokens.push(token);

  // As parseDocument: the first document, and an error where a second one starts.
  let document: Document.Parsed | undefined;
  for (const next of new Composer(options).compose(tokens, true, text.length)) {
    if (!document) document = next;
    else {
      document.errors.push(new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents'));
      break;
    }
  }
  // compose(..., forceDoc = true) always ends with a document, even for an empty text.
  return { document: document! };
}

function isCollection(token: CST.Token): token is CST.BlockMap | CST.BlockSequence | CST.FlowCollection {
  return token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection';
}
