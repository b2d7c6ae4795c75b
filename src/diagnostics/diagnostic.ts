// Diagnostics are plain data: collected by every stage, never thrown for a user's mistake,
// and printed only by the CLI.
import type { DiagnosticCode } from './catalogue.js';

export type Severity = 'error' | 'warning';

export interface SourcePosition {
  line: number; // 1-based
  col: number; // 1-based
}

export interface SourceSpan {
  file: string;
  start: SourcePosition;
  end: SourcePosition;
}

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  span: SourceSpan;
  hint?: string;
}

export function error(code: DiagnosticCode, span: SourceSpan, message: string, hint?: string): Diagnostic {
  return hint === undefined ? { code, severity: 'error', message, span } : { code, severity: 'error', message, span, hint };
}

/** Orders diagnostics by file, then position, so output is stable whatever order the rules ran in. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      a.span.file.localeCompare(b.span.file) ||
      a.span.start.line - b.span.start.line ||
      a.span.start.col - b.span.start.col ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  );
}
