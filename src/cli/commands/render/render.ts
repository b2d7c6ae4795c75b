// `fortress render`: compile the working tree and write rendered/ and the lock (or, with --check,
// only say whether they are what the topology renders).
import { relative } from 'node:path';
import type { CommandLineDiagnostic } from '../../../diagnostics/diagnostic.js';
import { findDrift, writeRenderedTree } from '../../../emit/renderedTree.js';
import { shellQuote } from '../../../apply/remoteScripts.js';
import type { CliOptions } from '../../command.js';
import { displayPath } from '../../displayPath.js';
import { driftDiagnostics, driftSummary, formatDiagnostics } from '../../formatDiagnostics.js';
import { EXIT_OK, type CliIo } from '../../io.js';
import { reportInvalid } from '../../report.js';
import { compileWorkingTree } from '../../workingTree.js';

export async function run(options: CliOptions, io: CliIo): Promise<number> {
  const { paths, compiled, warnings = [], code } = await compileWorkingTree(options, io);
  if (!compiled) return code;

  const drift = findDrift(paths.out, compiled.files, paths.lock, compiled.lockText);
  if (options.values.check === true) {
    if (drift.length > 0) return reportInvalid([...(options.format === 'json' ? warnings : []), ...driftDiagnostics(drift, paths.lock, io.cwd)], options, io, { summary: driftSummary(drift.length) });
    if (options.format === 'json') io.stdout(formatDiagnostics(warnings, 'json'));
    else if (options.format === 'text') io.stdout(`${options.out}/ and ${paths.lockDisplay} are up to date\n`);
    return EXIT_OK;
  }

  const { leftover } = drift.length > 0 ? writeRenderedTree(paths.out, compiled.files, paths.lock, compiled.lockText, drift) : {};
  // The new tree is in place, so the render succeeded: an old tree that would not delete is a warning.
  const cleanup: CommandLineDiagnostic[] = [];
  if (leftover) {
    const where = relative(io.cwd, leftover.path).startsWith('..') ? leftover.path : displayPath(io.cwd, leftover.path);
    const reason = leftover.cause instanceof Error ? leftover.cause.message : String(leftover.cause);
    cleanup.push({
      code: 'FT605',
      severity: 'warning',
      message: `${options.out}/ was rendered, but its previous tree could not be deleted (${reason}); it is left at ${where}`,
      hint: `delete it with: chmod -R u+w ${shellQuote(where)} && rm -rf ${shellQuote(where)}`,
    });
  }
  if (options.format === 'json') io.stdout(formatDiagnostics([...warnings, ...cleanup], 'json'));
  else if (cleanup.length > 0) io.stderr(formatDiagnostics(cleanup, options.format === 'github' ? 'github' : 'text', { summary: false }));
  if (options.format === 'text') {
    const hosts = compiled.model.hosts.length;
    const changedFiles = drift.filter((d) => d.path !== paths.lock).length;
    const lockChanged = changedFiles < drift.length ? `; ${paths.lockDisplay} updated` : '';
    io.stdout(
      drift.length === 0
        ? `${options.out}/ is up to date (${compiled.files.length} files, ${hosts} hosts)\n`
        : `rendered ${compiled.files.length} files for ${hosts} hosts into ${options.out}/ (${changedFiles} added, changed or removed${lockChanged})\n`,
    );
  }
  return EXIT_OK;
}
