// Command-line arguments -> an options object, with node's own parseArgs.
import { parseArgs } from 'node:util';
import { UsageError } from './io.js';
export const COMMANDS = ['validate', 'render', 'diff'] as const;
export type Command = (typeof COMMANDS)[number];

/** Diagnostics come as text, json or github; a diff as text, markdown or json. */
export type OutputFormat = 'text' | 'json' | 'github' | 'markdown';

const FORMATS: Record<Command, OutputFormat[]> = {
  validate: ['text', 'json', 'github'],
  render: ['text', 'json', 'github'],
  diff: ['text', 'markdown', 'json'],
};

export interface CliOptions {
  command: Command | 'help' | 'version';
  topology: string;
  out: string;
  format: OutputFormat;
  check: boolean;
  base?: string;
  exitCode: boolean;
}

export const USAGE = `Usage: fortress <command> [options]

Commands:
  validate   parse, schema-check and semantic-check the topology; print every problem
  render     validate, allocate addresses, write rendered/ and the lock file
             --check         write nothing; exit 1 if rendered/ or the lock is out of date
  diff       what a render would change in rendered/, per host, with a summary and risk flags
             --base <ref>    compare the topology at a git ref with the working tree instead
             --exit-code     exit 1 when there are changes
             --format text|markdown|json (default: text)

Options:
  --topology <file>          the topology (default: topology/topology.yaml)
  --out <dir>                the rendered tree (default: rendered)
  --format text|json|github  how to print diagnostics (default: text)
  -h, --help                 show this help
  --version                  show the version

Exit status: 0 success; 1 invalid topology, drift, or changes with --exit-code; 2 usage or I/O error.
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
        base: { type: 'string' },
        'exit-code': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
    });
  } catch (cause) {
    throw new UsageError((cause as Error).message);
  }
  const { values, positionals } = parsed;
  const base = { topology: values.topology, out: values.out, check: values.check, exitCode: values['exit-code'], ...(values.base === undefined ? {} : { base: values.base }) };
  if (values.help) return { ...base, command: 'help', format: 'text' };
  if (values.version) return { ...base, command: 'version', format: 'text' };

  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError('no command given');
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown command "${command}"`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const formats = FORMATS[command as Command];
  if (!formats.includes(values.format as OutputFormat)) throw new UsageError(`--format of ${command} must be ${formats.slice(0, -1).join(', ')} or ${formats.at(-1)}, not "${values.format}"`);
  if (values.check && command !== 'render') throw new UsageError('--check only applies to render');
  if ((values.base !== undefined || values['exit-code']) && command !== 'diff') throw new UsageError(`--${values.base !== undefined ? 'base' : 'exit-code'} only applies to diff`);
  return { ...base, command: command as Command, format: values.format as OutputFormat };
}
