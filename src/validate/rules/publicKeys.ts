// Every host has a valid WireGuard public key of its own, and none looks like a pasted private key.
import { error, warning, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { entriesOf, type SemanticRule } from './rule.js';

export const checkPublicKeys: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];
  const interfaceName = topology.mesh.interface ?? 'wg0';
  const keyOwner = new Map<string, string>();
  for (const [name, host] of entriesOf(topology.hosts).sort(([a], [b]) => a.localeCompare(b))) {
    const path = ['hosts', name, 'publicKey'];
    if (!isWireGuardKey(host.publicKey)) {
      diagnostics.push(error('FT308', locate(path), `publicKey of host "${name}" is not a WireGuard public key`, 'it is 44 characters of base64 ending in "=", as printed by `wg pubkey`'));
      continue;
    }
    const other = keyOwner.get(host.publicKey);
    if (other !== undefined) {
      diagnostics.push(error('FT309', locate(path), `host "${name}" has the same publicKey as host "${other}"`, 'every host needs its own key pair'));
    } else {
      keyOwner.set(host.publicKey, name);
    }
    if (looksLikePrivateKey(host.publicKey)) {
      diagnostics.push(
        warning(
          'FT328',
          locate(path),
          `publicKey of host "${name}" looks like a WireGuard private key: its bytes have the shape of a clamped X25519 private key, as about 1 in 16 public keys do by chance`,
          `check on the host that \`wg pubkey < /etc/wireguard/${interfaceName}.key\` prints this value; if it does not, this is the private key: it is now exposed, so make a new key pair on the host`,
        ),
      );
    }
  }
  return diagnostics;
};

function isWireGuardKey(text: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(text) && Buffer.from(text, 'base64').length === 32 && Buffer.from(text, 'base64').toString('base64') === text;
}

/**
 * WireGuard (`wg genkey`) clamps every private key as X25519 (RFC 7748) asks: the low three bits of
 * the first byte cleared, the top bit of the last byte cleared and the bit below it set. A public
 * key is a number below 2^255 - 19, so its top bit is always clear, and the other four bits are
 * random: 1 public key in 16 has this shape too. Hence a warning that asks to check, not an error.
 */
export function looksLikePrivateKey(base64: string): boolean {
  const bytes = Buffer.from(base64, 'base64');
  return bytes.length === 32 && (bytes[0]! & 0b111) === 0 && (bytes[31]! & 0x80) === 0 && (bytes[31]! & 0x40) === 0x40;
}
