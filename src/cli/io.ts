// The effects the CLI may use, handed in so tests can run the CLI in-process and capture its output.
export interface CliIo {
  cwd: string;
  /** Whether stdout is a terminal that wants colour (a TTY, and NO_COLOR unset). */
  color?: boolean;
  /** Whether stderr is a terminal, where progress can be redrawn in place. */
  stderrIsTerminal?: boolean;
  /** The few environment variables fortress reads, read once by the executable. */
  env?: {
    /** An SSH agent to authenticate with. */
    sshAuthSock?: string;
    /** FORTRESS_SSH_KEY: a private key file to authenticate with instead. */
    sshKeyFile?: string;
    /** GITHUB_STEP_SUMMARY: where apply appends its table in GitHub Actions. */
    githubStepSummary?: string;
  };
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
