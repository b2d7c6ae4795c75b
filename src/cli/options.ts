// Command-line arguments -> an options object, with node's own parseArgs.
import { parseArgs } from 'node:util';
import { UsageError } from './io.js';
import type { DiagnosticFormat } from './formatDiagnostics.js';

export const COMMANDS = ['validate', 'render'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliOptions {
  command: Command | 'help' | 'version';
  topology: string;
  out: string;
  format: DiagnosticFormat;
  check: boolean;
}

export const USAGE = `Usage: fortress <command> [options]

Commands:
  validate   parse, schema-check and semantic-check the topology; print every problem
  render     validate, allocate addresses, write rendered/ and the lock file
             --check   write nothing; exit 1 if rendered/ or the lock is out of date

Options:
  --topology <file>          the topology (default: topology/topology.yaml)
  --out <dir>                the rendered tree (default: rendered)
  --format text|json|github  how to print diagnostics (default: text)
  -h, --help                 show this help
  --version                  show the version

Exit status: 0 success; 1 invalid topology or drift; 2 usage or I/O error.
`;

export function parseOptions(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        topology: { type: 'string', default: 'topology/topology.yaml' },
        out: { type: 'string', default: 'rendered' },
        format: { type: 'string', default: 'text' },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
    });
  } catch (cause) {
    throw new UsageError((cause as Error).message);
  }
  const { values, positionals } = parsed;
  const base = { topology: values.topology, out: values.out, check: values.check };
  if (values.help) return { ...base, command: 'help', format: 'text' };
  if (values.version) return { ...base, command: 'version', format: 'text' };

  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError('no command given');
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown command "${command}"`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (!['text', 'json', 'github'].includes(values.format)) throw new UsageError(`--format must be text, json or github, not "${values.format}"`);
  if (values.check && command !== 'render') throw new UsageError('--check only applies to render');
  return { ...base, command: command as Command, format: values.format as DiagnosticFormat };
}
