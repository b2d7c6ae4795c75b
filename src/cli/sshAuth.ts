// How the controller authenticates to hosts: an SSH agent, or a key file named by FORTRESS_SSH_KEY.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SshAuth } from '../apply/sshConnection.js';
import { InputError, type CliIo } from './io.js';

export async function sshAuth(io: CliIo): Promise<SshAuth> {
  if (io.env?.sshKeyFile) return { privateKey: await readFile(resolve(io.cwd, io.env.sshKeyFile)) };
  if (io.env?.sshAuthSock) return { agent: io.env.sshAuthSock };
  throw new InputError('no SSH credentials: start an SSH agent (SSH_AUTH_SOCK) or set FORTRESS_SSH_KEY to a private key file');
}
