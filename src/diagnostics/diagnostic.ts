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

/** A mistake in the command line, or in what surrounds fortress (a missing file, no credentials): it points into no file. */
export type CommandLineDiagnostic = Omit<Diagnostic, 'span'> & { span?: undefined };

/** What the CLI prints: diagnostics of the topology and its files, and of the command line. */
export type AnyDiagnostic = Diagnostic | CommandLineDiagnostic;

export function error(code: DiagnosticCode, span: SourceSpan, message: string, hint?: string): Diagnostic {
  return hint === undefined ? { code, severity: 'error', message, span } : { code, severity: 'error', message, span, hint };
}

/** A problem with the command line or its surroundings (an option, a missing file), which no span points into. */
export function commandLineError(code: DiagnosticCode, message: string, hint?: string): CommandLineDiagnostic {
  return hint === undefined ? { code, severity: 'error', message } : { code, severity: 'error', message, hint };
}

/** The span of a whole file, for problems with a file rather than a place in it (drift). */
export function wholeFile(file: string): SourceSpan {
  return { file, start: { line: 1, col: 1 }, end: { line: 1, col: 1 } };
}

export function warning(code: DiagnosticCode, span: SourceSpan, message: string, hint?: string): Diagnostic {
  return { ...error(code, span, message, hint), severity: 'warning' };
}

/** A value a user wrote, as a message names it: "a list", "a mapping" (an "object" in JSON), a quoted string, "number 3". */
export function describeValue(value: unknown, mapping = 'a mapping'): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return mapping;
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return `${typeof value} ${String(value)}`;
}

/** Orders diagnostics by file, then position, so output is stable whatever order the rules ran in. Command-line problems come first. */
export function sortDiagnostics<D extends AnyDiagnostic>(diagnostics: readonly D[]): D[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.span ? 1 : 0) - (b.span ? 1 : 0) ||
      (a.span?.file ?? '').localeCompare(b.span?.file ?? '') ||
      (a.span?.start.line ?? 0) - (b.span?.start.line ?? 0) ||
      (a.span?.start.col ?? 0) - (b.span?.start.col ?? 0) ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  );
}
