// apply's plan and results, for a terminal, a GitHub step summary and machines. Every message from a
// host was made plain text by remoteText; markdown escapes it once more for its own syntax.
import type { PresharedKeyReport } from './presharedKeys.js';
import type { HostResult } from './applyHost.js';

const columns = ['host', 'changed files', 'disruption', 'result', 'rtt', 'time'] as const;

function rows(results: readonly HostResult[]): string[][] {
  return results.map((r) => [
    r.isHub ? `${r.host} (hub)` : r.host,
    String(r.plan?.changes.length ?? '-'),
    r.plan?.disruption ?? '-',
    r.message ? `${r.result}: ${r.message}` : r.result,
    r.rttMs === undefined ? '-' : `${r.rttMs.toFixed(2)} ms`,
    `${r.seconds.toFixed(1)} s`,
  ]);
}

export function formatApplyTable(results: readonly HostResult[]): string {
  const table = [columns.map(String), ...rows(results)];
  const widths = columns.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return `${table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n')}\n`;
}

/**
 * A cell stays one plain cell: no line breaks (so no heading or new row), HTML as entities, and the
 * characters that make links, code, emphasis or a new column escaped.
 */
export function escapeMarkdownCell(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1');
}

export function formatApplyMarkdown(results: readonly HostResult[]): string {
  return [`| ${columns.join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`, ...rows(results).map((r) => `| ${r.map(escapeMarkdownCell).join(' | ')} |`)].join('\n') + '\n';
}

/** `--dry-run`: per host, what would change and how, or why it would be refused. */
export function formatApplyPlan(results: readonly HostResult[]): string {
  return results
    .filter((r) => r.plan && (r.plan.changes.length > 0 || r.plan.rotateKey || r.plan.refusal))
    .map((r) => {
      const plan = r.plan!;
      const files = plan.changes.map((f) => `  ${f.action === 'remove' ? 'remove ' : ''}${f.hostPath} (${f.reload})`);
      if (plan.rotateKey) files.push('  switch to the new WireGuard key (keys rotate)');
      const notes = [plan.refusal && `  refused: ${plan.refusal}`, plan.notice && `  note: ${plan.notice}`].filter(Boolean);
      return `\n${r.host}: ${plan.disruption}\n${[...files, ...notes].join('\n')}\n`;
    })
    .join('');
}

export function formatApplyJson(results: readonly HostResult[], dryRun: boolean, presharedKeys?: PresharedKeyReport) {
  const failed = results.some((r) => !['unchanged', 'planned', 'applied'].includes(r.result)) || (presharedKeys?.failed.length ?? 0) > 0;
  return {
    ok: !failed,
    dryRun,
    ...(presharedKeys && { presharedKeys: { keyedPairs: presharedKeys.keyed, failed: presharedKeys.failed } }),
    hosts: results.map(({ plan, ...r }) => ({
      ...r,
      ...(plan && {
        disruption: plan.disruption,
        changedFiles: plan.changes.filter((f) => f.action === 'put').map((f) => f.hostPath),
        removedFiles: plan.changes.filter((f) => f.action === 'remove').map((f) => f.hostPath),
        ...(plan.rotateKey && { keyRotated: true }),
      }),
    })),
  };
}

/** The preshared-key phase in words: pairs keyed (or to key) and hosts it could not reach. */
export function summarizePresharedKeys(report: PresharedKeyReport, dryRun: boolean): string {
  const pairs = `${report.keyed.length} pair${report.keyed.length === 1 ? '' : 's'}`;
  const lines = [`preshared keys: ${report.keyed.length === 0 ? 'every pair has its key' : `${pairs} ${dryRun ? 'would get' : 'got'} a new key`}`];
  for (const f of report.failed) lines.push(`preshared keys: ${f.host}: ${f.message}`);
  return `${lines.join('\n')}\n`;
}

export function summarizeResults(results: readonly HostResult[]): string {
  const count = (kind: HostResult['result']) => results.filter((r) => r.result === kind).length;
  const rollbackFailed = count('ROLLBACK FAILED');
  return `${count('applied')} applied, ${count('unchanged')} unchanged, ${count('planned')} planned, ${count('failed')} failed, ${count('rolled back')} rolled back, ${count('skipped')} skipped${rollbackFailed ? `, ${rollbackFailed} ROLLBACK FAILED` : ''}`;
}
