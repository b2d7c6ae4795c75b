// Drift between the topology and rendered/ (or the lock) as diagnostics, one per file, so that
// `render --check` and apply's refusal print like every other problem: as text, JSON or annotations.
import { wholeFile, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Drift } from '../emit/renderedTree.js';
import { displayPath } from './displayPath.js';

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
