// Diagnostics as text for people, JSON for programs, and GitHub workflow commands for annotations.
import { wholeFile, type AnyDiagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Drift } from '../emit/renderedTree.js';
import { displayPath } from './displayPath.js';
import { annotation, commandSafeJson, neutralizeWorkflowCommands } from './workflowCommands.js';

export type DiagnosticFormat = 'text' | 'json' | 'github';

export interface FormatOptions {
  /** The text format's last line: by default the count ("2 errors"); false for none. */
  summary?: string | false;
}

export function formatDiagnostics(diagnostics: readonly AnyDiagnostic[], format: DiagnosticFormat, options: FormatOptions = {}): string {
  if (format === 'json') return `${commandSafeJson(JSON.stringify({ errorCount: countErrors(diagnostics), diagnostics }, null, 2))}\n`;
  const lines = diagnostics.map(format === 'github' ? githubLine : textLine);
  const summary = options.summary ?? countLine(diagnostics);
  if (format === 'text' && diagnostics.length > 0 && summary !== false) lines.push(neutralizeWorkflowCommands(oneLine(summary)));
  return lines.map((l) => `${l}\n`).join('');
}

/** `path:line:col: error CODE: message (hint)`, or `fortress: error CODE: …` for the command line, which is in no file. */
function textLine(d: AnyDiagnostic): string {
  const where = d.span ? `${d.span.file}:${d.span.start.line}:${d.span.start.col}` : 'fortress';
  return neutralizeWorkflowCommands(oneLine(`${where}: ${d.severity} ${d.code}: ${d.message}${d.hint ? ` (${d.hint})` : ''}`));
}

/** Messages quote what users wrote; a newline in there must not start a second, forged diagnostic. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

// https://docs.github.com/actions/reference/workflows-and-actions/workflow-commands#setting-an-error-message
function githubLine(d: AnyDiagnostic): string {
  const title = `fortress ${d.code}`;
  const message = oneLine(d.message + (d.hint ? ` (${d.hint})` : ''));
  if (!d.span) return annotation(d.severity, { title }, message);
  const { file, start, end } = d.span;
  return annotation(d.severity, { file, line: start.line, col: start.col, endLine: end.line, title }, message);
}

function countErrors(diagnostics: readonly AnyDiagnostic[]): number {
  return diagnostics.filter((d) => d.severity === 'error').length;
}

function countLine(diagnostics: readonly AnyDiagnostic[]): string {
  const errors = countErrors(diagnostics);
  const warnings = diagnostics.length - errors;
  const parts = [`${errors} error${errors === 1 ? '' : 's'}`];
  if (warnings > 0) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  return parts.join(', ');
}

// Drift between the topology and rendered/ (or the lock) as diagnostics, one per file, so that
// `render --check` and apply's refusal print like every other problem: as text, JSON or annotations.
/** The text format's last line under drift: the count, and what to do. */
export function driftSummary(count: number, then = 'commit the result'): string {
  return `${count} error${count === 1 ? '' : 's'}: rendered/ or the lock is not what the topology renders; run \`fortress render\` and ${then}`;
}

export function driftDiagnostics(drift: readonly Drift[], lockPath: string, cwd: string): Diagnostic[] {
  return drift.map((d): Diagnostic => {
    const span = wholeFile(displayPath(cwd, d.path));
    if (d.path === lockPath) {
      return { code: 'FT604', severity: 'error', span, message: d.kind === 'missing' ? 'the lock file is missing' : 'the lock file differs from what a render would write' };
    }
    if (d.kind === 'changed') return { code: 'FT601', severity: 'error', span, message: 'out of date: this file differs from what the topology renders' };
    if (d.kind === 'missing') return { code: 'FT602', severity: 'error', span, message: 'missing: the topology renders this file' };
    return { code: 'FT603', severity: 'error', span, message: 'not produced by the topology: render would remove this file' };
  });
}
