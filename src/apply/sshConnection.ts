// One SSH connection to a host with ssh2: the host key must be the one pinned in the topology.
import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';

export interface SshTarget {
  host: string;
  address: string;
  port: number;
  user: string;
  /** "ssh-ed25519 AAAA..." from the topology: the only key this host may present. */
  hostKey: string;
}

export interface SshAuth {
  /** Path of an SSH agent's socket (SSH_AUTH_SOCK). */
  agent?: string;
  /** A private key's contents. */
  privateKey?: Buffer;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  stdin?: string;
  /** Sees stdout line by line as it arrives (progress). */
  onLine?: (line: string) => void;
  /** The command counts as done at the first stdout line this accepts, without waiting for the channel to close. */
  until?: (line: string) => boolean;
  /** The command fails (and the connection is closed) when it has not ended by then. */
  timeoutMs: number;
}

export interface RemoteHost {
  exec(command: string, options: ExecOptions): Promise<ExecResult>;
  /** Writes files by SFTP; a relative path is under the user's home. Directories it makes are 0700. */
  upload(files: readonly { path: string; content: string; mode: number }[]): Promise<void>;
  close(): void;
}

export class HostKeyMismatch extends Error {}

/** A step that did not end in time: the host is black-holed, or stuck. */
export class StepTimeout extends Error {}

/** How often an idle connection is probed, and how many unanswered probes end it. */
export const KEEPALIVE = { intervalMs: 3_000, countMax: 3 } as const;

/** Key types a pinned key's type may be negotiated as (an RSA key signs with SHA-2 nowadays). */
const HOST_KEY_ALGORITHMS: Record<string, string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

export function connectSsh(target: SshTarget, auth: SshAuth, timeoutMs = 10_000): Promise<RemoteHost> {
  const [keyType = '', keyBlob = ''] = target.hostKey.split(' ');
  return new Promise((resolve, reject) => {
    const client = new Client();
    let presented: string | undefined;
    const config: ConnectConfig = {
      host: target.address,
      port: target.port,
      username: target.user,
      readyTimeout: timeoutMs,
      // A black-holed host is noticed within about intervalMs * (countMax + 1), whatever is running.
      keepaliveInterval: KEEPALIVE.intervalMs,
      keepaliveCountMax: KEEPALIVE.countMax,
      ...(auth.agent ? { agent: auth.agent } : {}),
      ...(auth.privateKey ? { privateKey: auth.privateKey } : {}),
      algorithms: { serverHostKey: (HOST_KEY_ALGORITHMS[keyType] ?? [keyType]) as never },
      hostVerifier: (key: Buffer) => {
        presented = key.toString('base64');
        return presented === keyBlob;
      },
    };
    client.once('ready', () => resolve(remoteHost(client)));
    // A connection that drops after it was ready surfaces through the exec or upload it breaks.
    client.on('error', () => {});
    client.once('error', (error) => {
      client.end();
      if (presented !== undefined && presented !== keyBlob) {
        reject(new HostKeyMismatch(`${target.host} presented host key ${keyType} ${presented}, not the one pinned in the topology: refusing to connect (if the host was rebuilt, check it and update ssh.hostKey)`));
      } else {
        reject(error);
      }
    });
    client.connect(config);
  });
}

function remoteHost(client: Client): RemoteHost {
  let sftp: Promise<SFTPWrapper> | undefined;
  let lastError: Error | undefined;
  client.on('error', (error) => (lastError = error));
  return {
    exec(command, { stdin, onLine, until, timeoutMs }) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          client.end();
          reject(new StepTimeout(`no answer within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        // A connection that ends (keepalive gave up, the host went away) ends the command with it.
        const onClose = () => {
          clearTimeout(timer);
          const why = lastError?.message ?? '';
          reject(new Error(/keepalive/i.test(why) ? `no answer to SSH keepalives for ${(KEEPALIVE.intervalMs * (KEEPALIVE.countMax + 1)) / 1000} s: the host is unreachable` : `the connection closed${why ? `: ${why}` : ''}`));
        };
        client.once('close', onClose);
        const settle = (result: ExecResult) => {
          clearTimeout(timer);
          client.removeListener('close', onClose);
          resolve(result);
        };
        client.exec(command, (error, stream) => {
          if (error) {
            clearTimeout(timer);
            client.removeListener('close', onClose);
            return reject(error);
          }
          let stdout = '';
          let stderr = '';
          let seen = 0;
          stream.on('data', (d: Buffer) => {
            stdout += d.toString('utf8');
            const end = stdout.lastIndexOf('\n');
            if (end >= seen) {
              for (const line of stdout.slice(seen, end).split('\n')) {
                if (line) onLine?.(line);
                if (line && until?.(line)) settle({ code: 0, stdout, stderr });
              }
              seen = end + 1;
            }
          });
          stream.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
          stream.on('close', (code: number | null) => settle({ code: code ?? 255, stdout, stderr }));
          stream.end(stdin ?? '');
        });
      });
    },
    async upload(files) {
      sftp ??= new Promise((resolve, reject) => client.sftp((error, s) => (error ? reject(error) : resolve(s))));
      const session = await sftp;
      const made = new Set<string>();
      for (const file of files) {
        const root = file.path.startsWith('/') ? '/' : '';
        const parts = file.path.split('/').filter(Boolean).slice(0, -1);
        for (let i = 1; i <= parts.length; i++) {
          const dir = `${root}${parts.slice(0, i).join('/')}`;
          if (made.has(dir)) continue;
          await new Promise<void>((resolve) => session.mkdir(dir, { mode: 0o700 }, () => resolve())); // exists already: fine
          made.add(dir);
        }
        await new Promise<void>((resolve, reject) => session.writeFile(file.path, file.content, { mode: file.mode }, (error) => (error ? reject(error) : resolve())));
      }
    },
    close() {
      client.end();
    },
  };
}
