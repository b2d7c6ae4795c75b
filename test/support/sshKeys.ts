// SSH key pairs made at run time by the real ssh-keygen: tests never hold a fixed private key.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from './tools.js';

export interface SshKeyPair {
  /** The .pub line without its comment: `ssh-ed25519 AAAA...`. */
  publicKey: string;
  /** The private key file as ssh-keygen writes it (OpenSSH format, or PEM with `format: 'PEM'`/PKCS8). */
  privateKey: string;
}

export function sshKeyPair(type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519', format: 'openssh' | 'PEM' | 'PKCS8' = 'openssh'): SshKeyPair {
  requireTools('ssh-keygen');
  const dir = mkdtempSync(join(tmpdir(), 'fortress-ssh-key-'));
  try {
    const file = join(dir, 'key');
    const args = ['-q', '-t', type, '-N', '', '-C', '', '-f', file, ...(type === 'rsa' ? ['-b', '2048'] : []), ...(format === 'openssh' ? [] : ['-m', format])];
    execFileSync('ssh-keygen', args, { stdio: 'ignore' });
    const [keyType, data] = readFileSync(`${file}.pub`, 'utf8').split(' ');
    return { publicKey: `${keyType} ${data!.trim()}`, privateKey: readFileSync(file, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh public key line, for a test that needs no private half. */
export function newSshPublicKey(type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): string {
  return sshKeyPair(type).publicKey;
}
