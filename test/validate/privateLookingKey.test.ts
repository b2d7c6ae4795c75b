// A publicKey shaped like a clamped X25519 private key is a warning: validate and render still succeed.
// Keys are made at run time; no private key is ever committed.
import nacl from 'tweetnacl';
import { describe, expect, test } from 'vitest';
import { formatDiagnostics } from '../../src/cli/formatDiagnostics.js';
import { compile } from '../../src/compile.js';
import { looksLikePrivateKey } from '../../src/validate/rules/publicKeys.js';
import { smallTopology } from '../support/smallTopology.js';
import { TempRepo } from '../support/tempRepo.js';
import { validateText } from './validateText.js';

/** A private key as `wg genkey` makes it: 32 random bytes, clamped for X25519. */
function wgGenkey(): Uint8Array {
  const key = nacl.randomBytes(32);
  key[0]! &= 248;
  key[31]! &= 127;
  key[31]! |= 64;
  return key;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A pair whose public key does not happen to look private (15 in 16 do not). */
function keyPairWithOrdinaryPublicKey(): { privateKey: string; publicKey: string } {
  for (;;) {
    const privateKey = wgGenkey();
    const publicKey = base64(nacl.scalarMult.base(privateKey));
    if (!looksLikePrivateKey(publicKey)) return { privateKey: base64(privateKey), publicKey };
  }
}

/** The small topology with the hub's publicKey replaced, and an ordinary key for the app. */
function withHubKey(publicKey: string): string {
  const text = smallTopology({ app: {}, hub: { roles: ['hub'], endpoint: '192.0.2.1' } });
  const [appKey, hubKey] = [...text.matchAll(/publicKey: (\S+)/g)].map((m) => m[1]!);
  return text.replace(appKey!, keyPairWithOrdinaryPublicKey().publicKey).replace(hubKey!, publicKey);
}

describe('a private key pasted as publicKey', () => {
  test('every key wg genkey makes has the shape; the public key made from it mostly does not', () => {
    for (let i = 0; i < 64; i++) expect(looksLikePrivateKey(base64(wgGenkey()))).toBe(true);
    const { privateKey, publicKey } = keyPairWithOrdinaryPublicKey();
    expect(looksLikePrivateKey(privateKey)).toBe(true);
    expect(looksLikePrivateKey(publicKey)).toBe(false);
  });

  test('about 1 in 16 real public keys has the shape too, which is why this is a warning', () => {
    let matching = 0;
    for (let i = 0; i < 1024; i++) if (looksLikePrivateKey(base64(nacl.box.keyPair().publicKey))) matching++;
    // Expected 64 (the top bit of a public key is always 0, the other 4 bits are random); ±5 sigma.
    expect(matching).toBeGreaterThan(25);
    expect(matching).toBeLessThan(110);
  });

  test('validate warns at the key, says "looks like" and how to check, and the topology stays valid', () => {
    const { privateKey } = keyPairWithOrdinaryPublicKey();
    const text = withHubKey(privateKey);
    const { valid, diagnostics } = validateText(text, { keyWarnings: true });
    expect(valid).toBe(true);
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([['FT328', 'warning']]);
    const [warning] = diagnostics;
    expect(warning!.message).toMatch(/^publicKey of host "hub" looks like a WireGuard private key/);
    expect(warning!.hint).toContain('`wg pubkey < /etc/wireguard/wg0.key`');
    expect(text.split('\n')[warning!.span!.start.line - 1]).toContain(privateKey);

    expect(formatDiagnostics(diagnostics, 'text')).toMatch(/^topology\/topology\.yaml:\d+:\d+: warning FT328: publicKey of host "hub" looks like .*\n0 errors, 1 warning\n$/);
    expect(formatDiagnostics(diagnostics, 'github')).toMatch(/^::warning file=topology\/topology\.yaml,line=\d+,/);
  });

  test('the real public key of the same host gets no warning', () => {
    const { publicKey } = keyPairWithOrdinaryPublicKey();
    expect(validateText(withHubKey(publicKey), { keyWarnings: true }).diagnostics).toEqual([]);
  });

  test('render still succeeds with the warning', async () => {
    const { privateKey } = keyPairWithOrdinaryPublicKey();
    const text = withHubKey(privateKey);
    expect(compile({ topology: { path: 'topology/topology.yaml', text }, source: 'topology/topology.yaml' }).compiled).toBeDefined();

    const repo = new TempRepo();
    try {
      repo.write('topology/topology.yaml', text);
      expect((await repo.run('validate')).code).toBe(0);
      const render = await repo.run('render');
      expect(render.code).toBe(0);
      expect(repo.read('rendered/hosts/app/etc/wireguard/wg0.conf')).toContain(`PublicKey = ${privateKey}`);
    } finally {
      repo.remove();
    }
  });
});
