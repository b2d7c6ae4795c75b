// A review for a terminal: summary, risks, then per host its changes and unified diffs.
import { styleText } from 'node:util';
import { hasChanges, type Review } from './buildReview.js';
import type { FileChange } from './fileChanges.js';

type Style = Parameters<typeof styleText>[0];

export function formatReviewText(review: Review, { color }: { color: boolean }): string {
  // The caller decides about colour (a TTY, NO_COLOR): styleText must not second-guess it from the stream.
  // Names, summaries and diffs come from files anyone can commit: every piece is made terminal-safe
  // before it is coloured, so the only escape sequences in the output are our own colours.
  const paint = (style: Style, text: string) => (color ? styleText(style, terminalSafe(text), { validateStream: false }) : terminalSafe(text));
  const line = (text: string) => terminalSafe(text);
  const out: string[] = [paint('bold', `fortress diff: ${review.base} → ${review.head}`)];
  if (!hasChanges(review)) {
    out.push('no changes');
    return `${out.join('\n')}\n`;
  }
  out.push(line(countsLine(review)));
  if (review.risks.length > 0) {
    out.push('', paint('bold', 'risks:'), ...review.risks.map((r) => paint('yellow', `  ! ${r.message}`)));
  }
  if (review.mesh.length > 0) out.push('', paint('bold', 'mesh:'), ...review.mesh.map((m) => line(`  ${m}`)));
  if (review.policy.length > 0) out.push('', paint('bold', 'policy:'), ...review.policy.map((p) => line(`  ${p}`)));
  if (review.renderedWithoutTopologyChange.length > 0) {
    out.push('', paint('bold', 'rendered without a topology change (a template or fortress changed, or rendered/ was edited):'));
    for (const file of review.renderedWithoutTopologyChange) out.push(...patchLines(file, paint));
  }
  for (const host of review.hosts) {
    out.push('', paint('bold', `${host.host} · ${host.change} · ${host.disruption}`), ...host.summary.map((s) => line(`  • ${s}`)));
    for (const file of host.files) out.push(...patchLines(file, paint));
  }
  for (const site of review.sites) {
    out.push('', paint('bold', `site ${site.site}${site.files.length > 0 ? ' · terraform' : ''}`), ...site.summary.map((s) => line(`  • ${s}`)));
    for (const file of site.files) out.push(...patchLines(file, paint));
  }
  return `${out.join('\n')}\n`;
}

/** Control characters (escape sequences included) shown as \xNN, so they cannot act on the terminal. */
function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function countsLine(review: Review): string {
  const { added, removed, changed, restart, live } = review.counts;
  const hosts = review.hosts.length;
  const parts = [`${hosts} host${hosts === 1 ? '' : 's'}: ${added} added, ${removed} removed, ${changed} changed (${restart} restart, ${live} live)`];
  if (review.sites.length > 0) parts.push(`terraform: ${review.sites.map((s) => s.site).join(', ')}`);
  return parts.join('; ');
}

function patchLines(file: FileChange, paint: (style: Style, text: string) => string): string[] {
  return file.patch
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => {
      const style: Style | undefined = line.startsWith('+++') || line.startsWith('---') ? 'bold' : line.startsWith('+') ? 'green' : line.startsWith('-') ? 'red' : line.startsWith('@@') ? 'cyan' : undefined;
      return `  ${style ? paint(style, line) : terminalSafe(line)}`;
    });
}
