// A review as a pull-request comment: a summary table, risks, then one collapsible section per host.
// GitHub refuses comments over 65,536 characters, so the comment is fitted to a budget: the table is
// capped, then the longest diffs are shortened first, and only as a last resort are whole sections
// left out, always with a note saying what was cut and how to see everything locally.
import { hasChanges, type HostReview, type Review, type SiteReview } from './buildReview.js';
import type { FileChange } from './fileChanges.js';
import { countsLine } from './formatText.js';

export const GITHUB_COMMENT_LIMIT = 65_536;
/** Room left for whatever the workflow wraps around the comment (a marker, a footer). */
const BUDGET = GITHUB_COMMENT_LIMIT - 1_536;
const TABLE_BUDGET = 16_000;

const DISRUPTION_BADGE = { none: '⚪ none', live: '🟡 live', restart: '🔴 restart' } as const;

export function formatReviewMarkdown(review: Review, { baseRef }: { baseRef?: string } = {}): string {
  const localCommand = `fortress diff${baseRef ? ` --base ${baseRef.replace(/[`\u0000-\u001f]/g, '')}` : ''}`;
  const title = `### fortress: ${cell(review.base)} → ${cell(review.head)}`;
  if (!hasChanges(review)) return `${title}\n\nNo change to any rendered file, and none to the topology.\n`;

  const head = [title, '', cell(countsLine(review))];
  if (review.risks.length > 0) head.push('', '**Risks**', '', ...review.risks.map((r) => `- ⚠️ ${cell(r.message)}`));
  if (review.mesh.length > 0) head.push('', `**Mesh-wide:** ${review.mesh.map(cell).join('; ')}`);
  if (review.policy.length > 0) head.push('', `**Policy:** ${review.policy.map(cell).join('; ')}`);
  const siteChanges = review.sites.filter((s) => s.summary.length > 0);
  if (siteChanges.length > 0) head.push('', `**Sites:** ${siteChanges.map((s) => `<code>${cell(s.site)}</code> ${s.summary.map(cell).join(', ')}`).join('; ')}`);
  if (review.hosts.length > 0) head.push('', ...summaryTable(review.hosts));

  // Hubs first: if sections must be left out for size, a hub's change is the last thing to lose.
  const hostsInOrder = [...review.hosts.filter((h) => h.hub), ...review.hosts.filter((h) => !h.hub)];
  // Files the topology does not explain come first: they are the ones a reviewer would otherwise trust blindly.
  const unexplainedOwners = [...new Set(review.renderedWithoutTopologyChange.map((f) => ownerLabel(f)))];
  const sections: Section[] = [
    ...unexplainedOwners.map((owner) => ({
      summary: `⚠️ ${owner} · rendered without a topology change`,
      files: review.renderedWithoutTopologyChange.filter((f) => ownerLabel(f) === owner),
    })),
    ...hostsInOrder.map((h) => ({ summary: `<code>${cell(h.host)}</code>${h.hub ? ' (hub)' : ''} · ${h.change} · ${h.disruption}`, files: h.files })),
    ...review.sites.map((s: SiteReview) => ({ summary: `terraform · site <code>${cell(s.site)}</code>`, files: s.files })),
  ].filter((s) => s.files.length > 0);

  const headText = head.join('\n');
  const { text, linesCut, filesCut, sectionsLeftOut } = fitSections(sections, BUDGET - headText.length - 600 /* the note */);
  const notes: string[] = [];
  if (linesCut > 0) notes.push(`${linesCut} diff lines of ${filesCut} file${filesCut === 1 ? '' : 's'} were cut`);
  if (sectionsLeftOut > 0) notes.push(`${sectionsLeftOut} section${sectionsLeftOut === 1 ? ' was' : 's were'} left out`);
  const note = notes.length > 0 ? `\n\n> ✂️ To fit GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString('en')}-character comment limit, ${notes.join(' and ')}. Run \`${localCommand}\` locally to see everything.` : '';
  return `${headText}\n\n${text}${note}\n`;
}

interface Section {
  summary: string;
  files: FileChange[];
}

function summaryTable(hosts: HostReview[]): string[] {
  const rows = hosts.map((h) => `| <code>${cell(h.host)}</code> | ${h.change} | ${DISRUPTION_BADGE[h.disruption]} | ${h.summary.map(cell).join('<br>') || '—'} |`);
  const table = ['| host | change | disruption | what changes |', '| --- | --- | --- | --- |'];
  let length = 0;
  for (const [i, row] of rows.entries()) {
    if (length + row.length > TABLE_BUDGET) {
      const rest = hosts.slice(i);
      const by = (d: string) => rest.filter((h) => h.disruption === d).length;
      table.push(`| … | ${rest.length} more hosts | ${by('restart')} restart, ${by('live')} live, ${by('none')} none | see the sections below |`);
      break;
    }
    table.push(row);
    length += row.length;
  }
  return table;
}

/** The fewest lines a diff is cut to before whole sections are left out instead. */
const MIN_LINES = 8;

/**
 * Fits the sections into `room` characters: every diff capped at the largest line count that fits,
 * and if even the minimum cap is too long, the trailing sections left out.
 */
function fitSections(sectionsIn: Section[], room: number): { text: string; linesCut: number; filesCut: number; sectionsLeftOut: number } {
  const sections = sectionsIn.map((s) => ({ ...s, patches: s.files.map((f) => f.patch.replace(/\n$/, '').split('\n')) }));
  const full = renderSections(sections, Infinity);
  if (full.text.length <= room) return { ...full, sectionsLeftOut: 0 };

  let keep = sections.length;
  let total = sections.reduce((n, s) => n + renderSections([s], MIN_LINES).text.length + 2, 0);
  while (keep > 0 && total > room) total -= renderSections([sections[--keep]!], MIN_LINES).text.length + 2;
  const kept = sections.slice(0, keep);

  let low = MIN_LINES;
  let high = Math.max(MIN_LINES, ...kept.flatMap((s) => s.patches.map((p) => p.length)));
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (renderSections(kept, mid).text.length <= room) low = mid;
    else high = mid - 1;
  }
  return { ...renderSections(kept, low), sectionsLeftOut: sections.length - keep };
}

function renderSections(sections: (Section & { patches: string[][] })[], maxLines: number): { text: string; linesCut: number; filesCut: number } {
  let linesCut = 0;
  let filesCut = 0;
  const text = sections
    .map((section) => {
      const added = section.files.reduce((n, f) => n + f.linesAdded, 0);
      const removed = section.files.reduce((n, f) => n + f.linesRemoved, 0);
      const diffs = section.patches.map((lines) => {
        let body = lines;
        if (lines.length > maxLines) {
          body = [...lines.slice(0, maxLines), `… ${lines.length - maxLines} more lines cut`];
          linesCut += lines.length - maxLines;
          filesCut++;
        }
        const fence = '`'.repeat(Math.max(3, longestBacktickRun(body.join('\n')) + 1));
        return `${fence}diff\n${body.join('\n')}\n${fence}`;
      });
      const count = `${section.files.length} file${section.files.length === 1 ? '' : 's'}, +${added} −${removed}`;
      return `<details><summary>${section.summary} · ${count}</summary>\n\n${diffs.join('\n\n')}\n\n</details>`;
    })
    .join('\n\n');
  return { text, linesCut, filesCut };
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}

/** Text for a table cell, list item or summary: no pipes, no HTML, no backticks, no line breaks. */
function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/`/g, '&#96;')
    .replace(/[\u0000-\u001f\u007f]/g, ' ');
}

function ownerLabel(file: FileChange): string {
  return file.owner.kind === 'tree' ? 'rendered/' : `<code>${cell(file.owner.name)}</code>${file.owner.kind === 'site' ? ' (terraform)' : ''}`;
}
