// The effects the CLI may use, handed in so tests can run the CLI in-process and capture its output.
export interface CliIo {
  cwd: string;
  /** Whether stdout is a terminal that wants colour (a TTY, and NO_COLOR unset). */
  color?: boolean;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const EXIT_OK = 0;
/** The topology is invalid, --check found drift, or a host failed to apply. */
export const EXIT_FAILED = 1;
/** A usage or I/O error: unknown flag, missing file. */
export const EXIT_USAGE = 2;

/** A problem with the files or repository around fortress (exit 2), reported without a stack trace. */
export class InputError extends Error {}

/** A mistake in the command line itself (exit 2): reported with the usage. */
export class UsageError extends InputError {}
