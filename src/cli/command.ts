// What a command is to the command line: its name, its help, the options and arguments it takes, and
// where its work lives. The definitions are small and load at once; a command's work (and the
// libraries it needs: ssh2, git, diff) loads only when that command runs.
import type { CliIo } from './io.js';

/** Diagnostics come as text, json or github; a diff as text, markdown or json; status also as prometheus metrics. */
export type OutputFormat = 'text' | 'json' | 'github' | 'markdown' | 'prometheus';

export interface OptionSpec {
  type: 'string' | 'boolean';
  default?: string;
  short?: string;
  /** For --help: how it is written and what it does. */
  usage: [string, string];
  /** A value out of range: the FT504 message, or undefined when the value is fine. */
  check?: (value: string) => string | undefined;
}

/** The options most commands share; each command says which of them it takes. */
export type SharedOption = 'topology' | 'out' | 'format';

export interface CliOptions {
  command: string;
  topology: string;
  out: string;
  format: OutputFormat;
  /** Neither --topology nor --out was given: paths are the repository's, found from any subdirectory. */
  defaultPaths: boolean;
  /** The command's own options by name (`check`, `dry-run`, …): strings, or true for a switch given. */
  values: Readonly<Record<string, string | boolean | undefined>>;
  /** Its arguments after the command's name, as its `arguments` rule accepted them. */
  arguments: readonly string[];
}

export interface CommandModule {
  run(options: CliOptions, io: CliIo): Promise<number>;
}

export interface CommandDefinition {
  name: string;
  /** How it is written: `fortress keys bootstrap <host> [options]`. */
  synopsis: string;
  /** One line for `fortress --help`. */
  summary: string;
  /** A paragraph for its own --help. */
  does: string;
  shared: readonly SharedOption[];
  options: Readonly<Record<string, OptionSpec>>;
  formats: readonly OutputFormat[];
  /** When it exits 1. */
  exitOne: string;
  /** Checks the arguments after the name: a problem to report (FT506), or undefined when they are right. */
  checkArguments: (args: readonly string[]) => string | undefined;
  /** Whether the command works in a repository found from a subdirectory (not init, which makes one). */
  findsRepository: boolean;
  load: () => Promise<CommandModule>;
}

/** For commands that take no arguments. */
export function noArguments(name: string): (args: readonly string[]) => string | undefined {
  return (args) => (args.length > 0 ? `unexpected argument "${args[0]}": ${name} takes no arguments, only options` : undefined);
}

/** A whole number in a range, for an option's `check`. */
export function wholeNumber(option: string, min: number, max: number, unit = ''): (value: string) => string | undefined {
  return (value) => {
    const n = Number(value);
    return Number.isInteger(n) && n >= min && n <= max ? undefined : `${option} must be a whole number${unit} from ${min} to ${max}, not "${value}"`;
  };
}
