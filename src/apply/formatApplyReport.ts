// The end-of-apply table, for a terminal and for a GitHub step summary.
import type { HostResult } from './applyHost.js';

const columns = ['host', 'changed files', 'disruption', 'result', 'rtt', 'time'] as const;

function rows(results: readonly HostResult[]): string[][] {
  return results.map((r) => [
    r.isHub ? `${r.host} (hub)` : r.host,
    String(r.plan?.changes.length ?? '-'),
    r.plan?.disruption ?? '-',
    r.message && r.result !== 'applied' ? `${r.result}: ${r.message}` : r.result,
    r.rttMs === undefined ? '-' : `${r.rttMs.toFixed(2)} ms`,
    `${r.seconds.toFixed(1)} s`,
  ]);
}

export function formatApplyTable(results: readonly HostResult[]): string {
  const table = [columns.map(String), ...rows(results)];
  const widths = columns.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return `${table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n')}\n`;
}

export function formatApplyMarkdown(results: readonly HostResult[]): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|').replace(/</g, '&lt;');
  return [`| ${columns.join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`, ...rows(results).map((r) => `| ${r.map(escape).join(' | ')} |`)].join('\n') + '\n';
}

export function summarizeResults(results: readonly HostResult[]): string {
  const count = (kind: HostResult['result']) => results.filter((r) => r.result === kind).length;
  return `${count('applied')} applied, ${count('unchanged')} unchanged, ${count('planned')} planned, ${count('failed')} failed, ${count('skipped')} skipped`;
}
