// `fortress status --format markdown`: what the drift workflow puts in its issue and the Action in the
// job summary. One table, hosts with problems first, kept under GitHub's 65,536-character limit for
// an issue body by leaving out rows from the end (clean hosts first), with a note saying how many.
import { escapeMarkdownCell } from '../apply/formatApplyReport.js';
import { milliseconds, problemsFirst, summaryLine, verdictWords, type StatusReport } from './statusReport.js';

/** Room for the table, under GitHub's limit with space for what a workflow adds around it. */
const TABLE_BUDGET = 60_000;
/** A hub missing hundreds of peers still gets one readable row. */
const PROBLEMS_PER_ROW = 5;

export function formatStatusMarkdown(report: StatusReport): string {
  const lines = [
    '### fortress status',
    '',
    report.ok
      ? `Every host is reachable, matches rendered/ and reaches the hub through its tunnel (${escapeMarkdownCell(summaryLine(report))}).`
      : `**Needs attention**: ${escapeMarkdownCell(summaryLine(report))}.`,
    '',
  ];
  if (!report.renderedUpToDate) lines.push('> rendered/ is not what the topology renders: the hosts were compared with rendered/ as committed.', '');
  lines.push('| host | state | rtt to hub (median) | jitter | problems |', '| --- | --- | ---: | ---: | --- |');
  const rows = problemsFirst(report).map((h) => {
    const s = h.tunnel?.statistics;
    const listed = h.problems.slice(0, PROBLEMS_PER_ROW).map((p) => `${p.severity === 'error' ? '**' : ''}${p.code}${p.severity === 'error' ? '**' : ''} ${escapeMarkdownCell(p.message)}`);
    if (h.problems.length > PROBLEMS_PER_ROW) listed.push(`and ${h.problems.length - PROBLEMS_PER_ROW} more`);
    const problems = listed.join('; ');
    return `| ${escapeMarkdownCell(h.host)}${h.isHub ? ' (hub)' : ''} | ${verdictWords(h)} | ${s ? milliseconds(s.median) : '-'} | ${s ? milliseconds(s.jitter) : '-'} | ${problems || '-'} |`;
  });
  let used = lines.join('\n').length;
  let shown = 0;
  for (const row of rows) {
    if (used + row.length + 1 > TABLE_BUDGET) break;
    lines.push(row);
    used += row.length + 1;
    shown++;
  }
  if (shown < rows.length) lines.push('', `${rows.length - shown} more host${rows.length - shown === 1 ? '' : 's'} left out to fit; \`fortress status\` shows every host.`);
  return `${lines.join('\n')}\n`;
}
