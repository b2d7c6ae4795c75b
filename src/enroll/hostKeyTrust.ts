// Whether to trust the SSH host key a new machine presents, before fortress logs in to it.
//
// The rule: the key's OpenSSH fingerprint (`SHA256:` and the unpadded base64 of the SHA-256 of the key
// blob, what `ssh-keygen -lf` and cloud consoles print) must be the one given on the command line.
// Without a fingerprint enroll refuses and prints the one it saw, so the user can compare it with
// the console; only an explicit trust-on-first-use takes the key unchecked.
//
// Reading the key and logging in are two connections on purpose: the first (scanHostKey) stops
// right after the key exchange, before any credential is offered, so an untrusted server never sees
// the agent or key; the second is apply's connectSsh, pinned to exactly the key that was trusted
// (a different key on the second connection is refused like any other mismatch). So apply's pinned
// connection needs no verifier callback, and enroll logs in the way apply does.
import { createHash } from 'node:crypto';
import { Client } from 'ssh2';
import { commandLineError, type CommandLineDiagnostic } from '../diagnostics/diagnostic.js';

/** The host key a machine presented, in the topology's form and as its fingerprint. */
export interface PresentedHostKey {
  /** "ssh-ed25519 AAAA...": type and base64, as hosts.<host>.ssh.hostKey holds it. */
  hostKey: string;
  /** "SHA256:...", as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

export interface TrustRule {
  /** --host-key-fingerprint, already checked by parseFingerprint. */
  fingerprint?: string;
  /** --trust-on-first-use: take the key unchecked when no fingerprint is given. */
  trustOnFirstUse?: boolean;
}

export type TrustDecision =
  | { trusted: true; by: 'fingerprint' | 'first-use' }
  | { trusted: false; diagnostic: CommandLineDiagnostic };

const SHA256_FINGERPRINT = /^SHA256:([A-Za-z0-9+/]{43})=?$/;

/** `SHA256:` + unpadded base64 of the SHA-256 of the key blob: OpenSSH's fingerprint of a host key. */
export function fingerprintOf(hostKey: string | Buffer): string {
  const blob = typeof hostKey === 'string' ? Buffer.from(hostKey.split(' ')[1] ?? '', 'base64') : hostKey;
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * A key blob as ssh2 hands it to hostVerifier -> the topology's form and its fingerprint. The type
 * is the blob's own first field (an RSA key is "ssh-rsa" whichever signature algorithm it used).
 */
export function presentedHostKey(blob: Buffer): PresentedHostKey {
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  const type = blob.subarray(4, 4 + length).toString('latin1');
  // A blob that does not start with its type string is not a key anyone could pin.
  if (length === 0 || 4 + length > blob.length || !/^[a-z0-9@.-]+$/.test(type)) throw new Error('the host presented a malformed host key');
  return { hostKey: `${type} ${blob.toString('base64')}`, fingerprint: fingerprintOf(blob) };
}

/**
 * --host-key-fingerprint as given -> the fingerprint compared against, or a diagnostic. Accepts what
 * `ssh-keygen -lf` prints for the fingerprint (base64 padding tolerated); MD5 (`MD5:aa:bb…` or bare
 * hex pairs) is refused: it is the weak digest OpenSSH stopped showing by default.
 */
export function parseFingerprint(text: string): { fingerprint?: string; diagnostics: CommandLineDiagnostic[] } {
  const match = SHA256_FINGERPRINT.exec(text.trim());
  if (match) return { fingerprint: `SHA256:${match[1]}`, diagnostics: [] };
  const md5 = /^(MD5:)?([0-9a-f]{2}:){15}[0-9a-f]{2}$/i.test(text.trim());
  return {
    diagnostics: [
      commandLineError(
        'FT534',
        `--host-key-fingerprint ${JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text)} is not ${md5 ? 'a SHA256 fingerprint: MD5 fingerprints are not accepted' : 'an OpenSSH SHA256 fingerprint'}`,
        'give it as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it on the host: SHA256: and 43 characters of base64',
      ),
    ],
  };
}

/** The trust rule applied to the key a host presented: pure, so every branch is tested without SSH. */
export function decideTrust(host: string, presented: PresentedHostKey, rule: TrustRule): TrustDecision {
  const type = presented.hostKey.split(' ')[0];
  if (rule.fingerprint !== undefined) {
    if (rule.fingerprint === presented.fingerprint) return { trusted: true, by: 'fingerprint' };
    return {
      trusted: false,
      diagnostic: commandLineError(
        'FT532',
        `${host} presented the ${type} host key ${presented.fingerprint}, not ${rule.fingerprint} as --host-key-fingerprint says: refusing to log in`,
        `check the fingerprint on the host's console (\`ssh-keygen -lf /etc/ssh/ssh_host_${keyFileType(type)}_key.pub\`); a fingerprint of another key type does not match, and a different key may mean another machine answers at that address`,
      ),
    };
  }
  if (rule.trustOnFirstUse) return { trusted: true, by: 'first-use' };
  return {
    trusted: false,
    diagnostic: commandLineError(
      'FT533',
      `${host} presented the ${type} host key ${presented.fingerprint}; without --host-key-fingerprint enroll does not trust it`,
      `compare it with the fingerprint the cloud console or Terraform shows for the machine, then run enroll again with --host-key-fingerprint ${presented.fingerprint} (or --trust-on-first-use, which takes the key unchecked)`,
    ),
  };
}

/** The name part of the host key file OpenSSH keeps a key type in (ssh_host_<name>_key.pub). */
function keyFileType(type: string | undefined): string {
  if (type === 'ssh-rsa') return 'rsa';
  if (type?.startsWith('ecdsa-')) return 'ecdsa';
  return 'ed25519';
}

/**
 * The host key a machine presents, read without logging in: the connection is dropped by the
 * verifier right after the key exchange, so no credential is ever offered to it.
 */
export function scanHostKey(target: { address: string; port: number }, timeoutMs = 10_000): Promise<PresentedHostKey> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let presented: PresentedHostKey | undefined;
    let malformed: Error | undefined;
    const settle = (error?: Error) => {
      client.end();
      if (presented) resolve(presented);
      else reject(malformed ?? error ?? new Error('the connection closed before the host presented a key'));
    };
    client.on('error', (error) => settle(error));
    client.on('close', () => settle());
    client.connect({
      host: target.address,
      port: target.port,
      username: 'fortress-enroll',
      readyTimeout: timeoutMs,
      hostVerifier: (blob: Buffer) => {
        try {
          presented = presentedHostKey(blob);
        } catch (error) {
          malformed = error as Error;
        }
        return false;
      },
    });
  });
}
