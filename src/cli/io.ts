// The effects the CLI may use, handed in so tests can run the CLI in-process and capture its output.
export interface CliIo {
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const EXIT_OK = 0;
/** The topology is invalid, --check found drift, or a host failed to apply. */
export const EXIT_FAILED = 1;
/** A usage or I/O error: unknown flag, missing file. */
export const EXIT_USAGE = 2;

/** A problem with how fortress was called or with the files around it, reported without a stack trace. */
export class UsageError extends Error {}
