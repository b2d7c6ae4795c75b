// Command-line arguments -> an options object, or the diagnostics (FT5xx) that say what is wrong
// with them. node's parseArgs does the tokenizing; the checks are ours, so that every mistake is
// reported at once, with a catalogue code and a "did you mean". Each command's options and help are
// its own (src/cli/commands/<name>/index.ts); this file knows only the options they share.
import { parseArgs } from 'node:util';
import { commandLineError, type CommandLineDiagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../validate/suggest.js';
import type { CliOptions, CommandDefinition, OptionSpec, OutputFormat, SharedOption } from './command.js';
import { COMMAND_DEFINITIONS } from './commands/index.js';
import type { DiagnosticFormat } from './formatDiagnostics.js';

export type { CliOptions } from './command.js';

export const COMMANDS = COMMAND_DEFINITIONS.map((c) => c.name);

const SHARED: Record<SharedOption, OptionSpec> = {
  topology: { type: 'string', default: 'topology/topology.yaml', usage: ['--topology <file>', 'the topology (default: topology/topology.yaml of the repository)'] },
  out: { type: 'string', default: 'rendered', usage: ['--out <dir>', 'the rendered tree (default: rendered)'] },
  format: { type: 'string', default: 'text', usage: ['--format <format>', 'how to print results and diagnostics'] },
};
const HELP: OptionSpec = { type: 'boolean', short: 'h', usage: ['-h, --help', 'show this help'] };
const VERSION: OptionSpec = { type: 'boolean', usage: ['--version', 'show the version'] };

const EVERY_OPTION: Readonly<Record<string, OptionSpec>> = Object.assign({}, ...COMMAND_DEFINITIONS.map((c) => c.options), SHARED, { help: HELP, version: VERSION });

/** Where a usage error's text output ends: one line pointing at the help, instead of all of it. */
export function seeHelp(command?: string): string {
  return command === undefined ? 'run `fortress --help` for the commands and their options' : `run \`fortress ${command} --help\` for its options`;
}

export interface ParsedCommandLine {
  /** Set when the command line is usable; otherwise `diagnostics` say why not. */
  options?: CliOptions;
  /** `fortress help [command]`, `--help` or `--version`: what to print instead of running anything. */
  print?: string;
  diagnostics: CommandLineDiagnostic[];
  /** How to print those diagnostics: the --format asked for when it names a diagnostics format, else text. */
  format: DiagnosticFormat;
  /** The command the line names, when it names one: for the pointer to its help. */
  command?: CommandDefinition;
}

export function parseOptions(argv: readonly string[], version = ''): ParsedCommandLine {
  const named = commandNamed(argv);
  const definition = COMMAND_DEFINITIONS.find((c) => c.name === named);
  // Not strict: unknown options and missing values come back as tokens, and are reported below
  // together with everything else, rather than one at a time as parseArgs would throw them. Every
  // command's options tokenize, so that one given to the wrong command is named as such, value and all.
  const specs = optionsOf(definition);
  const { values, positionals, tokens } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    tokens: true,
    options: Object.fromEntries(Object.entries(EVERY_OPTION).map(([name, spec]) => [name, { type: spec.type, ...(spec.short ? { short: spec.short } : {}) }])),
  });
  const diagnostics: CommandLineDiagnostic[] = [];
  const problem = (code: Parameters<typeof commandLineError>[0], message: string, hint?: string) => diagnostics.push(commandLineError(code, message, hint));
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const requestedFormat = text('format') ?? 'text';
  const format: DiagnosticFormat = requestedFormat === 'json' || requestedFormat === 'github' ? requestedFormat : 'text';
  const given = new Set<string>();

  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = specs[token.name];
    if (!spec) {
      const owners = COMMAND_DEFINITIONS.filter((c) => token.name in c.options || (c.shared as readonly string[]).includes(token.name));
      if (definition && owners.length > 0) problem('FT505', `${token.rawName} only applies to ${owners.map((c) => c.name).join(' and ')}, not to ${definition.name}`);
      else problem('FT502', `unknown option "${token.rawName}"`, didYouMean(`--${token.name}`, Object.keys(specs).map((name) => `--${name}`)));
      continue;
    }
    given.add(token.name);
    if (spec.type === 'string' && token.value === undefined) problem('FT503', `${token.rawName} needs a value`);
    // `--out --check` would otherwise silently render into a directory named "--check".
    else if (spec.type === 'string' && !token.inlineValue && token.value?.startsWith('-') && token.value !== '-') {
      problem('FT503', `${token.rawName} needs a value, and "${token.value}" looks like an option`, `write ${token.rawName}=${token.value} if that is the value`);
    } else if (spec.type === 'boolean' && token.value !== undefined) problem('FT503', `${token.rawName} takes no value, but was given "${token.value}"`);
    else if (spec.check && typeof token.value === 'string') {
      const outOfRange = spec.check(token.value);
      if (outOfRange) problem('FT504', outOfRange);
    }
  }

  const [name, ...rest] = positionals;
  // `fortress help [command]` and `fortress <command> --help`: the command's own help, or everything.
  if (name === 'help' || (diagnostics.length === 0 && values.help === true)) {
    const topic = name === 'help' ? rest[0] : name;
    if (topic === undefined) return { print: usage(), diagnostics, format };
    const about = COMMAND_DEFINITIONS.find((c) => c.name === topic);
    if (about) return { print: commandHelp(about), diagnostics, format };
    problem('FT501', `unknown command "${topic}"`, didYouMean(topic, COMMANDS));
    return { diagnostics, format };
  }
  if (diagnostics.length === 0 && values.version === true) return { print: `fortress ${version}\n`, diagnostics, format };

  if (name === undefined) problem('FT501', 'no command given', `one of ${COMMANDS.join(', ')}`);
  else if (!definition) problem('FT501', `unknown command "${name}"`, didYouMean(name, COMMANDS));
  if (!definition) return { diagnostics, format };

  const wrongArguments = definition.checkArguments(rest);
  if (wrongArguments) problem('FT506', wrongArguments);
  if (definition.shared.includes('format') && !definition.formats.includes(requestedFormat as OutputFormat)) {
    const formats = definition.formats;
    problem('FT504', `--format of ${definition.name} must be ${formats.slice(0, -1).join(', ')} or ${formats.at(-1)}, not "${requestedFormat}"`, didYouMean(requestedFormat, formats));
  }
  if (diagnostics.length > 0) return { diagnostics, format, command: definition };

  const own: Record<string, string | boolean | undefined> = {};
  for (const [option, spec] of Object.entries(definition.options)) own[option] = values[option] ?? spec.default ?? (spec.type === 'boolean' ? false : undefined);
  return {
    options: {
      command: definition.name,
      topology: text('topology') ?? SHARED.topology.default!,
      out: text('out') ?? SHARED.out.default!,
      format: requestedFormat as OutputFormat,
      defaultPaths: definition.findsRepository && !given.has('topology') && !given.has('out'),
      values: own,
      arguments: rest,
    },
    diagnostics,
    format,
    command: definition,
  };
}

