// Diagnostics as text for people, JSON for programs, and GitHub workflow commands for annotations.
import type { Diagnostic } from '../diagnostics/diagnostic.js';

export type DiagnosticFormat = 'text' | 'json' | 'github';

export function formatDiagnostics(diagnostics: readonly Diagnostic[], format: DiagnosticFormat): string {
  if (format === 'json') return `${JSON.stringify({ errorCount: countErrors(diagnostics), diagnostics }, null, 2)}\n`;
  const lines = diagnostics.map(format === 'github' ? githubLine : textLine);
  if (format === 'text' && diagnostics.length > 0) lines.push(summaryLine(diagnostics));
  return lines.map((l) => `${l}\n`).join('');
}

function textLine(d: Diagnostic): string {
  const { file, start } = d.span;
  return oneLine(`${file}:${start.line}:${start.col}: ${d.severity} ${d.code}: ${d.message}${d.hint ? ` (${d.hint})` : ''}`);
}

/** Messages quote what users wrote; a newline in there must not start a second, forged diagnostic. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

// https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#setting-an-error-message
function githubLine(d: Diagnostic): string {
  const { file, start, end } = d.span;
  const properties = [
    `file=${escapeProperty(file)}`,
    `line=${start.line}`,
    `col=${start.col}`,
    `endLine=${end.line}`,
    `title=${escapeProperty(`fortress ${d.code}`)}`,
  ].join(',');
  return `::${d.severity} ${properties}::${escapeData(oneLine(d.message + (d.hint ? ` (${d.hint})` : '')))}`;
}

const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function countErrors(diagnostics: readonly Diagnostic[]): number {
  return diagnostics.filter((d) => d.severity === 'error').length;
}

function summaryLine(diagnostics: readonly Diagnostic[]): string {
  const errors = countErrors(diagnostics);
  const warnings = diagnostics.length - errors;
  const parts = [`${errors} error${errors === 1 ? '' : 's'}`];
  if (warnings > 0) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
  return parts.join(', ');
}
