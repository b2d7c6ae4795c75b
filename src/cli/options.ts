// Command-line arguments -> an options object, with node's own parseArgs.
import { parseArgs } from 'node:util';
import { UsageError } from './io.js';
export const COMMANDS = ['validate', 'render', 'diff', 'apply', 'keys'] as const;
export type Command = (typeof COMMANDS)[number];

/** Diagnostics come as text, json or github; a diff as text, markdown or json. */
export type OutputFormat = 'text' | 'json' | 'github' | 'markdown';

const FORMATS: Record<Command, OutputFormat[]> = {
  validate: ['text', 'json', 'github'],
  render: ['text', 'json', 'github'],
  diff: ['text', 'markdown', 'json'],
  apply: ['text', 'json'],
  keys: ['text'],
};

export interface CliOptions {
  command: Command | 'help' | 'version';
  topology: string;
  out: string;
  format: OutputFormat;
  check: boolean;
  base?: string;
  exitCode: boolean;
  dryRun: boolean;
  concurrency: number;
  /** apply --confirm-timeout: seconds a host waits for the controller's fresh connection before it rolls back */
  confirmTimeout: number;
  /** apply --hosts: only these hosts */
  hosts?: string[];
  /** keys bootstrap <host> */
  keyHost?: string;
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
  apply      converge the hosts to rendered/ over SSH: hubs first, then the fleet in parallel
             --dry-run       read every host and print what would change; change nothing
             --hosts a,b     only these hosts
             --concurrency N hosts at a time after the hubs (default: 10)
             --confirm-timeout S  seconds a host waits for the controller to reach it again
                             over a fresh SSH connection before it rolls back by itself (default: 30)
             --format text|json; authenticates with SSH_AUTH_SOCK or FORTRESS_SSH_KEY=<key file>
  keys bootstrap <host>
             create the host's WireGuard key on the host if it has none; print its public key

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
        'dry-run': { type: 'boolean', default: false },
        concurrency: { type: 'string', default: '10' },
        'confirm-timeout': { type: 'string', default: '30' },
        hosts: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
    });
  } catch (cause) {
    throw new UsageError((cause as Error).message);
  }
  const { values, positionals } = parsed;
  const concurrency = Number(values.concurrency);
  const confirmTimeout = Number(values['confirm-timeout']);
  const base = {
    topology: values.topology,
    out: values.out,
    check: values.check,
    exitCode: values['exit-code'],
    dryRun: values['dry-run'],
    concurrency,
    confirmTimeout,
    ...(values.base === undefined ? {} : { base: values.base }),
    ...(values.hosts === undefined ? {} : { hosts: values.hosts.split(',').map((h) => h.trim()).filter(Boolean) }),
  };
  if (values.help) return { ...base, command: 'help', format: 'text' };
  if (values.version) return { ...base, command: 'version', format: 'text' };

  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError('no command given');
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown command "${command}"`);
  let keyHost: string | undefined;
  if (command === 'keys') {
    if (rest[0] !== 'bootstrap' || rest.length !== 2) throw new UsageError('usage: fortress keys bootstrap <host>');
    keyHost = rest[1];
  } else if (rest.length > 0) {
    throw new UsageError(`unexpected argument "${rest[0]}"`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100) throw new UsageError(`--concurrency must be a whole number from 1 to 100, not "${values.concurrency}"`);
  if (!Number.isInteger(confirmTimeout) || confirmTimeout < 2 || confirmTimeout > 3600) throw new UsageError(`--confirm-timeout must be a whole number of seconds from 2 to 3600, not "${values['confirm-timeout']}"`);
  if (argv.some((a) => a === '--confirm-timeout' || a.startsWith('--confirm-timeout=')) && command !== 'apply') throw new UsageError('--confirm-timeout only applies to apply');
  if ((values['dry-run'] || values.hosts !== undefined) && command !== 'apply') throw new UsageError(`--${values['dry-run'] ? 'dry-run' : 'hosts'} only applies to apply`);
  const formats = FORMATS[command as Command];
  if (!formats.includes(values.format as OutputFormat)) throw new UsageError(`--format of ${command} must be ${formats.slice(0, -1).join(', ')} or ${formats.at(-1)}, not "${values.format}"`);
  if (values.check && command !== 'render') throw new UsageError('--check only applies to render');
  if ((values.base !== undefined || values['exit-code']) && command !== 'diff') throw new UsageError(`--${values.base !== undefined ? 'base' : 'exit-code'} only applies to diff`);
  return { ...base, command: command as Command, format: values.format as OutputFormat, ...(keyHost === undefined ? {} : { keyHost }) };
}
