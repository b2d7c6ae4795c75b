// Command-line arguments -> an options object, or the diagnostics (FT5xx) that say what is wrong
// with them. node's parseArgs does the tokenizing; the checks are ours, so that every mistake is
// reported at once, with a catalogue code and a "did you mean".
import { parseArgs } from 'node:util';
import { commandLineError, type CommandLineDiagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../validate/suggest.js';
import type { DiagnosticFormat } from './formatDiagnostics.js';

export const COMMANDS = ['validate', 'render', 'diff', 'apply', 'keys'] as const;
export type Command = (typeof COMMANDS)[number];

/** Diagnostics come as text, json or github; a diff as text, markdown or json. */
export type OutputFormat = 'text' | 'json' | 'github' | 'markdown';

const FORMATS: Record<Command, OutputFormat[]> = {
  validate: ['text', 'json', 'github'],
  render: ['text', 'json', 'github'],
  diff: ['text', 'markdown', 'json'],
  apply: ['text', 'json', 'github'],
  keys: ['text', 'json', 'github'],
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
  /** help: the command whose help to show; everything when absent */
  helpFor?: Command;
  /** Neither --topology nor --out was given: paths are the repository's, found from any subdirectory. */
  defaultPaths: boolean;
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
             authenticates with SSH_AUTH_SOCK or FORTRESS_SSH_KEY=<key file>
  keys bootstrap <host>
             create the host's WireGuard key on the host if it has none; print its public key
  init [dir] write a starting topology, the review and apply workflows and an operator guide
             into a repository (--force to overwrite)

Options:
  --topology <file>          the topology (default: topology/topology.yaml)
  --out <dir>                the rendered tree (default: rendered)
  --format text|json|github  how to print diagnostics and results (default: text)
  -h, --help                 show this help
  --version                  show the version

Exit status: 0 success; 1 invalid topology, drift, a host that failed, or changes with --exit-code;
2 usage or I/O error. Every code is explained in docs/diagnostics.md.
`;

/** Where a usage error's text output ends: one line pointing at the help, instead of all of it. */
export const SEE_HELP = 'run `fortress --help` for the commands and their options';

interface OptionSpec {
  type: 'string' | 'boolean';
  default?: string | boolean;
  short?: string;
  /** The commands it applies to; every command when absent. */
  only?: readonly Command[];
  /** For a command's --help: how it is written and what it does. */
  usage: [string, string];
}

/** What each command does, for its own --help. */
const COMMAND_SUMMARY: Record<Command, { synopsis: string; does: string }> = {
  validate: { synopsis: 'fortress validate [options]', does: 'Parse, schema-check and semantic-check the topology; print every problem, not just the first.' },
  render: { synopsis: 'fortress render [options]', does: 'Validate, allocate mesh addresses, and write rendered/ and the lock file (atomically; nothing is written when nothing changed).' },
  diff: { synopsis: 'fortress diff [options]', does: 'What a render would change in rendered/, per host, with a summary in words, disruption classes and risk flags.' },
  apply: { synopsis: 'fortress apply [options]', does: 'Converge the hosts to rendered/ over SSH: hubs first, then the fleet in parallel. Authenticates with SSH_AUTH_SOCK or FORTRESS_SSH_KEY=<key file>.' },
  keys: { synopsis: 'fortress keys bootstrap <host> [options]', does: "Create the host's WireGuard key on the host if it has none, and print its public key for the topology." },
};

const OPTIONS = {
  check: { type: 'boolean', default: false, only: ['render'], usage: ['--check', 'write nothing; exit 1 if rendered/ or the lock is out of date'] },
  base: { type: 'string', only: ['diff'], usage: ['--base <ref>', 'compare the topology at a git ref with the working tree, and their committed rendered/ trees'] },
  'exit-code': { type: 'boolean', default: false, only: ['diff'], usage: ['--exit-code', 'exit 1 when there are changes'] },
  'dry-run': { type: 'boolean', default: false, only: ['apply'], usage: ['--dry-run', 'read every host and print what would change; change nothing'] },
  hosts: { type: 'string', only: ['apply'], usage: ['--hosts a,b', 'only these hosts'] },
  concurrency: { type: 'string', default: '10', only: ['apply'], usage: ['--concurrency N', 'hosts at a time after the hubs (default: 10)'] },
  'confirm-timeout': { type: 'string', default: '30', only: ['apply'], usage: ['--confirm-timeout S', 'seconds a host waits for a fresh SSH connection before it rolls back by itself (default: 30)'] },
  topology: { type: 'string', default: 'topology/topology.yaml', usage: ['--topology <file>', 'the topology (default: topology/topology.yaml of the repository)'] },
  out: { type: 'string', default: 'rendered', usage: ['--out <dir>', 'the rendered tree (default: rendered)'] },
  format: { type: 'string', default: 'text', usage: ['--format <format>', 'how to print results and diagnostics'] },
  help: { type: 'boolean', short: 'h', default: false, usage: ['-h, --help', 'show this help'] },
  version: { type: 'boolean', default: false, usage: ['--version', 'show the version'] },
} as const satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;

export interface ParsedCommandLine {
  /** Set when the command line is usable; otherwise `diagnostics` say why not. */
  options?: CliOptions;
  diagnostics: CommandLineDiagnostic[];
  /** How to print those diagnostics: the --format asked for when it names a diagnostics format, else text. */
  format: DiagnosticFormat;
}

export function parseOptions(argv: readonly string[]): ParsedCommandLine {
  // Not strict: unknown options and missing values come back as tokens, and are reported below
  // together with everything else, rather than one at a time as parseArgs would throw them.
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: Object.fromEntries(Object.entries(OPTIONS).map(([name, spec]) => [name, { type: spec.type, ...('short' in spec ? { short: spec.short } : {}) }])),
  });
  const diagnostics: CommandLineDiagnostic[] = [];
  const problem = (code: Parameters<typeof commandLineError>[0], message: string, hint?: string) => diagnostics.push(commandLineError(code, message, hint));
  const known = new Set(Object.keys(OPTIONS));
  const given = new Set<OptionName>();

  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (!known.has(token.name)) {
      problem('FT502', `unknown option "${token.rawName}"`, didYouMean(`--${token.name}`, [...known].map((name) => `--${name}`)));
      continue;
    }
    const name = token.name as OptionName;
    given.add(name);
    const spec: OptionSpec = OPTIONS[name];
    if (spec.type === 'string' && token.value === undefined) problem('FT503', `${token.rawName} needs a value`);
    // `--out --check` would otherwise silently render into a directory named "--check".
    else if (spec.type === 'string' && !token.inlineValue && token.value?.startsWith('-') && token.value !== '-') {
      problem('FT503', `${token.rawName} needs a value, and "${token.value}" looks like an option`, `write ${token.rawName}=${token.value} if that is the value`);
    } else if (spec.type === 'boolean' && token.value !== undefined) problem('FT503', `${token.rawName} takes no value, but was given "${token.value}"`);
  }

  const text = (name: 'topology' | 'out' | 'format' | 'concurrency' | 'confirm-timeout' | 'base' | 'hosts'): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const flag = (name: 'check' | 'exit-code' | 'dry-run' | 'help' | 'version') => values[name] === true;
  const requestedFormat = text('format') ?? OPTIONS.format.default;
  const format: DiagnosticFormat = requestedFormat === 'json' || requestedFormat === 'github' ? requestedFormat : 'text';

  const concurrency = Number(text('concurrency') ?? OPTIONS.concurrency.default);
  const confirmTimeout = Number(text('confirm-timeout') ?? OPTIONS['confirm-timeout'].default);
  const hosts = text('hosts');
  const base = {
    topology: text('topology') ?? OPTIONS.topology.default,
    out: text('out') ?? OPTIONS.out.default,
    defaultPaths: text('topology') === undefined && text('out') === undefined,
    check: flag('check'),
    exitCode: flag('exit-code'),
    dryRun: flag('dry-run'),
    concurrency,
    confirmTimeout,
    ...(text('base') === undefined ? {} : { base: text('base')! }),
    ...(hosts === undefined ? {} : { hosts: hosts.split(',').map((h) => h.trim()).filter(Boolean) }),
  };
  const [name, ...rest] = positionals;
  // `fortress help [command]` and `fortress <command> --help`: the command's own help, or everything.
  if (name === 'help' || (diagnostics.length === 0 && flag('help'))) {
    const topic = name === 'help' ? rest[0] : name;
    if (topic !== undefined && !(COMMANDS as readonly string[]).includes(topic)) {
      problem('FT501', `unknown command "${topic}"`, didYouMean(topic, COMMANDS));
      return { diagnostics, format };
    }
    return { options: { ...base, command: 'help', format: 'text', ...(topic === undefined ? {} : { helpFor: topic as Command }) }, diagnostics, format };
  }
  if (diagnostics.length === 0 && flag('version')) return { options: { ...base, command: 'version', format: 'text' }, diagnostics, format };

  const command = (COMMANDS as readonly string[]).includes(name ?? '') ? (name as Command) : undefined;
  if (name === undefined) problem('FT501', 'no command given', `one of ${COMMANDS.join(', ')}`);
  else if (!command) problem('FT501', `unknown command "${name}"`, didYouMean(name, COMMANDS));

  let keyHost: string | undefined;
  if (command === 'keys') {
    if (rest[0] !== 'bootstrap' || rest.length !== 2) problem('FT506', 'keys needs a subcommand and a host: fortress keys bootstrap <host>');
    else keyHost = rest[1];
  } else if (command && rest.length > 0) {
    problem('FT506', `unexpected argument "${rest[0]}": ${command} takes no arguments, only options`);
  }

  if (command) {
    for (const option of given) {
      const only: readonly Command[] | undefined = (OPTIONS[option] as OptionSpec).only;
      if (only && !only.includes(command)) problem('FT505', `--${option} only applies to ${only.join(' and ')}, not to ${command}`);
    }
    const formats = FORMATS[command];
    if (!formats.includes(requestedFormat as OutputFormat)) {
      problem('FT504', `--format of ${command} must be ${formats.slice(0, -1).join(', ')} or ${formats.at(-1)}, not "${requestedFormat}"`, didYouMean(requestedFormat, formats));
    }
  }
  if (given.has('concurrency') && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100)) {
    problem('FT504', `--concurrency must be a whole number from 1 to 100, not "${text('concurrency') ?? ''}"`);
  }
  if (given.has('confirm-timeout') && (!Number.isInteger(confirmTimeout) || confirmTimeout < 2 || confirmTimeout > 3600)) {
    problem('FT504', `--confirm-timeout must be a whole number of seconds from 2 to 3600, not "${text('confirm-timeout') ?? ''}"`);
  }
  if (given.has('hosts') && hosts !== undefined && base.hosts?.length === 0) problem('FT504', '--hosts names no host', 'write --hosts a,b, or leave it out to apply to every host');

  if (diagnostics.length > 0 || !command) return { diagnostics, format };
  return { options: { ...base, command, format: requestedFormat as OutputFormat, ...(keyHost === undefined ? {} : { keyHost }) }, diagnostics, format };
}

/** One command's help: what it does, and only the options it takes. */
export function commandHelp(command: Command): string {
  const { synopsis, does } = COMMAND_SUMMARY[command];
  const options = (Object.entries(OPTIONS) as [OptionName, OptionSpec][])
    .filter(([, spec]) => !spec.only || spec.only.includes(command))
    .filter(([name]) => name !== 'version')
    .map(([name, spec]): [string, string] => (name === 'format' ? [`--format ${FORMATS[command].join('|')}`, `${spec.usage[1]} (default: text)`] : spec.usage));
  const width = Math.max(...options.map(([written]) => written.length)) + 2;
  return `Usage: ${synopsis}\n\n${does}\n\nOptions:\n${options.map(([written, what]) => `  ${written.padEnd(width)}${what}`).join('\n')}\n\nExit status: 0 success; 1 ${EXIT_ONE[command]}; 2 usage or I/O error. Codes: docs/diagnostics.md.\n`;
}

const EXIT_ONE: Record<Command, string> = {
  validate: 'the topology is invalid',
  render: 'the topology or its lock is invalid, or --check found drift',
  diff: 'either side does not compile, or there are changes with --exit-code',
  apply: 'the topology is invalid, rendered/ is out of date, or a host failed',
  keys: 'the topology is invalid or the host could not be reached',
};
