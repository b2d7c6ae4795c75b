// deploy.authorizedKeys: each entry is one OpenSSH public key line, none is a private key pasted by
// mistake, and none is listed twice. The lines go into every host's cloud-init.yaml, so their form is
// checked here, once. A message never repeats what was pasted: it may be a secret.
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { SemanticRule } from './rule.js';

/** The key types OpenSSH accepts in authorized_keys today (DSA is gone since OpenSSH 9.8). */
export const SSH_KEY_TYPES = [
  'ssh-ed25519',
  'sk-ssh-ed25519@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-rsa',
] as const;

export const checkDeployKeys: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];
  const firstIndex = new Map<string, number>();
  for (const [i, line] of (topology.deploy?.authorizedKeys ?? []).entries()) {
    const path = ['deploy', 'authorizedKeys', i];
    const where = `deploy.authorizedKeys[${i}]`;
    if (isPrivateSshKey(line)) {
      diagnostics.push(
        error(
          'FT350',
          locate(path),
          `${where} is an SSH private key, not a public key`,
          "treat it as exposed: make a new key pair (ssh-keygen -t ed25519), keep the private half where apply reads it (the production environment's secret), and paste the one line of the .pub file here",
        ),
      );
      continue;
    }
    const key = parsePublicKeyLine(line);
    if (typeof key === 'string') {
      diagnostics.push(error('FT351', locate(path), `${where} is not an OpenSSH public key line: ${key}`, 'paste the one line of the .pub file as it is: type, base64 and an optional comment (ssh-ed25519 AAAAC3Nza... you@laptop)'));
      continue;
    }
    const first = firstIndex.get(key.data);
    if (first === undefined) firstIndex.set(key.data, i);
    else diagnostics.push(error('FT207', locate(path), `${where} is the key of deploy.authorizedKeys[${first}] again`, 'remove one of the two entries'));
  }
  return diagnostics;
};

/** PEM and OpenSSH private keys (any algorithm, encrypted or not), PuTTY's .ppk, or the body of an OpenSSH private key without its armour. */
export function isPrivateSshKey(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text) || /PuTTY-User-Key-File-\d/.test(text) || text.includes('b3BlbnNzaC1rZXktdjE' /* "openssh-key-v1" */);
}

/** A public key line's parts, or what is wrong with it (in words that never quote the line). */
export function parsePublicKeyLine(line: string): { type: string; data: string; comment?: string } | string {
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(line)) return 'it holds a line break or another control character; a key is one line';
  if (line !== line.trimStart()) return 'it starts with a space';
  const [type = '', data = '', ...comment] = line.split(' ');
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    if (SSH_KEY_TYPES.some((t) => line.includes(` ${t} `))) return 'it starts with options (command=, from=, ...), which fortress does not write';
    return `it does not start with a key type fortress knows (${SSH_KEY_TYPES.join(', ')})`;
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data) || Buffer.from(data, 'base64').toString('base64') !== data) return `the key data after "${type}" is not base64 (is a space missing or doubled?)`;
  const blob = Buffer.from(data, 'base64');
  const nameLength = blob.length >= 4 ? blob.readUInt32BE(0) : Number.MAX_SAFE_INTEGER;
  if (4 + nameLength > blob.length) return 'the key data is cut short';
  const inner = blob.subarray(4, 4 + nameLength).toString('latin1');
  if (inner !== type) return `the key data is not a ${type} key (a copying mistake, or the type was changed by hand)`;
  return comment.length > 0 ? { type, data, comment: comment.join(' ') } : { type, data };
}
