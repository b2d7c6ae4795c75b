// `fortress validate`: the topology through load and validate only, every problem at once.
import { validateSource } from '../../../compile.js';
import type { CliOptions } from '../../command.js';
import { formatDiagnostics } from '../../formatDiagnostics.js';
import { EXIT_OK, type CliIo } from '../../io.js';
import { reportInvalid, reportWarnings } from '../../report.js';
import { readSource } from '../../workingTree.js';

export async function run(options: CliOptions, io: CliIo): Promise<number> {
  const topology = await readSource(io, options.topology);
  const { topology: valid, diagnostics } = validateSource(topology);
  if (!valid) return reportInvalid(diagnostics, options, io);
  reportWarnings(diagnostics, options, io);
  if (options.format === 'json') io.stdout(formatDiagnostics(diagnostics, 'json'));
  else if (options.format === 'text') io.stdout(`${options.topology}: valid (${Object.keys(valid.hosts).length} hosts, ${Object.keys(valid.sites).length} sites)\n`);
  return EXIT_OK;
}
