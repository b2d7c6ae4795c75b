// OpenSSH on a lab host: the real sshd, in the foreground, inside the host's network and mount
// namespaces, with its own config, host key and authorized_keys in a private tmpfs of the host.
// The host key is made inside the host at run time and never touches this machine's disk.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runChecked } from './command.js';
import type { HostNamespace } from './hostNamespace.js';
import { namespaceInode, type Lab } from './lab.js';

export const SSHD = '/usr/sbin/sshd';

export interface ClientKey {
  /** The private key file, 0600, in a 0700 temp dir of its own. */
  path: string;
  /** "ssh-ed25519 AAAA... comment" */
  publicKey: string;
}

/** An ed25519 key pair for the test process, removed after the lab's namespaces. */
export async function createClientKey(lab: Lab, comment = 'fortress-lab'): Promise<ClientKey> {
  const dir = mkdtempSync(join(tmpdir(), 'fortress-lab-client-'));
  lab.onTeardown('after-namespaces', () => removeTree(dir));
  const path = join(dir, 'id_ed25519');
  await runChecked('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  return { path, publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
}

export interface SshServer {
  pid: number;
  /** "ssh-ed25519 AAAA...": type and base64, as topology hosts.<h>.ssh.hostKey wants it */
  hostKeyLine: string;
  /** What sshd printed on stderr (-e), the last 64 KiB: for failure messages. */
  log(): string;
}

export interface SshServerOptions {
  /** A private tmpfs directory of the host that holds the config, host key and authorized_keys. */
  dir: string;
  authorizedKeys: string;
  port?: number;
}

export function sshdConfig(dir: string, port: number): string {
  return [
    `Port ${port}`,
    'AddressFamily inet',
    'ListenAddress 0.0.0.0',
    `HostKey ${dir}/ssh_host_ed25519_key`,
    `PidFile ${dir}/sshd.pid`,
    // root's keys live in the lab's private directory; other users (a deploy user) keep their own.
    `AuthorizedKeysFile ${dir}/authorized_keys .ssh/authorized_keys`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'UsePAM no',
    'UseDNS no',
    'StrictModes no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    'AllowAgentForwarding no',
    'PermitUserEnvironment no',
    'Subsystem sftp internal-sftp',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

/**
 * Starts `sshd -D -e -f <dir>/sshd_config` inside the host and waits, bounded, until it listens.
 * sshd wants its privilege-separation directory /run/sshd (root-owned, not group/world writable):
 * it is made here, in the host's private /run.
 */
export async function startSshServer(lab: Lab, host: HostNamespace, options: SshServerOptions): Promise<SshServer> {
  const { dir } = options;
  const port = options.port ?? 22;
  await host.shChecked('set -e; mkdir -p -m 0755 /run/sshd; ssh-keygen -q -t ed25519 -N "" -C "" -f "$1/ssh_host_ed25519_key"', [dir]);
  await host.writeFile(`${dir}/sshd_config`, sshdConfig(dir, port), 0o600);
  await host.writeFile(`${dir}/authorized_keys`, `${options.authorizedKeys.trim()}\n`, 0o600);
  const check = await host.run([SSHD, '-t', '-f', `${dir}/sshd_config`], { timeoutMs: 10_000 });
  if (check.code !== 0) throw new Error(`sshd -t rejects the lab's config on ${host.name}: ${check.stderr.trim()}`);
  const hostKeyLine = (await host.shChecked('cut -d" " -f1,2 "$1/ssh_host_ed25519_key.pub"', [dir])).trim();

  // nsenter execs sshd (no --fork without a PID namespace), so the child's pid is sshd's own.
  const child = spawn('nsenter', ['--target', String(host.holderPid), '--mount', '--net', '--', SSHD, '-D', '-e', '-f', `${dir}/sshd_config`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  lab.own(child);
  child.unref();
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log = (log + chunk).slice(-65_536)));
  (child.stderr as Socket | null)?.unref();
  if (child.pid === undefined) throw new Error(`could not start sshd on ${host.name}`);
  const pid = child.pid;

  const netns = `net:[${namespaceInode(host.name)}]`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (/Server listening on 0\.0\.0\.0 port/.test(log) && isSshdIn(pid, netns)) return { pid, hostKeyLine, log: () => log };
    await sleep(30);
  }
  throw new Error(`sshd on ${host.name} did not start listening (pid ${pid}, exit ${child.exitCode ?? child.signalCode ?? 'none'}): ${log.trim()}`);
}

function isSshdIn(pid: number, netns: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sshd' && readlinkSync(`/proc/${pid}/ns/net`) === netns;
  } catch {
    return false;
  }
}

/** Removes a temp tree the lab made; rmSync(force) so a half-made one is fine. */
export function removeTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
