// Keys for enroll's tests, made at run time and never written to a file: a WireGuard key pair (the
// generator's), and an SSH host key as the topology holds it ("ssh-ed25519 AAAA...") from a real
// ed25519 key pair node makes.
import { generateKeyPairSync } from 'node:crypto';
import { generateKeyPair } from '../../bench/generateTopology.mjs';

export function wireguardPublicKey(): string {
  return generateKeyPair().publicKey;
}

export function sshHostKeyLine(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  // The SSH wire format: each field a big-endian uint32 length, then its bytes.
  const field = (bytes: Buffer) => Buffer.concat([lengthOf(bytes), bytes]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]).toString('base64')}`;
}

function lengthOf(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return length;
}