/**
 * The command a line names, read before its options are known: the first word that is not an option
 * or an option's value.
 */
function commandNamed(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return argv[i + 1];
    if (!arg.startsWith('-')) return arg === 'help' ? argv[i + 1] : arg;
    if (arg.startsWith('--') && !arg.includes('=') && EVERY_OPTION[arg.slice(2)]?.type === 'string') i++;
  }
  return undefined;
}

function optionsOf(definition: CommandDefinition | undefined): Record<string, OptionSpec> {
  if (!definition) return { ...SHARED, help: HELP, version: VERSION };
  const shared = Object.fromEntries(definition.shared.map((name) => [name, SHARED[name]]));
  return { ...definition.options, ...shared, help: HELP, version: VERSION };
}

/** One command's help: what it does, and only the options it takes. */
export function commandHelp(command: CommandDefinition): string {
  const options = Object.entries({ ...command.options, ...Object.fromEntries(command.shared.map((name) => [name, SHARED[name]])), help: HELP }).map(
    ([name, spec]): [string, string] => (name === 'format' ? [`--format ${command.formats.join('|')}`, `${spec.usage[1]} (default: text)`] : spec.usage),
  );
  return `Usage: ${command.synopsis}\n\n${command.does}\n\nOptions:\n${table(options)}\n\nExit status: 0 success; 1 ${command.exitOne}; 2 usage or I/O error. Codes: docs/diagnostics.md.\n`;
}

/** `fortress --help`: every command with its own options, then the shared ones. */
export function usage(): string {
  const commands = COMMAND_DEFINITIONS.map((c) => {
    const own = Object.values(c.options).map((spec) => `             ${spec.usage[0].padEnd(20)}${spec.usage[1]}`);
    const head = `  ${c.synopsis.replace(/^fortress /, '').replace(/ \[options\]$/, '')}`;
    return [head.length > 12 ? `${head}\n             ${c.summary}` : `${head.padEnd(13)}${c.summary}`, ...own].join('\n');
  });
  const shared = table([...Object.values(SHARED).map((s) => s.usage), HELP.usage, VERSION.usage]);
  return `Usage: fortress <command> [options]\n\nCommands:\n${commands.join('\n')}\n\nOptions:\n${shared}\n\nExit status: 0 success; 1 invalid topology, drift, a host that failed, or changes with --exit-code;\n2 usage or I/O error. Every code is explained in docs/diagnostics.md.\n`;
}

function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([written]) => written.length)) + 2;
  return rows.map(([written, what]) => `  ${written.padEnd(width)}${what}`).join('\n');
}
