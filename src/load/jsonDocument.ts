// Machine-written JSON (the lock file) the fast way: JSON.parse, and the position-tracking YAML parser
// only when something needs a line number. A large lock costs milliseconds instead of a full YAML parse.
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { parseSourceDocument, type Locate, type SourceDocument, type SourceText } from './sourceDocument.js';

export function parseJsonDocument(source: SourceText): { document?: SourceDocument; diagnostics: Diagnostic[] } {
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
  let positioned: Locate | undefined;
  const locate: Locate = (path, part) => {
    positioned ??= parseSourceDocument(source).document?.locate;
    return positioned ? positioned(path, part) : { file: source.path, start: { line: 1, col: 1 }, end: { line: 1, col: 1 } };
  };
  return { document: { source, value, locate }, diagnostics: [] };
}
