// The effects the CLI may use, handed in so tests can run the CLI in-process and capture its output.
import type { RemoteHost, SshAuth, SshTarget } from '../apply/sshConnection.js';
import type { DiagnosticCode } from '../diagnostics/catalogue.js';

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
  /** How apply and keys reach a host; ssh2 (connectSsh) unless a test hands in another. */
  connect?: (target: SshTarget, auth: SshAuth) => Promise<RemoteHost>;
}

export const EXIT_OK = 0;
/** The topology is invalid, --check found drift, or a host failed to apply. */
export const EXIT_FAILED = 1;
/** A usage or I/O error: unknown flag, missing file. */
export const EXIT_USAGE = 2;

/**
 * A problem with what surrounds fortress (exit 2): no SSH credentials, no git repository, an unknown
 * ref. Thrown from deep in the CLI's helpers and reported once, at the top, as a diagnostic.
 */
export class InputError extends Error {
  constructor(
    message: string,
    readonly code: DiagnosticCode = 'FT511',
    readonly hint?: string,
  ) {
    super(message);
  }
}
