// The real OpenSSH client, run from the test process (the root network namespace) against a lab
// host, with a pinned known_hosts and nothing from the user's own ssh setup: no ~/.ssh/config, no
// agent, no other identities, no global known_hosts.
import { runCommand, type CommandResult } from './command.js';

export interface SshTarget {
  address: string;
  port?: number;
  user?: string;
}

export interface SshRunOptions {
  keyPath: string;
  knownHostsPath: string;
  timeoutMs?: number;
}

/** A known_hosts line for a host on a port: `addr` for 22, `[addr]:port` otherwise. */
export function knownHostsLine(address: string, hostKeyLine: string, port = 22): string {
  return `${port === 22 ? address : `[${address}]:${port}`} ${hostKeyLine}`;
}

export function sshArgs(target: SshTarget, options: SshRunOptions, command: string): string[] {
  return [
    '-F', 'none',
    '-i', options.keyPath,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', `UserKnownHostsFile=${options.knownHostsPath}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5',
    '-o', 'LogLevel=ERROR',
    '-p', String(target.port ?? 22),
    '-l', target.user ?? 'root',
    target.address,
    '--',
    command,
  ];
}

/** `ssh ... host command`; exit code 255 means ssh itself failed (refused key, host key, network). */
export function sshRun(target: SshTarget, options: SshRunOptions, command: string): Promise<CommandResult> {
  return runCommand('ssh', sshArgs(target, options, command), { timeoutMs: options.timeoutMs ?? 20_000 });
}
