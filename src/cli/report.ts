// How a command prints what went wrong: diagnostics in the format asked for, on the stream a reader
// of that format looks at, with the exit status that goes with them.
import { sortDiagnostics, type CommandLineDiagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { CliOptions } from './command.js';
import { formatDiagnostics, type DiagnosticFormat } from './formatDiagnostics.js';
import { EXIT_FAILED, EXIT_USAGE, type CliIo } from './io.js';
import { neutralizeWorkflowCommands } from './workflowCommands.js';

/**
 * A problem with the command line or with what surrounds fortress (exit 2), in the format asked for
 * when that much of the command line could be read. The JSON report goes to stdout, where a program
 * reads it; text and annotations to stderr.
 */
export function reportUsage(diagnostics: CommandLineDiagnostic[], format: DiagnosticFormat, io: CliIo, { summary }: { summary?: string } = {}): number {
  const formatted = formatDiagnostics(sortDiagnostics(diagnostics), format, { summary: summary ?? false });
  if (format === 'json') io.stdout(formatted);
  else io.stderr(formatted);
  return EXIT_USAGE;
}

export function reportInvalid(diagnostics: Diagnostic[], options: CliOptions, io: CliIo, { summary }: { summary?: string } = {}): number {
  // A diff shown as text or markdown (or status as metrics) still reports a broken side as plain diagnostics.
  const format = options.format === 'markdown' || options.format === 'prometheus' ? 'text' : options.format;
  const formatted = formatDiagnostics(sortDiagnostics(diagnostics), format, summary === undefined ? {} : { summary });
  if (format === 'json' && options.command !== 'diff') io.stdout(formatted);
  else io.stderr(formatted);
  return EXIT_FAILED;
}

/** Warnings of a topology that compiles: on stderr as text or annotations; a JSON report carries them itself. */
export function reportWarnings(warnings: Diagnostic[], options: CliOptions, io: CliIo): void {
  if (warnings.length === 0 || options.format === 'json') return;
  io.stderr(formatDiagnostics(sortDiagnostics(warnings), options.format === 'github' ? 'github' : 'text'));
}

/** The same io, with every line made safe from being read as a workflow command (see workflowCommands.ts). */
export function commandSafe(io: CliIo): Pick<CliIo, 'stdout' | 'stderr'> {
  return { stdout: (text) => io.stdout(neutralizeWorkflowCommands(text)), stderr: (text) => io.stderr(neutralizeWorkflowCommands(text)) };
}
