// The command line: arguments -> the command's options -> its module -> an exit status. Dispatch and
// the one catch-all live here; each command's work is in src/cli/commands/<name>/, loaded only when
// it runs, so `fortress render` never loads ssh2 or git.
import { commandLineError } from '../diagnostics/diagnostic.js';
import { displayPath } from './displayPath.js';
import type { DiagnosticFormat } from './formatDiagnostics.js';
import { EXIT_OK, EXIT_USAGE, InputError, type CliIo } from './io.js';
import { parseOptions, seeHelp } from './options.js';
import { findRepositoryRoot } from './repositoryRoot.js';
import { reportUsage } from './report.js';
import { VERSION } from './version.js';

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const { options, print, diagnostics, format, command } = parseOptions(argv, VERSION);
  if (print !== undefined) {
    io.stdout(print);
    return EXIT_OK;
  }
  if (!options || !command) return reportUsage(diagnostics, format, io, { summary: seeHelp(command?.name) });
  const scoped = options.defaultPaths ? { ...io, cwd: findRepositoryRoot(io.cwd, options.topology) } : io;
  return reportingFailures(scoped, format, async () => (await command.load()).run(options, scoped));
}

/** The one catch-all: a user's or the file system's problem is a diagnostic (exit 2), anything else a bug. */
async function reportingFailures(io: CliIo, format: DiagnosticFormat, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (cause) {
    if (cause instanceof InputError) return reportUsage([commandLineError(cause.code, cause.message, cause.hint)], format, io);
    if (isFileSystemError(cause)) return reportUsage([commandLineError('FT510', describeFileSystemError(cause, io.cwd))], format, io);
    const detail = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
    io.stderr(`fortress: internal error, this is a bug in fortress. Please report it with the command you ran and this output:\n${detail}\n`);
    return EXIT_USAGE;
  }
}

function isFileSystemError(cause: unknown): cause is NodeJS.ErrnoException {
  return cause instanceof Error && typeof (cause as NodeJS.ErrnoException).code === 'string' && typeof (cause as NodeJS.ErrnoException).syscall === 'string';
}

function describeFileSystemError(cause: NodeJS.ErrnoException, cwd: string): string {
  const what = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory', ENOTDIR: 'not a directory', ENOSPC: 'no space left on device' }[cause.code ?? ''];
  return `cannot ${cause.syscall} ${cause.path === undefined ? '' : displayPath(cwd, cause.path)}: ${what ?? cause.message}`;
}
