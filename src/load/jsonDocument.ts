// Machine-written JSON (the lock file) the fast way: JSON.parse, and the position-tracking YAML parser
// only when something needs a line number. A large lock costs milliseconds instead of a full YAML parse.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { parseSourceDocument, type Locate, type SourceDocument, type SourceText } from './sourceDocument.js';

export function parseJsonDocument(source: SourceText): { document?: SourceDocument; diagnostics: Diagnostic[] } {
  let value: unknown;
  try {
    value = JSON.parse(source.text);
  } catch {
    return parseSourceDocument(source); // reports the syntax error with its position
  }
  let positioned: Locate | undefined;
  const locate: Locate = (path, part) => {
    positioned ??= parseSourceDocument(source).document?.locate;
    return positioned ? positioned(path, part) : { file: source.path, start: { line: 1, col: 1 }, end: { line: 1, col: 1 } };
  };
  return { document: { source, value, locate }, diagnostics: [] };
}
